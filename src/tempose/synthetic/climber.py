"""Procedural climbers: 25 ClimbAlong keypoints of a person moving up a wall, in image pixels.

The camera films from behind (as in ClimbAlong), so the person's left side is on the image left.
A climber is a stick figure with sampled proportions. Its four end effectors (hands and feet)
sit on holds and move **one at a time** to new holds along minimum-jerk paths (fast or slow
moves, pauses between them, now and then a hand shakes out by the hip). The pelvis follows the
effectors smoothly (halfway between what the feet and the hands ask for), elbows and knees come
from two-link inverse kinematics (elbows and knees pointing outwards), fingers sit on the hand
along the forearm, heels and toes on the foot, ears and nose on the head, which turns towards
the higher hand. Positions are metres on the wall (y up); a camera that follows the climber with
a lag (plus a little shake) turns them into image pixels (y down).

Everything is vectorised over frames; only the move planning (a few dozen moves) is a loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter1d

from tempose.keypoints import CLIMBALONG
from tempose.synthetic.config import ClimberConfig

_IDX = {n: i for i, n in enumerate(CLIMBALONG.names)}
LEFT_HAND, RIGHT_HAND, LEFT_FOOT, RIGHT_FOOT = range(4)
_SIDE = np.array([-1.0, 1.0, -1.0, 1.0])  # image-x sign of each effector's side (left = −x)
# Occlusion events pick these keypoints more often (small or easily hidden parts).
_OCCLUSION_WEIGHT = np.array([3 if n.endswith(("pinky", "index", "thumb", "heel", "foot_index")) else
                              2 if n.endswith(("wrist", "ankle", "ear")) or n == "nose" else 1
                              for n in CLIMBALONG.names], dtype=np.float64)  # fmt: skip


@dataclass(frozen=True)
class Body:
    """Segment lengths of one climber in metres (fractions of stature after Winter's tables)."""

    stature: float
    upper_arm: float
    forearm: float
    hand: float  # wrist → index knuckle
    thigh: float
    shank: float
    shoulder_width: float
    hip_width: float
    torso: float  # hip centre → shoulder centre
    head: float  # shoulder centre → head centre
    ear: float  # half the distance between the ears
    toe: float  # ankle → toes, as seen from behind (foreshortened)
    heel: float

    @classmethod
    def sample(cls, rng: np.random.Generator, stature_m: tuple[float, float]) -> Body:
        h = rng.uniform(*stature_m)
        fractions = dict(upper_arm=0.186, forearm=0.146, hand=0.05, thigh=0.245, shank=0.246,
                         shoulder_width=0.21, hip_width=0.11, torso=0.29, head=0.11, ear=0.04,
                         toe=0.06, heel=0.035)  # fmt: skip
        return cls(stature=h, **{k: f * h * rng.uniform(0.95, 1.05) for k, f in fractions.items()})

    @property
    def arm(self) -> float:
        return self.upper_arm + self.forearm

    @property
    def leg(self) -> float:
        return self.thigh + self.shank


@dataclass
class ClimberSequence:
    """One synthetic video's ground truth.

    Attributes:
        keypoints: ``(T, 25, 2)`` image pixels (x, y), CLIMBALONG order, also where not visible.
        visible: ``(T, 25)`` bool; False = occluded or outside the image (not annotated).
        fps: frames per second.
        image_size: ``(W, H)`` pixels.
        px_per_m: camera scale (pixels per metre on the wall), to express distances in metres.
        body: the climber's proportions.
        wall: ``(T, 25, 2)`` the same keypoints in metres on the wall (y up), before the camera.
    """

    keypoints: np.ndarray
    visible: np.ndarray
    fps: float
    image_size: tuple[int, int]
    px_per_m: float
    body: Body
    wall: np.ndarray


@dataclass(frozen=True)
class _Move:
    limb: int
    t0: float
    t1: float
    start: np.ndarray
    end: np.ndarray
    bulge: float  # sideways arc of the path, as a fraction of its length


def _rotate(v: np.ndarray, angle: np.ndarray | float) -> np.ndarray:
    """Rotate ``(..., 2)`` vectors counter-clockwise (y up) by ``angle`` radians."""
    c, s = np.cos(angle), np.sin(angle)
    return np.stack([c * v[..., 0] - s * v[..., 1], s * v[..., 0] + c * v[..., 1]], axis=-1)


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-9)


