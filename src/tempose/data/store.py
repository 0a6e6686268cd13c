"""The tempose sequence store: one HDF5 file holding many videos (documented in docs/store.md).

Layout::

    /                       attrs: format="tempose-store", version=1
    /videos/<video>/        attrs: keypoint_set, fps, source, image_size [W, H] (optional),
                                   plus free-form string/number attrs (action, split flag…)
        keypoints  (T, K, 2) float32  image pixels (x, y)                    [optional]
        visible    (T, K)    bool     annotated flag (coordinates are valid)  [with keypoints]
        occluded   (T, K)    bool     annotated but not visible in the image  [optional]
        boxes      (T, 4)    float32  person box x1, y1, x2, y2 image pixels [optional]
        heatmaps   (T, K, H, W) float16, chunked by frame: estimator output [optional]
        affine     (T, 2, 3) float32  heatmap pixels → image pixels         [with heatmaps]
        scores     (T,)      float32  estimator person score                 [optional]

A video holds ground truth (``keypoints``), estimator output (``heatmaps`` + ``affine``), or
both. Files are written atomically: to a temporary name in the same folder, renamed at the end.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from tempose.errors import InputError

FORMAT = "tempose-store"
VERSION = 1
_ARRAYS = ("keypoints", "visible", "boxes", "heatmaps", "affine", "scores", "occluded")


@dataclass
class VideoRecord:
    """One video's arrays (see the module docstring for shapes); ``heatmaps`` may be a lazy
    ``h5py.Dataset`` when read from a store."""

    name: str
    keypoint_set: str
    fps: float = 30.0
    source: str = ""
    keypoints: np.ndarray | None = None
    visible: np.ndarray | None = None
    boxes: np.ndarray | None = None
    heatmaps: Any = None
    affine: np.ndarray | None = None
    scores: np.ndarray | None = None
    attrs: dict[str, Any] = field(default_factory=dict)
    occluded: np.ndarray | None = None

    @property
    def num_frames(self) -> int:
        for name in _ARRAYS:
            value = getattr(self, name)
            if value is not None:
                return int(value.shape[0])
        return 0

    def validate(self, where: object = None) -> None:
        """Check shapes and values; raise :class:`InputError` naming ``where`` and the video."""
        where = where if where is not None else self.name
        t = self.num_frames

        def fail(problem: str) -> None:
            raise InputError(f"video {self.name!r}: {problem}", where)

        if self.keypoints is not None:
            kp = np.asarray(self.keypoints)
            if kp.ndim != 3 or kp.shape[2] != 2:
                fail(f"keypoints must be (T, K, 2), got {kp.shape}")
            if self.visible is None or np.asarray(self.visible).shape != kp.shape[:2]:
                fail("visible must be (T, K) beside keypoints")
            vis = np.asarray(self.visible).astype(bool)
            if not np.isfinite(kp[vis]).all():
                fail("keypoints contain NaN or inf at visible positions")
            if self.occluded is not None and np.asarray(self.occluded).shape != kp.shape[:2]:
                fail("occluded must be (T, K) beside keypoints")
        elif self.occluded is not None:
            fail("occluded needs keypoints")
        if self.heatmaps is not None:
            shape = self.heatmaps.shape
            if len(shape) != 4 or shape[0] != t:
                fail(f"heatmaps must be (T, K, H, W), got {tuple(shape)}")
            if self.affine is None or np.asarray(self.affine).shape != (t, 2, 3):
                fail("affine must be (T, 2, 3) beside heatmaps")
        for name in ("keypoints", "visible", "boxes", "affine", "scores"):
            value = getattr(self, name)
            if value is not None and value.shape[0] != t:
                fail(f"{name} has {value.shape[0]} frames, expected {t}")
        if self.boxes is not None and np.asarray(self.boxes).shape[1:] != (4,):
            fail(f"boxes must be (T, 4), got {np.asarray(self.boxes).shape}")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _atomic_target(path: Path, overwrite: bool) -> Path:
    if path.exists() and not overwrite:
        raise InputError("already exists; refusing to overwrite (pass --overwrite)", path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    return Path(tmp)


def _write_video(root: h5py.Group, video: VideoRecord) -> None:
    g = root.create_group(video.name)
    g.attrs["keypoint_set"] = video.keypoint_set
    g.attrs["fps"] = float(video.fps)
    g.attrs["source"] = video.source
    for key, value in video.attrs.items():
        g.attrs[key] = value
    if video.keypoints is not None:
        g.create_dataset("keypoints", data=np.asarray(video.keypoints, dtype=np.float32))
        g.create_dataset("visible", data=np.asarray(video.visible, dtype=bool))
        if video.occluded is not None:
            g.create_dataset("occluded", data=np.asarray(video.occluded, dtype=bool))
    if video.boxes is not None:
        g.create_dataset("boxes", data=np.asarray(video.boxes, dtype=np.float32))
    if video.scores is not None:
        g.create_dataset("scores", data=np.asarray(video.scores, dtype=np.float32))
    if video.heatmaps is not None:
        hm = video.heatmaps
        g.create_dataset(
            "heatmaps", shape=hm.shape, dtype=np.float16, chunks=(1, *hm.shape[1:]), compression="lzf"
        )
        for start in range(0, hm.shape[0], 256):  # stream: heatmaps may not fit in memory
            g["heatmaps"][start : start + 256] = np.asarray(hm[start : start + 256], dtype=np.float16)
        g.create_dataset("affine", data=np.asarray(video.affine, dtype=np.float32))


@contextmanager
def store_writer(path: str | Path, overwrite: bool = False, **attrs: Any) -> Iterator[h5py.Group]:
    """Write a store atomically: yields the ``/videos`` group; call :func:`add_video` on it.

    The file appears at ``path`` only when the block exits without an error.
    """
    path = Path(path)
    tmp = _atomic_target(path, overwrite)
    try:
        with h5py.File(tmp, "w") as f:
            f.attrs["format"] = FORMAT
            f.attrs["version"] = VERSION
            for key, value in attrs.items():
                f.attrs[key] = value
            yield f.create_group("videos")
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600 files; give the store normal permissions
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def add_video(videos: h5py.Group, video: VideoRecord) -> None:
    """Validate ``video`` and write it into the group yielded by :func:`store_writer`."""
    video.validate()
    if video.name in videos:
        raise InputError(f"duplicate video name {video.name!r}")
    _write_video(videos, video)


def write_store(path: str | Path, videos: Iterable[VideoRecord], overwrite: bool = False, **attrs: Any) -> Path:
    """Write all ``videos`` to a new store at ``path`` (atomically); returns the path."""
    with store_writer(path, overwrite=overwrite, **attrs) as group:
        for video in videos:
            add_video(group, video)
    return Path(path)


class Store:
    """Read access to a store. Safe to use from DataLoader workers: the HDF5 handle is opened
    lazily in each process."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise InputError("no such store file", self.path)
        try:
            with h5py.File(self.path, "r") as f:
                if f.attrs.get("format") != FORMAT:
                    raise InputError("not a tempose store (missing format attribute)", self.path)
                self.attrs = dict(f.attrs)
                self.names: list[str] = sorted(f["videos"].keys())
                self._meta = {n: dict(f["videos"][n].attrs) for n in self.names}
                self._frames = {n: _frames_of(f["videos"][n]) for n in self.names}
        except OSError as exc:
            raise InputError(f"cannot read HDF5 store ({exc})", self.path) from None
        self._file: h5py.File | None = None
        self._pid = -1

    def _handle(self) -> h5py.File:
        if self._file is None or self._pid != os.getpid():
            self._file = h5py.File(self.path, "r")
            self._pid = os.getpid()
        return self._file

    def __getstate__(self) -> dict[str, Any]:  # picklable for DataLoader workers
        state = dict(self.__dict__)
        state["_file"] = None
        return state

    def __len__(self) -> int:
        return len(self.names)

    def num_frames(self, name: str) -> int:
        return self._frames[name]

    def meta(self, name: str) -> dict[str, Any]:
        return self._meta[name]

    def has(self, name: str, array: str) -> bool:
        return array in self._handle()["videos"][name]

    def heatmaps(self, name: str) -> h5py.Dataset:
        """One video's estimator heatmaps as a lazy, sliceable ``h5py.Dataset``."""
        return self._handle()["videos"][name]["heatmaps"]

    def array(self, name: str, key: str) -> np.ndarray | None:
        """One array of one video (e.g. ``"visible"``), or ``None`` if the video lacks it."""
        g = self._handle()["videos"][name]
        return g[key][()] if key in g else None

    def read(self, name: str, lazy_heatmaps: bool = True) -> VideoRecord:
        """Load one video; heatmaps stay an ``h5py.Dataset`` (sliceable) unless ``lazy_heatmaps=False``."""
        g = self._handle()["videos"][name]
        meta = dict(g.attrs)
        arrays = {k: (g[k] if (k == "heatmaps" and lazy_heatmaps) else g[k][()]) for k in _ARRAYS if k in g}
        core = {"keypoint_set", "fps", "source"}
        return VideoRecord(
            name=name,
            keypoint_set=str(meta.get("keypoint_set", "")),
            fps=float(meta.get("fps", 30.0)),
            source=str(meta.get("source", "")),
            attrs={k: v for k, v in meta.items() if k not in core},
            **arrays,
        )

    def __iter__(self) -> Iterator[VideoRecord]:
        for name in self.names:
            yield self.read(name)


def _frames_of(group: h5py.Group) -> int:
    for key in _ARRAYS:
        if key in group:
            return int(group[key].shape[0])
    return 0
