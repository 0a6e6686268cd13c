"""Real estimator errors on real climbing video: BlazePose-lite (and -full) refined over time,
scored against **BlazePose-heavy's keypoints as pseudo ground truth** (no human annotation exists
for these clips; heavy is itself an estimator with its own errors and jitter).

Data: the 3 SPEED21 clips × 2 climbers = 6 tracks (``../shared/data/speed21/videos``), each
climber's half of the frame. The estimator output of every variant is cached
(``benchmarks/out/climbing/estimates``, see ``climbing_estimates.py``).

Protocol, leave-one-clip-out (3 folds): for each held-out clip,

* learned models start from the Penn Action pretraining runs of ``benchmarks/penn_action.py``
  (experiment 1.1) and are finetuned with the thesis's finetuning rules (lr 1e-4, best validation
  PCK@0.05, early stopping) on the other two clips: lite heatmaps (resampled 64→56 px, affines
  adjusted) as input, heavy's keypoints as targets, each training track cut into pieces of
  ``--piece-frames`` frames that the video split deals to train/val/test (model selection only);
  the un-finetuned Penn Action models are scored too (rows "… (Penn only)");
* classical filters are tuned on the two training clips (a small grid, best mean PCK) and run on
  image coordinates in heatmap-cell units (``tempose.estimators.refine``), so the grid of
  ``benchmarks/_common.py`` means the same as on Penn Action;
* every model refines the held-out clip's two tracks (sliding windows, overlaps averaged; a
  causal model such as ``tempose_net_causal`` online, frame t from frames ≤ t: latency 0 frames).

Scores, pooled over the 6 held-out tracks in image pixels: PCK@0.05/0.1/0.2 against heavy (torso
of heavy's pose), 95 % intervals from a **block bootstrap over time** (blocks of ``--block``
frames resampled within each track), per-keypoint PCK, the jitter (mean ‖Δ²x‖, px/frame²) beside
heavy's own, and the acceleration error against heavy.

    python benchmarks/climbing.py                       # CPU default: lite finetuned, full scored
    python benchmarks/climbing.py --models conv3d,biconvlstm_sum --budget windows=64,epochs=1
    python benchmarks/climbing.py --pretrained benchmarks/out/penn_action/gpu/runs --name gpu

Finished finetuning runs are skipped, interrupted ones resumed, and every model's predictions are
cached, so re-running with more models adds rows. ``--folds CLIP,…`` runs only those folds (one
process per fold in parallel, or on a cluster); a run without it then scores all folds from the
cache. Prints tables; writes ``OUT/results.json`` (``results_<clips>.json`` for a subset).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    FILTER_GRID,
    FILTERS,
    OUT,
    SHARED,
    Budget,
    ModelSpec,
    block_bootstrap_ci,
    machine_info,
    markdown_table,
    model_budgets,
    num,
    paired_block_bootstrap,
    parse_budget,
    parse_models,
    pct,
    train_or_resume,
)
from climbing_estimates import VARIANTS, Track, estimate_tracks, speed21_tracks  # noqa: E402

from tempose.data.store import VideoRecord, write_store  # noqa: E402
from tempose.estimators.refine import refine_video, resample_heatmaps  # noqa: E402
from tempose.estimators.runner import EstimatedVideo  # noqa: E402
from tempose.files import write_json  # noqa: E402
from tempose.keypoints import CLIMBALONG  # noqa: E402
from tempose.metrics import DEFAULT_ALPHAS, PCKCounts, accel_error, pck  # noqa: E402
from tempose.models import build_model  # noqa: E402
from tempose.training.checkpoint import load_refiner  # noqa: E402
from tempose.training.config import DataConfig, ModelConfig, OptimConfig, TrainConfig, TrainerConfig  # noqa: E402

SIZE = (56, 56)  # the Penn Action models' grid; BlazePose's 64×64 maps are resampled to it


# ------------------------------------------------------------------------------------------
# Pseudo ground truth and finetuning stores
# ------------------------------------------------------------------------------------------
def reference(heavy: EstimatedVideo) -> tuple[np.ndarray, np.ndarray]:
    """Heavy's regressed keypoints (T, 25, 2) image px and where they exist (T, 25)."""
    xy = heavy.keypoints.astype(np.float64)
    ok = heavy.detected[:, None] & np.isfinite(xy).all(-1)
    return np.where(ok[..., None], xy, 0.0), ok


