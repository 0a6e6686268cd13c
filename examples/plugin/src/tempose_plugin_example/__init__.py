"""An example tempose plugin: one estimator and one filter, registered through entry points.

* ``StickFigure`` (``--estimator stick-figure``): a fixed upright figure in the centre of every
  frame. It shows the whole estimator contract — class attributes ``keypoint_set`` and
  ``heatmap_size``, ``estimate(frame) -> EstimatorOutput | None``, ``reset()`` — and drives
  pipelines without a model file.
* ``ema`` (``--model ema``): a causal exponential moving average over keypoint coordinates,
  following the refiner contract (``input_space = "coords"``, ``causal``, the uniform factory
  arguments ``num_keypoints``, ``window``, ``heatmap_size``).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from tempose.estimators import Estimator, EstimatorOutput
from tempose.heatmaps import box_to_affine, render

# (x, y) in the person box, as fractions: ClimbAlong order, the person facing the camera
# (their left on the image's right).
_LAYOUT = np.array([
    [0.50, 0.06], [0.56, 0.05], [0.44, 0.05], [0.64, 0.18], [0.36, 0.18], [0.72, 0.32], [0.28, 0.32],
    [0.76, 0.46], [0.24, 0.46], [0.78, 0.50], [0.22, 0.50], [0.77, 0.51], [0.23, 0.51], [0.74, 0.49],
    [0.26, 0.49], [0.58, 0.52], [0.42, 0.52], [0.60, 0.72], [0.40, 0.72], [0.60, 0.92], [0.40, 0.92],
    [0.58, 0.95], [0.42, 0.95], [0.64, 0.97], [0.36, 0.97],
])  # fmt: skip


class StickFigure(Estimator):
    """A fixed upright stick figure in the middle half of the frame (for pipelines and demos)."""

    keypoint_set = "climbalong"
    heatmap_size = (32, 32)

    def __init__(self, sigma: float = 1.0) -> None:
        self.sigma = sigma

    def estimate(self, frame_rgb: np.ndarray) -> EstimatorOutput | None:
        h, w = frame_rgb.shape[:2]
        size = self.heatmap_size
        heatmaps = render(torch.from_numpy(_LAYOUT * (size[1] - 1)), size, self.sigma).numpy()
        box = np.array([0.25 * w, 0.1 * h, 0.75 * w, 0.9 * h])
        return EstimatorOutput(heatmaps, box_to_affine(box, size, span="size-1").astype(np.float32), score=1.0)


class EMA(nn.Module):
    """``y_t = α·x_t + (1 − α)·y_{t−1}`` per keypoint; a missing input holds the last output.

    Shape:
        ``xy (B, T, K, 2)``, ``valid (B, T, K)`` → ``(B, T, K, 2)`` (NaN before the first detection).
    """

    input_space = "coords"
    causal = True

    def __init__(self, alpha: float = 0.5) -> None:
        super().__init__()
        self.alpha = alpha

    def forward(self, xy: torch.Tensor, valid: torch.Tensor | None = None) -> torch.Tensor:
        ok = torch.isfinite(xy).all(-1) if valid is None else valid.bool() & torch.isfinite(xy).all(-1)
        out = torch.full_like(xy, float("nan"))
        state = torch.full_like(xy[:, 0], float("nan"))
        for t in range(xy.shape[1]):
            blended = torch.where(torch.isnan(state), xy[:, t], self.alpha * xy[:, t] + (1 - self.alpha) * state)
            state = torch.where(ok[:, t, :, None], blended, state)
            out[:, t] = state
        return out


def ema(num_keypoints: int = 25, window: int = 5, heatmap_size: tuple[int, int] = (56, 56),
        alpha: float = 0.5) -> EMA:  # fmt: skip
    """Causal exponential moving average of coordinates (shape arguments accepted, unused)."""
    return EMA(alpha)
