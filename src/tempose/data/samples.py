"""The thesis's experiments and the per-frame math of synthetic pretraining samples (spec §2.5, §3).

A pretraining sample is made from ground-truth keypoints only: per frame a box around the
keypoints (padded 5% per side) is warped to the heatmap grid with independent x/y scales
((W−1)/w, (H−1)/h: the thesis's 55/w), coordinates are rounded, and

* the **target** is each keypoint rendered with σ = 1 (×255);
* the **input** is the same keypoint shifted per keypoint and axis by ``round(N(0, (2.95·s)²))``,
  clipped to the grid, and rendered with σ_in (1 for experiments x.2; drawn from
  {1, 1.5, 2, 2.5, 3} for x.1 and x.3, which also take every second frame).

The noise of a frame is a deterministic function of (seed, store, video, frame), as the thesis's
precomputed per-frame tensors were; the thesis's Penn Action code drew one constant shift per
joint for a whole video (an indexing bug), which tempose does not reproduce.

Example:
    >>> get_experiment("2.3")
    Experiment(name='2.3', noise_scale=2.0, sigma_in='random', frame_step=2)
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from tempose.errors import InputError
from tempose.heatmaps import box_to_affine, image_to_heatmap

NOISE_STD = 2.9500524520874025  # px on the 56×56 grid per unit of shifting-scalar s (spec §3)
SIGMA_CHOICES = (1.0, 1.5, 2.0, 2.5, 3.0)  # σ_in of experiments x.1 and x.3
BOX_PAD = 0.05  # fraction of the keypoint box's width/height added per side (spec §2.5)


@dataclass(frozen=True)
class Experiment:
    """A thesis experiment "s.y": shift scale ``s``, σ_in ``"random"``/``"fixed"``, frame step."""

    name: str
    noise_scale: float
    sigma_in: str
    frame_step: int


EXPERIMENTS: dict[str, Experiment] = {
    f"{s}.{y}": Experiment(f"{s}.{y}", float(s), "fixed" if y == 2 else "random", 2 if y == 3 else 1)
    for s in (1, 2)
    for y in (1, 2, 3)
}


def get_experiment(name: str) -> Experiment:
    try:
        return EXPERIMENTS[name]
    except KeyError:
        raise InputError(f"unknown experiment {name!r}; available: {', '.join(EXPERIMENTS)}") from None


def keypoint_boxes(xy: np.ndarray, use: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame box (x1, y1, x2, y2) around the keypoints selected by ``use``.

    Args:
        xy: ``(T, K, 2)`` image coordinates.
        use: ``(T, K)`` bool, the keypoints that define the box.

    Returns:
        ``boxes`` ``(T, 4)`` and ``ok`` ``(T,)``: False where no keypoint is used or the box has
        zero width or height (such frames have no grid position, hence empty heatmaps).
    """
    inf = np.inf
    x = np.where(use, xy[..., 0], np.nan)
    y = np.where(use, xy[..., 1], np.nan)
    any_used = use.any(axis=-1)
    with np.errstate(all="ignore"):
        boxes = np.stack(
            [np.fmin.reduce(x, -1, initial=inf), np.fmin.reduce(y, -1, initial=inf),
             np.fmax.reduce(x, -1, initial=-inf), np.fmax.reduce(y, -1, initial=-inf)], -1)  # fmt: skip
    ok = any_used & (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
    boxes[~ok] = (0.0, 0.0, 1.0, 1.0)  # a harmless placeholder where there is no box
    return boxes, ok


def to_grid(
    xy: np.ndarray, use_for_box: np.ndarray, size: tuple[int, int] = (56, 56), pad: float = BOX_PAD
) -> tuple[np.ndarray, np.ndarray]:
    """Image keypoints → integer grid positions in their own padded keypoint box (spec §2.5).

    Returns:
        ``grid`` ``(T, K, 2)`` int64 rounded (x, y) and ``inside`` ``(T, K)`` bool: the frame
        has a box and the rounded position lies on the grid (otherwise the map stays empty).
    """
    boxes, ok = keypoint_boxes(xy, use_for_box)
    affine = box_to_affine(boxes, size=size, pad=pad, span="size-1")
    with np.errstate(invalid="ignore"):
        grid = np.rint(image_to_heatmap(np.nan_to_num(xy), affine))
    h, w = size
    inside = ok[:, None] & (grid[..., 0] >= 0) & (grid[..., 0] <= w - 1) & (grid[..., 1] >= 0)
    inside &= grid[..., 1] <= h - 1
    return np.where(inside[..., None], grid, 0).astype(np.int64), inside


def video_noise(
    num_frames: int,
    num_keypoints: int,
    experiment: Experiment,
    seed: int,
    store: int,
    video: str,
    epoch: int = 0,
    sigma_per: str = "frame",
) -> tuple[np.ndarray, np.ndarray]:
    """Integer shifts ``(T, K, 2)`` and input σ ``(T,)`` for every frame of one video.

    Frame ``t``'s values depend only on (seed, store, video, epoch, t) — not on the video's
    length or on which window asks — because each stream is drawn frame after frame. The shift
    stream is the same for every σ_in variant (as in the thesis, x.1 and x.2 share shifts).
    ``sigma_per`` is ``"frame"`` (the thesis's BRACE rule) or ``"video"`` (its Penn Action code).
    """
    if sigma_per not in ("frame", "video"):
        raise InputError(f"sigma_per must be 'frame' or 'video', got {sigma_per!r}")
    key = [seed, store, zlib.crc32(video.encode()), epoch]
    z = np.random.default_rng([*key, 0]).standard_normal((num_frames, num_keypoints, 2))
    shift = np.rint(z * (NOISE_STD * experiment.noise_scale)).astype(np.int64)
    if experiment.sigma_in == "fixed":
        sigma = np.ones(num_frames)
    else:
        picks = np.random.default_rng([*key, 1]).integers(0, len(SIGMA_CHOICES), num_frames)
        sigma = np.asarray(SIGMA_CHOICES)[picks if sigma_per == "frame" else np.full(num_frames, picks[0])]
    return shift, sigma


def shift_on_grid(grid: np.ndarray, shift: np.ndarray, size: tuple[int, int] = (56, 56)) -> np.ndarray:
    """Shift integer grid positions and clip them to the grid (spec §3)."""
    out = grid + shift
    out[..., 0] = np.clip(out[..., 0], 0, size[1] - 1)
    out[..., 1] = np.clip(out[..., 1], 0, size[0] - 1)
    return out
