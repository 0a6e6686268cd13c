"""The LightningModule that trains any registered refiner (heatmap or coordinate space)."""

from __future__ import annotations

from typing import Any

import lightning as L
import numpy as np
import torch

from tempose.evaluation import input_keypoints
from tempose.heatmaps import decode
from tempose.keypoints import get_keypoint_set
from tempose.metrics import DEFAULT_ALPHAS, PCKCounts, pck
from tempose.models import build_model, output_space


def masked_mse(pred: torch.Tensor, target: torch.Tensor, loss_mask: torch.Tensor) -> torch.Tensor:
    """MSE over all elements where channels outside ``loss_mask`` (B, K) contribute zero error but
    still count in the denominator — exactly the thesis's "target := detached prediction" trick."""
    mask = loss_mask.to(pred.dtype).view(loss_mask.shape[0], 1, loss_mask.shape[1], *([1] * (pred.dim() - 3)))
    return ((pred - target) ** 2 * mask).sum() / pred.numel()


class RefinerModule(L.LightningModule):
    """Wraps a refiner with the thesis's loss, optimiser, schedule and validation PCK.

    Logged keys: ``train/loss``, ``val/loss``, ``val/pck@α`` (model) and ``val/identity_pck@α``
    (the raw input on the same windows), α ∈ {0.05, 0.1, 0.2}.
    """

    def __init__(
        self,
        model_name: str,
        model_params: dict[str, Any] | None = None,
        num_keypoints: int = 25,
        window: int = 5,
        heatmap_size: tuple[int, int] = (56, 56),
        keypoint_set: str = "climbalong",
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        lr_factor: float = 0.1,
        lr_patience: int = 5,
        decoder: str = "argmax",
        seed: int = 0,
        stage: str = "pretrain",
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.model = build_model(
            model_name,
            num_keypoints=num_keypoints,
            window=window,
            heatmap_size=tuple(heatmap_size),
            **(model_params or {}),
        )
        self.keypoint_set = get_keypoint_set(keypoint_set)
        self._val_counts = self._empty_counts()

    # ----------------------------------------------------------------------------------------
    def _empty_counts(self) -> dict[str, PCKCounts]:
        k = self.hparams.num_keypoints
        return {"model": PCKCounts.empty(k), "identity": PCKCounts.empty(k), "loss_sum": 0.0, "batches": 0}

    def forward(self, x: torch.Tensor, valid: torch.Tensor | None = None) -> torch.Tensor:
        if self.model.input_space == "coords":
            return self.model(x, valid)
        return self.model(x)

    def keypoints(self, output: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Model output → (B, T, K, 2) keypoints and a found mask."""
        if output_space(self.model) == "coords":
            return output, torch.isfinite(output).all(-1)
        return decode(output.float(), self.hparams.decoder)

    def loss(self, output: torch.Tensor, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """The refiner's own ``loss(output, batch)`` if it defines one, else the thesis's masked MSE."""
        if hasattr(self.model, "loss"):
            return self.model.loss(output, batch)
        return masked_mse(output, batch["target"], batch["loss_mask"])

    def identity_keypoints(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        return input_keypoints(batch["input"], batch["input_valid"])

    def batch_pck(self, pred: torch.Tensor, found: torch.Tensor, batch: dict[str, torch.Tensor]) -> PCKCounts:
        evaluated = batch["visible"] & batch["loss_mask"][:, None, :]
        return pck(pred, batch["target_xy"], evaluated, DEFAULT_ALPHAS, self.keypoint_set, pred_valid=found)

    # ----------------------------------------------------------------------------------------
    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        out = self(batch["input"], batch.get("input_valid"))
        loss = self.loss(out, batch)
        self.log("train/loss", loss, on_step=False, on_epoch=True, batch_size=out.shape[0], sync_dist=True)
        return loss

    def on_validation_epoch_start(self) -> None:
        self._val_counts = self._empty_counts()

    def validation_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        out = self(batch["input"], batch.get("input_valid"))
        loss = self.loss(out, batch)
        self.log("val/loss", loss, on_step=False, on_epoch=True, batch_size=out.shape[0], sync_dist=True)
        self.accumulate(out, batch, self._val_counts)

    def accumulate(self, out: torch.Tensor, batch: dict[str, torch.Tensor], acc: dict[str, Any]) -> None:
        acc["model"] = acc["model"] + self.batch_pck(*self.keypoints(out), batch)
        acc["identity"] = acc["identity"] + self.batch_pck(*self.identity_keypoints(batch), batch)

    def on_validation_epoch_end(self) -> None:
        for key, prefix in (("model", "val/pck"), ("identity", "val/identity_pck")):
            counts = self._val_counts[key]
            hits = torch.tensor(counts.hits.sum(axis=1), dtype=torch.float64, device=self.device)
            total = torch.tensor(float(counts.counts.sum()), dtype=torch.float64, device=self.device)
            hits = self.trainer.strategy.reduce(hits, reduce_op="sum")  # pooled over DDP processes
            total = self.trainer.strategy.reduce(total, reduce_op="sum")
            values = (hits / total.clamp_min(1)).cpu().numpy() if total > 0 else np.full(len(hits), np.nan)
            for alpha, value in zip(counts.alphas, values, strict=True):
                self.log(f"{prefix}@{alpha:g}", float(value))

    @torch.no_grad()
    def evaluate_loader(self, loader) -> dict[str, float]:
        """Validation metrics of the current weights without a Trainer loop (the thesis's epoch 0)."""
        was_training = self.training
        self.eval()
        acc = self._empty_counts()
        loss_sum, n = 0.0, 0
        for batch in loader:
            batch = {k: v.to(self.device) if torch.is_tensor(v) else v for k, v in batch.items()}
            out = self(batch["input"], batch.get("input_valid"))
            loss_sum += float(self.loss(out, batch)) * out.shape[0]
            n += out.shape[0]
            self.accumulate(out, batch, acc)
        self.train(was_training)
        metrics = {"val/loss": loss_sum / max(n, 1)}
        for key, prefix in (("model", "val/pck"), ("identity", "val/identity_pck")):
            for alpha, value in zip(acc[key].alphas, acc[key].pck, strict=True):
                metrics[f"{prefix}@{alpha:g}"] = float(value)
        return metrics

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint["tempose"] = checkpoint_meta(self)

    # ----------------------------------------------------------------------------------------
    def on_train_epoch_start(self) -> None:
        # Each epoch's randomness (dropout) depends only on (seed, epoch): a resumed run replays an
        # interrupted epoch exactly.
        torch.manual_seed(self.hparams.seed * 100_003 + self.current_epoch)

    def configure_optimizers(self):
        # a refiner may give parts of itself their own learning rate (``parameter_groups(lr)``)
        lr = self.hparams.lr
        has_groups = hasattr(self.model, "parameter_groups")
        groups = self.model.parameter_groups(lr) if has_groups else [(self.parameters(), lr)]
        groups = [{"params": ps, "lr": rate} for ps, rate in
                  (([q for q in params if q.requires_grad], rate) for params, rate in groups) if ps]  # fmt: skip
        if not groups:
            return None
        optimizer = torch.optim.Adam(groups, lr=lr, weight_decay=self.hparams.weight_decay, foreach=True)
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer, mode="min", factor=self.hparams.lr_factor, patience=self.hparams.lr_patience
        )
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "monitor": "val/loss", "interval": "epoch"},
        }


def checkpoint_meta(module: RefinerModule) -> dict[str, Any]:
    """The ``"tempose"`` entry of a checkpoint (see :mod:`tempose.training.checkpoint`)."""
    hp = module.hparams
    return {
        "model_name": hp.model_name,
        "model_params": dict(hp.model_params or {}),
        "num_keypoints": int(hp.num_keypoints),
        "window": int(hp.window),
        "heatmap_size": [int(v) for v in hp.heatmap_size],
        "keypoint_set": hp.keypoint_set,
        "decoder": hp.decoder,
        "stage": hp.stage,
        "version": 1,
    }
