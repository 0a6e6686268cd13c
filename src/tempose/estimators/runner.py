"""Run an estimator over every frame of a video into per-frame arrays.

Frames without a person get zero heatmaps, score 0, ``detected`` False and a NaN-free affine
(the whole frame mapped onto the heatmap grid), so stores never hold NaN and nothing is invented:
consumers check ``detected`` (an all-zero map also decodes as missing).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tempose.errors import InputError
from tempose.estimators.base import Estimator, EstimatorOutput
from tempose.heatmaps import box_to_affine
from tempose.keypoints import get_keypoint_set
from tempose.video import read_frames, video_info


@dataclass
class EstimatedVideo:
    """Per-frame estimator output of one video (``T`` frames, ``K`` keypoints, ``h×w`` maps).

    ``keypoints``/``keypoint_scores`` are the estimator's own regressed keypoints (NaN / 0 where
    it gives none); ``seconds`` is the time spent in the estimator.
    """

    name: str
    path: Path
    fps: float
    image_size: tuple[int, int]  # (W, H)
    heatmaps: np.ndarray  # (T, K, h, w) float32
    affine: np.ndarray  # (T, 2, 3) float32
    scores: np.ndarray  # (T,) float32
    detected: np.ndarray  # (T,) bool
    keypoints: np.ndarray  # (T, K, 2) float32
    keypoint_scores: np.ndarray  # (T, K) float32
    seconds: float

    @property
    def num_frames(self) -> int:
        return int(self.scores.shape[0])


def _check(out: EstimatorOutput, k: int, size: tuple[int, int], name: str) -> None:
    if out.heatmaps.shape != (k, *size):
        raise InputError(f"estimator {name!r} returned heatmaps {out.heatmaps.shape}, expected {(k, *size)}")
    if not (np.isfinite(out.heatmaps).all() and np.isfinite(out.affine).all()):
        raise InputError(f"estimator {name!r} returned NaN or inf")


def run_video(
    estimator: Estimator,
    path: str | Path,
    name: str | None = None,
    max_frames: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> EstimatedVideo:
    """Estimate every frame of the video at ``path`` (``reset`` first, with the video's name).

    ``progress`` is called with 1 after each frame (e.g. ``tqdm.update``).
    """
    path = Path(path)
    info = video_info(path)
    name = name or path.stem
    k = len(get_keypoint_set(estimator.keypoint_set))
    estimator.reset(name)
    outputs: list[EstimatorOutput | None] = []
    seconds = 0.0
    for frame in read_frames(path, max_frames):
        start = time.perf_counter()
        outputs.append(estimator.estimate(frame))
        seconds += time.perf_counter() - start
        if progress is not None:
            progress(1)
    size = tuple(estimator.heatmap_size)
    t = len(outputs)
    heatmaps = np.zeros((t, k, *size), dtype=np.float32)
    missing_affine = box_to_affine(np.array([0.0, 0.0, info.width, info.height]), size).astype(np.float32)
    affine = np.broadcast_to(missing_affine, (t, 2, 3)).copy()
    scores = np.zeros(t, dtype=np.float32)
    keypoints = np.full((t, k, 2), np.nan, dtype=np.float32)
    keypoint_scores = np.zeros((t, k), dtype=np.float32)
    detected = np.array([o is not None for o in outputs], dtype=bool)
    for i, out in enumerate(outputs):
        if out is None:
            continue
        _check(out, k, size, type(estimator).__name__)
        heatmaps[i], affine[i], scores[i] = out.heatmaps, out.affine, out.score
        if out.keypoints is not None:
            keypoints[i] = out.keypoints
        if out.keypoint_scores is not None:
            keypoint_scores[i] = out.keypoint_scores
    return EstimatedVideo(name, path, info.fps, (info.width, info.height), heatmaps, affine, scores, detected,
                          keypoints, keypoint_scores, seconds)  # fmt: skip
