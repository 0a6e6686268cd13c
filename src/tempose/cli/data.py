"""`tempose data`: convert datasets into a tempose store, download BRACE, inspect stores.

    tempose data penn-action LABELS_DIR --out STORE [--actions a,b,c] [--split train|test|all]
    tempose data brace KEYPOINTS_DIR [--manual MANUAL_DIR] --out STORE
    tempose data climbalong DIR --out STORE [--min-first-keypoints 23] [--no-cut]
    tempose data download brace DIR [--mirror URL]
    tempose data info STORE [--videos]

Stores are written atomically: bad input leaves no file behind (docs/data.md, docs/store.md).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager

_LOG_FORMAT = "tempose: warning: %(message)s"


@contextmanager
def _warnings_to_stderr() -> Iterator[None]:
    """Show the readers' warnings (skipped/cut videos) as one line each on stderr while a command runs."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(_LOG_FORMAT))
    logger = logging.getLogger("tempose")
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)


def _write(records, args: argparse.Namespace) -> int:
    from tempose.data.store import Store, write_store

    with _warnings_to_stderr():
        write_store(args.out, records, overwrite=args.overwrite)
    store = Store(args.out)
    frames = sum(store.num_frames(n) for n in store.names)
    print(f"wrote {args.out}: {len(store)} videos, {frames} frames")
    return 0


def _penn_action(args: argparse.Namespace) -> int:
    from tempose.data.readers.penn_action import read_penn_action, resolve_actions

    actions = resolve_actions(args.actions.split(",")) if args.actions else None
    return _write(read_penn_action(args.labels_dir, actions=actions, split=args.split), args)


def _brace(args: argparse.Namespace) -> int:
    from tempose.data.readers.brace import read_brace

    return _write(read_brace(args.keypoints_dir, manual_dir=args.manual), args)


def _climbalong(args: argparse.Namespace) -> int:
    from tempose.data.readers.climbalong import read_climbalong

    records = read_climbalong(args.dir, keypoint_set=args.keypoint_set, fps=args.fps,
                              min_first_keypoints=args.min_first_keypoints, cut_degenerate_boxes=not args.no_cut)
    return _write(records, args)


def _download(args: argparse.Namespace) -> int:
    from tempose.data.download import download_brace

    with _warnings_to_stderr():
        folders = download_brace(args.dir, mirror=args.mirror, progress=not args.quiet)
    for name, folder in folders.items():
        print(f"{name}: {folder}")
    return 0


def _info(args: argparse.Namespace) -> int:
    from tempose.data.store import Store
    from tempose.data.summary import format_summary, summarize

    print(format_summary(args.store, summarize(Store(args.store)), per_video=args.videos))
    return 0


def _output(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, metavar="STORE", help="the store file to write (.h5)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing store")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("data", help="convert datasets into a tempose store, inspect stores",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="data_command", metavar="SUBCOMMAND", required=True)

    p = sub.add_parser("penn-action", help="Penn Action label files (.mat) → store")
    p.add_argument("labels_dir", metavar="LABELS_DIR")
    p.add_argument("--actions", help="comma-separated actions to keep (thesis: baseball_pitch,bench_press,situp)")
    p.add_argument("--split", choices=("train", "test", "all"), default="all",
                   help="Penn Action's own train/test flag (default: all)")
    _output(p)
    p.set_defaults(func=_penn_action)

    p = sub.add_parser("brace", help="BRACE segment JSONs (+ manual keypoints) → store")
    p.add_argument("keypoints_dir", metavar="KEYPOINTS_DIR")
    p.add_argument("--manual", metavar="MANUAL_DIR", help="manual keypoints (npz per frame) that override")
    _output(p)
    p.set_defaults(func=_brace)

    p = sub.add_parser("climbalong", help="<video>.input.npz + <video>.target.npz pairs → store")
    p.add_argument("dir", metavar="DIR")
    p.add_argument("--keypoint-set", default="climbalong", help="keypoint set of heatmaps and keypoints")
    p.add_argument("--fps", type=float, default=30.0, help="frame rate of the videos (default 30)")
    p.add_argument("--min-first-keypoints", type=int, default=23,
                   help="skip videos whose first frame has fewer annotated keypoints (0: keep all)")
    p.add_argument("--no-cut", action="store_true",
                   help="keep frames after the first zero-width/height estimator box")
    _output(p)
    p.set_defaults(func=_climbalong)

    p = sub.add_parser("download", help="download and unzip a dataset's release files")
    p.add_argument("dataset", choices=("brace",))
    p.add_argument("dir", metavar="DIR")
    p.add_argument("--mirror", metavar="URL", help="base URL serving dataset.zip and manual_keypoints.zip")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_download)

    p = sub.add_parser("info", help="print videos, frames, fps and keypoint coverage of a store")
    p.add_argument("store", metavar="STORE")
    p.add_argument("--videos", action="store_true", help="also list every video")
    p.set_defaults(func=_info)
