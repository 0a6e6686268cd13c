"""`tempose evaluate`: PCK (with intervals), per-keypoint PCK and acceleration error of a trained
model or a classical filter, beside the identity, on a store's windows."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "evaluate",
        help="evaluate a checkpoint or a filter with PCK@0.05/0.1/0.2 and acceleration error",
        description="Evaluate a trained run/checkpoint (--checkpoint) or a registered model/filter by name "
        "(--model) on a store. With a run and --split test, the run's own test set is rebuilt from its split.json.",
    )
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--checkpoint", help="run folder, .ckpt file or shipped name (tempose list weights)")
    src.add_argument("--model", help="registered model or filter by name, e.g. identity, savgol, kalman")
    p.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                   help="hyperparameter of a --model filter, e.g. --param window_length=9 (repeatable)")
    p.add_argument("--data", nargs="+", metavar="STORE", help="store(s); default: the run's stores")
    p.add_argument("--split", default="test", choices=["train", "val", "test", "holdout", "all"])
    p.add_argument("--split-from", metavar="RUN", help="take the windows from this run's split.json (e.g. for filters)")
    p.add_argument("--split-protocol", choices=["video", "thesis"], help="without a run (default video)")
    p.add_argument("--split-seed", type=int, help="without a run (default 0)")
    p.add_argument("--experiment", help="noise experiment for keypoint-only stores (default: the run's, or 1.1)")
    p.add_argument("--seed", type=int, help="noise seed for keypoint-only stores (default: the run's, or 0)")
    p.add_argument("--window", type=int, help="window length for --model (default 5)")
    p.add_argument("--decoder", default="argmax", choices=["argmax", "subpixel", "soft_argmax"])
    p.add_argument("--normalizer", default="torso", choices=["torso", "bbox"])
    p.add_argument("--limit-windows", type=int, help="evaluate at most N windows (seeded, evenly spread)")
    p.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples (default 1000)")
    p.add_argument("--json", help="write the full result here")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tempose.config import merge
    from tempose.evaluation import evaluate_on_store, format_table
    from tempose.files import write_json

    params = merge({}, args.param) if args.param else {}
    result = evaluate_on_store(
        checkpoint=args.checkpoint, model_name=args.model, model_params=params, stores=args.data,
        split=args.split, split_protocol=args.split_protocol, split_seed=args.split_seed,
        experiment=args.experiment, noise_seed=args.seed, window=args.window, decoder=args.decoder,
        normalizer=args.normalizer, limit_windows=args.limit_windows, n_boot=args.bootstrap,
        split_from=args.split_from,
    )  # fmt: skip
    print(format_table(result))
    if args.json:
        print(f"written {write_json(args.json, result)}")
    return 0


