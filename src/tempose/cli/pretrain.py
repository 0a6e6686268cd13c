"""`tempose pretrain`: pretrain a temporal model on keypoint data with simulated estimator errors."""

from tempose.cli._stub import add_stub


def register(subparsers) -> None:
    add_stub(subparsers, "pretrain", "pretrain a temporal model on keypoint data with simulated estimator errors", "the training issue")
