"""Metrics: PCK (thesis protocol), acceleration error, bootstrap confidence intervals.

All coordinates are (x, y) heatmap pixels (see :mod:`tempose.heatmaps`). Arrays may be numpy
or torch; leading dimensions (windows, frames…) are flattened into frames.

PCK (spec §8): threshold = α × the ground-truth torso diameter of the same frame, the mean of
‖left_shoulder − left_hip‖ and ‖right_shoulder − right_hip‖; frames missing any of those four
ground-truth keypoints are skipped; missing ground-truth keypoints are ignored; a keypoint is
correct when its distance is ≤ the threshold. **Aggregation differs from the thesis on purpose**:
tempose pools hit and count totals over all frames and keypoints and divides once, while the
thesis averaged per-batch fractions (which weights batches, not keypoints, equally; the two
differ slightly).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from tempose.keypoints import CLIMBALONG, KeypointSet

DEFAULT_ALPHAS = (0.05, 0.1, 0.2)


def _np(a) -> np.ndarray:
    if hasattr(a, "detach"):
        a = a.detach().cpu().numpy()
    return np.asarray(a)


@dataclass
class PCKCounts:
    """Pooled PCK counts: ``hits[a, k]`` correct keypoints at ``alphas[a]``, ``counts[k]`` evaluated
    keypoints, ``threshold_sum[a]`` summed thresholds and ``frames`` evaluated frames."""

    alphas: tuple[float, ...]
    hits: np.ndarray
    counts: np.ndarray
    threshold_sum: np.ndarray
    frames: int

    def __add__(self, other: PCKCounts) -> PCKCounts:
        if self.alphas != other.alphas:
            raise ValueError("cannot add PCK counts of different alphas")
        return PCKCounts(
            self.alphas,
            self.hits + other.hits,
            self.counts + other.counts,
            self.threshold_sum + other.threshold_sum,
            self.frames + other.frames,
        )

    @classmethod
    def empty(cls, num_keypoints: int, alphas: Sequence[float] = DEFAULT_ALPHAS) -> PCKCounts:
        a = tuple(alphas)
        return cls(a, np.zeros((len(a), num_keypoints), np.int64), np.zeros(num_keypoints, np.int64),
                   np.zeros(len(a)), 0)  # fmt: skip

    @property
    def pck(self) -> np.ndarray:
        """Overall PCK per α (pooled over keypoints), NaN when nothing was evaluated."""
        total = self.counts.sum()
        return self.hits.sum(axis=1) / total if total else np.full(len(self.alphas), np.nan)

    @property
    def per_keypoint(self) -> np.ndarray:
        """(A, K) PCK per keypoint, NaN where a keypoint was never evaluated."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.counts > 0, self.hits / np.maximum(self.counts, 1), np.nan)

    def merged(self, keypoint_set: KeypointSet = CLIMBALONG) -> dict[str, np.ndarray]:
        """Merged report name ('Shoulder'…) → PCK per α, pooling left and right counts."""
        out = {}
        for name, idx in keypoint_set.merged_groups().items():
            c = self.counts[idx].sum()
            out[name] = self.hits[:, idx].sum(axis=1) / c if c else np.full(len(self.alphas), np.nan)
        return out

    @property
    def mean_threshold(self) -> np.ndarray:
        """Mean threshold distance in px per α (α × mean torso diameter)."""
        return self.threshold_sum / self.frames if self.frames else np.full(len(self.alphas), np.nan)


def torso_diameter(gt: np.ndarray, visible: np.ndarray, keypoint_set: KeypointSet = CLIMBALONG) -> np.ndarray:
    """(N,) torso diameter per frame; NaN where a torso keypoint is missing."""
    ls, lh, rs, rh = keypoint_set.torso
    d = 0.5 * (np.linalg.norm(gt[:, ls] - gt[:, lh], axis=-1) + np.linalg.norm(gt[:, rs] - gt[:, rh], axis=-1))
    ok = visible[:, [ls, lh, rs, rh]].all(axis=1)
    return np.where(ok, d, np.nan)


