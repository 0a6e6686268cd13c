"""`tempose pretrain`: train a refiner on keypoint stores with simulated estimator errors."""

from __future__ import annotations

import argparse

from tempose.cli._training import add_training_flags, build_config, run_training


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "pretrain",
        help="pretrain a refiner on keypoint data with simulated estimator errors (thesis §3)",
        description="Pretrain a refiner. Thesis defaults (spec §7); every field can come from --config YAML.",
    )
    p.add_argument("--model", help="registered model name (tempose list models), e.g. conv3d")
    p.add_argument("--experiment", help="noise experiment 1.1, 1.2, 1.3, 2.1, 2.2 or 2.3 (default 1.1)")
    p.add_argument("--data", nargs="+", metavar="STORE", help="one or more keypoint stores")
    p.add_argument("--out", help="run folder to create")
    p.add_argument("--resume", action="store_true", help="continue the interrupted run in --out")
    add_training_flags(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    extra = {"model.name": args.model, "data.experiment": args.experiment, "data.stores": args.data}
    return run_training(args, build_config(args, "pretrain", extra))
