"""`tempose finetune`: finetune a pretrained refiner on estimator heatmaps with annotations."""

from __future__ import annotations

import argparse

from tempose.cli._training import add_training_flags, build_config, run_training


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "finetune",
        help="finetune a pretrained refiner on estimator heatmaps + annotations (ClimbAlong format)",
        description="Finetune from a pretrained run or checkpoint (thesis §7.2: lr 1e-4, kept epoch = best "
        "validation PCK@0.05, epoch 0 included).",
    )
    p.add_argument("--checkpoint", help="pretrained run folder, .ckpt file or shipped name (tempose list weights)")
    p.add_argument("--data", metavar="STORE", help="store with estimator heatmaps and annotations")
    p.add_argument("--experiment", help="1.3/2.3 finetune on half-rate windows; others full rate")
    p.add_argument("--out", help="run folder to create")
    p.add_argument("--resume", action="store_true", help="continue the interrupted run in --out")
    add_training_flags(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    extra = {"init_checkpoint": args.checkpoint, "data.stores": [args.data] if args.data else None,
             "data.experiment": args.experiment}  # fmt: skip
    return run_training(args, build_config(args, "finetune", extra))
