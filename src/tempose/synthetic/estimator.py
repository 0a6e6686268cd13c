"""A simulated frame-wise estimator (a Mask R-CNN stand-in) whose errors look like real ones.

Per frame it returns a person box (x1, y1, x2, y2 image pixels) and 25 heatmaps in that box, with
the thesis's ClimbAlong mapping (:func:`tempose.heatmaps.box_to_affine`, ``span="size"``: 56/w).

* **Box**: the keypoints' extent, padded, with per-edge jitter (white + AR(1) drift), inside the image.
* **Location**: each heatmap peaks at the true position plus a localisation error in heatmap pixels:
  a temporally white part (much larger in a share of "hard" frames, and growing with the
  keypoint's speed: motion blur) and a temporally correlated AR(1) part; fingers and keypoints the
  annotator could not see get more. The peak cell is ``floor(position + 0.5 - cell_offset)``:
  the thesis's targets round the position, Mask R-CNN's cells floor it (an offset of 0.5), and
  the default 0.25 is what calibrates PCK@0.05 (a full 0.5 caps it at 25%; the thesis has 19.4%).
* **Outliers**: left/right swaps for a few frames (a whole side or one limb), finger confusion (all
  finger maps on the wrist, or fingers permuted), missed detections (all 25 maps empty or flat for
  a few frames), single empty or flat maps (more often for occluded keypoints).
* **Map shape**: Gaussian blobs of varying width and height sitting on a negative background with
  white noise, so the maps have negatives (the preprocessing clamps them) and weak blobs are noisy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from tempose.heatmaps import box_to_affine, image_to_heatmap, pad_box, render
from tempose.keypoints import CLIMBALONG
from tempose.synthetic.climber import ClimberSequence
from tempose.synthetic.config import EstimatorConfig

_FINGERS = np.array([CLIMBALONG.index(f"{side}_{f}") for f in ("pinky", "index", "thumb")
                     for side in ("left", "right")])  # fmt: skip
_HANDS = {side: (CLIMBALONG.index(f"{side}_wrist"),
                 [CLIMBALONG.index(f"{side}_{f}") for f in ("pinky", "index", "thumb")])
          for side in ("left", "right")}  # fmt: skip
_LIMB_PAIRS = {
    "side": CLIMBALONG.flip_pairs,
    "arm": [p for p in CLIMBALONG.flip_pairs
            if CLIMBALONG.names[p[0]].split("_", 1)[1] in ("elbow", "wrist", "pinky", "index", "thumb")],
    "leg": [p for p in CLIMBALONG.flip_pairs
            if CLIMBALONG.names[p[0]].split("_", 1)[1] in ("knee", "ankle", "heel", "foot_index")],
}  # fmt: skip
_CHUNK = 64  # frames rendered at once (bounds the float64 intermediate of render)
_MARGIN = 4  # blobs are rendered on a larger canvas and cropped: no mass piles up on the border cells


@dataclass
class EstimatorOutput:
    """What the simulated estimator emits for one video.

    Attributes:
        heatmaps: ``(T, 25, S, S)`` float32 raw maps (negatives included), S = ``heatmap_size``.
        boxes: ``(T, 4)`` person boxes x1, y1, x2, y2 in image pixels.
    """

    heatmaps: np.ndarray
    boxes: np.ndarray

    @property
    def affine(self) -> np.ndarray:
        """``(T, 2, 3)`` heatmap → image affines (the thesis's finetuning mapping, 56/w)."""
        return box_to_affine(self.boxes, self.heatmaps.shape[-2:], span="size")


def ar1(rng: np.random.Generator, shape: tuple[int, ...], rho: float) -> np.ndarray:
    """Stationary unit-variance AR(1) noise along axis 0 with frame-to-frame correlation ``rho``."""
    white = rng.standard_normal(shape)
    out = np.empty(shape)
    out[0] = white[0]
    innovation = np.sqrt(1.0 - rho * rho)
    for t in range(1, shape[0]):
        out[t] = rho * out[t - 1] + innovation * white[t]
    return out


def _events(rng: np.random.Generator, num_frames: int, rate: float, length: tuple[int, int]) -> list[slice]:
    """Frame ranges of events that start with probability ``rate`` per frame."""
    starts = np.flatnonzero(rng.random(num_frames) < rate)
    return [slice(int(s), int(s) + int(rng.integers(length[0], length[1] + 1))) for s in starts]


def simulate_boxes(
    cfg: EstimatorConfig, keypoints: np.ndarray, image_size: tuple[int, int], rng: np.random.Generator
) -> np.ndarray:
    """``(T, 4)`` estimator boxes: padded keypoint extent with per-edge jitter, clipped to the image."""
    tight = np.concatenate([keypoints.min(axis=1), keypoints.max(axis=1)], axis=-1)
    box = pad_box(tight, cfg.box_pad)
    size = np.concatenate([box[:, 2:] - box[:, :2]] * 2, axis=-1)
    jitter = cfg.box_jitter_white * rng.standard_normal(box.shape) + cfg.box_jitter_corr * ar1(
        rng, box.shape, cfg.box_jitter_rho
    )
    box = box + size * jitter
    w, h = image_size
    box[:, [0, 2]] = np.clip(box[:, [0, 2]], 0, w)
    box[:, [1, 3]] = np.clip(box[:, [1, 3]], 0, h)
    box[:, 2:] = np.maximum(box[:, 2:], box[:, :2] + 8.0)  # never degenerate (the thesis cuts videos there)
    return box


def _predicted_positions(
    cfg: EstimatorConfig, truth: np.ndarray, visible: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """True heatmap positions ``(T, K, 2)`` → predicted positions with jitter, swaps and finger confusion."""
    n, k, _ = truth.shape
    scale = np.ones((n, k))
    scale[:, _FINGERS] *= cfg.finger_jitter_scale
    scale[~visible] *= cfg.occluded_jitter_scale
    speed = np.zeros((n, k))
    speed[1:] = np.linalg.norm(np.diff(truth, axis=0), axis=-1)
    white = cfg.jitter_white_px * np.where(rng.random((n, k)) < cfg.hard_prob, cfg.hard_scale, 1.0)
    white = white + cfg.jitter_per_speed * speed
    error = white[..., None] * rng.standard_normal(truth.shape) + cfg.jitter_corr_px * ar1(
        rng, truth.shape, cfg.jitter_rho
    )
    pred = truth + scale[..., None] * error
    for frames in _events(rng, n, cfg.swap_rate, cfg.swap_frames):
        pairs = np.array(_LIMB_PAIRS[str(rng.choice(["side", "arm", "arm", "leg", "leg"]))])
        block = pred[frames]  # a view: swapping in it swaps in pred
        block[:, np.r_[pairs[:, 0], pairs[:, 1]]] = block[:, np.r_[pairs[:, 1], pairs[:, 0]]]
    for wrist, fingers in _HANDS.values():
        collapse = rng.random(n) < cfg.finger_collapse_prob
        pred[np.ix_(collapse, fingers)] = pred[collapse, wrist][:, None] + 0.5 * rng.standard_normal(
            (int(collapse.sum()), 3, 2)
        )
        shuffle = np.flatnonzero(rng.random(n) < cfg.finger_shuffle_prob)
        for t in shuffle:
            order = rng.permutation(3)
            while (order == np.arange(3)).all():
                order = rng.permutation(3)
            pred[t, fingers] = pred[t, np.array(fingers)[order]]
    return pred


def simulate_estimator(cfg: EstimatorConfig, seq: ClimberSequence, rng: np.random.Generator) -> EstimatorOutput:
    """Run the simulated estimator on one climber sequence (seeded by ``rng``)."""
    n, k, _ = seq.keypoints.shape
    s = cfg.heatmap_size
    boxes = simulate_boxes(cfg, seq.keypoints, seq.image_size, rng)
    truth = image_to_heatmap(seq.keypoints, box_to_affine(boxes, (s, s), span="size"))
    pred = _predicted_positions(cfg, truth, seq.visible, rng)
    # Peak cell = round(position − cell_offset) (render rounds), clipped to the grid like a real head.
    cells = np.clip(pred - cfg.cell_offset, 0, s - 1)
    sigma = rng.choice(np.asarray(cfg.sigmas, dtype=np.float64), size=(n, k))
    peak = rng.uniform(*cfg.peak, size=(n, k))
    amplitude = torch.from_numpy((peak * 2 * np.pi * sigma**2).astype(np.float32))[..., None, None]
    noise = torch.Generator().manual_seed(int(rng.integers(2**62)))  # torch draws normals 3× faster
    heatmaps = torch.empty((n, k, s, s))
    canvas = (s + 2 * _MARGIN, s + 2 * _MARGIN)
    inner = slice(_MARGIN, _MARGIN + s)
    for start in range(0, n, _CHUNK):
        part = slice(start, start + _CHUNK)
        blobs = render(cells[part] + _MARGIN, canvas, sigma=sigma[part], scale=1.0)[..., inner, inner]
        heatmaps[part] = blobs * amplitude[part]
    heatmaps.sub_(cfg.background).add_(torch.randn(heatmaps.shape, generator=noise), alpha=cfg.noise_std)
    # Failures: whole frames (missed detections) and single maps become empty or flat.
    failed = np.zeros((n, k), dtype=bool)
    for frames in _events(rng, n, cfg.miss_rate, cfg.miss_frames):
        failed[frames] = True
    failed |= rng.random((n, k)) < cfg.flat_prob * np.where(seq.visible, 1.0, 4.0)
    flat = torch.from_numpy((failed & (rng.random((n, 1)) < 0.5))[failed])  # per frame: flat or empty
    jitter = cfg.noise_std * torch.randn((int(failed.sum()), s, s), generator=noise)
    heatmaps[torch.from_numpy(failed)] = torch.where(flat[:, None, None], 0.1 + jitter, -cfg.background - jitter.abs())
    return EstimatorOutput(heatmaps.numpy(), boxes)
