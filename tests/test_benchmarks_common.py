"""Smoke tests of the benchmark helpers (benchmarks/_common.py): model/budget parsing and the
block bootstrap over time, against hand-computed values."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import numpy as np
import pytest

from tempose.errors import InputError
from tempose.files import write_json

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import _common as common  # noqa: E402


def test_parse_models_labels_builtin_and_cli_params():
    specs = common.parse_models("conv3d,deciwatch_sr1=deciwatch,mynet", ["mynet:depth=4", "mynet:act=relu"])
    assert [(s.label, s.name) for s in specs] == [("conv3d", "conv3d"), ("deciwatch_sr1", "deciwatch"),
                                                  ("mynet", "mynet")]  # fmt: skip
    assert specs[1].params == {"sample_rate": 1}  # built-in
    assert specs[2].params == {"depth": 4, "act": "relu"}  # YAML scalars: 4 is an int


def test_parse_models_yaml_adds_and_overrides(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text("deciwatch_sr1: {sample_rate: 4}\nbig: {name: conv3d, params: {kernel_size: 7}}\n")
    specs = {s.label: s for s in common.parse_models("deciwatch_sr1=deciwatch", params_yaml=path)}
    assert specs["deciwatch_sr1"].params == {"sample_rate": 4}
    assert (specs["big"].name, specs["big"].params) == ("conv3d", {"kernel_size": 7})


@pytest.mark.parametrize("bad", ["conv3d", "conv3d:depth", "other:depth=1"])
def test_parse_models_rejects_bad_params(bad):
    with pytest.raises(InputError):
        common.parse_models("conv3d", [bad])


def test_budgets_default_prefix_override_and_all():
    specs = common.parse_models("conv3d,biconvlstm_sum,biconvlstm_concat")
    default = common.parse_budget("windows=1000,epochs=3")
    budgets = common.model_budgets(specs, default, ["biconvlstm*:windows=128,epochs=1", "conv3d:windows=all"])
    assert budgets["conv3d"] == common.Budget(None, 3)
    assert budgets["biconvlstm_sum"] == budgets["biconvlstm_concat"] == common.Budget(128, 1)
    with pytest.raises(InputError):
        common.parse_budget("minutes=3")


def test_block_indices_are_contiguous_blocks_inside_the_track():
    idx = common.block_indices(10, 4, np.random.default_rng(0))
    assert len(idx) == 10 and idx.min() >= 0 and idx.max() <= 9
    for start in (0, 4):  # two whole blocks, then 2 frames of a third
        assert np.array_equal(np.diff(idx[start : start + 4]), [1, 1, 1])
    assert np.array_equal(np.sort(common.block_indices(5, 5, np.random.default_rng(1))), np.arange(5))


def test_block_bootstrap_whole_track_blocks_give_the_point_value():
    # block = track length: every resample is the track itself → the interval is the ratio 3/4
    lo, hi = common.block_bootstrap_ci([np.array([1.0, 1, 1, 0])], [np.ones(4)], block=4, n_boot=50)
    assert lo == hi == 0.75


def test_block_bootstrap_two_frames_block_one():
    # frames (1, 0), block 1: a resample's mean is 0, 0.5 or 1 with probability 1/4, 1/2, 1/4, so the
    # 2.5% and 97.5% quantiles of 2,000 resamples are 0 and 1
    lo, hi = common.block_bootstrap_ci([np.array([1.0, 0.0])], [np.ones(2)], block=1, n_boot=2000, seed=3)
    assert (lo, hi) == (0.0, 1.0)


def test_block_bootstrap_pools_tracks_and_handles_empty():
    # two constant tracks, 2/2 and 0/2 hits: every resample pools them to 2/4
    lo, hi = common.block_bootstrap_ci([np.ones(2), np.zeros(2)], [np.ones(2), np.ones(2)], block=1, n_boot=20)
    assert lo == hi == 0.5
    assert np.isnan(common.block_bootstrap_ci([np.zeros(3)], [np.zeros(3)], n_boot=5)).all()


def test_paired_block_bootstrap_cancels_shared_difficulty():
    # model a hits one keypoint more than b on every frame (3 evaluated per frame): every paired resample
    # gives exactly 1/3, while each model alone varies with the frames drawn
    b = [np.array([0.0, 1, 2, 0, 1, 2]), np.array([2.0, 2, 0])]
    a = [x + 1 for x in b]
    den = [np.full(6, 3.0), np.full(3, 3.0)]
    diff, lo, hi = common.paired_block_bootstrap(a, b, den, den, block=2, n_boot=200)
    assert np.isclose(diff, 1 / 3) and np.isclose(lo, 1 / 3) and np.isclose(hi, 1 / 3)
    alone = common.block_bootstrap_ci(a, den, block=2, n_boot=200)
    assert alone[1] - alone[0] > 0.1


def test_write_json_is_strict(tmp_path):
    path = write_json(tmp_path / "a.json", {"x": float("nan"), "y": np.float32(1.5), "z": np.arange(2)})
    assert path.read_text().replace(" ", "").replace("\n", "") == '{"x":null,"y":1.5,"z":[0,1]}'


@pytest.mark.parametrize("script", sorted(p.stem for p in (Path(__file__).parents[1] / "benchmarks").glob("*.py")))
def test_every_benchmark_script_imports(script):
    # the scripts import helpers from each other: a renamed helper must fail here, not in a long run
    importlib.import_module(script)
