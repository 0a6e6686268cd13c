"""`tempose list`: what the registries hold (models and filters, decoders, keypoint sets, experiments)
and the pretrained checkpoints shipped in the package."""

from __future__ import annotations

import argparse

WHAT = ("models", "decoders", "keypoint-sets", "experiments", "weights")


def register(subparsers) -> None:
    p = subparsers.add_parser("list", help="list models/filters, decoders, keypoint sets, experiments, shipped weights")
    p.add_argument("what", nargs="?", choices=WHAT, help="one registry (default: all)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tempose.data.samples import EXPERIMENTS
    from tempose.heatmaps import DECODERS
    from tempose.keypoints import KEYPOINT_SETS
    from tempose.models import MODELS
    from tempose.training.checkpoint import read_checkpoint, shipped_weights

    def models() -> list[str]:
        rows = []
        for name in MODELS.available():
            factory = MODELS.get(name)
            doc = (factory.__doc__ or "").strip().splitlines()
            rows.append(f"{name:<20} {doc[0] if doc else ''}")
        return rows

    def weights() -> list[str]:
        rows = []
        for name, path in sorted(shipped_weights().items()):
            meta = read_checkpoint(path)["tempose"]
            rows.append(f"{name:<26} {meta['model_name']}, window {meta['window']}, {meta.get('trained_on', '')}")
        return rows

    sections = {
        "models": models,
        "decoders": lambda: sorted(DECODERS),
        "keypoint-sets": lambda: [f"{k:<14} {len(v)} keypoints" for k, v in KEYPOINT_SETS.items()],
        "experiments": lambda: [f"{k}  s={e.noise_scale:g} sigma_in={e.sigma_in} frame_step={e.frame_step}"
                                for k, e in EXPERIMENTS.items()],
        "weights": weights,
    }  # fmt: skip
    for what in [args.what] if args.what else WHAT:
        print(f"{what}:")
        for line in sections[what]():
            print(f"  {line}")
    return 0
