"""The runs table: which run is which (stage, model, experiment), what was chosen, what is missing."""

from __future__ import annotations

import math

from tempose.report.fmt import pct
from tempose.report.names import display_name, stage_title
from tempose.report.runs import Run
from tempose.report.tables import Row, Table


def _selection(run: Run) -> str:
    if not run.best:
        return "—"
    value = run.best.get("value")
    text = pct(100.0 * value) + " %" if isinstance(value, int | float) and not math.isnan(value) else "—"
    return f"{run.best.get('metric', '?')} = {text}"


def _epochs(run: Run) -> int | None:
    epochs = [row["epoch"] for row in run.curves or [] if not math.isnan(row.get("epoch", math.nan))]
    return int(max(epochs)) if epochs else None


def _protocol(run: Run) -> str:
    p = (run.results or {}).get("protocol", {})
    parts = [
        f"{p['split_protocol']} split" if "split_protocol" in p else "",
        p.get("decoder", ""),
        p.get("normalizer", ""),
    ]
    return ", ".join(x for x in parts if x) or "—"


def runs_table(runs: list[Run]) -> Table:
    """One row per run folder, in report order; ``Status`` lists its missing pieces."""
    rows = []
    for r in runs:
        counts = (r.block("test") or {}).get("counts", {})
        chosen = (r.best or {}).get("epoch")
        rows.append(
            Row(
                r.name,
                [
                    stage_title(r.stage),
                    display_name(r.model),
                    r.experiment,
                    int(chosen) if isinstance(chosen, int | float) else None,
                    _selection(r),
                    _epochs(r),
                    counts.get("windows"),
                    _protocol(r),
                    "; ".join(r.notes) or "complete",
                ],
            )
        )
    return Table(
        id="runs",
        title="Runs in this report",
        header="Run folder",
        columns=[
            "Stage",
            "Model",
            "Experiment",
            "Chosen epoch",
            "Selected by (validation)",
            "Epochs",
            "Test windows",
            "Protocol",
            "Status",
        ],
        column_kinds=["text", "text", "text", "int", "text", "int", "int", "text", "text"],
        rows=rows,
        notes=["Chosen epoch: the kept best.ckpt (epoch 0 = before training). Test tables evaluate that checkpoint."],
    )
