"""Checkpoint resolution: run folders, files and the names of checkpoints shipped in the package."""

from __future__ import annotations

import pytest
import torch

from tempose.errors import InputError
from tempose.models import build_model
from tempose.training import checkpoint
from tempose.training.checkpoint import load_refiner, resolve_checkpoint


def _write(path, model_name="conv3d"):
    model = build_model(model_name, num_keypoints=25, window=5)
    meta = {"model_name": model_name, "model_params": {}, "num_keypoints": 25, "window": 5, "heatmap_size": [56, 56],
            "keypoint_set": "climbalong", "decoder": "argmax", "stage": "pretrain"}  # fmt: skip
    torch.save({"state_dict": {f"model.{k}": v for k, v in model.state_dict().items()}, "tempose": meta}, path)
    return model


def test_run_folder_file_and_shipped_name(tmp_path, monkeypatch):
    run = tmp_path / "run"
    run.mkdir()
    _write(run / "best.ckpt")
    assert resolve_checkpoint(run) == run / "best.ckpt"
    assert resolve_checkpoint(run / "best.ckpt") == run / "best.ckpt"
    shipped = tmp_path / "weights" / "conv3d_demo.pt"
    shipped.parent.mkdir()
    saved = _write(shipped)
    monkeypatch.setattr(checkpoint, "shipped_weights", lambda: {"conv3d_demo": shipped})
    monkeypatch.chdir(tmp_path)
    model, meta = load_refiner("conv3d_demo")
    assert meta["checkpoint"] == str(shipped)
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), saved.state_dict().values(), strict=True))
    with pytest.raises(InputError, match="shipped name: conv3d_demo"):
        resolve_checkpoint("conv3d_dmo")


def test_shipped_weights_are_small_and_load():
    shipped = checkpoint.shipped_weights()
    if not shipped:
        pytest.skip("no weights shipped in this checkout")
    for name, path in shipped.items():
        assert path.stat().st_size < 5e6, name
        model, meta = load_refiner(name)
        assert meta["trained_on"] and meta["window"] >= 5
        if meta["model_name"].startswith("tempose_net"):  # the size limit for our model
            assert sum(p.numel() for p in model.parameters()) <= 200_000
