"""`tempose models fetch blazepose`: get the BlazePose model files from their registry packages."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from tempose.estimators.model_files import (
    NPM_PACKAGE,
    NPM_REGISTRY,
    NPM_VERSION,
    WHEEL_REQUIREMENT,
    default_blazepose_dir,
    fetch_blazepose,
)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("models", help="fetch estimator model files")
    sub = parser.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    fetch = sub.add_parser(
        "fetch",
        help="fetch model files into the cache",
        description=f"Fetch the BlazePose .tflite files: the detector and the full model from the PyPI wheel "
        f"{WHEEL_REQUIREMENT} (pip download --no-deps), lite and heavy from the npm package "
        f"{NPM_PACKAGE}@{NPM_VERSION}. Each file is checked against a pinned sha256.",
    )
    fetch.add_argument("family", choices=["blazepose"], help="which model files")
    fetch.add_argument("--cache", type=Path, help=f"target folder (default {default_blazepose_dir()})")
    fetch.add_argument("--wheel", metavar="PATH_OR_URL", help="use this mediapipe wheel instead of pip download")
    fetch.add_argument("--npm-tarball", metavar="PATH_OR_URL", help="use this @mediapipe/pose tarball")
    fetch.add_argument("--npm-registry", default=NPM_REGISTRY, help="npm registry URL")
    fetch.add_argument("--pip-args", default="", help="extra pip download arguments, e.g. '--index-url URL'")
    fetch.add_argument("--force", action="store_true", help="fetch files already in the cache again")
    fetch.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    cache = args.cache or default_blazepose_dir()
    report = fetch_blazepose(cache, wheel=args.wheel, npm_tarball=args.npm_tarball, pip_args=shlex.split(args.pip_args),
                             npm_registry=args.npm_registry, force=args.force)  # fmt: skip
    for name, status in report.items():
        print(f"{name}: {status}")
    failed = [n for n, s in report.items() if s.startswith("failed")]
    if failed:
        print(f"tempose models: could not get {', '.join(failed)}; place them in {cache} by hand "
              "or pass --model-dir to the estimator", file=sys.stderr)  # fmt: skip
        return 1
    print(f"all BlazePose files in {cache}", file=sys.stderr)
    return 0
