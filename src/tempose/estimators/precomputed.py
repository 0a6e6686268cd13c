"""``precomputed``: heatmaps already in a tempose store, replayed frame by frame.

For estimators that cannot run here (ClimbAlong's private Mask R-CNN): its heatmaps, converted
into a store, stand in for the estimator in ``tempose infer``. :meth:`Precomputed.reset` selects
the store's video (by default the video file's stem); frames are then returned in order.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tempose.data.store import Store, VideoRecord
from tempose.errors import InputError
from tempose.estimators import ESTIMATORS
from tempose.estimators.base import Estimator, EstimatorOutput, activate


@ESTIMATORS.register("precomputed")
class Precomputed(Estimator):
    """Replays a store's ``heatmaps`` + ``affine`` (+ ``scores``, ``detected``) for one video.

    Args:
        store: the tempose store file.
        video: the store's video name (default: the name given to :meth:`reset`).
        activation: how stored maps become non-negative (default ``relu``: negatives → 0, the
            thesis's preprocessing of ClimbAlong maps).
    """

    keypoint_set = "climbalong"

    def __init__(self, store: str | Path, video: str | None = None, activation: str = "relu") -> None:
        self._store = Store(store)
        self._fixed = video
        self.activation = activation
        self._name: str | None = None
        self._frame = 0
        self.heatmap_size = (0, 0)
        if video is not None:
            self.reset(video)

    def reset(self, video: str | None = None) -> None:
        name = self._fixed or video
        if name is None or name not in self._store.names:
            raise InputError(f"video {name!r} not in the store (has: {', '.join(self._store.names)})",
                             self._store.path)  # fmt: skip
        if not self._store.has(name, "heatmaps"):
            raise InputError(f"video {name!r} has no heatmaps", self._store.path)
        record = self._store.read(name)
        if record.keypoint_set != self.keypoint_set:
            raise InputError(f"video {name!r} holds {record.keypoint_set!r} heatmaps, need climbalong",
                             self._store.path)  # fmt: skip
        self._record = record
        self._detected = self._detected_flags(name, record)
        self._name, self._frame = name, 0
        self.heatmap_size = tuple(record.heatmaps.shape[-2:])

    def _detected_flags(self, name: str, record: VideoRecord) -> np.ndarray:
        detected = self._store.array(name, "detected")
        if detected is not None:
            return np.asarray(detected, dtype=bool)
        if record.scores is not None:
            return np.asarray(record.scores) > 0
        return np.ones(record.num_frames, dtype=bool)

    def estimate(self, frame_rgb: np.ndarray) -> EstimatorOutput | None:
        if self._name is None:
            raise InputError("precomputed estimator: no video selected (call reset(video))", self._store.path)
        i = self._frame
        self._frame += 1
        if i >= self._record.num_frames:
            raise InputError(f"video {self._name!r} has {self._record.num_frames} stored frames; "
                             "the video is longer", self._store.path)  # fmt: skip
        if not self._detected[i]:
            return None
        score = float(self._record.scores[i]) if self._record.scores is not None else 1.0
        return EstimatorOutput(activate(self._record.heatmaps[i], self.activation),
                               np.asarray(self._record.affine[i], dtype=np.float32), score)  # fmt: skip
