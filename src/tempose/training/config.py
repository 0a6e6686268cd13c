"""Typed training configuration (thesis defaults, spec §7); YAML files in ``configs/`` override it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

STAGES = ("pretrain", "finetune")


@dataclass(frozen=True)
class ModelConfig:
    """A registered refiner and its hyperparameters (K, T, H×W come from the data)."""

    name: str = "conv3d"
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DataConfig:
    """Where windows come from and how they are split."""

    stores: list[str] = field(default_factory=list)
    experiment: str = "1.1"  # pretraining noise experiment (spec §5); finetuning uses its frame step only
    window: int = 5
    stride: int = 1
    heatmap_size: tuple[int, int] = (56, 56)  # pretraining grid; finetuning takes the store's
    split: str = "video"  # "video" (no leakage) or "thesis" (spec §4)
    split_seed: int = 0
    noise_seed: int = 0
    resample_noise: bool = False  # fresh pretraining noise every epoch (augmentation; not the thesis)
    limit_windows: int | None = None  # cap the training windows (short CPU runs)
    limit_eval_windows: int | None = None  # cap the validation and test windows (the same for every model)
    num_workers: int = 2


@dataclass(frozen=True)
class OptimConfig:
    """Adam + ReduceLROnPlateau + early stopping, as the thesis."""

    lr: float = 1e-3
    batch_size: int = 16
    max_epochs: int = 50
    lr_factor: float = 0.1
    lr_patience: int = 5
    early_stopping_patience: int = 10
    weight_decay: float = 0.0


@dataclass(frozen=True)
class TrainerConfig:
    """Passed to ``lightning.Trainer``: hardware and distribution."""

    accelerator: str = "auto"
    devices: int | str = "auto"
    strategy: str = "auto"  # "ddp" for several GPUs / nodes (SLURM is detected by Lightning)
    num_nodes: int = 1
    precision: str = "32-true"  # e.g. "16-mixed", "bf16-mixed"


@dataclass(frozen=True)
class TrainConfig:
    """One training run. ``init_checkpoint`` is the pretrained run/checkpoint a finetuning starts from."""

    stage: str = "pretrain"
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    init_checkpoint: str | None = None
    decoder: str = "argmax"
    seed: int = 0

    @property
    def select_metric(self) -> str:
        """The kept checkpoint: best validation PCK@0.2 (pretraining) / PCK@0.05 (finetuning)."""
        return "val/pck@0.2" if self.stage == "pretrain" else "val/pck@0.05"
