"""Plain reference implementations of the thesis models, and the fast paths checked against them.

The references restate spec §6 the straightforward way — 8 separate gate convolutions and a frame
loop per ConvLSTM direction, ``nn.TransformerEncoder``/``Decoder`` in sequence-first layout with
``F.interpolate`` for DeciWatch, permute + Conv3d + ReLU for 3DConv — and the tests copy their
weights into the fast models and require equal outputs to 1e-5. ``benchmarks/models.py`` imports
them to time each fast path against its reference.
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from tempose.models import build_model

# ---------------------------------------------------------------------------------------------
# References
# ---------------------------------------------------------------------------------------------


class RefConv3d(nn.Module):
    def __init__(self, k: int, t: int) -> None:
        super().__init__()
        self.conv = nn.Conv3d(k, k, (t, 5, 5), padding="same")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.conv(x.permute(0, 2, 1, 3, 4)).permute(0, 2, 1, 3, 4))


class RefCell(nn.Module):
    """Peephole ConvLSTM exactly as written in spec §6.2: 8 convs, 3 peepholes, 4 bias tensors."""

    def __init__(self, k: int, size: tuple[int, int]) -> None:
        super().__init__()
        for name in ("xi", "hi", "xf", "hf", "xc", "hc", "xo", "ho"):
            setattr(self, "conv_" + name, nn.Conv2d(k, k, 3, padding="same"))
        for name in ("ci", "cf", "co", "bi", "bf", "bc", "bo"):
            setattr(self, name, nn.Parameter(torch.randn(k, *size) * 0.3))

    def forward(self, x, h, c):
        i = torch.sigmoid(self.conv_xi(x) + self.conv_hi(h) + self.ci * c + self.bi)
        f = torch.sigmoid(self.conv_xf(x) + self.conv_hf(h) + self.cf * c + self.bf)
        c = f * c + i * torch.tanh(self.conv_xc(x) + self.conv_hc(h) + self.bc)
        o = torch.sigmoid(self.conv_xo(x) + self.conv_ho(h) + self.co * c + self.bo)
        return o * torch.tanh(c), c


def _ref_stack(k: int, hidden: int, full: bool) -> nn.Sequential:
    layers = [nn.Conv2d(k, hidden, 3, padding=1), nn.ReLU(), nn.Conv2d(hidden, hidden, 3, padding=1), nn.ReLU(),
              nn.Conv2d(hidden, hidden, 3, padding=1), nn.ReLU()]  # fmt: skip
    if full:
        layers += [nn.Conv2d(hidden, hidden, 1), nn.ReLU(), nn.Conv2d(hidden, k, 1), nn.ReLU()]
    return nn.Sequential(*layers)


class RefBiConvLSTM(nn.Module):
    def __init__(self, k: int, size: tuple[int, int], merge: str, hidden: int) -> None:
        super().__init__()
        self.merge = merge
        self.cells = nn.ModuleList([RefCell(k, size), RefCell(k, size)])
        self.heads = nn.ModuleList([_ref_stack(k, hidden, merge == "sum") for _ in range(2)])
        if merge == "concat":
            self.combine = nn.Sequential(nn.Conv2d(2 * hidden, hidden, 1), nn.Conv2d(hidden, k, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t = x.shape[1]
        outs = []
        for d, order in enumerate((range(t), reversed(range(t)))):
            h = c = torch.zeros_like(x[:, 0])
            res = [None] * t
            for i in order:
                h, c = self.cells[d](x[:, i], h, c)
                res[i] = self.heads[d](h)
            outs.append(torch.stack(res, dim=1))
        if self.merge == "sum":
            return outs[0] + outs[1]
        cat = torch.cat(outs, dim=2)
        return torch.stack([self.combine(cat[:, i]) for i in range(t)], dim=1)


def copy_convlstm(ref: RefBiConvLSTM, fast: nn.Module) -> None:
    """Load the reference's weights into a fast BiConvLSTM (gates fused in order i, f, c, o)."""
    with torch.no_grad():
        for cell, rc in zip((fast.forward_cell, fast.backward_cell), ref.cells, strict=True):
            for part in ("x", "h"):
                convs = [getattr(rc, f"conv_{part}{g}") for g in "ifco"]
                getattr(cell, f"conv_{part}").weight.copy_(torch.cat([m.weight for m in convs]))
                getattr(cell, f"conv_{part}").bias.copy_(torch.cat([m.bias for m in convs]))
            cell.peephole.copy_(torch.stack([rc.ci, rc.cf, rc.co]))
            cell.bias.copy_(torch.stack([rc.bi, rc.bf, rc.bc, rc.bo]))
        for head, rh in zip((fast.forward_head, fast.backward_head), ref.heads, strict=True):
            head.load_state_dict(rh.state_dict())
        if ref.merge == "concat":
            fast.combine.load_state_dict(ref.combine.state_dict())


def ref_sine(num_tokens: int, dim: int) -> torch.Tensor:
    """The thesis's PositionEmbeddingSine_1D(dim // 2) for one sequence, (num_tokens, dim)."""
    half = dim // 2
    denum = 10000 ** (2 * torch.arange(half) / half)
    pos = torch.arange(num_tokens).float()
    pos = pos / (pos[-1] + 1e-6) * 2 * math.pi
    e = torch.zeros(num_tokens, dim)
    e[:, 0::2] = torch.sin(pos[:, None] / denum)
    e[:, 1::2] = torch.cos(pos[:, None] / denum)
    return e


