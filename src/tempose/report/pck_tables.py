"""The thesis's result tables from runs' ``test.json``: Tables 1/2 (overall PCK), the mean of the
three PCKs, the held-out video, and Tables 3/4 (per-keypoint PCK). Values are percentages.

Runs are grouped by stage; experiments ``x.y`` get one table per ``x`` (the shifting scalar), as
the thesis did. A model row collects a registry model's runs; two runs of the same model and
experiment in one stage get a row each, labelled with their folder name.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from tempose.report.names import display_name, experiment_group, experiment_key, stage_title
from tempose.report.runs import Run
from tempose.report.tables import Row, Table, mark_column_maxima, mean_present

BLOCK_TITLES = {"test": "the test set", "holdout": "the held-out longest video"}
KEYPOINT_ALPHAS = ("0.2", "0.05", "0.1")  # the thesis's order of the per-keypoint tables
IDENTITY_TOLERANCE = 1e-9


def row_labels(runs: list[Run]) -> dict[int, str]:
    """Row label per run (keyed by ``id(run)``): the model's display name, plus the folder name
    when the same model and experiment occur more than once."""
    dup = Counter((r.model, r.experiment) for r in runs)
    return {id(r): display_name(r.model) + (f" ({r.name})" if dup[(r.model, r.experiment)] > 1 else "") for r in runs}


def _unique(labels: list[str]) -> list[str]:
    return list(dict.fromkeys(labels))


def alpha_keys(runs: list[Run], block: str) -> list[str]:
    """The α keys present in the runs' results (numeric order); the thesis's three when none are."""
    keys = {k for r in runs if r.block(block) for k in r.block(block).get("model", {}).get("pck", {})}
    return sorted(keys, key=float) or ["0.05", "0.1", "0.2"]


def _pct(block: dict[str, Any] | None, who: str, alpha: str) -> float | None:
    try:
        return 100.0 * float(block[who]["pck"][alpha])
    except (TypeError, KeyError, ValueError):
        return None


def _missing_note(run: Run, block: str) -> str:
    why = "; ".join(run.notes) or f"test.json has no '{block}' block"
    return f"{run.name} ({display_name(run.model)} {run.experiment}, {run.stage}): {why} — shown as —."


def _identity(runs: list[Run], block: str, alphas: list[str], notes: list[str]) -> dict[str, Any] | None:
    """The identity block of the first run with results; a note when the others disagree."""
    with_block = [r for r in runs if r.block(block)]
    if not with_block:
        return None
    first = with_block[0].block(block)
    for other in with_block[1:]:
        a = [_pct(first, "identity", k) for k in alphas]
        b = [_pct(other.block(block), "identity", k) for k in alphas]
        if any(x is None or y is None or abs(x - y) > IDENTITY_TOLERANCE for x, y in zip(a, b, strict=True)):
            notes.append(
                f"Identity of {runs[0].experiment} is taken from {with_block[0].name}; "
                f"{other.name} evaluated different windows (its identity differs)."
            )
    return first


def overall_tables(runs: list[Run], stage: str, block: str = "test") -> list[Table]:
    """Table 1/2 layout for one stage: threshold row, identity row, one row per model."""
    staged = [r for r in runs if r.stage == stage]
    if not any(r.block(block) for r in staged):
        return []
    labels = row_labels(staged)
    alphas = alpha_keys(staged, block)
    tables = []
    for group in sorted({experiment_group(r.experiment) for r in staged}, key=experiment_key):
        members = [r for r in staged if experiment_group(r.experiment) == group]
        if not any(r.block(block) for r in members):
            continue  # e.g. the held-out video exists only for some experiments
        experiments = sorted({r.experiment for r in members}, key=experiment_key)
        columns = [(a, e) for a in alphas for e in experiments]
        notes: list[str] = []
        identity = {e: _identity([r for r in members if r.experiment == e], block, alphas, notes) for e in experiments}
        threshold = Row("Mean threshold distance (px)", [_threshold(identity[e], a) for a, e in columns], kind="px")
        ident = Row("Identity function", [_pct(identity[e], "identity", a) for a, e in columns])
        model_rows = []
        for label in _unique([labels[id(r)] for r in members]):
            mine = {r.experiment: r for r in members if labels[id(r)] == label}
            model_rows.append(
                Row(label, [_pct(mine[e].block(block), "model", a) if e in mine else None for a, e in columns])
            )
        mark_column_maxima([ident, *model_rows])
        notes += [_missing_note(r, block) for r in members if not r.block(block)]
        tables.append(
            Table(
                id=f"{stage}_{block}_pck_{group}",
                title=f"{stage_title(stage)}: PCK (%) on {BLOCK_TITLES.get(block, block)}, experiments {group}.x",
                header="Model",
                columns=[f"PCK@{a} {e}" for a, e in columns],
                column_kinds=["pct"] * len(columns),
                rows=[threshold, ident, *model_rows],
                notes=["Bold: the best value of each column (unrounded).", *notes],
            )
        )
    return tables


def _threshold(block: dict[str, Any] | None, alpha: str) -> float | None:
    try:
        return float(block["identity"]["mean_threshold_px"][alpha])
    except (TypeError, KeyError, ValueError):
        return None


def mean_table(runs: list[Run], stage: str, block: str = "test") -> Table | None:
    """Mean of the three PCKs per run (rows: models, columns: experiments and Total)."""
    staged = [r for r in runs if r.stage == stage]
    if not any(r.block(block) for r in staged):
        return None
    labels = row_labels(staged)
    alphas = alpha_keys(staged, block)
    experiments = sorted({r.experiment for r in staged}, key=experiment_key)
    rows, notes = [], []
    for label in _unique([labels[id(r)] for r in staged]):
        mine = {r.experiment: r for r in staged if labels[id(r)] == label}
        values = [_run_mean(mine[e].block(block), alphas) if e in mine else None for e in experiments]
        if sum(v is not None for v in values) < len(experiments):
            notes.append(f"Total of {label} averages its {sum(v is not None for v in values)} available runs only.")
        rows.append(Row(label, [*values, mean_present(values)]))
    mark_column_maxima(rows)
    notes += [_missing_note(r, block) for r in staged if not r.block(block)]
    return Table(
        id=f"{stage}_{block}_mean_pck",
        title=f"{stage_title(stage)}: mean of PCK@{', @'.join(alphas)} (%) per run on {BLOCK_TITLES.get(block, block)}",
        header="Model",
        columns=[*experiments, "Total"],
        column_kinds=["pct"] * (len(experiments) + 1),
        rows=rows,
        notes=["Bold: the best value of each column (unrounded). Total: the mean over the row's runs.", *notes],
    )


def _run_mean(block: dict[str, Any] | None, alphas: list[str]) -> float | None:
    values = [_pct(block, "model", a) for a in alphas]
    return None if any(v is None for v in values) else sum(values) / len(values)


def keypoint_tables(runs: list[Run], stage: str, block: str = "test") -> list[Table]:
    """Table 3/4 layout: per-keypoint PCK (rows: merged keypoint names, Total) per model × experiment."""
    staged = [r for r in runs if r.stage == stage]
    if not any(r.block(block) for r in staged):
        return []
    labels = row_labels(staged)
    present = alpha_keys(staged, block)
    tables = []
    for alpha in [a for a in KEYPOINT_ALPHAS if a in present] + [a for a in present if a not in KEYPOINT_ALPHAS]:
        for group in sorted({experiment_group(r.experiment) for r in staged}, key=experiment_key):
            members = [r for r in staged if experiment_group(r.experiment) == group]
            if any(r.block(block) for r in members):
                tables.append(_keypoint_table(members, labels, stage, block, alpha, group))
    return tables


def _keypoint_table(
    members: list[Run], labels: dict[int, str], stage: str, block: str, alpha: str, group: str
) -> Table:
    names = _unique(
        [n for r in members if r.block(block) for n in r.block(block).get("model", {}).get("per_keypoint", {})]
    )
    rows, dropped = [], []
    for name in names:
        values = [_keypoint_pct(r.block(block), name, alpha) for r in members]
        if all(v is None for v in values):
            dropped.append(name)
            continue
        rows.append(Row(name, [*values, mean_present(values)]))
    rows.append(Row("Total", [*[_pct(r.block(block), "model", alpha) for r in members], ""]))
    notes = ["Total row: the run's overall PCK (pooled over all keypoints); Total column: the mean over the runs."]
    if dropped:
        notes.append(f"Not evaluated in any run (the data lacks them): {', '.join(dropped)}.")
    notes += [_missing_note(r, block) for r in members if not r.block(block)]
    return Table(
        id=f"{stage}_{block}_keypoints_pck{alpha}_{group}",
        title=(
            f"{stage_title(stage)}: per-keypoint PCK@{alpha} (%) on {BLOCK_TITLES.get(block, block)}, "
            f"experiments {group}.x"
        ),
        header="Keypoint",
        columns=[*[f"{labels[id(r)]} {r.experiment}" for r in members], "Total"],
        column_kinds=["pct"] * (len(members) + 1),
        rows=rows,
        notes=notes,
    )


def _keypoint_pct(block: dict[str, Any] | None, name: str, alpha: str) -> float | None:
    try:
        value = 100.0 * float(block["model"]["per_keypoint"][name][alpha])
    except (TypeError, KeyError, ValueError):
        return None
    return None if math.isnan(value) else value


def interval_table(runs: list[Run], stage: str, block: str = "test") -> Table | None:
    """Per run: PCK with its bootstrap 95 % interval over videos, and the acceleration error."""
    staged = [r for r in runs if r.stage == stage]
    if not any(r.block(block) for r in staged):
        return None
    alphas = alpha_keys(staged, block)
    rows = []
    for r in staged:
        b = r.block(block)
        values: list = []
        for a in alphas:
            ci = _ci(b, a)
            values += [_pct(b, "model", a), *ci]
        values += [_accel(b, "model"), _accel(b, "identity")]
        rows.append(Row(f"{display_name(r.model)} {r.experiment} ({r.name})", values))
    columns = [c for a in alphas for c in (f"PCK@{a}", f"PCK@{a} CI low", f"PCK@{a} CI high")]
    return Table(
        id=f"{stage}_{block}_intervals",
        title=f"{stage_title(stage)}: PCK (%) with bootstrap 95 % intervals over videos, and acceleration error",
        header="Run",
        columns=[*columns, "Accel. error (px)", "Identity accel. error (px)"],
        column_kinds=["pct"] * len(columns) + ["px", "px"],
        rows=rows,
        notes=[
            "Percentile bootstrap over videos (test.json pck_ci95). Acceleration error: mean ‖Δ²pred − Δ²gt‖ "
            "on whole sequences, heatmap pixels.",
            *[_missing_note(r, block) for r in staged if not r.block(block)],
        ],
    )


def _ci(block: dict[str, Any] | None, alpha: str) -> list[float | None]:
    try:
        lo, hi = block["model"]["pck_ci95"][alpha]
        return [100.0 * float(lo), 100.0 * float(hi)]
    except (TypeError, KeyError, ValueError):
        return [None, None]


def _accel(block: dict[str, Any] | None, who: str) -> float | None:
    try:
        return float(block[who]["accel_error_px"])
    except (TypeError, KeyError, ValueError):
        return None