def bbox_size(gt: np.ndarray, visible: np.ndarray) -> np.ndarray:
    """(N,) max side of the box around each frame's visible ground truth; NaN for empty frames."""
    big = np.where(visible[..., None], gt, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN frames give NaN, as intended
        span = np.nanmax(big, axis=1) - np.nanmin(big, axis=1)
    return np.max(span, axis=-1)


def pck(
    pred,
    gt,
    visible=None,
    alphas: Sequence[float] = DEFAULT_ALPHAS,
    keypoint_set: KeypointSet = CLIMBALONG,
    normalizer: str = "torso",
    pred_valid=None,
) -> PCKCounts:
    """PCK counts of predictions against ground truth, thesis protocol.

    Args:
        pred, gt: ``(..., K, 2)`` keypoints (x, y) in heatmap pixels.
        visible: ``(..., K)`` bool ground-truth presence (default: all present).
        alphas: thresholds as fractions of the normaliser.
        keypoint_set: names the torso keypoints (and the merged report names).
        normalizer: ``"torso"`` (thesis) or ``"bbox"`` (max side of the ground-truth box, as
            DeciWatch/SmoothNet report).
        pred_valid: optional ``(..., K)`` bool; a missing prediction counts as wrong.

    Returns:
        :class:`PCKCounts`; ``.pck`` gives the pooled fractions.

    Example:
        >>> gt = np.zeros((1, 25, 2)); gt[0, [3, 4], 1] = 0; gt[0, [15, 16], 1] = 10  # torso = 10 px
        >>> pred = gt.copy(); pred[0, 0, 0] += 1.5  # nose 1.5 px off: wrong at α=0.1, right at α=0.2
        >>> pck(pred, gt, alphas=(0.1, 0.2)).hits[:, 0].tolist()
        [0, 1]
    """
    pred = _np(pred).astype(np.float64)
    gt = _np(gt).astype(np.float64)
    k = gt.shape[-2]
    pred = pred.reshape(-1, k, 2)
    gt = gt.reshape(-1, k, 2)
    vis = np.ones(gt.shape[:2], bool) if visible is None else _np(visible).reshape(-1, k).astype(bool)
    if normalizer == "torso":
        norm = torso_diameter(gt, vis, keypoint_set)
    elif normalizer == "bbox":
        norm = bbox_size(gt, vis)
    else:
        raise ValueError(f"unknown normalizer {normalizer!r}; use 'torso' or 'bbox'")
    frame_ok = np.isfinite(norm)
    dist = np.linalg.norm(pred - gt, axis=-1)
    if pred_valid is not None:
        dist = np.where(_np(pred_valid).reshape(-1, k).astype(bool), dist, np.inf)
    evaluated = vis & frame_ok[:, None]
    a = np.asarray(alphas, dtype=np.float64)
    thr = a[:, None] * np.where(frame_ok, norm, 0.0)[None, :]  # (A, N)
    correct = (dist[None] <= thr[:, :, None]) & evaluated[None]
    return PCKCounts(
        alphas=tuple(float(x) for x in alphas),
        hits=correct.sum(axis=1).astype(np.int64),
        counts=evaluated.sum(axis=0).astype(np.int64),
        threshold_sum=thr[:, frame_ok].sum(axis=1),
        frames=int(frame_ok.sum()),
    )


def accel_error(pred, gt, visible=None) -> tuple[float, int]:
    """Acceleration error of one sequence: mean ‖Δ²pred − Δ²gt‖ in px per frame².

    ``pred``, ``gt``: ``(T, K, 2)``; ``visible`` ``(T, K)``. A second difference at frame t
    counts only when the keypoint is present in frames t−1, t and t+1 (in ``visible``, and finite
    in ``pred``). Returns ``(mean, count)`` so sequences can be pooled; mean is NaN for count 0.

    Example:
        >>> t = np.arange(5.0)[:, None, None] * np.ones((5, 1, 2))  # constant velocity
        >>> bool(np.isclose(accel_error(t + np.array([0, 0, 1, 0, 0.0])[:, None, None], t)[0], np.hypot(1, 1) * 4 / 3))
        True
    """
    pred = _np(pred).astype(np.float64)
    gt = _np(gt).astype(np.float64)
    if pred.shape[0] < 3:
        return float("nan"), 0
    vis = np.ones(gt.shape[:2], bool) if visible is None else _np(visible).astype(bool)
    vis = vis & np.isfinite(pred).all(-1)
    a_pred = pred[2:] - 2 * pred[1:-1] + pred[:-2]
    a_gt = gt[2:] - 2 * gt[1:-1] + gt[:-2]
    ok = vis[2:] & vis[1:-1] & vis[:-2]
    err = np.linalg.norm(np.where(ok[..., None], a_pred - a_gt, 0.0), axis=-1)
    n = int(ok.sum())
    return (float(err[ok].mean()) if n else float("nan")), n


def bootstrap_ci(
    num_units: int,
    statistic: Callable[[np.ndarray], float],
    n_boot: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval of ``statistic(indices)`` resampling whole units (videos).

    ``statistic`` receives an index array of length ``num_units`` drawn with replacement, and
    returns the metric of that resample (e.g. pooled PCK of those videos).
    """
    if num_units == 0:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    stats = np.array([statistic(rng.integers(0, num_units, num_units)) for _ in range(n_boot)])
    stats = stats[np.isfinite(stats)]
    if stats.size == 0:
        return float("nan"), float("nan")
    lo, hi = np.quantile(stats, [(1 - level) / 2, 1 - (1 - level) / 2])
    return float(lo), float(hi)


def pck_ci(per_video: Sequence[PCKCounts], **kwargs) -> np.ndarray:
    """(A, 2) bootstrap 95% intervals of pooled PCK per α, resampling videos."""
    hits = np.stack([c.hits.sum(axis=1) for c in per_video]) if per_video else np.zeros((0, 0))
    counts = np.array([c.counts.sum() for c in per_video])
    if not per_video:
        return np.full((0, 2), np.nan)
    out = []
    for a in range(hits.shape[1]):
        def stat(idx: np.ndarray, a: int = a) -> float:
            total = counts[idx].sum()
            return hits[idx, a].sum() / total if total else np.nan
        out.append(bootstrap_ci(len(per_video), stat, **kwargs))
    return np.array(out)
