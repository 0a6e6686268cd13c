"""Bi-ConvLSTM behaviour: both directions reach every frame; the forward branch alone is causal."""

from __future__ import annotations

import pytest
import torch

from tempose.errors import InputError
from tempose.models import build_model


def _small(merge: str):
    return build_model(f"biconvlstm_{merge}", num_keypoints=3, heatmap_size=(10, 12), hidden=8).eval()


@pytest.mark.parametrize("merge", ["sum", "concat"])
def test_frame_zero_sees_frame_four(merge):
    model = _small(merge)
    x = torch.rand(1, 5, 3, 10, 12)
    y = x.clone()
    y[:, 4] += 1.0
    with torch.no_grad():
        assert not torch.allclose(model(x)[:, 0], model(y)[:, 0])


def test_model_s_without_backward_branch_is_causal():
    model = _small("sum")
    with torch.no_grad():
        last = model.backward_head[-2]  # the final 1×1 conv before ReLU
        last.weight.zero_()
        last.bias.zero_()
        x = torch.rand(1, 5, 3, 10, 12)
        y = x.clone()
        y[:, 4] += 1.0
        out_x, out_y = model(x), model(y)
    assert torch.equal(out_x[:, :4], out_y[:, :4])
    assert not torch.equal(out_x[:, 4], out_y[:, 4])


def test_wrong_heatmap_size_is_a_clear_error():
    with pytest.raises(InputError, match=r"expects \(B, T, 3, 10, 12\)"):
        _small("sum")(torch.rand(1, 5, 3, 12, 10))


def test_unknown_merge_is_rejected():
    from tempose.models.convlstm import BiConvLSTM

    with pytest.raises(InputError, match="merge"):
        BiConvLSTM(merge="mean")
