"""Gaussian filter: a median filter against outliers, then Gaussian smoothing (offline)."""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d, median_filter

from tempose.models import MODELS
from tempose.models.filters._base import CoordinateFilter


class GaussianFilter(CoordinateFilter):
    """Median filter of ``window_size`` frames, then ``gaussian_filter1d(sigma)``, both along time.

    As mmpose 0.x's ``GaussianFilter`` (defaults window 11, σ=4 frames); borders repeat the end
    frames (mode "nearest") for both steps.
    """

    def __init__(self, window_size: int = 11, sigma: float = 4.0) -> None:
        super().__init__()
        if window_size < 1 or sigma <= 0:
            raise ValueError("gaussian filter needs window_size >= 1 and sigma > 0")
        self.window_size = window_size
        self.sigma = sigma

    def smooth(self, xy: np.ndarray) -> np.ndarray:
        med = median_filter(xy, size=(1, self.window_size, 1, 1), mode="nearest")
        return gaussian_filter1d(med, self.sigma, axis=1, mode="nearest")


@MODELS.register("gaussian")
def gaussian(
    num_keypoints: int = 25,
    window: int = 5,
    heatmap_size: tuple[int, int] = (56, 56),
    window_size: int = 11,
    sigma: float = 4.0,
) -> GaussianFilter:
    """Median + Gaussian filter (shape arguments accepted for the uniform interface)."""
    return GaussianFilter(window_size, sigma)
