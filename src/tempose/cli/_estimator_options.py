"""Options shared by ``tempose estimate`` and ``tempose infer``: which estimator, built how.

Per-estimator options have their own flags (``--model-dir`` for BlazePose, ``--weights`` for
Keypoint R-CNN, ``--heatmaps`` for precomputed, ``--side`` for any that restrict the frame) and
``--option KEY=VALUE`` passes anything else to a plugin's factory (values parsed as YAML).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import yaml

from tempose.errors import InputError
from tempose.estimators import Estimator, build_estimator

DEFAULT_ESTIMATOR = "blazepose-full"


def add_estimator_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("estimator")
    group.add_argument("--estimator", default=DEFAULT_ESTIMATOR,
                       help=f"registered estimator (see `tempose estimators`; default {DEFAULT_ESTIMATOR})")
    group.add_argument("--model-dir", type=Path, help="BlazePose: folder with the .tflite files "
                       "(default: the `tempose models fetch` cache)")
    group.add_argument("--weights", type=Path, help="keypoint-rcnn: state-dict file of the model")
    group.add_argument("--heatmaps", type=Path, help="precomputed: the store holding the heatmaps")
    group.add_argument("--side", choices=("left", "right"), help="look for the person in this half of the frame")
    group.add_argument("--side-from", type=Path, metavar="METADATA",
                       help="SPEED21 metadata.txt: each video's side from its row (id_run = file stem)")
    group.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                       help="extra estimator option (repeatable; VALUE parsed as YAML)")  # fmt: skip


def read_sides(path: Path) -> dict[str, str]:
    """Video stem → ``left``/``right`` from a SPEED21 ``metadata.txt`` (``id_run;…;side;fps``)."""
    try:
        lines = path.read_text().splitlines()
    except OSError as exc:
        raise InputError(f"cannot read side metadata ({exc.strerror})", path) from None
    sides = {}
    for number, line in enumerate(lines, 1):
        fields = line.strip().split(";")
        if len(fields) < 12:
            if line.strip():
                raise InputError(f"line {number}: expected 12 ';'-separated fields", path)
            continue
        side = {"l": "left", "r": "right"}.get(fields[10].strip())
        if side is None:
            raise InputError(f"line {number}: side must be 'l' or 'r', got {fields[10]!r}", path)
        sides[fields[0].strip()] = side
    return sides


def parse_options(pairs: list[str]) -> dict[str, Any]:
    """``["a=1", "b=x"]`` → ``{"a": 1, "b": "x"}`` (values parsed as YAML, dashes in keys → underscores)."""
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise InputError(f"expected KEY=VALUE, got {pair!r}")
        out[key.replace("-", "_")] = yaml.safe_load(value)
    return out


class EstimatorFactory:
    """Builds the chosen estimator for each video, reusing one instance per distinct option set."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.name = args.estimator
        self._base = {"model_dir": args.model_dir, "weights": args.weights, "store": args.heatmaps,
                      **parse_options(args.option)}  # fmt: skip
        self._side = args.side
        self._sides = read_sides(args.side_from) if args.side_from else None
        self._side_from = args.side_from
        self._cache: dict[str | None, Estimator] = {}

    def side(self, video: Path) -> str | None:
        if self._sides is None:
            return self._side
        if video.stem not in self._sides:
            raise InputError(f"no row for {video.stem!r} in the side metadata", self._side_from)
        return self._sides[video.stem]

    def options(self, video: Path) -> dict[str, Any]:
        return {**self._base, "side": self.side(video)}

    def __call__(self, video: Path) -> Estimator:
        side = self.side(video)
        if side not in self._cache:
            self._cache[side] = build_estimator(self.name, **{**self._base, "side": side})
        return self._cache[side]
