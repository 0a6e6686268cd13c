"""The example plugin (examples/plugin) plugs an estimator and a filter into tempose through entry
points. Installing is simulated cheaply: its package folder and a dist-info carrying the entry points
its pyproject.toml declares are put on sys.path, so importlib.metadata finds them as pip would."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import numpy as np
import pytest
import torch

from tempose.cli import main
from tempose.estimators import ESTIMATORS
from tempose.models import MODELS
from tempose.video import write_video

PLUGIN = Path(__file__).resolve().parents[1] / "examples" / "plugin"


@pytest.fixture
def installed(tmp_path, monkeypatch):
    project = tomllib.loads((PLUGIN / "pyproject.toml").read_text())["project"]
    info = tmp_path / "site" / "tempose_plugin_example-0.1.0.dist-info"
    info.mkdir(parents=True)
    info.joinpath("METADATA").write_text(f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: 0.1.0\n")
    lines = []
    for group, points in project["entry-points"].items():
        lines += [f"[{group}]", *(f"{name} = {target}" for name, target in points.items()), ""]
    info.joinpath("entry_points.txt").write_text("\n".join(lines))
    monkeypatch.syspath_prepend(str(PLUGIN / "src"))
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    for registry in (ESTIMATORS, MODELS):  # let each registry look for plugins afresh, then forget them
        monkeypatch.setattr(registry, "_plugins_loaded", False)
        monkeypatch.setattr(registry, "_factories", dict(registry._factories))
    return project["entry-points"]


def test_plugin_entry_points_are_found(installed, capsys):
    assert installed == {"tempose.estimators": {"stick-figure": "tempose_plugin_example:StickFigure"},
                         "tempose.models": {"ema": "tempose_plugin_example:ema"}}  # fmt: skip
    assert main(["estimators"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("stick-figure "))
    assert line.split(None, 1)[1].startswith("A fixed upright stick figure")
    assert "ema" in MODELS.available()


def test_plugin_estimator_and_filter_run_in_infer(installed, tmp_path):
    video = write_video(tmp_path / "v.mp4", [np.zeros((40, 80, 3), np.uint8)] * 4, fps=5)
    out = tmp_path / "k.json"
    assert main(["infer", str(video), "--estimator", "stick-figure", "--model", "ema", "--online",
                 "--out", str(out), "--quiet"]) == 0  # fmt: skip
    doc = json.loads(out.read_text())
    nose = doc["frames"][0]["refined"][0]
    assert nose == pytest.approx([20 + 16 * 40 / 31, 4 + 2 * 32 / 31], abs=0.01)  # box 20..60 × 4..36, cell (16, 2)
    assert doc["refiner"] == "ema" and doc["latency_frames"] == 0


def test_ema_by_hand(installed):
    model = MODELS.build("ema", alpha=0.5)
    xy = torch.tensor([0.0, 4.0, 100.0, 8.0]).reshape(1, 4, 1, 1).expand(1, 4, 1, 2)
    valid = torch.tensor([True, True, False, True]).reshape(1, 4, 1)
    assert model(xy, valid)[0, :, 0, 0].tolist() == [0.0, 2.0, 2.0, 5.0]
