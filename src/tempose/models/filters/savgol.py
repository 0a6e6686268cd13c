"""Savitzky–Golay filter: a centred least-squares polynomial fit per frame (offline)."""

from __future__ import annotations

import numpy as np
from scipy.signal import savgol_filter

from tempose.models import MODELS
from tempose.models.filters._base import CoordinateFilter


class SavGolFilter(CoordinateFilter):
    """``scipy.signal.savgol_filter`` along time, ``mode="interp"`` (polynomial fit at the ends).

    Defaults follow mmpose 0.x (window 11, polynomial order 2; SmoothNet's evaluation used 31/2).
    Sequences shorter than the window use the longest odd window that fits (and a polynomial order
    below it); sequences under 3 frames are returned unchanged.
    """

    def __init__(self, window_size: int = 11, polyorder: int = 2) -> None:
        super().__init__()
        if window_size < 1 or window_size % 2 == 0 or not 0 <= polyorder < window_size:
            raise ValueError("savgol needs an odd window_size > polyorder >= 0")
        self.window_size = window_size
        self.polyorder = polyorder

    def smooth(self, xy: np.ndarray) -> np.ndarray:
        t = xy.shape[1]
        window = min(self.window_size, t if t % 2 else t - 1)
        if window < 3:
            return xy
        return savgol_filter(xy, window, min(self.polyorder, window - 1), axis=1, mode="interp")


@MODELS.register("savgol")
def savgol(
    num_keypoints: int = 25,
    window: int = 5,
    heatmap_size: tuple[int, int] = (56, 56),
    window_size: int = 11,
    polyorder: int = 2,
) -> SavGolFilter:
    """Savitzky–Golay filter (shape arguments accepted for the uniform interface)."""
    return SavGolFilter(window_size, polyorder)
