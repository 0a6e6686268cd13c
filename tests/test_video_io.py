"""Video reading and writing: round trip, clear errors for missing/corrupt files, atomic refusal
to overwrite, and skeleton drawing that skips missing keypoints."""

from __future__ import annotations

import numpy as np
import pytest

from tempose.errors import InputError
from tempose.video import draw_skeleton, read_frames, video_info, write_video


def _frames(n: int, h: int = 48, w: int = 64) -> list[np.ndarray]:
    out = []
    for i in range(n):
        f = np.zeros((h, w, 3), np.uint8)
        f[:, :, 0] = 200  # red everywhere: checks the RGB↔BGR boundary
        f[10:20, 5 + 4 * i : 15 + 4 * i, 1] = 255
        out.append(f)
    return out


def test_write_then_read_round_trip(tmp_path):
    path = write_video(tmp_path / "clip.mp4", _frames(6), fps=12.5)
    info = video_info(path)
    assert (info.fps, info.num_frames, info.width, info.height) == (12.5, 6, 64, 48)
    frames = list(read_frames(path))
    assert len(frames) == 6 and frames[0].shape == (48, 64, 3) and frames[0].dtype == np.uint8
    assert abs(int(frames[0][40, 40, 0]) - 200) < 12 and frames[0][40, 40, 2] < 20  # still red, not blue
    assert len(list(read_frames(path, max_frames=2))) == 2
    assert not list(tmp_path.glob(".clip*"))  # no temporary file left behind


def test_refuses_to_overwrite_and_rejects_empty(tmp_path):
    path = write_video(tmp_path / "clip.mp4", _frames(2), fps=10)
    with pytest.raises(InputError, match="refusing to overwrite"):
        write_video(path, _frames(2), fps=10)
    write_video(path, _frames(3), fps=10, overwrite=True)
    assert video_info(path).num_frames == 3
    with pytest.raises(InputError, match="no frames to write"):
        write_video(tmp_path / "empty.mp4", [], fps=10)
    assert not (tmp_path / "empty.mp4").exists()


def test_missing_and_corrupt_videos_give_one_line_errors(tmp_path):
    with pytest.raises(InputError, match="no such video file") as err:
        video_info(tmp_path / "nope.mp4")
    assert "nope.mp4" in str(err.value)
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    with pytest.raises(InputError, match="corrupt"):
        list(read_frames(bad))


def test_draw_skeleton_skips_missing_points():
    frame = np.zeros((20, 20, 3), np.uint8)
    xy = np.array([[2.0, 2.0], [17.0, 2.0], [np.nan, np.nan]])
    draw_skeleton(frame, xy, [(0, 1), (1, 2)], (0, 255, 0), thickness=1)
    assert frame[2, 10, 1] > 0  # the 0–1 line
    assert frame[2:, 17:, 1].sum() > 0 and frame[10:, :, 1].sum() == 0  # nothing towards the NaN point
    draw_skeleton(frame, None, [(0, 1)], (255, 0, 0))  # a frame without a person: no-op
    assert frame[..., 0].sum() == 0
