"""``keypoint-rcnn``: torchvision's Keypoint R-CNN, the thesis's detector family (optional extra).

The keypoint head predicts 17 COCO heatmaps of 56×56 logits per detected person, inside its box.
This adapter captures those logits with a forward hook, keeps the best-scoring person (in the
chosen half of the frame with ``side``), turns the logits into non-negative scores with a spatial
**softmax** (the head is trained with a softmax over the 56×56 cells) and re-orders them into the
25 ClimbAlong channels (COCO has no fingers, heels or toes: those maps stay zero, i.e. missing).
Cell (u, v) maps to ``x1 + (u + 0.5)·w/56``, ``y1 + (v + 0.5)·h/56`` in the image, as torchvision
decodes its own keypoints. Needs torchvision (``pip install 'tempose[rcnn]'``) and weights from a
file: a state dict of ``keypointrcnn_resnet50_fpn(num_keypoints=17)``.
"""

from __future__ import annotations

import pickle
import warnings
from pathlib import Path

import numpy as np
import torch

from tempose.errors import InputError
from tempose.estimators import ESTIMATORS
from tempose.estimators.base import Estimator, EstimatorOutput, activate
from tempose.heatmaps import box_to_affine
from tempose.keypoints import CLIMBALONG, COCO17, mapping

HEATMAP_SIZE = (56, 56)
_INDEX, _PROVIDED = mapping(COCO17, CLIMBALONG)


def _torchvision():
    try:
        import torchvision.models.detection as detection
    except (ImportError, RuntimeError) as exc:  # RuntimeError: "operator torchvision::nms does not exist"
        raise InputError(f"keypoint-rcnn needs a torchvision matching this torch: pip install 'tempose[rcnn]' "
                         f"({type(exc).__name__}: {exc})") from None  # fmt: skip
    return detection


def box_affine(box: np.ndarray, size: tuple[int, int] = HEATMAP_SIZE) -> np.ndarray:
    """``(2, 3)`` heatmap cell → image pixel map of a Mask R-CNN box, cell centres at +0.5 cell."""
    affine = box_to_affine(np.asarray(box, dtype=np.float64), size)
    affine[:, 2] += 0.5 * np.diag(affine[:, :2])
    return affine


@ESTIMATORS.register("keypoint-rcnn")
class KeypointRCNN(Estimator):
    """Keypoint R-CNN (ResNet-50 FPN) with 56×56 heatmaps from its keypoint head.

    Args:
        weights: state-dict file (``torch.save(model.state_dict())``); ``None`` gives random
            weights, which only tests should use.
        side: ``left`` or ``right`` keeps only people whose box centre lies in that half.
        min_score: person score threshold.
        activation: logits → scores (``softmax``, ``relu`` or ``sigmoid``).
    """

    keypoint_set = "climbalong"
    heatmap_size = HEATMAP_SIZE

    def __init__(self, weights: str | Path | None = None, side: str | None = None, min_score: float = 0.5,
                 activation: str = "softmax") -> None:  # fmt: skip
        if side not in (None, "left", "right"):
            raise InputError(f"side must be 'left' or 'right', got {side!r}")
        detection = _torchvision()
        self.model = detection.keypointrcnn_resnet50_fpn(weights=None, weights_backbone=None, num_keypoints=17,
                                                         box_score_thresh=min_score)  # fmt: skip
        if weights is None:
            warnings.warn("keypoint-rcnn without weights: random weights (tests only)", stacklevel=2)
        else:
            self._load(Path(weights))
        self.model.eval()
        self.side = side
        self.activation = activation
        self._logits: torch.Tensor | None = None
        self.model.roi_heads.keypoint_predictor.register_forward_hook(self._capture)

    def _load(self, path: Path) -> None:
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
            self.model.load_state_dict(state.get("state_dict", state) if isinstance(state, dict) else state)
        except (OSError, RuntimeError, KeyError, TypeError, ValueError, EOFError, pickle.UnpicklingError) as exc:
            raise InputError(f"cannot load Keypoint R-CNN weights ({str(exc).splitlines()[0]})", path) from None

    def _capture(self, _module, _inputs, output: torch.Tensor) -> None:
        self._logits = output.detach()

    def estimate(self, frame_rgb: np.ndarray) -> EstimatorOutput | None:
        image = torch.from_numpy(np.ascontiguousarray(frame_rgb)).permute(2, 0, 1).float() / 255.0
        self._logits = None
        with torch.no_grad():
            result = self.model([image])[0]
        boxes = result["boxes"].numpy().astype(np.float64)
        if len(boxes) == 0 or self._logits is None:
            return None
        keep = np.ones(len(boxes), dtype=bool)
        if self.side is not None:
            centre = 0.5 * (boxes[:, 0] + boxes[:, 2])
            half = frame_rgb.shape[1] / 2
            keep = centre < half if self.side == "left" else centre >= half
        if not keep.any():
            return None
        best = int(np.flatnonzero(keep)[0])  # torchvision sorts detections by score
        heat17 = activate(self._logits[best].numpy(), self.activation)
        heatmaps = np.zeros((len(CLIMBALONG), *HEATMAP_SIZE), dtype=np.float32)
        heatmaps[_PROVIDED] = heat17[_INDEX[_PROVIDED]]
        return EstimatorOutput(heatmaps, box_affine(boxes[best]).astype(np.float32), float(result["scores"][best]))
