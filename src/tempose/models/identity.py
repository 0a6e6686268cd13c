"""The identity refiner: returns its input — the raw frame-wise estimator baseline."""

from __future__ import annotations

import torch
from torch import nn

from tempose.models import MODELS


class Identity(nn.Module):
    """Heatmaps in, the same heatmaps out (no parameters).

    Shape:
        ``(B, T, K, H, W)`` → ``(B, T, K, H, W)`` (the input tensor itself).
    """

    input_space = "heatmaps"
    causal = True

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


@MODELS.register("identity")
def identity(num_keypoints: int = 25, window: int = 5, heatmap_size: tuple[int, int] = (56, 56)) -> Identity:
    """The raw estimator baseline; the shape arguments are accepted for a uniform interface."""
    return Identity()
