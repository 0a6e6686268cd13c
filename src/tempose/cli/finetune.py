"""`tempose finetune`: finetune a pretrained model on estimator heatmaps + annotations."""

from tempose.cli._stub import add_stub


def register(subparsers) -> None:
    add_stub(subparsers, "finetune", "finetune a pretrained model on estimator heatmaps + annotations", "the training issue")
