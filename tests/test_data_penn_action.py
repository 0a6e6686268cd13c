import logging

import numpy as np
import pytest
import scipy.io

from tempose.cli import main
from tempose.data.readers.penn_action import THESIS_ACTIONS, read_penn_action
from tempose.data.store import Store, write_store
from tempose.data.summary import summarize
from tempose.errors import InputError


def _mat(folder, name, action="situp", frames=4, train=1, **overrides):
    rng = np.random.default_rng(len(name) + frames)
    fields = {
        "x": rng.uniform(10, 300, (frames, 13)),
        "y": rng.uniform(10, 200, (frames, 13)),
        "visibility": np.ones((frames, 13), np.uint8),
        "bbox": np.tile([5.0, 5.0, 310.0, 210.0], (frames, 1)),
        "dimensions": np.array([[240, 320, frames]], np.uint16),
        "nframes": np.array([[frames]], np.uint8),
        "action": np.array([action]),
        "pose": np.array(["front"]),
        "train": np.array([[train]], np.int32),
    }
    fields.update(overrides)
    scipy.io.savemat(folder / f"{name}.mat", {k: v for k, v in fields.items() if v is not None})
    return fields


def test_reader_keeps_penn_order_and_flags(tmp_path):
    vis = np.ones((4, 13), np.uint8)
    vis[1, 5] = 0
    x = np.full((4, 13), 50.0)
    x[2, 7] = 0.0
    y = np.full((4, 13), 60.0)
    y[2, 7] = 0.0
    vis[2, 7] = 0  # (0, 0) and invisible: Penn Action's placeholder → not annotated
    f = _mat(tmp_path, "0001", visibility=vis, x=x, y=y)
    (video,) = read_penn_action(tmp_path)
    assert video.name == "0001" and video.keypoint_set == "penn_action" and video.source == "penn_action"
    assert video.keypoints.shape == (4, 13, 2) and video.keypoints[0, 3].tolist() == [50.0, 60.0]
    assert video.visible[1, 5] and video.occluded[1, 5] and video.occluded.sum() == 1
    assert not video.visible[2, 7] and video.visible.sum() == 4 * 13 - 1
    assert np.allclose(video.boxes, f["bbox"])
    assert video.attrs["action"] == "situp" and video.attrs["penn_split"] == "train"
    assert video.attrs["image_size"].tolist() == [320, 240]


def test_action_and_split_filters_and_the_sit_ups_alias(tmp_path):
    _mat(tmp_path, "0001", action="baseball_pitch")
    _mat(tmp_path, "0002", action="squat")
    _mat(tmp_path, "0003", action="situp", train=-1)
    assert [v.name for v in read_penn_action(tmp_path, actions=["sit_ups", "squat"])] == ["0002", "0003"]
    assert [v.name for v in read_penn_action(tmp_path, split="test")] == ["0003"]
    assert [v.name for v in read_penn_action(tmp_path, actions=THESIS_ACTIONS, split="train")] == ["0001"]
    with pytest.raises(InputError, match="unknown Penn Action action 'sit_up'"):
        list(read_penn_action(tmp_path, actions=["sit_up"]))


def test_a_short_bbox_is_padded_with_a_warning(tmp_path, caplog):
    _mat(tmp_path, "0001", bbox=np.tile([5.0, 5.0, 310.0, 210.0], (3, 1)))
    with caplog.at_level(logging.WARNING, logger="tempose"):
        (video,) = read_penn_action(tmp_path)
    assert video.boxes.shape == (4, 4) and "bbox has 3 rows for 4 frames" in caplog.text


@pytest.mark.parametrize(
    "override,match",
    [
        ({"visibility": None}, "missing field 'visibility'"),
        ({"x": np.zeros((4, 12))}, r"field 'x' has shape \(4, 12\), expected \(4, 13\)"),
        ({"y": np.full((4, 13), np.nan)}, "NaN or inf coordinates"),
        ({"bbox": np.zeros((4, 3))}, "field 'bbox' has shape"),
    ],
)
def test_bad_files_name_the_file(tmp_path, override, match):
    _mat(tmp_path, "0001")
    _mat(tmp_path, "0002", **override)
    with pytest.raises(InputError, match=match) as err:
        list(read_penn_action(tmp_path))
    assert "0002.mat" in str(err.value)


def test_cli_writes_a_store_and_fails_cleanly(tmp_path, capsys):
    labels = tmp_path / "labels"
    labels.mkdir()
    _mat(labels, "0001", action="bench_press", frames=5)
    _mat(labels, "0002", action="bowl", frames=7)
    out = tmp_path / "penn.h5"
    assert main(["data", "penn-action", str(labels), "--out", str(out), "--actions", "bench_press"]) == 0
    assert "1 videos, 5 frames" in capsys.readouterr().out
    assert main(["data", "penn-action", str(labels), "--out", str(out)]) == 2  # exists: no overwrite
    assert "already exists" in capsys.readouterr().err
    assert main(["data", "info", str(out)]) == 0
    info = capsys.readouterr().out
    assert "videos: 1" in info and "frames: 5" in info and "bench_press (1)" in info
    assert main(["data", "penn-action", str(labels), "--out", str(tmp_path / "x.h5"), "--actions", "golf"]) == 2
    assert "unknown Penn Action action 'golf'" in capsys.readouterr().err
    _mat(labels, "0003", x=np.full((4, 13), np.nan))
    assert main(["data", "penn-action", str(labels), "--out", str(tmp_path / "y.h5")]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["labels", "penn.h5"]  # no half-written store


def test_real_penn_action_labels(shared, tmp_path):
    labels = shared / "data" / "penn_action" / "labels"
    videos = list(read_penn_action(labels))
    assert len(videos) == 1258 and sum(v.num_frames for v in videos) == 87543
    thesis = [v for v in videos if v.attrs["action"] in THESIS_ACTIONS]
    write_store(tmp_path / "thesis.h5", thesis)
    summary = summarize(Store(tmp_path / "thesis.h5"))
    assert (summary.videos, summary.frames) == (223, 19001)
    assert dict(summary.actions) == {"baseball_pitch": 104, "bench_press": 69, "situp": 50}
