"""The simulated estimator: exact geometry when noise is off, and each kind of error when switched on."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from tempose.heatmaps import decode, preprocess
from tempose.keypoints import CLIMBALONG
from tempose.synthetic import DEFAULT, ClimberSequence, simulate_climber, simulate_estimator
from tempose.synthetic.climber import Body
from tempose.synthetic.protocol import box_targets

I = CLIMBALONG.index
CLEAN = dataclasses.replace(
    DEFAULT.estimator, box_jitter_white=0.0, box_jitter_corr=0.0, jitter_white_px=0.0, jitter_corr_px=0.0,
    jitter_per_speed=0.0, swap_rate=0.0, finger_collapse_prob=0.0, finger_shuffle_prob=0.0, miss_rate=0.0,
    flat_prob=0.0, noise_std=0.0,
)  # fmt: skip


def _hand_made() -> ClimberSequence:
    """5 frames; keypoint extent x 100–300, y 200–600 → padded box (88, 176, 312, 624): 4 × 8 px per cell."""
    kp = np.tile(np.stack([150 + 5 * np.arange(25.0), 300 + 10 * np.arange(25.0)], -1), (5, 1, 1))
    kp[:, 0] = (100, 200)  # → heatmap (3, 3): peak cell round(2.75) = 3
    kp[:, 1] = (300, 600)  # → (53, 53)
    kp[:, 2] = (200, 400)  # → (28, 28)
    kp[:, 3] = (101, 201)  # → (3.25, 3.125): peak cell round(3.0, 2.875) = (3, 3)
    body = Body.sample(np.random.default_rng(0), (1.7, 1.7))
    return ClimberSequence(kp, np.ones((5, 25), bool), 30.0, (1080, 1920), 300.0, body, kp / 300.0)


@pytest.fixture(scope="module")
def climber() -> ClimberSequence:
    return simulate_climber(DEFAULT.climber, 60, np.random.default_rng(3))


def test_clean_estimator_geometry_by_hand():
    seq = _hand_made()
    out = simulate_estimator(CLEAN, seq, np.random.default_rng(0))
    assert out.heatmaps.shape == (5, 25, 56, 56) and out.heatmaps.dtype == np.float32
    np.testing.assert_allclose(out.boxes, np.tile([88.0, 176.0, 312.0, 624.0], (5, 1)))
    np.testing.assert_allclose(out.affine[0], [[4.0, 0.0, 88.0], [0.0, 8.0, 176.0]])
    xy, found = decode(out.heatmaps)
    assert found.all()
    assert xy[0, :4].tolist() == [[3.0, 3.0], [53.0, 53.0], [28.0, 28.0], [3.0, 3.0]]
    # The thesis's targets round the same positions: (3.25, 3.125) → (3, 3) for keypoint 3.
    assert box_targets(seq.keypoints, out.boxes, (56, 56))[0, :4].tolist() == xy[0, :4].tolist()
    # Background sits at −1 (negatives); peaks at `peak` − background ∈ [2, 7].
    assert out.heatmaps.min() == pytest.approx(-1.0)
    peaks = out.heatmaps.max(axis=(-2, -1))
    assert peaks.min() > 2.0 - 0.01 and peaks.max() < 7.0 + 0.01
    assert float(preprocess(out.heatmaps).min()) == 0.0


def test_default_estimator_is_seeded_noisy_and_boxes_hold_the_climber(climber):
    a = simulate_estimator(DEFAULT.estimator, climber, np.random.default_rng(1))
    b = simulate_estimator(DEFAULT.estimator, climber, np.random.default_rng(1))
    np.testing.assert_array_equal(a.heatmaps, b.heatmaps)
    np.testing.assert_array_equal(a.boxes, b.boxes)
    assert (a.heatmaps < 0).mean() > 0.9 and (a.heatmaps > 0).any()
    assert (a.boxes[:, 2:] - a.boxes[:, :2] > 8).all()
    kp = climber.keypoints
    inside = (kp >= a.boxes[:, None, :2]) & (kp <= a.boxes[:, None, 2:])
    assert inside.all(-1).mean() > 0.97  # padding (6%) beats the box jitter almost always


def test_left_right_swaps(climber):
    cfg = dataclasses.replace(CLEAN, swap_rate=1.0, swap_frames=(1, 1))  # one swap event in every frame
    clean, _ = decode(simulate_estimator(CLEAN, climber, np.random.default_rng(1)).heatmaps)
    swapped, _ = decode(simulate_estimator(cfg, climber, np.random.default_rng(1)).heatmaps)
    # every event swaps the arms (elbow, wrist, fingers), the legs (knee, ankle, heel, toes) or a whole side
    arm = (swapped[:, I("left_wrist")] == clean[:, I("right_wrist")]).all(-1)
    leg = (swapped[:, I("left_ankle")] == clean[:, I("right_ankle")]).all(-1)
    assert (arm | leg).all() and arm.any() and leg.any()
    assert (swapped[:, I("nose")] == clean[:, I("nose")]).all()


def test_finger_collapse_puts_fingers_on_the_wrist(climber):
    cfg = dataclasses.replace(CLEAN, finger_collapse_prob=1.0)
    xy, _ = decode(simulate_estimator(cfg, climber, np.random.default_rng(1)).heatmaps)
    for side in ("left", "right"):
        for finger in ("pinky", "index", "thumb"):
            d = np.linalg.norm(xy[:, I(f"{side}_{finger}")] - xy[:, I(f"{side}_wrist")], axis=-1)
            assert d.max() <= 2.5  # N(0, 0.5 px) around the wrist, rounded


def test_missed_frames_give_empty_or_flat_maps(climber):
    cfg = dataclasses.replace(DEFAULT.estimator, miss_rate=1.0, miss_frames=(1, 1))
    hm = simulate_estimator(cfg, climber, np.random.default_rng(1)).heatmaps
    empty = (hm <= 0).all(axis=(-2, -1)).all(axis=-1)  # per frame: every map negative …
    flat = (hm.max(axis=(-2, -1)) < 1.5).all(axis=-1) & ~empty  # … or only noise around 0.1, no blob
    assert (empty | flat).all() and empty.any() and flat.any()
    _, found = decode(hm[empty])
    assert not found.any()  # empty maps decode as missing
