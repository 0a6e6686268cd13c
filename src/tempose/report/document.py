"""The report as data: titled sections of tables and figures, rendered by the Markdown and HTML
writers and exported whole as JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tempose.report.tables import Table


@dataclass
class Figure:
    """A PNG next to the report (``file`` is relative to the report folder)."""

    id: str
    file: str
    caption: str
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "file": self.file, "caption": self.caption, "notes": self.notes}


@dataclass
class Section:
    title: str
    parts: list[Table | Figure]


@dataclass
class Document:
    title: str
    intro: list[str]
    sections: list[Section]

    def tables(self) -> list[Table]:
        return [p for s in self.sections for p in s.parts if isinstance(p, Table)]

    def figures(self) -> list[Figure]:
        return [p for s in self.sections for p in s.parts if isinstance(p, Figure)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "intro": self.intro,
            "sections": [{"title": s.title, "parts": [p.id for p in s.parts]} for s in self.sections],
            "tables": {t.id: t.to_dict() for t in self.tables()},
            "figures": {f.id: f.to_dict() for f in self.figures()},
        }
