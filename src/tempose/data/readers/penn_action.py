"""Penn Action label files (``labels/*.mat``) → store videos.

Fields (``scipy.io.loadmat``): ``x``, ``y`` (T, 13) pixels, ``visibility`` (T, 13) 0/1,
``bbox`` (T, 4) x1 y1 x2 y2, ``dimensions`` [H, W, T], ``nframes``, ``action``, ``pose``,
``train`` (±1, Penn Action's own split). Joints keep Penn Action's order (keypoint set
``penn_action``: the head is the nose channel). A joint with visibility 0 still carries annotated
coordinates: it is stored as annotated and ``occluded`` (pretraining draws it but keeps it out of
the box, as the thesis code did), except at exactly (0, 0), Penn Action's placeholder, which is
stored as not annotated. The frame rate is unknown: 30 fps is assumed (attribute ``fps_assumed``).
A few files have one ``bbox`` row fewer than frames; the last row is repeated, with a warning.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import scipy.io

from tempose.data.readers import FORMATS
from tempose.data.store import VideoRecord
from tempose.errors import InputError

log = logging.getLogger(__name__)

ACTIONS = (
    "baseball_pitch", "baseball_swing", "bench_press", "bowl", "clean_and_jerk", "golf_swing",
    "jump_rope", "jumping_jacks", "pullup", "pushup", "situp", "squat", "strum_guitar",
    "tennis_forehand", "tennis_serve",
)  # fmt: skip
ALIASES = {"sit_ups": "situp"}  # the thesis's name → the label files' name
THESIS_ACTIONS = ("baseball_pitch", "bench_press", "situp")
SPLITS = ("train", "test", "all")
_FIELDS = ("x", "y", "visibility", "bbox", "dimensions", "nframes", "action", "train")


def resolve_actions(actions: Sequence[str] | None) -> tuple[str, ...] | None:
    """Validate action names (``sit_ups`` is accepted for ``situp``); ``None`` means all."""
    if actions is None:
        return None
    out = []
    for a in actions:
        a = ALIASES.get(a.strip(), a.strip())
        if a not in ACTIONS:
            raise InputError(f"unknown Penn Action action {a!r}; available: {', '.join(ACTIONS)}")
        out.append(a)
    return tuple(out)


def _text(value: np.ndarray) -> str:
    return str(np.asarray(value).ravel()[0]) if np.asarray(value).size else ""


def read_file(path: Path) -> VideoRecord:
    """One ``.mat`` label file → a video record (raises :class:`InputError` on bad content)."""
    try:
        mat = scipy.io.loadmat(path)
    except (OSError, ValueError, TypeError, NotImplementedError, scipy.io.matlab.MatReadError) as exc:
        raise InputError(f"cannot read MATLAB file ({exc})", path) from None
    for name in _FIELDS:
        if name not in mat:
            raise InputError(f"missing field {name!r}", path)
    n = int(np.asarray(mat["nframes"]).ravel()[0])
    x, y, vis = (np.asarray(mat[k], dtype=np.float64) for k in ("x", "y", "visibility"))
    for key, arr in (("x", x), ("y", y), ("visibility", vis)):
        if arr.shape != (n, 13):
            raise InputError(f"field {key!r} has shape {arr.shape}, expected ({n}, 13)", path)
    xy = np.stack([x, y], axis=-1)
    if not np.isfinite(xy).all():
        raise InputError("NaN or inf coordinates", path)
    flagged = vis > 0
    annotated = flagged | np.any(xy != 0, axis=-1)
    bbox = np.asarray(mat["bbox"], dtype=np.float64)
    if bbox.ndim != 2 or bbox.shape[1] != 4 or bbox.shape[0] > n or (bbox.shape[0] == 0 and n > 0):
        raise InputError(f"field 'bbox' has shape {bbox.shape}, expected ({n}, 4)", path)
    if bbox.shape[0] < n:
        log.warning("%s: bbox has %d rows for %d frames; repeating the last row", path, bbox.shape[0], n)
        bbox = np.concatenate([bbox, np.repeat(bbox[-1:], n - bbox.shape[0], axis=0)])
    height, width = (int(v) for v in np.asarray(mat["dimensions"]).ravel()[:2])
    return VideoRecord(
        name=path.stem,
        keypoint_set="penn_action",
        fps=30.0,
        source="penn_action",
        keypoints=xy.astype(np.float32),
        visible=annotated,
        occluded=annotated & ~flagged,
        boxes=bbox.astype(np.float32),
        attrs={
            "action": _text(mat["action"]),
            "pose": _text(mat["pose"]) if "pose" in mat else "",
            "penn_split": "train" if int(np.asarray(mat["train"]).ravel()[0]) == 1 else "test",
            "image_size": np.array([width, height], dtype=np.int64),
            "fps_assumed": True,
        },
    )


@FORMATS.register("penn-action")
def read_penn_action(
    labels_dir: str | Path, actions: Sequence[str] | None = None, split: str = "all"
) -> Iterator[VideoRecord]:
    """Yield the videos of a Penn Action ``labels`` folder, in file-name order.

    Args:
        labels_dir: the folder of ``NNNN.mat`` files.
        actions: keep only these actions (default all; the thesis: :data:`THESIS_ACTIONS`).
        split: Penn Action's own ``train``/``test`` flag, or ``all``.
    """
    labels_dir = Path(labels_dir)
    if split not in SPLITS:
        raise InputError(f"unknown Penn Action split {split!r}; available: {', '.join(SPLITS)}")
    keep = resolve_actions(actions)
    files = sorted(labels_dir.glob("*.mat")) if labels_dir.is_dir() else []
    if not files:
        raise InputError("no Penn Action .mat label files found", labels_dir)
    for path in files:
        record = read_file(path)
        if keep is not None and record.attrs["action"] not in keep:
            continue
        if split != "all" and record.attrs["penn_split"] != split:
            continue
        yield record
