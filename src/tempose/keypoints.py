"""Keypoint sets as data: names, left/right pairs, torso, merged report names, mappings.

The 25-keypoint ClimbAlong set (thesis §2.1) is the channel order of every tempose model.
Other sets (COCO-17, Penn Action 13, BlazePose 33, MPII 16) map into it by *name*; the
keypoints a source cannot provide are reported by a boolean mask, so a loss can ignore them.

Example:
    >>> src = get_keypoint_set("penn_action")
    >>> index, provided = mapping(src, CLIMBALONG)
    >>> src.names[int(index[CLIMBALONG.index("left_shoulder")])], bool(provided[CLIMBALONG.index("left_ear")])
    ('left_shoulder', False)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tempose.errors import InputError


@dataclass(frozen=True)
class KeypointSet:
    """An ordered list of keypoint names; left/right pairs are derived from the names."""

    name: str
    names: tuple[str, ...]
    skeleton: tuple[tuple[str, str], ...] = field(default=())

    def __len__(self) -> int:
        return len(self.names)

    def index(self, name: str) -> int:
        try:
            return self.names.index(name)
        except ValueError:
            raise InputError(f"unknown keypoint name {name!r} in set {self.name!r}") from None

    @property
    def flip_pairs(self) -> list[tuple[int, int]]:
        """(left index, right index) for every ``left_*`` name with a ``right_*`` partner."""
        pairs = []
        for i, n in enumerate(self.names):
            if n.startswith("left_") and ("right_" + n[5:]) in self.names:
                pairs.append((i, self.names.index("right_" + n[5:])))
        return pairs

    @property
    def flip_index(self) -> np.ndarray:
        """Permutation that swaps every left keypoint with its right partner."""
        perm = np.arange(len(self))
        for a, b in self.flip_pairs:
            perm[a], perm[b] = b, a
        return perm

    @property
    def torso(self) -> tuple[int, int, int, int]:
        """Indices (left_shoulder, left_hip, right_shoulder, right_hip) for the torso diameter."""
        return tuple(self.index(n) for n in ("left_shoulder", "left_hip", "right_shoulder", "right_hip"))

    @property
    def merged_names(self) -> list[str]:
        """Report names with left/right merged, in first-appearance order (e.g. 'Shoulder')."""
        out: list[str] = []
        for n in self.names:
            m = merged_name(n)
            if m not in out:
                out.append(m)
        return out

    def merged_groups(self) -> dict[str, list[int]]:
        """Merged report name → indices of the keypoints it averages."""
        groups: dict[str, list[int]] = {m: [] for m in self.merged_names}
        for i, n in enumerate(self.names):
            groups[merged_name(n)].append(i)
        return groups

    def skeleton_index(self) -> list[tuple[int, int]]:
        return [(self.index(a), self.index(b)) for a, b in self.skeleton]


_MERGED_OVERRIDES = {"foot_index": "Toes", "index": "Index finger"}


def merged_name(name: str) -> str:
    """'left_foot_index' → 'Toes', 'right_index' → 'Index finger', 'nose' → 'Nose'."""
    base = name.removeprefix("left_").removeprefix("right_")
    return _MERGED_OVERRIDES.get(base, base.replace("_", " ").capitalize())


_LIMBS = (
    ("left_shoulder", "right_shoulder"), ("left_hip", "right_hip"),
    ("left_shoulder", "left_hip"), ("right_shoulder", "right_hip"),
    ("left_shoulder", "left_elbow"), ("left_elbow", "left_wrist"),
    ("right_shoulder", "right_elbow"), ("right_elbow", "right_wrist"),
    ("left_hip", "left_knee"), ("left_knee", "left_ankle"),
    ("right_hip", "right_knee"), ("right_knee", "right_ankle"),
)  # fmt: skip

CLIMBALONG = KeypointSet(
    "climbalong",
    (
        "nose", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
        "left_elbow", "right_elbow", "left_wrist", "right_wrist",
        "left_pinky", "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb",
        "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
        "left_heel", "right_heel", "left_foot_index", "right_foot_index",
    ),
    _LIMBS + (
        ("nose", "left_ear"), ("nose", "right_ear"),
        ("left_wrist", "left_pinky"), ("left_wrist", "left_index"), ("left_wrist", "left_thumb"),
        ("right_wrist", "right_pinky"), ("right_wrist", "right_index"), ("right_wrist", "right_thumb"),
        ("left_ankle", "left_heel"), ("left_heel", "left_foot_index"), ("left_ankle", "left_foot_index"),
        ("right_ankle", "right_heel"), ("right_heel", "right_foot_index"),
        ("right_ankle", "right_foot_index"),
    ),
)  # fmt: skip

COCO17 = KeypointSet(
    "coco17",
    (
        "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
        "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip",
        "left_knee", "right_knee", "left_ankle", "right_ankle",
    ),
    _LIMBS,
)  # fmt: skip

# Penn Action: 0 = head (mapped to the nose, as the thesis did); in every pair the odd index
# is the person's RIGHT side (checked on front and back views, see ../shared/README.md).
PENN_ACTION = KeypointSet(
    "penn_action",
    (
        "nose", "right_shoulder", "left_shoulder", "right_elbow", "left_elbow",
        "right_wrist", "left_wrist", "right_hip", "left_hip", "right_knee", "left_knee",
        "right_ankle", "left_ankle",
    ),
    _LIMBS,
)  # fmt: skip

BLAZEPOSE33 = KeypointSet(
    "blazepose33",
    (
        "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
        "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right",
    ) + CLIMBALONG.names[3:],
    CLIMBALONG.skeleton,
)  # fmt: skip

# MPII: head_top / upper_neck / thorax / pelvis have no ClimbAlong counterpart (head_top is not the nose).
MPII16 = KeypointSet(
    "mpii16",
    (
        "right_ankle", "right_knee", "right_hip", "left_hip", "left_knee", "left_ankle", "pelvis",
        "thorax", "upper_neck", "head_top", "right_wrist", "right_elbow", "right_shoulder",
        "left_shoulder", "left_elbow", "left_wrist",
    ),
    _LIMBS,
)  # fmt: skip

KEYPOINT_SETS: dict[str, KeypointSet] = {
    s.name: s for s in (CLIMBALONG, COCO17, PENN_ACTION, BLAZEPOSE33, MPII16)
}


def get_keypoint_set(name: str) -> KeypointSet:
    try:
        return KEYPOINT_SETS[name]
    except KeyError:
        raise InputError(f"unknown keypoint set {name!r}; available: {', '.join(KEYPOINT_SETS)}") from None


def mapping(source: KeypointSet, target: KeypointSet = CLIMBALONG) -> tuple[np.ndarray, np.ndarray]:
    """Index map from ``source`` to ``target`` by name.

    Returns:
        ``index`` (len(target),) int: the source index feeding each target channel (-1 if none);
        ``provided`` (len(target),) bool: whether the source provides that channel.
    """
    index = np.array([source.names.index(n) if n in source.names else -1 for n in target.names])
    return index, index >= 0


def convert(
    coords: np.ndarray, visible: np.ndarray, source: KeypointSet, target: KeypointSet = CLIMBALONG
) -> tuple[np.ndarray, np.ndarray]:
    """Re-order (..., K_src, 2) coordinates and (..., K_src) visibility into ``target`` order.

    Channels the source lacks get coordinates 0 and visibility False.
    """
    index, provided = mapping(source, target)
    out = np.zeros(coords.shape[:-2] + (len(target), coords.shape[-1]), dtype=coords.dtype)
    vis = np.zeros(visible.shape[:-1] + (len(target),), dtype=bool)
    out[..., provided, :] = coords[..., index[provided], :]
    vis[..., provided] = visible[..., index[provided]].astype(bool)
    return out, vis
