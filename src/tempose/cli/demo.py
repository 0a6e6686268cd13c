"""`tempose demo`: run the whole system end to end on built-in synthetic data."""

from tempose.cli._stub import add_stub


def register(subparsers) -> None:
    add_stub(subparsers, "demo", "run the whole system end to end on built-in synthetic data", "the demo issue")
