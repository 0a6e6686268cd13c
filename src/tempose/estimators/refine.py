"""From estimator output to raw and refined keypoints in image pixels (``tempose infer``).

* **raw**: each frame's heatmaps decoded (``decoder``), mapped through that frame's affine; the
  score is the estimator's keypoint confidence (BlazePose: visibility) or else the map's peak.
* **refined**: a refiner over the whole sequence with :func:`tempose.inference.refine_sequence`
  (sliding windows, overlapping outputs averaged, first and last frames covered). Heatmap
  refiners see the preprocessed heatmaps (thesis §2.6) in each frame's own heatmap grid, as they
  were trained. Coordinate refiners from a checkpoint see heatmap-pixel coordinates (as trained);
  classical filters (no trainable parameters) see **image** coordinates, since each frame's grid
  moves with the person and smoothing in it would leave the grid's own jitter in the output. They
  are divided by the video's median heatmap-cell size in pixels, so that scale-dependent
  parameters (One-Euro's ``beta``, Kalman noise) mean what they mean on heatmap pixels.
* Nothing is invented: frames without a person, and keypoints the estimator missed, are NaN in
  both outputs (a refiner's fill-ins for them are dropped).
* ``online``: frame t is refined from frames ≤ t only (latency 0 frames); for offline filters
  that means running them on the frames up to t (the last ``history`` of them) and keeping the
  last output.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from tempose.errors import InputError
from tempose.estimators.runner import EstimatedVideo
from tempose.heatmaps import apply_affine, decode, preprocess
from tempose.inference import refine_sequence


@dataclass
class KeypointTracks:
    """``raw`` ``(T, K, 3)`` (x, y, score) and ``refined`` ``(T, K, 2)`` image pixels, NaN = missing;
    ``latency_frames``: how many future frames each output waits for (``None``: the whole video)."""

    raw: np.ndarray
    refined: np.ndarray
    detected: np.ndarray
    latency_frames: int | None


def is_filter(model: nn.Module) -> bool:
    """A refiner without trainable parameters (identity, classical filters)."""
    return not any(p.requires_grad for p in model.parameters())


def resample_heatmaps(heatmaps: np.ndarray, affine: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Bilinearly resample ``(T, K, h, w)`` maps to ``size`` and adjust the ``(T, 2, 3)`` affines so
    that every new cell still maps to the same image point (cell centres at integers)."""
    h, w = heatmaps.shape[-2:]
    out = F.interpolate(torch.from_numpy(np.asarray(heatmaps, np.float32)), size=size, mode="bilinear",
                        align_corners=False).clamp_min(0).numpy()  # fmt: skip
    sx, sy = w / size[1], h / size[0]
    new_to_old = np.array([[sx, 0.0, 0.5 * sx - 0.5], [0.0, sy, 0.5 * sy - 0.5]])
    lin = affine[..., :2] @ new_to_old[:, :2]
    shift = (affine[..., :2] @ new_to_old[:, 2]) + affine[..., 2]
    return out, np.concatenate([lin, shift[..., None]], axis=-1).astype(np.float32)


def raw_keypoints(video: EstimatedVideo, decoder: str = "argmax") -> np.ndarray:
    """``(T, K, 3)`` decoded (x, y, score) in image pixels, NaN x/y where missing."""
    xy, found = decode(torch.from_numpy(video.heatmaps), decoder)
    img = apply_affine(video.affine, xy.numpy())
    ok = found.numpy() & video.detected[:, None]
    peak = video.heatmaps.reshape(*video.heatmaps.shape[:2], -1).max(-1)
    has_scores = video.keypoint_scores.any(axis=1, keepdims=True)
    score = np.where(has_scores, video.keypoint_scores, peak)
    out = np.concatenate([img, score[..., None]], axis=-1)
    out[~ok, :2] = np.nan
    out[~video.detected, :, 2] = 0.0
    return out


def cell_size(video: EstimatedVideo) -> float:
    """Median side of a heatmap cell in image pixels over the frames with a person (1 if none)."""
    det = np.abs(np.linalg.det(video.affine[video.detected, :, :2].astype(np.float64)))
    return float(np.sqrt(np.median(det))) if det.size else 1.0


def refine_video(
    video: EstimatedVideo,
    model: nn.Module,
    window: int = 5,
    decoder: str = "argmax",
    online: bool = False,
    model_heatmap_size: tuple[int, int] | None = None,
    resample: bool = False,
    coords_in_image: bool | None = None,
    history: int = 64,
) -> KeypointTracks:
    """Raw and refined keypoints of one estimated video (see the module docstring).

    Args:
        model_heatmap_size: the heatmap size a trained model expects; a different estimator size
            raises :class:`InputError` unless ``resample``.
        coords_in_image: coordinate refiners in (scaled) image coordinates (default: filters only).
        history: past frames an offline filter sees per frame in ``online`` mode.
    """
    raw = raw_keypoints(video, decoder)
    heatmaps, affine = video.heatmaps, video.affine
    size = tuple(heatmaps.shape[-2:])
    if model_heatmap_size is not None and tuple(model_heatmap_size) != size:
        if not resample:
            raise InputError(f"the estimator's heatmaps are {size[0]}×{size[1]} but the model expects "
                             f"{model_heatmap_size[0]}×{model_heatmap_size[1]}; pass --resample-heatmaps "
                             "to resample them")  # fmt: skip
        heatmaps, affine = resample_heatmaps(heatmaps, affine, tuple(model_heatmap_size))
    valid = np.isfinite(raw[..., 0])
    filt = is_filter(model)
    in_image = model.input_space == "coords" and (filt if coords_in_image is None else coords_in_image)
    unit = cell_size(video) if in_image else 1.0
    if model.input_space == "heatmaps":
        inputs = preprocess(torch.from_numpy(heatmaps)).numpy()
    else:
        xy, _ = decode(torch.from_numpy(heatmaps), decoder)
        inputs = np.where(valid[..., None], raw[..., :2] / unit, 0.0) if in_image else xy.numpy()
    refined = refine_sequence(model, inputs, valid, window=window, decoder=decoder, online=online, history=history)
    refined = refined * unit if in_image else apply_affine(affine, refined)
    refined = np.where(valid[..., None], refined, np.nan)
    if online or getattr(model, "causal", False):
        latency: int | None = 0
    else:
        latency = None if filt else window - 1
    return KeypointTracks(raw, refined.astype(np.float64), video.detected.copy(), latency)