class RefDeciWatch(nn.Module):
    """DeciWatch as the thesis code wrote it: sequence-first nn.Transformer stacks.

    Note: ``nn.TransformerDecoder`` deep-copies its layer, which turns the LeakyReLU module into
    ``F.relu`` (``TransformerDecoderLayer.__setstate__``) — the thesis's decoder ran with ReLU.
    """

    def __init__(self, k: int, sample_rate: int, dim=128, heads=4, ff=256, layers=5, dropout=0.1) -> None:
        super().__init__()
        self.rate = sample_rate
        self.dim = dim
        enc = nn.TransformerEncoderLayer(dim, heads, ff, dropout, activation=nn.LeakyReLU())
        dec = nn.TransformerDecoderLayer(dim, heads, ff, dropout, activation=nn.LeakyReLU())
        self.denoise_embed = nn.Linear(2 * k, dim)
        self.encoder = nn.TransformerEncoder(enc, layers, norm=nn.LayerNorm(dim), enable_nested_tensor=False)
        self.denoise_head = nn.Linear(dim, 2 * k)
        self.recover_conv = nn.Conv1d(2 * k, dim, 5, padding=2)
        self.decoder = nn.TransformerDecoder(dec, layers, norm=nn.LayerNorm(dim))
        self.recover_head = nn.Linear(dim, 2 * k)

    def forward(self, xy: torch.Tensor) -> torch.Tensor:
        b, t, k, _ = xy.shape
        seq = xy.reshape(b, t, 2 * k)[:, :: self.rate].permute(1, 0, 2)  # (S, B, 2K)
        s = seq.shape[0]
        enc_pos, dec_pos = ref_sine(s, self.dim)[:, None], ref_sine(t, self.dim)[:, None]
        mask = torch.eye(s, dtype=torch.bool)
        f_clean = self.encoder(self.denoise_embed(seq) + enc_pos, mask=mask)
        p_clean = self.denoise_head(f_clean) + seq
        rough = F.interpolate(p_clean.permute(1, 2, 0), size=t, mode="linear", align_corners=True).permute(2, 0, 1)
        tgt = self.recover_conv(rough.permute(1, 2, 0)).permute(2, 0, 1) + dec_pos
        out = self.recover_head(self.decoder(tgt, f_clean + enc_pos)) + rough
        return out.permute(1, 0, 2).reshape(b, t, k, 2)


# ---------------------------------------------------------------------------------------------
# Fast path == reference
# ---------------------------------------------------------------------------------------------


def _close(a: torch.Tensor, b: torch.Tensor, tol: float = 1e-5) -> None:
    scale = max(1.0, float(b.detach().abs().max()))
    assert float((a - b).detach().abs().max()) <= tol * scale


def test_conv3d_matches_reference():
    ref = RefConv3d(25, 5)
    fast = build_model("conv3d")
    fast.load_state_dict(ref.state_dict())
    x = torch.rand(2, 5, 25, 20, 24)
    with torch.no_grad():
        _close(fast(x), ref(x))


@pytest.mark.parametrize("merge", ["sum", "concat"])
def test_biconvlstm_matches_reference(merge):
    k, size, hidden = 3, (9, 11), 8
    ref = RefBiConvLSTM(k, size, merge, hidden)
    fast = build_model(f"biconvlstm_{merge}", num_keypoints=k, heatmap_size=size, hidden=hidden)
    copy_convlstm(ref, fast)
    x = torch.rand(2, 4, k, *size, requires_grad=True)
    out_ref = ref(x)
    out_fast = fast(x)
    _close(out_fast, out_ref)
    (g_ref,) = torch.autograd.grad((out_ref * out_ref.detach()).sum(), x)  # training path too
    (g_fast,) = torch.autograd.grad((out_fast * out_fast.detach()).sum(), x)
    _close(g_fast, g_ref)


@pytest.mark.parametrize("rate,t", [(4, 5), (1, 5), (2, 7)])
def test_deciwatch_matches_reference(rate, t):
    ref = RefDeciWatch(6, rate, dim=32, heads=4, ff=48, layers=2).eval()
    fast = build_model("deciwatch", num_keypoints=6, window=t, sample_rate=rate, dim=32, ff=48, layers=2).eval()
    fast.load_state_dict(ref.state_dict())
    xy = torch.rand(3, t, 6, 2)
    with torch.no_grad():
        _close(fast(xy), ref(xy))
        # Heatmap-pixel inputs (up to 55) make the untrained attention logits huge and float32
        # ill-conditioned; in float64 both must agree to far below the 1e-5 requirement.
        _close(fast.double()(xy.double() * 55), ref.double()(xy.double() * 55), tol=1e-9)


def test_deciwatch_full_size_matches_reference():
    ref = RefDeciWatch(25, 4).eval()
    fast = build_model("deciwatch").eval()
    fast.load_state_dict(ref.state_dict())
    xy = torch.rand(2, 5, 25, 2)
    with torch.no_grad():
        _close(fast(xy), ref(xy))
