"""Bidirectional peephole ConvLSTMs on heatmaps: thesis Model S (sum) and Model C (concat), §6.2–6.3.

Each direction (forward over frames 0…T−1, backward over T−1…0; separate weights) runs a
peephole ConvLSTM whose hidden and cell states have K channels (Shi et al. 2015):

    i = σ(W_xi*X + W_hi*H + W_ci∘C_prev + B_i)     f = σ(W_xf*X + W_hf*H + W_cf∘C_prev + B_f)
    C = f∘C_prev + i∘tanh(W_xc*X + W_hc*H + B_c)    o = σ(W_xo*X + W_ho*H + W_co∘C + B_o)
    H = o∘tanh(C)

with 3×3 "same" convolutions (with bias) and per-pixel peephole weights and biases of shape
``(K, H, W)``; H and C start at zero. Each frame's hidden state then goes through a conv stack:

* Model S (``merge="sum"``): 3×3 K→128, 3×3 128→128, 3×3 128→128, 1×1 128→128, 1×1 128→K, each
  followed by ReLU; the two directions' outputs are summed.
* Model C (``merge="concat"``): the first three 3×3 convs (each followed by ReLU); the two
  directions' 128-channel features are concatenated and fused by 1×1 256→128 then 1×1 128→K with
  **no** activation (the thesis code; its text claims ReLUs, spec §10.2).

No output sigmoid (the reported runs used heatmaps scaled to c=255, spec §6.2).

Fast path (same function, spec-exact parameters): the 8 gate convolutions of a step become two
fused convolutions — the input half for all frames and both directions at once before the
recurrence, and one grouped (groups=2) convolution of both directions' hidden states per step
(skipped at the first step, where H=0) — the conv stacks run once on all B·T frames, everything
in channels-last memory, and Model C's two linear 1×1 convolutions are applied as their product
(one 1×1 256→K convolution). The fused tensors keep the thesis's per-gate Xavier initialisation.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from tempose.errors import InputError
from tempose.models import MODELS
from tempose.models._init import xavier_chunks_, xavier_init_

GATES = ("i", "f", "c", "o")  # order of the gate slices in the fused tensors


class ConvLSTMCell(nn.Module):
    """Parameters of one direction's peephole ConvLSTM, gates fused along the channel axis.

    ``conv_x``/``conv_h``: ``Conv2d(K → 4K)`` = the thesis's W_x·/W_h· stacked in gate order
    (i, f, c, o); ``peephole``: ``(3, K, H, W)`` = W_ci, W_cf, W_co; ``bias``: ``(4, K, H, W)`` =
    B_i, B_f, B_c, B_o. Same parameter count as the thesis's 8 convs + 7 tensors.
    """

    def __init__(self, channels: int, size: tuple[int, int], kernel_size: int = 3) -> None:
        super().__init__()
        self.conv_x = nn.Conv2d(channels, 4 * channels, kernel_size, padding="same")
        self.conv_h = nn.Conv2d(channels, 4 * channels, kernel_size, padding="same")
        self.peephole = nn.Parameter(torch.empty(3, channels, *size))
        self.bias = nn.Parameter(torch.empty(4, channels, *size))
        self.reset_parameters()

    @torch.no_grad()
    def reset_parameters(self) -> None:
        """Xavier-uniform per gate slice, as the thesis's separate tensors (conv biases: default)."""
        xavier_chunks_(self.conv_x.weight, 4)
        xavier_chunks_(self.conv_h.weight, 4)
        xavier_chunks_(self.peephole, 3)
        xavier_chunks_(self.bias, 4)

    def total_bias(self) -> torch.Tensor:
        """``(4, K, H, W)``: per-pixel bias plus both convolutions' biases."""
        conv_bias = (self.conv_x.bias + self.conv_h.bias).view(4, -1, 1, 1)
        return self.bias + conv_bias


def _conv_stack(channels: int, hidden: int, full: bool) -> nn.Sequential:
    """Per-frame head: 3×3 K→h, h→h, h→h (+ 1×1 h→h, h→K when ``full``), each with ReLU."""
    layers: list[nn.Module] = [nn.Conv2d(channels, hidden, 3, padding="same"), nn.ReLU(inplace=True)]
    for _ in range(2):
        layers += [nn.Conv2d(hidden, hidden, 3, padding="same"), nn.ReLU(inplace=True)]
    if full:
        layers += [nn.Conv2d(hidden, hidden, 1), nn.ReLU(inplace=True), nn.Conv2d(hidden, channels, 1)]
        layers += [nn.ReLU(inplace=True)]
    return nn.Sequential(*layers)