def fold_store(path: Path, tracks: list[Track], inputs: dict[str, EstimatedVideo],
               heavy: dict[str, EstimatedVideo], piece: int) -> Path:  # fmt: skip
    """A ClimbAlong-like store: the variant's heatmaps (resampled to 56×56) + heavy's keypoints,
    each track cut into videos of ``piece`` frames (cached)."""
    if path.is_file():
        return path
    records = []
    for track in tracks:
        est = inputs[track.name]
        maps, affine = resample_heatmaps(est.heatmaps, est.affine, SIZE)
        xy, ok = reference(heavy[track.name])
        for start in range(0, est.num_frames, piece):
            s = slice(start, min(start + piece, est.num_frames))
            if s.stop - s.start < 5:
                continue
            records.append(VideoRecord(f"{track.name}_{start:04d}", "climbalong", fps=est.fps, source="speed21",
                                       keypoints=xy[s].astype(np.float32), visible=ok[s],
                                       heatmaps=maps[s].astype(np.float16), affine=affine[s], scores=est.scores[s],
                                       attrs={"image_size": list(est.image_size)}))  # fmt: skip
    write_store(path, records, pseudo_ground_truth="blazepose-heavy regressed keypoints")
    return path


def finetune(spec: ModelSpec, store: Path, pretrained: Path, budget: Budget, run_dir: Path, args) -> Path:
    config = TrainConfig(
        stage="finetune",
        model=ModelConfig(spec.name, dict(spec.params)),
        data=DataConfig(stores=[str(store)], split="video", split_seed=args.seed, limit_windows=budget.windows,
                        num_workers=args.num_workers),
        optim=OptimConfig(lr=1e-4, max_epochs=budget.epochs),
        trainer=TrainerConfig(accelerator=args.accelerator),
        init_checkpoint=str(pretrained),
        seed=args.seed,
    )  # fmt: skip
    t0 = time.perf_counter()
    _, what = train_or_resume(config, run_dir)
    print(f"  {run_dir.name}: {what} ({time.perf_counter() - t0:.0f} s)", flush=True)
    return run_dir


