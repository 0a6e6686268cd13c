import logging

import numpy as np
import pytest
import torch

from tempose.cli import main
from tempose.data.datasets import FinetuneDataset
from tempose.data.readers.climbalong import read_climbalong
from tempose.data.splits import split
from tempose.data.store import Store, VideoRecord, write_store
from tempose.data.windows import Windows
from tempose.errors import InputError
from tempose.heatmaps import box_to_affine, decode, preprocess, render
from tempose.keypoints import CLIMBALONG, COCO17


def _write_pair(folder, name, frames=8, seed=0, boxes=None, keypoints=None, **overrides):
    rng = np.random.default_rng(seed)
    inp = {
        "heatmaps": rng.normal(0, 1, (frames, 25, 56, 56)).astype(np.float32),
        "bboxes": np.tile([100.0, 200.0, 212.0, 424.0], (frames, 1)) if boxes is None else boxes,
    }
    kp = np.concatenate([rng.uniform(100, 400, (frames, 25, 2)), np.ones((frames, 25, 1))], -1)
    tgt = {"keypoints": kp if keypoints is None else keypoints}
    for key, value in overrides.items():
        (inp if key in inp else tgt)[key] = value
    np.savez(folder / f"{name}.input.npz", **{k: v for k, v in inp.items() if v is not None})
    np.savez(folder / f"{name}.target.npz", **{k: v for k, v in tgt.items() if v is not None})
    return inp, tgt


def test_reader_pairs_files_and_writes_the_56_over_w_affine(tmp_path):
    inp, tgt = _write_pair(tmp_path, "climb01")
    _write_pair(tmp_path, "climb02", frames=6, seed=1)
    videos = list(read_climbalong(tmp_path))
    assert [v.name for v in videos] == ["climb01", "climb02"]
    v = videos[0]
    assert v.keypoint_set == "climbalong" and v.num_frames == 8 and v.heatmaps.shape == (8, 25, 56, 56)
    assert np.allclose(v.affine[0], [[2.0, 0.0, 100.0], [0.0, 4.0, 200.0]])  # 112/56 and 224/56
    assert np.allclose(v.affine, box_to_affine(inp["bboxes"], span="size"))
    assert v.visible.all() and np.allclose(v.keypoints, tgt["keypoints"][..., :2])


def test_thesis_rules_skip_and_cut_with_warnings(tmp_path, caplog):
    kp = np.concatenate([np.full((8, 25, 2), 150.0), np.ones((8, 25, 1))], -1)
    few = kp.copy()
    few[0, :3, 2] = 0  # 22 annotated keypoints in frame 0
    _write_pair(tmp_path, "few", keypoints=few)
    boxes = np.tile([100.0, 200.0, 212.0, 424.0], (8, 1))
    boxes[3, 2] = boxes[3, 0]  # zero width at frame 3
    _write_pair(tmp_path, "cut", boxes=boxes, keypoints=kp)
    with caplog.at_level(logging.WARNING, logger="tempose"):
        videos = list(read_climbalong(tmp_path))
    assert [(v.name, v.num_frames) for v in videos] == [("cut", 3)]
    messages = " | ".join(r.getMessage() for r in caplog.records)
    assert "video few: frame 0 has 22 annotated keypoints" in messages
    assert "video cut: estimator box of frame 3 has zero width or height" in messages
    kept = {v.name: v for v in read_climbalong(tmp_path, min_first_keypoints=0, cut_degenerate_boxes=False)}
    assert kept["few"].num_frames == 8 and kept["cut"].num_frames == 8
    assert np.isfinite(np.linalg.inv(kept["cut"].affine[3, :, :2])).all()  # widened to 1 px


@pytest.mark.parametrize(
    "case,match",
    [
        ({"bboxes": None}, "missing field 'bboxes'"),
        ({"keypoints": np.zeros((8, 25, 2))}, r"keypoints have shape \(8, 25, 2\)"),
        ({"heatmaps": np.zeros((8, 17, 56, 56), np.float32)}, "heatmaps have shape"),
        ({"bboxes": np.zeros((7, 4))}, r"bboxes have shape \(7, 4\)"),
    ],
)
def test_bad_files_raise_one_line_errors_naming_the_file(tmp_path, case, match):
    _write_pair(tmp_path, "bad", **case)
    with pytest.raises(InputError, match=match) as err:
        list(read_climbalong(tmp_path))
    assert "bad." in str(err.value) and "\n" not in str(err.value)


def test_nan_only_matters_at_annotated_keypoints(tmp_path):
    kp = np.concatenate([np.full((8, 25, 2), 150.0), np.ones((8, 25, 1))], -1)
    kp[2, 24] = [np.nan, np.nan, 0]  # not annotated: ignored
    _write_pair(tmp_path, "ok", keypoints=kp)
    assert list(read_climbalong(tmp_path))[0].visible.sum() == 8 * 25 - 1
    kp[2, 24, 2] = 1
    _write_pair(tmp_path, "ok", keypoints=kp)
    with pytest.raises(InputError, match="NaN"):
        list(read_climbalong(tmp_path))


