"""Read run folders (``docs/evaluation.md``) into :class:`Run` records; missing pieces become notes.

A folder without a readable ``config.yaml`` is not a run folder (an :class:`InputError`). Any other
missing or unreadable file (no ``test.json`` yet, a crashed run with only its config) is recorded in
``Run.notes`` and the report shows "—" for what it would have provided.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tempose.config import read_yaml
from tempose.errors import InputError
from tempose.report.names import experiment_key, model_key, stage_key


@dataclass
class Run:
    """One run folder: what it is (stage, model, experiment) and what it produced so far."""

    path: Path
    stage: str
    model: str
    experiment: str
    config: dict[str, Any]
    curves: list[dict[str, float]] | None = None  # metrics.csv rows (floats; NaN where empty)
    best: dict[str, Any] | None = None  # best.json
    results: dict[str, Any] | None = None  # test.json
    notes: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.path.name

    def block(self, which: str) -> dict[str, Any] | None:
        """``test.json``'s ``"test"`` or ``"holdout"`` block, or None when absent (or not an object)."""
        block = (self.results or {}).get(which)
        return block if isinstance(block, dict) else None


def _float(text: str) -> float:
    try:
        return float(text) if text.strip() else math.nan
    except ValueError:
        return math.nan


def read_curves(path: Path) -> list[dict[str, float]]:
    """``metrics.csv`` as a list of rows of floats (empty cells → NaN); raises OSError/ValueError."""
    with path.open(newline="") as f:
        reader = csv.DictReader(f)
        if not reader.fieldnames or "epoch" not in reader.fieldnames:
            raise ValueError("no 'epoch' column")
        return [{k: _float(v or "") for k, v in row.items() if k is not None} for row in reader]


def _read_json(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text())
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    return data


def load_run(path: str | Path) -> Run:
    """Read one run folder; only a missing/invalid ``config.yaml`` raises :class:`InputError`."""
    path = Path(path)
    if not path.is_dir():
        raise InputError("not a run folder (no such directory)", path)
    config = read_yaml(path / "config.yaml")
    try:
        stage = str(config["stage"])
        model = str(config["model"]["name"])
        experiment = str(config["data"]["experiment"])
    except (KeyError, TypeError):
        raise InputError("config.yaml lacks stage, model.name or data.experiment", path / "config.yaml") from None
    run = Run(path=path, stage=stage, model=model, experiment=experiment, config=config)

    readers = (
        ("metrics.csv", "curves", read_curves),
        ("best.json", "best", _read_json),
        ("test.json", "results", _read_json),
    )
    for filename, attr, reader in readers:
        file = path / filename
        if not file.is_file():
            run.notes.append(f"no {filename}")
            continue
        try:
            setattr(run, attr, reader(file))
        except (OSError, ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError is a ValueError
            run.notes.append(f"unreadable {filename} ({type(exc).__name__}: {str(exc).splitlines()[0]})")
    if run.curves == []:
        run.notes.append("metrics.csv has no epochs yet")
    if run.results is not None and run.block("test") is None:
        run.notes.append("test.json has no 'test' block")
    return run


def load_runs(paths: list[str | Path]) -> list[Run]:
    """Load every folder once (duplicates dropped), in report order: stage, model, experiment, name."""
    unique = {Path(p).resolve(): Path(p) for p in paths}
    runs = [load_run(p) for p in unique.values()]
    return sorted(runs, key=lambda r: (stage_key(r.stage), model_key(r.model), experiment_key(r.experiment), r.name))
