"""DeciWatch on argmax coordinates, as the thesis adapted it (spec §6.4; Zeng et al. 2022).

Sample → denoise → recover on a window of T poses flattened to 2K numbers (x, y per keypoint):

1. **Sample** frames 0, n, 2n, … (``sample_rate`` n; ``(T − 1) % n == 0``): with T=5, n=4 the model
   sees only frames 0 and 4 (the thesis); n=1 denoises every frame.
2. **DenoiseNet**: Linear 2K→d plus a sine positional embedding, a post-norm Transformer encoder
   (``layers`` layers, ``heads`` heads, feed-forward ``ff``, dropout, LeakyReLU, final LayerNorm) whose
   attention mask is the identity — a sampled token never attends to itself (official DeciWatch
   code) — then Linear d→2K plus a residual to the sampled poses.
3. **RecoverNet**: linear interpolation (align_corners) of the denoised poses back to T frames,
   Conv1d 2K→d (kernel 5) over time plus the positional embedding, a post-norm Transformer decoder
   (same sizes, no masks, final LayerNorm) cross-attending to the encoder output plus its positional
   embedding, then Linear d→2K plus a residual to the interpolated poses.

The decoder's feed-forward activation is **ReLU** by default: the thesis code asked for LeakyReLU,
but ``nn.TransformerDecoder`` deep-copies its layer and ``TransformerDecoderLayer.__setstate__``
replaces an activation *module* by ``F.relu`` (the encoder keeps LeakyReLU), so ReLU is what the
reported runs computed. ``decoder_activation="leaky_relu"`` gives the intended variant.

The positional embedding is the thesis's ``PositionEmbeddingSine_1D(d/2)``: positions scaled to
[0, 2π] over the tokens, ``sin``/``cos`` interleaved with frequencies 10000^(−2j/(d/2)) for
j < d/2 (a quirk of that code kept as is). Missing keypoints are (0, 0) as in the thesis; ``valid``
is ignored. 1,708,388 parameters for K=25.

Fast path (same function): batch-first tensors, one fused q/k/v projection per attention block and
``scaled_dot_product_attention``, the interpolation as one precomputed (T × S) matrix product,
positional embeddings and masks precomputed as buffers. Parameter names equal those of
``nn.TransformerEncoder``/``nn.TransformerDecoder``, so their weights load directly.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from tempose.errors import InputError
from tempose.models import MODELS
from tempose.models._init import xavier_init_


def sine_embedding(num_tokens: int, dim: int) -> torch.Tensor:
    """``(num_tokens, dim)`` thesis sine positional embedding (positions spread over [0, 2π])."""
    half = dim // 2
    denom = 10000 ** (2 * torch.arange(half, dtype=torch.float64) / half)
    pos = torch.arange(num_tokens, dtype=torch.float64)
    pos = pos / (pos[-1] + 1e-6) * 2 * math.pi
    emb = torch.zeros(num_tokens, 2 * half, dtype=torch.float64)
    emb[:, 0::2] = torch.sin(pos[:, None] / denom)
    emb[:, 1::2] = torch.cos(pos[:, None] / denom)
    return emb.float()


def interpolation_matrix(num_out: int, num_in: int) -> torch.Tensor:
    """``(num_out, num_in)`` weights of 1-D linear interpolation with ``align_corners=True``."""
    eye = torch.eye(num_in, dtype=torch.float64).unsqueeze(0)  # each input sample as a signal
    return F.interpolate(eye, size=num_out, mode="linear", align_corners=True)[0].T.float()


class _Attention(nn.Module):
    """Multi-head attention with ``nn.MultiheadAttention``'s parameter names and math."""

    def __init__(self, dim: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.heads = heads
        self.dropout = dropout
        self.in_proj_weight = nn.Parameter(torch.empty(3 * dim, dim))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * dim))
        self.out_proj = nn.Linear(dim, dim)
        nn.init.zeros_(self.out_proj.bias)

    def _split(self, x: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        return x.view(b, n, self.heads, d // self.heads).transpose(1, 2)

    def forward(self, query: torch.Tensor, memory: torch.Tensor | None = None, mask=None) -> torch.Tensor:
        """Self-attention when ``memory`` is None, else cross-attention; ``mask`` True = may attend."""
        b, n, d = query.shape
        if memory is None:
            q, k, v = F.linear(query, self.in_proj_weight, self.in_proj_bias).chunk(3, dim=-1)
        else:
            q = F.linear(query, self.in_proj_weight[:d], self.in_proj_bias[:d])
            k, v = F.linear(memory, self.in_proj_weight[d:], self.in_proj_bias[d:]).chunk(2, dim=-1)
        p = self.dropout if self.training else 0.0
        out = F.scaled_dot_product_attention(self._split(q), self._split(k), self._split(v), mask, p)
        return self.out_proj(out.transpose(1, 2).reshape(b, n, d))


_ACTIVATIONS = {"relu": F.relu, "leaky_relu": F.leaky_relu}


class _Layer(nn.Module):
    """Post-norm Transformer layer (encoder, or decoder with ``cross``), LeakyReLU feed-forward."""

    def __init__(self, dim: int, heads: int, ff: int, dropout: float, cross: bool, activation: str) -> None:
        super().__init__()
        self.activation = _ACTIVATIONS[activation]
        self.self_attn = _Attention(dim, heads, dropout)
        self.linear1 = nn.Linear(dim, ff)
        self.linear2 = nn.Linear(ff, dim)
        self.norm1 = nn.LayerNorm(dim)
        self.norm2 = nn.LayerNorm(dim)
        if cross:
            self.multihead_attn = _Attention(dim, heads, dropout)
            self.norm3 = nn.LayerNorm(dim)
        self.cross = cross
        self.dropout = dropout

    def _drop(self, x: torch.Tensor) -> torch.Tensor:
        return F.dropout(x, self.dropout) if self.training and self.dropout else x

    def forward(self, x: torch.Tensor, memory: torch.Tensor | None = None, mask=None) -> torch.Tensor:
        x = self.norm1(x + self._drop(self.self_attn(x, mask=mask)))
        norm_ff = self.norm2
        if self.cross:
            x = self.norm2(x + self._drop(self.multihead_attn(x, memory)))
            norm_ff = self.norm3
        ff = self.linear2(self._drop(self.activation(self.linear1(x))))
        return norm_ff(x + self._drop(ff))


class _Stack(nn.Module):
    """``layers`` Transformer layers and a final LayerNorm (``nn.TransformerEncoder(norm=…)``)."""

    def __init__(self, layers: int, dim: int, heads: int, ff: int, dropout: float, cross: bool, act: str) -> None:
        super().__init__()
        self.layers = nn.ModuleList(_Layer(dim, heads, ff, dropout, cross, act) for _ in range(layers))
        self.norm = nn.LayerNorm(dim)

    def forward(self, x: torch.Tensor, memory: torch.Tensor | None = None, mask=None) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x, memory, mask)
        return self.norm(x)


class DeciWatch(nn.Module):
    """DeciWatch refiner on (x, y) coordinates (thesis adaptation).

    Shape:
        ``xy (B, T, K, 2)`` → ``(B, T, K, 2)`` heatmap pixels; ``(T − 1) % sample_rate == 0``.
    """

    input_space = "coords"
    causal = False

    def __init__(
        self,
        num_keypoints: int = 25,
        window: int = 5,
        sample_rate: int = 4,
        dim: int = 128,
        heads: int = 4,
        ff: int = 256,
        layers: int = 5,
        dropout: float = 0.1,
        decoder_activation: str = "relu",
    ) -> None:
        super().__init__()
        if decoder_activation not in _ACTIVATIONS:
            raise InputError(f"DeciWatch decoder_activation must be one of {sorted(_ACTIVATIONS)}")
        self.sample_rate = sample_rate
        self.window = window
        self._check_window(window)
        numel = 2 * num_keypoints
        self.denoise_embed = nn.Linear(numel, dim)  # thesis W_DE
        self.encoder = _Stack(layers, dim, heads, ff, dropout, cross=False, act="leaky_relu")
        self.denoise_head = nn.Linear(dim, numel)  # W_DD
        self.recover_conv = nn.Conv1d(numel, dim, kernel_size=5, padding=2)
        self.decoder = _Stack(layers, dim, heads, ff, dropout, cross=True, act=decoder_activation)
        self.recover_head = nn.Linear(dim, numel)  # W_RD
        xavier_init_(self)
        self.dim = dim
        for name, const in self._constants(window).items():
            self.register_buffer(name, const, persistent=False)

    def _check_window(self, window: int) -> None:
        if self.sample_rate < 1 or (window - 1) % self.sample_rate or window <= self.sample_rate:
            raise InputError(
                f"DeciWatch window {window} does not fit sample_rate {self.sample_rate}: need "
                "(window - 1) % sample_rate == 0 and at least two sampled frames"
            )

    def _constants(self, window: int, like: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """Positional embeddings, interpolation matrix and encoder mask for a window length."""
        samples = (window - 1) // self.sample_rate + 1
        consts = {
            "enc_pos": sine_embedding(samples, self.dim),
            "dec_pos": sine_embedding(window, self.dim),
            "interp": interpolation_matrix(window, samples),
            "attend": ~torch.eye(samples, dtype=torch.bool),  # True = may attend: never to itself
        }
        if like is None:
            return consts
        return {n: c.to(like.device, c.dtype if n == "attend" else like.dtype) for n, c in consts.items()}

    def forward(self, xy: torch.Tensor, valid: torch.Tensor | None = None) -> torch.Tensor:
        """Refine ``(B, T, K, 2)`` coordinates; ``valid`` is ignored (thesis: missing = (0, 0))."""
        b, t, k, _ = xy.shape
        poses = xy.reshape(b, t, 2 * k).to(self.denoise_embed.weight.dtype)
        if t == self.window:
            c = {name: getattr(self, name) for name in ("enc_pos", "dec_pos", "interp", "attend")}
        else:
            self._check_window(t)
            c = self._constants(t, like=poses)
        sampled = poses[:, :: self.sample_rate]
        feats = self.encoder(self.denoise_embed(sampled) + c["enc_pos"], mask=c["attend"])
        clean = self.denoise_head(feats) + sampled
        rough = torch.matmul(c["interp"], clean)  # (B, T, 2K) linear interpolation
        tgt = self.recover_conv(rough.transpose(1, 2)).transpose(1, 2) + c["dec_pos"]
        out = self.recover_head(self.decoder(tgt, feats + c["enc_pos"])) + rough
        return out.view(b, t, k, 2)


@MODELS.register("deciwatch")
def deciwatch(
    num_keypoints: int = 25,
    window: int = 5,
    heatmap_size: tuple[int, int] = (56, 56),
    sample_rate: int = 4,
    dim: int = 128,
    heads: int = 4,
    ff: int = 256,
    layers: int = 5,
    dropout: float = 0.1,
    decoder_activation: str = "relu",
) -> DeciWatch:
    """Thesis DeciWatch (sample_rate 4 on T=5 windows); ``sample_rate=1`` denoises every frame."""
    return DeciWatch(num_keypoints, window, sample_rate, dim, heads, ff, layers, dropout, decoder_activation)
