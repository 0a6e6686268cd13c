"""`tempose estimators`: list the registered frame-wise estimators (built in and plugins)."""

from __future__ import annotations

import argparse
import inspect

from tempose.estimators import ESTIMATORS


def describe(name: str) -> str:
    """First line of the estimator factory's docstring."""
    doc = inspect.getdoc(ESTIMATORS.get(name)) or ""
    return doc.splitlines()[0] if doc else ""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("estimators", help="list the registered frame-wise estimators",
                                   description="List the estimators `--estimator` accepts, plugins included.")
    parser.set_defaults(func=run)


def run(_args: argparse.Namespace) -> int:
    names = ESTIMATORS.available()
    width = max(map(len, names))
    for name in names:
        print(f"{name:<{width}}  {describe(name)}")
    return 0
