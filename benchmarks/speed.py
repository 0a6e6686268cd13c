"""Speed and memory of every refiner, the data pipeline and the end-to-end video path, in one run.

* **Models**: training windows/s (batch 16: forward, MSE, backward, Adam), inference ms per
  window at batch 1 and 16 (the timing functions of ``benchmarks/models.py``, best-of-n), and
  peak memory: each model is measured in its own child process, whose peak resident set size
  (CPU) minus that of an idle child (Python + torch) is the model's; on a GPU,
  ``torch.cuda.max_memory_allocated``. Filters: ms per 300-frame sequence.
* **Data pipeline**: windows/s that the DataLoader (batch 16, ``--workers``) delivers for Penn
  Action pretraining windows (heatmaps rendered on the fly, and coordinates) and for finetuning
  windows read from the climbing store, beside the fastest learned model's training windows/s.
* **End to end**: ``benchmarks/estimators.py`` (BlazePose lite over the first ``--frames`` frames
  of each SPEED21 clip) gives the estimator's frames/s alone and with each refiner.

    python benchmarks/speed.py                       # CPU
    python benchmarks/speed.py --device cuda         # the same on a GPU (names the card)
    python benchmarks/speed.py --models conv3d,mynet --model-params mynet:depth=4 --no-e2e

Prints tables and writes ``benchmarks/out/speed[_cuda].json``. On a shared CPU the load average
(recorded) inflates every number; ratios measured in one run hold better than absolute values.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    FILTERS,
    OUT,
    ROOT,
    SHARED,
    THESIS_LEARNED,
    machine_info,
    markdown_table,
    num,
    parse_models,
)

from tempose.files import write_json  # noqa: E402
from tempose.models import build_model, param_count  # noqa: E402


def _bench_models():
    """``benchmarks/models.py`` as a module (its timing functions)."""
    spec = importlib.util.spec_from_file_location("bench_models", ROOT / "benchmarks" / "models.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["bench_models"] = mod
    spec.loader.exec_module(mod)
    return mod


def child(label: str, name: str, params: dict, device: str, iters: int) -> dict:
    """Measure one model in this (child) process; ``name == "none"`` only imports (the baseline)."""
    if name == "none":
        return {}
    bm = _bench_models()
    dev = torch.device(device)
    torch.manual_seed(0)
    if name in FILTERS or name == "identity":
        return {"ms_per_300_frames": bm.filter_ms(name, iters, dev) if name != "identity" else None}
    model = build_model(name, **params).to(dev)
    row = {"params": param_count(model), "input_space": model.input_space,
           "infer_ms_b1": bm.infer_ms(model, 1, iters, dev),
           "infer_ms_b16": bm.infer_ms(model, 16, max(1, iters // 2), dev),
           "train_windows_per_s": bm.train_windows_per_s(model, max(1, iters // 2), dev)}  # fmt: skip
    if dev.type == "cuda":
        row["peak_gpu_mib"] = torch.cuda.max_memory_allocated(dev) / 2**20
    return row


def measure(label: str, name: str, params: dict, device: str, iters: int) -> dict:
    """Run :func:`child` in a fresh process; add its peak resident memory (MiB)."""
    cmd = [sys.executable, __file__, "--child", json.dumps([label, name, params, device, iters])]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"measuring {label} failed (exit {proc.returncode})")
    row = json.loads(out.strip().splitlines()[-1])
    row["peak_rss_mib"] = usage.ru_maxrss / 1024  # Linux: KiB
    return row


def data_rates(workers: int, batches: int) -> list[dict]:
    """Windows/s of the real data pipelines (skipped when their stores are absent)."""
    from torch.utils.data import DataLoader

    from tempose.data import FinetuneDataset, PretrainDataset, Store, get_experiment, split

    def rate(ds) -> float:
        loader = DataLoader(ds, batch_size=16, shuffle=True, num_workers=workers,
                            generator=torch.Generator().manual_seed(0))  # fmt: skip
        it = iter(loader)
        next(it)
        n, start = 0, time.perf_counter()
        for _ in range(min(batches, len(loader) - 2)):
            n += next(it)["input"].shape[0]
        return n / (time.perf_counter() - start)

    rows = []
    penn = OUT / "data" / "penn_thesis3.h5"
    if penn.is_file():
        stores = [Store(penn)]
        plan = split(stores, seed=0)
        for space in ("heatmaps", "coords"):
            ds = PretrainDataset(stores, plan.sets["train"], get_experiment("1.1"), space=space)
            rows.append({"case": f"Penn Action pretraining, {space}", "windows_per_s": rate(ds)})
    climb = sorted((OUT / "climbing").glob("*/stores/lite_wo_*.h5"))
    if climb:
        store = Store(climb[0])
        plan = split([store], stage="finetune", seed=0)
        rows.append({"case": "climbing finetuning (lite 56×56, float16 store)",
                     "windows_per_s": rate(FinetuneDataset(store, plan.sets["train"]))})  # fmt: skip
    for r in rows:
        r["workers"] = workers
    return rows


def end_to_end(frames: int, refiners: list[str], out: Path) -> dict | None:
    """``benchmarks/estimators.py`` on BlazePose lite (frames/s alone and with each refiner)."""
    if not (SHARED / "data" / "speed21" / "videos").is_dir():
        return None
    path = out / "estimators_lite.json"
    cmd = [sys.executable, str(ROOT / "benchmarks" / "estimators.py"), "--frames", str(frames), "--variants", "lite",
           "--refiners", *refiners, "--out", str(path)]  # fmt: skip
    subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return json.loads(path.read_text())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--models", default=",".join(THESIS_LEARNED + FILTERS), help="NAME or LABEL=NAME list")
    parser.add_argument("--model-params", action="append", default=[], metavar="LABEL:KEY=VALUE")
    parser.add_argument("--model-params-yaml")
    parser.add_argument("--iters", type=int, default=3, help="timed iterations per measurement (best-of)")
    parser.add_argument("--workers", type=int, default=0, help="data-loader workers for the pipeline rates")
    parser.add_argument("--batches", type=int, default=40, help="batches per data-pipeline rate")
    parser.add_argument("--frames", type=int, default=60, help="frames per clip for the end-to-end path")
    parser.add_argument("--e2e-refiners", default="identity,savgol,one_euro,conv3d,deciwatch")
    parser.add_argument("--no-e2e", action="store_true")
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(*json.loads(args.child))))
        return 0

    info = machine_info()
    info["device"] = args.device
    print(f"# {info['date']}, {info.get('gpu', info['cpu'])} ({args.device}), {info['cores']} cores, "
          f"torch {info['torch']}, load {info['load_average']}", flush=True)  # fmt: skip
    base = measure("baseline", "none", {}, args.device, args.iters)["peak_rss_mib"]
    rows = []
    for spec in parse_models(args.models, args.model_params, args.model_params_yaml):
        row = {"model": spec.label, **measure(spec.label, spec.name, spec.params, args.device, args.iters)}
        row["peak_mib"] = row.pop("peak_gpu_mib", None) or row["peak_rss_mib"] - base
        rows.append(row)
        print(f"  {spec.label}: {json.dumps({k: round(v, 2) for k, v in row.items() if isinstance(v, float)})}",
              flush=True)  # fmt: skip
    data = data_rates(args.workers, args.batches) if args.device == "cpu" else []
    e2e = None if args.no_e2e else end_to_end(args.frames, args.e2e_refiners.split(","), OUT / "speed")

    learned = [r for r in rows if "train_windows_per_s" in r]
    table = markdown_table(
        ["model", "params", "train win/s (b16)", "infer ms/win b1", "infer ms/win b16", "peak MiB"],
        [[r["model"], f"{r.get('params', 0):,}", num(r.get("train_windows_per_s"), 1), num(r.get("infer_ms_b1")),
          num(r.get("infer_ms_b16")), num(r["peak_mib"], 0)] if r in learned else
         [r["model"], "0", "—", f"{num(r.get('ms_per_300_frames'))} ms / 300 frames", "", num(r["peak_mib"], 0)]
         for r in rows],
    )  # fmt: skip
    parts = [table]
    if data:
        d_rows = [[d["case"], str(d["workers"]), num(d["windows_per_s"], 0)] for d in data]
        for space in ("heatmaps", "coords"):
            same = [r for r in learned if r["input_space"] == space]
            if same:
                fastest = max(same, key=lambda r: r["train_windows_per_s"])
                label = f"fastest {space} model's training ({fastest['model']}, batch 16)"
                d_rows.append([label, "", num(fastest["train_windows_per_s"], 0)])
        parts.append(markdown_table(["data pipeline (batch 16)", "workers", "windows/s"], d_rows))
    if e2e:
        e_rows = [[r["refiner"], str(r["frames"]), num(r["estimator_fps"], 1), num(r["refiner_fps"], 0),
                   num(r["total_fps"], 1)] for r in e2e["rows"]]  # fmt: skip
        parts.append("End to end, BlazePose-lite + refiner (SPEED21, first frames of each clip):\n\n"
                     + markdown_table(["refiner", "frames", "estimator f/s", "refiner f/s", "total f/s"], e_rows))
    text = "\n\n".join(parts)
    print(text)
    suffix = "" if args.device == "cpu" else f"_{torch.device(args.device).type}"
    payload = {"benchmark": "speed", "machine": info, "command": " ".join(sys.argv), "baseline_rss_mib": base,
               "models": rows, "data": data, "end_to_end": e2e, "markdown": text}  # fmt: skip
    path = write_json(OUT / f"speed{suffix}.json", payload)
    print(f"# wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
