import numpy as np
import pytest

from tempose.errors import InputError
from tempose.keypoints import (
    BLAZEPOSE33,
    CLIMBALONG,
    COCO17,
    MPII16,
    PENN_ACTION,
    convert,
    get_keypoint_set,
    mapping,
)


def test_climbalong_order_matches_thesis_table():
    assert len(CLIMBALONG) == 25
    assert CLIMBALONG.names[:5] == ("nose", "left_ear", "right_ear", "left_shoulder", "right_shoulder")
    assert CLIMBALONG.index("left_pinky") == 9 and CLIMBALONG.index("right_thumb") == 14
    assert CLIMBALONG.index("left_hip") == 15 and CLIMBALONG.index("right_foot_index") == 24
    assert CLIMBALONG.torso == (3, 15, 4, 16)


def test_merged_names_are_the_thesis_thirteen():
    assert CLIMBALONG.merged_names == [
        "Nose", "Ear", "Shoulder", "Elbow", "Wrist", "Pinky", "Index finger", "Thumb",
        "Hip", "Knee", "Ankle", "Heel", "Toes",
    ]  # fmt: skip
    assert CLIMBALONG.merged_groups()["Toes"] == [23, 24]


def test_flip_pairs():
    assert (3, 4) in CLIMBALONG.flip_pairs and len(CLIMBALONG.flip_pairs) == 12
    perm = CLIMBALONG.flip_index
    assert perm[0] == 0 and perm[9] == 10 and perm[10] == 9


def test_penn_action_right_side_is_odd():
    index, provided = mapping(PENN_ACTION, CLIMBALONG)
    # Penn 1 = right shoulder -> channel 4; Penn 2 = left shoulder -> channel 3; head -> nose
    assert index[CLIMBALONG.index("right_shoulder")] == 1
    assert index[CLIMBALONG.index("left_shoulder")] == 2
    assert index[CLIMBALONG.index("right_ankle")] == 11 and index[CLIMBALONG.index("left_ankle")] == 12
    assert index[0] == 0
    missing = [CLIMBALONG.names[i] for i in np.flatnonzero(~provided)]
    assert missing == ["left_ear", "right_ear", "left_pinky", "right_pinky", "left_index", "right_index",
                       "left_thumb", "right_thumb", "left_heel", "right_heel", "left_foot_index",
                       "right_foot_index"]  # fmt: skip


def test_coco_and_blazepose_and_mpii_mappings():
    index, provided = mapping(COCO17, CLIMBALONG)
    assert index[CLIMBALONG.index("left_ear")] == 3 and index[CLIMBALONG.index("right_wrist")] == 10
    assert provided.sum() == 15  # nose, ears and the 12 limb joints
    index, provided = mapping(BLAZEPOSE33, CLIMBALONG)
    assert index.tolist() == [0, 7, 8] + list(range(11, 33))
    index, provided = mapping(MPII16, CLIMBALONG)
    assert index[CLIMBALONG.index("right_ankle")] == 0 and index[CLIMBALONG.index("left_wrist")] == 15
    assert not provided[0]  # head_top is not the nose


def test_convert_moves_coordinates_and_masks_missing():
    kp = np.arange(13 * 2, dtype=float).reshape(1, 13, 2)
    vis = np.ones((1, 13), bool)
    out, v = convert(kp, vis, PENN_ACTION)
    assert out.shape == (1, 25, 2)
    assert out[0, CLIMBALONG.index("left_wrist")].tolist() == kp[0, 6].tolist()
    assert out[0, CLIMBALONG.index("right_wrist")].tolist() == kp[0, 5].tolist()
    assert not v[0, 1] and out[0, 1].tolist() == [0.0, 0.0]


def test_unknown_names_raise():
    with pytest.raises(InputError, match="unknown keypoint set"):
        get_keypoint_set("h36m")
    with pytest.raises(InputError, match="unknown keypoint name"):
        CLIMBALONG.index("tail")
