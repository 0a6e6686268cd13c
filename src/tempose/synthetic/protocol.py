"""The thesis's finetuning PCK protocol on ClimbAlong-format arrays (spec §2.6, §8).

Ground truth is mapped into the estimator's box with the inverse of the 56/w affine, rounded and
clipped to the grid; the prediction is the integer argmax of the preprocessed estimator map; PCK
uses the torso normaliser. This is what the simulated estimator is calibrated against.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tempose.heatmaps import box_to_affine, decode, image_to_heatmap
from tempose.metrics import DEFAULT_ALPHAS, PCKCounts, pck


def box_targets(keypoints: np.ndarray, boxes: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``(T, K, 2)`` image keypoints → integer heatmap targets in each frame's box (thesis rule)."""
    affine = box_to_affine(boxes, size, span="size")
    return np.round(image_to_heatmap(keypoints, affine, size, clip=True))


def identity_pck(
    heatmaps: np.ndarray, boxes: np.ndarray, target: np.ndarray, alphas: Sequence[float] = DEFAULT_ALPHAS
) -> PCKCounts:
    """PCK of the raw estimator (the thesis's "identity function") on one video.

    Args:
        heatmaps: ``(T, K, H, W)`` estimator maps (negatives allowed).
        boxes: ``(T, 4)`` estimator boxes x1, y1, x2, y2 in image pixels.
        target: ``(T, K, 3)`` ground truth x, y in image pixels and a visibility flag (0 = not annotated).
    """
    pred, _ = decode(heatmaps)  # the argmax of the preprocessed map (clamp + scale) is the same
    gt = box_targets(target[..., :2], boxes, tuple(heatmaps.shape[-2:]))
    return pck(pred.numpy(), gt, target[..., 2] > 0, alphas=alphas)
