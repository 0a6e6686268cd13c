"""Kinematic constraints of the procedural climbers (bounds derived from the proportions in climber.py)."""

from __future__ import annotations

import numpy as np
import pytest

from tempose.keypoints import CLIMBALONG
from tempose.synthetic import DEFAULT, simulate_climber
from tempose.synthetic.climber import min_jerk

I = CLIMBALONG.index
FPS = DEFAULT.climber.fps


@pytest.fixture(scope="module")
def climbers():
    """Four seeded 20-second climbers."""
    return [simulate_climber(DEFAULT.climber, 600, np.random.default_rng(seed)) for seed in range(4)]


def _dist(seq, a: str, b: str) -> np.ndarray:
    """Distance in metres between two keypoints per frame (wall coordinates)."""
    return np.linalg.norm(seq.wall[:, I(a)] - seq.wall[:, I(b)], axis=-1)


def test_min_jerk_profile_by_hand():
    # 10τ³ − 15τ⁴ + 6τ⁵: s(.25) = 0.15625 − 0.05859375 + 0.005859375
    np.testing.assert_allclose(min_jerk(np.array([-1.0, 0.0, 0.25, 0.5, 1.0, 2.0])),
                               [0.0, 0.0, 0.103515625, 0.5, 1.0, 1.0])  # fmt: skip
    eps = 1e-4  # zero speed at both ends
    assert min_jerk(np.array([eps]))[0] / eps < 1e-6 and (1 - min_jerk(np.array([1 - eps]))[0]) / eps < 1e-6


def test_shapes_and_determinism(climbers):
    seq = climbers[0]
    assert seq.keypoints.shape == (600, 25, 2) and seq.visible.shape == (600, 25) and seq.wall.shape == (600, 25, 2)
    again = simulate_climber(DEFAULT.climber, 600, np.random.default_rng(0))
    np.testing.assert_array_equal(again.keypoints, seq.keypoints)
    np.testing.assert_array_equal(again.visible, seq.visible)
    assert not np.allclose(climbers[1].keypoints, seq.keypoints)


def test_fingers_sit_on_the_hand_along_the_forearm(climbers):
    # hand = 0.05 × stature × [0.95, 1.05], stature ≤ 1.90 m: fingers at 0.6–1.0 hand → 4.4–10 cm.
    for seq in climbers:
        for side in ("left", "right"):
            for finger in ("pinky", "index", "thumb"):
                d = _dist(seq, f"{side}_wrist", f"{side}_{finger}")
                assert 0.044 <= d.min() and d.max() <= 0.10
            forearm = seq.wall[:, I(f"{side}_wrist")] - seq.wall[:, I(f"{side}_elbow")]
            hand = seq.wall[:, I(f"{side}_index")] - seq.wall[:, I(f"{side}_wrist")]
            cos = (forearm * hand).sum(-1) / np.linalg.norm(forearm, axis=-1) / np.linalg.norm(hand, axis=-1)
            assert cos.min() > 0.5  # under 60° from the forearm in every frame


def test_thumb_and_pinky_flank_the_index_finger(climbers):
    # Back of the hand to the camera: seen along the index finger, the left thumb is clockwise
    # (towards the body when the hand points up) and the left pinky counter-clockwise; mirrored on the right.
    for seq in climbers:
        for side, sign in (("left", -1), ("right", 1)):
            wrist = seq.wall[:, I(f"{side}_wrist")]
            index = seq.wall[:, I(f"{side}_index")] - wrist
            for finger, expected in (("thumb", 1), ("pinky", -1)):
                v = seq.wall[:, I(f"{side}_{finger}")] - wrist
                cross = index[:, 0] * v[:, 1] - index[:, 1] * v[:, 0]
                assert (sign * expected * cross > 0).all()


def test_feet_and_head_keypoints_stay_close(climbers):
    # heel 0.035 H, toe 0.06 H (× ≤ 1.05, H ≤ 1.90): ≤ 7 cm and ≤ 12 cm. Ears: ≤ 12.2 cm from the nose.
    for seq in climbers:
        for side in ("left", "right"):
            assert _dist(seq, f"{side}_ankle", f"{side}_heel").max() <= 0.07
            assert _dist(seq, f"{side}_ankle", f"{side}_foot_index").max() <= 0.12
            assert _dist(seq, "nose", f"{side}_ear").max() <= 0.125


def test_limbs_are_rigid(climbers):
    seq = climbers[0]
    for a, b, length in (("left_shoulder", "left_elbow", seq.body.upper_arm),
                         ("right_elbow", "right_wrist", seq.body.forearm),
                         ("left_hip", "left_knee", seq.body.thigh), ("right_knee", "right_ankle", seq.body.shank)):
        np.testing.assert_allclose(_dist(seq, a, b), length, rtol=1e-9)  # fmt: skip


def test_climbs_up_moving_one_limb_at_a_time_fast_and_slow(climbers):
    effectors = [I(n) for n in ("left_wrist", "right_wrist", "left_ankle", "right_ankle")]
    for seq in climbers:
        pelvis = 0.5 * (seq.wall[:, I("left_hip")] + seq.wall[:, I("right_hip")])
        assert pelvis[-1, 1] - pelvis[0, 1] > 0.3  # at least 30 cm up the wall in 20 s
        speed = np.linalg.norm(np.diff(seq.wall[:, effectors], axis=0), axis=-1) * FPS  # m/s
        assert ((speed > 0.3).sum(axis=1) >= 2).mean() < 0.05  # hands and feet move one at a time
        assert speed.max() > 1.5  # fast moves exist …
        moving = np.concatenate([[0], (speed.max(axis=1) > 0.1).astype(int), [0]])
        edges = np.flatnonzero(np.diff(moving))
        runs = edges[1::2] - edges[::2]
        assert runs.min() <= 15 and runs.max() >= 21  # … both short (≤ 0.5 s) and long (≥ 0.7 s)


def test_occlusion_and_image_bounds(climbers):
    for seq in climbers:
        assert seq.visible[0].all()  # the thesis skips videos whose first frame lacks annotations
        assert 0.9 < seq.visible.mean() < 1.0
        w, h = seq.image_size
        kp = seq.keypoints[seq.visible]
        assert (kp >= 0).all() and (kp[:, 0] <= w - 1).all() and (kp[:, 1] <= h - 1).all()
