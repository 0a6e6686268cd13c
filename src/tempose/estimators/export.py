"""Write ``tempose infer`` results: the keypoints JSON, a CSV, and an overlay video.

JSON (documented in the README)::

    {"video", "fps", "estimator", "refiner", "mode": "offline"|"online", "latency_frames",
     "keypoint_names": [25 names],
     "frames": [{"index", "raw": [[x, y, score] × 25] or null, "refined": [[x, y] × 25] or null}]}

``null`` for a frame = no person; a keypoint the estimator missed has ``null`` coordinates.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from tempose.errors import InputError
from tempose.estimators.refine import KeypointTracks
from tempose.keypoints import CLIMBALONG, KeypointSet
from tempose.video import _umask, draw_skeleton, read_frames

RAW_COLOR = (255, 64, 64)  # RGB: red, thin
REFINED_COLOR = (40, 230, 90)  # RGB: green, thick


def write_text(path: str | Path, text: str, overwrite: bool = False) -> Path:
    """Write ``text`` atomically (temporary file + rename); refuse to replace a file unless ``overwrite``."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise InputError("already exists; refusing to overwrite (pass --overwrite)", path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", newline="") as f:
            f.write(text)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def _num(value: float, digits: int = 2) -> float | None:
    return None if not math.isfinite(value) else round(float(value), digits)


def tracks_to_dict(tracks: KeypointTracks, meta: dict[str, Any], keypoint_set: KeypointSet = CLIMBALONG) -> dict:
    """The JSON document (see the module docstring); ``meta`` gives video, fps, estimator, refiner, mode."""
    frames = []
    for t in range(tracks.raw.shape[0]):
        person = bool(tracks.detected[t])
        frames.append({
            "index": t,
            "raw": [[_num(x), _num(y), _num(s, 4)] for x, y, s in tracks.raw[t]] if person else None,
            "refined": [[_num(x), _num(y)] for x, y in tracks.refined[t]] if person else None,
        })  # fmt: skip
    return {**meta, "latency_frames": tracks.latency_frames, "keypoint_names": list(keypoint_set.names),
            "frames": frames}  # fmt: skip


def tracks_to_csv(tracks: KeypointTracks, keypoint_set: KeypointSet = CLIMBALONG) -> str:
    """One row per frame and keypoint; empty cells where missing."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["frame", "keypoint", "raw_x", "raw_y", "raw_score", "refined_x", "refined_y"])
    for t in range(tracks.raw.shape[0]):
        for k, name in enumerate(keypoint_set.names):
            cells = [*tracks.raw[t, k], *tracks.refined[t, k]]
            if not tracks.detected[t]:
                cells = [math.nan] * 5
            writer.writerow([t, name, *("" if not math.isfinite(v) else f"{v:.2f}" for v in cells)])
    return buf.getvalue()


def overlay_frames(video: Path, tracks: KeypointTracks, refiner: str,
                   keypoint_set: KeypointSet = CLIMBALONG) -> Iterator[np.ndarray]:  # fmt: skip
    """The video's frames with the raw (thin red) and refined (thick green) skeletons drawn."""
    edges = keypoint_set.skeleton_index()
    scale = None
    for t, frame in enumerate(read_frames(video, tracks.raw.shape[0])):
        if scale is None:
            scale = max(1, round(frame.shape[0] / 540))
        draw_skeleton(frame, tracks.raw[t, :, :2], edges, RAW_COLOR, thickness=scale)
        draw_skeleton(frame, tracks.refined[t], edges, REFINED_COLOR, thickness=2 * scale)
        label = f"frame {t}   raw (red)   refined: {refiner} (green)" + ("" if tracks.detected[t] else "   no person")
        cv2.putText(frame, label, (10 * scale, 20 * scale), cv2.FONT_HERSHEY_SIMPLEX, 0.5 * scale, (255, 255, 255),
                    max(1, scale // 2) + 1, cv2.LINE_AA)  # fmt: skip
        yield frame


def dumps(document: dict) -> str:
    return json.dumps(document, indent=None, separators=(",", ":"), allow_nan=False) + "\n"
