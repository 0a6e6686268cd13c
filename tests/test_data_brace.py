import json
import logging

import numpy as np
import pytest

from tempose.cli import main
from tempose.data.readers.brace import read_brace
from tempose.errors import InputError

VIDEO = "A_Kx-9"  # BRACE video ids contain '_' and '-', so they are read from the frame keys


def _kp(frame: int) -> list:
    return [[100.0 + frame + j, 200.0 + j, 1.0] for j in range(17)]


def _segment(folder, name, frames, video=VIDEO, year="2011", entry=None):
    path = folder / year / video / f"{video}_{frames[0]}-{frames[-1]}_{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {f"{video}/img-{f:06d}.png": entry or {"box": [90.0, 190.0, 60.0, 40.0, 1.0], "keypoints": _kp(f)}
            for f in frames}
    path.write_text(json.dumps(data))
    return path


def _manual(folder, frame, joints, video=VIDEO, year="2011", key="coco_joints2d"):
    path = folder / year / video / f"img-{frame:06d}.npz"
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **{key: joints})


@pytest.fixture
def brace(tmp_path):
    kp, manual = tmp_path / "dataset", tmp_path / "manual"
    _segment(kp, "toprock", [1, 2, 3])
    _segment(kp, "footwork", [4, 5])  # consecutive with the first: one sequence
    _segment(kp, "powermove", [10, 11, 12])  # a gap: a second sequence
    _segment(kp, "toprock", [7, 8, 9, 10, 11], video="other")
    joints = np.array(_kp(0))
    joints[:, :2] = 500.0
    joints[3, :2] = [-20.0, 300.0]  # outside the 1920×1080 image
    _manual(manual, 2, joints)
    _manual(manual, 40, joints)  # no automatic frame: ignored
    return kp, manual


def test_segments_merge_into_runs_of_consecutive_frames(brace):
    kp, manual = brace
    videos = list(read_brace(kp, manual))
    assert [(v.name, v.num_frames) for v in videos] == [(f"{VIDEO}_1_5", 5), (f"{VIDEO}_10_12", 3),
                                                        ("other_7_11", 5)]
    v = videos[0]
    assert v.keypoint_set == "coco17" and v.source == "brace" and abs(v.fps - 29.97) < 0.01
    assert v.keypoints[0, 0].tolist() == [101.0, 200.0] and v.keypoints[4, 16].tolist() == [121.0, 216.0]
    assert v.boxes[0].tolist() == [90.0, 190.0, 150.0, 230.0]  # x, y, w, h → x1, y1, x2, y2
    assert v.attrs["year"] == "2011" and v.attrs["video_id"] == VIDEO and v.attrs["first_frame"] == 1


def test_manual_keypoints_override_and_mark_outside_points(brace):
    kp, manual = brace
    v = next(iter(read_brace(kp, manual)))
    assert v.keypoints[1, 0].tolist() == [500.0, 500.0]  # frame 2 is the run's second frame
    assert v.keypoints[0, 0].tolist() == [101.0, 200.0]
    assert v.visible.all() and v.occluded.sum() == 1 and v.occluded[1, 3]
    assert v.attrs["manual_frames"] == 1
    assert not next(iter(read_brace(kp))).occluded.any()


def test_duplicate_frames_keep_the_first_with_a_warning(tmp_path, caplog):
    _segment(tmp_path, "a", [1, 2, 3])
    _segment(tmp_path, "b", [3, 4])
    with caplog.at_level(logging.WARNING, logger="tempose"):
        (v,) = read_brace(tmp_path)
    assert v.num_frames == 4 and "1 frames of A_Kx-9 already read" in caplog.text


@pytest.mark.parametrize(
    "entry,match",
    [
        ({"box": [0, 0, 1, 1, 1]}, "missing field 'keypoints'"),
        ({"box": [0, 0, 1, 1, 1], "keypoints": [[1.0, 2.0, 1.0]] * 16}, r"shape \(16, 3\)"),
        ({"box": [0, 0, 1, 1, 1], "keypoints": [[float("nan"), 2.0, 1.0]] * 17}, "NaN"),
    ],
)
def test_bad_segments_name_the_file_and_frame(tmp_path, entry, match):
    path = _segment(tmp_path, "bad", [5], entry=entry)
    with pytest.raises(InputError, match=match) as err:
        list(read_brace(tmp_path))
    assert str(path) in str(err.value) and "img-000005.png" in str(err.value)


def test_bad_manual_files(brace):
    kp, manual = brace
    _manual(manual, 3, np.zeros((17, 3)), key="joints")
    with pytest.raises(InputError, match="missing field 'coco_joints2d'"):
        list(read_brace(kp, manual))
    _manual(manual, 3, np.zeros((13, 3)))
    with pytest.raises(InputError, match="img-000003.npz"):
        list(read_brace(kp, manual))


def test_cli(brace, tmp_path, capsys):
    kp, manual = brace
    out = tmp_path / "brace.h5"
    assert main(["data", "brace", str(kp), "--manual", str(manual), "--out", str(out)]) == 0
    assert "3 videos, 13 frames" in capsys.readouterr().out
    assert main(["data", "brace", str(tmp_path / "nothing"), "--out", str(tmp_path / "x.h5")]) == 2
    assert "no BRACE segment .json files found" in capsys.readouterr().err
    assert not (tmp_path / "x.h5").exists()
