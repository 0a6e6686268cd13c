"""Typed parameters of the synthetic climbing dataset (``configs/synthetic*.yaml`` override them).

The defaults here *are* the default configuration, so ``tempose synthetic`` and the demo work on an
installed package without any YAML file; :data:`QUICK` is the smaller preset behind ``--quick``.
Loading goes through :func:`tempose.config.from_dict`, which rejects unknown keys and wrong types.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tempose.config import from_dict, merge, read_yaml, to_dict
from tempose.errors import InputError


def _require(ok: bool, problem: str) -> None:
    if not ok:
        raise InputError(problem)


def _check(cfg: object, ranges: tuple[str, ...] = (), probabilities: tuple[str, ...] = ()) -> None:
    """Value checks shared by the sections: ``(low, high)`` fields are ordered, probabilities in [0, 1]."""
    section = type(cfg).__name__
    for name in ranges:
        low, high = getattr(cfg, name)
        _require(0 <= low <= high, f"{section}.{name} must be (low, high) with 0 <= low <= high, got {low}, {high}")
    for name in probabilities:
        value = getattr(cfg, name)
        _require(0.0 <= value <= 1.0, f"{section}.{name} must be in [0, 1], got {value}")


@dataclass(frozen=True)
class ClimberConfig:
    """Procedural climbers (see :mod:`tempose.synthetic.climber`); lengths in metres, times in seconds."""

    image_size: tuple[int, int] = (1080, 1920)  # (W, H) image pixels, portrait like ClimbAlong
    fps: float = 30.0
    stature_m: tuple[float, float] = (1.55, 1.90)  # climber height, uniform
    px_per_m: tuple[float, float] = (260.0, 400.0)  # camera scale per video, uniform
    fast_move_prob: float = 0.4  # share of limb moves that are fast
    fast_move_s: tuple[float, float] = (0.25, 0.5)  # duration of a fast move
    slow_move_s: tuple[float, float] = (0.7, 1.6)  # duration of a slow move
    pause_s: tuple[float, float] = (0.1, 0.9)  # still time between moves
    rest_prob: float = 0.05  # a hand leaves its hold to shake out by the hip, then returns
    traverse_m: float = 0.08  # std of the sideways drift of each new hold
    camera_lag_s: float = 0.8  # the camera follows the climber with this first-order lag
    camera_shake_px: float = 1.0  # std of a smooth hand-held camera shake
    occlusions_per_s: float = 0.4  # occlusion events per second (one keypoint each, never frame 0)
    occlusion_s: tuple[float, float] = (0.2, 1.0)  # duration of an occlusion event

    def __post_init__(self) -> None:
        _check(self, ("stature_m", "px_per_m", "fast_move_s", "slow_move_s", "pause_s", "occlusion_s"),
               ("fast_move_prob", "rest_prob"))  # fmt: skip
        _require(self.fps > 0 and min(self.image_size) > 0, "ClimberConfig: fps and image_size must be positive")
        _require(self.stature_m[0] > 0 and self.fast_move_s[0] > 0 and self.slow_move_s[0] > 0,
                 "ClimberConfig: statures and move durations must be positive")  # fmt: skip


@dataclass(frozen=True)
class EstimatorConfig:
    """The simulated frame-wise estimator (see :mod:`tempose.synthetic.estimator`).

    Jitter is in heatmap pixels per axis; box jitter is a fraction of the box width/height.
    """

    heatmap_size: int = 56  # H = W of the estimator heatmaps (the thesis's Mask R-CNN: 56)
    box_pad: float = 0.06  # the box grows by this fraction of its width/height per side
    box_jitter_white: float = 0.006  # per-edge std, independent per frame
    box_jitter_corr: float = 0.012  # per-edge std of an AR(1) drift
    box_jitter_rho: float = 0.9  # frame-to-frame correlation of that drift
    cell_offset: float = 0.25  # systematic shift of the peak cell against the rounded targets (see docs)
    jitter_white_px: float = 0.35  # temporally white localisation error
    jitter_corr_px: float = 0.25  # temporally correlated (AR(1)) localisation error
    jitter_rho: float = 0.85  # frame-to-frame correlation of the correlated part
    hard_prob: float = 0.3  # per keypoint and frame: a hard case (blur, clutter) …
    hard_scale: float = 3.5  # … whose white jitter is this many times larger
    jitter_per_speed: float = 0.15  # motion blur: extra white jitter per heatmap pixel/frame of speed
    finger_jitter_scale: float = 1.5  # fingers are harder: their jitter is scaled by this
    occluded_jitter_scale: float = 2.5  # and so are keypoints the annotator could not see
    sigmas: tuple[float, ...] = (1.0, 1.5, 2.0, 2.5)  # blob widths, drawn per frame and keypoint
    peak: tuple[float, float] = (3.0, 8.0)  # blob peak height above zero, uniform
    background: float = 1.0  # maps sit this far below zero away from the blob (negatives)
    noise_std: float = 0.2  # white noise on every cell
    swap_rate: float = 0.035  # per frame: a left/right swap starts (a whole side or one limb)
    swap_frames: tuple[int, int] = (1, 4)  # its length in frames, uniform
    finger_collapse_prob: float = 0.2  # per frame and hand: all finger maps sit on the wrist
    finger_shuffle_prob: float = 0.05  # per frame and hand: finger maps are permuted
    miss_rate: float = 0.015  # per frame: a missed detection starts (all maps empty or flat)
    miss_frames: tuple[int, int] = (1, 3)  # its length in frames, uniform
    flat_prob: float = 0.04  # per keypoint and frame: an empty or flat map (×4 when occluded)

    def __post_init__(self) -> None:
        _check(self, ("peak", "swap_frames", "miss_frames"),
               ("box_jitter_rho", "jitter_rho", "hard_prob", "swap_rate", "finger_collapse_prob",
                "finger_shuffle_prob", "miss_rate", "flat_prob"))  # fmt: skip
        _require(self.heatmap_size >= 8, f"EstimatorConfig.heatmap_size must be >= 8, got {self.heatmap_size}")
        _require(bool(self.sigmas) and min(self.sigmas) > 0, "EstimatorConfig.sigmas must be positive, not empty")
        _require(self.swap_frames[0] >= 1 and self.miss_frames[0] >= 1,
                 "EstimatorConfig: swap_frames and miss_frames start at 1 or more")  # fmt: skip


@dataclass(frozen=True)
class VideosConfig:
    """How many videos of which length (frames, uniform) one part of the dataset has."""

    videos: int = 10
    frames: tuple[int, int] = (150, 250)

    def __post_init__(self) -> None:
        _check(self, ("frames",))
        _require(self.videos >= 0, f"VideosConfig.videos must be >= 0, got {self.videos}")
        _require(self.frames[0] >= 5, f"VideosConfig.frames must be at least 5 (one window), got {self.frames}")


@dataclass(frozen=True)
class SyntheticConfig:
    """Everything :func:`tempose.synthetic.generate` needs; one seed makes the whole dataset."""

    seed: int = 0
    climber: ClimberConfig = field(default_factory=ClimberConfig)
    estimator: EstimatorConfig = field(default_factory=EstimatorConfig)
    finetune: VideosConfig = field(default_factory=VideosConfig)  # ClimbAlong-format inputs + targets
    pretrain: VideosConfig = field(default_factory=lambda: VideosConfig(videos=30, frames=(400, 800)))


DEFAULT = SyntheticConfig()
QUICK = SyntheticConfig(
    finetune=VideosConfig(videos=8, frames=(90, 130)),
    pretrain=VideosConfig(videos=12, frames=(300, 450)),
)


def _dotted(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"a": {"b": 1}} → {"a.b": 1}, so a partial YAML section updates a preset instead of replacing it."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict) and value:
            out.update(_dotted(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def load_synthetic_config(
    path: str | Path | None = None, quick: bool = False, seed: int | None = None
) -> SyntheticConfig:
    """Preset (:data:`DEFAULT` or :data:`QUICK`) ← YAML file ``path`` (any subset of keys) ← ``seed``.

    Unknown keys and wrong types raise :class:`~tempose.errors.InputError` naming the file.
    """
    data = to_dict(QUICK if quick else DEFAULT)
    if path is not None:
        data = merge(data, _dotted(read_yaml(path)))
    if seed is not None:
        data["seed"] = seed
    try:
        return from_dict(SyntheticConfig, data)
    except InputError as exc:
        if path is None:
            raise
        raise InputError(exc.problem, path) from None
