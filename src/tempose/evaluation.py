"""Evaluate a refiner (trained model, identity or classical filter) on windows of a dataset.

PCK follows the thesis protocol (:mod:`tempose.metrics`) and counts the frames of every
evaluated window, as the thesis did. Window models are scored window by window; classical
filters (refiners without trainable parameters) smooth each full video once and are scored on
the same window frames. The acceleration error works on whole sequences: window models'
overlapping outputs are averaged per frame (:func:`tempose.inference.refine_sequence`).
Intervals are percentile bootstraps over videos.

The result is a JSON-able dict (``docs/evaluation.md`` documents every key); the identity (raw
input) is always evaluated on the same windows beside the model.
"""

from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader

from tempose.heatmaps import decode
from tempose.inference import refine_sequence
from tempose.keypoints import KeypointSet, get_keypoint_set
from tempose.metrics import DEFAULT_ALPHAS, PCKCounts, accel_error, pck, pck_ci
from tempose.models import output_space

PCK_POOLING_NOTE = (
    "PCK pools hit/count totals over all keypoints and window frames and divides once; "
    "the thesis averaged per-batch fractions, which differs slightly"
)


def _alpha_key(a: float) -> str:
    return f"{a:g}"


_PER_FRAME = ("input", "input_valid", "target", "target_xy", "visible", "frames")


def is_windowed(model: torch.nn.Module) -> bool:
    """Trainable refiners work on windows; parameter-free ones (identity, filters) on whole videos."""
    return any(p.requires_grad for p in model.parameters())


