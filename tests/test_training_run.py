import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from conftest import write_heatmap_store, write_keypoint_store
from tempose.cli import main
from tempose.training.checkpoint import load_refiner

# small grids and evaluation sets keep these end-to-end runs to seconds on a 2-core CPU
FAST = ["--set", "data.heatmap_size=[24,24]", "--num-workers", "0", "--limit-eval-windows", "24"]
RUN_FILES = {"config.yaml", "split.json", "metrics.csv", "best.ckpt", "best.json", "last.ckpt", "test.json"}


def _rows(run: Path) -> list[dict]:
    with (run / "metrics.csv").open() as f:
        return list(csv.DictReader(f))


def test_pretrain_then_finetune_writes_every_file(tmp_path):
    kp = write_keypoint_store(tmp_path / "kp.h5")
    hm = write_heatmap_store(tmp_path / "hm.h5", size=24)
    common = ["--max-epochs", "2", "--batch-size", "8", *FAST]
    assert main(["pretrain", "--model", "conv3d", "--experiment", "1.2", "--data", str(kp),
                 "--out", str(tmp_path / "pre"), "--limit-windows", "32", *common]) == 0  # fmt: skip
    pre = tmp_path / "pre"
    assert RUN_FILES <= {p.name for p in pre.iterdir()}
    rows = _rows(pre)
    assert [r["epoch"] for r in rows] == ["0", "1", "2"]
    assert float(rows[1]["train_loss"]) > 0 and rows[0]["lr"] == "0.001"
    test = json.loads((pre / "test.json").read_text())
    assert test["model"]["parameters"] == 78150 and test["protocol"]["experiment"] == "1.2"
    assert 0 <= test["test"]["identity"]["pck"]["0.2"] <= 1

    assert main(["finetune", "--checkpoint", str(pre), "--data", str(hm), "--out", str(tmp_path / "ft"),
                 *common]) == 0  # fmt: skip
    ft = tmp_path / "ft"
    assert RUN_FILES <= {p.name for p in ft.iterdir()}
    assert _rows(ft)[0]["lr"] == "0.0001"
    model, meta = load_refiner(ft)
    assert meta["stage"] == "finetune" and meta["model_name"] == "conv3d"
    # epoch 0 of finetuning is the pretrained model itself
    pre_model, _ = load_refiner(tmp_path / "pre" / "best.ckpt")
    assert json.loads((ft / "best.json").read_text())["metric"] == "val/pck@0.05"
    assert sum(p.numel() for p in model.parameters()) == sum(p.numel() for p in pre_model.parameters())


def test_finetuning_windows_take_the_pretrained_models_length(tmp_path):
    kp = write_keypoint_store(tmp_path / "kp.h5", videos=5, frames=12)
    hm = write_heatmap_store(tmp_path / "hm.h5", videos=5, frames=12, size=24)
    common = ["--max-epochs", "1", "--batch-size", "4", "--limit-windows", "8", *FAST]
    assert main(["pretrain", "--model", "tempose_net", "--data", str(kp), "--out", str(tmp_path / "pre"),
                 "--set", "data.window=7", *common]) == 0  # fmt: skip
    # the finetuning config says nothing about the window (default 5): the model's 7 frames win
    assert main(["finetune", "--checkpoint", str(tmp_path / "pre"), "--data", str(hm),
                 "--out", str(tmp_path / "ft"), *common]) == 0  # fmt: skip
    split = json.loads((tmp_path / "ft" / "split.json").read_text())
    assert {s["length"] for s in split["sets"].values()} == {7}
    assert "window: 7" in (tmp_path / "ft" / "config.yaml").read_text()


def test_refuses_to_overwrite_and_mismatched_heatmap_size(tmp_path, capsys):
    kp = write_keypoint_store(tmp_path / "kp.h5", videos=5, frames=12)
    args = ["pretrain", "--model", "conv3d", "--data", str(kp), "--out", str(tmp_path / "run"),
            "--max-epochs", "1", "--limit-windows", "8", *FAST]  # fmt: skip
    assert main(args) == 0
    assert main(args) == 2
    assert "not empty" in capsys.readouterr().err
    hm64 = write_heatmap_store(tmp_path / "hm64.h5", videos=5, frames=12, size=64)
    assert main(["finetune", "--checkpoint", str(tmp_path / "run"), "--data", str(hm64),
                 "--out", str(tmp_path / "ft")]) == 2  # fmt: skip
    assert "24x24" in capsys.readouterr().err


