"""Heatmap math: render, preprocess, decode, and box/affine coordinate transforms.

Axis convention (used by every public function of tempose): a keypoint is ``(x, y)`` =
``(column, row)`` in heatmap pixels, pixel centres at integers; a heatmap tensor is indexed
``[..., row, col]``, i.e. ``(..., H, W)``. Image coordinates are ``(x, y)`` image pixels.

Shapes: ``B`` batch, ``T`` frames, ``K`` keypoints, ``H``/``W`` heatmap rows/columns. Every
function accepts arbitrary leading dimensions ``(...)`` and is vectorised (no loop per keypoint).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache

import numpy as np
import torch

DEFAULT_SCALE = 255.0  # c: every heatmap sums to ≈c (thesis §2.6)


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------
@lru_cache(maxsize=64)
def _blur_matrix(n: int, sigma: float, truncate: float = 4.0) -> torch.Tensor:
    """(n, n) matrix M with M[i, p] = value at i of a 1-D impulse at p blurred by a Gaussian.

    Border mode "nearest" (edge replication) and truncation at ``truncate·σ``, exactly as
    ``scipy.ndimage.gaussian_filter1d``. A 2-D impulse is rank one, and so is its separable blur:
    ``blur(δ_rc) = outer(M[:, r], M[:, c])`` — which makes rendering a gather plus an outer product.
    """
    radius = int(truncate * sigma + 0.5)
    offsets = np.arange(-radius, radius + 1)
    weights = np.exp(-0.5 * (offsets / sigma) ** 2)
    weights /= weights.sum()
    m = np.zeros((n, n), dtype=np.float64)
    rows = np.arange(n)[:, None]
    np.add.at(m, (np.broadcast_to(rows, (n, offsets.size)), np.clip(rows + offsets, 0, n - 1)), weights)
    return torch.from_numpy(m)


def render(
    xy: torch.Tensor | np.ndarray,
    size: tuple[int, int] = (56, 56),
    sigma: float | torch.Tensor | np.ndarray = 1.0,
    visible: torch.Tensor | np.ndarray | None = None,
    scale: float = DEFAULT_SCALE,
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """Render keypoints as Gaussian heatmaps, the thesis way.

    A unit impulse at the rounded ``(row, col)`` is blurred with a Gaussian of ``sigma``
    (border mode "nearest", truncated at 4σ), so each map sums to ≈1, then multiplied by ``scale``.

    Args:
        xy: ``(..., K, 2)`` keypoints as (x, y) heatmap pixels.
        size: ``(H, W)`` of the heatmaps.
        sigma: a float, or a tensor broadcastable to ``(..., K)`` (e.g. one σ per frame).
        visible: optional ``(..., K)`` bool; invisible keypoints give all-zero maps. Keypoints
            whose rounded position falls outside the grid also give all-zero maps (clip first
            if a border position is wanted).
        scale: the constant c each map sums to.

    Returns:
        ``(..., K, H, W)`` heatmaps.

    Example:
        >>> hm = render(torch.tensor([[10.0, 20.0]]))
        >>> hm.shape, round(float(hm.sum()), 1), decode(hm)[0].tolist()
        (torch.Size([1, 56, 56]), 255.0, [[10.0, 20.0]])
    """
    prof_r, prof_c = render_profiles(xy, size, sigma, visible, scale)
    # profiles are exact in float64; the (…, H, W) outer product is built directly in ``dtype``
    return torch.einsum("...h,...w->...hw", prof_r.to(dtype), prof_c.to(dtype))


def render_profiles(
    xy: torch.Tensor | np.ndarray,
    size: tuple[int, int] = (56, 56),
    sigma: float | torch.Tensor | np.ndarray = 1.0,
    visible: torch.Tensor | np.ndarray | None = None,
    scale: float = DEFAULT_SCALE,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The two 1-D factors of :func:`render`'s maps: ``map = outer(rows, cols)``.

    Returns float64 ``(..., K, H)`` row and ``(..., K, W)`` column profiles (the rows carry
    ``scale`` and the visibility). Lets code that only needs a few numbers per map (peak, a
    neighbourhood, the mass) skip the ``H·W`` maps.
    """
    h, w = size
    xy = torch.as_tensor(xy, dtype=torch.float64)
    lead = xy.shape[:-1]
    col = torch.round(xy[..., 0])
    row = torch.round(xy[..., 1])
    inside = (col >= 0) & (col <= w - 1) & (row >= 0) & (row <= h - 1)
    if visible is not None:
        inside = inside & torch.as_tensor(visible, dtype=torch.bool)
    col_i = col.clamp(0, w - 1).long().reshape(-1)
    row_i = row.clamp(0, h - 1).long().reshape(-1)
    sig = torch.as_tensor(sigma, dtype=torch.float64).broadcast_to(lead).reshape(-1)
    prof_r = torch.empty(row_i.numel(), h, dtype=torch.float64)
    prof_c = torch.empty(col_i.numel(), w, dtype=torch.float64)
    for s in torch.unique(sig).tolist():  # a handful of distinct σ values at most
        sel = sig == s
        prof_r[sel] = _blur_matrix(h, float(s))[:, row_i[sel]].T
        prof_c[sel] = _blur_matrix(w, float(s))[:, col_i[sel]].T
    prof_r *= inside.reshape(-1, 1) * scale
    return prof_r.reshape(*lead, h), prof_c.reshape(*lead, w)