# ------------------------------------------------------------------------------------------
# Scoring in image pixels
# ------------------------------------------------------------------------------------------
def _jitter_terms(xy: np.ndarray, ok: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per frame: summed ‖Δ²x‖ (centred at that frame) and how many keypoints it covers."""
    sums, counts = np.zeros(len(xy)), np.zeros(len(xy))
    for t in range(1, len(xy) - 1):
        w = slice(t - 1, t + 2)
        mean, n = accel_error(np.where(ok[w, :, None], xy[w], 0.0), np.zeros_like(xy[w]), ok[w])
        sums[t], counts[t] = (mean * n if n else 0.0), n
    return sums, counts


def frame_terms(preds: dict[str, np.ndarray], refs: dict[str, tuple[np.ndarray, np.ndarray]]) -> dict:
    """Per track and frame: PCK hits per α, evaluated keypoints, jitter sums and counts; and the
    pooled PCK counts and acceleration error (the pieces every score and paired gain needs)."""
    terms = {"total": PCKCounts.empty(len(CLIMBALONG)), "hits": {a: [] for a in DEFAULT_ALPHAS}, "counts": [],
             "jit_n": [], "jit_d": [], "accel": [0.0, 0], "frames": sum(len(p) for p in preds.values())}  # fmt: skip
    for name, pred in preds.items():
        ref, ok = refs[name]
        valid = np.isfinite(pred).all(-1)
        pred0 = np.where(valid[..., None], pred, 0.0)
        per_frame = [pck(pred0[t : t + 1], ref[t : t + 1], ok[t : t + 1], pred_valid=valid[t : t + 1])
                     for t in range(len(pred))]  # fmt: skip
        for c in per_frame:
            terms["total"] = terms["total"] + c
        for i, a in enumerate(DEFAULT_ALPHAS):
            terms["hits"][a].append(np.array([c.hits[i].sum() for c in per_frame], float))
        terms["counts"].append(np.array([c.counts.sum() for c in per_frame], float))
        s, n = _jitter_terms(pred0, valid)
        terms["jit_n"].append(s)
        terms["jit_d"].append(n)
        e, n = accel_error(pred0, ref, ok & valid)
        if n:
            terms["accel"][0] += e * n
            terms["accel"][1] += n
    return terms


def score(preds: dict[str, np.ndarray], refs: dict[str, tuple[np.ndarray, np.ndarray]], block: int,
          n_boot: int = 1000) -> dict:  # fmt: skip
    """PCK against heavy (block-bootstrap intervals), per keypoint, jitter and accel error, pooled."""
    return summarise(frame_terms(preds, refs), block, n_boot)


def summarise(t: dict, block: int, n_boot: int = 1000) -> dict:
    """The scores of :func:`score` from one model's :func:`frame_terms`."""
    total, acc = t["total"], t["accel"]
    keys = [f"{a:g}" for a in DEFAULT_ALPHAS]
    jitter = sum(x.sum() for x in t["jit_n"]) / max(sum(x.sum() for x in t["jit_d"]), 1)
    return {
        "pck": dict(zip(keys, map(float, total.pck), strict=True)),
        "pck_ci95": {k: block_bootstrap_ci(t["hits"][a], t["counts"], block=block, n_boot=n_boot)
                     for k, a in zip(keys, DEFAULT_ALPHAS, strict=True)},  # fmt: skip
        "per_keypoint": {n: dict(zip(keys, map(float, v), strict=True)) for n, v in total.merged(CLIMBALONG).items()},
        "mean_threshold_px": dict(zip(keys, map(float, total.mean_threshold), strict=True)),
        "jitter_px": float(jitter),
        "jitter_ci95": block_bootstrap_ci(t["jit_n"], t["jit_d"], block=block, n_boot=n_boot),
        "accel_error_vs_heavy_px": acc[0] / acc[1] if acc[1] else float("nan"),
        "keypoints_evaluated": int(total.counts.sum()),
        "frames": int(t["frames"]),
    }


def paired_gains(terms: dict[str, dict], ours: str, block: int) -> dict:
    """PCK gain of ``ours`` over every other row (points) and its jitter difference, each with a
    paired block-bootstrap 95 % interval (the same blocks for both models in every draw);
    ``terms`` holds every row's :func:`frame_terms`."""
    mine = terms[ours]
    out = {}
    for label, other in terms.items():
        if label == ours:
            continue
        g = {f"{a:g}": paired_block_bootstrap(mine["hits"][a], other["hits"][a], mine["counts"], other["counts"],
                                              block=block)
             for a in DEFAULT_ALPHAS}  # fmt: skip
        g["jitter_diff"] = paired_block_bootstrap(mine["jit_n"], other["jit_n"], mine["jit_d"], other["jit_d"],
                                                  block=block)  # fmt: skip
        out[label] = g
    return out


def _refine(video: EstimatedVideo, model, learned: bool, window: int = 5) -> np.ndarray:
    """A causal model (``model.causal``) is run online, as it is meant to: frame t from frames ≤ t."""
    return refine_video(video, model, window=window, model_heatmap_size=SIZE if learned else None,
                        resample=learned, online=bool(getattr(model, "causal", False))).refined  # fmt: skip


def predict(cache: Path, video: EstimatedVideo, model, learned: bool, window: int = 5) -> np.ndarray:
    """Refined (T, 25, 2) image px of one track (sliding windows of the model's length), cached as ``.npy``."""
    if cache.is_file():
        return np.load(cache)
    out = _refine(video, model, learned, window)
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(".tmp.npy")
    np.save(tmp, out)
    tmp.replace(cache)
    return out


def tune_filter(name: str, train: list[str], inputs: dict, refs: dict) -> dict:
    """The grid point with the best mean PCK@0.05/0.1/0.2 on the training clips' tracks."""
    best = None
    for params in FILTER_GRID[name]:
        model = build_model(name, **params)
        s = score({t: _refine(inputs[t], model, False) for t in train}, refs, block=10, n_boot=0)
        mean = float(np.mean(list(s["pck"].values())))
        if best is None or mean > best["mean_pck"]:
            best = {"params": params, "mean_pck": mean}
    return best


# ------------------------------------------------------------------------------------------
# The benchmark
# ------------------------------------------------------------------------------------------
def run_variant(variant: str, tracks: list[Track], est: dict, refs: dict, specs: list[ModelSpec],
                budgets: dict[str, Budget], filters: list[str], finetuned: bool, args, out: Path) -> dict:  # fmt: skip
    """Predictions of every model for every held-out track (leave-one-clip-out) → scores."""
    inputs = est[variant]
    clips = sorted(args.folds or {t.clip for t in tracks})
    preds: dict[str, dict[str, np.ndarray]] = {}
    tuned: dict[str, dict[str, dict]] = {}
    for clip in clips:
        test = [t for t in tracks if t.clip == clip]
        train = [t for t in tracks if t.clip != clip]
        print(f"{variant}: fold without {clip}", flush=True)
        for name in filters:
            model = build_model(name)
            if name != "identity":
                best = tuned.setdefault(name, {})[clip] = tune_filter(name, [t.name for t in train], inputs, refs)
                model = build_model(name, **best["params"])
            for t in test:
                preds.setdefault(name, {})[t.name] = predict(out / "pred" / variant / name / f"{t.name}.npy",
                                                             inputs[t.name], model, False)  # fmt: skip
        store = None
        for spec in specs:
            source = args.pretrained / f"pretrain_{spec.label}_1.1"
            if not (source / "best.ckpt").is_file():
                print(f"  {spec.label}: no pretraining run {source}; skipped")
                continue
            rows = [(f"{spec.label} (Penn only)", source)]
            if finetuned:
                store = store or fold_store(out / "stores" / f"{variant}_wo_{clip}_p{args.piece_frames}.h5", train,
                                            inputs, est["heavy"], args.piece_frames)  # fmt: skip
                run = out / "runs" / f"finetune_{variant}_{spec.label}_wo_{clip}"
                rows.append((spec.label, finetune(spec, store, source, budgets[spec.label], run, args)))
            for label, ckpt in rows:
                model, meta = None, {"window": 5}
                for t in test:
                    cache = out / "pred" / variant / label.replace(" ", "_") / f"{t.name}.npy"
                    if model is None and not cache.is_file():
                        model, meta = load_refiner(ckpt)
                    preds.setdefault(label, {})[t.name] = predict(cache, inputs[t.name], model, True, meta["window"])
    terms = {label: frame_terms(p, refs) for label, p in preds.items()}
    gains = {o: paired_gains(terms, o, args.block) for o in args.ours.split(",") if o in terms}
    return {"scores": {label: summarise(t, args.block) for label, t in terms.items()}, "tuned_filters": tuned,
            "gains": gains}  # fmt: skip


def tables(results: dict, heavy_jitter: dict) -> str:
    parts = []
    keys = [f"{a:g}" for a in DEFAULT_ALPHAS]
    for variant, res in results.items():
        scores = res["scores"]
        first = next(iter(scores.values()))
        rows = [["Mean threshold distance (px, image)", *[num(first["mean_threshold_px"][k], 1) for k in keys], "", ""]]
        for label, s in scores.items():
            rows.append([label if label != "identity" else f"identity (raw {variant})",
                         *[pct(s["pck"][k], *s["pck_ci95"][k]) for k in keys],
                         f"{num(s['jitter_px'])} [{num(s['jitter_ci95'][0])}, {num(s['jitter_ci95'][1])}]",
                         num(s["accel_error_vs_heavy_px"])])  # fmt: skip
        rows.append(["BlazePose-heavy itself (pseudo GT)", "", "", "",
                     f"{num(heavy_jitter['jitter_px'])}", ""])  # fmt: skip
        parts.append(f"**BlazePose-{variant} vs BlazePose-heavy keypoints (pseudo ground truth, not human "
                     f"annotation)** — 6 tracks, {first['frames']} frames, leave-one-clip-out; PCK % "
                     "[95 % block-bootstrap CI]; jitter = mean ‖Δ²x‖ px/frame² [CI]; accel err vs heavy px/frame²\n\n"
                     + markdown_table(["model", "PCK@0.05", "PCK@0.1", "PCK@0.2", "jitter", "accel err"],
                                      rows))  # fmt: skip
        kp = list(first["per_keypoint"])
        kp_rows = [[n, *[pct(s["per_keypoint"][n]["0.1"]) for s in scores.values()]] for n in kp]
        parts.append(f"Per keypoint, PCK@0.1 (%) vs heavy (pseudo GT), {variant}:\n\n"
                     + markdown_table(["keypoint", *scores], kp_rows))  # fmt: skip
        for ours, by_other in res.get("gains", {}).items():
            g_rows = [[other, *[f"{100 * g[k][0]:+.1f} [{100 * g[k][1]:+.1f}, {100 * g[k][2]:+.1f}]" for k in keys],
                       f"{g['jitter_diff'][0]:+.2f} [{g['jitter_diff'][1]:+.2f}, {g['jitter_diff'][2]:+.2f}]"]
                      for other, g in by_other.items()]  # fmt: skip
            parts.append(f"Gain of {ours} ({variant}; PCK points and jitter difference px/frame², paired 95 % "
                         "block bootstrap — the same blocks for both models):\n\n"
                         + markdown_table(["vs", "ΔPCK@0.05", "ΔPCK@0.1", "ΔPCK@0.2", "Δjitter"], g_rows))  # fmt: skip
        if res["tuned_filters"]:
            t_rows = [[f, *[", ".join(f"{k}={v}" for k, v in by_clip[c]["params"].items()) for c in sorted(by_clip)]]
                      for f, by_clip in res["tuned_filters"].items()]  # fmt: skip
            clips = sorted(next(iter(res["tuned_filters"].values())))
            parts.append(f"Filter parameters tuned on the other two clips ({variant}), per held-out clip:\n\n"
                         + markdown_table(["filter", *clips], t_rows))  # fmt: skip
    return "\n\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default="cpu", help="output folder name under benchmarks/out/climbing")
    parser.add_argument("--out", type=Path, help="output folder (default benchmarks/out/climbing/NAME)")
    parser.add_argument("--pretrained", type=Path, help="folder of Penn Action runs pretrain_<label>_1.1 "
                        "(default benchmarks/out/penn_action/cpu/runs)")  # fmt: skip
    parser.add_argument("--variants", default="lite,full", help="estimators refined (compared with heavy)")
    parser.add_argument("--finetune", default="lite", help="variants whose learned models are finetuned")
    parser.add_argument("--models", default="conv3d,deciwatch,deciwatch_sr1=deciwatch",
                        help="learned models: NAME or LABEL=NAME (label of the Penn Action run)")
    parser.add_argument("--model-params", action="append", default=[], metavar="LABEL:KEY=VALUE")
    parser.add_argument("--model-params-yaml")
    parser.add_argument("--filters", default=",".join(("identity", *FILTERS)))
    parser.add_argument("--budget", default="windows=all,epochs=3", help="finetuning: windows=N|all,epochs=N")
    parser.add_argument("--model-budget", action="append", default=["biconvlstm*:windows=64,epochs=1"],
                        metavar="LABEL[*]:windows=N,epochs=N")
    parser.add_argument("--folds", type=lambda s: [c for c in s.split(",") if c],
                        help="held-out clips to run (default: all); see the module docstring")
    parser.add_argument("--piece-frames", type=int, default=35, help="frames per finetuning store video")
    parser.add_argument("--ours", default="tempose_net,tempose_net_causal",
                        help="rows whose paired gains over every other row are reported")
    parser.add_argument("--block", type=int, default=10, help="block bootstrap block length (frames)")
    parser.add_argument("--num-workers", type=int, default=0)
    parser.add_argument("--accelerator", default="auto")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if not (SHARED / "data" / "speed21" / "videos").is_dir():
        raise SystemExit(f"{SHARED} is absent: this benchmark needs ../shared")
    out = args.out or OUT / "climbing" / args.name
    args.pretrained = args.pretrained or OUT / "penn_action" / "cpu" / "runs"
    specs = parse_models(args.models, args.model_params, args.model_params_yaml)
    budgets = model_budgets(specs, parse_budget(args.budget), args.model_budget)
    variants = [v for v in args.variants.split(",") if v]
    if any(v not in VARIANTS for v in variants):
        raise SystemExit(f"--variants takes {', '.join(VARIANTS)}")
    info = machine_info()
    print(f"# {info['date']}, {info['cpu']} ({info['cores']} cores), load {info['load_average']}", flush=True)

    tracks = speed21_tracks(SHARED)
    if args.folds and not set(args.folds) <= {t.clip for t in tracks}:
        raise SystemExit(f"--folds takes clips of {', '.join(sorted({t.clip for t in tracks}))}")
    est = {v: estimate_tracks(tracks, v, OUT / "climbing" / "estimates", SHARED / "models" / "blazepose")
           for v in dict.fromkeys([*variants, "heavy"])}  # fmt: skip
    refs = {t.name: reference(est["heavy"][t.name]) for t in tracks}
    heavy_jitter = score({t.name: refs[t.name][0] for t in tracks}, refs, args.block, n_boot=0)
    results = {v: run_variant(v, tracks, est, refs, specs, budgets, [f for f in args.filters.split(",") if f],
                              v in args.finetune.split(","), args, out) for v in variants}  # fmt: skip
    speeds = {v: {"frames": sum(e.num_frames for e in est[v].values()),
                  "estimator_fps": sum(e.num_frames for e in est[v].values()) / sum(e.seconds for e in est[v].values())}
              for v in est}  # fmt: skip
    text = tables(results, heavy_jitter)
    print(text)
    target = out / ("results.json" if not args.folds else f"results_{'_'.join(sorted(args.folds))}.json")
    write_json(target, {
        "benchmark": "climbing", "machine": info, "command": " ".join(sys.argv),
        "pseudo_ground_truth": "BlazePose-heavy regressed keypoints (not human annotation)",
        "tracks": [t.name for t in tracks], "protocol": "leave-one-clip-out; finetuning from Penn Action 1.1",
        "budgets": {k: b.describe() for k, b in budgets.items()}, "estimator_speed": speeds,
        "heavy_jitter_px": heavy_jitter["jitter_px"], "results": results, "markdown": text,
    })  # fmt: skip
    print(f"# wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
