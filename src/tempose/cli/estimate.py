"""`tempose estimate`: run a frame-wise estimator over videos into a store."""

from tempose.cli._stub import add_stub


def register(subparsers) -> None:
    add_stub(subparsers, "estimate", "run a frame-wise estimator over videos into a store", "the estimator issue")
