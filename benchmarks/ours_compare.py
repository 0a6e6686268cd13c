"""TemposeNet against the thesis architectures and tuned filters on Penn Action, with paired bootstraps.

Every model is scored on the **same frames**: those of the non-overlapping 5-frame test windows of
``benchmarks/penn_action.py`` (video split, seed 0, experiment noise seed 0), against the argmax
ground truth with the torso normaliser. Every learned model is scored twice: ``window5`` (each
5-frame test window alone, as the thesis evaluated) and ``sequence`` (whole videos, sliding
windows of the model's own length, overlaps averaged — what ``tempose infer`` does); a causal
model of ours is scored ``online`` instead (frame t refined from frames ≤ t: ``tempose infer
--online``); filters smooth whole videos.

The gain of TemposeNet over each model is a **paired bootstrap** over test videos: one resample
of videos per draw, used for both models, of the difference of their pooled PCK (and of the
ratio of their acceleration errors on whole test videos).

    python benchmarks/ours_compare.py --store benchmarks/out/data/penn_thesis3.h5 --ours runs/tn_1.1 \\
        --baseline conv3d=benchmarks/out/penn_action/all/runs/pretrain_conv3d_1.1 ... \\
        --filters one_euro,savgol,gaussian,kalman --tuned benchmarks/out/penn_action/all/eval
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import OUT, markdown_table, num, pct  # noqa: E402
from penn_action import dataset, tune_filter  # noqa: E402

from tempose.files import write_json  # noqa: E402
from tempose.inference import refine_sequence  # noqa: E402
from tempose.keypoints import CLIMBALONG  # noqa: E402
from tempose.metrics import DEFAULT_ALPHAS, accel_error, pck  # noqa: E402
from tempose.models import build_model, predict_keypoints  # noqa: E402
from tempose.training.checkpoint import load_refiner  # noqa: E402

ALPHAS = [f"{a:g}" for a in DEFAULT_ALPHAS]


def paired_bootstrap(a: np.ndarray, b: np.ndarray, den_a: np.ndarray, den_b: np.ndarray | None = None,
                     ratio: bool = False, n_boot: int = 1000, seed: int = 0) -> tuple[float, float, float]:  # fmt: skip
    """Statistic and 95 % percentile interval of ``Σa/Σden_a − Σb/Σden_b`` (or their ratio) when
    the same units (videos) are resampled for both models in every draw."""
    den_b = den_a if den_b is None else den_b

    def stat(idx: np.ndarray) -> float:
        x, y = a[idx].sum() / den_a[idx].sum(), b[idx].sum() / den_b[idx].sum()
        return x / y if ratio else x - y

    rng = np.random.default_rng(seed)
    n = len(a)
    draws = np.array([stat(rng.integers(0, n, n)) for _ in range(n_boot)])
    draws = draws[np.isfinite(draws)]
    lo, hi = np.quantile(draws, [0.025, 0.975])
    return float(stat(np.arange(n))), float(lo), float(hi)


def score(pred_of, ds) -> dict[str, np.ndarray]:
    """Per test video: PCK hits (A,), evaluated keypoints, accel-error sum and count."""
    v_count = len(ds.videos)
    hits, counts = np.zeros((v_count, len(ALPHAS))), np.zeros(v_count)
    for batch in DataLoader(ds, batch_size=64):
        pred = pred_of(batch)
        found = torch.isfinite(pred).all(-1)
        evaluated = batch["visible"] & batch["loss_mask"][:, None, :]
        for i, v in enumerate(batch["video"].tolist()):
            c = pck(pred[i], batch["target_xy"][i], evaluated[i], DEFAULT_ALPHAS, CLIMBALONG, pred_valid=found[i])
            hits[v] += c.hits.sum(axis=1)
            counts[v] += c.counts.sum()
    return {"hits": hits, "counts": counts}


def accel(seq_pred, ds) -> dict[str, np.ndarray]:
    sums, n = np.zeros(len(ds.videos)), np.zeros(len(ds.videos))
    for v in range(len(ds.videos)):
        s = ds.sequence(v)
        vis = (s["visible"] & s["loss_mask"][None]).numpy()
        e, k = accel_error(seq_pred[v], s["target_xy"], vis)
        sums[v], n[v] = (e * k if k else 0.0), k
    return {"accel_sum": sums, "accel_n": n}


def evaluate_model(model, store: Path, experiment: str, protocol: str, window: int) -> dict[str, np.ndarray]:
    """``protocol``: ``window5`` (each test window alone), ``sequence`` (whole videos) or ``online``
    (whole videos, frame t refined when it arrives, from frames ≤ t only)."""
    model.eval()
    ds = dataset(store, "test", experiment, model.input_space, 0)
    seq_pred = {v: refine_sequence(model, ds.sequence(v)["input"], ds.sequence(v)["input_valid"], window=window,
                                   online=protocol == "online")
                for v in range(len(ds.videos))}  # fmt: skip
    if protocol == "window5":
        out = score(lambda b: predict_keypoints(model, b["input"], b["input_valid"]).float(), ds)
    else:
        out = score(lambda b: torch.stack([torch.as_tensor(seq_pred[int(v)][f.numpy()])
                                           for v, f in zip(b["video"], b["frames"], strict=True)]), ds)  # fmt: skip
    return {**out, **accel(seq_pred, ds)}


def summary(r: dict[str, np.ndarray]) -> dict[str, float]:
    pooled = r["hits"].sum(0) / r["counts"].sum()
    return {**{f"pck@{a}": float(p) for a, p in zip(ALPHAS, pooled, strict=True)},
            "accel_error_px": float(r["accel_sum"].sum() / r["accel_n"].sum())}  # fmt: skip


def gains(ours: dict, other: dict) -> dict[str, list[float]]:
    out = {f"pck@{a}": list(paired_bootstrap(ours["hits"][:, i], other["hits"][:, i], ours["counts"], other["counts"]))
           for i, a in enumerate(ALPHAS)}  # fmt: skip
    out["accel_ratio"] = list(paired_bootstrap(ours["accel_sum"], other["accel_sum"], ours["accel_n"], other["accel_n"],
                                               ratio=True))  # fmt: skip
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True, help="the Penn Action store the runs were trained on")
    parser.add_argument("--experiment", default="1.1")
    parser.add_argument("--ours", action="append", required=True, metavar="[LABEL=]RUN", help="TemposeNet run(s)")
    parser.add_argument("--baseline", action="append", default=[], metavar="LABEL=RUN")
    parser.add_argument("--filters", default="one_euro,savgol,gaussian,kalman")
    parser.add_argument("--tuned", type=Path, help="folder for the filters' validation tuning cache")
    parser.add_argument("--out", type=Path, default=OUT / "ours" / "penn_action.json")
    args = parser.parse_args(argv)
    torch.set_num_threads(2)

    results: dict[str, dict] = {}
    ident = build_model("identity")
    results["identity"] = evaluate_model(ident, args.store, args.experiment, "sequence", 5)
    for name in [f for f in args.filters.split(",") if f]:
        best = tune_filter(name, args.store, args.experiment, 0, args.tuned or args.out.parent / "tuning")
        results[name] = evaluate_model(build_model(name, **best["best"]["params"]), args.store, args.experiment,
                                       "sequence", 5)  # fmt: skip
    for item in args.baseline:  # as the thesis scored them, and with overlapping windows averaged
        label, _, run = item.partition("=")
        model, meta = load_refiner(run)
        for protocol in ("window5", "sequence"):
            results[f"{label} [{protocol}]"] = evaluate_model(model, args.store, args.experiment, protocol,
                                                              int(meta["window"]))  # fmt: skip
    ours_labels = []
    for item in args.ours:
        label, _, run = item.rpartition("=")
        model, meta = load_refiner(run)
        if getattr(model, "causal", False) and not any(k.endswith("[online]") for k in results):
            for name in [f for f in args.filters.split(",") if f]:  # the same tuned filters, causally
                best = tune_filter(name, args.store, args.experiment, 0, args.tuned or args.out.parent / "tuning")
                results[f"{name} [online]"] = evaluate_model(build_model(name, **best["best"]["params"]), args.store,
                                                             args.experiment, "online", 5)  # fmt: skip
        label = label or meta["model_name"]
        for protocol in ("window5", "online" if getattr(model, "causal", False) else "sequence"):
            results[f"{label} [{protocol}]"] = evaluate_model(model, args.store, args.experiment, protocol,
                                                              int(meta["window"]))  # fmt: skip
            ours_labels.append(f"{label} [{protocol}]")

    rows = [[label, *[pct(summary(r)[f"pck@{a}"]) for a in ALPHAS], num(summary(r)["accel_error_px"], 3)]
            for label, r in results.items()]  # fmt: skip
    text = [markdown_table(["model", "PCK@0.05", "PCK@0.1", "PCK@0.2", "accel err px"], rows)]
    payload = {"store": str(args.store), "experiment": args.experiment,
               "videos": int(len(results["identity"]["counts"])),
               "summary": {k: summary(r) for k, r in results.items()}, "gains": {}}  # fmt: skip
    for ours in ours_labels:
        g_rows = []
        for other in results:
            if other in ours_labels:
                continue
            g = gains(results[ours], results[other])
            payload["gains"][f"{ours} vs {other}"] = g
            cells = [f"{100 * g[f'pck@{a}'][0]:+.1f} [{100 * g[f'pck@{a}'][1]:+.1f}, {100 * g[f'pck@{a}'][2]:+.1f}]"
                     for a in ALPHAS]  # fmt: skip
            r = g["accel_ratio"]
            g_rows.append([other, *cells, f"{r[0]:.3f} [{r[1]:.3f}, {r[2]:.3f}]"])
        text.append(f"Gain of {ours} (PCK points, paired 95 % bootstrap over videos; accel-error ratio):\n\n"
                    + markdown_table(["vs", "ΔPCK@0.05", "ΔPCK@0.1", "ΔPCK@0.2", "accel ratio"], g_rows))
    payload["markdown"] = "\n\n".join(text)
    print(payload["markdown"])
    write_json(args.out, payload)
    print(f"# wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
