import json

import numpy as np
import pytest
import torch

from conftest import write_heatmap_store, write_keypoint_store
from tempose.cli import main
from tempose.data.datasets import PretrainDataset
from tempose.data.samples import get_experiment
from tempose.data.store import Store
from tempose.data.windows import Windows
from tempose.evaluation import evaluate
from tempose.models import build_model

FAST = ["--set", "data.heatmap_size=[24,24]", "--num-workers", "0", "--limit-eval-windows", "24"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("eval")
    kp = write_keypoint_store(tmp / "kp.h5", videos=5, frames=20)
    assert main(["pretrain", "--model", "conv3d", "--data", str(kp), "--out", str(tmp / "run"),
                 "--max-epochs", "1", "--limit-windows", "16", *FAST]) == 0  # fmt: skip
    return tmp / "run"


def test_evaluate_rebuilds_the_runs_test_set(run, tmp_path, capsys):
    out = tmp_path / "eval.json"
    assert main(["evaluate", "--checkpoint", str(run), "--split", "test", "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    recorded = json.loads((run / "test.json").read_text())
    assert result["test"]["identity"]["pck"] == recorded["test"]["identity"]["pck"]
    assert result["test"]["model"]["pck"] == recorded["test"]["model"]["pck"]
    assert result["test"]["counts"] == recorded["test"]["counts"]
    assert set(result["test"]["model"]["per_keypoint"]) >= {"Nose", "Shoulder", "Toes"}
    assert "identity" in capsys.readouterr().out


def test_filters_by_name_on_the_same_windows(run, tmp_path):
    out = tmp_path / "savgol.json"
    assert main(["evaluate", "--model", "savgol", "--split-from", str(run), "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    recorded = json.loads((run / "test.json").read_text())
    # same windows, same simulated inputs: the identity is the same as the trained run's
    assert result["test"]["identity"]["pck"] == recorded["test"]["identity"]["pck"]
    assert result["model"]["name"] == "savgol" and result["model"]["parameters"] == 0
    assert main(["evaluate", "--model", "nosuchfilter", "--split-from", str(run)]) == 2


def test_identity_model_scores_exactly_like_the_identity_row(tmp_path):
    kp = Store(write_keypoint_store(tmp_path / "kp.h5", videos=3, frames=12))
    windows = Windows.for_videos({(0, n): kp.num_frames(n) for n in kp.names}, length=5)
    data = PretrainDataset([kp], windows, get_experiment("1.1"), space="heatmaps", heatmap_size=(24, 24))
    result = evaluate(build_model("identity"), data, n_boot=50)
    assert result["model"]["pck"] == result["identity"]["pck"]
    assert result["counts"] == {"videos": 3, "windows": 24, "frames": 36}
    # accel error of the identity equals accel_error on the whole sequences, pooled by hand
    from tempose.heatmaps import decode
    from tempose.metrics import accel_error

    total, n = 0.0, 0
    for v in range(3):
        seq = data.sequence(v)
        xy = decode(seq["input"])[0].numpy()
        err, count = accel_error(xy, seq["target_xy"].numpy(), seq["visible"].numpy())
        total, n = total + err * count, n + count
    assert result["identity"]["accel_error_px"] == pytest.approx(total / n)


def test_accel_max_frames_scores_a_filter_on_the_first_frames_of_its_whole_video_output(tmp_path):
    kp = Store(write_keypoint_store(tmp_path / "kp.h5", videos=2, frames=14))
    windows = Windows.for_videos({(0, n): kp.num_frames(n) for n in kp.names}, length=5)
    data = PretrainDataset([kp], windows, get_experiment("1.1"), space="heatmaps", heatmap_size=(24, 24))
    smoother = build_model("gaussian", sigma=2.0)
    whole = evaluate(smoother, data, n_boot=20)
    first = evaluate(smoother, data, n_boot=20, accel_max_frames=8)
    assert first["model"]["pck"] == whole["model"]["pck"]  # PCK still covers every window
    from tempose.inference import refine_sequence
    from tempose.metrics import accel_error

    total, n = 0.0, 0
    for v in range(2):
        seq = data.sequence(v)
        xy = refine_sequence(smoother, seq["input"], seq["input_valid"], window=5)  # the whole video smoothed
        err, count = accel_error(xy[:8], seq["target_xy"].numpy()[:8], seq["visible"].numpy()[:8])
        total, n = total + err * count, n + count
    assert first["model"]["accel_error_px"] == pytest.approx(total / n)
    assert first["model"]["accel_error_px"] != pytest.approx(whole["model"]["accel_error_px"])


def test_at_half_frame_rate_a_filter_smooths_each_phase_alone():
    from tempose.inference import refine_sequence

    # x alternates 0, 10, 0, 10…: each half-rate phase is constant, the full-rate video is not
    coords = np.zeros((12, 1, 2), np.float32)
    coords[1::2] = 10.0
    smoother = build_model("gaussian", sigma=2.0)
    half_rate = refine_sequence(smoother, coords, step=2)
    np.testing.assert_allclose(half_rate, coords, atol=1e-5)  # a constant phase is left as it is
    full_rate = refine_sequence(smoother, coords)
    assert abs(float(full_rate[5, 0, 0]) - 5.0) < 1.0  # mixing the phases pulls every frame to ≈ 5


def test_at_half_frame_rate_the_acceleration_error_is_per_phase(tmp_path):
    from tempose.inference import refine_sequence
    from tempose.metrics import accel_error

    kp = Store(write_keypoint_store(tmp_path / "kp.h5", videos=2, frames=16))
    windows = Windows.for_videos({(0, n): kp.num_frames(n) for n in kp.names}, length=5, step=2)
    data = PretrainDataset([kp], windows, get_experiment("1.3"), space="heatmaps", heatmap_size=(24, 24))
    smoother = build_model("gaussian", sigma=2.0)
    result = evaluate(smoother, data, window=5, step=2, n_boot=20)
    total, n = 0.0, 0
    for v in range(2):
        seq = data.sequence(v)
        xy = refine_sequence(smoother, seq["input"], seq["input_valid"], window=5, step=2)
        gt, vis = seq["target_xy"].numpy(), seq["visible"].numpy()
        for phase in (0, 1):  # frames 0, 2, 4… and 1, 3, 5…, each its own half-rate video
            err, count = accel_error(xy[phase::2], gt[phase::2], vis[phase::2])
            total, n = total + err * count, n + count
    assert result["model"]["accel_error_px"] == pytest.approx(total / n)


def test_evaluate_finetune_store_and_bad_inputs(tmp_path, capsys):
    hm = write_heatmap_store(tmp_path / "hm.h5", videos=5, frames=15, size=24)
    out = tmp_path / "e.json"
    assert main(["evaluate", "--model", "gaussian", "--data", str(hm), "--split", "all", "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["all"]["counts"]["videos"] == 5 and result["all"]["counts"]["windows"] == 5 * 11
    assert np.isfinite(result["all"]["model"]["accel_error_px"])
    assert main(["evaluate", "--model", "identity", "--data", str(tmp_path / "missing.h5")]) == 2
    assert "missing.h5" in capsys.readouterr().err
    torch.save({"not": "a checkpoint"}, tmp_path / "x.ckpt")
    assert main(["evaluate", "--checkpoint", str(tmp_path / "x.ckpt"), "--data", str(hm)]) == 2
    assert "not a tempose checkpoint" in capsys.readouterr().err


def test_a_checkpoint_whose_weights_do_not_fit_its_model_is_a_one_line_error(tmp_path, capsys):
    hm = write_heatmap_store(tmp_path / "hm.h5", videos=5, frames=15, size=24)
    model = build_model("tempose_net", num_keypoints=25, heatmap_size=(24, 24), map_kernel=(3, 5, 5))
    meta = {"model_name": "tempose_net", "model_params": {}, "num_keypoints": 25, "window": 5,
            "heatmap_size": [24, 24], "keypoint_set": "climbalong", "decoder": "argmax", "stage": "pretrain"}
    state = {f"model.{k}": v for k, v in model.state_dict().items()}  # built with a 3-frame front end…
    torch.save({"tempose": meta, "state_dict": state}, tmp_path / "old.ckpt")  # …which its params do not ask for
    assert main(["evaluate", "--checkpoint", str(tmp_path / "old.ckpt"), "--data", str(hm)]) == 2
    err = capsys.readouterr().err.strip()
    assert "old.ckpt" in err and "do not fit model 'tempose_net'" in err and "front.conv.weight" in err
    assert "\n" not in err
