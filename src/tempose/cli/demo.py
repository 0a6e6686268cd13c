"""`tempose demo`: the whole system end to end on built-in synthetic climbing data."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "demo",
        help="run the whole system end to end on built-in synthetic data (the README's main job)",
        description="generate synthetic climbers + a simulated estimator → pretrain → finetune → evaluate "
        "models and classical filters against the identity → report. 40 minutes or more on a 2-core CPU; "
        "--quick (3DConv, DeciWatch and tempose_net, briefly) about 10 minutes.",
    )
    p.add_argument("--out", default="tempose-demo", help="output folder (default ./tempose-demo)")
    p.add_argument("--quick", action="store_true", help="the short version (what CI runs)")
    p.add_argument("--overwrite", action="store_true", help="replace an earlier demo in --out")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tempose.demo import format_summary, run_demo

    summary = run_demo(args.out, quick=args.quick, overwrite=args.overwrite)
    print()
    print(format_summary(summary))
    print(f"\nreport: {summary['report']}/report.html (and report.md); summary: {args.out}/demo.json "
          f"({summary['seconds']:.0f} s)")  # fmt: skip
    return 0