def test_plateau_reduces_lr_and_stops_at_the_thesis_epochs(tmp_path, monkeypatch):
    """val loss 1.0, 0.9, then 0.95 forever: best at epoch 2, ReduceLROnPlateau (patience 5) cuts
    the lr after epoch 8, early stopping (patience 10) stops after epoch 12."""
    from tempose.training import module as module_mod

    crafted = {1: 1.0, 2: 0.9}

    def validation_step(self, batch, batch_idx):
        self.accumulate(self(batch["input"]), batch, self._val_counts)
        value = torch.tensor(crafted.get(self.current_epoch + 1, 0.95))
        self.log("val/loss", value, on_step=False, on_epoch=True, batch_size=1)

    monkeypatch.setattr(module_mod.RefinerModule, "validation_step", validation_step)
    kp = write_keypoint_store(tmp_path / "kp.h5", videos=5, frames=6)
    assert main(["pretrain", "--model", "conv3d", "--data", str(kp), "--out", str(tmp_path / "run"),
                 "--limit-windows", "2", "--batch-size", "2", *FAST]) == 0  # fmt: skip
    rows = _rows(tmp_path / "run")
    assert [int(r["epoch"]) for r in rows] == list(range(13))
    lrs = [float(r["lr"]) for r in rows[1:]]
    assert lrs[:8] == [1e-3] * 8 and lrs[8:] == pytest.approx([1e-4] * 4)


def test_finetune_can_choose_epoch_zero(tmp_path):
    kp = write_keypoint_store(tmp_path / "kp.h5", videos=5, frames=20)
    hm = write_heatmap_store(tmp_path / "hm.h5", videos=5, frames=20, size=24)
    assert main(["pretrain", "--model", "conv3d", "--data", str(kp), "--out", str(tmp_path / "pre"),
                 "--max-epochs", "3", "--limit-windows", "40", "--batch-size", "8", *FAST]) == 0
    assert main(["finetune", "--checkpoint", str(tmp_path / "pre"), "--data", str(hm), "--out",
                 str(tmp_path / "ft"), "--max-epochs", "2", "--lr", "50", *FAST]) == 0  # fmt: skip
    best = json.loads((tmp_path / "ft" / "best.json").read_text())
    assert best["epoch"] == 0  # a huge learning rate ruins the model: the pretrained weights are kept


@pytest.mark.slow
def test_sigkill_mid_epoch_then_resume_matches_uninterrupted(tmp_path):
    kp = write_keypoint_store(tmp_path / "kp.h5", videos=8, frames=60)
    base = [sys.executable, "-m", "tempose", "pretrain", "--model", "conv3d", "--data", str(kp),
            "--max-epochs", "3", "--batch-size", "4", "--limit-windows", "80", *FAST]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    subprocess.run([*base, "--out", str(tmp_path / "full")], check=True, env=env, capture_output=True)

    killed = tmp_path / "killed"
    proc = subprocess.Popen([*base, "--out", str(killed)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.time() + 120
    while time.time() < deadline and not (killed / "metrics.csv").exists() or len(_rows(killed)) < 3:
        time.sleep(0.05)
    time.sleep(0.2)  # somewhere inside epoch 3
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert len(_rows(killed)) < 5, "the run finished before it could be killed"
    subprocess.run([*base, "--out", str(killed), "--resume"], check=True, env=env, capture_output=True)

    full, _ = load_refiner(tmp_path / "full" / "last.ckpt")
    resumed, _ = load_refiner(killed / "last.ckpt")
    for a, b in zip(full.state_dict().values(), resumed.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    assert _rows(tmp_path / "full") == _rows(killed)[: len(_rows(tmp_path / "full"))] or all(
        r1["val_loss"] == r2["val_loss"] for r1, r2 in zip(_rows(tmp_path / "full"), _rows(killed), strict=True)
    )


def test_epoch_shuffle_is_seeded_per_epoch_and_forwards_set_epoch():
    from tempose.training.datamodule import EpochShuffle

    class Data:
        epoch = None

        def set_epoch(self, epoch):
            self.epoch = epoch

    data = Data()
    sampler = EpochShuffle(10, seed=3, dataset=data)
    first = list(sampler)
    sampler.set_epoch(1)
    assert data.epoch == 1 and sorted(sampler) == list(range(10)) and list(sampler) != first
    sampler.set_epoch(0)
    assert list(sampler) == first


def test_online_refinement_never_looks_ahead():
    import numpy as np

    from tempose.inference import refine_sequence
    from tempose.models import build_model

    rng = np.random.default_rng(0)
    xy = torch.tensor(rng.normal(20, 2, size=(12, 25, 2)), dtype=torch.float32)
    changed = xy.clone()
    changed[8:] += 5.0  # the future changes
    for name in ("savgol", "conv3d"):
        model = build_model(name)
        inputs = xy if model.input_space == "coords" else None
        if inputs is None:
            from tempose.heatmaps import render

            a, b = render(xy, (24, 24)), render(changed, (24, 24))
        else:
            a, b = xy, changed
        out_a = refine_sequence(model, a, online=True)
        out_b = refine_sequence(model, b, online=True)
        np.testing.assert_array_equal(out_a[:8], out_b[:8])
        assert not np.array_equal(refine_sequence(model, a)[:8], refine_sequence(model, b)[:8])
