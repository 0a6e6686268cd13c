"""Shared helpers of the real-data benchmarks (penn_action.py, climbing.py, speed.py).

Model lists and parameters, budgets, resumable training runs, atomic JSON, the machine record,
a block bootstrap over time and plain-text tables. Nothing here trains or evaluates by itself.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from tempose.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT / ".." / "shared"
OUT = ROOT / "benchmarks" / "out"
THESIS_LEARNED = ("conv3d", "deciwatch", "deciwatch_sr1=deciwatch", "biconvlstm_sum", "biconvlstm_concat")
FILTERS = ("one_euro", "savgol", "gaussian", "kalman")
BUILTIN_PARAMS = {"deciwatch_sr1": {"sample_rate": 1}}

# Small validation grids for the classical filters (issue: tune on validation data, not defaults).
FILTER_GRID: dict[str, list[dict[str, Any]]] = {
    "one_euro": [{"min_cutoff": m, "beta": b} for m in (0.0004, 0.004, 0.04, 0.4) for b in (0.0, 0.07, 0.7)],
    "savgol": [{"window_size": w, "polyorder": p} for w in (5, 9, 15, 31) for p in (1, 2, 3) if p < w - 1],
    "gaussian": [{"window_size": w, "sigma": s} for w in (1, 5, 11) for s in (0.5, 1.0, 2.0, 4.0)],
    "kalman": [{"process_noise": q, "measurement_noise": r} for q in (0.01, 0.1, 1.0, 10.0) for r in (0.1, 1.0, 10.0)],
}


# ------------------------------------------------------------------------------------------
# Models: labels, registry names and parameters
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ModelSpec:
    """A benchmarked model: its table ``label``, registry ``name`` and constructor ``params``."""

    label: str
    name: str
    params: dict[str, Any] = field(default_factory=dict)


def _value(text: str) -> Any:
    """``"4"`` → 4, ``"0.5"`` → 0.5, ``"true"`` → True, anything else stays a string (YAML scalars)."""
    return yaml.safe_load(text)


def parse_models(text: str, params: list[str] | None = None, params_yaml: str | Path | None = None) -> list[ModelSpec]:
    """Parse ``--models a,b,label=name`` plus ``--model-params label:key=value`` and a YAML file.

    An entry is a registry name, or ``label=name`` to benchmark one model twice with different
    parameters (``deciwatch_sr1=deciwatch``). The YAML maps a label to ``{name: ..., params: {...}}``
    (or just to a params mapping); labels only named there are added to the list. Later sources win:
    built-in parameters, then the YAML, then ``--model-params``.
    """
    specs: dict[str, dict[str, Any]] = {}
    for entry in (e.strip() for e in text.split(",")):
        if not entry or entry == "none":
            continue
        label, _, name = entry.partition("=")
        specs[label] = {"name": name or label, "params": dict(BUILTIN_PARAMS.get(label, {}))}
    if params_yaml:
        data = yaml.safe_load(Path(params_yaml).read_text()) or {}
        if not isinstance(data, dict):
            raise InputError("model parameter YAML must map model labels to parameters", params_yaml)
        for label, value in data.items():
            value = value or {}
            if not isinstance(value, dict):
                raise InputError(f"model {label!r}: expected a mapping", params_yaml)
            entry = specs.setdefault(label, {"name": value.get("name", label), "params": {}})
            entry["name"] = value.get("name", entry["name"])
            entry["params"].update(value.get("params", {k: v for k, v in value.items() if k != "name"}))
    for item in params or []:
        label, sep, rest = item.partition(":")
        key, eq, raw = rest.partition("=")
        if not sep or not eq or not key:
            raise InputError(f"--model-params expects LABEL:KEY=VALUE, got {item!r}")
        if label not in specs:
            raise InputError(f"--model-params names {label!r}, which is not in --models")
        specs[label]["params"][key] = _value(raw)
    return [ModelSpec(label, s["name"], s["params"]) for label, s in specs.items()]


# ------------------------------------------------------------------------------------------
# Budgets
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Budget:
    """How much training a run gets: ``windows`` per epoch (None = all) and ``epochs`` at most."""

    windows: int | None = None
    epochs: int = 50

    def describe(self) -> str:
        return f"{self.windows or 'all'} windows × ≤{self.epochs} epochs"


def parse_budget(text: str, base: Budget | None = None) -> Budget:
    """``"windows=2000,epochs=3"`` (``windows=all`` for no cap) on top of ``base``."""
    values: dict[str, Any] = {} if base is None else {"windows": base.windows, "epochs": base.epochs}
    for item in (p.strip() for p in text.split(",") if p.strip()):
        key, sep, raw = item.partition("=")
        if not sep or key not in ("windows", "epochs"):
            raise InputError(f"budget items are windows=N|all and epochs=N, got {item!r}")
        values[key] = None if raw == "all" else int(raw)
    return Budget(**values)


def model_budgets(specs: list[ModelSpec], default: Budget, overrides: list[str]) -> dict[str, Budget]:
    """Per label: ``default``, replaced by ``--model-budget LABEL_OR_PREFIX:windows=..,epochs=..``.

    A prefix ending in ``*`` (``biconvlstm*``) matches every label that starts with it.
    """
    out = {s.label: default for s in specs}
    for item in overrides:
        pattern, sep, rest = item.partition(":")
        if not sep:
            raise InputError(f"--model-budget expects LABEL:windows=N,epochs=N, got {item!r}")
        for label in out:
            if label == pattern or (pattern.endswith("*") and label.startswith(pattern[:-1])):
                out[label] = parse_budget(rest, out[label])
    return out


# ------------------------------------------------------------------------------------------
# Runs and files
# ------------------------------------------------------------------------------------------
def train_or_resume(config, run_dir: Path) -> tuple[Path, str]:
    """Train ``config`` into ``run_dir`` unless finished; resume an interrupted run.

    Returns the run folder and what happened: ``"done"`` (already finished, skipped),
    ``"resumed"`` or ``"trained"``. A folder without ``last.ckpt`` (killed during its first epoch)
    is started again.
    """
    from tempose.training.run import train

    if (run_dir / "test.json").is_file():
        return run_dir, "done"
    resume = (run_dir / "last.ckpt").is_file()
    if run_dir.exists() and not resume:
        shutil.rmtree(run_dir)
    train(config, run_dir, resume=resume, progress=False)
    return run_dir, "resumed" if resume else "trained"


def read_json(path: Path) -> Any:
    return json.loads(Path(path).read_text())


def machine_info() -> dict[str, Any]:
    """Where and when the numbers were made (the load average matters on a shared CPU)."""
    import torch

    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info = {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "host": platform.node(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


# ------------------------------------------------------------------------------------------
# Block bootstrap over time
# ------------------------------------------------------------------------------------------
def block_indices(length: int, block: int, rng: np.random.Generator) -> np.ndarray:
    """Moving-block resample of ``range(length)``: random contiguous blocks of ``block`` frames,
    concatenated and cut to ``length`` (a block never wraps around the track's end)."""
    if length <= 0:
        return np.zeros(0, np.int64)
    block = max(1, min(block, length))
    starts = rng.integers(0, length - block + 1, size=-(-length // block))
    return (starts[:, None] + np.arange(block)[None]).ravel()[:length]


def block_bootstrap_ci(
    numerators: list[np.ndarray],
    denominators: list[np.ndarray],
    block: int = 10,
    n_boot: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile interval of ``Σ numerator / Σ denominator`` under a block bootstrap over time.

    Each list item is one track's per-frame values (e.g. PCK hits and evaluated keypoints per
    frame, or summed jitter and its count). Every resample draws contiguous blocks of ``block``
    frames *within* each track (keeping the short-range dependence of video frames that an
    ordinary per-frame bootstrap would ignore) and pools all tracks. Returns ``(lo, hi)``; NaN when
    nothing was counted.
    """
    return _block_bootstrap([numerators, denominators], lambda n, d: n / d if d else np.nan, block, n_boot,
                            level, seed)  # fmt: skip


def paired_block_bootstrap(
    num_a: list[np.ndarray],
    num_b: list[np.ndarray],
    den_a: list[np.ndarray],
    den_b: list[np.ndarray],
    block: int = 10,
    n_boot: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float, float, float]:
    """``Σa/Σden_a − Σb/Σden_b`` and its percentile interval when both models are resampled with the
    **same** blocks in every draw (:func:`block_bootstrap_ci`), so frame-to-frame difficulty cancels."""
    diff = lambda na, nb, da, db: na / da - nb / db if da and db else np.nan  # noqa: E731
    whole = diff(*(float(sum(np.sum(x) for x in arrays)) for arrays in (num_a, num_b, den_a, den_b)))
    return (whole, *_block_bootstrap([num_a, num_b, den_a, den_b], diff, block, n_boot, level, seed))


def _block_bootstrap(series: list[list[np.ndarray]], stat, block: int, n_boot: int, level: float,
                     seed: int) -> tuple[float, float]:  # fmt: skip
    """Percentile interval of ``stat(*pooled sums)``; ``series`` holds per-track arrays of equal
    lengths, resampled with the same block indices within each track."""
    rng = np.random.default_rng(seed)
    stats = np.empty(n_boot)
    for b in range(n_boot):
        sums = np.zeros(len(series))
        for track in zip(*series, strict=True):
            idx = block_indices(len(track[0]), block, rng)
            sums += [float(np.sum(x[idx])) for x in track]
        stats[b] = stat(*sums)
    stats = stats[np.isfinite(stats)]
    if stats.size == 0:
        return float("nan"), float("nan")
    lo, hi = np.quantile(stats, [(1 - level) / 2, 1 - (1 - level) / 2])
    return float(lo), float(hi)


# ------------------------------------------------------------------------------------------
# Tables
# ------------------------------------------------------------------------------------------
def pct(value: float | None, lo: float | None = None, hi: float | None = None) -> str:
    """PCK fraction → ``"61.2 [58.0, 64.1]"`` (percent, one decimal); ``—`` when missing."""
    if value is None or not np.isfinite(value):
        return "—"
    text = f"{100 * value:.1f}"
    if lo is not None and hi is not None and np.isfinite(lo) and np.isfinite(hi):
        text += f" [{100 * lo:.1f}, {100 * hi:.1f}]"
    return text


def num(value: float | None, digits: int = 2) -> str:
    return "—" if value is None or not np.isfinite(value) else f"{value:.{digits}f}"


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    """A GitHub pipe table (first column left-aligned, the rest right-aligned)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join([":---"] + ["---:"] * (len(header) - 1)) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)
