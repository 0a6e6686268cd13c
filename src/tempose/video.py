"""Video in and out with OpenCV: read RGB frames with clear errors, write skeleton overlays.

Frames are ``(H, W, 3)`` uint8 **RGB** (OpenCV's BGR is converted at this boundary only).
Overlays are written atomically: to a temporary file beside the target, renamed at the end.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from tempose.errors import InputError


@dataclass(frozen=True)
class VideoInfo:
    """What the container says: frames per second, frame count (approximate for some codecs), size."""

    path: Path
    fps: float
    num_frames: int
    width: int
    height: int


def _open(path: Path) -> cv2.VideoCapture:
    if not path.is_file():
        raise InputError("no such video file", path)
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        cap.release()
        raise InputError("cannot open video (corrupt or unsupported format)", path)
    return cap


def video_info(path: str | Path) -> VideoInfo:
    """Read the container's metadata; raise :class:`InputError` for missing or unreadable files."""
    path = Path(path)
    cap = _open(path)
    try:
        info = VideoInfo(
            path=path,
            fps=float(cap.get(cv2.CAP_PROP_FPS)) or 25.0,
            num_frames=max(int(cap.get(cv2.CAP_PROP_FRAME_COUNT)), 0),
            width=int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
            height=int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)),
        )
    finally:
        cap.release()
    if info.width <= 0 or info.height <= 0:
        raise InputError("cannot read the video's frame size (corrupt file?)", path)
    return info


def read_frames(path: str | Path, max_frames: int | None = None) -> Iterator[np.ndarray]:
    """Yield the video's frames as RGB uint8 arrays, in order.

    Raises:
        InputError: the file is missing, cannot be opened, or no frame can be decoded.
    """
    path = Path(path)
    cap = _open(path)
    count = 0
    try:
        while max_frames is None or count < max_frames:
            ok, frame = cap.read()
            if not ok:
                break
            count += 1
            yield cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
    finally:
        cap.release()
    if count == 0:
        raise InputError("no frame could be decoded (corrupt or empty video)", path)


# --------------------------------------------------------------------------------------------
# Overlays
# --------------------------------------------------------------------------------------------
def draw_skeleton(
    frame_rgb: np.ndarray,
    xy: np.ndarray | None,
    edges: Sequence[tuple[int, int]],
    color: tuple[int, int, int],
    thickness: int = 2,
) -> None:
    """Draw ``(K, 2)`` image-pixel keypoints (NaN = missing) and their ``edges`` onto the frame in place."""
    if xy is None:
        return
    ok = np.isfinite(xy).all(axis=1)
    pts = np.round(np.where(ok[:, None], xy, 0)).astype(np.int32)
    for a, b in edges:
        if ok[a] and ok[b]:
            cv2.line(frame_rgb, tuple(map(int, pts[a])), tuple(map(int, pts[b])), color, thickness, cv2.LINE_AA)
    for k in np.flatnonzero(ok):
        cv2.circle(frame_rgb, tuple(map(int, pts[k])), thickness + 1, color, -1, cv2.LINE_AA)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_video(path: str | Path, frames: Iterable[np.ndarray], fps: float, overwrite: bool = False) -> Path:
    """Write RGB frames to an ``.mp4`` (codec ``mp4v``) atomically; returns the path."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise InputError("already exists; refusing to overwrite (pass --overwrite)", path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix or ".mp4", dir=path.parent)
    os.close(fd)
    writer = None
    try:
        for frame in frames:
            if writer is None:
                h, w = frame.shape[:2]
                writer = cv2.VideoWriter(tmp, cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
                if not writer.isOpened():
                    raise InputError("cannot write video (unsupported extension? use .mp4)", path)
            writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
        if writer is None:
            raise InputError("no frames to write", path)
        writer.release()
        writer = None
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    finally:
        if writer is not None:
            writer.release()
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path
