import numpy as np
import pytest

from tempose.cli import main
from tempose.data.store import Store, VideoRecord, add_video, store_writer, write_store
from tempose.data.summary import summarize
from tempose.errors import InputError
from tempose.heatmaps import box_to_affine


def _gt(name="a", t=6, k=13, keypoints=None, **kw):
    keypoints = np.ones((t, k, 2)) if keypoints is None else keypoints
    return VideoRecord(name, "penn_action", fps=25.0, source="test", keypoints=keypoints,
                       visible=np.ones((t, k), bool), **kw)


def test_round_trip_with_occluded_and_heatmaps(tmp_path):
    occluded = np.zeros((6, 13), bool)
    occluded[2, 4] = True
    est = VideoRecord("e", "climbalong", heatmaps=np.full((6, 25, 64, 64), 0.5, np.float32),
                      affine=box_to_affine(np.tile([0, 0, 64, 64], (6, 1)), (64, 64)),
                      keypoints=np.zeros((6, 25, 2)), visible=np.zeros((6, 25), bool),
                      attrs={"heatmap_keypoint_set": "climbalong"})
    write_store(tmp_path / "s.h5", [_gt(occluded=occluded, attrs={"action": "situp"}), est])
    store = Store(tmp_path / "s.h5")
    assert store.names == ["a", "e"] and store.num_frames("e") == 6
    a = store.read("a")
    assert a.occluded.sum() == 1 and a.occluded[2, 4] and a.attrs["action"] == "situp" and a.fps == 25.0
    assert store.array("a", "heatmaps") is None and store.array("a", "occluded")[2, 4]
    hm = store.heatmaps("e")
    assert hm.dtype == np.float16 and hm.chunks == (1, 25, 64, 64) and float(hm[3, 0, 1, 1]) == 0.5
    s = summarize(store)
    assert (s.videos, s.frames, s.heatmap_videos, dict(s.heatmap_sizes)) == (2, 12, 1, {"64x64": 1})
    assert s.coverage["penn_action"]["nose"] == (1.0, 1.0)
    assert s.coverage["penn_action"]["left_elbow"] == pytest.approx((1.0, 5 / 6))  # index 4 occluded once


def test_invalid_videos_and_failed_writes_leave_nothing(tmp_path):
    with pytest.raises(InputError, match="occluded must be"):
        write_store(tmp_path / "s.h5", [_gt(occluded=np.zeros((6, 12), bool))])
    with pytest.raises(InputError, match="NaN"):
        write_store(tmp_path / "s.h5", [_gt(), _gt("b", keypoints=np.full((6, 13, 2), np.nan))])
    with pytest.raises(InputError, match="duplicate video name"), store_writer(tmp_path / "s.h5") as videos:
        add_video(videos, _gt())
        add_video(videos, _gt())
    assert list(tmp_path.iterdir()) == []


def test_info_command(tmp_path, capsys):
    write_store(tmp_path / "s.h5", [_gt("a"), _gt("b", t=4)])
    assert main(["data", "info", str(tmp_path / "s.h5"), "--videos"]) == 0
    out = capsys.readouterr().out
    assert "videos: 2" in out and "frames: 10" in out and "fps: 25 (2)" in out and "b\t4\t25" in out
    assert main(["data", "info", str(tmp_path / "missing.h5")]) == 2
    assert "no such store file" in capsys.readouterr().err
