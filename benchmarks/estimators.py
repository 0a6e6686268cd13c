"""Estimator speed and raw-vs-refined jitter on the real speed-climbing clips (../shared).

For each BlazePose variant (lite / full / heavy) on the three SPEED21 clips (each climber's half
from ``metadata.txt``): estimator frames/s; then for each refiner (identity, the classical filters,
and any ``--checkpoint``) refiner frames/s and estimator + refiner frames/s; the **jitter** (mean ‖Δ²x‖ of the
keypoints, px/frame², image pixels) of raw and refined keypoints, and their **PCK against
BlazePose-heavy's own regressed landmarks** (torso-normalised, pooled; no ground truth exists for
these clips): less jitter alone can be over-smoothing, so read the two together. Learned models
without a checkpoint have random weights: they are only timed, on the first ``--learned-frames``
frames of one clip (the heatmap ConvLSTMs are slow on a CPU). Keep runs short (2 CPU cores): by
default only the first ``--frames`` frames of each clip.

    python benchmarks/estimators.py                  # first 60 frames per clip
    python benchmarks/estimators.py --full           # whole clips (≈1 min of heavy)
    python benchmarks/estimators.py --checkpoint runs/finetune_x

Prints a table and writes ``benchmarks/out/estimators.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from tempose.cli._estimator_options import read_sides
from tempose.estimators import build_estimator
from tempose.estimators.refine import is_filter, raw_keypoints, refine_video
from tempose.estimators.runner import EstimatedVideo, run_video
from tempose.metrics import accel_error, pck
from tempose.models import available_models, build_model

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT / ".." / "shared"
VARIANTS = ("lite", "full", "heavy")
ALPHAS = (0.05, 0.1, 0.2)


def _jitter(xy: np.ndarray) -> float:
    """Mean ‖Δ²x‖ over keypoints present in three consecutive frames (px/frame²)."""
    ok = np.isfinite(xy).all(-1)
    return accel_error(np.where(ok[..., None], xy, 0.0), np.zeros_like(xy), ok)[0]


def _pooled(values: list[tuple[float, int]]) -> float:
    n = sum(c for _, c in values)
    return sum(v * c for v, c in values if c) / n if n else float("nan")


def _score(preds: list[np.ndarray], refs: list[tuple[np.ndarray, np.ndarray]]) -> dict:
    counts = None
    acc = []
    for pred, (ref, ok) in zip(preds, refs, strict=True):
        valid = np.isfinite(pred).all(-1)
        c = pck(np.where(valid[..., None], pred, 0.0), ref, ok, alphas=ALPHAS, pred_valid=valid)
        counts = c if counts is None else counts + c
        present = valid & ok
        acc.append(accel_error(np.where(present[..., None], pred, 0.0), np.nan_to_num(ref), present))
    jit = [(_jitter(p), int(np.isfinite(p).all(-1)[2:].sum())) for p in preds]
    return {"jitter": _pooled(jit), "accel_error_vs_heavy": _pooled(acc),
            **{f"pck@{a}": float(v) for a, v in zip(ALPHAS, counts.pck, strict=True)}}  # fmt: skip


def _head(clip: EstimatedVideo, frames: int) -> EstimatedVideo:
    """The first ``frames`` frames of a clip."""
    cut = {k: getattr(clip, k)[:frames] for k in ("heatmaps", "affine", "scores", "detected", "keypoints",
                                                   "keypoint_scores")}  # fmt: skip
    return replace(clip, **cut)


def _refiners(names: list[str] | None, checkpoints: list[Path]) -> list[tuple[str, object, dict]]:
    out = []
    for name in names or available_models():
        model = build_model(name, heatmap_size=(64, 64))
        out.append((name, model, {"scored": is_filter(model)}))
    for ckpt in checkpoints:
        from tempose.training.checkpoint import load_refiner

        model, meta = load_refiner(ckpt)
        out.append((f"{meta['model_name']}:{ckpt.name}", model, {"scored": True, "meta": meta}))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=60, help="frames per clip (default 60)")
    parser.add_argument("--full", action="store_true", help="whole clips")
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=VARIANTS)
    parser.add_argument("--refiners", nargs="+", help="registered refiners (default: all)")
    parser.add_argument("--learned-frames", type=int, default=25, help="frames to time untrained models on")
    parser.add_argument("--checkpoint", nargs="*", type=Path, default=[], help="trained refiners to add")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "estimators.json")
    args = parser.parse_args()
    if not SHARED.is_dir():
        raise SystemExit(f"{SHARED} is absent: the clips and models live in ../shared")
    videos = sorted((SHARED / "data" / "speed21" / "videos").glob("*.mp4"))
    sides = read_sides(SHARED / "data" / "speed21" / "metadata.txt")
    models = SHARED / "models" / "blazepose"
    max_frames = None if args.full else args.frames
    refiners = _refiners(args.refiners, args.checkpoint)

    clips: dict[str, list[EstimatedVideo]] = {}
    for variant in dict.fromkeys([*args.variants, "heavy"]):  # heavy is also the reference
        ests = {s: build_estimator(f"blazepose-{variant}", model_dir=models, side=s) for s in ("left", "right")}
        clips[variant] = [run_video(ests[sides[v.stem]], v, max_frames=max_frames) for v in videos]
        print(f"blazepose-{variant}: {sum(c.num_frames for c in clips[variant])} frames estimated", file=sys.stderr)
    refs = [(c.keypoints.astype(np.float64), c.detected[:, None] & np.isfinite(c.keypoints).all(-1))
            for c in clips["heavy"]]  # fmt: skip

    rows = []
    for variant in args.variants:
        est_clips = clips[variant]
        frames = sum(c.num_frames for c in est_clips)
        est_s = sum(c.seconds for c in est_clips)
        raw = _score([raw_keypoints(c)[..., :2] for c in est_clips], refs)
        for name, model, info in refiners:
            window = info.get("meta", {}).get("window", 5)
            size = info.get("meta", {}).get("heatmap_size")
            timed = est_clips if info["scored"] else [_head(est_clips[0], args.learned_frames)]
            start = time.perf_counter()
            tracks = [refine_video(c, model, window=window, model_heatmap_size=size, resample=size is not None)
                      for c in timed]  # fmt: skip
            ref_fps = sum(c.num_frames for c in timed) / (time.perf_counter() - start)
            row = {"estimator": f"blazepose-{variant}", "refiner": name, "frames": frames,
                   "estimator_fps": frames / est_s, "refiner_fps": ref_fps,
                   "total_fps": 1 / (est_s / frames + 1 / ref_fps), "scored": info["scored"], "raw": raw}  # fmt: skip
            if info["scored"]:
                row["refined"] = _score([t.refined for t in tracks], refs)
            rows.append(row)

    head = f"{'estimator':<16} {'refiner':<18} {'est f/s':>8} {'ref f/s':>8} {'tot f/s':>8}  " \
           f"{'jitter raw→ref':>15}  {'PCK@0.1 raw→ref':>16}  {'PCK@0.2 raw→ref':>16}"
    print(head)
    print("-" * len(head))
    for r in rows:
        ref = r.get("refined")
        jit = f"{r['raw']['jitter']:6.2f}→{ref['jitter']:6.2f}" if ref else "   (untrained)"
        p1 = f"{r['raw']['pck@0.1']:.3f}→{ref['pck@0.1']:.3f}" if ref else ""
        p2 = f"{r['raw']['pck@0.2']:.3f}→{ref['pck@0.2']:.3f}" if ref else ""
        print(f"{r['estimator']:<16} {r['refiner']:<18} {r['estimator_fps']:8.1f} {r['refiner_fps']:8.0f} "
              f"{r['total_fps']:8.1f}  {jit:>15}  {p1:>16}  {p2:>16}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    result = {"machine": {"cpu_count": os.cpu_count(), "platform": platform.platform(),
                          "load_average": os.getloadavg()},
              "clips": [v.stem for v in videos], "frames_per_clip": max_frames or "all",
              "reference": "blazepose-heavy regressed landmarks", "jitter_unit": "px/frame^2 (image)",
              "rows": rows}  # fmt: skip
    args.out.write_text(json.dumps(result, indent=2, default=float))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
