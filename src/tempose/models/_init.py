"""Thesis initialisation: Xavier-uniform for every parameter with more than one dimension.

The thesis (spec §6) applied ``nn.init.xavier_uniform_`` to each parameter with ``dim > 1`` and
left 1-D biases at PyTorch's default. Where tempose fuses several thesis tensors into one (the
ConvLSTM gates), each slice is initialised on its own so the fans — and thus the distribution —
match the thesis's separate tensors.
"""

from __future__ import annotations

import torch
from torch import nn


@torch.no_grad()
def xavier_chunks_(tensor: torch.Tensor, chunks: int) -> torch.Tensor:
    """Xavier-uniform each of ``chunks`` equal slices of ``tensor`` along dim 0, in place."""
    for part in tensor.chunk(chunks, dim=0):
        nn.init.xavier_uniform_(part)
    return tensor


@torch.no_grad()
def xavier_init_(module: nn.Module, skip: tuple[nn.Parameter, ...] = ()) -> nn.Module:
    """Xavier-uniform every parameter of ``module`` with ``dim > 1`` except those in ``skip``."""
    skipped = {id(p) for p in skip}
    for p in module.parameters():
        if p.dim() > 1 and id(p) not in skipped:
            nn.init.xavier_uniform_(p)
    return module
