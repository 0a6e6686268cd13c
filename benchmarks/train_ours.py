"""Pretrain TemposeNet (``tempose_net`` / ``tempose_net_causal``) fast on a CPU, into a normal run folder.

Past its map front end (the identity until finetuning on real estimator maps teaches it), TemposeNet
reads five numbers per heatmap (:func:`tempose.models.tempose_net.heatmap_features`). For
synthetic pretraining noise this script computes those features straight from the noisy points
(:func:`~tempose.models.tempose_net.rendered_features`) once per epoch and trains on random
windows of them — hundreds of times faster than rendering every window, with the same inputs (the
model computes the same features from the same heatmaps at test time); the front end stays the
identity. The result is an ordinary run folder (``config.yaml``, ``split.json``, ``metrics.csv``,
``best.ckpt``, ``best.json``, ``test.json``) that ``tempose evaluate``, ``tempose finetune`` and
the benchmarks read. Finetune with ``tempose finetune`` (it trains the front end on the maps).

    # Penn Action pretraining, experiment 1.1 (the store of benchmarks/penn_action.py --videos all)
    python benchmarks/train_ours.py pretrain --data benchmarks/out/data/penn_thesis3.h5 \\
        --out benchmarks/out/penn_action/all/runs/pretrain_tempose_net_1.1

Schedule: Adam (lr 1e-3), ReduceLROnPlateau on the validation loss
(factor 0.1, patience 5), early stopping after 10 epochs without a better validation loss, at
most ``--epochs`` epochs of ``--steps`` batches; every batch takes windows of one length drawn
from ``--lengths`` (5…17 by default, so the model works on the thesis's 5-frame windows and on
longer ones). Pretraining draws fresh shifts every epoch (a denoiser must not memorise one noise
draw); their features come from the noisy points without rendering a map. The kept checkpoint has the
best mean validation PCK@0.05/0.1/0.2 on whole validation videos (the goal is all three at once;
the thesis kept best PCK@0.2 when pretraining).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
import yaml

from tempose.config import to_dict
from tempose.data.datasets import PretrainDataset
from tempose.data.samples import get_experiment
from tempose.data.splits import split
from tempose.data.store import Store
from tempose.errors import InputError
from tempose.files import atomic_write_text
from tempose.keypoints import CLIMBALONG
from tempose.metrics import DEFAULT_ALPHAS, PCKCounts, pck
from tempose.models.tempose_net import rendered_features
from tempose.training.checkpoint import read_checkpoint
from tempose.training.config import DataConfig, ModelConfig, OptimConfig, TrainConfig, TrainerConfig
from tempose.training.datamodule import WindowDataModule
from tempose.training.module import RefinerModule, checkpoint_meta
from tempose.training.run import write_test_results


def sequence_features(dataset: PretrainDataset, v: int) -> dict[str, torch.Tensor]:
    """Features ``(T, K, ·)`` of every frame of video ``v`` plus its targets, straight from the noisy
    grid points (:func:`rendered_features`, identical to the features of the rendered maps)."""
    s = dataset.noisy_sequence(v)
    xy, found, feats = rendered_features(s["input_xy"], s["sigma"], s["present"], dataset.heatmap_size)
    return {"xy": xy, "found": found, "feats": feats, "target_xy": s["target_xy"], "visible": s["visible"],
            "loss_mask": s["loss_mask"]}  # fmt: skip


def all_features(dataset) -> list[dict[str, torch.Tensor]]:
    return [sequence_features(dataset, v) for v in range(len(dataset.videos))]


def batch_of(seqs: list[dict], rng: np.random.Generator, size: int, length: int) -> dict[str, torch.Tensor]:
    """``size`` random windows of ``length`` frames (videos weighted by their window count)."""
    lengths = np.array([s["xy"].shape[0] for s in seqs])
    usable = np.flatnonzero(lengths >= length)
    weights = (lengths[usable] - length + 1).astype(float)
    vids = rng.choice(usable, size, p=weights / weights.sum())
    out: dict[str, list] = {k: [] for k in ("xy", "found", "feats", "target_xy", "visible", "loss_mask")}
    for v in vids:
        start = int(rng.integers(0, lengths[v] - length + 1))
        for k in out:
            out[k].append(seqs[v][k] if k == "loss_mask" else seqs[v][k][start : start + length])
    return {k: torch.stack(v) for k, v in out.items()}


@torch.no_grad()
def validate(model, seqs: list[dict]) -> dict[str, float]:
    """Loss and PCK of whole validation videos (each run through the model at once)."""
    model.eval()
    counts = PCKCounts.empty(len(CLIMBALONG))
    loss_sum, n = 0.0, 0
    for s in seqs:
        one = {k: v[None] for k, v in s.items()}
        pred = model.refine(one["xy"], one["found"], one["feats"])
        frames = s["xy"].shape[0]
        loss_sum += float(model.loss(pred, one)) * frames
        n += frames
        counts = counts + pck(pred[0], s["target_xy"], s["visible"] & s["loss_mask"][None], DEFAULT_ALPHAS,
                              CLIMBALONG)  # fmt: skip
    model.train()
    return {"val/loss": loss_sum / max(n, 1), **{f"val/pck@{a:g}": float(v) for a, v in zip(DEFAULT_ALPHAS, counts.pck,
                                                                                          strict=True)}}  # fmt: skip


def save_checkpoint(module: RefinerModule, path: Path, epoch: int) -> None:
    """A tempose checkpoint (``load_refiner``/``tempose finetune`` read it), written atomically."""
    _save({"state_dict": module.state_dict(), "tempose": checkpoint_meta(module), "epoch": epoch}, path)


def _save(payload: dict, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    torch.save(payload, tmp)
    tmp.replace(path)


def ship(run: Path, name: str, trained_on: str) -> Path:
    """Copy the run's kept checkpoint into the package (``tempose/weights/NAME.pt``, a name that
    ``load_refiner`` and every ``--checkpoint`` accept) with a note of what it was trained on."""
    ckpt = read_checkpoint(run)
    ckpt["tempose"]["trained_on"] = trained_on
    path = Path(__file__).resolve().parents[1] / "src" / "tempose" / "weights" / f"{name}.pt"
    path.parent.mkdir(exist_ok=True)
    _save({"state_dict": ckpt["state_dict"], "tempose": ckpt["tempose"], "epoch": ckpt.get("epoch")}, path)
    print(f"shipped {path} ({path.stat().st_size / 1e6:.2f} MB)", flush=True)
    return path


def datasets(config: TrainConfig) -> tuple[object, object, object]:
    """Train (fresh noise per epoch), val and the split plan, from the run's video split."""
    d = config.data
    stores = [Store(p) for p in d.stores]
    # every video of a set, whatever its length: the video assignment does not depend on the window
    plan = split(stores, protocol=d.split, stage=config.stage, length=5, stride=1, step=1, seed=d.split_seed)
    exp = get_experiment(d.experiment)
    make = lambda name, resample: PretrainDataset(stores, plan.sets[name], exp, heatmap_size=tuple(d.heatmap_size),  # noqa: E731
                                                  seed=d.noise_seed, resample_each_epoch=resample)  # fmt: skip
    return make("train", True), make("val", False), plan


