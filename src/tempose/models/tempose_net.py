"""TemposeNet: heatmaps in, sub-pixel keypoint coordinates out, through a small temporal conv net.

Each heatmap is reduced to a handful of numbers first (position, confidence, spread), so the
network never convolves over pixels: it mixes all keypoints of a frame (skeleton structure,
left/right swaps) and looks along time with dilated 1-D convolutions, then adds a residual to the
sub-pixel input position. Every frame of the window is denoised. ``tempose_net_causal`` pads only
on the past side, so frame t's output depends on frames ≤ t (latency 0 frames online).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from tempose.models import MODELS

NUM_FEATURES = 5  # x, y (normalised), found, log peak fraction, local spread


def heatmap_features(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per-map summary of ``(..., H, W)`` non-negative heatmaps: sub-pixel position, found flag, features.

    The position is the argmax refined by the centre of mass of the non-negative 3×3 neighbourhood
    (cheap: nine gathered values per map). Confidence is the peak's share of the map's mass, the
    spread the neighbourhood's RMS radius; both tell a sharp detection from a smeared one.

    Returns:
        ``xy`` ``(..., 2)`` (x, y) heatmap pixels, ``found`` ``(...)`` bool (the map has a
        positive value) and ``features`` ``(..., 5)``: x and y scaled to [-1, 1], found,
        log peak fraction and spread (zeros where nothing was found).
    """
    h, w = x.shape[-2:]
    flat = x.detach().float().reshape(*x.shape[:-2], h * w)
    mass = flat.sum(-1)  # model inputs are preprocessed, hence non-negative (no clamped copy)
    peak, idx = flat.max(-1)
    row = torch.div(idx, w, rounding_mode="floor")
    col = idx - row * w
    d = torch.tensor([-1, 0, 1], device=x.device)
    rr = (row[..., None] + d).clamp(0, h - 1)  # (..., 3)
    cc = (col[..., None] + d).clamp(0, w - 1)
    nb = flat.gather(-1, (rr[..., :, None] * w + cc[..., None, :]).flatten(-2)).unflatten(-1, (3, 3)).clamp_min(0)
    # positions repeated at the border count once: zero the clamped duplicates
    nb = nb * ((row[..., None] + d >= 0) & (row[..., None] + d < h))[..., :, None]
    nb = nb * ((col[..., None] + d >= 0) & (col[..., None] + d < w))[..., None, :]
    local = nb.sum((-2, -1)).clamp_min(1e-12)
    df = d.to(flat.dtype)
    dy = (nb.sum(-1) * df).sum(-1) / local
    dx = (nb.sum(-2) * df).sum(-1) / local
    var = (nb * (df[:, None] ** 2 + df[None, :] ** 2)).sum((-2, -1)) / local - dx**2 - dy**2
    found = peak > 0
    xy = torch.stack([col + dx, row + dy], -1) * found[..., None]
    scale = torch.tensor([w, h], dtype=flat.dtype, device=x.device)
    pos = (2 * xy + 1) / scale - 1
    conf = torch.log(peak / mass.clamp_min(1e-12) + 1e-4)
    f = found.to(flat.dtype)
    features = torch.cat([pos * f[..., None], f[..., None], conf[..., None] * f[..., None],
                          var.clamp_min(0).sqrt()[..., None] * f[..., None]], -1)  # fmt: skip
    return xy, found, features