def test_a_lone_input_file_is_an_error(tmp_path):
    _write_pair(tmp_path, "a")
    (tmp_path / "a.target.npz").rename(tmp_path / "b.target.npz")
    with pytest.raises(InputError, match="no matching a.target.npz"):
        list(read_climbalong(tmp_path))


def test_cli_bad_input_exits_2_and_leaves_no_store(tmp_path, capsys):
    _write_pair(tmp_path, "good")
    _write_pair(tmp_path, "zbad", keypoints=np.zeros((8, 25, 2)))
    out = tmp_path / "out" / "store.h5"
    assert main(["data", "climbalong", str(tmp_path), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "zbad.target.npz" in err[0]
    assert not out.exists() and not list(out.parent.iterdir())


def test_finetune_targets_by_hand(tmp_path):
    kp = np.zeros((6, 25, 3))
    kp[:, :, 2] = 1
    kp[:, 0, :2] = [150, 300]  # → ((150−100)·56/112, (300−200)·56/224) = (25, 25)
    kp[:, 1, :2] = [90, 180]  # left of and above the box → clipped to (0, 0)
    kp[:, 2, :2] = [400, 500]  # → (150, 75) → clipped to (55, 55)
    kp[:, 3, 2] = 0  # not annotated
    inp, _ = _write_pair(tmp_path, "v", frames=6, keypoints=kp)
    write_store(tmp_path / "s.h5", read_climbalong(tmp_path, min_first_keypoints=0))
    store = Store(tmp_path / "s.h5")
    ds = FinetuneDataset(store, Windows.for_videos({(0, "v"): 6}, length=5))
    assert len(ds) == 2 and ds.heatmap_size == (56, 56) and ds.videos == [(0, "v")]
    s = ds[1]
    assert s["frames"].tolist() == [1, 2, 3, 4, 5]
    assert s["target_xy"][0, :4].tolist() == [[25, 25], [0, 0], [55, 55], [0, 0]]
    assert s["visible"][0, :4].tolist() == [True, True, True, False] and s["loss_mask"].all()
    assert torch.equal(s["target"], render(s["target_xy"], visible=s["visible"]))
    stored = torch.from_numpy(inp["heatmaps"][1:6].astype(np.float16).astype(np.float32))
    assert torch.allclose(s["input"], preprocess(stored), atol=1e-4)
    assert s["input_valid"].all()
    coords = FinetuneDataset(store, Windows.for_videos({(0, "v"): 6}, length=5), space="coords")[1]
    assert torch.equal(coords["input"], decode(s["input"])[0]) and torch.equal(coords["target"], s["target_xy"])
    lean = FinetuneDataset(store, Windows.for_videos({(0, "v"): 6}, length=5), render_targets=False)[1]
    assert set(s) - set(lean) == {"target"} and torch.equal(lean["input"], s["input"])


def test_finetune_dataset_with_a_thesis_split(tmp_path):
    for i in range(4):
        _write_pair(tmp_path, f"c{i}", frames=10 + 3 * i, seed=i)
    write_store(tmp_path / "s.h5", read_climbalong(tmp_path))
    store = Store(tmp_path / "s.h5")
    plan = split([store], protocol="thesis", stage="finetune", seed=0)
    assert plan.videos("holdout") == [(0, "c3")]
    holdout = FinetuneDataset(store, plan.sets["holdout"], space="coords")
    assert len(holdout) == 19 - 4 and holdout[0]["input"].shape == (5, 25, 2)


def test_finetune_maps_other_keypoint_sets_into_climbalong_channels(tmp_path):
    rng = np.random.default_rng(0)
    heatmaps = rng.random((6, 17, 64, 64)).astype(np.float32)
    video = VideoRecord("coco", "coco17", keypoints=rng.uniform(0, 64, (6, 17, 2)), visible=np.ones((6, 17), bool),
                        heatmaps=heatmaps, affine=box_to_affine(np.tile([0.0, 0.0, 64.0, 64.0], (6, 1)), (64, 64)))
    write_store(tmp_path / "s.h5", [video])
    s = FinetuneDataset(Store(tmp_path / "s.h5"), Windows.for_videos({(0, "coco"): 6}, length=5))[0]
    assert s["input"].shape == (5, 25, 64, 64)
    ear = CLIMBALONG.index("left_ear")
    expected = preprocess(torch.from_numpy(heatmaps[:5, COCO17.index("left_ear")].astype(np.float16)).float())
    assert torch.allclose(s["input"][:, ear], expected, atol=1e-4)
    thumb = CLIMBALONG.index("left_thumb")
    assert not s["input_valid"][:, thumb].any() and not s["loss_mask"][thumb] and s["loss_mask"][ear]
    assert not s["visible"][:, thumb].any() and s["visible"][:, ear].all()
