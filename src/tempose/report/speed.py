"""Model size and speed: parameters and milliseconds per window (batch 1) on this machine.

Each architecture is timed once, from the first of its runs whose ``best.ckpt`` loads. Coordinate
refiners (DeciWatch) are timed on coordinates, so the heatmap→coordinate decoding is excluded, as
in the thesis's Table "model measurements".
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from dataclasses import dataclass

import torch

from tempose.report.names import display_name
from tempose.report.runs import Run
from tempose.report.tables import Row, Table


def machine_description() -> str:
    """Host, CPU model, cores and torch threads: the machine the timings belong to."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    return (
        f"{platform.node()}: {cpu}, {os.cpu_count()} cores, torch {torch.__version__} "
        f"with {torch.get_num_threads()} threads (CPU)"
    )


@dataclass
class Timing:
    """Forward times (ms) of one window at batch 1; ``inputs`` describes what the model was fed."""

    mean: float
    std: float
    median: float
    calls: int
    inputs: str


def time_model(model: torch.nn.Module, meta: dict, repeats: int = 20, budget_s: float = 3.0) -> Timing:
    """Time ``repeats`` forward calls after one warm-up call, or fewer (at least 3) once
    ``budget_s`` seconds are spent. The median resists other processes sharing the CPU."""
    t, k = int(meta["window"]), int(meta["num_keypoints"])
    h, w = (int(s) for s in meta["heatmap_size"])
    gen = torch.Generator().manual_seed(0)
    if getattr(model, "input_space", "heatmaps") == "coords":
        x, inputs = torch.rand((1, t, k, 2), generator=gen) * (w - 1), f"{t}×{k}×2 coordinates"
    else:
        x, inputs = torch.rand((1, t, k, h, w), generator=gen), f"{t}×{k}×{h}×{w} heatmaps"
    times: list[float] = []
    with torch.inference_mode():
        model(x)
        start = time.perf_counter()
        while len(times) < repeats and (len(times) < 3 or time.perf_counter() - start < budget_s):
            t0 = time.perf_counter()
            model(x)
            times.append(1000.0 * (time.perf_counter() - t0))
    std = statistics.stdev(times) if len(times) > 1 else 0.0
    return Timing(statistics.fmean(times), std, statistics.median(times), len(times), inputs)


def speed_table(runs: list[Run], repeats: int = 20, budget_s: float = 3.0) -> Table:
    """One row per architecture; "—" with a note when no run's ``best.ckpt`` loads or timing is off."""
    models = list(dict.fromkeys(r.model for r in runs))
    rows, notes = [], []
    machine = machine_description()
    try:  # imported here: the report's tables must not depend on the training stack importing
        from tempose.training.checkpoint import load_refiner
    except Exception as exc:
        load_refiner = None
        notes.append(f"Checkpoints cannot be loaded here ({type(exc).__name__}: {str(exc).splitlines()[0]}).")
    for name in models:
        loaded = None
        for run in (r for r in runs if r.model == name and load_refiner is not None):
            try:
                loaded = (run, *load_refiner(run.path))
                break
            except Exception as exc:  # missing / corrupt checkpoint, or a model that cannot be built
                notes.append(f"{run.name}: best.ckpt unavailable ({str(exc).splitlines()[0]}).")
        if loaded is None:
            rows.append(Row(display_name(name), [None] * 6))
            continue
        run, model, meta = loaded
        params = sum(p.numel() for p in model.parameters())
        if repeats > 0:
            timing = time_model(model, meta, repeats, budget_s)
            rows.append(
                Row(display_name(name), [params, timing.mean, timing.std, timing.median, timing.inputs, run.name])
            )
            notes.append(f"{display_name(name)}: {timing.calls} timed calls.")
            if "coordinates" in timing.inputs:
                notes.append(
                    f"{display_name(name)} is timed on coordinates: heatmap decoding is excluded (as the thesis)."
                )
        else:
            rows.append(Row(display_name(name), [params, None, None, None, None, run.name]))
    if repeats <= 0:
        notes.append("Timing was switched off (--speed-repeats 0).")
    return Table(
        id="model_size_speed",
        title="Model size and speed (batch 1, one window)",
        header="Model",
        columns=["Parameters", "Mean time per window (ms)", "Std (ms)", "Median (ms)", "Input (T×K×…)", "Timed run"],
        column_kinds=["int", "ms", "ms", "ms", "text", "text"],
        rows=rows,
        notes=[f"Measured on {machine}.", *notes],
    )
