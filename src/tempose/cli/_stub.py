"""Placeholder for commands that a later issue builds: they say so and exit with code 1."""

from __future__ import annotations

import argparse
import sys


def add_stub(subparsers: argparse._SubParsersAction, name: str, help_text: str, issue: str) -> None:
    parser = subparsers.add_parser(name, help=f"{help_text} (not yet available)")
    parser.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)

    def run(_args: argparse.Namespace) -> int:
        print(f"tempose {name}: not yet available (tracked in {issue})", file=sys.stderr)
        return 1

    parser.set_defaults(func=run)
