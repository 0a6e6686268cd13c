"""Penn Action pretraining benchmark: the thesis protocol (spec §3–§5, §8) on real ground truth.

Every learned model is pretrained on synthetic detector noise around Penn Action's annotated
keypoints (experiment x.y: shift scale, σ_in rule, frame rate), split **by video**, and scored
with the identity (the noisy input) and the classical filters, whose parameters are tuned on the
validation videos (a small grid, best mean of PCK@0.05/0.1/0.2), on **one common test set**: every
non-overlapping test window of the store. Reported: PCK@0.05/0.1/0.2 with 95 % bootstrap
intervals over videos, per-keypoint PCK and the acceleration error (px/frame², heatmap pixels,
whole test sequences).

    python benchmarks/penn_action.py                                    # CPU default (< 30 min quiet)
    python benchmarks/penn_action.py --setting gpu --accelerator gpu    # full setting, resumable
    python benchmarks/penn_action.py --actions all --name all15         # all 15 actions, CPU budgets
    python benchmarks/penn_action.py --models conv3d,mynet --model-params mynet:depth=4

Settings (``--setting``) preset the budget; any flag overrides them:

* ``cpu``: 48 videos (16 per action, seeded), learned models ``windows=1000,epochs=3``, the
  bi-ConvLSTMs ``windows=128,epochs=1`` (they train at ~1 window/s on 2 cores), 0 workers.
* ``gpu``: every video, ``windows=all,epochs=10``, 8 workers; each run resumes from its last
  epoch, so a killed 10-minute command continues where it stopped (``--stop-after`` minutes
  stops starting new runs).

Run folders (``OUT/runs/pretrain_<label>_<exp>``) are skipped when finished and resumed when
interrupted; filter tunings and evaluations are cached as JSON, so re-running with more models or
experiments only adds rows. Prints a table and writes ``OUT/results.json`` (default
``OUT = benchmarks/out/penn_action/<name>``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    FILTER_GRID,
    FILTERS,
    OUT,
    SHARED,
    THESIS_LEARNED,
    Budget,
    ModelSpec,
    machine_info,
    markdown_table,
    model_budgets,
    num,
    parse_budget,
    parse_models,
    pct,
    read_json,
    train_or_resume,
)

from tempose.data.datasets import PretrainDataset  # noqa: E402
from tempose.data.readers.penn_action import ACTIONS, THESIS_ACTIONS, read_penn_action  # noqa: E402
from tempose.data.samples import get_experiment  # noqa: E402
from tempose.data.splits import split  # noqa: E402
from tempose.data.store import Store, write_store  # noqa: E402
from tempose.evaluation import evaluate  # noqa: E402
from tempose.files import write_json  # noqa: E402
from tempose.models import build_model  # noqa: E402
from tempose.training.checkpoint import load_refiner  # noqa: E402
from tempose.training.config import DataConfig, ModelConfig, OptimConfig, TrainConfig, TrainerConfig  # noqa: E402

ALPHAS = ("0.05", "0.1", "0.2")
SETTINGS = {
    "cpu": {"videos": 48, "budget": "windows=1000,epochs=3", "model_budget": ["biconvlstm*:windows=128,epochs=1"],
            "num_workers": 0},
    "gpu": {"videos": None, "budget": "windows=all,epochs=10", "model_budget": [], "num_workers": 8},
}  # fmt: skip

# Spec §9.1: the thesis's pretraining test PCK (%), BRACE + Penn Action (3 actions), its own split.
THESIS_PRETRAIN = {
    "1.1": {"Identity": (6.95, 25.7, 67.4), "3DConv": (1.84, 30.6, 96.6), "DeciWatch": (51.4, 64.6, 80.2),
            "Model S": (27.8, 68.4, 95.7), "Model C": (29.5, 69.5, 96.1)},
    "1.2": {"Identity": (6.95, 25.7, 67.4), "3DConv": (20.5, 58.5, 98.0), "DeciWatch": (51.4, 64.6, 80.2),
            "Model S": (31.1, 71.0, 95.8), "Model C": (31.7, 71.3, 96.1)},
    "1.3": {"Identity": (6.95, 25.7, 67.4), "3DConv": (0.67, 23.8, 96.3), "DeciWatch": (44.5, 51.5, 64.2),
            "Model S": (33.8, 72.5, 96.7), "Model C": (31.8, 71.8, 96.9)},
    "2.1": {"Identity": (1.84, 7.75, 29.3), "3DConv": (0.80, 21.6, 94.2), "DeciWatch": (51.2, 64.4, 80.2),
            "Model S": (10.5, 31.1, 68.5), "Model C": (12.5, 36.4, 74.6)},
    "2.2": {"Identity": (1.84, 7.75, 29.3), "3DConv": (2.40, 27.6, 91.8), "DeciWatch": (51.2, 64.4, 80.2),
            "Model S": (11.6, 33.4, 67.8), "Model C": (12.0, 32.5, 65.5)},
    "2.3": {"Identity": (1.84, 7.75, 29.3), "3DConv": (0.11, 16.8, 95.5), "DeciWatch": (10.3, 24.4, 50.3),
            "Model S": (10.1, 29.5, 69.6), "Model C": (9.63, 29.8, 70.0)},
}  # fmt: skip


# ------------------------------------------------------------------------------------------
# Data
# ------------------------------------------------------------------------------------------
def _actions(text: str) -> tuple[str, list[str]]:
    if text == "thesis":
        return "thesis3", list(THESIS_ACTIONS)
    if text == "all":
        return "all15", list(ACTIONS)
    names = [a for a in text.split(",") if a]
    return "_".join(names), names


def build_store(labels: Path, key: str, actions: list[str], videos: int | None, seed: int, data_dir: Path) -> Path:
    """The Penn Action store of ``actions`` (cached), reduced to ``videos`` videos spread evenly
    over the actions (seeded) when a budget is given."""
    full = data_dir / f"penn_{key}.h5"
    if not full.is_file():
        write_store(full, read_penn_action(labels, actions), source="penn_action")
    if videos is None:
        return full
    subset = data_dir / f"penn_{key}_v{videos}_s{seed}.h5"
    if subset.is_file():
        return subset
    store = Store(full)
    by_action: dict[str, list[str]] = {}
    for name in store.names:
        by_action.setdefault(str(store.meta(name).get("action")), []).append(name)
    rng = np.random.default_rng(seed)
    per = max(1, videos // len(by_action))
    keep = sorted(n for names in by_action.values()
                  for n in rng.choice(sorted(names), min(per, len(names)), replace=False))  # fmt: skip
    write_store(subset, (store.read(n) for n in keep), source="penn_action", subset_of=full.name,
                subset_seed=seed)  # fmt: skip
    return subset


# ------------------------------------------------------------------------------------------
# Training and evaluation
# ------------------------------------------------------------------------------------------
def train_config(spec: ModelSpec, store: Path, experiment: str, budget: Budget, args) -> TrainConfig:
    return TrainConfig(
        stage="pretrain",
        model=ModelConfig(spec.name, dict(spec.params)),
        data=DataConfig(stores=[str(store)], experiment=experiment, split="video", split_seed=args.seed,
                        noise_seed=args.seed, limit_windows=budget.windows, num_workers=args.num_workers),
        optim=OptimConfig(lr=1e-3, max_epochs=budget.epochs),
        trainer=TrainerConfig(accelerator=args.accelerator, precision=args.precision),
        seed=args.seed,
    )  # fmt: skip


def dataset(store: Path, set_name: str, experiment: str, space: str, seed: int) -> PretrainDataset:
    """Every (non-overlapping for val/test) window of ``set_name`` in the video split of ``store``."""
    stores = [Store(store)]
    exp = get_experiment(experiment)
    plan = split(stores, protocol="video", stage="pretrain", length=5, stride=1, step=exp.frame_step, seed=seed)
    return PretrainDataset(stores, plan.sets[set_name], exp, space=space, heatmap_size=(56, 56), seed=seed)


def _score(block: dict) -> float:
    return float(np.mean([block["pck"][a] for a in ALPHAS]))


def tune_filter(name: str, store: Path, experiment: str, seed: int, cache: Path) -> dict[str, Any]:
    """Grid-search the filter's parameters on the validation videos (cached)."""
    path = cache / f"tune_{name}_{experiment}.json"
    if path.is_file():
        return read_json(path)
    ds = dataset(store, "val", experiment, "coords", seed)
    trials = []
    for params in FILTER_GRID[name]:
        block = evaluate(build_model(name, **params), ds, step=get_experiment(experiment).frame_step,
                         n_boot=0, with_accel=False)["model"]  # fmt: skip
        trials.append({"params": params, "pck": block["pck"], "mean_pck": _score(block)})
    best = max(trials, key=lambda t: t["mean_pck"])
    payload = {"filter": name, "criterion": "mean val PCK@0.05/0.1/0.2", "best": best, "trials": trials}
    write_json(path, payload)
    return read_json(path)


