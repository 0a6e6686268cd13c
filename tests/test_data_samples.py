import numpy as np
import pytest
import torch

from tempose.data.datasets import PretrainDataset
from tempose.data.samples import (
    EXPERIMENTS,
    NOISE_STD,
    SIGMA_CHOICES,
    get_experiment,
    keypoint_boxes,
    to_grid,
    video_noise,
)
from tempose.data.splits import split
from tempose.data.store import Store, VideoRecord, write_store
from tempose.data.windows import Windows
from tempose.errors import InputError
from tempose.heatmaps import decode, render
from tempose.keypoints import CLIMBALONG, COCO17, PENN_ACTION


def test_experiments_table():
    assert NOISE_STD == 2.9500524520874025
    assert sorted(EXPERIMENTS) == ["1.1", "1.2", "1.3", "2.1", "2.2", "2.3"]
    e = get_experiment("1.2")
    assert (e.noise_scale, e.sigma_in, e.frame_step) == (1.0, "fixed", 1)
    e = get_experiment("2.3")
    assert (e.noise_scale, e.sigma_in, e.frame_step) == (2.0, "random", 2)
    with pytest.raises(InputError, match="unknown experiment '3.1'"):
        get_experiment("3.1")


def test_grid_positions_by_hand():
    # box (100, 200)-(200, 400) padded 5% per side → (95, 190)-(205, 410); x·55/110, y·55/220
    xy = np.array([[[100, 200], [200, 400], [141, 321], [96, 191], [90, 195]]], dtype=float)
    use = np.array([[True, True, True, False, False]])
    boxes, ok = keypoint_boxes(xy, use)
    assert boxes.tolist() == [[100, 200, 200, 400]] and ok.tolist() == [True]
    grid, inside = to_grid(xy, use)
    # 2.5 and 52.5 round half to even (numpy / torch rounding, as the thesis's numpy code)
    assert grid[0, :4].tolist() == [[2, 2], [52, 52], [23, 33], [0, 0]]
    assert inside.tolist() == [[True, True, True, True, False]]  # (90, 195) → (−2.5, 1.25): off grid
    grid64, _ = to_grid(xy, use, size=(64, 64))  # the scale follows the grid: 63/110, 63/220
    assert grid64[0, 2].tolist() == [round(46 * 63 / 110), round(131 * 63 / 220)]


def test_frames_without_a_box_have_no_positions():
    xy = np.array([[[5.0, 5.0], [5.0, 9.0]], [[1.0, 2.0], [3.0, 4.0]]])
    grid, inside = to_grid(xy, np.array([[True, True], [False, False]]))
    assert not inside.any()  # frame 0: zero-width box; frame 1: no keypoint defines a box


def test_noise_is_per_frame_and_does_not_depend_on_video_length():
    e = get_experiment("1.1")
    long_shift, long_sigma = video_noise(40, 25, e, seed=3, store=1, video="x")
    short_shift, short_sigma = video_noise(7, 25, e, seed=3, store=1, video="x")
    assert np.array_equal(long_shift[:7], short_shift) and np.array_equal(long_sigma[:7], short_sigma)
    assert not np.array_equal(long_shift[0], long_shift[1])  # not one constant shift per joint
    other, _ = video_noise(7, 25, e, seed=3, store=1, video="y")
    assert not np.array_equal(other, short_shift)
    fixed_shift, fixed_sigma = video_noise(7, 25, get_experiment("1.2"), seed=3, store=1, video="x")
    assert np.array_equal(fixed_shift, short_shift) and (fixed_sigma == 1).all()  # x.1/x.2 share shifts
    assert set(long_sigma.tolist()) <= set(SIGMA_CHOICES) and len(set(long_sigma.tolist())) > 1
    _, per_video = video_noise(40, 25, e, seed=3, store=1, video="x", sigma_per="video")
    assert len(set(per_video.tolist())) == 1


def test_shift_spread_matches_the_thesis():
    shift, _ = video_noise(400, 25, get_experiment("2.2"), seed=0, store=0, video="v")
    assert shift.dtype == np.int64
    assert abs(shift.std() - 2 * NOISE_STD) < 0.1 * NOISE_STD


def _walk(n: int, k: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.uniform(100, 300, (1, k, 2)) + np.cumsum(rng.normal(0, 3, (n, k, 2)), 0)).astype(np.float32)


@pytest.fixture
def stores(tmp_path):
    occluded = np.zeros((12, 13), bool)
    occluded[:, 5] = True
    write_store(tmp_path / "penn.h5", [VideoRecord("0001", "penn_action", keypoints=_walk(12, 13, 0),
                                                   visible=np.ones((12, 13), bool), occluded=occluded)])
    write_store(tmp_path / "brace.h5", [VideoRecord(f"v{i}", "coco17", keypoints=_walk(9 + i, 17, i + 1),
                                                    visible=np.ones((9 + i, 17), bool)) for i in range(2)])
    return [Store(tmp_path / "penn.h5"), Store(tmp_path / "brace.h5")]


def _all_windows(stores, step=1):
    lengths = {(i, n): s.num_frames(n) for i, s in enumerate(stores) for n in s.names}
    return Windows.for_videos(lengths, length=5, step=step)


