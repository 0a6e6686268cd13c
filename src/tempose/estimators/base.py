"""The frame-wise estimator interface: one RGB frame in, heatmaps + their image mapping out.

An estimator turns each frame of a video into ``K`` non-negative heatmaps for the 25 ClimbAlong
keypoints (:data:`tempose.keypoints.CLIMBALONG`), the 2×3 affine that maps heatmap pixels (x, y)
to image pixels, and a person score. It may keep state across the frames of one video (a tracked
region of interest) and forgets it in :meth:`Estimator.reset`, which callers invoke between videos.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np
from scipy.special import expit, softmax

ACTIVATIONS = ("sigmoid", "softmax", "relu")


@dataclass
class EstimatorOutput:
    """One frame's estimate for one person.

    Attributes:
        heatmaps: ``(K, h, w)`` float32, non-negative scores (never logits).
        affine: ``(2, 3)`` heatmap pixels (x, y) → image pixels (x, y).
        score: person score in [0, 1].
        keypoints: optional ``(K, 2)`` keypoints the estimator regressed itself, image pixels.
        keypoint_scores: optional ``(K,)`` per-keypoint confidence in [0, 1].
    """

    heatmaps: np.ndarray
    affine: np.ndarray
    score: float
    keypoints: np.ndarray | None = None
    keypoint_scores: np.ndarray | None = None


class Estimator(ABC):
    """Base class of every registered estimator.

    Subclasses set the class attributes ``keypoint_set`` (the channel order of their heatmaps,
    always ``"climbalong"`` for tempose's own estimators) and ``heatmap_size`` ``(h, w)``.
    """

    keypoint_set: str = "climbalong"
    heatmap_size: tuple[int, int] = (56, 56)

    @abstractmethod
    def estimate(self, frame_rgb: np.ndarray) -> EstimatorOutput | None:
        """Estimate the pose in one ``(H, W, 3)`` uint8 RGB frame; ``None`` when no person is found."""

    def reset(self, video: str | None = None) -> None:  # noqa: B027 (optional hook)
        """Forget per-video state before the next video (``video`` names it, for estimators that
        read precomputed results); stateless estimators need not override this."""


def activate(logits: np.ndarray, activation: str) -> np.ndarray:
    """Turn ``(..., h, w)`` heatmap logits into non-negative float32 scores.

    ``sigmoid`` scores each cell independently (BlazePose's heatmaps are per-cell logits);
    ``softmax`` normalises each map over its cells (Mask R-CNN's keypoint head is trained with a
    spatial softmax); ``relu`` clamps negatives to 0 (the thesis's preprocessing of ClimbAlong maps).
    """
    x = np.asarray(logits, dtype=np.float64)
    if activation == "sigmoid":
        out = expit(x)
    elif activation == "softmax":
        out = softmax(x.reshape(*x.shape[:-2], -1), axis=-1).reshape(x.shape)
    elif activation == "relu":
        out = np.maximum(x, 0.0)
    else:
        raise ValueError(f"unknown activation {activation!r}; use one of {', '.join(ACTIVATIONS)}")
    return out.astype(np.float32)
