"""`tempose infer`: refined keypoints for a video."""

from tempose.cli._stub import add_stub


def register(subparsers) -> None:
    add_stub(subparsers, "infer", "refined keypoints for a video", "the estimator issue")
