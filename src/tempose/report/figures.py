"""Figure 1 of the thesis: per architecture (one row each), training loss, validation loss and
validation PCK@0.05 per epoch for every run, the identity's validation PCK@0.05 as dashed lines,
and dots where the learning rate was reduced (on the last epoch run at the old rate)."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from tempose.report.names import display_name, stage_title  # noqa: E402
from tempose.report.runs import Run  # noqa: E402

PANELS = (
    ("train_loss", "Training loss", "MSE loss"),
    ("val_loss", "Validation loss", "MSE loss"),
    ("val_pck@0.05", "Validation PCK@0.05", "PCK@0.05 (%)"),
)
IDENTITY = "val_identity_pck@0.05"


def lr_drops(curves: list[dict[str, float]]) -> list[int]:
    """Row indices of the last epoch at the old rate, for every drop of ``lr`` to the next row."""
    lrs = [row.get("lr", math.nan) for row in curves]
    return [i for i in range(len(lrs) - 1) if lrs[i + 1] < lrs[i]]


def _series(curves: list[dict[str, float]], key: str) -> list[float]:
    scale = 100.0 if "pck" in key else 1.0
    return [scale * row.get(key, math.nan) for row in curves]


def figure1(runs: list[Run], stage: str, path: Path) -> list[str]:
    """Write the stage's Figure 1 PNG to ``path``; returns notes on runs without curves."""
    staged = [r for r in runs if r.stage == stage]
    notes = [f"{r.name}: no training curves ({'; '.join(r.notes)})." for r in staged if not r.curves]
    # rows only for architectures with curves (filters have nothing to train), all if none has any
    models = list(dict.fromkeys(r.model for r in staged if r.curves)) or list(dict.fromkeys(r.model for r in staged))
    fig, axes = plt.subplots(len(models), 3, figsize=(15, 3.6 * len(models)), squeeze=False)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for row, model in enumerate(models):
        mine = [r for r in staged if r.model == model and r.curves]
        for col, (key, title, ylabel) in enumerate(PANELS):
            ax = axes[row][col]
            ax.set_title(f"{display_name(model)}: {title}", fontsize=11)
            ax.set_xlabel("Epoch")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_ylabel(ylabel)
            ax.grid(alpha=0.3)
            repeated = {e for e, n in Counter(r.experiment for r in mine).items() if n > 1}
            for i, run in enumerate(mine):
                label = f"{run.experiment} ({run.name})" if run.experiment in repeated else run.experiment
                _plot_run(ax, run, key, colors[i % len(colors)], label=label)
            if key == "val_pck@0.05":
                _plot_identity(ax, mine)
            if not mine:
                ax.text(0.5, 0.5, "no training curves", ha="center", va="center", transform=ax.transAxes)
            elif "loss" in key:
                _maybe_log(ax, [v for r in mine for v in _series(r.curves, key)])
            if mine:
                ax.legend(fontsize=8, loc="best", title="experiment", title_fontsize=8)
    fig.suptitle(f"{stage_title(stage)}: training curves (dots: learning-rate reductions)", fontsize=13)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.5 / (3.6 * len(models))))  # leave room for the title
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return notes


def _plot_run(ax, run: Run, key: str, color: str, label: str) -> None:
    epochs = [row["epoch"] for row in run.curves]
    values = _series(run.curves, key)
    ax.plot(epochs, values, color=color, label=label, linewidth=1.5)
    drops = [i for i in lr_drops(run.curves) if not math.isnan(values[i])]
    ax.plot([epochs[i] for i in drops], [values[i] for i in drops], "o", color=color, markersize=6)


def _plot_identity(ax, runs: list[Run]) -> None:
    """One dashed grey line per distinct identity value (runs on the same windows share one)."""
    levels: dict[float, list[str]] = {}
    for run in runs:
        values = [v for v in _series(run.curves, IDENTITY) if not math.isnan(v)]
        if values:
            levels.setdefault(round(values[0], 4), []).append(run.experiment)
    for k, (level, experiments) in enumerate(sorted(levels.items())):
        label = "identity" if len(levels) == 1 else f"identity ({', '.join(dict.fromkeys(experiments))})"
        ax.axhline(level, color="0.35", linestyle=("--", ":", "-.")[k % 3], linewidth=1.2, label=label)


def _maybe_log(ax, values: list[float]) -> None:
    positive = [v for v in values if v > 0 and not math.isnan(v)]
    if positive and max(positive) / min(positive) > 20:
        ax.set_yscale("log")