class _ChannelNorm(nn.Module):
    """LayerNorm over channels at each time step (never mixes frames, so it stays causal)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(x.transpose(1, 2)).transpose(1, 2)


class _TemporalBlock(nn.Module):
    """Pre-norm residual block: norm → dilated temporal conv → GELU → 1×1 conv, edge-replicate padding."""

    def __init__(self, channels: int, kernel_size: int, dilation: int, causal: bool, dropout: float) -> None:
        super().__init__()
        reach = dilation * (kernel_size - 1)
        self.pad = (reach, 0) if causal else (reach // 2, reach - reach // 2)
        self.norm = _ChannelNorm(channels)
        self.conv = nn.Conv1d(channels, channels, kernel_size, dilation=dilation)
        self.mix = nn.Conv1d(channels, channels, 1)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.pad(self.norm(x), self.pad, mode="replicate")
        return x + self.drop(self.mix(F.gelu(self.conv(y))))


class TemposeNet(nn.Module):
    """Heatmaps ``(B, T, K, H, W)`` → keypoints ``(B, T, K, 2)`` (x, y heatmap pixels).

    :func:`heatmap_features` turns each map into 5 numbers; a 1×1 stem mixes the ``5·K`` numbers of
    a frame into ``width`` channels; ``len(dilations)`` residual blocks of kernel ``kernel_size``
    look along time (receptive field ``1 + (k − 1)·Σ dilations`` frames, any T works); a 1×1 head
    predicts a per-keypoint offset in pixels that is added to a base: the sub-pixel input
    positions averaged over ``smooth_size`` frames with a learned kernel (initialised to a
    Gaussian of ``smooth_sigma`` frames; gaps renormalised). The head starts at zero, so the
    untrained model is that Gaussian smoother; training learns what a filter cannot (skeleton
    structure, motion, confidence).

    ``loss`` is the L1 coordinate loss on present, provided keypoints (``target_xy``, ``visible``,
    ``loss_mask`` of the samples) plus ``velocity_weight`` × the L1 loss on frame-to-frame motion.
    """

    input_space = "heatmaps"
    output_space = "coords"
    causal = False

    def __init__(
        self,
        num_keypoints: int = 25,
        heatmap_size: tuple[int, int] = (56, 56),
        width: int = 96,
        dilations: tuple[int, ...] = (1, 2, 4, 8),
        kernel_size: int = 3,
        dropout: float = 0.0,
        velocity_weight: float = 0.5,
        smooth_size: int = 15,
        smooth_sigma: float = 3.0,
    ) -> None:
        super().__init__()
        self.num_keypoints = num_keypoints
        self.velocity_weight = velocity_weight
        # the residual's base: a learned normalised temporal kernel over the detected input positions,
        # initialised to a Gaussian of ``smooth_sigma`` frames (one-sided for the causal variant)
        taps = torch.arange(smooth_size, dtype=torch.float32) - (smooth_size - 1 if self.causal else smooth_size // 2)
        self.smooth_logits = nn.Parameter(-0.5 * (taps / smooth_sigma) ** 2)
        self.stem = nn.Conv1d(NUM_FEATURES * num_keypoints, width, 1)
        self.blocks = nn.Sequential(
            *(_TemporalBlock(width, kernel_size, d, self.causal, dropout) for d in dilations)
        )
        self.norm = _ChannelNorm(width)
        self.head = nn.Conv1d(width, 2 * num_keypoints, 1)
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)
        self.register_buffer("px", torch.tensor([heatmap_size[1], heatmap_size[0]], dtype=torch.float32) / 4,
                             persistent=False)  # fmt: skip

    @property
    def receptive_field(self) -> int:
        """Frames that influence one output frame."""
        convs = 1 + sum(b.conv.dilation[0] * (b.conv.kernel_size[0] - 1) for b in self.blocks)
        return max(convs, self.smooth_logits.numel())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.refine(*heatmap_features(x))

    def refine(self, xy: torch.Tensor, found: torch.Tensor, feats: torch.Tensor) -> torch.Tensor:
        """The network on :func:`heatmap_features` outputs ``(B, T, K, ·)`` (lets training reuse
        features computed once per sequence)."""
        b, t, k = xy.shape[:3]
        base = self.smooth(xy, found)
        z = self.stem(feats.reshape(b, t, k * NUM_FEATURES).transpose(1, 2))
        z = self.head(F.gelu(self.norm(self.blocks(z))))
        offset = z.transpose(1, 2).reshape(b, t, k, 2)
        return base + offset * self.px

    def smooth(self, xy: torch.Tensor, found: torch.Tensor) -> torch.Tensor:
        """Detected positions ``(B, T, K, 2)`` averaged over time with the learned kernel (gaps
        renormalised); the frame's mean detected position where no detection is in reach."""
        b, t, k = xy.shape[:3]
        f = found[..., None].to(xy.dtype)
        z = torch.cat([xy * f, f], -1).permute(0, 2, 3, 1).reshape(b, 3 * k, t)
        size = self.smooth_logits.numel()
        pad = (size - 1, 0) if self.causal else (size // 2, size - 1 - size // 2)
        w = torch.softmax(self.smooth_logits, 0).expand(3 * k, 1, size)  # tap j ↔ offset j − pad[0]
        z = F.conv1d(F.pad(z, pad, mode="replicate"), w, groups=3 * k).reshape(b, k, 3, t).permute(0, 3, 1, 2)
        mean = (xy * f).sum(2, keepdim=True) / f.sum(2, keepdim=True).clamp_min(1)
        den = z[..., 2:]
        return torch.where(den > 1e-6, z[..., :2] / den.clamp_min(1e-6), mean)

    def loss(self, pred: torch.Tensor, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """L1 position + velocity loss in heatmap pixels over present, provided keypoints."""
        target = batch["target_xy"].to(pred.dtype)
        mask = (batch["visible"] & batch["loss_mask"][:, None, :]).to(pred.dtype)[..., None]
        pos = ((pred - target).abs() * mask).sum() / (2 * mask.sum()).clamp_min(1)
        if self.velocity_weight == 0 or pred.shape[1] < 2:
            return pos
        vmask = mask[:, 1:] * mask[:, :-1]
        vel = (((pred[:, 1:] - pred[:, :-1]) - (target[:, 1:] - target[:, :-1])).abs() * vmask).sum()
        return pos + self.velocity_weight * vel / (2 * vmask.sum()).clamp_min(1)


class TemposeNetCausal(TemposeNet):
    """:class:`TemposeNet` with past-only padding: online, latency 0 frames."""

    causal = True


def _build(cls: type[TemposeNet], num_keypoints: int, heatmap_size: tuple[int, int], **params) -> TemposeNet:
    if "dilations" in params:
        params["dilations"] = tuple(params["dilations"])
    return cls(num_keypoints=num_keypoints, heatmap_size=tuple(heatmap_size), **params)


@MODELS.register("tempose_net")
def tempose_net(
    num_keypoints: int = 25, window: int = 17, heatmap_size: tuple[int, int] = (56, 56), **params
) -> TemposeNet:
    """TemposeNet (offline, centred receptive field). Works for any window; 17 is its training length."""
    return _build(TemposeNet, num_keypoints, heatmap_size, **params)


@MODELS.register("tempose_net_causal")
def tempose_net_causal(
    num_keypoints: int = 25, window: int = 17, heatmap_size: tuple[int, int] = (56, 56), **params
) -> TemposeNetCausal:
    """TemposeNet with causal convolutions (frame t sees frames ≤ t)."""
    return _build(TemposeNetCausal, num_keypoints, heatmap_size, **params)
