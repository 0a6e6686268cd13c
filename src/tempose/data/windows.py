"""Windows of frames inside one video, and a compact, JSON-friendly list of them.

A window is ``length`` frame indices ``start, start + step, …`` inside one video (``step`` 2 is
the thesis's half frame rate, experiment x.3). Consecutive windows of a video start ``stride``
frames apart. A :class:`Windows` holds many windows of the same ``length`` and ``step`` over
several videos as two integer arrays (video index, start), so 345k windows cost a few MB and
serialise as runs (``[first_start, last_start, stride]`` per video) in a split plan.

Example:
    >>> make_windows(7, length=3, stride=2).tolist()
    [[0, 1, 2], [2, 3, 4], [4, 5, 6]]
    >>> make_windows(9, length=3, step=4).tolist()
    [[0, 4, 8]]
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

VideoKey = tuple[int, str]  # (store index, video name)


def span(length: int, step: int) -> int:
    """Frames covered from the first to the last frame of a window."""
    return (length - 1) * step + 1


def make_windows(num_frames: int, length: int = 5, stride: int = 1, step: int = 1) -> np.ndarray:
    """All windows of one video: ``(N, length)`` int64 frame indices, every one inside the video."""
    if length < 1 or stride < 1 or step < 1:
        raise ValueError("length, stride and step must be positive")
    starts = np.arange(0, max(num_frames - span(length, step) + 1, 0), stride)
    return starts[:, None] + step * np.arange(length)[None, :]


@dataclass(frozen=True)
class WindowRef:
    """One window: the store index, the video name and its frame indices."""

    store: int
    video: str
    frames: tuple[int, ...]


class Windows:
    """Windows of a common ``length`` and ``step`` over a list of videos.

    Attributes:
        videos: the ``(store index, video name)`` list that ``video`` indexes.
        video: ``(N,)`` int64 index into ``videos`` per window.
        start: ``(N,)`` int64 first frame per window.
    """

    def __init__(
        self,
        videos: Sequence[VideoKey],
        video: np.ndarray,
        start: np.ndarray,
        length: int = 5,
        step: int = 1,
    ) -> None:
        self.videos: list[VideoKey] = [(int(s), str(n)) for s, n in videos]
        self.video = np.asarray(video, dtype=np.int64).reshape(-1)
        self.start = np.asarray(start, dtype=np.int64).reshape(-1)
        self.length = int(length)
        self.step = int(step)
        if self.video.shape != self.start.shape:
            raise ValueError("video and start must have the same length")
        if self.video.size and not (0 <= self.video.min() and self.video.max() < len(self.videos)):
            raise ValueError("video index out of range")

    @classmethod
    def for_videos(
        cls,
        lengths: dict[VideoKey, int] | Sequence[tuple[VideoKey, int]],
        length: int = 5,
        stride: int = 1,
        step: int = 1,
    ) -> Windows:
        """Every window (given ``stride``) of each video, in the given video order."""
        items = list(lengths.items()) if isinstance(lengths, dict) else list(lengths)
        starts = [make_windows(n, length, stride, step)[:, 0] for _, n in items]
        video = [np.full(len(s), i) for i, s in enumerate(starts)]
        return cls([k for k, _ in items], np.concatenate([[], *video]), np.concatenate([[], *starts]), length, step)

    @property
    def frames(self) -> np.ndarray:
        """``(N, length)`` frame indices."""
        return self.start[:, None] + self.step * np.arange(self.length)[None, :]

    def __len__(self) -> int:
        return int(self.start.size)

    def __getitem__(self, i: int) -> WindowRef:
        store, name = self.videos[int(self.video[i])]
        s = int(self.start[i])
        return WindowRef(store, name, tuple(range(s, s + self.step * self.length, self.step)))

    def __iter__(self) -> Iterator[WindowRef]:
        for i in range(len(self)):
            yield self[i]

    def select(self, index: np.ndarray) -> Windows:
        """The windows at ``index`` (integer array or boolean mask), same video list."""
        return Windows(self.videos, self.video[index], self.start[index], self.length, self.step)

    def compact(self) -> Windows:
        """Same windows, with the video list reduced to the videos that have windows."""
        used = np.unique(self.video)
        remap = np.full(len(self.videos), -1)
        remap[used] = np.arange(used.size)
        return Windows([self.videos[i] for i in used], remap[self.video], self.start, self.length, self.step)

    def frame_set(self) -> set[tuple[int, str, int]]:
        """Every ``(store, video, frame)`` that some window touches."""
        out: set[tuple[int, str, int]] = set()
        for v, row in zip(self.video.tolist(), self.frames.tolist(), strict=True):
            key = self.videos[v]
            out.update((key[0], key[1], f) for f in row)
        return out

    def to_dict(self) -> dict:
        """JSON-serialisable form: per video a list of runs ``[first, last, stride]`` of starts."""
        same_video = np.diff(self.video) == 0
        if np.any(np.diff(self.video) < 0) or np.any(same_video & (np.diff(self.start) <= 0)):
            raise ValueError("windows must be sorted by video then start, without duplicates")
        return {
            "length": self.length,
            "step": self.step,
            "videos": [[s, n] for s, n in self.videos],
            "runs": [[v, _runs(self.start[self.video == v])] for v in np.unique(self.video).tolist()],
        }

    @classmethod
    def from_dict(cls, data: dict) -> Windows:
        video: list[np.ndarray] = [np.zeros(0, np.int64)]
        start: list[np.ndarray] = [np.zeros(0, np.int64)]
        for v, runs in data["runs"]:
            for first, last, stride in runs:
                s = np.arange(first, last + 1, stride)
                start.append(s)
                video.append(np.full(s.size, v))
        videos = [(int(k[0]), str(k[1])) for k in data["videos"]]
        return cls(videos, np.concatenate(video), np.concatenate(start), data["length"], data["step"])

    def sorted(self) -> Windows:
        """Same windows ordered by video index, then start."""
        return self.select(np.lexsort((self.start, self.video)))


def _runs(starts: np.ndarray) -> list[list[int]]:
    """Sorted starts → maximal arithmetic runs ``[first, last, stride]`` (greedy, left to right)."""
    out: list[list[int]] = []
    s = starts.tolist()
    i = 0
    while i < len(s):
        if i + 1 == len(s):
            out.append([s[i], s[i], 1])
            break
        d = s[i + 1] - s[i]
        j = i + 1
        while j + 1 < len(s) and s[j + 1] - s[j] == d:
            j += 1
        out.append([s[i], s[j], d])
        i = j + 1
    return out


def non_overlapping(windows: Windows) -> Windows:
    """Greedy subset, in list order, in which no two windows of a video share a frame."""
    used: dict[int, set[int]] = {}
    keep = np.zeros(len(windows), dtype=bool)
    for i, (v, row) in enumerate(zip(windows.video.tolist(), windows.frames.tolist(), strict=True)):
        seen = used.setdefault(v, set())
        if seen.isdisjoint(row):
            seen.update(row)
            keep[i] = True
    return windows.select(keep)
