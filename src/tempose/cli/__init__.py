"""The ``tempose`` command: one subcommand per module in this package.

Each module ``tempose/cli/<name>.py`` defines ``register(subparsers)``, which adds its parser(s)
and sets ``func`` (a callable taking the parsed ``argparse.Namespace`` and returning an exit
code). Adding a command is one new file. User errors (:class:`tempose.errors.InputError`) are
printed as one line and exit with code 2.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys

from tempose.errors import InputError
from tempose.registry import RegistryError

# Order in ``tempose --help``; modules not listed here come after, alphabetically.
_ORDER = ["demo", "data", "pretrain", "finetune", "grid", "evaluate", "report", "estimate", "infer", "list"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tempose",
        description="Temporal refinement of 2D pose heatmaps: data, training, evaluation, reports, video.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    names = [m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")]
    for name in sorted(names, key=lambda n: (_ORDER.index(n) if n in _ORDER else len(_ORDER), n)):
        importlib.import_module(f"{__name__}.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (InputError, RegistryError) as exc:
        print(f"tempose: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("tempose: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` & co.: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
