"""`tempose grid`: run the thesis's 24-run grid."""

from tempose.cli._stub import add_stub


def register(subparsers) -> None:
    add_stub(subparsers, "grid", "run the thesis's 24-run grid", "the training issue")
