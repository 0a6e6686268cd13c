"""Write the synthetic dataset: a ClimbAlong-format finetuning folder and a keypoint-only store.

Layout of ``generate(config, out_dir)``::

    out_dir/
        climbalong/<video>.input.npz    heatmaps (T, 25, S, S) float32, bboxes (T, 4) x1 y1 x2 y2
        climbalong/<video>.target.npz   keypoints (T, 25, 3): x, y image pixels, flag (0 = not annotated)
        pretrain.h5                     tempose store: other climbers, keypoints/visible/boxes only
        synthetic.yaml                  the fully resolved configuration
        summary.json                    sizes and the identity PCK of the simulated estimator

Every video has its own generator seeded by ``(seed, part, index)``, so a video does not change
when the number of videos does. Outputs appear atomically (temporary names, renamed at the end).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from tempose.config import to_dict
from tempose.data.store import VideoRecord, write_store
from tempose.errors import InputError
from tempose.metrics import PCKCounts
from tempose.synthetic.climber import ClimberSequence, simulate_climber
from tempose.synthetic.config import SyntheticConfig
from tempose.synthetic.estimator import EstimatorOutput, simulate_estimator
from tempose.synthetic.protocol import identity_pck

FINETUNE, PRETRAIN = 0, 1  # the "part" in each video's seed


@dataclass(frozen=True)
class SyntheticDataset:
    """Where :func:`generate` put things, and the calibration it measured."""

    root: Path
    climbalong: Path  # folder of <video>.input.npz / <video>.target.npz pairs
    pretrain_store: Path  # tempose store (HDF5) of keypoint-only pretraining videos
    config: Path  # resolved configuration (YAML)
    summary: Path  # JSON: sizes, identity PCK, mean torso, seconds
    identity: PCKCounts  # pooled identity PCK of the simulated estimator on the finetuning videos


def video_rng(seed: int, part: int, index: int) -> np.random.Generator:
    """The generator of one video (``part``: :data:`FINETUNE` or :data:`PRETRAIN`)."""
    return np.random.default_rng([seed, part, index])


def finetune_video(config: SyntheticConfig, index: int) -> tuple[ClimberSequence, EstimatorOutput]:
    """Ground truth and simulated estimator output of finetuning video ``index``."""
    rng = video_rng(config.seed, FINETUNE, index)
    num_frames = int(rng.integers(config.finetune.frames[0], config.finetune.frames[1] + 1))
    seq = simulate_climber(config.climber, num_frames, rng)
    return seq, simulate_estimator(config.estimator, seq, rng)


def pretrain_video(config: SyntheticConfig, index: int) -> VideoRecord:
    """Keypoint-only store record of pretraining video ``index`` (a different climber)."""
    rng = video_rng(config.seed, PRETRAIN, index)
    num_frames = int(rng.integers(config.pretrain.frames[0], config.pretrain.frames[1] + 1))
    seq = simulate_climber(config.climber, num_frames, rng)
    shown = np.where(seq.visible[..., None], seq.keypoints, np.nan)
    boxes = np.concatenate([np.nanmin(shown, axis=1), np.nanmax(shown, axis=1)], axis=-1)
    return VideoRecord(
        name=f"pretrain_{index:03d}",
        keypoint_set="climbalong",
        fps=seq.fps,
        source="synthetic",
        keypoints=seq.keypoints.astype(np.float32),
        visible=seq.visible,
        boxes=boxes.astype(np.float32),
        attrs={"image_size": list(seq.image_size)},
    )


def target_array(seq: ClimberSequence) -> np.ndarray:
    """``(T, 25, 3)`` float32 ClimbAlong target: x, y, flag; not-annotated keypoints are (0, 0, 0)."""
    flag = seq.visible[..., None]
    return np.concatenate([np.where(flag, seq.keypoints, 0.0), flag], axis=-1).astype(np.float32)


def _prepare(out_dir: Path, names: list[str], overwrite: bool) -> None:
    for name in names:
        if (out_dir / name).exists() and not overwrite:
            raise InputError("already exists; refusing to overwrite (pass --overwrite)", out_dir / name)
    out_dir.mkdir(parents=True, exist_ok=True)


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _replace_dir(tmp: Path, final: Path) -> None:
    if final.exists():
        shutil.rmtree(final)
    os.replace(tmp, final)


def generate(
    config: SyntheticConfig,
    out_dir: str | Path,
    overwrite: bool = False,
    log: Callable[[str], None] | None = None,
) -> SyntheticDataset:
    """Generate the whole synthetic dataset under ``out_dir`` (layout in the module docstring).

    Args:
        config: parameters and seed (:func:`tempose.synthetic.load_synthetic_config`).
        out_dir: created if needed; existing outputs raise :class:`InputError` unless ``overwrite``.
        log: optional callable receiving one progress line per part.

    Example:
        >>> from tempose.synthetic import QUICK
        >>> data = generate(QUICK, "demo/data")  # doctest: +SKIP
        >>> data.identity.pck  # doctest: +SKIP
        array([0.19, 0.67, 0.85])
    """
    out = Path(out_dir)
    names = ["climbalong", "pretrain.h5", "synthetic.yaml", "summary.json"]
    _prepare(out, names, overwrite)
    start = time.perf_counter()
    tmp = out / f".climbalong.{os.getpid()}.tmp"
    tmp.mkdir()
    identity = PCKCounts.empty(25)
    frames = 0
    try:
        for index in range(config.finetune.videos):
            seq, est = finetune_video(config, index)
            target = target_array(seq)
            identity = identity + identity_pck(est.heatmaps, est.boxes, target)
            frames += seq.keypoints.shape[0]
            name = f"climb_{index:03d}"
            with open(tmp / f"{name}.input.npz", "wb") as f:
                np.savez(f, heatmaps=est.heatmaps, bboxes=est.boxes.astype(np.float32))
            with open(tmp / f"{name}.target.npz", "wb") as f:
                np.savez(f, keypoints=target)
        _replace_dir(tmp, out / "climbalong")
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    if log:
        log(f"{config.finetune.videos} finetuning videos ({frames} frames) → {out / 'climbalong'}")
    records = [pretrain_video(config, index) for index in range(config.pretrain.videos)]
    store = write_store(out / "pretrain.h5", records, overwrite=overwrite, generator="tempose.synthetic")
    if log:
        log(f"{len(records)} pretraining videos ({sum(r.num_frames for r in records)} frames) → {store}")
    config_path = out / "synthetic.yaml"
    _write_text(config_path, yaml.safe_dump(to_dict(config), sort_keys=False))
    summary = {
        "seed": config.seed,
        "finetune": {"videos": config.finetune.videos, "frames": frames},
        "pretrain": {"videos": len(records), "frames": sum(r.num_frames for r in records)},
        "identity_pck": {str(a): float(p) for a, p in zip(identity.alphas, identity.pck, strict=True)},
        "mean_torso_px": float(identity.mean_threshold[0] / identity.alphas[0]),
        "seconds": round(time.perf_counter() - start, 2),
    }
    summary_path = out / "summary.json"
    _write_text(summary_path, json.dumps(summary, indent=2) + "\n")
    return SyntheticDataset(out, out / "climbalong", store, config_path, summary_path, identity)
