"""Every number of the report as files next to it: one CSV per table, the training curves as CSV,
and ``report.json`` (the whole document with raw, unrounded values)."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

from tempose.report.document import Document
from tempose.report.fmt import is_missing
from tempose.report.runs import Run
from tempose.report.tables import Table

CURVE_KEYS = ("run", "stage", "model", "experiment")


def write_table_csv(table: Table, path: Path) -> None:
    """Header row, then label + raw values (empty for missing)."""
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([table.header, *table.columns])
        for row in table.rows:
            writer.writerow([row.label, *("" if is_missing(v) else v for v in row.values)])


def curve_rows(runs: list[Run]) -> list[dict[str, Any]]:
    """All runs' ``metrics.csv`` rows, each tagged with its run, stage, model and experiment."""
    rows = []
    for r in runs:
        for row in r.curves or []:
            rows.append({"run": r.name, "stage": r.stage, "model": r.model, "experiment": r.experiment, **row})
    return rows


def write_curves_csv(runs: list[Run], path: Path) -> None:
    rows = curve_rows(runs)
    fields = list(CURVE_KEYS) + list(dict.fromkeys(k for row in rows for k in row if k not in CURVE_KEYS))
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if is_missing(row.get(k)) else row.get(k) for k in fields})


def _json_safe(obj: Any) -> Any:
    """NaN → null, so the JSON is strict (readable by any parser, not only Python's)."""
    if isinstance(obj, float) and math.isnan(obj):
        return None
    if isinstance(obj, dict):
        return {k: _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_json_safe(v) for v in obj]
    return obj


def write_json(doc: Document, runs: list[Run], extra: dict[str, Any], path: Path) -> None:
    data = {
        **extra,
        **doc.to_dict(),
        "runs": [
            {
                "run": str(r.path),
                "name": r.name,
                "stage": r.stage,
                "model": r.model,
                "experiment": r.experiment,
                "best": r.best,
                "notes": r.notes,
            }
            for r in runs
        ],
        "curves": curve_rows(runs),
    }
    path.write_text(json.dumps(_json_safe(data), indent=1, allow_nan=False) + "\n")
