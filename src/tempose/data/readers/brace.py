"""BRACE keypoints (segment JSONs + optional manual npz files) → store videos.

``KEYPOINTS_DIR`` holds BRACE's ``dataset.zip`` content: one JSON per segment
(``<year>/<video_id>/<video_id>_<start>-<end>_<movement>.json``) mapping
``"<video_id>/img-%06d.png"`` to ``{"box": [x, y, w, h, score], "keypoints": 17 × [x, y, score]}``
(COCO-17 order, 1920×1080 pixels). ``MANUAL_DIR`` holds ``manual_keypoints.zip``:
``<year>/<video_id>/img-%06d.npz`` with ``coco_joints2d`` (17, 3), of which ``[:, :2]`` counts.

As in the thesis (spec §2.2), segments are merged per YouTube video and cut into runs of
consecutive frame numbers; each run is one store video named ``<video_id>_<first>_<last>``
(frame numbers as in the file names). A manual annotation replaces the automatic keypoints of
its frame; its keypoints outside the image are stored ``occluded`` (they stay out of the
pretraining box, the thesis's rule). Manual frames without automatic keypoints are ignored.
"""

from __future__ import annotations

import json
import logging
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from tempose.data.readers import FORMATS
from tempose.data.store import VideoRecord
from tempose.errors import InputError

log = logging.getLogger(__name__)

IMAGE_SIZE = (1920, 1080)  # (W, H) of every BRACE video
FPS = 30000 / 1001
_FRAME_KEY = re.compile(r"^(?P<video>.+)/img-(?P<frame>\d+)\.png$")
_MANUAL_FILE = re.compile(r"^img-(?P<frame>\d+)$")


def _keypoints(value: object, where: object, what: str) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"{what}: keypoints are not numbers", where) from None
    if arr.ndim != 2 or arr.shape[0] != 17 or arr.shape[1] < 2:
        raise InputError(f"{what}: keypoints have shape {arr.shape}, expected (17, 3)", where)
    if not np.isfinite(arr[:, :2]).all():
        raise InputError(f"{what}: NaN or inf coordinates", where)
    return arr[:, :2]


def _read_segment(path: Path) -> dict[str, dict[int, tuple[np.ndarray, np.ndarray]]]:
    """video_id → frame → (keypoints (17, 2), box (4,) x1 y1 x2 y2)."""
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read JSON ({exc})", path) from None
    if not isinstance(data, dict):
        raise InputError("expected a JSON object of frames", path)
    out: dict[str, dict[int, tuple[np.ndarray, np.ndarray]]] = {}
    for key, entry in data.items():
        match = _FRAME_KEY.match(key)
        if match is None:
            raise InputError(f"frame key {key!r} is not '<video_id>/img-NNNNNN.png'", path)
        for field in ("box", "keypoints"):
            if not isinstance(entry, dict) or field not in entry:
                raise InputError(f"frame {key!r}: missing field {field!r}", path)
        box = np.asarray(entry["box"], dtype=np.float64).ravel()
        if box.size < 4 or not np.isfinite(box[:4]).all():
            raise InputError(f"frame {key!r}: box must be [x, y, w, h, score]", path)
        xyxy = np.array([box[0], box[1], box[0] + box[2], box[1] + box[3]])
        out.setdefault(match["video"], {})[int(match["frame"])] = (_keypoints(entry["keypoints"], path, key), xyxy)
    return out


def _read_manual(manual_dir: Path) -> dict[str, dict[int, np.ndarray]]:
    """video_id (the folder name) → frame → keypoints (17, 2)."""
    out: dict[str, dict[int, np.ndarray]] = {}
    for path in sorted(manual_dir.rglob("*.npz")):
        match = _MANUAL_FILE.match(path.stem)
        if match is None:
            raise InputError("manual keypoint file name is not 'img-NNNNNN.npz'", path)
        try:
            with np.load(path) as npz:
                joints = npz["coco_joints2d"] if "coco_joints2d" in npz.files else None
        except (OSError, ValueError, zipfile.BadZipFile) as exc:
            raise InputError(f"cannot read npz ({exc})", path) from None
        if joints is None:
            raise InputError("missing field 'coco_joints2d'", path)
        out.setdefault(path.parent.name, {})[int(match["frame"])] = _keypoints(joints, path, "coco_joints2d")
    return out


def _runs(frames: list[int]) -> list[list[int]]:
    runs: list[list[int]] = []
    for f in frames:
        if runs and f == runs[-1][-1] + 1:
            runs[-1].append(f)
        else:
            runs.append([f])
    return runs


@FORMATS.register("brace")
def read_brace(keypoints_dir: str | Path, manual_dir: str | Path | None = None) -> Iterator[VideoRecord]:
    """Yield BRACE's runs of consecutive frames as videos, sorted by video id then first frame."""
    keypoints_dir = Path(keypoints_dir)
    files = sorted(keypoints_dir.rglob("*.json")) if keypoints_dir.is_dir() else []
    if not files:
        raise InputError("no BRACE segment .json files found", keypoints_dir)
    frames: dict[str, dict[int, tuple[np.ndarray, np.ndarray]]] = {}
    years: dict[str, str] = {}
    for path in files:
        for video_id, segment in _read_segment(path).items():
            merged = frames.setdefault(video_id, {})
            duplicates = merged.keys() & segment.keys()
            if duplicates:
                log.warning("%s: %d frames of %s already read from another segment; keeping the first",
                            path, len(duplicates), video_id)
            merged.update({f: v for f, v in segment.items() if f not in duplicates})
            years.setdefault(video_id, path.parent.parent.name if path.parent.name == video_id else "")
    manual: dict[str, dict[int, np.ndarray]] = {}
    if manual_dir is not None:
        manual_dir = Path(manual_dir)
        if not manual_dir.is_dir():
            raise InputError("no such manual keypoints folder", manual_dir)
        manual = _read_manual(manual_dir)
    w, h = IMAGE_SIZE
    for video_id in sorted(frames):
        per_frame = frames[video_id]
        fixes = manual.get(video_id, {})
        for run in _runs(sorted(per_frame)):
            xy = np.stack([fixes.get(f, per_frame[f][0]) for f in run])
            is_manual = np.array([f in fixes for f in run])
            inside = (xy[..., 0] >= 0) & (xy[..., 0] < w) & (xy[..., 1] >= 0) & (xy[..., 1] < h)
            yield VideoRecord(
                name=f"{video_id}_{run[0]}_{run[-1]}",
                keypoint_set="coco17",
                fps=FPS,
                source="brace",
                keypoints=xy.astype(np.float32),
                visible=np.ones(xy.shape[:2], dtype=bool),
                occluded=is_manual[:, None] & ~inside,
                boxes=np.stack([per_frame[f][1] for f in run]).astype(np.float32),
                attrs={
                    "video_id": video_id,
                    "year": years.get(video_id, ""),
                    "first_frame": run[0],
                    "manual_frames": int(is_manual.sum()),
                    "image_size": np.array(IMAGE_SIZE, dtype=np.int64),
                },
            )