def evaluate_entry(label: str, model, store: Path, experiment: str, seed: int, path: Path,
                   extra: dict[str, Any], with_accel: bool) -> dict[str, Any]:  # fmt: skip
    """Evaluate ``model`` on the common test set (cached at ``path``)."""
    if path.is_file():
        return read_json(path)
    ds = dataset(store, "test", experiment, model.input_space, seed)
    result = evaluate(model, ds, step=get_experiment(experiment).frame_step, seed=seed, with_accel=with_accel)
    write_json(path, {"label": label, "experiment": experiment, **extra, "test": result})
    return read_json(path)


def run_learned(spec: ModelSpec, experiment: str, store: Path, budget: Budget, args, out: Path) -> dict | None:
    run_dir = out / "runs" / f"pretrain_{spec.label}_{experiment}"
    if args.stop_after and time.monotonic() - args.started > 60 * args.stop_after:
        print(f"  {run_dir.name}: not started (--stop-after {args.stop_after} min)")
        return None
    t0 = time.perf_counter()
    _, what = train_or_resume(train_config(spec, store, experiment, budget, args), run_dir)
    print(f"  {run_dir.name}: {what} ({time.perf_counter() - t0:.0f} s)", flush=True)
    model, meta = load_refiner(run_dir)
    config = yaml.safe_load((run_dir / "config.yaml").read_text())
    curve = [line.split(",") for line in (run_dir / "metrics.csv").read_text().splitlines()[1:]]
    extra = {
        "model": spec.name, "params": spec.params, "parameters": sum(p.numel() for p in model.parameters()),
        "run": str(run_dir.relative_to(out)), "chosen_epoch": read_json(run_dir / "best.json").get("epoch"),
        "epochs_run": len(curve) - 1, "train_seconds": round(sum(float(r[-1] or 0) for r in curve), 1),
        "budget": {"windows": config["data"]["limit_windows"], "epochs": config["optim"]["max_epochs"]},
    }  # fmt: skip
    path = out / "eval" / f"{spec.label}_{experiment}.json"
    entry = evaluate_entry(spec.label, model, store, experiment, args.seed, path, extra, with_accel=False)
    # The acceleration error runs on whole test sequences: the run's own test.json has it (same videos,
    # same noise), computed once; the common-test PCK above may use more windows than the run's capped test.
    run_test = read_json(run_dir / "test.json")["test"]
    for key in ("model", "identity"):
        entry["test"][key]["accel_error_px"] = run_test[key]["accel_error_px"]
        entry["test"][key]["accel_frames"] = run_test[key]["accel_frames"]
    return entry


