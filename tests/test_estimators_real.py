"""BlazePose on a few frames of a real speed-climbing clip (../shared; skipped when absent):
detection in the named half, heatmaps that agree with the regressed landmarks, and
`tempose estimate` + `tempose infer` end to end."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tempose.cli import main
from tempose.data.store import Store
from tempose.estimators import build_estimator
from tempose.estimators.runner import run_video
from tempose.heatmaps import decode, image_to_heatmap

CLIP = "41_2018-07-06_1"  # the climber on the left (metadata.txt)


@pytest.fixture
def real(shared):
    return shared / "data" / "speed21" / "videos" / f"{CLIP}.mp4", shared / "models" / "blazepose", shared


def test_blazepose_lite_finds_the_left_climber(real):
    video, models, _ = real
    clip = run_video(build_estimator("blazepose-lite", model_dir=models, side="left"), video, max_frames=4)
    assert clip.detected.all() and clip.heatmaps.shape == (4, 25, 64, 64) and clip.heatmaps.min() >= 0
    assert (clip.keypoints[..., 0] < 960).all()  # all in the left half of the 1920-px frame
    torso = np.linalg.norm(clip.keypoints[:, [3, 4]].mean(1) - clip.keypoints[:, [15, 16]].mean(1), axis=-1)
    assert (torso > 60).all()  # a person-sized skeleton, not a speck
    xy, found = decode(clip.heatmaps, "argmax")
    cells = np.linalg.norm(xy.numpy() - image_to_heatmap(clip.keypoints, clip.affine), axis=-1)
    assert found.all() and np.median(cells) < 2.0  # heatmap peaks sit on the regressed landmarks


def test_estimate_and_infer_on_a_real_clip(real, tmp_path):
    video, models, shared = real
    store = tmp_path / "est.h5"
    meta = shared / "data" / "speed21" / "metadata.txt"
    common = ["--estimator", "blazepose-lite", "--model-dir", str(models), "--side-from", str(meta), "--quiet"]
    assert main(["estimate", str(video), "--out", str(store), "--max-frames", "3", *common]) == 0
    assert Store(store).names == [CLIP] and Store(store).meta(CLIP)["side"] == "left"
    out = tmp_path / "k.json"
    assert main(["infer", str(video), "--model", "savgol", "--out", str(out), "--overlay", str(tmp_path / "o.mp4"),
                 "--max-frames", "5", *common]) == 0  # fmt: skip
    doc = json.loads(out.read_text())
    assert len(doc["frames"]) == 5 and all(f["refined"] is not None for f in doc["frames"])
    raw = np.array([f["raw"] for f in doc["frames"]], dtype=float)[..., :2]
    refined = np.array([f["refined"] for f in doc["frames"]], dtype=float)
    assert np.nanmedian(np.linalg.norm(refined - raw, axis=-1)) < 15  # typically less than a heatmap cell
    assert (tmp_path / "o.mp4").stat().st_size > 0
