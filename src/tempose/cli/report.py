"""`tempose report`: tables and figures from runs."""

from tempose.cli._stub import add_stub


def register(subparsers) -> None:
    add_stub(subparsers, "report", "tables and figures from runs", "the evaluation issue")