def train(config: TrainConfig, out: Path, args) -> Path:
    if out.exists() and any(out.iterdir()):
        raise InputError("run folder exists and is not empty; choose another --out", out)
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    train_ds, val_ds, _ = datasets(config)
    t0 = time.perf_counter()
    val = all_features(val_ds)
    train_seqs = all_features(train_ds)
    print(f"features of {len(train_seqs)} train, {len(val)} val videos: {time.perf_counter() - t0:.1f} s", flush=True)

    size = tuple(int(v) for v in config.data.heatmap_size)
    o = config.optim
    module = RefinerModule(config.model.name, dict(config.model.params), num_keypoints=len(CLIMBALONG),
                           window=config.data.window, heatmap_size=size, lr=o.lr, seed=config.seed,
                           stage=config.stage)  # fmt: skip
    model = module.model
    opt = torch.optim.Adam(model.parameters(), lr=o.lr, weight_decay=o.weight_decay)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=o.lr_factor, patience=o.lr_patience)

    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "config.yaml", yaml.safe_dump(to_dict(config), sort_keys=False))
    header = ["epoch", "train_loss", "val_loss", *[f"val_pck@{a:g}" for a in DEFAULT_ALPHAS], "lr", "epoch_seconds"]
    rows: list[list] = []
    best = (-1.0, -1)
    best_loss, stale = float("inf"), 0
    lengths = [int(v) for v in args.lengths.split(",")]
    for epoch in range(o.max_epochs + 1):
        t_epoch = time.perf_counter()
        lr = opt.param_groups[0]["lr"]
        train_loss = float("nan")
        if epoch > 0:
            if config.stage == "pretrain":  # fresh shifts every epoch
                train_ds.set_epoch(epoch)
                train_seqs = all_features(train_ds)
            total = 0.0
            for _ in range(args.steps):
                b = batch_of(train_seqs, rng, o.batch_size, int(rng.choice(lengths)))
                loss = model.loss(model.refine(b["xy"], b["found"], b["feats"]), b)
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += float(loss.detach())
            train_loss = total / args.steps
        m = validate(model, val)
        score = float(np.mean([m[f"val/pck@{a:g}"] for a in DEFAULT_ALPHAS]))
        if score > best[0]:
            best = (score, epoch)
            save_checkpoint(module, out / "best.ckpt", epoch)
        rows.append([epoch, train_loss, m["val/loss"], *[m[f"val/pck@{a:g}"] for a in DEFAULT_ALPHAS], lr,
                     round(time.perf_counter() - t_epoch, 3)])  # fmt: skip
        cells = zip(header, rows[-1], strict=True)
        print(" ".join(f"{h}={v:.4g}" if isinstance(v, float) else f"{h}={v}" for h, v in cells), flush=True)
        buf = io.StringIO()
        csv.writer(buf).writerows([header, *rows])
        atomic_write_text(out / "metrics.csv", buf.getvalue())  # every epoch: a stopped run keeps its curve
        if epoch > 0:
            sched.step(m["val/loss"])
            if m["val/loss"] < best_loss:
                best_loss, stale = m["val/loss"], 0
            else:
                stale += 1
                if stale >= o.early_stopping_patience:
                    break
    save_checkpoint(module, out / "last.ckpt", rows[-1][0])
    atomic_write_text(out / "best.json", json.dumps({"epoch": best[1], "metric": "mean val/pck@0.05,0.1,0.2",
                                                     "value": best[0]}) + "\n")  # fmt: skip
    # test.json with the library's evaluation (windows of the model's length, whole test videos)
    dm = WindowDataModule(replace(config, data=replace(config.data, num_workers=0)), space="heatmaps")
    dm.save_plan(out)
    write_test_results(out, config, dm)
    print(f"wrote {out}", flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stage", choices=["pretrain"], help="pretrain (finetune with `tempose finetune`)")
    parser.add_argument("--data", required=True, help="store of keypoints (synthetic noise is drawn on them)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--model", default="tempose_net", help="tempose_net or tempose_net_causal")
    parser.add_argument("--config", default=str(Path(__file__).resolve().parents[1] / "configs" / "models"
                                                / "tempose_net.yaml"), help="model params YAML")  # fmt: skip
    parser.add_argument("--experiment", default="1.1")
    parser.add_argument("--window", type=int, default=17, help="the model's window (evaluation, inference)")
    parser.add_argument("--lengths", default="5,9,13,17", help="training window lengths, one per batch")
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--steps", type=int, default=200, help="batches per epoch")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--ship", metavar="NAME", help="also copy the kept checkpoint to src/tempose/weights/NAME.pt")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    params = (yaml.safe_load(Path(args.config).read_text()) or {}).get("model", {}).get("params", {})
    lr = args.lr or 1e-3
    config = TrainConfig(
        stage=args.stage,
        model=ModelConfig(args.model, params),
        data=DataConfig(stores=[args.data], experiment=args.experiment, window=args.window, split="video",
                        split_seed=args.seed, noise_seed=args.seed, resample_noise=True, num_workers=0),
        optim=OptimConfig(lr=lr, batch_size=args.batch_size, max_epochs=args.epochs),
        trainer=TrainerConfig(accelerator="cpu"),
        seed=args.seed,
    )  # fmt: skip
    try:
        train(config, args.out, args)
        if args.ship:
            ship(args.out, args.ship, f"{Path(args.data).name}, {args.stage} experiment {args.experiment}, "
                                      f"seed {args.seed} (benchmarks/train_ours.py)")  # fmt: skip
    except InputError as exc:
        print(f"train_ours: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
