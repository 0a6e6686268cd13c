"""Crash-safe, resumable estimator stores: one shard per video, assembled at the end.

``tempose estimate … --out STORE`` writes each finished video to ``<STORE>.parts/<video>.h5``
(a complete one-video store, written atomically), and only when every video is done assembles
``STORE`` from the videos an earlier run already stored plus the shards (again atomically), then
removes the shards. A run that stops midway therefore leaves every finished video in a shard; the
next run skips the videos already in ``STORE`` or in a shard.

Besides the store's usual ``heatmaps``, ``affine`` and ``scores``, each video holds ``detected``
``(T,)`` bool: whether the estimator found a person in that frame (frames without one have zero
heatmaps, score 0 and the whole-frame affine).
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from tempose.data.store import Store, VideoRecord, add_video, store_writer
from tempose.errors import InputError
from tempose.estimators.runner import EstimatedVideo

CREATED_BY = "tempose estimate"


def parts_dir(store: Path) -> Path:
    return store.with_name(store.name + ".parts")


def shard_path(store: Path, name: str) -> Path:
    return parts_dir(store) / f"{name}.h5"


def write_shard(store: Path, video: EstimatedVideo, estimator: str, keypoint_set: str, **attrs: Any) -> Path:
    """Write one estimated video as a complete shard (atomically); returns its path."""
    record = VideoRecord(
        name=video.name, keypoint_set=keypoint_set, fps=video.fps, source=str(video.path),
        heatmaps=video.heatmaps, affine=video.affine, scores=video.scores,
        attrs={"image_size": np.array(video.image_size, dtype=np.int64),
               **{k: v for k, v in attrs.items() if v is not None}},
    )  # fmt: skip
    path = shard_path(store, video.name)
    with store_writer(path, overwrite=False, created_by=CREATED_BY, estimator=estimator) as videos:
        add_video(videos, record)
        videos[video.name].create_dataset("detected", data=video.detected.astype(bool))
    return path


def has_shard(store: Path, name: str, estimator: str) -> bool:
    """Whether a finished shard of video ``name`` exists (from this estimator)."""
    return name in stored_videos(shard_path(store, name), estimator)


def stored_videos(store: Path, estimator: str) -> list[str]:
    """Videos already in ``store`` (none if it does not exist); it must come from this estimator."""
    if not store.exists():
        return []
    existing = Store(store)
    if existing.attrs.get("created_by") != CREATED_BY:
        raise InputError("exists and was not written by `tempose estimate`; choose another --out", store)
    if existing.attrs.get("estimator") != estimator:
        raise InputError(f"holds estimator {existing.attrs.get('estimator')!r}, not {estimator!r}; "
                         "pass --overwrite or choose another --out", store)  # fmt: skip
    return existing.names


def assemble(store: Path, names: Sequence[str], estimator: str, keep_existing: bool = True) -> Path:
    """Write ``store`` atomically from its current videos (unless ``keep_existing`` is False) plus
    the shards of ``names``, then delete those shards (and the parts folder when empty)."""
    current = stored_videos(store, estimator) if keep_existing else []
    sources: list[tuple[Path, str]] = [(store, n) for n in current]
    have = {n for _, n in sources}
    sources += [(shard_path(store, n), n) for n in names if n not in have]
    with store_writer(store, overwrite=True, created_by=CREATED_BY, estimator=estimator) as videos:
        for path, name in sources:
            with h5py.File(path, "r") as src:
                src.copy(src["videos"][name], videos, name=name)
    for name in names:
        shard_path(store, name).unlink(missing_ok=True)
    parts = parts_dir(store)
    if parts.is_dir() and not any(parts.iterdir()):
        parts.rmdir()
    return store


def clear(store: Path) -> None:
    """Forget earlier results (``--overwrite``): remove the parts folder."""
    shutil.rmtree(parts_dir(store), ignore_errors=True)
