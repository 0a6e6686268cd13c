"""Pretraining and finetuning runs: one function for both, writing a self-describing run folder
(see docs/evaluation.md): config.yaml, split.json, metrics.csv, best/last checkpoints, test.json."""

from __future__ import annotations

import json
import logging
import warnings
from pathlib import Path
from typing import Any

import lightning as L
import yaml
from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint, TQDMProgressBar
from lightning.pytorch.loggers import CSVLogger

import tempose
from tempose.config import from_dict, to_dict
from tempose.data.splits import SplitPlan
from tempose.errors import InputError
from tempose.evaluation import PCK_POOLING_NOTE, evaluate
from tempose.files import atomic_write_text, write_json
from tempose.models import output_space
from tempose.training.callbacks import RunRecorder
from tempose.training.checkpoint import load_refiner, load_weights, read_checkpoint
from tempose.training.config import STAGES, TrainConfig
from tempose.training.datamodule import WindowDataModule
from tempose.training.module import RefinerModule


def _quiet_lightning() -> None:
    for name in ("lightning.pytorch", "lightning.fabric", "lightning"):
        logging.getLogger(name).setLevel(logging.WARNING)
    for message in (".*does not have many workers.*", ".*GPU available but not used.*", ".*LeafSpec.*",
                    ".*exists and is not empty.*", ".*smaller than the logging interval.*"):
        warnings.filterwarnings("ignore", message=message)


def _adopt_pretrained(config: TrainConfig) -> tuple[TrainConfig, dict[str, Any]]:
    """Read the pretrained checkpoint and adopt its model and window length (before the split is
    made: the finetuning windows must have the length the model was trained and is run with)."""
    if not config.init_checkpoint:
        raise InputError("finetuning needs --checkpoint PRETRAINED_RUN_OR_CKPT")
    ckpt = read_checkpoint(config.init_checkpoint)
    meta = ckpt["tempose"]
    data = to_dict(config)
    data["model"] = {"name": meta["model_name"], "params": dict(meta.get("model_params", {}))}
    data["data"]["window"] = int(meta["window"])
    return from_dict(TrainConfig, data), ckpt


def _check_fits(meta: dict[str, Any], dm: WindowDataModule, checkpoint: str) -> None:
    """The pretrained checkpoint must fit the finetuning data (heatmap size, keypoint set)."""
    size = tuple(meta["heatmap_size"])
    if size != dm.heatmap_size:
        raise InputError(f"checkpoint heatmaps are {size[0]}x{size[1]} but the store's are "
                         f"{dm.heatmap_size[0]}x{dm.heatmap_size[1]}; resample the store or pretrain at that size",
                         checkpoint)  # fmt: skip
    if meta["keypoint_set"] != dm.keypoint_set:
        raise InputError(f"checkpoint keypoint set {meta['keypoint_set']!r} differs from the data's "
                         f"{dm.keypoint_set!r}", checkpoint)  # fmt: skip


