"""`tempose report RUN_DIR... --out DIR`: the thesis's tables and figures from run folders."""

from __future__ import annotations

import argparse
import sys

from tempose.report import make_report


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report",
        help="tables and figures from runs",
        description="Write report.md and report.html (Tables 1-4, Figure 1, size/speed), one CSV per table, "
        "curves.csv and report.json from run folders (docs/report.md).",
    )
    parser.add_argument("runs", nargs="+", metavar="RUN_DIR", help="run folders (tempose pretrain/finetune --out)")
    parser.add_argument("--out", required=True, help="report folder (created; must be empty unless --overwrite)")
    parser.add_argument("--overwrite", action="store_true", help="replace a non-empty --out folder")
    parser.add_argument(
        "--speed-repeats",
        type=int,
        default=20,
        metavar="N",
        help="timed calls per architecture (batch 1; 0 skips timing; default 20)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    out = make_report(args.runs, args.out, overwrite=args.overwrite, speed_repeats=args.speed_repeats)
    print(f"report written to {out / 'report.md'} and {out / 'report.html'}", file=sys.stderr)
    return 0
