"""Seeded train/validation/test splits of windows, saved with a run and reloaded exactly.

Two protocols (see docs/data.md):

* ``video`` (default): within each store, videos are shuffled with the seed and whole videos go
  to train / val / test in that order, each to the set whose share (60/20/20 of the frames) holds
  the video's middle frame, so every set is within one video's worth of its share and nothing
  leaks between sets. Training windows are
  every window (``stride``); validation and test windows never share a frame with another window
  of their set (greedy over the same listing), so every evaluated frame counts once.
* ``thesis`` (spec §4): the videos of all stores are listed in a seeded order (the thesis used
  ``os.listdir`` order) and their windows concatenated.
  Pretraining cuts this window list contiguously into 60/20/20, as the thesis's code did (windows
  next to a cut share frames with the other set, and videos straddle sets: the leakage the thesis
  discusses). Finetuning follows the thesis's five steps: (1) the longest video is held out as a
  second test set ("holdout", all its windows); (2) the first 40% of the remaining window list is
  "eval", the rest train; (3) eval windows sharing a frame with a training window move to train;
  (4) eval keeps every ``length``-th window (and never two that share a frame); (5) in video and
  time order, even positions become test and odd positions validation.

Example:
    >>> plan = split({(0, "a"): 60, (0, "b"): 20, (0, "c"): 20}, seed=1)
    >>> [plan.videos(s) for s in ("train", "val", "test")]
    [[(0, 'a')], [(0, 'b')], [(0, 'c')]]
    >>> len(plan.sets["train"]), len(plan.sets["val"]), len(plan.sets["test"])  # val/test: no overlap
    (56, 4, 4)
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tempose.data.store import Store
from tempose.data.windows import VideoKey, Windows, non_overlapping
from tempose.errors import InputError

PROTOCOLS = ("video", "thesis")
STAGES = ("pretrain", "finetune")
SET_NAMES = ("train", "val", "test", "holdout")


@dataclass
class SplitPlan:
    """The windows of each set (``train``, ``val``, ``test`` and, for thesis finetuning,
    ``holdout``) plus how they were made; ``to_json``/``from_json`` round-trip it exactly."""

    protocol: str
    stage: str
    seed: int
    stride: int
    fractions: tuple[float, float, float]
    sets: dict[str, Windows]
    stores: list[str] = field(default_factory=list)

    def videos(self, name: str) -> list[VideoKey]:
        """The videos assigned to set ``name``."""
        return self.sets[name].videos

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": "tempose-split",
                "version": 1,
                "protocol": self.protocol,
                "stage": self.stage,
                "seed": self.seed,
                "stride": self.stride,
                "fractions": list(self.fractions),
                "stores": self.stores,
                "sets": {k: w.to_dict() for k, w in self.sets.items()},
            }
        )

    @classmethod
    def from_json(cls, text: str, where: object = None) -> SplitPlan:
        try:
            data = json.loads(text)
            if data.get("format") != "tempose-split":
                raise InputError("not a tempose split plan (missing format)", where)
            return cls(
                protocol=data["protocol"],
                stage=data["stage"],
                seed=int(data["seed"]),
                stride=int(data["stride"]),
                fractions=tuple(data["fractions"]),
                sets={k: Windows.from_dict(v) for k, v in data["sets"].items()},
                stores=list(data.get("stores", [])),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            if isinstance(exc, InputError):
                raise
            raise InputError(f"malformed split plan ({exc})", where) from None

    def save(self, path: str | Path) -> Path:
        """Write the plan as JSON atomically (temporary file, then rename)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w") as f:
            f.write(self.to_json())
        os.replace(tmp, path)
        return path

    @classmethod
    def load(cls, path: str | Path) -> SplitPlan:
        path = Path(path)
        if not path.exists():
            raise InputError("no such split plan", path)
        return cls.from_json(path.read_text(), where=path)

    def check(self, stores: Sequence[Store]) -> None:
        """Raise :class:`InputError` if a window lies outside the videos of ``stores``."""
        for name, windows in self.sets.items():
            last = windows.frames[:, -1] if len(windows) else np.zeros(0, np.int64)
            for v, (s, video) in enumerate(windows.videos):
                if s >= len(stores) or video not in stores[s].names:
                    raise InputError(f"split set {name!r} names video {video!r} of store {s}, not found")
                frames = last[windows.video == v]
                if frames.size and frames.max() >= stores[s].num_frames(video):
                    raise InputError(f"split set {name!r}: a window runs past the end of video {video!r}",
                                     stores[s].path)


def video_lengths(stores: Sequence[Store]) -> dict[VideoKey, int]:
    """``(store index, video) → frames`` for every video of every store."""
    return {(i, n): s.num_frames(n) for i, s in enumerate(stores) for n in s.names}


