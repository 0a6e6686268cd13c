"""Every registered refiner honours the shared interface: shapes, attributes, sizes, predict path."""

from __future__ import annotations

import pytest
import torch

from tempose.heatmaps import render
from tempose.models import available_models, build_model, param_count, predict_keypoints

THESIS_PARAMS = {
    "identity": 0,
    "conv3d": 78_150,
    "biconvlstm_sum": 1_875_666,
    "biconvlstm_concat": 1_872_313,
    "deciwatch": 1_708_388,
}
LEARNED = ["conv3d", "biconvlstm_sum", "biconvlstm_concat", "deciwatch"]
FILTERS = ["one_euro", "savgol", "gaussian", "kalman"]
SMALL = {"biconvlstm_sum": {"hidden": 8}, "biconvlstm_concat": {"hidden": 8},
         "deciwatch": {"dim": 16, "ff": 16, "layers": 1}}  # fmt: skip


def test_registry_lists_every_family():
    assert set(THESIS_PARAMS) | set(FILTERS) <= set(available_models())


@pytest.mark.parametrize("name", sorted(THESIS_PARAMS))
def test_thesis_parameter_counts(name):
    assert param_count(build_model(name)) == THESIS_PARAMS[name]


@pytest.mark.parametrize("name", sorted(THESIS_PARAMS) + FILTERS)
def test_interface_attributes(name):
    model = build_model(name)
    assert model.input_space in ("heatmaps", "coords")
    assert isinstance(model.causal, bool)
    assert model.causal == (name in ("identity", "one_euro"))
    if name in FILTERS:
        assert param_count(model) == 0


@pytest.mark.parametrize("name", sorted(THESIS_PARAMS) + FILTERS)
@pytest.mark.parametrize("k,size,t", [(3, (12, 10), 5), (7, (8, 8), 9)])
def test_shapes_for_other_sizes(name, k, size, t):
    model = build_model(name, num_keypoints=k, window=t, heatmap_size=size, **SMALL.get(name, {}))
    if model.input_space == "heatmaps":
        x = torch.rand(2, t, k, *size)
        assert model(x).shape == x.shape
    else:
        xy = torch.rand(2, t, k, 2) * 8
        out = model(xy)
        assert out.shape == xy.shape and out.dtype == xy.dtype and torch.isfinite(out).all()


def test_identity_is_exact():
    x = torch.rand(1, 5, 25, 56, 56)
    assert build_model("identity")(x) is x


@pytest.mark.parametrize("name", LEARNED)
def test_gradient_reaches_every_parameter(name):
    model = build_model(name, num_keypoints=3, heatmap_size=(8, 8), **SMALL.get(name, {}))
    x = torch.rand(2, 5, 3, 8, 8) if model.input_space == "heatmaps" else torch.rand(2, 5, 3, 2)
    model(x).square().mean().backward()
    assert all(p.grad is not None for p in model.parameters())  # (ReLU may zero some of them)
    assert sum(float(p.grad.abs().sum()) for p in model.parameters()) > 0


def test_seeded_build_is_reproducible():
    torch.manual_seed(3)
    a = build_model("conv3d").conv.weight.clone()
    torch.manual_seed(3)
    assert torch.equal(a, build_model("conv3d").conv.weight)


def test_xavier_bounds_follow_the_thesis_tensors():
    # conv3d weight (25, 25, 5, 5, 5): fan_in = fan_out = 25·125, bound = sqrt(6 / 6250) ≈ 0.031
    w = build_model("conv3d").conv.weight.detach()
    assert 0.028 < float(w.abs().max()) <= (6 / 6250) ** 0.5
    # one fused ConvLSTM gate slice (25, 25, 3, 3) keeps the bound of a separate 25→25 conv
    cell = build_model("biconvlstm_sum").forward_cell
    assert float(cell.conv_x.weight.detach().abs().max()) <= (6 / 450) ** 0.5


def _two_keypoint_heatmaps() -> torch.Tensor:
    xy = torch.tensor([[10.0, 20.0], [30.0, 5.0]]).expand(1, 5, 2, 2)
    return render(xy, size=(40, 40))


def test_predict_keypoints_decodes_heatmap_refiners():
    hm = _two_keypoint_heatmaps()
    xy = predict_keypoints(build_model("identity"), hm)
    assert xy.shape == (1, 5, 2, 2) and xy[0, 0].tolist() == [[10.0, 20.0], [30.0, 5.0]]
    assert predict_keypoints(build_model("identity"), hm, decoder="subpixel")[0, 0, 0].tolist() == [10.0, 20.0]


def test_predict_keypoints_feeds_coordinate_refiners_argmax_and_found():
    hm = _two_keypoint_heatmaps()
    hm[0, :, 1] = 0  # keypoint 1 never detected → found False → NaN from a filter
    out = predict_keypoints(build_model("savgol", num_keypoints=2), hm)
    assert out[0, :, 0].tolist() == [[10.0, 20.0]] * 5
    assert torch.isnan(out[0, :, 1]).all()
    model = build_model("deciwatch", num_keypoints=2).eval()
    assert torch.equal(predict_keypoints(model, hm), predict_keypoints(model, torch.tensor(
        [[10.0, 20.0], [0.0, 0.0]]).expand(1, 5, 2, 2)))  # fmt: skip
