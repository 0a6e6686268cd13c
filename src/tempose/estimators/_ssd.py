"""SSD anchors, box decoding and weighted non-maximum suppression for the BlazePose detector.

The detector predicts, per anchor, a box (cx, cy, w, h) and 4 keypoints as offsets in input
pixels from the anchor centre, plus a score logit. Anchors are MediaPipe's fixed-size SSD
anchors: one grid per stride, two anchors per cell and layer, centres at cell centres;
consecutive layers of equal stride share one grid (strides 8, 16, 32, 32, 32 → 2254 anchors for a
224×224 input).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.special import expit

POSE_STRIDES = (8, 16, 32, 32, 32)


@lru_cache(maxsize=4)
def anchors(input_size: int = 224, strides: tuple[int, ...] = POSE_STRIDES, per_layer: int = 2) -> np.ndarray:
    """``(N, 2)`` anchor centres in input pixels (x, y), in the detector's output order."""
    out = []
    i = 0
    while i < len(strides):
        j = i
        while j < len(strides) and strides[j] == strides[i]:
            j += 1
        cells = int(np.ceil(input_size / strides[i]))
        yy, xx = np.meshgrid(np.arange(cells), np.arange(cells), indexing="ij")
        centres = (np.stack([xx, yy], -1).reshape(-1, 1, 2) + 0.5) * (input_size / cells)
        out.append(np.repeat(centres, per_layer * (j - i), axis=1).reshape(-1, 2))
        i = j
    return np.concatenate(out).astype(np.float64)


@dataclass
class Detection:
    """One person: ``box`` (x1, y1, x2, y2), ``keypoints`` (4, 2) and ``score``, in input pixels
    until :func:`map_detection` moves them."""

    box: np.ndarray
    keypoints: np.ndarray
    score: float


def decode(raw: np.ndarray, logits: np.ndarray, anchor_xy: np.ndarray, min_score: float = 0.5) -> list[Detection]:
    """Raw ``(N, 12)`` regressors and ``(N,)`` logits → detections above ``min_score``."""
    scores = expit(np.clip(logits.reshape(-1), -100.0, 100.0))
    keep = np.flatnonzero(scores >= min_score)
    dets = []
    for i in keep:
        cx, cy, w, h = raw[i, :4] + np.array([anchor_xy[i, 0], anchor_xy[i, 1], 0.0, 0.0])
        kps = raw[i, 4:12].reshape(4, 2) + anchor_xy[i]
        dets.append(Detection(np.array([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2]), kps, float(scores[i])))
    return dets


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of one box ``a`` (4,) with boxes ``b`` (M, 4)."""
    x1 = np.maximum(a[0], b[:, 0])
    y1 = np.maximum(a[1], b[:, 1])
    x2 = np.minimum(a[2], b[:, 2])
    y2 = np.minimum(a[3], b[:, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area = lambda z: (z[..., 2] - z[..., 0]) * (z[..., 3] - z[..., 1])  # noqa: E731
    union = area(a) + area(b) - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


def weighted_nms(dets: list[Detection], iou_threshold: float = 0.3) -> list[Detection]:
    """MediaPipe's weighted NMS: each cluster (IoU > threshold with its best member) becomes the
    score-weighted mean of its boxes and keypoints, keeping the best score; best first."""
    remaining = sorted(dets, key=lambda d: -d.score)
    out = []
    while remaining:
        boxes = np.stack([d.box for d in remaining])
        member = _iou(remaining[0].box, boxes) > iou_threshold
        member[0] = True
        group = [d for d, m in zip(remaining, member, strict=True) if m]
        w = np.array([d.score for d in group])[:, None]
        box = (np.stack([d.box for d in group]) * w).sum(0) / w.sum()
        kps = (np.stack([d.keypoints for d in group]) * w[:, :, None]).sum(0) / w.sum()
        out.append(Detection(box, kps, remaining[0].score))
        remaining = [d for d, m in zip(remaining, member, strict=True) if not m]
    return out