def run_filter(name: str, experiment: str, store: Path, args, out: Path) -> dict:
    if name == "identity":
        model, extra = build_model("identity"), {"model": "identity", "params": {}}
    else:
        tuned = tune_filter(name, store, experiment, args.seed, out / "eval")
        params = tuned["best"]["params"]
        model, extra = build_model(name, **params), {"model": name, "params": params, "tuned_on": "val"}
    return evaluate_entry(name, model, store, experiment, args.seed, out / "eval" / f"{name}_{experiment}.json",
                          {**extra, "parameters": 0}, with_accel=True)  # fmt: skip


# ------------------------------------------------------------------------------------------
# Tables
# ------------------------------------------------------------------------------------------
def _row(label: str, entry: dict, block_name: str = "model") -> list[str]:
    b = entry["test"][block_name]
    cells = [pct(b["pck"][a], *b["pck_ci95"][a]) for a in ALPHAS]
    setting = entry.get("budget")
    info = "tuned " + ", ".join(f"{k}={v}" for k, v in entry["params"].items()) if entry.get("tuned_on") else (
        f"{setting['windows'] or 'all'} win × {entry['epochs_run']} ep (best {entry['chosen_epoch']}), "
        f"{entry['train_seconds']:.0f} s" if setting else "")  # fmt: skip
    return [label, *cells, num(b["accel_error_px"], 3), info]