def test_pretrain_sample_contract(stores):
    ds = PretrainDataset(stores, _all_windows(stores), get_experiment("1.1"))
    assert ds.videos == [(0, "0001"), (1, "v0"), (1, "v1")]
    s = ds[0]
    assert s["input"].shape == s["target"].shape == (5, 25, 56, 56) and s["input"].dtype == torch.float32
    assert s["target_xy"].shape == (5, 25, 2) and s["frames"].tolist() == [0, 1, 2, 3, 4]
    assert s["video"].item() == 0 and s["loss_mask"].dtype == torch.bool
    xy, found = decode(s["target"])
    assert torch.equal(found, s["visible"]) and torch.equal(xy, s["target_xy"])
    mass = s["target"].sum(dim=(-2, -1))
    interior = s["visible"] & (s["target_xy"] >= 4).all(-1) & (s["target_xy"] <= 51).all(-1)
    assert interior.sum() > 20 and torch.allclose(mass[interior], torch.tensor(255.0), atol=0.01)
    assert (mass[~s["visible"]] == 0).all()  # near the border a σ=1 map loses the mass it would spill
    assert torch.equal(s["input_valid"], s["visible"])


def test_coordinate_output_models_skip_the_target_maps(stores):
    full = PretrainDataset(stores, _all_windows(stores), get_experiment("1.1"), seed=3)
    lean = PretrainDataset(stores, _all_windows(stores), get_experiment("1.1"), seed=3, render_targets=False)
    for i in (0, len(full) - 1):
        a, b = full[i], lean[i]
        assert "target" not in b and set(a) - set(b) == {"target"}
        assert torch.equal(a["input"], b["input"]) and torch.equal(a["target_xy"], b["target_xy"])


def test_loss_masks_come_from_each_source(stores):
    ds = PretrainDataset(stores, _all_windows(stores), get_experiment("1.2"))
    penn, coco = ds[0]["loss_mask"], ds[len(ds) - 1]["loss_mask"]
    for name in ("left_ear", "right_ear", "left_thumb", "left_heel", "right_foot_index"):
        assert not penn[CLIMBALONG.index(name)]
    assert coco[CLIMBALONG.index("left_ear")] and not coco[CLIMBALONG.index("left_pinky")]
    assert penn.sum() == len(PENN_ACTION) and coco.sum() == len(COCO17) - 2  # COCO's eyes are dropped


def test_inputs_are_the_shifted_clipped_targets_rendered_with_sigma_in(stores):
    ds = PretrainDataset(stores, _all_windows(stores), get_experiment("2.1"), space="coords", seed=5)
    hm = PretrainDataset(stores, _all_windows(stores), get_experiment("2.1"), seed=5)
    for i in (0, 3, len(ds) - 1):
        c, h = ds[i], hm[i]
        v = c["video"].item()
        store, name = ds.videos[v]
        shift, sigma = video_noise(stores[store].num_frames(name), 25, get_experiment("2.1"), 5, store, name)
        f = c["frames"].numpy()
        expected = np.clip(c["target_xy"].numpy() + shift[f], 0, 55) * c["visible"].numpy()[..., None]
        assert np.array_equal(c["input"].numpy(), expected)
        ref = render(c["input"], sigma=torch.from_numpy(sigma[f])[:, None].expand(5, 25), visible=c["visible"])
        assert torch.allclose(h["input"], ref)
        assert torch.equal(decode(h["input"])[0], c["input"])  # coords space = argmax of the heatmaps


def test_a_frame_gets_the_same_noise_in_every_window_and_epoch(stores):
    ds = PretrainDataset(stores, _all_windows(stores), get_experiment("1.1"), space="coords")
    a, b = ds[0], ds[1]  # frames 0-4 and 1-5 of the same video
    assert torch.equal(a["input"][1:], b["input"][:4])
    ds.set_epoch(4)
    assert torch.equal(ds[0]["input"], a["input"])
    aug = PretrainDataset(stores, _all_windows(stores), get_experiment("1.1"), space="coords",
                          resample_each_epoch=True)
    assert torch.equal(aug[0]["input"], a["input"])
    aug.set_epoch(1)
    assert not torch.equal(aug[0]["input"], a["input"])


def test_occluded_keypoints_are_drawn_unless_asked_not_to(stores):
    ds = PretrainDataset(stores[:1], _all_windows(stores[:1]), get_experiment("1.2"))
    strict = PretrainDataset(stores[:1], _all_windows(stores[:1]), get_experiment("1.2"), draw_occluded=False)
    channel = CLIMBALONG.index(PENN_ACTION.names[5])
    assert not strict[0]["visible"][:, channel].any()
    assert ds[0]["visible"][:, channel].sum() >= strict[0]["visible"][:, channel].sum()


def test_half_rate_windows_and_custom_heatmap_size(stores):
    plan = split(stores, length=5, step=2, seed=0)
    windows = plan.sets["train"]
    ds = PretrainDataset(stores, windows, get_experiment("1.3"), heatmap_size=(64, 48))
    s = ds[0]
    assert s["input"].shape == (5, 25, 64, 48)
    assert (s["frames"][1:] - s["frames"][:-1]).tolist() == [2, 2, 2, 2]
    assert s["target_xy"][..., 0].max() <= 47 and s["target_xy"][..., 1].max() <= 63


def test_unknown_space_is_an_input_error(stores):
    with pytest.raises(InputError, match="unknown sample space"):
        PretrainDataset(stores, _all_windows(stores), get_experiment("1.1"), space="pixels")