class BiConvLSTM(nn.Module):
    """Bidirectional peephole ConvLSTM refiner (Model S: ``merge="sum"``, Model C: ``"concat"``).

    Shape:
        ``(B, T, K, H, W)`` → ``(B, T, K, H, W)``; K, H, W must match the constructor (the
        peephole and bias tensors are per pixel). The output is a view in channels-last memory.
    """

    input_space = "heatmaps"
    causal = False

    def __init__(
        self,
        num_keypoints: int = 25,
        heatmap_size: tuple[int, int] = (56, 56),
        merge: str = "sum",
        hidden: int = 128,
    ) -> None:
        super().__init__()
        if merge not in ("sum", "concat"):
            raise InputError(f"BiConvLSTM merge must be 'sum' or 'concat', not {merge!r}")
        self.merge = merge
        self.shape = (num_keypoints, *heatmap_size)
        size = tuple(heatmap_size)
        self.forward_cell = ConvLSTMCell(num_keypoints, size)
        self.backward_cell = ConvLSTMCell(num_keypoints, size)
        full = merge == "sum"
        self.forward_head = _conv_stack(num_keypoints, hidden, full)
        self.backward_head = _conv_stack(num_keypoints, hidden, full)
        cells = (self.forward_cell, self.backward_cell)
        xavier_init_(self, skip=tuple(p for c in cells for p in c.parameters()))
        if not full:
            self.combine = nn.Sequential(nn.Conv2d(2 * hidden, hidden, 1), nn.Conv2d(hidden, num_keypoints, 1))
            xavier_init_(self.combine)
        self.to(memory_format=torch.channels_last)

    def _recurrence(self, frames: torch.Tensor, b: int, t: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Hidden states of both directions for ``(T·B, K, H, W)`` frames (time-major), same layout.

        Gate tensors are kept contiguous as ``(gate, B, H, W, direction, K)`` so every elementwise
        op of a step runs on dense blocks (strided gate slices are an order of magnitude slower).
        """
        k, h, w = self.shape
        fc, bc = self.forward_cell, self.backward_cell
        # Input half of every gate, all frames and both directions in one convolution, then laid
        # out per step (the backward direction's step s reads frame T−1−s) with the biases added.
        gx = F.conv2d(frames, torch.cat([fc.conv_x.weight, bc.conv_x.weight]), padding="same")
        gx = gx.permute(0, 2, 3, 1).reshape(t, b, h, w, 2, 4, k)  # NHWC view of the conv output
        gx_fwd, gx_bwd = gx.unbind(4)  # unbind/split (not indexing): their backward adds no zero-fills
        steps = torch.stack([gx_fwd, gx_bwd.flip(0)], dim=5)  # (T, B, H, W, 4, 2, K)
        steps = steps.permute(0, 4, 1, 2, 3, 5, 6).contiguous()  # (T, 4, B, H, W, 2, K)
        bias = torch.stack([fc.total_bias(), bc.total_bias()]).permute(1, 3, 4, 0, 2)  # (4, H, W, 2, K)
        steps += bias.unsqueeze(1)
        peep = torch.stack([fc.peephole, bc.peephole]).permute(1, 3, 4, 0, 2).contiguous()  # (3, H, W, 2, K)
        p_if, p_o = peep[:2].unsqueeze(1), peep[2]  # (2, 1, H, W, 2, K) broadcasts over B
        w_h = torch.cat([fc.conv_h.weight, bc.conv_h.weight])
        hid = cell = None
        states = []
        for z in steps.unbind(0):
            if hid is not None:  # the recurrent half is zero at the first step (H = 0)
                h_in = hid.view(b, h, w, 2 * k).permute(0, 3, 1, 2)  # channels-last NCHW view
                rec = F.conv2d(h_in, w_h, padding="same", groups=2).permute(0, 2, 3, 1)
                z = z + rec.reshape(b, h, w, 2, 4, k).permute(4, 0, 1, 2, 3, 5)
            z_if, z_c, z_o = z.split([2, 1, 1])
            if cell is None:
                cell = torch.sigmoid(z_if[0]) * torch.tanh(z_c[0])
            else:  # input and forget gates in one op each: their peepholes both see C_prev
                gate_i, gate_f = torch.sigmoid(torch.addcmul(z_if, p_if, cell)).unbind(0)
                cell = torch.addcmul(gate_f * cell, gate_i, torch.tanh(z_c[0]))
            hid = torch.sigmoid(torch.addcmul(z_o[0], p_o, cell)) * torch.tanh(cell)
            states.append(hid)
        fwd, bwd = torch.stack(states).unbind(4)  # (T_step, B, H, W, K) each
        bwd = bwd.flip(0)  # backward step s saw frame T−1−s
        as_frames = [x.reshape(t * b, h, w, k).permute(0, 3, 1, 2) for x in (fwd, bwd)]
        return as_frames[0], as_frames[1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t = x.shape[:2]
        if tuple(x.shape[2:]) != self.shape:
            raise InputError(f"BiConvLSTM expects (B, T, {', '.join(map(str, self.shape))}), got {tuple(x.shape)}")
        k, h, w = self.shape
        frames = x.transpose(0, 1).reshape(t * b, k, h, w).contiguous(memory_format=torch.channels_last)
        h_fwd, h_bwd = self._recurrence(frames, b, t)
        if self.merge == "sum":
            out = self.forward_head(h_fwd) + self.backward_head(h_bwd)
        else:
            first, second = self.combine
            w1 = first.weight.flatten(1)  # (hidden, 2·hidden)
            w2 = second.weight.flatten(1)  # (K, hidden)
            fused = (w2 @ w1).view(k, -1, 1, 1)
            f_fwd, f_bwd = fused.chunk(2, dim=1)
            bias = second.bias + w2 @ first.bias
            out = F.conv2d(self.forward_head(h_fwd), f_fwd, bias) + F.conv2d(self.backward_head(h_bwd), f_bwd)
        return out.view(t, b, k, h, w).transpose(0, 1)


def _factory(merge: str):
    def build(
        num_keypoints: int = 25, window: int = 5, heatmap_size: tuple[int, int] = (56, 56), hidden: int = 128
    ) -> BiConvLSTM:
        return BiConvLSTM(num_keypoints, tuple(heatmap_size), merge, hidden)

    build.__doc__ = f"Thesis Model {'S' if merge == 'sum' else 'C'}: bidirectional ConvLSTM, merge={merge!r}."
    return build


MODELS.add("biconvlstm_sum", _factory("sum"))
MODELS.add("biconvlstm_concat", _factory("concat"))
