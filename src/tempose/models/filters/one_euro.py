"""One-Euro filter (Casiez, Roussel & Vogel, CHI 2012): an adaptive low-pass filter, causal."""

from __future__ import annotations

import math

import numpy as np

from tempose.models import MODELS
from tempose.models.filters._base import CoordinateFilter, bridge_causal


def _alpha(cutoff: np.ndarray | float) -> np.ndarray | float:
    """Smoothing factor of a first-order low-pass filter at ``cutoff`` cycles per frame."""
    return 1.0 / (1.0 + 1.0 / (2 * math.pi * cutoff))


class OneEuroFilter(CoordinateFilter):
    """Per-axis One-Euro filter with the frame index as time (as mmpose 0.x).

    The cutoff frequency rises with the filtered speed: ``min_cutoff + beta·|dx̂|`` (cycles per
    frame, speed in heatmap px per frame), so slow motion is smoothed strongly (less jitter: lower
    ``min_cutoff``) and fast motion lags less (higher ``beta``). ``d_cutoff`` smooths the speed.
    Defaults follow mmpose 0.x (0.004, 0.7, 1.0; SmoothNet's evaluation used min_cutoff 0.04).
    Causal: a missing detection holds the last filtered input, and frames before a keypoint's
    first detection are NaN.
    """

    causal = True

    def __init__(self, min_cutoff: float = 0.004, beta: float = 0.7, d_cutoff: float = 1.0) -> None:
        super().__init__()
        if min_cutoff <= 0 or beta < 0 or d_cutoff <= 0:
            raise ValueError("one_euro needs min_cutoff > 0, beta >= 0 and d_cutoff > 0")
        self.min_cutoff = min_cutoff
        self.beta = beta
        self.d_cutoff = d_cutoff

    def smooth_with_gaps(self, xy: np.ndarray, ok: np.ndarray) -> np.ndarray:
        x = bridge_causal(xy, ok)
        out = np.empty_like(x)
        prev = np.full(x[:, 0].shape, np.nan)  # filtered value; NaN until the first detection
        speed = np.zeros_like(prev)
        a_d = _alpha(self.d_cutoff)
        for t in range(x.shape[1]):
            cur = x[:, t]
            fresh = np.isnan(prev)
            speed = np.where(fresh, 0.0, a_d * (cur - prev) + (1 - a_d) * speed)
            a = _alpha(self.min_cutoff + self.beta * np.abs(speed))
            prev = np.where(fresh, cur, a * cur + (1 - a) * prev)
            out[:, t] = prev
        return out

    def smooth(self, xy: np.ndarray) -> np.ndarray:
        return self.smooth_with_gaps(xy, np.ones(xy.shape[:-1], bool))


@MODELS.register("one_euro")
def one_euro(
    num_keypoints: int = 25,
    window: int = 5,
    heatmap_size: tuple[int, int] = (56, 56),
    min_cutoff: float = 0.004,
    beta: float = 0.7,
    d_cutoff: float = 1.0,
) -> OneEuroFilter:
    """One-Euro filter (shape arguments accepted for the uniform interface)."""
    return OneEuroFilter(min_cutoff, beta, d_cutoff)
