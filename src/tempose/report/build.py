"""Assemble and write the whole report: tables, figures, Markdown, HTML, CSV and JSON."""

from __future__ import annotations

import datetime as dt
from importlib.metadata import version
from pathlib import Path

from tempose.errors import InputError
from tempose.report._io import check_out_dir, staged_dir
from tempose.report.document import Document, Figure, Section
from tempose.report.export import write_curves_csv, write_json, write_table_csv
from tempose.report.figures import figure1
from tempose.report.html import render_html
from tempose.report.markdown import render_markdown
from tempose.report.names import stage_key, stage_title
from tempose.report.overview import runs_table
from tempose.report.pck_tables import interval_table, keypoint_tables, mean_table, overall_tables
from tempose.report.runs import Run, load_runs
from tempose.report.speed import machine_description, speed_table

POOLING_FALLBACK = "PCK pools hit/count totals over all keypoints and window frames (not the thesis's per-batch means)."


def _intro(runs: list[Run]) -> list[str]:
    stages = {s: sum(r.stage == s for r in runs) for s in sorted({r.stage for r in runs}, key=stage_key)}
    protocols = [(r.results or {}).get("protocol") for r in runs]
    pooling = {str(p["pck_pooling"]) for p in protocols if isinstance(p, dict) and "pck_pooling" in p}
    lines = [
        f"Generated {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z} by tempose {version('tempose')} "
        f"from {len(runs)} run folder(s)."
    ]
    lines.append("Stages: " + ", ".join(f"{stage_title(s).lower()} {n} run(s)" for s, n in stages.items()) + ".")
    lines += [f"PCK protocol: {p.rstrip('.')}." for p in sorted(pooling) or [POOLING_FALLBACK]]
    lines.append(
        "PCK in percent: one decimal from 10 %, two decimals below (as the thesis); "
        "— marks a missing piece (see the notes under each table)."
    )
    return lines


def build_document(runs: list[Run], out: Path, speed_repeats: int = 20) -> Document:
    """Build the tables, write the figures into ``out`` and return the document."""
    sections = [Section("Runs", [runs_table(runs)])]
    for stage in sorted({r.stage for r in runs}, key=stage_key):
        parts: list = [
            *overall_tables(runs, stage),
            mean_table(runs, stage),
            *overall_tables(runs, stage, "holdout"),
            *keypoint_tables(runs, stage),
            interval_table(runs, stage),
        ]
        file = f"figure1_{stage}.png"
        notes = figure1(runs, stage, out / file)
        caption = (
            f"{stage_title(stage)}: training loss, validation loss and validation PCK@0.05 per epoch for "
            "every run; dashed: the identity's validation PCK@0.05; dots: the last epoch before a "
            "learning-rate reduction."
        )
        parts.append(Figure(f"figure1_{stage}", file, caption, notes))
        sections.append(Section(stage_title(stage), [p for p in parts if p is not None]))
    sections.append(Section("Model size and speed", [speed_table(runs, repeats=speed_repeats)]))
    return Document("tempose report", _intro(runs), sections)


def make_report(run_dirs: list[str | Path], out: str | Path, overwrite: bool = False, speed_repeats: int = 20) -> Path:
    """Write ``report.md``, ``report.html``, PNG figures, one CSV per table, ``curves.csv`` and
    ``report.json`` into ``out`` (atomically: all files appear at once). Returns ``out``."""
    if not run_dirs:
        raise InputError("give at least one run folder")
    out = Path(out)
    check_out_dir(out, overwrite)  # fail before reading runs or timing models
    runs = load_runs(run_dirs)
    with staged_dir(out, overwrite) as tmp:
        doc = build_document(runs, tmp, speed_repeats)
        for table in doc.tables():
            write_table_csv(table, tmp / f"{table.id}.csv")
        write_curves_csv(runs, tmp / "curves.csv")
        extra = {"tempose_version": version("tempose"), "machine": machine_description()}
        write_json(doc, runs, extra, tmp / "report.json")
        (tmp / "report.md").write_text(render_markdown(doc))
        (tmp / "report.html").write_text(render_html(doc))
    return out
