"""`tempose synthetic`: generate the built-in synthetic climbing dataset (docs/synthetic.md)."""

from __future__ import annotations

import argparse

import yaml

from tempose.config import to_dict
from tempose.synthetic import generate, load_synthetic_config


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "synthetic",
        help="generate the built-in synthetic climbing dataset",
        description="Generate procedural climbers with a simulated frame-wise estimator: a ClimbAlong-format "
        "finetuning folder (<video>.input.npz / <video>.target.npz) and a keypoint-only pretraining store.",
    )
    parser.add_argument("--out", required=True, help="output folder (created if needed)")
    parser.add_argument("--config", help="YAML overriding any subset of the preset (see configs/synthetic.yaml)")
    parser.add_argument("--seed", type=int, help="overrides the config's seed")
    parser.add_argument("--quick", action="store_true", help="start from the small preset used by the quick demo")
    parser.add_argument("--overwrite", action="store_true", help="replace existing outputs in --out")
    parser.add_argument("--print-config", action="store_true", help="print the resolved config and exit")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = load_synthetic_config(args.config, quick=args.quick, seed=args.seed)
    if args.print_config:
        print(yaml.safe_dump(to_dict(config), sort_keys=False), end="")
        return 0
    data = generate(config, args.out, overwrite=args.overwrite, log=print)
    pck = ", ".join(f"PCK@{a:g} {100 * p:.1f}" for a, p in zip(data.identity.alphas, data.identity.pck, strict=True))
    print(f"identity (simulated estimator): {pck}")
    print(f"summary: {data.summary}")
    return 0
