"""`tempose evaluate`: evaluate a model or filter with PCK and acceleration error."""

from tempose.cli._stub import add_stub


def register(subparsers) -> None:
    add_stub(subparsers, "evaluate", "evaluate a model or filter with PCK and acceleration error", "the evaluation issue")
