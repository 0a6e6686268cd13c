"""Callbacks that make a run folder self-describing: the per-epoch table, the best checkpoint,
and the thesis's "epoch 0" validation pass before any training."""

from __future__ import annotations

import csv
import json
import os
import time
from pathlib import Path
from typing import Any

import lightning as L

from tempose.files import atomic_write_text
from tempose.metrics import DEFAULT_ALPHAS

COLUMNS = (
    ["epoch", "train_loss", "val_loss"]
    + [f"val_pck@{a:g}" for a in DEFAULT_ALPHAS]
    + [f"val_identity_pck@{a:g}" for a in DEFAULT_ALPHAS]
    + ["lr", "epoch_seconds"]
)


class RunRecorder(L.Callback):
    """Writes ``metrics.csv`` (one row per epoch, epoch 0 = the model before training),
    ``best.ckpt`` (the epoch with the best ``monitor``, epoch 0 included) and ``best.json``.

    Epochs are numbered as in the thesis: epoch e ≥ 1 is the state after e training epochs.
    The recorder's rows and best score live in the Lightning checkpoint, so ``--resume`` continues
    the same table.
    """

    def __init__(self, run_dir: Path, monitor: str, mode: str = "max") -> None:
        self.run_dir = Path(run_dir)
        self.monitor = monitor
        self.mode = mode
        self.rows: list[dict[str, Any]] = []
        self.best: dict[str, Any] | None = None
        self._epoch_start = 0.0

    # -- state in checkpoints ------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "best": self.best}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.rows = list(state.get("rows", []))
        self.best = state.get("best")

    # -- hooks ---------------------------------------------------------------------------------
    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self.rows:  # resumed run: epoch 0 was recorded before the interruption
            return
        metrics = pl_module.evaluate_loader(trainer.datamodule.val_dataloader())
        self._record(trainer, pl_module, 0, {"train_loss": float("nan"), **metrics}, seconds=0.0)

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._epoch_start = time.perf_counter()

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        m = {k: float(v) for k, v in trainer.callback_metrics.items()}
        metrics = {"train_loss": m.get("train/loss", float("nan"))}
        metrics.update({k: v for k, v in m.items() if k.startswith("val/")})
        self._record(trainer, pl_module, trainer.current_epoch + 1, metrics, time.perf_counter() - self._epoch_start)

    # -- helpers -------------------------------------------------------------------------------
    def _record(self, trainer, pl_module, epoch: int, metrics: dict[str, float], seconds: float) -> None:
        lr = trainer.optimizers[0].param_groups[0]["lr"] if trainer.optimizers else float("nan")
        row = {"epoch": epoch, "train_loss": metrics.get("train_loss", float("nan")),
               "val_loss": metrics.get("val/loss", float("nan")), "lr": lr, "epoch_seconds": round(seconds, 3)}
        for a in DEFAULT_ALPHAS:
            row[f"val_pck@{a:g}"] = metrics.get(f"val/pck@{a:g}", float("nan"))
            row[f"val_identity_pck@{a:g}"] = metrics.get(f"val/identity_pck@{a:g}", float("nan"))
        self.rows.append(row)
        if trainer.is_global_zero:
            self._write_table()
        value = metrics.get(self.monitor, float("nan"))
        better = self.best is None or (
            value > self.best["value"] if self.mode == "max" else value < self.best["value"]
        )
        if value == value and better:  # NaN never wins
            self.best = {"epoch": epoch, "metric": self.monitor, "value": value}
            tmp = self.run_dir / ".best.ckpt.tmp"
            trainer.save_checkpoint(tmp)
            if trainer.is_global_zero:
                os.replace(tmp, self.run_dir / "best.ckpt")
                atomic_write_text(self.run_dir / "best.json", json.dumps(self.best, indent=2) + "\n")

    def _write_table(self) -> None:
        tmp = self.run_dir / ".metrics.csv.tmp"
        with tmp.open("w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=COLUMNS)
            writer.writeheader()
            for row in self.rows:
                writer.writerow({k: row.get(k, "") for k in COLUMNS})
        os.replace(tmp, self.run_dir / "metrics.csv")
