"""Shared flags of the training commands (pretrain, finetune, grid) and config assembly:
thesis defaults ← stage defaults ← ``--config`` YAML ← ``--set key=value`` ← explicit flags."""

from __future__ import annotations

import argparse
import sys

import yaml

from tempose.config import from_dict, merge, read_yaml, to_dict
from tempose.training.config import TrainConfig

STAGE_DEFAULTS = {"pretrain": {"optim.lr": 1e-3}, "finetune": {"optim.lr": 1e-4}}


def add_training_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="YAML file with TrainConfig fields (see configs/)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override a config field, e.g. --set optim.batch_size=32 (repeatable)")
    parser.add_argument("--max-epochs", type=int, help="at most this many epochs (thesis: 50)")
    parser.add_argument("--limit-windows", type=int, help="train on at most N windows (short CPU runs)")
    parser.add_argument("--limit-eval-windows", type=int, help="validate and test on at most N windows each")
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--lr", type=float)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--split", choices=["video", "thesis"], help="split protocol (default video)")
    parser.add_argument("--num-workers", type=int, help="data-loader workers (default 2)")
    parser.add_argument("--accelerator", help="cpu, gpu, auto (default)")
    parser.add_argument("--devices", help="number of devices or 'auto'")
    parser.add_argument("--strategy", help="e.g. ddp for several GPUs or nodes")
    parser.add_argument("--num-nodes", type=int)
    parser.add_argument("--precision", help="e.g. 32-true (default), 16-mixed, bf16-mixed")
    parser.add_argument("--print-config", action="store_true", help="print the resolved config and exit")


def build_config(args: argparse.Namespace, stage: str, extra: dict | None = None) -> TrainConfig:
    data = merge({"stage": stage}, STAGE_DEFAULTS[stage])
    if args.config:
        data = merge(data, _flatten(read_yaml(args.config)))
    data = merge(data, args.overrides)
    devices = args.devices
    if devices is not None and devices.isdigit():
        devices = int(devices)
    flags = {
        "optim.max_epochs": args.max_epochs, "data.limit_windows": args.limit_windows,
        "data.limit_eval_windows": args.limit_eval_windows,
        "optim.batch_size": args.batch_size, "optim.lr": args.lr, "seed": args.seed, "data.split": args.split,
        "data.num_workers": args.num_workers, "trainer.accelerator": args.accelerator, "trainer.devices": devices,
        "trainer.strategy": args.strategy, "trainer.num_nodes": args.num_nodes, "trainer.precision": args.precision,
        **(extra or {}),
    }  # fmt: skip
    data = merge(data, flags)
    data["stage"] = stage
    return from_dict(TrainConfig, data, where=args.config or "config")


def _flatten(tree: dict, prefix: str = "") -> dict:
    """Nested mapping → dotted keys (so YAML sections merge field by field)."""
    out = {}
    for key, value in tree.items():
        if isinstance(value, dict) and key != "params":
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def run_training(args: argparse.Namespace, config: TrainConfig) -> int:
    """Print the config (``--print-config``) or train into ``--out`` (``--resume`` continues it)."""
    from tempose.errors import InputError
    from tempose.training.run import train

    if args.print_config:
        sys.stdout.write(yaml.safe_dump(to_dict(config), sort_keys=False))
        return 0
    if not args.out:
        raise InputError("--out RUN is required")
    print(f"run written to {train(config, args.out, resume=args.resume)}")
    return 0
