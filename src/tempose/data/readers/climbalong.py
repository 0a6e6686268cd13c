"""ClimbAlong finetuning videos (estimator heatmaps + annotations as npz pairs) → store videos.

A folder holds, per video, ``<video>.input.npz`` beside ``<video>.target.npz``:

* input: ``heatmaps`` (T, K, H, W) estimator output inside its person box, and ``bboxes``
  (T, 4) that box as x1, y1, x2, y2 image pixels;
* target: ``keypoints`` (T, K, 3): x, y image pixels and a flag (0 = not annotated; its x, y
  are ignored).

K = 25 (CLIMBALONG order) and H = W = 56 are the thesis's values; both come from the files.
Each frame's box becomes the 2×3 heatmap→image affine of the thesis's target mapping
(x' = (x − x1)·W/(x2 − x1), :func:`tempose.heatmaps.box_to_affine` with ``span="size"``).
The thesis's rules (spec §2.4) are options, both on by default and both logged as warnings naming
the video and frame: a video whose first frame has fewer than ``min_first_keypoints`` (23)
annotated keypoints is skipped, and a video is cut before its first frame whose estimator box has
zero width or height. With the cut off, such boxes are widened to 1 px so their affine stays
invertible.
"""

from __future__ import annotations

import logging
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from tempose.data.readers import FORMATS
from tempose.data.store import VideoRecord
from tempose.errors import InputError
from tempose.heatmaps import box_to_affine
from tempose.keypoints import get_keypoint_set

log = logging.getLogger(__name__)

INPUT_SUFFIX = ".input.npz"
TARGET_SUFFIX = ".target.npz"


def _load(path: Path, fields: tuple[str, ...]) -> dict[str, np.ndarray]:
    try:
        with np.load(path) as npz:
            missing = [f for f in fields if f not in npz.files]
            data = {f: npz[f] for f in fields if f in npz.files}
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise InputError(f"cannot read npz ({exc})", path) from None
    if missing:
        raise InputError(f"missing field {missing[0]!r}", path)
    return data


def _pairs(folder: Path) -> list[tuple[str, Path, Path]]:
    inputs = {p.name[: -len(INPUT_SUFFIX)]: p for p in folder.glob("*" + INPUT_SUFFIX)}
    targets = {p.name[: -len(TARGET_SUFFIX)]: p for p in folder.glob("*" + TARGET_SUFFIX)}
    for name in sorted(inputs.keys() ^ targets.keys()):
        lone = inputs.get(name) or targets[name]
        other = TARGET_SUFFIX if name in inputs else INPUT_SUFFIX
        raise InputError(f"no matching {name}{other} beside it", lone)
    if not inputs:
        raise InputError(f"no '<video>{INPUT_SUFFIX}' + '<video>{TARGET_SUFFIX}' pairs found", folder)
    return [(name, inputs[name], targets[name]) for name in sorted(inputs)]


def read_video(
    name: str,
    input_path: Path,
    target_path: Path,
    keypoint_set: str = "climbalong",
    fps: float = 30.0,
    min_first_keypoints: int = 23,
    cut_degenerate_boxes: bool = True,
) -> VideoRecord | None:
    """One npz pair → a video record, or ``None`` when the first-frame rule skips it."""
    kset = get_keypoint_set(keypoint_set)
    inp = _load(input_path, ("heatmaps", "bboxes"))
    kp = np.asarray(_load(target_path, ("keypoints",))["keypoints"], dtype=np.float64)
    heatmaps, boxes = inp["heatmaps"], np.asarray(inp["bboxes"], dtype=np.float64)
    if heatmaps.ndim != 4 or heatmaps.shape[1] != len(kset):
        raise InputError(f"heatmaps have shape {heatmaps.shape}, expected (T, {len(kset)}, H, W)", input_path)
    t = heatmaps.shape[0]
    if boxes.shape != (t, 4):
        raise InputError(f"bboxes have shape {boxes.shape}, expected ({t}, 4)", input_path)
    if kp.shape != (t, len(kset), 3):
        raise InputError(f"keypoints have shape {kp.shape}, expected ({t}, {len(kset)}, 3)", target_path)
    if not np.isfinite(boxes).all() or not np.isfinite(heatmaps).all():
        raise InputError("NaN or inf in heatmaps or bboxes", input_path)
    annotated = kp[..., 2] != 0
    if not np.isfinite(kp[annotated][:, :2]).all():
        raise InputError("NaN or inf coordinates at annotated keypoints", target_path)
    if t and min_first_keypoints and annotated[0].sum() < min_first_keypoints:
        log.warning("video %s: frame 0 has %d annotated keypoints (< %d); skipped",
                    name, annotated[0].sum(), min_first_keypoints)
        return None
    degenerate = (boxes[:, 2] <= boxes[:, 0]) | (boxes[:, 3] <= boxes[:, 1])
    if cut_degenerate_boxes and degenerate.any():
        t = int(np.argmax(degenerate))
        log.warning("video %s: estimator box of frame %d has zero width or height; %s", name, t,
                    f"keeping frames 0-{t - 1}" if t else "skipped")
        if t == 0:
            return None
    boxes = boxes[:t].copy()
    boxes[:, 2] = np.maximum(boxes[:, 2], boxes[:, 0] + 1)
    boxes[:, 3] = np.maximum(boxes[:, 3], boxes[:, 1] + 1)
    size = tuple(int(n) for n in heatmaps.shape[2:])
    return VideoRecord(
        name=name,
        keypoint_set=kset.name,
        fps=fps,
        source="climbalong",
        keypoints=np.where(annotated[:t, :, None], kp[:t, :, :2], 0).astype(np.float32),
        visible=annotated[:t],
        boxes=boxes.astype(np.float32),
        heatmaps=heatmaps[:t],
        affine=box_to_affine(boxes, size=size, span="size").astype(np.float32),
    )


@FORMATS.register("climbalong")
def read_climbalong(
    folder: str | Path,
    keypoint_set: str = "climbalong",
    fps: float = 30.0,
    min_first_keypoints: int = 23,
    cut_degenerate_boxes: bool = True,
) -> Iterator[VideoRecord]:
    """Yield the videos of a ClimbAlong folder in name order (see the module docstring)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("no such folder", folder)
    for name, input_path, target_path in _pairs(folder):
        record = read_video(name, input_path, target_path, keypoint_set, fps, min_first_keypoints,
                            cut_degenerate_boxes)
        if record is not None:
            yield record
