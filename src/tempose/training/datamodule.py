"""The LightningDataModule: stores → split plan → window datasets → loaders."""

from __future__ import annotations

from pathlib import Path

import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader, Sampler

from tempose.data.datasets import FinetuneDataset, PretrainDataset
from tempose.data.samples import get_experiment
from tempose.data.splits import SplitPlan, split
from tempose.data.store import Store
from tempose.errors import InputError
from tempose.training.config import TrainConfig


class EpochShuffle(Sampler[int]):
    """A permutation that depends only on (seed, epoch), so a resumed run sees the same order.

    Lightning calls ``set_epoch`` before every epoch's loader iterator is made (and wraps the
    sampler for DDP); the dataset's own ``set_epoch`` (fresh pretraining noise, if enabled) is
    called from here, so worker copies made for that epoch see it.
    """

    def __init__(self, length: int, seed: int, dataset=None) -> None:
        self.length = length
        self.seed = seed
        self.epoch = 0
        self.dataset = dataset

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch
        if hasattr(self.dataset, "set_epoch"):
            self.dataset.set_epoch(epoch)

    def __iter__(self):
        return iter(np.random.default_rng([self.seed, self.epoch]).permutation(self.length).tolist())

    def __len__(self) -> int:
        return self.length


def limit_plan(plan: SplitPlan, train: int | None, evaluation: int | None, seed: int) -> SplitPlan:
    """Keep at most ``train`` training windows and ``evaluation`` windows of every other set,
    chosen evenly (seeded) so short CPU runs still see every part of the data. The caps are
    separate so that runs with different training budgets share the same test windows."""
    sets = {}
    for name, windows in plan.sets.items():
        cap = train if name == "train" else evaluation
        if cap is not None and len(windows) > cap:
            idx = np.sort(np.random.default_rng([seed, len(name)]).choice(len(windows), cap, replace=False))
            windows = windows.select(idx)
        sets[name] = windows
    plan.sets = sets
    return plan


class WindowDataModule(L.LightningDataModule):
    """Owns the stores, the split plan and the datasets of one run.

    ``space`` is the refiner's ``input_space`` ("heatmaps" or "coords"); ``render_targets`` is
    False for a refiner that outputs coordinates (no target maps to render). With ``plan`` given
    (a resumed run or an evaluation), the exact recorded windows are used.
    """

    def __init__(self, config: TrainConfig, space: str, plan: SplitPlan | None = None) -> None:
        super().__init__()
        self.config = config
        self.space = space
        self.render_targets = True
        if not config.data.stores:
            raise InputError("no data: give at least one store (--data STORE)")
        self.stores = [Store(p) for p in config.data.stores]
        if config.stage == "finetune" and len(self.stores) != 1:
            raise InputError("finetuning takes exactly one store of estimator heatmaps")
        self.experiment = get_experiment(config.data.experiment)
        self.plan = plan or self._make_plan()
        self.plan.check(self.stores)

    def _make_plan(self) -> SplitPlan:
        d = self.config.data
        plan = split(self.stores, protocol=d.split, stage=self.config.stage, length=d.window,
                     stride=d.stride, step=self.experiment.frame_step, seed=d.split_seed)  # fmt: skip
        return limit_plan(plan, d.limit_windows, d.limit_eval_windows, d.split_seed)

    @property
    def keypoint_set(self) -> str:
        return "climbalong"

    @property
    def heatmap_size(self) -> tuple[int, int]:
        if self.config.stage == "finetune":
            store = self.stores[0]
            name = store.names[0]
            if not store.has(name, "heatmaps"):
                raise InputError("finetuning needs estimator heatmaps in the store", store.path)
            return tuple(int(v) for v in store.read(name).heatmaps.shape[-2:])
        return tuple(self.config.data.heatmap_size)

    def dataset(self, name: str):
        """The dataset of set ``name`` (train, val, test or holdout)."""
        if name not in self.plan.sets:
            raise InputError(f"the split has no {name!r} set")
        windows = self.plan.sets[name]
        d = self.config.data
        if self.config.stage == "finetune":
            return FinetuneDataset(self.stores[0], windows, space=self.space, render_targets=self.render_targets)
        return PretrainDataset(self.stores, windows, self.experiment, space=self.space,
                               render_targets=self.render_targets, heatmap_size=self.heatmap_size, seed=d.noise_seed,
                               resample_each_epoch=d.resample_noise and name == "train")  # fmt: skip

    def _loader(self, name: str, shuffle: bool) -> DataLoader:
        ds = self.dataset(name)
        workers = self.config.data.num_workers
        sampler = EpochShuffle(len(ds), self.config.seed, ds) if shuffle else None
        return DataLoader(ds, batch_size=self.config.optim.batch_size, sampler=sampler, shuffle=False,
                          num_workers=workers, persistent_workers=False,
                          generator=torch.Generator().manual_seed(self.config.seed))  # fmt: skip

    def train_dataloader(self) -> DataLoader:
        return self._loader("train", shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader("val", shuffle=False)

    def save_plan(self, run_dir: Path) -> None:
        self.plan.save(Path(run_dir) / "split.json")
