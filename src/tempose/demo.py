"""The whole system end to end on built-in synthetic data (``tempose demo``).

generate (synthetic climbers + simulated estimator) → convert the ClimbAlong folder into a store →
pretrain each model on the synthetic keypoint store (experiment 1.1, a short schedule) →
finetune it on the estimator heatmaps → evaluate the classical filters on the same test windows →
report. Everything lands under one output folder; ``demo.json`` summarises the test results.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from tempose.data.readers.climbalong import read_climbalong
from tempose.data.store import write_store
from tempose.errors import InputError
from tempose.files import atomic_write_text, write_json
from tempose.training.config import DataConfig, ModelConfig, OptimConfig, TrainConfig


@dataclass(frozen=True)
class DemoModel:
    """One architecture of the demo and its short schedule."""

    name: str
    pretrain_windows: int
    finetune_windows: int
    params: dict[str, Any] = field(default_factory=dict)
    pretrained: str | None = None  # a shipped checkpoint to finetune from instead of pretraining here


@dataclass(frozen=True)
class DemoConfig:
    """A demo preset: which synthetic dataset, which models, how long they train."""

    synthetic: str  # "quick" or "default" (tempose.synthetic presets)
    models: tuple[DemoModel, ...]
    filters: tuple[str, ...] = ("savgol", "gaussian", "one_euro", "kalman")
    experiment: str = "1.1"
    pretrain_epochs: int = 5
    finetune_epochs: int = 5
    # The thesis finetunes at 1e-4 for up to 50 epochs; a few-epoch demo needs 1e-3 to move at all
    # (measured: 3DConv test PCK@0.1 71.4 at 1e-4 vs 82.3 at 1e-3 after 3 epochs, identity 71.3).
    finetune_lr: float = 1e-3
    batch_size: int = 16
    num_workers: int = 0
    eval_windows: int = 400  # validation/test windows per run (the same for every model)


# tempose_net trains ~18x more windows per second than conv3d (benchmarks/RESULTS.md §2), so it
# finetunes on more windows in about the same time. Quick demo, test PCK, identity 18.3 / 70.5 / 88.9:
# 240 windows at lr 1e-3 37.6 / 71.5 / 84.3 (below the raw estimator at 0.2); 1000 windows at
# lr 1e-4 38.2 / 71.8 / 88.2, at 3e-4 42.4 / 79.0 / 95.2, at 1e-3 46.6 / 84.6 / 98.1 (before the map front
# end; with it, at 1e-3 and the front end at its own 1e-3: 47.3 / 85.4 / 97.9).
QUICK = DemoConfig(
    synthetic="quick",
    models=(DemoModel("conv3d", 320, 240), DemoModel("deciwatch", 640, 320),
            DemoModel("tempose_net", 0, 1000, pretrained="tempose_net_penn")),
    pretrain_epochs=3,
    finetune_epochs=3,
)
FULL = DemoConfig(
    synthetic="default",
    models=(
        DemoModel("conv3d", 1200, 800),
        DemoModel("deciwatch", 12000, 3000),
        DemoModel("biconvlstm_sum", 48, 32),  # the ConvLSTMs train at ~4 windows/s on 2 cores
        DemoModel("biconvlstm_concat", 48, 32),
        DemoModel("tempose_net", 0, 3000, pretrained="tempose_net_penn"),
    ),
    pretrain_epochs=3,
    finetune_epochs=3,
    eval_windows=96,
)


def _log(message: str) -> None:
    print(f"[tempose demo] {message}", flush=True)


def run_demo(out: str | Path, quick: bool = False, overwrite: bool = False) -> dict[str, Any]:
    """Run the demo into ``out``; returns the summary also written to ``out/demo.json``."""
    from tempose.evaluation import evaluate_on_store
    from tempose.report import make_report
    from tempose.synthetic import DEFAULT as SYN_DEFAULT
    from tempose.synthetic import QUICK as SYN_QUICK
    from tempose.synthetic import generate
    from tempose.training.run import BUDGETED_ACCEL_FRAMES

    cfg = QUICK if quick else FULL
    out = Path(out)
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise InputError("output folder exists and is not empty (use --overwrite or another --out)", out)
    start = time.perf_counter()
    data = generate(SYN_QUICK if cfg.synthetic == "quick" else SYN_DEFAULT, out / "data", overwrite=overwrite,
                    log=_log)  # fmt: skip
    climb = write_store(out / "data" / "climbalong.h5", read_climbalong(data.climbalong), overwrite=overwrite)
    _log(f"ClimbAlong folder converted → {climb}")

    finetune_runs: dict[str, Path] = {}
    run_dirs: list[Path] = []
    for m in cfg.models:
        base = TrainConfig(
            stage="pretrain",
            model=ModelConfig(m.name, dict(m.params)),
            data=DataConfig(stores=[str(data.pretrain_store)], experiment=cfg.experiment,
                            limit_windows=m.pretrain_windows, limit_eval_windows=cfg.eval_windows,
                            num_workers=cfg.num_workers),
            optim=OptimConfig(lr=1e-3, batch_size=cfg.batch_size, max_epochs=cfg.pretrain_epochs),
        )  # fmt: skip
        pre_dir = out / "runs" / f"pretrain_{m.name}_{cfg.experiment}"
        if m.pretrained:
            pre_dir = Path(m.pretrained)  # shipped weights (tempose list weights), pretrained on real poses
        else:
            _log(f"pretraining {m.name} ({m.pretrain_windows} windows, {cfg.pretrain_epochs} epochs)")
            _train(base, pre_dir, overwrite)
            run_dirs.append(pre_dir)
        fine = replace(base, stage="finetune", init_checkpoint=str(pre_dir),
                       data=replace(base.data, stores=[str(climb)], limit_windows=m.finetune_windows),
                       optim=replace(base.optim, lr=cfg.finetune_lr, max_epochs=cfg.finetune_epochs))  # fmt: skip
        ft_dir = out / "runs" / f"finetune_{m.name}_{cfg.experiment}"
        _log(f"finetuning {m.name} from {pre_dir} ({m.finetune_windows} windows, {cfg.finetune_epochs} epochs)")
        _train(fine, ft_dir, overwrite)
        finetune_runs[m.name] = ft_dir
        run_dirs.append(ft_dir)

    # Every model is tested on windows of its own length over the same test videos (the thesis's
    # models: 5 frames; tempose_net: 17); the identity row and the filters use the first model's.
    summary: dict[str, Any] = {"out": str(out), "quick": quick, "identity": None, "models": {}, "filters": {}}
    reference_run = next(iter(finetune_runs.values()))
    for name, run in finetune_runs.items():
        test = json.loads((run / "test.json").read_text())["test"]
        summary["models"][name] = {"run": str(run), "pck": test["model"]["pck"],
                                   "accel_error_px": test["model"]["accel_error_px"],
                                   "identity_pck": test["identity"]["pck"]}  # fmt: skip
        if run == reference_run:
            summary["identity"] = {"pck": test["identity"]["pck"], "accel_error_px": test["identity"]["accel_error_px"]}
    for name in cfg.filters:
        _log(f"evaluating filter {name} on the same test windows")
        result = evaluate_on_store(model_name=name, split_from=reference_run, n_boot=200,
                                   accel_max_frames=BUDGETED_ACCEL_FRAMES)  # the models' frames
        result["model"]["stage"] = "finetune"
        filter_dir = out / "runs" / f"filter_{name}"
        write_filter_run(filter_dir, name, climb, result)
        run_dirs.append(filter_dir)
        summary["filters"][name] = {"pck": result["test"]["model"]["pck"],
                                    "accel_error_px": result["test"]["model"]["accel_error_px"]}  # fmt: skip
    report = make_report(run_dirs, out / "report", overwrite=overwrite, speed_repeats=5)
    summary["report"] = str(report)
    summary["seconds"] = round(time.perf_counter() - start, 1)
    write_json(out / "demo.json", summary)
    return summary


def _train(config: TrainConfig, run: Path, overwrite: bool) -> None:
    """Train one demo run; with ``overwrite`` an earlier run in that folder is removed first."""
    import shutil

    from tempose.training.run import train

    if overwrite and run.exists():
        shutil.rmtree(run)
    train(config, run, progress=False)


def write_filter_run(folder: Path, name: str, store: Path, result: dict[str, Any]) -> None:
    """A filter has nothing to train; a run folder with its config and test.json lets the report show it."""
    import yaml

    from tempose.config import to_dict

    folder.mkdir(parents=True, exist_ok=True)
    config = TrainConfig(stage="finetune", model=ModelConfig(name), data=DataConfig(stores=[str(store)]))
    atomic_write_text(folder / "config.yaml", yaml.safe_dump(to_dict(config), sort_keys=False))
    write_json(folder / "test.json", result)


def format_summary(summary: dict[str, Any]) -> str:
    """The first table of the report, as plain text."""
    rows = [("identity (raw estimator)", summary["identity"])]
    rows += [(name, r) for name, r in summary["models"].items()]
    rows += [(f"{name} (filter)", r) for name, r in summary["filters"].items()]
    lines = [f"{'refiner':<26}{'PCK@0.05':>10}{'PCK@0.1':>10}{'PCK@0.2':>10}{'accel px':>10}"]
    for name, r in rows:
        p = r["pck"]
        acc = r["accel_error_px"]
        lines.append(f"{name:<26}{100 * p['0.05']:>10.1f}{100 * p['0.1']:>10.1f}{100 * p['0.2']:>10.1f}"
                     f"{acc if acc is not None else float('nan'):>10.3f}")  # fmt: skip
    return "\n".join(lines)
