"""`tempose list`: what the registries hold (models and filters, decoders, keypoint sets, experiments)."""

from __future__ import annotations

import argparse

WHAT = ("models", "decoders", "keypoint-sets", "experiments")


def register(subparsers) -> None:
    p = subparsers.add_parser("list", help="list registered models/filters, decoders, keypoint sets, experiments")
    p.add_argument("what", nargs="?", choices=WHAT, help="one registry (default: all)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tempose.data.samples import EXPERIMENTS
    from tempose.heatmaps import DECODERS
    from tempose.keypoints import KEYPOINT_SETS
    from tempose.models import MODELS

    def models() -> list[str]:
        rows = []
        for name in MODELS.available():
            factory = MODELS.get(name)
            doc = (factory.__doc__ or "").strip().splitlines()
            rows.append(f"{name:<20} {doc[0] if doc else ''}")
        return rows

    sections = {
        "models": models,
        "decoders": lambda: sorted(DECODERS),
        "keypoint-sets": lambda: [f"{k:<14} {len(v)} keypoints" for k, v in KEYPOINT_SETS.items()],
        "experiments": lambda: [f"{k}  s={e.noise_scale:g} sigma_in={e.sigma_in} frame_step={e.frame_step}"
                                for k, e in EXPERIMENTS.items()],
    }  # fmt: skip
    for what in [args.what] if args.what else WHAT:
        print(f"{what}:")
        for line in sections[what]():
            print(f"  {line}")
    return 0