def train(config: TrainConfig, out: str | Path, resume: bool = False, progress: bool = True) -> Path:
    """Run one pretraining or finetuning to the end (or resume it) and write its run folder."""
    _quiet_lightning()
    run = Path(out)
    if config.stage not in STAGES:
        raise InputError(f"unknown stage {config.stage!r}; use pretrain or finetune")
    plan = None
    if resume:
        if not (run / "last.ckpt").is_file() or not (run / "config.yaml").is_file():
            raise InputError("nothing to resume (no last.ckpt/config.yaml)", run)
        config = from_dict(TrainConfig, yaml.safe_load((run / "config.yaml").read_text()))
        plan = SplitPlan.load(run / "split.json")
    elif run.exists() and any(run.iterdir()):
        raise InputError("run folder exists and is not empty; use --resume or another --out", run)

    L.seed_everything(config.seed, workers=True, verbose=False)
    init = None
    if config.stage == "finetune" and not resume:
        config, init = _adopt_pretrained(config)
    dm = WindowDataModule(config, space="heatmaps", plan=plan)
    if init is not None:
        _check_fits(init["tempose"], dm, config.init_checkpoint)
    module = RefinerModule(
        config.model.name, dict(config.model.params), num_keypoints=25, window=config.data.window,
        heatmap_size=dm.heatmap_size, keypoint_set=dm.keypoint_set, lr=config.optim.lr,
        weight_decay=config.optim.weight_decay, lr_factor=config.optim.lr_factor,
        lr_patience=config.optim.lr_patience, decoder=config.decoder, seed=config.seed, stage=config.stage,
    )  # fmt: skip
    if not any(p.requires_grad for p in module.model.parameters()):
        raise InputError(f"{config.model.name!r} has nothing to train; evaluate it with "
                         f"`tempose evaluate --model {config.model.name}`")  # fmt: skip
    if init is not None:
        load_weights(module.model, init, config.init_checkpoint)
    dm.space = module.model.input_space
    dm.render_targets = output_space(module.model) == "heatmaps"

    run.mkdir(parents=True, exist_ok=True)
    if not resume:
        atomic_write_text(run / "config.yaml", yaml.safe_dump(to_dict(config), sort_keys=False))
        dm.save_plan(run)

    t = config.trainer
    trainer = L.Trainer(
        max_epochs=config.optim.max_epochs,
        accelerator=t.accelerator, devices=t.devices, strategy=t.strategy, num_nodes=t.num_nodes,
        precision=t.precision,
        deterministic=True,
        num_sanity_val_steps=0,
        logger=CSVLogger(run, name="logs", version=""),
        log_every_n_steps=10,
        enable_model_summary=False,
        enable_progress_bar=progress,
        callbacks=[
            RunRecorder(run, monitor=config.select_metric, mode="max"),
            EarlyStopping("val/loss", patience=config.optim.early_stopping_patience, mode="min", min_delta=0.0),
            # last.ckpt: the latest epoch, overwritten every epoch (for --resume)
            ModelCheckpoint(dirpath=run, filename="last", save_top_k=1, enable_version_counter=False,
                            save_on_train_epoch_end=True),
        ] + ([TQDMProgressBar(refresh_rate=20)] if progress else []),
    )  # fmt: skip
    trainer.fit(module, datamodule=dm, ckpt_path=str(run / "last.ckpt") if resume else None)
    if trainer.is_global_zero:
        write_test_results(run, config, dm)
    return run


# Runs with capped evaluation windows measure the acceleration error on the first frames of each
# test video only (refining whole long videos with a slow model would cost more than the test set).
BUDGETED_ACCEL_FRAMES = 100


def write_test_results(run: Path, config: TrainConfig, dm: WindowDataModule) -> dict[str, Any]:
    """Evaluate ``best.ckpt`` on the test set (and the held-out video, if any) → ``test.json``."""
    model, meta = load_refiner(run)
    best = json.loads((run / "best.json").read_text()) if (run / "best.json").exists() else {}
    result: dict[str, Any] = {
        "tempose_version": tempose.__version__,
        "model": {"name": meta["model_name"], "run": str(run), "checkpoint": meta["checkpoint"],
                  "stage": config.stage, "experiment": config.data.experiment,
                  "parameters": sum(p.numel() for p in model.parameters()), "chosen_epoch": best.get("epoch")},
        "protocol": protocol_block(config, dm.experiment.frame_step, split_name="test"),
    }  # fmt: skip
    for name in ("test", "holdout"):
        if name in dm.plan.sets and len(dm.plan.sets[name]):
            accel_frames = BUDGETED_ACCEL_FRAMES if config.data.limit_eval_windows is not None else None
            result[name] = evaluate(model, dm.dataset(name), window=meta["window"], step=dm.experiment.frame_step,
                                    decoder=config.decoder, seed=config.seed,
                                    accel_max_frames=accel_frames)  # fmt: skip
    write_json(run / "test.json", result)
    return result


def protocol_block(config: TrainConfig, frame_step: int, split_name: str, normalizer: str = "torso") -> dict:
    d = config.data
    return {"stores": list(d.stores), "split": split_name, "split_protocol": d.split, "split_seed": d.split_seed,
            "experiment": d.experiment, "noise_seed": d.noise_seed, "window": d.window, "frame_step": frame_step,
            "decoder": config.decoder, "normalizer": normalizer, "alphas": [0.05, 0.1, 0.2],
            "pck_pooling": PCK_POOLING_NOTE}  # fmt: skip


