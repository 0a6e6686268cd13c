import json

import numpy as np
import pytest

from tempose.data.windows import WindowRef, Windows, make_windows, non_overlapping, span


def test_make_windows_by_hand():
    assert make_windows(7, length=3).tolist() == [[0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5], [4, 5, 6]]
    assert make_windows(7, length=3, stride=2).tolist() == [[0, 1, 2], [2, 3, 4], [4, 5, 6]]
    assert make_windows(10, length=5, step=2).tolist() == [[0, 2, 4, 6, 8], [1, 3, 5, 7, 9]]
    assert make_windows(4, length=5).shape == (0, 5)
    assert span(5, 2) == 9


@pytest.mark.parametrize("n,length,stride,step", [(30, 5, 1, 1), (31, 5, 3, 2), (9, 5, 1, 2), (5, 5, 1, 1)])
def test_every_window_lies_inside_the_video(n, length, stride, step):
    w = make_windows(n, length, stride, step)
    assert w.min(initial=0) >= 0 and w.max(initial=0) <= n - 1
    assert len(w) == len(range(0, n - (length - 1) * step, stride))


def test_windows_index_and_refs():
    w = Windows.for_videos({(0, "a"): 7, (1, "b"): 6}, length=5, stride=1, step=1)
    assert len(w) == 3 + 2
    assert w[3] == WindowRef(1, "b", (0, 1, 2, 3, 4))
    assert w.frames[4].tolist() == [1, 2, 3, 4, 5]
    assert [r.video for r in w] == ["a", "a", "a", "b", "b"]


def test_windows_json_round_trip_is_exact_and_compact():
    w = Windows.for_videos({(0, "a"): 400, (0, "b"): 9, (2, "c"): 50}, length=5, stride=1, step=2)
    w = w.select(np.r_[0:300, 301, 305, 309, 392:len(w)])
    data = json.loads(json.dumps(w.to_dict()))
    back = Windows.from_dict(data)
    assert back.videos == w.videos and back.length == 5 and back.step == 2
    assert np.array_equal(back.video, w.video) and np.array_equal(back.start, w.start)
    assert len(data["runs"][0][1]) <= 3  # runs, not one entry per window


def test_unsorted_windows_refuse_to_serialise():
    w = Windows([(0, "a")], np.array([0, 0]), np.array([3, 1]))
    with pytest.raises(ValueError, match="sorted"):
        w.to_dict()


def test_non_overlapping_keeps_disjoint_windows_per_video():
    w = Windows.for_videos({(0, "a"): 12, (0, "b"): 6}, length=5)
    kept = non_overlapping(w)
    assert [(r.video, r.frames[0]) for r in kept] == [("a", 0), ("a", 5), ("b", 0)]
    half_rate = non_overlapping(Windows.for_videos({(0, "a"): 20}, length=5, step=2))
    assert half_rate.start.tolist() == [0, 1, 10, 11]  # interleaved windows share no frame


def test_compact_drops_unused_videos():
    w = Windows.for_videos({(0, "a"): 6, (0, "b"): 6, (0, "c"): 6}, length=5)
    c = w.select(w.video != 1).compact()
    assert c.videos == [(0, "a"), (0, "c")] and c.video.tolist() == [0, 0, 1, 1]