def smooth_noise(rng: np.random.Generator, shape: tuple[int, ...], std: float, frames: float) -> np.ndarray:
    """Gaussian noise along axis 0 low-passed over about ``frames`` frames, rescaled to ``std``."""
    white = rng.standard_normal(shape)
    if frames <= 0 or shape[0] < 2:
        return std * white
    smooth = gaussian_filter1d(white, frames, axis=0, mode="reflect")
    return std * smooth / max(float(smooth.std()), 1e-9)


def min_jerk(tau: np.ndarray) -> np.ndarray:
    """Minimum-jerk profile 10τ³ − 15τ⁴ + 6τ⁵ on [0, 1] (zero speed and acceleration at both ends)."""
    tau = np.clip(tau, 0.0, 1.0)
    return tau**3 * (10 - 15 * tau + 6 * tau**2)


def _pelvis(body: Body, eff: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pelvis centre ``(..., 2)`` and torso lean ``(...)`` radians from effectors ``(..., 4, 2)``.

    Height: halfway between 'feet below on bent legs' and 'the higher hand above on a nearly
    straight arm' (a smooth maximum over the hands), so reaching up lifts the body.
    """
    hands = eff[..., :2, :]
    feet = eff[..., 2:, :].mean(axis=-2)
    top = 0.05 * np.logaddexp(hands[..., 0, 1] / 0.05, hands[..., 1, 1] / 0.05)  # smooth max, 5 cm
    y = 0.5 * (feet[..., 1] + 0.55 * body.leg) + 0.5 * (top - body.torso - 0.85 * body.arm)
    x = 0.5 * (feet[..., 0] + hands[..., 0].mean(axis=-1))
    span = np.maximum(top - feet[..., 1], 0.3 * body.stature)
    lean = np.clip(-0.8 * (hands[..., 0].mean(axis=-1) - feet[..., 0]) / span, -0.35, 0.35)
    return np.stack([x, y], axis=-1), lean


def _roots(body: Body, pelvis: np.ndarray, lean: np.ndarray) -> np.ndarray:
    """``(..., 4, 2)`` shoulder (hands) and hip (feet) joints that each effector hangs from."""
    right = _rotate(np.array([1.0, 0.0]), lean)
    up = _rotate(np.array([0.0, 1.0]), lean)
    half = np.array([body.shoulder_width, body.shoulder_width, body.hip_width, body.hip_width]) / 2
    lift = np.array([body.torso, body.torso, 0.0, 0.0])
    return (pelvis[..., None, :] + _SIDE[:, None] * half[:, None] * right[..., None, :]
            + lift[:, None] * up[..., None, :])  # fmt: skip


def _plan_moves(
    cfg: ClimberConfig, body: Body, rng: np.random.Generator, duration: float
) -> tuple[np.ndarray, list[_Move]]:
    """Initial effector positions ``(4, 2)`` and a list of one-limb-at-a-time moves to new holds."""
    h = body.stature
    eff = np.empty((4, 2))
    feet_y = rng.uniform(0.2, 0.5)
    for limb in range(4):
        hand = limb < 2
        eff[limb, 0] = _SIDE[limb] * rng.uniform(0.12, 0.3) * h
        eff[limb, 1] = feet_y + (0.85 * h if hand else 0.0) + rng.uniform(-0.08, 0.08) * h
    initial = eff.copy()
    moves: list[_Move] = []
    t = rng.uniform(0.0, cfg.pause_s[1])
    while t < duration:
        pelvis, lean = _pelvis(body, eff)
        span = eff[:2, 1].mean() - eff[2:, 1].mean()
        if rng.random() < cfg.rest_prob:  # shake out a hand by the hip and come back
            limb = int(rng.integers(2))
            hold = eff[limb].copy()
            rest = pelvis + np.array([_SIDE[limb] * 0.3 * h, -0.05 * h])
            for start, end in ((hold, rest), (rest, hold)):
                d = rng.uniform(*cfg.slow_move_s)
                moves.append(_Move(limb, t, t + d, start, end, rng.uniform(-0.1, 0.1)))
                t += d + rng.uniform(0.3, 1.2)
            continue
        move_hand = span < 0.75 * h or (span <= 0.95 * h and rng.random() < 0.5)
        pair = (0, 1) if move_hand else (2, 3)
        lower = min(pair, key=lambda i: eff[i, 1])
        limb = lower if rng.random() < 0.75 else int(rng.choice(pair))
        target = np.array([
            pelvis[0] + _SIDE[limb] * (rng.uniform(0.1, 0.3) * h) + rng.normal(0.0, cfg.traverse_m),
            eff[limb, 1] + rng.uniform(0.15, 0.4) * h,
        ])  # fmt: skip
        if move_hand:
            target[1] = min(target[1], eff[1 - limb, 1] + 0.35 * h)
        reach = (body.arm if move_hand else body.leg) * 0.95
        for _ in range(3):  # the body moves with the target: keep the target within reach
            trial = eff.copy()
            trial[limb] = target
            root = _roots(body, *_pelvis(body, trial))[limb]
            if not move_hand:
                target[1] = min(target[1], root[1] - 0.12 * h)  # high steps allowed
            offset = target - root
            dist = float(np.linalg.norm(offset))
            if dist > reach:
                target = root + offset * (reach / dist)
        fast = rng.random() < cfg.fast_move_prob
        d = rng.uniform(*(cfg.fast_move_s if fast else cfg.slow_move_s))
        moves.append(_Move(limb, t, t + d, eff[limb].copy(), target, rng.uniform(-0.15, 0.15)))
        eff[limb] = target
        t += d + rng.uniform(*cfg.pause_s)
    return initial, moves


def effector_paths(start: np.ndarray, moves: list[_Move], times: np.ndarray) -> np.ndarray:
    """``(T, 4, 2)`` effector positions at ``times`` (seconds): still on holds, or on a move's arc."""
    eff = np.broadcast_to(start, (times.size, 4, 2)).copy()
    for m in moves:
        after = times >= m.t0
        tau = (times[after] - m.t0) / (m.t1 - m.t0)
        s = min_jerk(tau)[:, None]
        chord = m.end - m.start
        normal = _rotate(chord, np.pi / 2)
        arc = m.bulge * np.sin(np.pi * np.clip(tau, 0.0, 1.0))[:, None] * normal
        eff[after, m.limb] = m.start + s * chord + arc
    return eff


def _two_link(root: np.ndarray, target: np.ndarray, a: float, b: float, bend: float) -> tuple[np.ndarray, np.ndarray]:
    """Middle joint and end point of a two-link limb reaching from ``root`` towards ``target``.

    An unreachable target stretches the limb to 99.5% along the same direction. ``bend`` (±1)
    picks the side the middle joint points to (+1: counter-clockwise from root→target).
    """
    v = target - root
    d = np.linalg.norm(v, axis=-1, keepdims=True)
    direction = v / np.maximum(d, 1e-9)
    d = np.clip(d, max(abs(a - b), 0.25 * (a + b)), 0.995 * (a + b))
    cos_alpha = np.clip((a * a + d * d - b * b) / (2 * a * d), -1.0, 1.0)[..., 0]
    middle = root + a * _rotate(direction, bend * np.arccos(cos_alpha))
    return middle, root + d * direction


def _skeleton(body: Body, eff: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``(T, 25, 2)`` wall-metre keypoints from effector paths ``(T, 4, 2)``."""
    n = eff.shape[0]
    pelvis, lean = _pelvis(body, eff)
    pelvis = pelvis + np.stack([smooth_noise(rng, (n,), 0.02, 20), np.zeros(n)], axis=-1)  # sway
    roots = _roots(body, pelvis, lean)
    kp = np.zeros((n, len(CLIMBALONG), 2))
    right = _rotate(np.array([1.0, 0.0]), lean)
    up = _rotate(np.array([0.0, 1.0]), lean)
    for side, name in ((0, "left"), (1, "right")):
        sign = _SIDE[side]
        kp[:, _IDX[f"{name}_shoulder"]] = roots[:, side]
        kp[:, _IDX[f"{name}_hip"]] = roots[:, side + 2]
        # Arms: elbows point outwards (left arm bends counter-clockwise, right arm clockwise).
        elbow, wrist = _two_link(roots[:, side], eff[:, side], body.upper_arm, body.forearm, -sign)
        kp[:, _IDX[f"{name}_elbow"]] = elbow
        kp[:, _IDX[f"{name}_wrist"]] = wrist
        hand = _rotate(_unit(wrist - elbow), smooth_noise(rng, (n,), 0.2, 10))  # wrist flexion
        # Back of the hand towards the camera: the thumb is on the body's side of the hand.
        for finger, angle, length in (("index", 0.2, 1.0), ("pinky", -0.2, 0.9), ("thumb", 0.75, 0.6)):
            kp[:, _IDX[f"{name}_{finger}"]] = wrist + length * body.hand * _rotate(hand, sign * angle)
        # Legs: knees point outwards (left leg bends clockwise, right leg counter-clockwise).
        knee, ankle = _two_link(roots[:, side + 2], eff[:, side + 2], body.thigh, body.shank, sign)
        kp[:, _IDX[f"{name}_knee"]] = knee
        kp[:, _IDX[f"{name}_ankle"]] = ankle
        toe_angle = 0.3 + smooth_noise(rng, (n,), 0.15, 15)
        toe_dir = np.stack([sign * np.cos(toe_angle), np.sin(toe_angle)], axis=-1)
        kp[:, _IDX[f"{name}_foot_index"]] = ankle + body.toe * toe_dir
        kp[:, _IDX[f"{name}_heel"]] = ankle + body.heel * _unit(np.array([-sign * 0.35, -1.0]))
    # Head: turns towards the higher hand (weights are smooth in the hands' height difference).
    neck = pelvis + body.torso * up
    head = neck + body.head * up
    w_left = 1.0 / (1.0 + np.exp(-(eff[:, 0, 1] - eff[:, 1, 1]) / (0.05 * body.stature)))
    focus = w_left * eff[:, 0, 0] + (1 - w_left) * eff[:, 1, 0]
    yaw = 0.7 * np.tanh(2.0 * (focus - neck[:, 0]) / body.stature) + smooth_noise(rng, (n,), 0.1, 15)
    kp[:, _IDX["nose"]] = head + (0.9 * body.ear * np.sin(yaw))[:, None] * right - 0.02 * body.stature * up
    for name, sign in (("left_ear", -1.0), ("right_ear", 1.0)):
        kp[:, _IDX[name]] = head + (sign * body.ear * np.cos(yaw))[:, None] * right + 0.01 * body.stature * up
    return kp


def _occlusions(cfg: ClimberConfig, rng: np.random.Generator, num_frames: int) -> np.ndarray:
    """``(T, 25)`` bool: False during occlusion events (never in frame 0, which stays fully annotated)."""
    visible = np.ones((num_frames, len(CLIMBALONG)), dtype=bool)
    events = rng.poisson(cfg.occlusions_per_s * num_frames / cfg.fps)
    p = _OCCLUSION_WEIGHT / _OCCLUSION_WEIGHT.sum()
    for _ in range(events):
        k = rng.choice(len(CLIMBALONG), p=p)
        start = int(rng.integers(1, max(num_frames, 2)))
        length = int(round(rng.uniform(*cfg.occlusion_s) * cfg.fps))
        visible[start : start + max(length, 1), k] = False
    return visible


def simulate_climber(cfg: ClimberConfig, num_frames: int, rng: np.random.Generator) -> ClimberSequence:
    """Simulate one climber for ``num_frames`` frames (seeded by ``rng``); see the module docstring."""
    body = Body.sample(rng, cfg.stature_m)
    times = np.arange(num_frames) / cfg.fps
    start, moves = _plan_moves(cfg, body, rng, times[-1] + 1.0)
    wall = _skeleton(body, effector_paths(start, moves, times), rng)
    # Camera: follows the pelvis with a first-order lag (exact discretisation), plus a little shake.
    px_per_m = float(rng.uniform(*cfg.px_per_m))
    pelvis = 0.5 * (wall[:, _IDX["left_hip"]] + wall[:, _IDX["right_hip"]])
    alpha = 1.0 - np.exp(-1.0 / (cfg.fps * max(cfg.camera_lag_s, 1e-6)))
    camera = np.empty_like(pelvis)
    camera[0] = pelvis[0]
    for t in range(1, num_frames):
        camera[t] = camera[t - 1] + alpha * (pelvis[t] - camera[t - 1])
    w, h = cfg.image_size
    shake = smooth_noise(rng, (num_frames, 2), cfg.camera_shake_px, 3)
    image = np.empty_like(wall)
    image[..., 0] = w / 2 + (wall[..., 0] - camera[:, None, 0]) * px_per_m
    image[..., 1] = 0.55 * h - (wall[..., 1] - camera[:, None, 1]) * px_per_m
    image += shake[:, None, :]
    inside = (image[..., 0] >= 0) & (image[..., 0] <= w - 1) & (image[..., 1] >= 0) & (image[..., 1] <= h - 1)
    visible = _occlusions(cfg, rng, num_frames) & inside
    return ClimberSequence(image, visible, cfg.fps, (w, h), px_per_m, body, wall)
