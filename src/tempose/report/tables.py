"""The report's table model: rows of raw values plus how to format and which cells are bold.

Every writer (Markdown, HTML, CSV, JSON) renders the same :class:`Table`, so the numbers cannot
drift apart: JSON/CSV keep the raw values (PCK in percent, unrounded), Markdown/HTML print them
with :func:`tempose.report.fmt.format_value`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from tempose.report.fmt import Value, format_value, is_missing


@dataclass
class Row:
    """One table row; ``kind`` overrides the column kinds (e.g. the px threshold row of a PCK table)."""

    label: str
    values: list[Value]
    kind: str | None = None
    bold: list[bool] = field(default_factory=list)

    def is_bold(self, j: int) -> bool:
        return j < len(self.bold) and self.bold[j]


@dataclass
class Table:
    """A titled table: ``header`` names the label column, ``columns``/``column_kinds`` the others."""

    id: str
    title: str
    header: str
    columns: list[str]
    column_kinds: list[str]
    rows: list[Row]
    notes: list[str] = field(default_factory=list)

    def kind(self, row: Row, j: int) -> str:
        return row.kind or self.column_kinds[j]

    def cells(self) -> list[list[tuple[str, bool]]]:
        """Formatted cells ``(text, bold)`` row by row (without the label column)."""
        return [[(format_value(v, self.kind(r, j)), r.is_bold(j)) for j, v in enumerate(r.values)] for r in self.rows]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able: raw values (None for missing), kinds and bold flags."""
        return {
            "id": self.id,
            "title": self.title,
            "header": self.header,
            "columns": self.columns,
            "column_kinds": self.column_kinds,
            "rows": [
                {
                    "label": r.label,
                    "kind": r.kind,
                    "values": [None if is_missing(v) else v for v in r.values],
                    "bold": [r.is_bold(j) for j in range(len(r.values))],
                }
                for r in self.rows
            ],
            "notes": self.notes,
        }


def mark_column_maxima(rows: list[Row]) -> None:
    """Bold every cell equal to its column's true (unrounded) maximum among ``rows``."""
    if not rows:
        return
    width = max(len(r.values) for r in rows)
    for r in rows:
        r.bold = [r.is_bold(j) for j in range(width)]
    for j in range(width):
        present = [r.values[j] for r in rows if j < len(r.values) and _number(r.values[j])]
        if not present:
            continue
        best = max(present)
        for r in rows:
            if j < len(r.values) and _number(r.values[j]) and r.values[j] == best:
                r.bold[j] = True


def _number(v: Value) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and not math.isnan(v)


def mean_present(values: list[Value]) -> float | None:
    """Mean of the numeric, non-missing values; None when there are none."""
    nums = [float(v) for v in values if _number(v)]
    return sum(nums) / len(nums) if nums else None
