"""Classical filters: constants unchanged, jitter reduced, gaps bridged, never-seen tracks NaN."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from tempose.models import build_model
from tempose.registry import RegistryError

FILTERS = ["one_euro", "savgol", "gaussian", "kalman"]


def _jitter(xy: torch.Tensor) -> float:
    """Mean norm of the second difference along time (px per frame²)."""
    return float((xy[:, 2:] - 2 * xy[:, 1:-1] + xy[:, :-2]).norm(dim=-1).mean())


def _noisy_line(t: int = 60) -> tuple[torch.Tensor, torch.Tensor]:
    rng = np.random.default_rng(0)
    frames = np.arange(t, dtype=np.float64)
    line = np.stack([10 + 0.3 * frames, 40 - 0.2 * frames], axis=-1)  # (T, 2)
    clean = np.broadcast_to(line[None, :, None], (1, t, 3, 2)).copy()
    noisy = clean + rng.normal(0, 0.7, clean.shape)
    return torch.from_numpy(noisy).float(), torch.from_numpy(clean).float()


@pytest.mark.parametrize("name", FILTERS)
def test_constant_track_is_unchanged(name):
    xy = torch.full((1, 30, 2, 2), 17.25)
    torch.testing.assert_close(build_model(name)(xy), xy, rtol=0, atol=1e-5)


@pytest.mark.parametrize("name", FILTERS)
def test_noisy_straight_line_gets_smoother_and_closer(name):
    noisy, clean = _noisy_line()
    out = build_model(name)(noisy)
    # One-Euro's (mmpose) defaults adapt quickly to speed, so it smooths least at this noise level.
    assert _jitter(out) < (0.8 if name == "one_euro" else 0.5) * _jitter(noisy)
    if name != "one_euro":  # causal filters lag; the offline ones must also move towards the line
        assert float((out - clean).norm(dim=-1).mean()) < float((noisy - clean).norm(dim=-1).mean())


@pytest.mark.parametrize("name", FILTERS)
def test_never_detected_track_is_nan_others_finite(name):
    xy = torch.rand(1, 12, 3, 2) * 10
    valid = torch.ones(1, 12, 3, dtype=torch.bool)
    valid[0, :, 1] = False
    out = build_model(name)(xy, valid)
    assert torch.isnan(out[0, :, 1]).all() and torch.isfinite(out[0, :, [0, 2]]).all()


@pytest.mark.parametrize("name", ["savgol", "kalman"])
def test_gap_on_a_straight_line_is_bridged_on_the_line(name):
    t = torch.arange(20.0)
    xy = torch.stack([2 * t, 30 - t], dim=-1)[None, :, None]  # (1, 20, 1, 2)
    valid = torch.ones(1, 20, 1, dtype=torch.bool)
    valid[0, 8:12] = False
    garbage = xy.clone()
    garbage[0, 8:12] = 0.0  # what the decoder reports for an empty map
    # (Kalman's zero-velocity prior bends the first frames by a few thousandths of a pixel.)
    torch.testing.assert_close(build_model(name)(garbage, valid), xy, rtol=0, atol=1e-2)


def test_nan_input_counts_as_missing():
    xy = torch.full((1, 10, 1, 2), 5.0)
    xy[0, 3] = float("nan")
    torch.testing.assert_close(build_model("savgol")(xy), torch.full_like(xy, 5.0))


def test_one_euro_by_hand_and_causal():
    f = build_model("one_euro", min_cutoff=0.5, beta=0.0)
    alpha = 1 / (1 + 1 / (2 * math.pi * 0.5))
    xy = torch.tensor([[[[1.0, 2.0]], [[3.0, 2.0]], [[3.0, 4.0]]]], dtype=torch.float64)
    out = f(xy)[0, :, 0]
    x1 = alpha * 3 + (1 - alpha) * 1
    expected = [[1.0, 2.0], [x1, 2.0], [alpha * 3 + (1 - alpha) * x1, alpha * 4 + (1 - alpha) * 2]]
    torch.testing.assert_close(out, torch.tensor(expected, dtype=torch.float64))
    changed = xy.clone()
    changed[0, 2] += 5
    assert torch.equal(f(changed)[0, :2], f(xy)[0, :2])


def test_one_euro_holds_through_gaps_and_is_nan_before_first_detection():
    xy = torch.tensor([0.0, 4.0, 4.0, 9.0, 4.0])[None, :, None, None].expand(1, 5, 1, 2)
    valid = torch.tensor([False, True, True, False, True])[None, :, None]
    out = build_model("one_euro")(xy, valid)[0, :, 0, 0]
    assert math.isnan(out[0]) and out[1:].tolist() == [4.0, 4.0, 4.0, 4.0]


def test_kalman_by_hand_two_frames():
    # frames z0 = 0, z1 = 2 (q tiny, r = 1, velocity prior 100): filtered x1 = 0 + K·2 with
    # P⁻ = [[1 + 100, 100], [100, 100]], K = [101/102, 100/102] → x1 = 202/102; RTS gives x0.
    f = build_model("kalman", process_noise=1e-12, measurement_noise=1.0, initial_velocity_var=100.0)
    out = f(torch.tensor([0.0, 2.0], dtype=torch.float64)[None, :, None, None].expand(1, 2, 1, 2))[0, :, 0, 0]
    v1 = 2 * 100 / 102
    x1 = 2 * 101 / 102
    # RTS: C = P0 Fᵀ (P⁻)⁻¹ with P0 = diag(1, 100) after frame 0; x0ˢ = x0 + C·([x1, v1] − [0, 0])
    p0 = np.diag([1.0, 100.0])
    pp = np.array([[101.0, 100.0], [100.0, 100.0]])
    c = p0 @ np.array([[1.0, 0.0], [1.0, 1.0]]) @ np.linalg.inv(pp)
    x0 = (c @ np.array([x1, v1]))[0]
    assert out.tolist() == pytest.approx([x0, x1], abs=1e-5)  # the prior's 1e6·r position variance


def test_savgol_short_sequence_and_bad_arguments():
    xy = torch.rand(1, 2, 1, 2)
    assert torch.equal(build_model("savgol")(xy), xy)  # under 3 frames: unchanged
    with pytest.raises(RegistryError, match="model 'savgol': savgol needs an odd window_size"):
        build_model("savgol", window_size=4)