def tables(results: dict[str, dict[str, dict]], store: Path) -> str:
    parts = []
    for exp, entries in results.items():
        if not entries:
            continue
        first = next(iter(entries.values()))
        c = first["test"]["counts"]
        thr = first["test"]["identity"]["mean_threshold_px"]
        rows = [["Mean threshold distance (px)", *[num(thr[a]) for a in ALPHAS], "", ""],
                _row("identity (noisy input)", first, "identity")]  # fmt: skip
        rows += [_row(label, e) for label, e in entries.items() if label != "identity"]
        parts.append(f"**Experiment {exp}** — {Path(store).name}, test: {c['videos']} videos, {c['windows']} windows, "
                     f"{c['frames']} frames; PCK % [95 % CI over videos]; accel err px/frame²\n\n"
                     + markdown_table(["model", "PCK@0.05", "PCK@0.1", "PCK@0.2", "accel err", "training / tuning"],
                                      rows))  # fmt: skip
        kp_names = list(first["test"]["identity"]["per_keypoint"])
        kp_rows = [[name, *[pct(e["test"]["model" if lbl != "identity" else "identity"]["per_keypoint"][name]["0.1"])
                            for lbl, e in entries.items()]] for name in kp_names]  # fmt: skip
        kp_rows = [r for r in kp_rows if any(c != "—" for c in r[1:])]
        parts.append(f"Per keypoint, PCK@0.1 (%), experiment {exp}:\n\n"
                     + markdown_table(["keypoint", *entries], kp_rows))  # fmt: skip
        if exp in THESIS_PRETRAIN:
            t_rows = [[m, *[f"{v:g}" for v in vals]] for m, vals in THESIS_PRETRAIN[exp].items()]
            parts.append(f"Thesis, experiment {exp} (spec §9.1) — **different data** (BRACE + Penn Action, its "
                         "leaky contiguous split, full training), same noise protocol:\n\n"
                         + markdown_table(["model", "PCK@0.05", "PCK@0.1", "PCK@0.2"], t_rows))  # fmt: skip
    return "\n\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--setting", choices=sorted(SETTINGS), default="cpu")
    parser.add_argument("--name", help="output folder name under benchmarks/out/penn_action (default: setting)")
    parser.add_argument("--out", type=Path, help="output folder (default benchmarks/out/penn_action/NAME)")
    parser.add_argument("--actions", default="thesis", help="thesis (3), all (15) or a comma list")
    parser.add_argument("--experiments", default="1.1", help="comma list of 1.1 1.2 1.3 2.1 2.2 2.3")
    parser.add_argument("--models", default=",".join(THESIS_LEARNED), help="learned models: NAME or LABEL=NAME")
    parser.add_argument("--model-params", action="append", default=[], metavar="LABEL:KEY=VALUE")
    parser.add_argument("--model-params-yaml", help="YAML: label → {name, params}")
    parser.add_argument("--filters", default=",".join(("identity", *FILTERS)), help="parameter-free refiners")
    parser.add_argument("--budget", help="windows=N|all,epochs=N for every learned model (default: the setting's)")
    parser.add_argument("--model-budget", action="append", metavar="LABEL[*]:windows=N,epochs=N",
                        help="per-model budget (default: the setting's, e.g. biconvlstm*:windows=128,epochs=1)")
    parser.add_argument("--videos", help="videos in the store: N (spread over the actions) or all")
    parser.add_argument("--num-workers", type=int)
    parser.add_argument("--accelerator", default="auto")
    parser.add_argument("--precision", default="32-true")
    parser.add_argument("--seed", type=int, default=0, help="split, noise, subset and training seed")
    parser.add_argument("--stop-after", type=float, help="start no new training run after this many minutes")
    args = parser.parse_args(argv)
    args.started = time.monotonic()
    preset = SETTINGS[args.setting]
    args.num_workers = preset["num_workers"] if args.num_workers is None else args.num_workers
    videos = preset["videos"] if args.videos is None else (None if args.videos == "all" else int(args.videos))
    out = args.out or OUT / "penn_action" / (args.name or args.setting)
    labels = SHARED / "data" / "penn_action" / "labels"
    if not labels.is_dir():
        raise SystemExit(f"{labels} is absent: this benchmark needs ../shared")

    key, actions = _actions(args.actions)
    store = build_store(labels, key, actions, videos, args.seed, OUT / "data")
    specs = parse_models(args.models, args.model_params, args.model_params_yaml)
    budgets = model_budgets(specs, parse_budget(args.budget or preset["budget"]),
                            args.model_budget if args.model_budget is not None else preset["model_budget"])  # fmt: skip
    filters = [f for f in args.filters.split(",") if f and f != "none"]
    experiments = [e for e in args.experiments.split(",") if e]
    info = machine_info()
    print(f"# {info['date']}, {info['cpu']} ({info['cores']} cores), load {info['load_average']}; "
          f"store {store.name} ({len(Store(store).names)} videos)", flush=True)  # fmt: skip

    results: dict[str, dict[str, dict]] = {}
    for exp in experiments:
        entries: dict[str, dict] = {}
        for name in filters:
            t0 = time.perf_counter()
            entries[name] = run_filter(name, exp, store, args, out)
            print(f"  {name} {exp}: {time.perf_counter() - t0:.0f} s", flush=True)
        for spec in specs:
            entry = run_learned(spec, exp, store, budgets[spec.label], args, out)
            if entry is not None:
                entries[spec.label] = entry
        results[exp] = entries
    text = tables(results, store)
    print(text)
    payload = {"benchmark": "penn_action", "machine": info, "command": " ".join(sys.argv), "store": str(store),
               "actions": actions, "videos": len(Store(store).names), "split": "video, seed " + str(args.seed),
               "budgets": {label: b.describe() for label, b in budgets.items()}, "results": results,
               "markdown": text}  # fmt: skip
    write_json(out / "results.json", payload)
    print(f"# wrote {out / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
