"""TemposeNet: heatmaps in, sub-pixel keypoint coordinates out, through a small temporal conv net.

A light convolution over each frame's maps (the *map front end*, initialised to the identity) first
reshapes the estimator's heatmaps with the other keypoints' maps nearby (±2 pixels densely, ±6
pixels on a grid 3 pixels apart) — it can make the right mode of a multi-modal map win. Each map
is then reduced to a handful of numbers (position, confidence, spread), and the temporal network
works on those: it mixes all keypoints of a frame (skeleton structure, left/right swaps) and looks
along time with dilated 1-D convolutions, then adds a residual to the sub-pixel input position.
Every frame of the window is denoised. ``tempose_net_causal`` pads only on the past side, so
frame t's output depends on frames ≤ t (latency 0 frames online).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from tempose.heatmaps import DEFAULT_SCALE, render, render_profiles
from tempose.models import MODELS

_NEIGHBOURS = torch.tensor([-1, 0, 1])


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
    rr = (row[..., None] + _NEIGHBOURS.to(x.device)).clamp(0, h - 1)  # (..., 3)
    cc = (col[..., None] + _NEIGHBOURS.to(x.device)).clamp(0, w - 1)
    nb = flat.gather(-1, (rr[..., :, None] * w + cc[..., None, :]).flatten(-2)).unflatten(-1, (3, 3))
    return _summarise(row, col, nb.clamp_min(0), peak, mass, (h, w))


def rendered_features(
    xy: torch.Tensor, sigma: torch.Tensor | float, visible: torch.Tensor, size: tuple[int, int]
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """:func:`heatmap_features` of ``render(xy, size, sigma, visible)`` without rendering the maps.

    A rendered map is the outer product of two 1-D profiles (:func:`tempose.heatmaps.render_profiles`),
    so its argmax, 3×3 neighbourhood, peak and mass come from the profiles: training on synthetic
    noise can draw fresh noise for every epoch at almost no cost.
    """
    h, w = size
    prof_r, prof_c = render_profiles(xy, size, sigma, visible)
    row, col = prof_r.argmax(-1), prof_c.argmax(-1)
    nr = prof_r.gather(-1, (row[..., None] + _NEIGHBOURS).clamp(0, h - 1))
    nc = prof_c.gather(-1, (col[..., None] + _NEIGHBOURS).clamp(0, w - 1))
    nb = (nr[..., :, None] * nc[..., None, :]).float()
    peak = (prof_r.max(-1).values * prof_c.max(-1).values).float()
    mass = (prof_r.sum(-1) * prof_c.sum(-1)).float()
    return _summarise(row, col, nb, peak, mass, size)


def _summarise(row, col, nb, peak, mass, size: tuple[int, int]):
    """The features of :func:`heatmap_features` from each map's argmax cell, clamped 3×3
    neighbourhood ``(..., 3, 3)``, peak and mass."""
    h, w = size
    d = _NEIGHBOURS.to(row.device)
    # positions repeated at the border count once: zero the clamped duplicates
    nb = nb * ((row[..., None] + d >= 0) & (row[..., None] + d < h))[..., :, None]
    nb = nb * ((col[..., None] + d >= 0) & (col[..., None] + d < w))[..., None, :]
    local = nb.sum((-2, -1)).clamp_min(1e-12)
    df = d.to(nb.dtype)
    dy = (nb.sum(-1) * df).sum(-1) / local
    dx = (nb.sum(-2) * df).sum(-1) / local
    var = (nb * (df[:, None] ** 2 + df[None, :] ** 2)).sum((-2, -1)) / local - dx**2 - dy**2
    found = peak > 0
    xy = torch.stack([col + dx, row + dy], -1) * found[..., None]
    scale = torch.tensor([w, h], dtype=nb.dtype, device=nb.device)
    pos = (2 * xy + 1) / scale - 1
    conf = torch.log(peak / mass.clamp_min(1e-12) + 1e-4)
    f = found.to(nb.dtype)
    features = torch.cat([pos * f[..., None], f[..., None], conf[..., None] * f[..., None],
                          var.clamp_min(0).sqrt()[..., None] * f[..., None]], -1)  # fmt: skip
    return xy, found, features


class MapFrontEnd(nn.Module):
    """A ``K → K`` convolution over (time, y, x) of the heatmaps, initialised to the identity.

    It sees every keypoint's map in a small neighbourhood, so it can learn an estimator's habits —
    suppress a wrong mode of a multi-modal wrist map where no elbow or hand supports it, move a
    biased peak — which a model that starts from each map's decoded peak cannot. Trained by the
    heatmap loss of :meth:`TemposeNet.loss` (σ = 1 target maps, as the thesis's heatmap models).
    With ``context`` = d > 0 a second, zero-initialised convolution of the same kernel spaced d
    pixels apart adds a wider view (± d·(k−1)/2 pixels; as many multiplications as the dense
    convolution): a mode that far from its keypoint's other evidence can be suppressed. Edges are
    replicated in time (past-only when causal) and zero in space; the output is clamped at 0
    (heatmaps stay non-negative).
    """

    def __init__(self, keypoints: int, kernel: tuple[int, int, int], causal: bool, context: int = 0) -> None:
        super().__init__()
        kt, kh, kw = kernel
        if kt < 1 or kh % 2 == 0 or kw % 2 == 0 or (not causal and kt % 2 == 0):
            raise ValueError(f"map_kernel {kernel}: spatial sizes (and the temporal one unless causal) must be odd")
        if context < 0:
            raise ValueError(f"map_context {context}: a dilation ≥ 1, or 0 for none")
        self.time_pad = (kt - 1, 0) if causal else (kt // 2, kt // 2)
        self.conv = nn.Conv3d(keypoints, keypoints, kernel, padding=(0, kh // 2, kw // 2))
        self.context = None
        if context:
            reach = (0, context * (kh // 2), context * (kw // 2))
            self.context = nn.Conv3d(keypoints, keypoints, kernel, padding=reach, dilation=(1, context, context),
                                     bias=False)  # fmt: skip
            nn.init.zeros_(self.context.weight)
        centre = (kt - 1 if causal else kt // 2, kh // 2, kw // 2)
        with torch.no_grad():
            self.conv.weight.zero_()
            self.conv.bias.zero_()
            self.conv.weight[(torch.arange(keypoints), torch.arange(keypoints), *centre)] = 1.0

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, T, K, H, W)
        z = F.pad(x.transpose(1, 2), (0, 0, 0, 0, *self.time_pad), mode="replicate")  # (B, K, T', H, W)
        y = self.conv(z) if self.context is None else self.conv(z) + self._wide(z)
        return F.relu(y).transpose(1, 2)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs) -> None:
        # a checkpoint from before the context branch existed computed what a zero branch computes
        if self.context is not None:
            state_dict.setdefault(f"{prefix}context.weight", torch.zeros_like(self.context.weight))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def _wide(self, z: torch.Tensor) -> torch.Tensor:
        """``self.context(z)`` computed as a dense convolution of each of the d×d interleaved
        sub-grids (pixels d apart): the same numbers, 1.1–1.6× faster than a dilated convolution
        in our CPU measurements. The grid is zero-padded to a multiple of d, which is what the padding adds anyway."""
        d = self.context.dilation[1]
        b, k, t, h, w = z.shape
        hd, wd = -(-h // d), -(-w // d)
        z = F.pad(z, (0, wd * d - w, 0, hd * d - h)).reshape(b, k, t, hd, d, wd, d)
        z = z.permute(0, 4, 6, 1, 2, 3, 5).reshape(b * d * d, k, t, hd, wd)
        kh, kw = self.context.kernel_size[1:]
        y = F.conv3d(z, self.context.weight, padding=(0, kh // 2, kw // 2))
        y = y.reshape(b, d, d, k, -1, hd, wd).permute(0, 3, 4, 5, 1, 6, 2).reshape(b, k, -1, hd * d, wd * d)
        return y[..., :h, :w]


class _ChannelNorm(nn.Module):
    """LayerNorm over channels at every keypoint and time step (never mixes frames: stays causal)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, C, K, T)
        return self.norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class _Block(nn.Module):
    """Two pre-norm residual steps on ``(B, C, K, T)``: a dilated temporal conv shared by all
    keypoints (edge-replicate padding, past-only when causal), then a mixing of the keypoints of
    each frame (one learned ``K×K`` matrix shared by all channels: skeleton structure, left/right).

    Only keypoints detected in that frame are mixed in, and the mixing starts at zero: a keypoint
    a pretraining source never has (Penn Action has no ears, fingers, heels or toes) then adds
    nothing to the others until finetuning on data that has it learns how it should.
    """

    def __init__(self, channels: int, keypoints: int, kernel_size: int, dilation: int, causal: bool,
                 dropout: float) -> None:  # fmt: skip
        super().__init__()
        reach = dilation * (kernel_size - 1)
        self.pad = ((reach, 0) if causal else (reach // 2, reach - reach // 2)) + (0, 0)  # (time, keypoints)
        self.norm = _ChannelNorm(channels)
        self.conv = nn.Conv2d(channels, channels, (1, kernel_size), dilation=(1, dilation))
        self.mix = nn.Conv2d(channels, channels, 1)
        self.drop = nn.Dropout(dropout)
        self.keypoint_norm = _ChannelNorm(channels)
        self.keypoint_mix = nn.Linear(keypoints, keypoints)
        nn.init.zeros_(self.keypoint_mix.weight)
        nn.init.zeros_(self.keypoint_mix.bias)

    def forward(self, x: torch.Tensor, found: torch.Tensor) -> torch.Tensor:
        """``x`` ``(B, C, K, T)``; ``found`` ``(B, 1, K, T)`` 1 where the keypoint was detected."""
        y = F.pad(self.norm(x), self.pad, mode="replicate")
        x = x + self.drop(self.mix(F.gelu(self.conv(y))))
        y = self.keypoint_mix((self.keypoint_norm(x) * found).transpose(2, 3)).transpose(2, 3)
        return x + self.drop(y)


class TemposeNet(nn.Module):
    """Heatmaps ``(B, T, K, H, W)`` → keypoints ``(B, T, K, 2)`` (x, y heatmap pixels).

    0. The :class:`MapFrontEnd` (``map_kernel``, with a context branch of dilation
       ``map_context``, 0 for none; an empty kernel, ``()``, leaves it out) reshapes the maps;
       it starts as the identity, so the fast pretraining on synthetic maps, which only
       reads the maps' features, leaves it there and finetuning on an estimator's real maps
       teaches it.
    1. :func:`heatmap_features` turns each map into a sub-pixel position, a found flag, a
       confidence and a spread.
    2. A base trajectory: the found positions averaged over ``smooth_size`` frames with a learned
       kernel (initialised to a Gaussian of ``smooth_sigma`` frames; gaps renormalised).
    3. A network sees only *relative* numbers per keypoint and frame — the detection's distance to
       the base, the base's velocity, found, confidence, spread, in units of ``grid/14`` — so it
       cannot memorise where people stand and works the same anywhere in the box.
       ``len(dilations)`` blocks alternate a dilated temporal conv shared by all keypoints
       (receptive field ``1 + (k − 1)·Σ dilations`` frames, any T works) with a zero-initialised
       mixing of the keypoints detected in a frame; a learned per-keypoint embedding lets wrists
       differ from hips.
    4. A zero-initialised head adds an offset to the base, so the untrained model is the Gaussian
       smoother and training learns what a filter cannot (motion, skeleton, confidence).

    ``loss`` is the L1 coordinate loss on present, provided keypoints (``target_xy``, ``visible``,
    ``loss_mask`` of the samples) plus ``velocity_weight`` × the L1 loss on frame-to-frame motion,
    plus, while training the front end, ``map_weight`` × its heatmap loss.
    """

    input_space = "heatmaps"
    output_space = "coords"
    causal = False
    num_inputs = 7  # relative x, y; base velocity x, y; found; log peak fraction; spread

    def __init__(
        self,
        num_keypoints: int = 25,
        heatmap_size: tuple[int, int] = (56, 56),
        width: int = 64,
        dilations: tuple[int, ...] = (1, 2, 4, 8),
        kernel_size: int = 3,
        dropout: float = 0.0,
        velocity_weight: float = 0.5,
        smooth_size: int = 15,
        smooth_sigma: float = 3.0,
        map_kernel: tuple[int, ...] = (1, 5, 5),
        map_context: int = 3,
        map_weight: float = 0.02,
        map_lr: float = 1e-3,
    ) -> None:
        super().__init__()
        self.num_keypoints = num_keypoints
        self.velocity_weight = velocity_weight
        self.map_weight = map_weight
        self.map_lr = map_lr
        self.front = MapFrontEnd(num_keypoints, tuple(map_kernel), self.causal, map_context) if map_kernel else None
        self._train_maps: torch.Tensor | None = None  # the front end's output of the last forward, for ``loss``
        # the residual's base: a learned normalised temporal kernel over the detected input positions,
        # initialised to a Gaussian of ``smooth_sigma`` frames (one-sided for the causal variant)
        taps = torch.arange(smooth_size, dtype=torch.float32) - (smooth_size - 1 if self.causal else smooth_size // 2)
        self.smooth_logits = nn.Parameter(-0.5 * (taps / smooth_sigma) ** 2)
        self.stem = nn.Conv2d(self.num_inputs, width, 1)
        self.keypoint_embedding = nn.Parameter(torch.zeros(width, num_keypoints, 1))
        self.blocks = nn.ModuleList(
            _Block(width, num_keypoints, kernel_size, d, self.causal, dropout) for d in dilations
        )
        self.norm = _ChannelNorm(width)
        self.head = nn.Conv2d(width, 2, 1)
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)
        self.unit = max(heatmap_size) / 14  # 4 px on the thesis's 56×56 grid

    @property
    def receptive_field(self) -> int:
        """Frames that influence one output frame."""
        convs = 1 + sum(b.conv.dilation[1] * (b.conv.kernel_size[1] - 1) for b in self.blocks)
        return max(convs, self.smooth_logits.numel())

    def parameter_groups(self, lr: float) -> list[tuple[list[nn.Parameter], float]]:
        """``(parameters, learning rate)`` for the optimiser, given the run's ``lr``: the front end
        starts from the identity — it is trained from scratch even when the rest is finetuned at a
        small ``lr`` — so it always gets ``map_lr`` (the thesis's from-scratch rate, 1e-3)."""
        front = [q for n, q in self.named_parameters() if n.startswith("front.")]
        rest = [q for n, q in self.named_parameters() if not n.startswith("front.")]
        return [(rest, lr), (front, self.map_lr)] if front else [(rest, lr)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.front is not None:
            x = self.front(x)
            # kept only while gradients are on (training): the heatmap loss needs the maps, evaluation does not
            self._train_maps = x if torch.is_grad_enabled() and x.requires_grad else None
        return self.refine(*heatmap_features(x))

    def refine(self, xy: torch.Tensor, found: torch.Tensor, feats: torch.Tensor) -> torch.Tensor:
        """The network on :func:`heatmap_features` outputs ``(B, T, K, ·)`` (lets training reuse
        features computed once per sequence)."""
        base = self.smooth(xy, found)
        f = found[..., None].to(xy.dtype)
        rel = (xy - base) / self.unit * f
        if self.causal:  # backward difference: frame t never sees t + 1
            vel = torch.cat([torch.zeros_like(base[:, :1]), base[:, 1:] - base[:, :-1]], 1)
        else:
            padded = torch.cat([base[:, :1], base, base[:, -1:]], 1)
            vel = (padded[:, 2:] - padded[:, :-2]) / 2
        z = torch.cat([rel, vel / self.unit, feats[..., 2:]], -1).permute(0, 3, 2, 1)  # (B, 7, K, T)
        z = self.stem(z) + self.keypoint_embedding
        detected = f.permute(0, 3, 2, 1)  # (B, 1, K, T)
        for block in self.blocks:
            z = block(z, detected)
        offset = self.head(F.gelu(self.norm(z))).permute(0, 3, 2, 1)  # (B, T, K, 2)
        return base + offset * self.unit

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
        """L1 position + velocity loss in heatmap pixels over present, provided keypoints; while the
        front end trains, plus ``map_weight`` × :meth:`map_loss` of the maps of that forward pass."""
        target = batch["target_xy"].to(pred.dtype)
        mask = (batch["visible"] & batch["loss_mask"][:, None, :]).to(pred.dtype)[..., None]
        loss = ((pred - target).abs() * mask).sum() / (2 * mask.sum()).clamp_min(1)
        if self.velocity_weight and pred.shape[1] > 1:
            vmask = mask[:, 1:] * mask[:, :-1]
            vel = (((pred[:, 1:] - pred[:, :-1]) - (target[:, 1:] - target[:, :-1])).abs() * vmask).sum()
            loss = loss + self.velocity_weight * vel / (2 * vmask.sum()).clamp_min(1)
        maps, self._train_maps = self._train_maps, None
        if maps is not None and self.map_weight and maps.shape[:3] == pred.shape[:3]:
            loss = loss + self.map_weight * self.map_loss(maps, batch)
        return loss

    @staticmethod
    def map_loss(maps: torch.Tensor, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Squared error of the maps against σ = 1 maps at ``target_xy`` (the thesis's finetuning
        targets), summed over pixels, averaged over the present, provided keypoints' maps, in units
        of a unit-mass map (a σ = 1 Gaussian's energy is 1/4π). The front end learns from this term
        alone (the features are read from detached maps), so its weight only sets how much it adds
        to the loss that early stopping and the learning-rate schedule watch."""
        mask = batch["visible"] & batch["loss_mask"][:, None, :]
        target = render(batch["target_xy"], tuple(maps.shape[-2:]), 1.0, visible=mask)
        err = ((maps - target.to(maps.dtype)) / DEFAULT_SCALE).square().sum((-2, -1))
        return (err * mask).sum() / mask.sum().clamp_min(1)


class TemposeNetCausal(TemposeNet):
    """:class:`TemposeNet` with past-only padding: online, latency 0 frames."""

    causal = True


def _build(cls: type[TemposeNet], num_keypoints: int, heatmap_size: tuple[int, int], **params) -> TemposeNet:
    for key in ("dilations", "map_kernel"):
        if params.get(key) is not None:
            params[key] = tuple(params[key])
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