def split(
    videos: Mapping[VideoKey, int] | Sequence[Store],
    protocol: str = "video",
    stage: str = "pretrain",
    length: int = 5,
    stride: int = 1,
    step: int = 1,
    seed: int = 0,
    fractions: tuple[float, float, float] = (0.6, 0.2, 0.2),
) -> SplitPlan:
    """Split the videos (a ``(store, video) → frames`` mapping, or stores) into window sets.

    Args:
        videos: the videos and their frame counts, or the stores to take them from.
        protocol: ``"video"`` (whole videos per set) or ``"thesis"`` (spec §4).
        stage: ``"pretrain"`` or ``"finetune"`` (only the thesis protocol differs between them).
        length, stride, step: window length, start stride and frame step (see ``windows``).
        seed: seeds the video order.
        fractions: train/val/test shares (thesis finetuning: val + test is the "eval" share).
    """
    if protocol not in PROTOCOLS:
        raise InputError(f"unknown split protocol {protocol!r}; available: {', '.join(PROTOCOLS)}")
    if stage not in STAGES:
        raise InputError(f"unknown stage {stage!r}; available: {', '.join(STAGES)}")
    if len(fractions) != 3 or min(fractions) < 0 or not np.isclose(sum(fractions), 1.0):
        raise InputError(f"split fractions must be three non-negative shares summing to 1, got {fractions}")
    stores = [] if isinstance(videos, Mapping) else [str(s.path) for s in videos]
    lengths = dict(videos) if isinstance(videos, Mapping) else video_lengths(videos)
    if protocol == "video":
        sets = _video_protocol(lengths, length, stride, step, seed, fractions)
    elif stage == "pretrain":
        sets = _thesis_pretrain(lengths, length, stride, step, seed, fractions)
    else:
        sets = _thesis_finetune(lengths, length, stride, step, seed, fractions)
    return SplitPlan(protocol, stage, seed, stride, tuple(fractions), sets, stores)


def _seeded_order(keys: list[VideoKey], seed: int, salt: int = 0) -> list[VideoKey]:
    keys = sorted(keys)
    perm = np.random.default_rng([seed, salt]).permutation(len(keys))
    return [keys[i] for i in perm]


def _video_protocol(lengths, length, stride, step, seed, fractions) -> dict[str, Windows]:
    assigned: dict[str, list[VideoKey]] = {"train": [], "val": [], "test": []}
    bounds = np.cumsum(fractions)[:2]
    for store in sorted({k[0] for k in lengths}):
        keys = _seeded_order([k for k in lengths if k[0] == store], seed, salt=store)
        total = sum(lengths[k] for k in keys)
        done = 0
        for key in keys:  # the set whose share contains the video's middle frame
            middle = done + lengths[key] / 2
            name = "train" if middle < bounds[0] * total else "val" if middle < bounds[1] * total else "test"
            assigned[name].append(key)
            done += lengths[key]
    sets = {}
    for name, keys in assigned.items():
        windows = Windows.for_videos([(k, lengths[k]) for k in keys], length, stride, step)
        sets[name] = windows if name == "train" else non_overlapping(windows)
    return sets


def _contiguous_cut(n: int, fractions) -> tuple[int, int]:
    a = int(round(fractions[0] * n))
    return a, int(round((fractions[0] + fractions[1]) * n))


def _thesis_pretrain(lengths, length, stride, step, seed, fractions) -> dict[str, Windows]:
    order = _seeded_order(list(lengths), seed)
    windows = Windows.for_videos([(k, lengths[k]) for k in order], length, stride, step)
    a, b = _contiguous_cut(len(windows), fractions)
    idx = np.arange(len(windows))
    return {n: windows.select(m).compact() for n, m in
            (("train", idx < a), ("val", (idx >= a) & (idx < b)), ("test", idx >= b))}


def _thesis_finetune(lengths, length, stride, step, seed, fractions) -> dict[str, Windows]:
    holdout = max(sorted(lengths), key=lambda k: lengths[k])  # step 1 (first longest in sorted order)
    order = _seeded_order([k for k in lengths if k != holdout], seed)
    windows = Windows.for_videos([(k, lengths[k]) for k in order], length, stride, step)
    n_train_start = int(round((fractions[1] + fractions[2]) * len(windows)))
    is_eval = np.arange(len(windows)) < n_train_start  # step 2
    frames = windows.frames
    train_frames = {(v, f) for v, row in zip(windows.video[~is_eval].tolist(), frames[~is_eval].tolist(),
                                             strict=True) for f in row}
    for i in np.flatnonzero(is_eval):  # step 3
        if any((int(windows.video[i]), f) in train_frames for f in frames[i].tolist()):
            is_eval[i] = False
    eval_idx = np.flatnonzero(is_eval)
    pruned = non_overlapping(windows.select(eval_idx[::length]))  # step 4
    positions = np.arange(len(pruned))  # step 5: already in video and time order
    return {
        "train": windows.select(~is_eval).compact(),
        "val": pruned.select(positions % 2 == 1).compact(),
        "test": pruned.select(positions % 2 == 0).compact(),
        "holdout": Windows.for_videos([(holdout, lengths[holdout])], length, stride, step),
    }
