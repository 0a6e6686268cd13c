"""How models, stages and experiments are named and ordered in reports (thesis order first)."""

from __future__ import annotations

DISPLAY = {
    "identity": "Identity function",
    "conv3d": "3DConv",
    "deciwatch": "DeciWatch",
    "biconvlstm_sum": "bi-ConvLSTM Model S",
    "biconvlstm_concat": "bi-ConvLSTM Model C",
}
STAGE_TITLES = {"pretrain": "Pretraining", "finetune": "Finetuning"}


def display_name(model: str) -> str:
    """'conv3d' → '3DConv'; unknown (plugin) models keep their registry name."""
    return DISPLAY.get(model, model)


def model_key(model: str) -> tuple[int, str]:
    """Sort key: the thesis's architectures in its order, then any other model by name."""
    order = list(DISPLAY)
    return (order.index(model) if model in order else len(order), model)


def stage_key(stage: str) -> tuple[int, str]:
    order = list(STAGE_TITLES)
    return (order.index(stage) if stage in order else len(order), stage)


def stage_title(stage: str) -> str:
    return STAGE_TITLES.get(stage, stage)


def experiment_key(experiment: str) -> tuple:
    """'1.10' after '1.9': numeric parts compare as numbers."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in experiment.split("."))


def experiment_group(experiment: str) -> str:
    """The shifting scalar ``x`` of experiment ``x.y`` (one table per ``x``, as the thesis)."""
    return experiment.split(".")[0]
