"""DeciWatch: sampling (frames seen), window rule, positional embedding and interpolation by hand."""

from __future__ import annotations

import math

import pytest
import torch

from tempose.errors import InputError
from tempose.models import build_model
from tempose.models.deciwatch import interpolation_matrix, sine_embedding


def _pair(rate: int):
    model = build_model("deciwatch", num_keypoints=4, sample_rate=rate, dim=16, ff=16, layers=1).eval()
    x = torch.rand(2, 5, 4, 2) * 50
    y = x.clone()
    y[:, 1:4] += 3.0
    with torch.no_grad():
        return model(x), model(y)


def test_sample_rate_four_ignores_frames_one_to_three():
    a, b = _pair(4)
    assert torch.equal(a, b)


def test_sample_rate_one_sees_every_frame():
    a, b = _pair(1)
    assert not torch.allclose(a, b)


@pytest.mark.parametrize("window,rate", [(6, 4), (5, 3), (4, 4)])
def test_window_must_fit_sample_rate(window, rate):
    with pytest.raises(InputError, match="does not fit sample_rate"):
        build_model("deciwatch", window=window, sample_rate=rate)


def test_other_window_lengths_at_call_time():
    model = build_model("deciwatch", num_keypoints=2, dim=16, ff=16, layers=1).eval()
    assert model(torch.rand(1, 9, 2, 2)).shape == (1, 9, 2, 2)
    with pytest.raises(InputError):
        model(torch.rand(1, 6, 2, 2))


def test_valid_is_ignored_missing_is_zero():
    model = build_model("deciwatch", num_keypoints=2, dim=16, ff=16, layers=1).eval()
    xy = torch.rand(1, 5, 2, 2)
    with torch.no_grad():
        assert torch.equal(model(xy), model(xy, valid=torch.zeros(1, 5, 2, dtype=torch.bool)))


def test_sine_embedding_by_hand():
    e = sine_embedding(2, 4)  # half = 2: frequencies 10000^0 = 1 and 10000^-1
    end = 2 * math.pi / (1 + 1e-6)
    assert e[0].tolist() == [0.0, 1.0, 0.0, 1.0]
    expected = [math.sin(end), math.cos(end), math.sin(end / 1e4), math.cos(end / 1e4)]
    assert e[1].tolist() == pytest.approx(expected, abs=1e-7)


def test_interpolation_matrix_by_hand():
    m = interpolation_matrix(5, 2)
    assert m.tolist() == [[1.0, 0.0], [0.75, 0.25], [0.5, 0.5], [0.25, 0.75], [0.0, 1.0]]
    assert torch.equal(interpolation_matrix(5, 5), torch.eye(5))