# --------------------------------------------------------------------------------------------
# Preprocessing of estimator output
# --------------------------------------------------------------------------------------------
def preprocess(heatmaps: torch.Tensor | np.ndarray, scale: float = DEFAULT_SCALE) -> torch.Tensor:
    """Estimator heatmaps → model input, the thesis way (spec §2.6).

    Negative values become 0, each map is normalised to sum 1 (an all-zero map stays zero),
    then multiplied by ``scale``. Input ``(..., H, W)``; output float32 of the same shape.
    Estimators that emit logits must turn them into non-negative scores first (see estimators).

    Example:
        >>> preprocess(torch.tensor([[[-1.0, 1.0], [1.0, 2.0]]]), scale=1.0).tolist()
        [[[0.0, 0.25], [0.25, 0.5]]]
    """
    hm = torch.as_tensor(heatmaps).float().clamp_min(0.0)  # a new tensor: the in-place ops below are safe
    mass = hm.sum(dim=(-2, -1), keepdim=True)
    found = mass > 0
    if not bool(found.all()):
        hm.masked_fill_(~found, 0.0)  # empty (or NaN) maps become all-zero
    # three passes over the maps instead of five: this runs on every finetuning window
    return hm.mul_(torch.where(found, scale / mass.clamp_min(1e-30), 0.0))


