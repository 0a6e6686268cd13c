"""The README's main job, end to end (what `tempose demo --quick` runs in CI)."""

import json

import pytest

from tempose.cli import main


@pytest.mark.slow
def test_quick_demo_trains_models_that_beat_the_identity(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--quick", "--out", str(out)]) == 0
    summary = json.loads((out / "demo.json").read_text())
    identity, conv3d = summary["identity"]["pck"], summary["models"]["conv3d"]["pck"]
    assert conv3d["0.1"] > identity["0.1"] and conv3d["0.2"] > identity["0.2"]
    # tempose_net is scored on its own 17-frame windows, so against the identity of those windows
    ours = summary["models"]["tempose_net"]
    assert all(ours["pck"][a] > ours["identity_pck"][a] for a in ("0.05", "0.1", "0.2"))
    # the simulated estimator is calibrated to the thesis's ClimbAlong identity (19.4 / 66.1 / 85.2) ± 10
    for alpha, thesis in (("0.05", 0.194), ("0.1", 0.661), ("0.2", 0.852)):
        assert abs(identity[alpha] - thesis) <= 0.10
    assert set(summary["filters"]) == {"savgol", "gaussian", "one_euro", "kalman"}
    assert (out / "report" / "report.html").exists() and (out / "report" / "report.md").exists()
    assert "identity (raw estimator)" in capsys.readouterr().out
    assert main(["demo", "--quick", "--out", str(out)]) == 2  # never overwrites silently
