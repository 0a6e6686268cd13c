"""The shared filter plumbing: tensors ↔ float64 numpy, validity masks, gap bridging, NaN policy."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


def bridge_offline(xy: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """Fill missing frames of ``(B, T, K, 2)`` tracks: linear inside, nearest detection at the ends.

    Tracks without any valid frame are left as they are (the caller masks them).
    """
    out = xy.copy()
    frames = np.arange(xy.shape[1])
    gaps = ~ok.all(axis=1) & ok.any(axis=1)  # (B, K) tracks that need filling
    for b, k in zip(*np.nonzero(gaps), strict=True):
        seen = ok[b, :, k]
        for axis in range(2):
            out[b, :, k, axis] = np.interp(frames, frames[seen], xy[b, seen, k, axis])
    return out


def bridge_causal(xy: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """Fill missing frames by holding the last detection; frames before the first one become NaN."""
    frames = np.arange(xy.shape[1])[None, :, None]
    last = np.maximum.accumulate(np.where(ok, frames, -1), axis=1)  # (B, T, K) last valid frame ≤ t
    held = np.take_along_axis(xy, np.maximum(last, 0)[..., None], axis=1)
    return np.where((last >= 0)[..., None], held, np.nan)


class CoordinateFilter(nn.Module):
    """Base of the classical filters: ``forward(xy, valid=None)`` on ``(B, T, K, 2)`` tensors.

    Subclasses implement :meth:`smooth` on float64 numpy tracks whose gaps are already bridged
    (or override :meth:`smooth_with_gaps` to use the validity mask themselves). The output has the
    input's dtype (float32 for integer input) and device, NaN for tracks never detected.

    Shape:
        ``xy (B, T, K, 2)``, ``valid (B, T, K)`` bool → ``(B, T, K, 2)``.
    """

    input_space = "coords"
    causal = False

    def smooth(self, xy: np.ndarray) -> np.ndarray:
        """Filter complete ``(B, T, K, 2)`` tracks along axis 1."""
        raise NotImplementedError

    def smooth_with_gaps(self, xy: np.ndarray, ok: np.ndarray) -> np.ndarray:
        """Filter tracks with missing frames (``ok`` False); default: bridge, then :meth:`smooth`."""
        return self.smooth(bridge_offline(xy, ok))

    def forward(self, xy: torch.Tensor, valid: torch.Tensor | None = None) -> torch.Tensor:
        arr = xy.detach().to("cpu", torch.float64).numpy()
        ok = np.isfinite(arr).all(axis=-1)
        if valid is not None:
            ok &= valid.detach().cpu().numpy().astype(bool)
        out = self.smooth_with_gaps(np.where(ok[..., None], arr, 0.0), ok)
        out = np.where(ok.any(axis=1)[:, None, :, None], out, np.nan)
        dtype = xy.dtype if xy.is_floating_point() else torch.float32
        return torch.from_numpy(out).to(xy.device, dtype)
