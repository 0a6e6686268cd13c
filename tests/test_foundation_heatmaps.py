import numpy as np
import pytest
import torch
from scipy.ndimage import gaussian_filter

from tempose.heatmaps import (
    apply_affine,
    box_to_affine,
    decode,
    heatmap_to_image,
    image_to_heatmap,
    invert_affine,
    preprocess,
    render,
)


def _scipy_map(row: int, col: int, size: int = 56, sigma: float = 1.0) -> np.ndarray:
    impulse = np.zeros((size, size))
    impulse[row, col] = 1.0
    return gaussian_filter(impulse, sigma=sigma, mode="nearest", truncate=4.0) * 255


def test_render_then_argmax_returns_every_integer_position():
    cols, rows = np.meshgrid(np.arange(56), np.arange(56))
    xy = torch.tensor(np.stack([cols.ravel(), rows.ravel()], -1), dtype=torch.float32)
    xy_hat, found = decode(render(xy))
    assert found.all()
    assert torch.equal(xy_hat, xy)


@pytest.mark.parametrize("row,col", [(0, 0), (0, 30), (27, 31)])  # corner, edge, interior
def test_render_equals_scipy_gaussian_filter(row, col):
    hm = render(torch.tensor([[float(col), float(row)]]), dtype=torch.float64)[0].numpy()
    np.testing.assert_allclose(hm, _scipy_map(row, col), atol=1e-4)


def test_interior_peak_and_mass():
    hm = render(torch.tensor([[20.0, 30.0]]))[0]
    assert float(hm.max()) == pytest.approx(40.6, abs=0.05)
    assert float(hm.sum()) == pytest.approx(255.0, abs=0.5)
    assert float(hm[30, 20]) == float(hm.max())


def test_render_rounds_and_handles_missing_and_outside():
    xy = torch.tensor([[10.4, 20.6], [3.0, 3.0], [56.0, 3.0], [-0.6, 3.0]])
    hm = render(xy, visible=torch.tensor([True, False, True, True]))
    assert decode(hm[:1])[0].tolist() == [[10.0, 21.0]]
    assert hm[1:].abs().sum() == 0  # invisible, right of the grid, left of the grid


def test_render_sigma_per_keypoint_matches_scipy():
    xy = torch.tensor([[[5.0, 6.0], [40.0, 41.0]]])
    hm = render(xy, sigma=torch.tensor([[1.0, 2.5]]), dtype=torch.float64)[0].numpy()
    np.testing.assert_allclose(hm[0], _scipy_map(6, 5, sigma=1.0), atol=1e-4)
    np.testing.assert_allclose(hm[1], _scipy_map(41, 40, sigma=2.5), atol=1e-4)


def test_preprocess_clamps_normalises_and_keeps_empty_maps():
    hm = torch.tensor([[[-5.0, 1.0], [0.0, 3.0]], [[-1.0, -2.0], [0.0, 0.0]], [[float("nan"), 1.0], [0.0, 0.0]]])
    before = hm.clone()
    out = preprocess(hm)
    assert out[0].tolist() == [[0.0, 63.75], [0.0, 191.25]]
    assert out[1].abs().sum() == 0 and out[2].tolist() == [[0.0, 0.0], [0.0, 0.0]]  # a NaN map counts as empty
    assert torch.equal(hm.nan_to_num(), before.nan_to_num())  # the caller's maps are not modified


def test_decode_empty_map_is_missing_and_argmax_is_xy():
    hm = torch.zeros(1, 3, 8, 8)
    hm[0, 0, 2, 5] = 1.0  # row 2, col 5
    xy, found = decode(hm)
    assert xy[0, 0].tolist() == [5.0, 2.0]
    assert found[0].tolist() == [True, False, False]
    assert xy[0, 1].tolist() == [0.0, 0.0]


@pytest.mark.parametrize("method", ["subpixel", "soft_argmax"])
def test_subpixel_decoders_recover_fractional_positions(method):
    # a Gaussian sampled around a fractional centre (not rendered from a rounded impulse)
    rr, cc = np.mgrid[0:56, 0:56]
    cx, cy = 20.3, 31.8
    hm = torch.tensor(np.exp(-((cc - cx) ** 2 + (rr - cy) ** 2) / (2 * 1.5**2)))[None]
    xy, _ = decode(hm, method)
    err = np.linalg.norm(xy[0].numpy() - [cx, cy])
    argmax_err = np.linalg.norm(decode(hm, "argmax")[0][0].numpy() - [cx, cy])  # 0.36 px
    # the log-parabola fit is exact for a true Gaussian; the 5x5 window biases soft-argmax a little
    assert err < (1e-6 if method == "subpixel" else 0.15) and err < argmax_err / 2


def test_decode_rejects_unknown_method():
    with pytest.raises(ValueError, match="available"):
        decode(torch.zeros(1, 4, 4), "magic")


def test_box_affine_thesis_mappings():
    box = np.array([100.0, 200.0, 212.0, 312.0])  # 112 px wide and high
    fine = box_to_affine(box, (56, 56), span="size")  # finetuning: x' = (x - x1) * 56 / w
    np.testing.assert_allclose(image_to_heatmap(np.array([[156.0, 200.0]]), fine), [[28.0, 0.0]])
    pre = box_to_affine(box, (56, 56), pad=0.05, span="size-1")  # pretraining: 5% pad, 55/w
    # padded box: x1 = 100 - 5.6 = 94.4, width 123.2 -> x' = (156 - 94.4) * 55 / 123.2
    np.testing.assert_allclose(image_to_heatmap(np.array([[156.0, 200.0]]), pre)[0, 0], 61.6 * 55 / 123.2)
    # anisotropic: a 2:1 box keeps independent scales
    wide = box_to_affine(np.array([0.0, 0.0, 112.0, 56.0]), (56, 56))
    np.testing.assert_allclose(image_to_heatmap(np.array([[56.0, 28.0]]), wide), [[28.0, 28.0]])


def test_affine_round_trip_and_clipping():
    aff = box_to_affine(np.array([[10.0, 20.0, 70.0, 140.0]]), (64, 48))
    pts = np.array([[[15.0, 30.0], [69.0, 139.0]]])
    np.testing.assert_allclose(heatmap_to_image(image_to_heatmap(pts, aff), aff), pts, atol=1e-9)
    np.testing.assert_allclose(invert_affine(invert_affine(aff)), aff, atol=1e-12)
    outside = image_to_heatmap(np.array([[[0.0, 500.0]]]), aff, size=(64, 48), clip=True)
    assert outside.tolist() == [[[0.0, 63.0]]]
    rot = np.array([[0.0, -1.0, 5.0], [1.0, 0.0, 2.0]])  # a rotated crop
    np.testing.assert_allclose(apply_affine(rot, np.array([[1.0, 0.0]])), [[5.0, 3.0]])
