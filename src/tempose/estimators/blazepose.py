"""MediaPipe BlazePose (lite / full / heavy) run with ``ai-edge-litert``, no MediaPipe runtime.

Pipeline per frame, as MediaPipe's pose graph does it:

1. **Detect** (first frame, or when tracking is lost): the frame — or, with ``side``, only its
   left or right half (speed climbing shows two climbers) — is letterboxed to 224×224; SSD boxes
   are decoded and merged by weighted NMS; the best detection's keypoints 0 (hip centre) and 1
   (scale/rotation point) give a rotated square ROI (side ``2·|kp1 − kp0|·1.25``).
2. **Landmarks**: the ROI is warped to 256×256 and the landmark model returns 39 landmarks, a
   pose flag and 64×64 heatmap logits per landmark.
3. **Track**: the auxiliary landmarks 33/34 give the next frame's ROI. When the pose flag drops
   below ``min_pose_flag`` the frame is re-detected at once; when the tracked ROI's centre leaves
   the chosen half, too. No landmark smoothing is applied: smoothing is the refiner's job.

Output: the 25 ClimbAlong channels (BlazePose indices 0, 7, 8, 11–32) of the heatmaps, turned
from logits into **sigmoid** scores (``activation``): the logits are mostly negative, so the
thesis's "negatives → 0" preprocessing alone would erase about a third of lite's maps. The
affine maps heatmap cell (u, v) to the crop at ((u + 0.5)·4, (v + 0.5)·4) and on to the image.
``keypoints`` are the regressed landmarks, ``keypoint_scores`` their visibility (sigmoid), and
``score`` the pose flag.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from scipy.special import expit

from tempose.errors import InputError
from tempose.estimators import ESTIMATORS
from tempose.estimators._roi import Roi, compose, letterbox, to_pixel_index
from tempose.estimators._ssd import anchors, decode, weighted_nms
from tempose.estimators.base import Estimator, EstimatorOutput, activate
from tempose.estimators.model_files import BLAZEPOSE_FILES, blazepose_dir
from tempose.keypoints import BLAZEPOSE33, CLIMBALONG, mapping

VARIANTS = ("lite", "full", "heavy")
SIDES = ("left", "right")
DETECTOR_SIZE = 224
CROP_SIZE = 256
HEATMAP_STRIDE = 4  # 256-px crop / 64 cells
_CHANNELS = mapping(BLAZEPOSE33, CLIMBALONG)[0]  # [0, 7, 8, 11, …, 32]
# heatmap cell (u, v) (centres at integers) → continuous crop coordinates ((u + 0.5)·4, (v + 0.5)·4)
_HEATMAP_TO_CROP = np.array([[HEATMAP_STRIDE, 0.0, HEATMAP_STRIDE / 2], [0.0, HEATMAP_STRIDE, HEATMAP_STRIDE / 2]])
_HALF_PIXEL = np.array([[0.0, 0.0, 0.5], [0.0, 0.0, 0.5]])  # continuous image coords → pixel indices


class _TFLiteModel:
    """One TFLite model: float32 input in, outputs by tensor name."""

    def __init__(self, path: Path, num_threads: int | None) -> None:
        from ai_edge_litert.interpreter import Interpreter

        try:
            self._it = Interpreter(model_path=str(path), num_threads=num_threads)
            self._it.allocate_tensors()
        except (ValueError, RuntimeError) as exc:
            raise InputError(f"cannot load TFLite model ({exc})", path) from None
        self._input = self._it.get_input_details()[0]["index"]
        self._outputs = {d["name"]: d["index"] for d in self._it.get_output_details()}

    def __call__(self, x: np.ndarray) -> dict[str, np.ndarray]:
        self._it.set_tensor(self._input, x[None].astype(np.float32))
        self._it.invoke()
        return {name: self._it.get_tensor(i)[0] for name, i in self._outputs.items()}


class BlazePose(Estimator):
    """BlazePose detector + landmark model with ROI tracking (see the module docstring).

    Args:
        variant: ``lite``, ``full`` or ``heavy`` landmark model.
        model_dir: folder with the ``.tflite`` files (default: the ``tempose models fetch`` cache).
        side: ``left`` or ``right`` restricts the person to that half of the frame.
        min_detection_score: detector score threshold.
        min_pose_flag: below this pose flag the frame is re-detected (tracking lost).
        activation: how heatmap logits become non-negative scores (``sigmoid``, ``relu``…).
        num_threads: TFLite CPU threads (default: the runtime's choice).
    """

    keypoint_set = "climbalong"
    heatmap_size = (64, 64)

    def __init__(
        self,
        variant: str = "full",
        model_dir: str | Path | None = None,
        side: str | None = None,
        min_detection_score: float = 0.5,
        min_pose_flag: float = 0.5,
        activation: str = "sigmoid",
        num_threads: int | None = None,
    ) -> None:
        if variant not in VARIANTS:
            raise InputError(f"unknown BlazePose variant {variant!r}; use one of {', '.join(VARIANTS)}")
        if side is not None and side not in SIDES:
            raise InputError(f"side must be 'left' or 'right', got {side!r}")
        folder = blazepose_dir(model_dir, needed=("detector", variant))
        self.variant = variant
        self.side = side
        self.min_detection_score = min_detection_score
        self.min_pose_flag = min_pose_flag
        self.activation = activation
        self._detector = _TFLiteModel(folder / BLAZEPOSE_FILES["detector"], num_threads)
        self._landmarks = _TFLiteModel(folder / BLAZEPOSE_FILES[variant], num_threads)
        self._anchors = anchors(DETECTOR_SIZE)
        self._roi: Roi | None = None

    def reset(self, video: str | None = None) -> None:
        self._roi = None

    def _region(self, width: int) -> tuple[int, int]:
        if self.side == "left":
            return 0, width // 2
        if self.side == "right":
            return width // 2, width
        return 0, width

    def _detect(self, frame: np.ndarray) -> Roi | None:
        x0, x1 = self._region(frame.shape[1])
        region = np.ascontiguousarray(frame[:, x0:x1])
        lb = letterbox(region.shape[1], region.shape[0], DETECTOR_SIZE)
        net_in = cv2.warpAffine(region, to_pixel_index(lb), (DETECTOR_SIZE, DETECTOR_SIZE), flags=cv2.INTER_LINEAR)
        out = self._detector(net_in.astype(np.float32) / 127.5 - 1.0)
        dets = weighted_nms(decode(out["Identity"], out["Identity_1"], self._anchors, self.min_detection_score))
        if not dets:
            return None
        best = dets[0]
        inv = np.linalg.inv(np.vstack([lb, [0.0, 0.0, 1.0]]))[:2]
        kps = best.keypoints @ inv[:, :2].T + inv[:, 2] + np.array([x0, 0.0])
        return Roi.from_points(kps[0], kps[1])

    def _inside(self, roi: Roi, width: int) -> bool:
        x0, x1 = self._region(width)
        return x0 <= roi.cx < x1

    def _landmarks_in(self, frame: np.ndarray, roi: Roi) -> tuple[float, dict[str, np.ndarray], np.ndarray]:
        crop = roi.warp(frame, CROP_SIZE).astype(np.float32) / 255.0
        out = self._landmarks(crop)
        return float(np.ravel(out["Identity_1"])[0]), out, roi.crop_to_image(CROP_SIZE)

    def estimate(self, frame_rgb: np.ndarray) -> EstimatorOutput | None:
        width = frame_rgb.shape[1]
        tracked = self._roi is not None and self._inside(self._roi, width)
        roi = self._roi if tracked else self._detect(frame_rgb)
        if roi is None:
            self._roi = None
            return None
        flag, out, crop_to_image = self._landmarks_in(frame_rgb, roi)
        if flag < self.min_pose_flag and tracked:  # tracking lost: re-detect this frame
            roi = self._detect(frame_rgb)
            if roi is not None:
                flag, out, crop_to_image = self._landmarks_in(frame_rgb, roi)
        if roi is None or flag < self.min_pose_flag:
            self._roi = None
            return None
        lm = out["Identity"].reshape(39, 5)
        points = lm[:, :2] @ crop_to_image[:, :2].T + crop_to_image[:, 2]  # continuous image coords
        self._roi = Roi.from_points(points[33], points[34])
        heatmaps = activate(np.moveaxis(out["Identity_3"][..., _CHANNELS], -1, 0), self.activation)
        return EstimatorOutput(
            heatmaps=heatmaps,
            affine=(compose(crop_to_image, _HEATMAP_TO_CROP) - _HALF_PIXEL).astype(np.float32),
            score=flag,
            keypoints=(points[_CHANNELS] - 0.5).astype(np.float32),
            keypoint_scores=expit(lm[_CHANNELS, 3]).astype(np.float32),
        )


@ESTIMATORS.register("blazepose-lite")
def blazepose_lite(**kwargs) -> BlazePose:
    """MediaPipe BlazePose, lite landmark model (fastest); 64×64 sigmoid heatmaps."""
    return BlazePose("lite", **kwargs)


@ESTIMATORS.register("blazepose-full")
def blazepose_full(**kwargs) -> BlazePose:
    """MediaPipe BlazePose, full landmark model; 64×64 sigmoid heatmaps."""
    return BlazePose("full", **kwargs)


@ESTIMATORS.register("blazepose-heavy")
def blazepose_heavy(**kwargs) -> BlazePose:
    """MediaPipe BlazePose, heavy landmark model (most accurate, slowest); 64×64 sigmoid heatmaps."""
    return BlazePose("heavy", **kwargs)
