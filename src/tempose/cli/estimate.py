"""`tempose estimate`: run a frame-wise estimator over videos into a store (resumable per video)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tqdm import tqdm

from tempose.cli._estimator_options import EstimatorFactory, add_estimator_arguments
from tempose.errors import InputError
from tempose.estimators import shards
from tempose.estimators.runner import run_video
from tempose.video import video_info


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "estimate",
        help="run a frame-wise estimator over videos into a store",
        description="Run an estimator over every frame of each video and store heatmaps, their "
        "heatmap→image affine, person scores and a per-frame `detected` flag. Finished videos are "
        "kept in STORE.parts/ until all are done, so an interrupted run resumes where it stopped.",
    )
    parser.add_argument("videos", nargs="+", type=Path, metavar="VIDEO")
    parser.add_argument("--out", type=Path, required=True, metavar="STORE", help="output store (.h5)")
    parser.add_argument("--overwrite", action="store_true",
                        help="start over: replace STORE (when done) instead of resuming")  # fmt: skip
    parser.add_argument("--max-frames", type=int, help="only the first N frames of each video (quick checks)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    add_estimator_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    names = [v.stem for v in args.videos]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InputError(f"several videos share the name(s) {', '.join(duplicates)} (file stem)")
    factory = EstimatorFactory(args)
    if args.overwrite:
        shards.clear(args.out)
    done = set() if args.overwrite else set(shards.stored_videos(args.out, factory.name))
    for video, name in zip(args.videos, names, strict=True):
        if name in done or shards.has_shard(args.out, name, factory.name):
            print(f"{name}: already estimated, skipped", file=sys.stderr)
            continue
        estimator = factory(video)
        total = video_info(video).num_frames
        total = min(total, args.max_frames) if args.max_frames else total
        with tqdm(total=total or None, unit="frame", desc=name, disable=args.quiet, leave=False) as bar:
            result = run_video(estimator, video, name, args.max_frames, bar.update)
        shards.write_shard(args.out, result, factory.name, estimator.keypoint_set, side=factory.side(video))
        found = int(result.detected.sum())
        rate = result.num_frames / result.seconds if result.seconds > 0 else float("nan")
        print(f"{name}: {result.num_frames} frames, person in {found} ({100 * found / result.num_frames:.0f}%), "
              f"{rate:.1f} frames/s", file=sys.stderr)  # fmt: skip
        if found == 0:
            print(f"{name}: warning: no person found in any frame (wrong --side?)", file=sys.stderr)
    shards.assemble(args.out, names, factory.name, keep_existing=not args.overwrite)
    print(f"wrote {args.out} ({len(shards.stored_videos(args.out, factory.name))} video(s))", file=sys.stderr)
    return 0
