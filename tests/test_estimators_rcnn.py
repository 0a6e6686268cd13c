"""Keypoint R-CNN adapter with random weights: shapes, COCO→ClimbAlong channels, the box mapping,
weight loading. Skipped when torchvision is missing or does not match this torch (optional extra)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

try:
    import torchvision.models.detection  # noqa: F401
except (ImportError, RuntimeError) as exc:  # RuntimeError: "operator torchvision::nms does not exist"
    pytest.skip(f"torchvision unavailable here ({type(exc).__name__}: {exc}); keypoint-rcnn is the optional "
                "extra tempose[rcnn]", allow_module_level=True)  # fmt: skip

from tempose.errors import InputError
from tempose.estimators import build_estimator
from tempose.estimators.keypoint_rcnn import box_affine
from tempose.keypoints import CLIMBALONG, COCO17

FRAME = np.random.default_rng(0).integers(0, 256, size=(96, 128, 3), dtype=np.uint8)


def _small(est):
    est.model.transform.min_size = (96,)  # keep the CPU test fast
    est.model.transform.max_size = 128
    est.model.roi_heads.detections_per_img = 3  # the keypoint head runs once per detection
    return est


@pytest.fixture
def rcnn():
    with pytest.warns(UserWarning, match="random weights"):
        return _small(build_estimator("keypoint-rcnn", min_score=0.0))


def test_heatmaps_channels_and_box_mapping(rcnn):
    out = rcnn.estimate(FRAME)
    assert out is not None and out.heatmaps.shape == (25, 56, 56) and rcnn.heatmap_size == (56, 56)
    provided = [CLIMBALONG.index(n) for n in COCO17.names if n in CLIMBALONG.names]
    missing = sorted(set(range(25)) - set(provided))
    np.testing.assert_allclose(out.heatmaps[provided].sum(axis=(1, 2)), 1.0, rtol=1e-4)  # spatial softmax
    assert not out.heatmaps[missing].any()  # fingers, heels, toes: COCO has none
    with torch.no_grad():
        image = torch.from_numpy(FRAME).permute(2, 0, 1).float() / 255
        result = rcnn.model([image])[0]
    np.testing.assert_allclose(out.affine, box_affine(result["boxes"][0].numpy()), rtol=1e-5)
    assert out.score == pytest.approx(float(result["scores"][0]))


def test_side_and_weight_loading(rcnn, tmp_path):
    out = rcnn.estimate(FRAME)
    path = tmp_path / "w.pt"
    torch.save(rcnn.model.state_dict(), path)
    loaded = _small(build_estimator("keypoint-rcnn", weights=path, min_score=0.0))
    np.testing.assert_allclose(loaded.estimate(FRAME).heatmaps, out.heatmaps, atol=1e-6)
    loaded.side = "right"
    right = loaded.estimate(FRAME)
    if right is not None:
        centre = right.affine[0, 2] + right.affine[0, 0] * 27.5
        assert centre >= 64
    (tmp_path / "bad.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(InputError, match="cannot load Keypoint R-CNN weights"):
        build_estimator("keypoint-rcnn", weights=tmp_path / "bad.pt")
