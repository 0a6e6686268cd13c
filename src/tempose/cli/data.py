"""`tempose data`: convert datasets into a tempose store, inspect stores."""

from tempose.cli._stub import add_stub


def register(subparsers) -> None:
    add_stub(subparsers, "data", "convert datasets into a tempose store, inspect stores", "the data issue")
