"""Render a :class:`Document` as Markdown (GitHub pipe tables; bold = ``**…**``)."""

from __future__ import annotations

from tempose.report.document import Document, Figure
from tempose.report.tables import Table


def _cell(text: str, bold: bool = False) -> str:
    text = text.replace("|", "\\|")
    return f"**{text}**" if bold and text else text


def table_markdown(table: Table) -> str:
    """The table, preceded by a ``<!-- table: id -->`` marker (tools and tests find it by id)."""
    lines = [f"<!-- table: {table.id} -->", f"**{table.title}**", ""]
    lines.append("| " + " | ".join(_cell(c) for c in [table.header, *table.columns]) + " |")
    lines.append("|" + "---|" * (len(table.columns) + 1))
    for row, cells in zip(table.rows, table.cells(), strict=True):
        lines.append("| " + " | ".join([_cell(row.label), *(_cell(t, b) for t, b in cells)]) + " |")
    lines += [""] + [f"- {note}" for note in table.notes]
    return "\n".join(lines) + "\n"


def figure_markdown(figure: Figure) -> str:
    lines = [f"![{figure.caption}]({figure.file})", "", f"*{figure.caption}*"]
    if figure.notes:
        lines += ["", *[f"- {note}" for note in figure.notes]]
    return "\n".join(lines) + "\n"


def render_markdown(doc: Document) -> str:
    parts = [f"# {doc.title}", "", *[f"{line}  " for line in doc.intro], ""]
    for section in doc.sections:
        parts += [f"## {section.title}", ""]
        for part in section.parts:
            parts.append(table_markdown(part) if isinstance(part, Table) else figure_markdown(part))
    return "\n".join(parts)