# --------------------------------------------------------------------------------------------
# Decoding
# --------------------------------------------------------------------------------------------
def _argmax(heatmaps: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    h, w = heatmaps.shape[-2:]
    flat = heatmaps.reshape(*heatmaps.shape[:-2], h * w)
    peak, idx = flat.max(dim=-1)
    row = torch.div(idx, w, rounding_mode="floor")
    col = idx - row * w
    return col, row, peak


def _decode_argmax(heatmaps: torch.Tensor) -> torch.Tensor:
    col, row, _ = _argmax(heatmaps)
    return torch.stack([col, row], dim=-1).to(heatmaps.dtype)


def _neighbours(heatmaps: torch.Tensor, col: torch.Tensor, row: torch.Tensor, dc: int, dr: int):
    h, w = heatmaps.shape[-2:]
    c = (col + dc).clamp(0, w - 1)
    r = (row + dr).clamp(0, h - 1)
    flat = heatmaps.reshape(*heatmaps.shape[:-2], h * w)
    inside = (col + dc >= 0) & (col + dc <= w - 1) & (row + dr >= 0) & (row + dr <= h - 1)
    return flat.gather(-1, (r * w + c).unsqueeze(-1)).squeeze(-1), inside


def _decode_subpixel(heatmaps: torch.Tensor) -> torch.Tensor:
    """Argmax refined per axis by fitting a Gaussian (a parabola on log values) through the
    peak and its two neighbours; the offset is clamped to ±0.5 px and is 0 at the border or
    when a neighbour is empty (no log)."""
    hm = heatmaps.double()
    col, row, peak = _argmax(hm)
    out = [col.double(), row.double()]
    eps = 1e-12
    for axis, (dc, dr) in enumerate(((1, 0), (0, 1))):
        lo, in_lo = _neighbours(hm, col, row, -dc, -dr)
        hi, in_hi = _neighbours(hm, col, row, dc, dr)
        ok = in_lo & in_hi & (lo > eps) & (hi > eps) & (peak > eps)
        l_lo, l_c, l_hi = (torch.log(v.clamp_min(eps)) for v in (lo, peak, hi))
        denom = l_lo - 2 * l_c + l_hi
        ok = ok & (denom < -eps)
        offset = torch.where(ok, 0.5 * (l_lo - l_hi) / torch.where(ok, denom, -torch.ones_like(denom)), 0.0)
        out[axis] = out[axis] + offset.clamp(-0.5, 0.5)
    return torch.stack(out, dim=-1).to(heatmaps.dtype)


def _decode_soft_argmax(heatmaps: torch.Tensor, radius: int = 2) -> torch.Tensor:
    """Centre of mass of the non-negative values in a (2r+1)² window around the argmax."""
    h, w = heatmaps.shape[-2:]
    hm = heatmaps.double().clamp_min(0)
    col, row, _ = _argmax(hm)
    rr = torch.arange(h, dtype=torch.float64)
    cc = torch.arange(w, dtype=torch.float64)
    win_r = ((rr - row.unsqueeze(-1).double()).abs() <= radius).double()
    win_c = ((cc - col.unsqueeze(-1).double()).abs() <= radius).double()
    weights = hm * win_r.unsqueeze(-1) * win_c.unsqueeze(-2)
    mass = weights.sum(dim=(-2, -1))
    x = (weights.sum(dim=-2) * cc).sum(-1) / mass.clamp_min(1e-30)
    y = (weights.sum(dim=-1) * rr).sum(-1) / mass.clamp_min(1e-30)
    fallback = mass <= 0
    x = torch.where(fallback, col.double(), x)
    y = torch.where(fallback, row.double(), y)
    return torch.stack([x, y], dim=-1).to(heatmaps.dtype)


DECODERS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "argmax": _decode_argmax,
    "subpixel": _decode_subpixel,
    "soft_argmax": _decode_soft_argmax,
}


def decode(
    heatmaps: torch.Tensor | np.ndarray, method: str = "argmax"
) -> tuple[torch.Tensor, torch.Tensor]:
    """Heatmaps ``(..., K, H, W)`` → keypoints ``(..., K, 2)`` as (x, y) heatmap pixels.

    Methods: ``argmax`` (the thesis protocol: integer position of the maximum), ``subpixel``
    (argmax plus a Gaussian/log-parabola fit per axis) and ``soft_argmax`` (local centre of mass
    in a 5×5 window). Returns ``(xy, found)``: ``found`` is False for maps without any positive
    value (the thesis's empty map → missing); their ``xy`` is (0, 0), the thesis's encoding.

    Example:
        >>> hm = torch.zeros(2, 4, 4); hm[0, 1, 3] = 1.0
        >>> xy, found = decode(hm)
        >>> xy.tolist(), found.tolist()
        ([[3.0, 1.0], [0.0, 0.0]], [True, False])
    """
    if method not in DECODERS:
        raise ValueError(f"unknown decoder {method!r}; available: {', '.join(DECODERS)}")
    hm = torch.as_tensor(heatmaps)
    if not hm.is_floating_point():
        hm = hm.float()
    found = hm.amax(dim=(-2, -1)) > 0
    xy = DECODERS[method](hm)
    return torch.where(found.unsqueeze(-1), xy, torch.zeros_like(xy)), found


