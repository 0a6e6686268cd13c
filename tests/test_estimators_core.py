"""Estimator building blocks with hand-computed values: activations, SSD anchors and decoding,
weighted NMS, ROI geometry, the BlazePose pipeline on fake TFLite models (tracking, re-detection,
half-frame), the Keypoint R-CNN box mapping, and the registry."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tempose.errors import InputError
from tempose.estimators import ESTIMATORS, activate, available_estimators, build_estimator
from tempose.estimators import blazepose as bp
from tempose.estimators._roi import Roi, letterbox, to_pixel_index
from tempose.estimators._ssd import Detection, anchors, decode, weighted_nms
from tempose.estimators.keypoint_rcnn import box_affine
from tempose.estimators.model_files import BLAZEPOSE_FILES
from tempose.heatmaps import apply_affine
from tempose.registry import RegistryError


def test_activations_by_hand():
    logits = np.array([[[0.0, math.log(3.0)], [-1000.0, 2.0]]])
    np.testing.assert_allclose(activate(logits, "sigmoid")[0], [[0.5, 0.75], [0.0, 1 / (1 + math.exp(-2))]], rtol=1e-6)
    soft = activate(np.log([[[1.0, 1.0], [2.0, 4.0]]]), "softmax")
    np.testing.assert_allclose(soft[0], [[0.125, 0.125], [0.25, 0.5]], rtol=1e-6)
    np.testing.assert_allclose(activate(logits, "relu")[0], [[0.0, math.log(3.0)], [0.0, 2.0]], rtol=1e-6)
    assert activate(logits, "sigmoid").dtype == np.float32
    with pytest.raises(ValueError, match="unknown activation"):
        activate(logits, "tanh")


def test_ssd_anchors_layout():
    a = anchors(224)
    assert a.shape == (2254, 2)  # 28²·2 + 14²·2 + 7²·6
    np.testing.assert_array_equal(a[:3], [[4, 4], [4, 4], [12, 4]])  # 2 per cell, x fastest
    np.testing.assert_array_equal(a[28 * 2], [4, 12])  # second row of the stride-8 grid
    np.testing.assert_array_equal(a[1568], [8, 8])  # first stride-16 anchor
    np.testing.assert_array_equal(a[1568 + 392 : 1568 + 392 + 6], [[16, 16]] * 6)  # 3 layers × 2 at stride 32
    np.testing.assert_array_equal(a[-1], [208, 208])


def test_decode_offsets_from_anchor_and_threshold():
    a = np.array([[4.0, 4.0], [100.0, 50.0]])
    raw = np.zeros((2, 12))
    raw[1] = [2, -3, 20, 40, 0, 0, 1, 1, 2, 2, 3, 3]
    dets = decode(raw, np.array([-5.0, 3.0]), a, min_score=0.5)
    assert len(dets) == 1
    np.testing.assert_allclose(dets[0].box, [92, 27, 112, 67])  # centre (102, 47), 20×40
    np.testing.assert_allclose(dets[0].keypoints[:2], [[100, 50], [101, 51]])
    assert dets[0].score == pytest.approx(1 / (1 + math.exp(-3)))


def test_weighted_nms_merges_overlaps_by_score():
    kp = np.zeros((4, 2))
    a = Detection(np.array([0.0, 0, 10, 10]), kp, 0.9)
    b = Detection(np.array([1.0, 0, 11, 10]), kp + 3, 0.3)  # IoU 9/11 with a
    c = Detection(np.array([50.0, 50, 60, 60]), kp, 0.6)
    out = weighted_nms([b, c, a])
    assert [d.score for d in out] == [0.9, 0.6]
    np.testing.assert_allclose(out[0].box, [0.25, 0, 10.25, 10])  # (0.9·0 + 0.3·1) / 1.2
    np.testing.assert_allclose(out[0].keypoints, np.full((4, 2), 0.75))


def test_roi_from_points_and_crop_mapping():
    up = Roi.from_points(np.array([100.0, 50.0]), np.array([100.0, 30.0]))
    assert (up.cx, up.cy, up.size, up.rotation) == (100.0, 50.0, 50.0, pytest.approx(0.0))
    tilted = Roi.from_points(np.array([0.0, 0.0]), np.array([10.0, -10.0]))  # head up-right
    assert tilted.rotation == pytest.approx(math.pi / 4)
    assert tilted.size == pytest.approx(2 * math.hypot(10, 10) * 1.25)
    m = tilted.crop_to_image(256)
    np.testing.assert_allclose(apply_affine(m, np.array([[128.0, 128.0]])), [[0, 0]], atol=1e-9)
    top = apply_affine(m, np.array([[128.0, 0.0]]))[0]  # crop "up" points along p0→p1
    np.testing.assert_allclose(top / np.linalg.norm(top), [math.sqrt(0.5), -math.sqrt(0.5)], atol=1e-9)


def test_pixel_index_and_letterbox():
    # x' = 2x (continuous) ⇒ index i (centre i + 0.5) ↦ 2i + 1 ↦ index 2i + 0.5
    np.testing.assert_allclose(to_pixel_index(np.array([[2.0, 0, 0], [0, 2.0, 0]])), [[2, 0, 0.5], [0, 2, 0.5]])
    np.testing.assert_allclose(letterbox(200, 100, 224), [[1.12, 0, 0], [0, 1.12, 56]], atol=1e-12)


def test_keypoint_rcnn_box_mapping_uses_cell_centres():
    affine = box_affine(np.array([10.0, 20.0, 66.0, 132.0]))  # 1 px and 2 px per cell
    np.testing.assert_allclose(apply_affine(affine, np.array([[0.0, 0.0], [55.0, 55.0]])), [[10.5, 21], [65.5, 131]])


# --------------------------------------------------------------------------------------------
# BlazePose pipeline on fake models
# --------------------------------------------------------------------------------------------
class _FakeDetector:
    """One detection whose keypoints sit at the given input-pixel positions (anchor 0 = (4, 4))."""

    def __init__(self, kp0, kp1):
        self.calls = 0
        self.raw = np.zeros((2254, 12), np.float32)
        self.raw[0, 4:8] = [kp0[0] - 4, kp0[1] - 4, kp1[0] - 4, kp1[1] - 4]
        self.raw[0, 2:4] = 40
        self.logits = np.full((2254, 1), -10.0, np.float32)
        self.logits[0] = 5.0

    def __call__(self, x):
        assert x.shape == (224, 224, 3) and x.min() >= -1 and x.max() <= 1
        self.calls += 1
        return {"Identity": self.raw, "Identity_1": self.logits}


class _FakeLandmarks:
    """Every landmark at the crop centre, aux point 34 at (128, 25.6) (so the next ROI of a
    50-px ROI is the same), heatmap peaks at cell (32, 16), pose flags from a list."""

    def __init__(self, flags, aux_shift=0.0):
        self.flags = list(flags)
        lm = np.zeros((39, 5), np.float32)
        lm[:, :2] = 128
        lm[33, 0] += aux_shift
        lm[34] = [128 + aux_shift, 25.6, 0, 0, 0]
        self.lm = lm.reshape(-1)
        self.heat = np.full((64, 64, 39), -20.0, np.float32)
        self.heat[16, 32] = 3.0

    def __call__(self, x):
        assert x.shape == (256, 256, 3)
        return {"Identity": self.lm, "Identity_1": np.array([self.flags.pop(0)]), "Identity_3": self.heat}


def _blazepose(tmp_path, monkeypatch, detector, landmarks, **kwargs):
    for name in BLAZEPOSE_FILES.values():
        (tmp_path / name).write_bytes(b"")
    models = {"pose_detection.tflite": detector, "pose_landmark_lite.tflite": landmarks}
    monkeypatch.setattr(bp, "_TFLiteModel", lambda path, threads: models[path.name])
    return build_estimator("blazepose-lite", model_dir=tmp_path, **kwargs)


FRAME = np.zeros((100, 200, 3), np.uint8)  # letterbox: scale 1.12, 56 px bars above and below


def test_blazepose_tracks_and_redetects(tmp_path, monkeypatch):
    det = _FakeDetector(kp0=(112, 112), kp1=(112, 89.6))  # image (100, 50) and (100, 30): ROI 50 px
    lms = _FakeLandmarks([0.9, 0.9, 0.1, 0.9, 0.1, 0.1, 0.9])
    est = _blazepose(tmp_path, monkeypatch, det, lms)
    outs = [est.estimate(FRAME) for _ in range(5)]
    assert [o is not None for o in outs] == [True, True, True, False, True]
    assert det.calls == 4  # frame 0, frame 2 (flag drop, re-detected at once), frames 3 and 4
    o = outs[0]
    assert o.heatmaps.shape == (25, 64, 64) and o.score == pytest.approx(0.9)
    assert o.heatmaps[:, 16, 32].min() == pytest.approx(1 / (1 + math.exp(-3)), rel=1e-6)
    # cell (32, 16) → crop (130, 66) → image (100 + 2·50/256, 50 − 62·50/256) − 0.5 (pixel centres)
    np.testing.assert_allclose(apply_affine(o.affine, np.array([[32.0, 16.0]])), [[99.890625, 37.390625]], atol=1e-4)
    np.testing.assert_allclose(o.keypoints[0], [99.5, 49.5], atol=1e-4)  # crop centre = ROI centre
    est.reset()
    lms.flags = [0.9]
    est.estimate(FRAME)
    assert det.calls == 5  # reset forgets the tracked ROI


def test_blazepose_side_restricts_detection_and_tracking(tmp_path, monkeypatch):
    # right half (100×100) letterboxed at scale 2.24 without bars: input (112, 112) ↦ image (150, 50)
    det = _FakeDetector(kp0=(112, 112), kp1=(112, 67.2))
    est = _blazepose(tmp_path, monkeypatch, det, _FakeLandmarks([0.9] * 3), side="right")
    out = est.estimate(FRAME)
    np.testing.assert_allclose(out.keypoints[0], [149.5, 49.5], atol=1e-4)
    det2 = _FakeDetector(kp0=(112, 112), kp1=(112, 67.2))  # left half, ROI 50 px; aux +400 crop px = +78 px
    est2 = _blazepose(tmp_path, monkeypatch, det2, _FakeLandmarks([0.9] * 3, aux_shift=400.0), side="left")
    est2.estimate(FRAME)
    est2.estimate(FRAME)
    assert det2.calls == 2  # the tracked ROI's centre left the left half: re-detected


def test_blazepose_missing_files_and_bad_options(tmp_path):
    with pytest.raises(InputError, match="tempose models fetch blazepose"):
        build_estimator("blazepose-heavy", model_dir=tmp_path)
    with pytest.raises(InputError, match="side must be"):
        build_estimator("blazepose-lite", model_dir=tmp_path, side="middle")


def test_registry_lists_builtins_and_rejects_unknown_options(tmp_path):
    assert {"blazepose-lite", "blazepose-full", "blazepose-heavy", "keypoint-rcnn", "precomputed"} <= set(
        available_estimators()
    )
    assert ESTIMATORS.get("blazepose-full").__doc__.startswith("MediaPipe BlazePose")
    with pytest.raises(RegistryError, match="available: "):
        build_estimator("openpose")
    with pytest.raises(InputError, match="cannot take these options"):
        build_estimator("precomputed", store=tmp_path / "x.h5", side="left")
