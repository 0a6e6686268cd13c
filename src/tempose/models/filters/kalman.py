"""Constant-velocity Kalman filter with a Rauch–Tung–Striebel smoother (offline)."""

from __future__ import annotations

import numpy as np

from tempose.models import MODELS
from tempose.models.filters._base import CoordinateFilter

_F = np.array([[1.0, 1.0], [0.0, 1.0]])  # position += velocity each frame
_UNBOUNDED = 1e6  # prior position variance, in units of the measurement variance


class KalmanFilter(CoordinateFilter):
    """Per keypoint and axis, state (position, velocity), one frame per step, then RTS smoothing.

    ``process_noise`` q is the variance of the white-noise acceleration ((px/frame²)²; process
    covariance q·[[¼, ½], [½, 1]], as filterpy's ``Q_discrete_white_noise``), ``measurement_noise``
    r the variance of a detection (px²). Larger r/q smooths more. Missing detections skip the update
    step, so gaps are bridged by the motion model. Each track starts at its first detection with
    zero velocity (velocity variance ``initial_velocity_var``), so a constant track is returned
    exactly. Defaults (q=0.1, r=1) are a starting point for 56×56 heatmap pixels
    at 30 fps; tune them on validation data (peers.md §5).
    """

    def __init__(
        self, process_noise: float = 0.1, measurement_noise: float = 1.0, initial_velocity_var: float = 100.0
    ) -> None:
        super().__init__()
        if process_noise <= 0 or measurement_noise <= 0 or initial_velocity_var <= 0:
            raise ValueError("kalman needs positive process_noise, measurement_noise and initial_velocity_var")
        self.process_noise = process_noise
        self.measurement_noise = measurement_noise
        self.initial_velocity_var = initial_velocity_var

    def smooth_with_gaps(self, xy: np.ndarray, ok: np.ndarray) -> np.ndarray:
        b, t, k, _ = xy.shape
        z = xy.transpose(1, 0, 2, 3).reshape(t, -1)  # (T, N) scalar tracks, N = B·K·2
        seen = np.repeat(ok.transpose(1, 0, 2).reshape(t, -1), 2, axis=1)
        first = np.argmax(seen, axis=0)  # first detection of each track (0 if none)
        r = self.measurement_noise
        q = self.process_noise * np.array([[0.25, 0.5], [0.5, 1.0]])
        x = np.stack([z[first, np.arange(z.shape[1])], np.zeros(z.shape[1])], axis=-1)  # (N, 2)
        # Prior: the first detection itself (its update then adds no information twice: the position
        # variance is effectively unbounded) and zero velocity with ``initial_velocity_var``.
        prior = np.diag([_UNBOUNDED * r, self.initial_velocity_var])
        p = np.broadcast_to(prior, (z.shape[1], 2, 2)).copy()
        xs_pred, ps_pred, xs, ps = [], [], [], []
        for step in range(t):
            if step:
                x = x @ _F.T
                p = _F @ p @ _F.T + q
            xs_pred.append(x)
            ps_pred.append(p)
            gain = p[:, :, 0] / (p[:, 0, 0] + r)[:, None]  # (N, 2) Kalman gain for H = [1, 0]
            gain = np.where(seen[step][:, None], gain, 0.0)
            x = x + gain * (z[step] - x[:, 0])[:, None]
            p = p - gain[:, :, None] * p[:, 0, None, :]
            xs.append(x)
            ps.append(p)
        smoothed = xs[-1]
        out = [smoothed]
        for step in range(t - 2, -1, -1):  # RTS: x̂ₛ = x̂ + C (x̂ₛ' − x̂'ₚ), C = P Fᵀ (P'ₚ)⁻¹
            c = ps[step] @ _F.T @ np.linalg.inv(ps_pred[step + 1])
            smoothed = xs[step] + np.einsum("nij,nj->ni", c, smoothed - xs_pred[step + 1])
            out.append(smoothed)
        pos = np.stack(out[::-1])[:, :, 0]  # (T, N)
        return pos.reshape(t, b, k, 2).transpose(1, 0, 2, 3)

    def smooth(self, xy: np.ndarray) -> np.ndarray:
        return self.smooth_with_gaps(xy, np.ones(xy.shape[:-1], bool))


@MODELS.register("kalman")
def kalman(
    num_keypoints: int = 25,
    window: int = 5,
    heatmap_size: tuple[int, int] = (56, 56),
    process_noise: float = 0.1,
    measurement_noise: float = 1.0,
    initial_velocity_var: float = 100.0,
) -> KalmanFilter:
    """Constant-velocity Kalman + RTS smoother (shape arguments accepted for the uniform interface)."""
    return KalmanFilter(process_noise, measurement_noise, initial_velocity_var)
