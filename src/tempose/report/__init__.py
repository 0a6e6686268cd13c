"""Reports from run folders: the thesis's Tables 1–4, Figure 1 and a size/speed table.

``make_report(["runs/conv3d_1.1", ...], "report/")`` writes ``report.md`` and ``report.html``
(self-contained apart from the PNG figures beside them), one CSV per table, ``curves.csv`` and
``report.json``. Run folders follow ``docs/evaluation.md``; missing pieces show as "—" with a note.
See ``docs/report.md``.
"""

from tempose.report.build import build_document, make_report
from tempose.report.runs import Run, load_run, load_runs

__all__ = ["Run", "build_document", "load_run", "load_runs", "make_report"]
