"""3DConv (thesis §6.1): one Conv3d over (time, rows, cols) with keypoints as channels, then ReLU."""

from __future__ import annotations

import torch
from torch import nn

from tempose.models import MODELS
from tempose.models._init import xavier_init_


class Conv3dRefiner(nn.Module):
    """``Conv3d(K → K, kernel (T, k, k), padding "same")`` followed by ReLU.

    Each of the K filters sees all keypoints over the whole window, so it learns a per-keypoint
    temporal weighting (78,150 parameters for K=25, T=5, k=5).

    Speed: the convolution runs in ``channels_last_3d`` memory (keypoints innermost), which oneDNN
    runs ≈1.5× faster on CPU than the default layout; the output is a permuted view in that
    layout (use ``.contiguous()`` if a dense ``(B, T, K, H, W)`` tensor is needed).

    Shape:
        ``(B, T, K, H, W)`` → ``(B, T, K, H, W)``.
    """

    input_space = "heatmaps"
    causal = False

    def __init__(self, num_keypoints: int = 25, window: int = 5, kernel_size: int = 5) -> None:
        super().__init__()
        self.conv = nn.Conv3d(num_keypoints, num_keypoints, (window, kernel_size, kernel_size), padding="same")
        xavier_init_(self)
        self.conv.to(memory_format=torch.channels_last_3d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # (B, T, K, H, W) → (B, K, T, H, W) with K innermost in memory, conv, ReLU, and back.
        x = x.permute(0, 2, 1, 3, 4).contiguous(memory_format=torch.channels_last_3d)
        return torch.relu_(self.conv(x)).permute(0, 2, 1, 3, 4)


@MODELS.register("conv3d")
def conv3d(
    num_keypoints: int = 25, window: int = 5, heatmap_size: tuple[int, int] = (56, 56), kernel_size: int = 5
) -> Conv3dRefiner:
    """The thesis's 3DConv; works for any heatmap size (``heatmap_size`` is not needed)."""
    return Conv3dRefiner(num_keypoints, window, kernel_size)
