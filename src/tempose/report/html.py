"""Render a :class:`Document` as one HTML page: inline CSS, no scripts, PNGs referenced beside it."""

from __future__ import annotations

from html import escape

from tempose.report.document import Document, Figure
from tempose.report.tables import Table

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto; max-width: 1400px;
       padding: 0 1em; color: #222; line-height: 1.4; }
h1 { font-size: 1.6em; } h2 { border-bottom: 2px solid #ccc; padding-bottom: .2em; margin-top: 2em; }
.intro p { margin: .2em 0; }
.table-wrap { overflow-x: auto; margin: 1.2em 0 .3em; }
table { border-collapse: collapse; font-size: .85em; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; padding: .3em 0; }
th, td { border: 1px solid #bbb; padding: .25em .55em; }
th { background: #eef1f5; } td { text-align: right; }
td.label, th.label, td.text { text-align: left; white-space: nowrap; }
td strong { color: #000; } tr:nth-child(even) td { background: #fafafa; }
ul.notes { font-size: .8em; color: #555; margin: .2em 0 1em; }
figure { margin: 1.5em 0; } figure img { max-width: 100%; border: 1px solid #ddd; }
figcaption { font-size: .9em; color: #444; }
"""


def _notes(notes: list[str]) -> str:
    if not notes:
        return ""
    return '<ul class="notes">' + "".join(f"<li>{escape(n)}</li>" for n in notes) + "</ul>"


def table_html(table: Table) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in table.columns)
    body = []
    for row, cells in zip(table.rows, table.cells(), strict=True):
        tds = []
        for j, (text, bold) in enumerate(cells):
            cls = ' class="text"' if table.kind(row, j) == "text" else ""
            tds.append(
                f"<td{cls}><strong>{escape(text)}</strong></td>" if bold and text else f"<td{cls}>{escape(text)}</td>"
            )
        body.append(f'<tr><td class="label">{escape(row.label)}</td>{"".join(tds)}</tr>')
    return (
        f'<div class="table-wrap"><table id="{escape(table.id)}"><caption>{escape(table.title)}</caption>'
        f'<thead><tr><th class="label">{escape(table.header)}</th>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>{_notes(table.notes)}"
    )


def figure_html(figure: Figure) -> str:
    return (
        f'<figure id="{escape(figure.id)}"><img src="{escape(figure.file)}" alt="{escape(figure.caption)}">'
        f"<figcaption>{escape(figure.caption)}</figcaption></figure>{_notes(figure.notes)}"
    )


def render_html(doc: Document) -> str:
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(doc.title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{escape(doc.title)}</h1>",
        '<div class="intro">',
        *[f"<p>{escape(line)}</p>" for line in doc.intro],
        "</div>",
    ]
    for section in doc.sections:
        parts.append(f"<h2>{escape(section.title)}</h2>")
        parts += [table_html(p) if isinstance(p, Table) else figure_html(p) for p in section.parts]
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