# --------------------------------------------------------------------------------------------
# Boxes and affine maps between image and heatmap pixels
# --------------------------------------------------------------------------------------------
def pad_box(box: np.ndarray, fraction: float) -> np.ndarray:
    """Grow ``(..., 4)`` boxes (x1, y1, x2, y2) by ``fraction`` of their width/height per side."""
    box = np.asarray(box, dtype=np.float64)
    w = box[..., 2] - box[..., 0]
    h = box[..., 3] - box[..., 1]
    return np.stack(
        [box[..., 0] - fraction * w, box[..., 1] - fraction * h,
         box[..., 2] + fraction * w, box[..., 3] + fraction * h],
        axis=-1,
    )


def box_to_affine(
    box: np.ndarray, size: tuple[int, int] = (56, 56), pad: float = 0.0, span: str = "size"
) -> np.ndarray:
    """2×3 affine(s) mapping heatmap pixels (x, y) → image pixels for an axis-aligned box.

    x and y scale independently (the box is warped, its aspect ratio not kept, as Mask R-CNN and
    the thesis do). ``span`` is how many heatmap pixels the box width covers: ``"size"`` (W, the
    thesis's finetuning mapping 56/w) or ``"size-1"`` (W−1, its pretraining mapping 55/w).
    ``pad`` grows the box by that fraction of its size per side first (pretraining: 0.05).
    """
    if span not in ("size", "size-1"):
        raise ValueError("span must be 'size' or 'size-1'")
    b = pad_box(box, pad)
    h, w = size
    off = 0 if span == "size" else 1
    sx = (b[..., 2] - b[..., 0]) / (w - off)
    sy = (b[..., 3] - b[..., 1]) / (h - off)
    zero = np.zeros_like(sx)
    return np.stack([np.stack([sx, zero, b[..., 0]], -1), np.stack([zero, sy, b[..., 1]], -1)], -2)


def apply_affine(affine: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """Apply ``(..., 2, 3)`` affine(s) to ``(..., K, 2)`` points (broadcast over K)."""
    affine = np.asarray(affine, dtype=np.float64)
    xy = np.asarray(xy, dtype=np.float64)
    return np.einsum("...ij,...kj->...ki", affine[..., :, :2], xy) + affine[..., None, :, 2]


def invert_affine(affine: np.ndarray) -> np.ndarray:
    """Inverse of ``(..., 2, 3)`` affine(s)."""
    affine = np.asarray(affine, dtype=np.float64)
    lin_inv = np.linalg.inv(affine[..., :, :2])
    return np.concatenate([lin_inv, -(lin_inv @ affine[..., :, 2:])], axis=-1)


def image_to_heatmap(
    xy: np.ndarray, affine: np.ndarray, size: tuple[int, int] | None = None, clip: bool = False
) -> np.ndarray:
    """Image pixels → heatmap pixels through the inverse of a heatmap→image ``affine``.

    With ``clip`` (and ``size``), points outside the grid move to the nearest border — the thesis's
    rule for finetuning targets outside the estimator's box.
    """
    out = apply_affine(invert_affine(affine), xy)
    if clip:
        if size is None:
            raise ValueError("clip needs the heatmap size")
        out[..., 0] = np.clip(out[..., 0], 0, size[1] - 1)
        out[..., 1] = np.clip(out[..., 1], 0, size[0] - 1)
    return out


def heatmap_to_image(xy: np.ndarray, affine: np.ndarray) -> np.ndarray:
    """Heatmap pixels → image pixels through a heatmap→image ``affine``."""
    return apply_affine(affine, xy)


def gaussian_peak(sigma: float = 1.0, scale: float = DEFAULT_SCALE) -> float:
    """Approximate interior peak value of a rendered map (≈40.6 for σ=1, c=255)."""
    return scale / (2 * math.pi * sigma**2)