def input_keypoints(x: torch.Tensor, valid: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
    """The identity's keypoints: coordinate inputs ``(…, K, 2)`` as given, heatmaps argmax-decoded."""
    if x.shape[-1] == 2 and x.dim() in (3, 4) and x.shape[-2] != x.shape[-1]:
        return x, (valid if valid is not None else torch.isfinite(x).all(-1))
    return decode(x.float(), "argmax")


def _model_keypoints(model, x, valid, decoder) -> tuple[torch.Tensor, torch.Tensor]:
    if model.input_space == "coords":
        xy, found = input_keypoints(x, valid)
        out = model(xy, found)
        return out, torch.isfinite(out).all(-1)
    out = model(x).float()
    if output_space(model) == "coords":
        return out, torch.isfinite(out).all(-1)
    return decode(out, decoder)


def summarise(per_video: dict[int, PCKCounts], keypoint_set: KeypointSet, accel: tuple[float, int],
              n_boot: int, seed: int) -> dict[str, Any]:  # fmt: skip
    """JSON block for one refiner: pooled PCK, bootstrap CI over videos, thresholds, per keypoint."""
    videos = [per_video[k] for k in sorted(per_video)]
    total = PCKCounts.empty(len(keypoint_set))
    for c in videos:
        total = total + c
    ci = pck_ci(videos, n_boot=n_boot, seed=seed) if videos else np.full((len(DEFAULT_ALPHAS), 2), np.nan)
    keys = [_alpha_key(a) for a in total.alphas]
    merged = total.merged(keypoint_set)
    return {
        "pck": {k: float(v) for k, v in zip(keys, total.pck, strict=True)},
        "pck_ci95": {k: [float(lo), float(hi)] for k, (lo, hi) in zip(keys, ci, strict=True)},
        "mean_threshold_px": {k: float(v) for k, v in zip(keys, total.mean_threshold, strict=True)},
        "per_keypoint": {name: {k: float(v) for k, v in zip(keys, vals, strict=True)} for name, vals in merged.items()},
        "keypoints_evaluated": int(total.counts.sum()),
        "frames_evaluated": int(total.frames),
        "accel_error_px": accel[0],
        "accel_frames": accel[1],
    }


@torch.no_grad()
def evaluate(
    model: torch.nn.Module,
    dataset,
    window: int = 5,
    step: int = 1,
    decoder: str = "argmax",
    normalizer: str = "torso",
    keypoint_set: str | KeypointSet = "climbalong",
    batch_size: int = 32,
    n_boot: int = 1000,
    seed: int = 0,
    with_accel: bool = True,
    num_workers: int = 0,
    accel_max_frames: int | None = None,
) -> dict[str, Any]:
    """Evaluate ``model`` and the identity on every window of ``dataset``.

    ``dataset`` yields window samples (see docs/ARCHITECTURE.md) and provides ``videos`` and
    ``sequence(video_index)`` (every frame of the video as one sample) for filters and the
    acceleration error; ``step`` is the windows' frame step (2 for experiments x.3: filters then
    smooth, and the acceleration error measures, each half-frame-rate phase of a video alone).
    ``accel_max_frames`` measures the acceleration error (of the model and of the identity) on
    at most the first that many frames of each video (budgeted runs: refining whole long videos
    with a slow model costs more than the whole test set); a window model then refines only those
    frames, a filter still smooths the whole video. Give filters and models the same value so
    their columns compare the same frames.
    Returns ``{"counts", "model", "identity", "seconds"}``.
    """
    kset = keypoint_set if isinstance(keypoint_set, KeypointSet) else get_keypoint_set(keypoint_set)
    model.eval()
    device = next(iter(model.parameters()), torch.empty(0)).device
    t0 = time.perf_counter()
    windowed = is_windowed(model)
    seq_cache: dict[int, dict[str, Any]] = {}

    def sequence(v: int) -> dict[str, Any]:
        if v not in seq_cache:
            seq_cache[v] = dataset.sequence(v)
        return seq_cache[v]

    seq_pred: dict[int, np.ndarray] = {}
    if not windowed or with_accel:
        for v in range(len(dataset.videos)):
            seq = sequence(v)
            if windowed and accel_max_frames is not None:
                seq = seq_cache[v] = {k: (val[:accel_max_frames] if k in _PER_FRAME else val)
                                      for k, val in seq.items()}  # fmt: skip
            seq_pred[v] = refine_sequence(
                model, seq["input"], seq["input_valid"], window=window, step=step, decoder=decoder
            )

    counts = {"model": defaultdict(lambda: PCKCounts.empty(len(kset))),
              "identity": defaultdict(lambda: PCKCounts.empty(len(kset)))}  # fmt: skip
    n_windows = 0
    frames_seen: set[tuple[int, int]] = set()
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=False, num_workers=num_workers)
    for batch in loader:
        x = batch["input"].to(device)
        valid = batch["input_valid"].to(device)
        if windowed:
            pred, found = _model_keypoints(model, x, valid, decoder)
            pred, found = pred.cpu(), found.cpu()
        else:
            frames = batch["frames"]
            pred = torch.stack([torch.as_tensor(seq_pred[int(v)][f.numpy()])
                                for v, f in zip(batch["video"], frames, strict=True)])  # fmt: skip
            found = torch.isfinite(pred).all(-1)
        ident, ident_found = input_keypoints(batch["input"], batch["input_valid"])
        evaluated = batch["visible"] & batch["loss_mask"][:, None, :]
        for i, v in enumerate(batch["video"].tolist()):
            args = dict(alphas=DEFAULT_ALPHAS, keypoint_set=kset, normalizer=normalizer)
            counts["model"][v] += pck(pred[i], batch["target_xy"][i], evaluated[i], pred_valid=found[i], **args)
            counts["identity"][v] += pck(ident[i], batch["target_xy"][i], evaluated[i], pred_valid=ident_found[i],
                                         **args)  # fmt: skip
            frames_seen.update((v, int(f)) for f in batch["frames"][i])
        n_windows += x.shape[0]

    accel = {"model": (float("nan"), 0), "identity": (float("nan"), 0)}
    if with_accel:
        sums = {"model": [0.0, 0], "identity": [0.0, 0]}
        for v in range(len(dataset.videos)):
            seq = sequence(v)
            vis = (torch.as_tensor(seq["visible"]) & torch.as_tensor(seq["loss_mask"])[None]).numpy()
            ident_xy, ident_found = input_keypoints(torch.as_tensor(seq["input"]), torch.as_tensor(seq["input_valid"]))
            first = slice(None, accel_max_frames)  # windowed models' sequences are already this short
            ident, ident_ok = ident_xy.numpy()[first], (vis & ident_found.numpy())[first]
            target = np.asarray(seq["target_xy"])[first]
            for key, xy, ok in (("model", seq_pred[v][first], vis[first]), ("identity", ident, ident_ok)):
                for phase in range(step):  # at x.3 the acceleration of the half-rate video the models see
                    err, n = accel_error(xy[phase::step], target[phase::step], ok[phase::step])
                    if n:
                        sums[key][0] += err * n
                        sums[key][1] += n
        accel = {k: ((s / n) if n else float("nan"), n) for k, (s, n) in sums.items()}

    result = {
        "counts": {"videos": len({v for v, _ in frames_seen}), "windows": n_windows, "frames": len(frames_seen)},
        "model": summarise(counts["model"], kset, accel["model"], n_boot, seed),
        "identity": summarise(counts["identity"], kset, accel["identity"], n_boot, seed),
        "seconds": round(time.perf_counter() - t0, 3),
    }
    return result


