"""`tempose infer`: refined keypoints for a video (JSON, optional CSV and overlay video)."""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

from tqdm import tqdm

from tempose.cli._estimator_options import EstimatorFactory, add_estimator_arguments, parse_options
from tempose.errors import InputError
from tempose.estimators.export import dumps, overlay_frames, tracks_to_csv, tracks_to_dict, write_text
from tempose.estimators.refine import is_filter, refine_video
from tempose.estimators.runner import run_video
from tempose.heatmaps import DECODERS
from tempose.video import video_info, write_video


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "infer",
        help="refined keypoints for a video",
        description="Run an estimator over a video, refine its keypoints over time with a trained "
        "checkpoint or a filter, and write both (image pixels) as JSON, optionally CSV and an overlay video.",
    )
    parser.add_argument("video", type=Path, metavar="VIDEO")
    refiner = parser.add_mutually_exclusive_group(required=True)
    refiner.add_argument("--checkpoint", type=Path, metavar="RUN_OR_CKPT",
                         help="trained refiner: run folder, .ckpt or shipped name (tempose list weights)")
    refiner.add_argument("--model", metavar="NAME", help="registered refiner or filter, e.g. savgol, identity")
    parser.add_argument("--out", type=Path, required=True, metavar="JSON", help="keypoints JSON to write")
    parser.add_argument("--csv", type=Path, nargs="?", const=True, metavar="CSV",
                        help="also write a CSV (default path: the JSON's with .csv)")
    parser.add_argument("--overlay", type=Path, metavar="MP4", help="also write a video with both skeletons")
    parser.add_argument("--online", action="store_true",
                        help="causal: each frame refined from past frames only (latency 0 frames)")
    parser.add_argument("--window", type=int, default=5, help="window for --model refiners (default 5)")
    parser.add_argument("--model-option", action="append", default=[], metavar="KEY=VALUE",
                        help="hyperparameter of the --model refiner, e.g. window_size=11 (repeatable; YAML value)")
    parser.add_argument("--decoder", choices=sorted(DECODERS), default="argmax", help="heatmap decoder")
    parser.add_argument("--resample-heatmaps", action="store_true",
                        help="resample the estimator's heatmaps to the checkpoint's size when they differ")
    parser.add_argument("--max-frames", type=int, help="only the first N frames (quick checks)")
    parser.add_argument("--overwrite", action="store_true", help="replace existing output files")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    add_estimator_arguments(parser)
    parser.set_defaults(func=run)  # fmt: skip


def _outputs(args: argparse.Namespace) -> tuple[Path | None, list[Path]]:
    csv_path = args.out.with_suffix(".csv") if args.csv is True else args.csv
    paths = [p for p in (args.out, csv_path, args.overlay) if p is not None]
    if len(set(paths)) != len(paths):
        raise InputError("--out, --csv and --overlay must be different files")
    for p in paths:
        if p.exists() and not args.overwrite:
            raise InputError("already exists; refusing to overwrite (pass --overwrite)", p)
    return csv_path, paths


def run(args: argparse.Namespace) -> int:
    csv_path, _ = _outputs(args)
    meta = None
    if args.checkpoint is not None:
        from tempose.training.checkpoint import load_refiner  # Lightning: import only when needed

        model, meta = load_refiner(args.checkpoint)
        refiner_name = f"{meta['model_name']} ({args.checkpoint})"
        window = int(meta["window"])
    factory = EstimatorFactory(args)
    estimator = factory(args.video)
    info = video_info(args.video)
    total = min(info.num_frames, args.max_frames) if args.max_frames else info.num_frames
    with tqdm(total=total or None, unit="frame", desc=args.video.stem, disable=args.quiet, leave=False) as bar:
        video = run_video(estimator, args.video, max_frames=args.max_frames, progress=bar.update)
    if not video.detected.any():
        raise InputError(f"no person found in any of {video.num_frames} frames (wrong --side?)", args.video)
    if meta is None:
        from tempose.models import build_model

        model = build_model(args.model, num_keypoints=video.heatmaps.shape[1], window=args.window,
                            heatmap_size=tuple(video.heatmaps.shape[-2:]), **parse_options(args.model_option))
        if not is_filter(model):
            warnings.warn(f"--model {args.model} has trainable parameters: untrained weights", stacklevel=1)
        refiner_name, window = args.model, args.window
    start = time.perf_counter()
    tracks = refine_video(video, model, window=window, decoder=args.decoder, online=args.online,
                          model_heatmap_size=meta["heatmap_size"] if meta else None,
                          resample=args.resample_heatmaps)  # fmt: skip
    refine_s = time.perf_counter() - start
    document = tracks_to_dict(tracks, {
        "video": str(args.video), "fps": video.fps, "estimator": factory.name, "refiner": refiner_name,
        "mode": "online" if args.online else "offline"})  # fmt: skip
    write_text(args.out, dumps(document), overwrite=args.overwrite)
    if csv_path is not None:
        write_text(csv_path, tracks_to_csv(tracks), overwrite=args.overwrite)
    if args.overlay is not None:
        write_video(args.overlay, overlay_frames(args.video, tracks, refiner_name), video.fps, overwrite=args.overwrite)
    found = int(video.detected.sum())
    latency = "whole video (offline filter)" if tracks.latency_frames is None else f"{tracks.latency_frames} frames"
    est_fps = video.num_frames / max(video.seconds, 1e-9)
    ref_fps = video.num_frames / max(refine_s, 1e-9)
    print(f"{args.video.stem}: {video.num_frames} frames, person in {found}; estimator {est_fps:.1f} frames/s, "
          f"refiner {ref_fps:.0f} frames/s; {document['mode']}, latency {latency}; wrote {args.out}",
          file=sys.stderr)  # fmt: skip
    return 0
