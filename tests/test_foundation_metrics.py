import numpy as np
import pytest
import torch

from tempose.keypoints import CLIMBALONG
from tempose.metrics import PCKCounts, accel_error, bootstrap_ci, pck, pck_ci


def _pose(torso: float = 10.0) -> np.ndarray:
    """Shoulders at y=0, hips at y=torso (torso diameter = torso); other keypoints spread out."""
    gt = np.zeros((25, 2))
    gt[:, 0] = np.arange(25) * 3.0
    gt[[3, 4], 1] = 0.0
    gt[[15, 16], 1] = torso
    gt[15, 0], gt[16, 0] = gt[3, 0], gt[4, 0]
    return gt


def test_pck_hand_computed_with_skipped_frame_and_missing_keypoints():
    gt = np.stack([_pose(10.0), _pose(20.0), _pose(10.0)])
    vis = np.ones((3, 25), bool)
    vis[2, 3] = False  # frame 2 lacks the left shoulder -> skipped entirely
    vis[0, 24] = False  # one missing GT keypoint in frame 0 -> ignored
    pred = gt.copy()
    pred[0, 0, 0] += 0.5  # 0.5 px: right at α=0.05 (thr 0.5, ≤) in frame 0
    pred[0, 1, 1] += 0.6  # 0.6 px: wrong at 0.05, right at 0.1 (thr 1.0)
    pred[1, 2] += [3.0, 4.0]  # 5 px in frame 1 (torso 20): wrong at 0.1 (2), wrong at 0.2 (4)
    pred[0, 24] += 100  # missing GT: does not count
    counts = pck(pred, gt, vis, alphas=(0.05, 0.1, 0.2))
    assert counts.frames == 2
    assert counts.counts.sum() == 24 + 25
    # at α=0.05: all but keypoint 1 (frame 0) and keypoint 2 (frame 1)
    assert counts.hits.sum(axis=1).tolist() == [47, 48, 48]
    np.testing.assert_allclose(counts.pck, [47 / 49, 48 / 49, 48 / 49])
    np.testing.assert_allclose(counts.mean_threshold, [0.75, 1.5, 3.0])  # α × mean(10, 20)
    assert counts.per_keypoint[0, 2] == 0.5 and np.isnan(pck(pred[:1], gt[:1], vis[:1]).per_keypoint[0, 24])
    merged = counts.merged(CLIMBALONG)
    assert merged["Ear"][1] == pytest.approx(3 / 4) and merged["Ear"][0] == pytest.approx(2 / 4)


def test_pck_threshold_is_inclusive_and_missing_predictions_are_wrong():
    gt = _pose(10.0)[None]
    pred = gt.copy()
    pred[0, 7, 0] += 1.0  # exactly α·torso at α = 0.1
    assert pck(pred, gt, alphas=(0.1,)).hits[0, 7] == 1
    valid = np.ones((1, 25), bool)
    valid[0, 8] = False
    assert pck(pred, gt, alphas=(0.1,), pred_valid=valid).hits[0, 8] == 0


def test_pck_bbox_normalizer_and_torch_inputs():
    gt = _pose(10.0)[None]  # x spans 0..72, y spans 0..10 -> max side 72
    pred = gt.copy()
    pred[0, 5, 0] += 7.0
    c = pck(torch.tensor(pred), torch.tensor(gt), alphas=(0.1,), normalizer="bbox")
    assert c.hits[0, 5] == 1 and c.mean_threshold[0] == pytest.approx(7.2)
    with pytest.raises(ValueError):
        pck(pred, gt, normalizer="head")


def test_pck_counts_add_and_empty():
    gt = _pose()[None]
    total = PCKCounts.empty(25) + pck(gt, gt) + pck(gt, gt)
    assert total.frames == 2 and total.pck.tolist() == [1.0, 1.0, 1.0]
    assert np.isnan(PCKCounts.empty(25).pck).all()


def test_accel_error_hand_computed():
    t = np.arange(6.0)
    gt = np.stack([t, 2 * t], -1)[:, None, :]  # constant velocity: zero acceleration
    pred = gt.copy()
    pred[3, 0, 0] += 2.0  # second differences at t=2,3,4: +2, -4, +2 in x
    err, n = accel_error(pred, gt)
    assert n == 4 and err == pytest.approx((2 + 4 + 2 + 0) / 4)
    vis = np.ones((6, 1), bool)
    vis[0] = False  # t=1 needs frame 0 -> dropped
    assert accel_error(pred, gt, vis) == (pytest.approx(8 / 3), 3)
    assert np.isnan(accel_error(pred[:2], gt[:2])[0])


def test_bootstrap_ci_covers_and_is_seeded():
    values = np.array([0.0, 1.0] * 10)
    lo, hi = bootstrap_ci(len(values), lambda idx: values[idx].mean(), n_boot=500, seed=1)
    assert lo < 0.5 < hi and (lo, hi) == bootstrap_ci(len(values), lambda i: values[i].mean(), n_boot=500, seed=1)
    same = [pck(_pose()[None], _pose()[None]) for _ in range(4)]
    assert pck_ci(same, n_boot=50).tolist() == [[1.0, 1.0]] * 3