# ---------------------------------------------------------------------------------------------
# Evaluating on a store (the `tempose evaluate` command)
# ---------------------------------------------------------------------------------------------
def _run_dir(checkpoint: str | Path) -> Path:
    path = Path(checkpoint)
    return path if path.is_dir() else path.parent


def build_eval_windows(stores, split_name: str, plan, stage: str, window: int, step: int,
                       protocol: str, split_seed: int):  # fmt: skip
    """The windows to evaluate: every stride-1 window (``all``), the run's recorded set, or a
    fresh seeded split of the stores."""
    from tempose.data.splits import split, video_lengths
    from tempose.data.windows import Windows
    from tempose.errors import InputError

    if split_name == "all":
        return Windows.for_videos(video_lengths(stores), length=window, stride=1, step=step)
    if plan is None:
        plan = split(stores, protocol=protocol, stage=stage, length=window, stride=1, step=step, seed=split_seed)
    if split_name not in plan.sets:
        raise InputError(f"the split has no {split_name!r} set (the thesis finetuning protocol has 'holdout')")
    return plan.sets[split_name]


def evaluate_on_store(
    checkpoint: str | Path | None = None,
    model_name: str | None = None,
    model_params: dict[str, Any] | None = None,
    stores: list[str] | None = None,
    split: str = "test",
    split_protocol: str | None = None,
    split_seed: int | None = None,
    experiment: str | None = None,
    noise_seed: int | None = None,
    window: int | None = None,
    decoder: str = "argmax",
    normalizer: str = "torso",
    limit_windows: int | None = None,
    n_boot: int = 1000,
    split_from: str | Path | None = None,
    accel_max_frames: int | None = None,
) -> dict[str, Any]:
    """Evaluate a checkpoint (run folder or file) or a registered model/filter on stores.

    Unset options come from the run (its stores, split plan, experiment and noise seed) or
    default to the thesis protocol (experiment 1.1, seed 0, ``video`` split with seed 0).
    ``split_from`` (a run folder or split.json) takes the windows from that run's recorded
    split, e.g. to score a filter on exactly the windows a trained model was tested on;
    ``accel_max_frames`` as in :func:`evaluate`.
    """
    import yaml

    import tempose
    from tempose.config import from_dict
    from tempose.data.datasets import FinetuneDataset, PretrainDataset
    from tempose.data.samples import get_experiment
    from tempose.data.splits import SplitPlan
    from tempose.data.store import Store
    from tempose.errors import InputError
    from tempose.models import build_model
    from tempose.training.checkpoint import load_refiner
    from tempose.training.config import TrainConfig

    run_config, plan, meta = None, None, {}
    if checkpoint is not None:
        model, meta = load_refiner(checkpoint)
        run = _run_dir(checkpoint)
        if (run / "config.yaml").is_file():
            run_config = from_dict(TrainConfig, yaml.safe_load((run / "config.yaml").read_text()))
        if (run / "split.json").is_file() and split != "all":
            plan = SplitPlan.load(run / "split.json")
        window = int(meta["window"])
    elif model_name is None:
        raise InputError("give --checkpoint or --model")
    window = window or 5
    if split_from is not None:
        source = Path(split_from)
        plan = SplitPlan.load(source / "split.json" if source.is_dir() else source)
        if run_config is None and source.is_dir() and (source / "config.yaml").is_file():
            run_config = from_dict(TrainConfig, yaml.safe_load((source / "config.yaml").read_text()))
    d = run_config.data if run_config else None
    store_paths = stores or (list(d.stores) if d else None)
    if not store_paths:
        raise InputError("no data: give --data STORE")
    if plan is not None and stores and [str(Path(s)) for s in stores] != [str(Path(s)) for s in d.stores]:
        plan = None  # other stores than the run's: split them afresh
    store_objs = [Store(p) for p in store_paths]
    first = store_objs[0]
    stage = "finetune" if first.names and first.has(first.names[0], "heatmaps") else "pretrain"
    exp = get_experiment(experiment or (d.experiment if d else "1.1"))
    seed = noise_seed if noise_seed is not None else (d.noise_seed if d else 0)
    protocol = split_protocol or (d.split if d else "video")
    s_seed = split_seed if split_seed is not None else (d.split_seed if d else 0)
    windows = build_eval_windows(store_objs, split, plan, stage, window, exp.frame_step, protocol, s_seed)
    if limit_windows is not None and len(windows) > limit_windows:
        windows = windows.select(np.sort(np.random.default_rng(s_seed).choice(len(windows), limit_windows, False)))
    if checkpoint is None:
        size = tuple(d.heatmap_size) if d else (56, 56)
        if stage == "finetune":
            size = tuple(int(v) for v in first.read(first.names[0]).heatmaps.shape[-2:])
        model = build_model(model_name, num_keypoints=25, window=window, heatmap_size=size, **(model_params or {}))
    space = model.input_space
    if stage == "finetune":
        dataset = FinetuneDataset(store_objs, windows, space=space, render_targets=False)
        size = dataset.heatmap_size
        if meta and tuple(meta["heatmap_size"]) != tuple(size):
            raise InputError(f"checkpoint expects {meta['heatmap_size'][0]}x{meta['heatmap_size'][1]} heatmaps, "
                             f"the store has {size[0]}x{size[1]}", store_paths[0])  # fmt: skip
    else:
        size = tuple(meta.get("heatmap_size", d.heatmap_size if d else (56, 56)))
        dataset = PretrainDataset(store_objs, windows, exp, space=space, heatmap_size=size, seed=seed,
                                  render_targets=False)  # evaluation scores target_xy only
    result = evaluate(model, dataset, window=window, step=exp.frame_step, decoder=decoder,
                      normalizer=normalizer, n_boot=n_boot, seed=s_seed,
                      accel_max_frames=accel_max_frames)  # fmt: skip
    name = meta.get("model_name", model_name)
    return {
        "tempose_version": tempose.__version__,
        "model": {"name": name, "run": str(_run_dir(checkpoint)) if checkpoint else None,
                  "checkpoint": meta.get("checkpoint"), "stage": meta.get("stage"),
                  "experiment": d.experiment if d else None, "params": model_params or meta.get("model_params", {}),
                  "parameters": sum(p.numel() for p in model.parameters())},
        "protocol": {"stores": [str(p) for p in store_paths], "split": split, "split_protocol": protocol,
                     "split_seed": s_seed, "experiment": exp.name if stage == "pretrain" else None,
                     "noise_seed": seed if stage == "pretrain" else None, "window": window,
                     "frame_step": exp.frame_step, "decoder": decoder, "normalizer": normalizer,
                     "alphas": list(DEFAULT_ALPHAS), "pck_pooling": PCK_POOLING_NOTE},
        split: result,
    }  # fmt: skip


def format_table(result: dict[str, Any]) -> str:
    """A plain-text summary: model vs identity, PCK (%) with 95% intervals, acceleration error."""
    split = result["protocol"]["split"]
    block = result[split]
    c = block["counts"]
    lines = [f"{result['model']['name']} on {split}: {c['videos']} videos, {c['windows']} windows, "
             f"{c['frames']} frames ({result['protocol']['normalizer']} normaliser, {result['protocol']['decoder']})"]
    header = f"{'':<10}" + "".join(f"{'PCK@' + k:>22}" for k in block["model"]["pck"]) + f"{'accel err px':>14}"
    lines.append(header)
    for row in ("model", "identity"):
        r = block[row]
        cells = ""
        for k, v in r["pck"].items():
            lo, hi = r["pck_ci95"][k]
            cells += f"{100 * v:>8.1f} [{100 * lo:5.1f},{100 * hi:5.1f}]" if v == v else f"{'—':>22}"
        lines.append(f"{row:<10}{cells}{r['accel_error_px']:>14.3f}")
    thr = block["identity"]["mean_threshold_px"]
    lines.append("mean threshold px: " + ", ".join(f"@{k}: {v:.2f}" for k, v in thr.items()))
    return "\n".join(lines)
