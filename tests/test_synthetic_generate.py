"""The written dataset (ClimbAlong folder, pretraining store), calibration against the thesis, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy.ndimage import median_filter

from tempose.cli import main
from tempose.data.store import Store
from tempose.errors import InputError
from tempose.heatmaps import box_to_affine, decode, heatmap_to_image, image_to_heatmap
from tempose.metrics import PCKCounts, pck
from tempose.synthetic import SyntheticConfig, VideosConfig, box_targets, generate, load_synthetic_config

TINY = SyntheticConfig(seed=7, finetune=VideosConfig(4, (100, 100)), pretrain=VideosConfig(2, (60, 80)))
THESIS_IDENTITY = np.array([19.4, 66.1, 85.2])  # ClimbAlong test split, PCK@0.05/0.1/0.2 (spec §9.2)
BAD_CONFIGS = [
    ("climber:\n  fsp: 30\n", "unknown key"),
    ("estimator:\n  swap_rate: high\n", "expected float"),
    ("estimator:\n  flat_prob: 2\n", r"in \[0, 1\]"),
    ("finetune:\n  frames: [50, 10]\n", "low <= high"),
]


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return generate(TINY, tmp_path_factory.mktemp("synthetic") / "out")


def _video(folder: Path, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    with np.load(folder / f"{name}.input.npz") as inp, np.load(folder / f"{name}.target.npz") as tgt:
        return inp["heatmaps"], inp["bboxes"], tgt["keypoints"]


def test_climbalong_folder_format(dataset):
    names = sorted(p.name for p in dataset.climbalong.iterdir())
    assert names == [f"climb_{i:03d}.{part}.npz" for i in range(4) for part in ("input", "target")]
    hm, boxes, target = _video(dataset.climbalong, "climb_000")
    assert hm.shape == (100, 25, 56, 56) and hm.dtype == np.float32
    assert boxes.shape == (100, 4) and target.shape == (100, 25, 3)
    assert (boxes[:, 2:] > boxes[:, :2]).all()  # no degenerate box (the thesis would cut the video)
    flags = target[..., 2]
    assert set(np.unique(flags)) <= {0.0, 1.0} and (flags[0] == 1).sum() >= 23
    assert (target[flags == 0][:, :2] == 0).all()  # not annotated: x, y are zero


def test_pretraining_store(dataset):
    store = Store(dataset.pretrain_store)
    assert store.names == ["pretrain_000", "pretrain_001"]
    video = store.read("pretrain_000")
    assert video.keypoint_set == "climbalong" and video.source == "synthetic" and video.fps == 30.0
    assert 60 <= video.num_frames <= 80 and video.heatmaps is None
    assert video.keypoints.shape == (video.num_frames, 25, 2) and video.boxes.shape == (video.num_frames, 4)
    shown = np.where(video.visible[..., None], video.keypoints, np.nan)
    np.testing.assert_allclose(video.boxes[:, :2], np.nanmin(shown, axis=1), rtol=1e-6)


def test_summary_config_and_determinism(dataset, tmp_path):
    summary = json.loads(dataset.summary.read_text())
    assert summary["finetune"] == {"videos": 4, "frames": 400}
    assert summary["identity_pck"]["0.1"] == pytest.approx(dataset.identity.pck[1])
    assert load_synthetic_config(dataset.config) == TINY
    # A video depends on (seed, part, index) only: a smaller dataset repeats the first video exactly.
    again = generate(SyntheticConfig(seed=7, finetune=VideosConfig(1, (100, 100)), pretrain=VideosConfig(0, (60, 80))),
                     tmp_path / "again")  # fmt: skip
    for a, b in zip(_video(dataset.climbalong, "climb_000"), _video(again.climbalong, "climb_000"), strict=True):
        np.testing.assert_array_equal(a, b)


def test_refuses_to_overwrite(dataset):
    with pytest.raises(InputError, match="already exists"):
        generate(TINY, dataset.root)


def test_identity_pck_is_calibrated_to_the_thesis(dataset):
    """The simulated estimator must be as hard as the real one: within ±10 points of 19.4 / 66.1 / 85.2."""
    measured = 100 * dataset.identity.pck
    assert np.abs(measured - THESIS_IDENTITY).max() <= 10, measured
    torso = dataset.identity.mean_threshold[0] / 0.05
    assert 13.0 <= torso <= 19.0  # the thesis's mean torso on ClimbAlong: ≈ 16 px of 56


def test_errors_are_partly_temporally_white(dataset):
    """A 5-frame median of the estimator's keypoints (in image pixels) beats the raw estimator."""
    raw = smooth = PCKCounts.empty(25)
    for i in range(4):
        hm, boxes, target = _video(dataset.climbalong, f"climb_{i:03d}")
        gt = box_targets(target[..., :2], boxes, (56, 56))
        visible = target[..., 2] > 0
        xy = decode(hm)[0].numpy()
        affine = box_to_affine(boxes, (56, 56), span="size")
        image = median_filter(heatmap_to_image(xy, affine), size=(5, 1, 1), mode="nearest")
        raw = raw + pck(xy, gt, visible)
        smooth = smooth + pck(image_to_heatmap(image, affine), gt, visible)
    gain = 100 * (smooth.pck - raw.pck)
    assert gain[1] > 8 and gain[2] > 5, gain


def test_config_files_match_the_presets_and_reject_bad_keys(tmp_path):
    root = Path(__file__).resolve().parents[1] / "configs"
    assert load_synthetic_config(root / "synthetic.yaml") == load_synthetic_config()
    assert load_synthetic_config(root / "synthetic_quick.yaml") == load_synthetic_config(quick=True)
    partial = tmp_path / "partial.yaml"
    partial.write_text("finetune:\n  videos: 3\n")
    cfg = load_synthetic_config(partial, quick=True, seed=5)
    assert (cfg.seed, cfg.finetune.videos, cfg.finetune.frames) == (5, 3, (90, 130))  # rest of the preset kept
    for text, problem in BAD_CONFIGS:
        bad = tmp_path / "bad.yaml"
        bad.write_text(text)
        with pytest.raises(InputError, match=problem) as info:
            load_synthetic_config(bad)
        assert str(bad) in str(info.value)


def test_cli(tmp_path, capsys):
    config = tmp_path / "tiny.yaml"
    config.write_text("finetune:\n  videos: 1\n  frames: [20, 20]\npretrain:\n  videos: 1\n  frames: [20, 20]\n")
    assert main(["synthetic", "--out", str(tmp_path / "out"), "--config", str(config), "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "identity (simulated estimator): PCK@0.05" in out and (tmp_path / "out" / "climbalong").is_dir()
    assert main(["synthetic", "--out", str(tmp_path / "out"), "--config", str(config)]) == 2  # exists
    assert main(["synthetic", "--out", str(tmp_path / "x"), "--quick", "--print-config"]) == 0
    assert "videos: 8" in capsys.readouterr().out
