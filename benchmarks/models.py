"""Speed of every refiner: parameters, inference ms per window (batch 1 and 16), training windows/s.

Each learned model is also timed against its plain reference implementation (the thesis-style code
kept in ``tests/test_models_reference.py``, with the same weights), giving the fast path's
speed-up. Filters are timed on one 300-frame sequence of 25 keypoints. Times are best-of-n (n ≥
``--iters``, more for fast models). Run on a quiet machine: one busy core slows small models by
orders of magnitude, as every parallel op then waits for a scheduler slice (the load average is
recorded).

    python benchmarks/models.py                 # CPU, all models
    python benchmarks/models.py --iters 2 --models conv3d deciwatch
    python benchmarks/models.py --device cuda   # the same table on a GPU (names the card)

Prints a table and writes ``benchmarks/out/models[_<device>].json``.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

from tempose.files import write_json
from tempose.models import build_model, param_count

ROOT = Path(__file__).resolve().parents[1]
LEARNED = ["conv3d", "biconvlstm_sum", "biconvlstm_concat", "deciwatch"]
FILTERS = ["one_euro", "savgol", "gaussian", "kalman"]
K, T, SIZE = 25, 5, (56, 56)


def _load_references():
    spec = importlib.util.spec_from_file_location("models_reference", ROOT / "tests" / "test_models_reference.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _reference(name: str, fast: nn.Module, ref_mod) -> nn.Module:
    """The plain reference of ``name`` carrying the fast model's weights."""
    if name == "conv3d":
        ref = ref_mod.RefConv3d(K, T)
        ref.load_state_dict(fast.state_dict())
    elif name.startswith("biconvlstm"):
        ref = ref_mod.RefBiConvLSTM(K, SIZE, name.split("_")[1], 128)
        ref_mod.copy_convlstm(ref, fast)  # same random values in both (direction of copy irrelevant)
    else:
        ref = ref_mod.RefDeciWatch(K, 4)
        fast.load_state_dict(ref.state_dict())
    ref.input_space = fast.input_space  # the references take the same inputs (coordinates: no valid)
    return ref


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def _best_seconds(fn: Callable[[], object], iters: int, device: torch.device, budget_s: float = 2.0) -> float:
    """Best-of-n seconds per call (robust to other processes), n ≥ ``iters`` and more while the
    time budget lasts (fast models get many repetitions, slow ones ``iters``)."""
    fn()  # warm-up (allocations, oneDNN/cuDNN primitive selection)
    times: list[float] = []
    started = time.perf_counter()
    while len(times) < iters or (time.perf_counter() - started < budget_s and len(times) < 200):
        _sync(device)
        start = time.perf_counter()
        fn()
        _sync(device)
        times.append(time.perf_counter() - start)
    return min(times)


def _inputs(model: nn.Module, batch: int, device: torch.device) -> torch.Tensor:
    if model.input_space == "heatmaps":
        return torch.rand(batch, T, K, *SIZE, device=device) * 40
    return torch.rand(batch, T, K, 2, device=device) * 55


def _call(model: nn.Module, x: torch.Tensor, is_ref: bool):
    return model(x) if is_ref or model.input_space == "heatmaps" else model(x, None)


def infer_ms(model: nn.Module, batch: int, iters: int, device: torch.device, is_ref: bool = False) -> float:
    """Best inference time per window in ms (``torch.inference_mode``, eval mode)."""
    model.eval()
    x = _inputs(model, batch, device)
    with torch.inference_mode():
        return 1e3 * _best_seconds(lambda: _call(model, x, is_ref), iters, device) / batch


def train_windows_per_s(model: nn.Module, iters: int, device: torch.device, is_ref: bool = False) -> float:
    """Training throughput at batch 16: forward, MSE, backward, Adam step (the MSE against a
    target shaped like the output: heatmaps, or coordinates for coordinate-output models)."""
    model.train()
    x = _inputs(model, 16, device)
    with torch.no_grad():
        target = _call(model, x, is_ref).detach().clone()
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        loss = nn.functional.mse_loss(_call(model, x, is_ref), target)
        loss.backward()
        opt.step()

    return 16 / _best_seconds(step, iters, device)


def filter_ms(name: str, iters: int, device: torch.device) -> float:
    """Best ms to filter one 300-frame sequence of K keypoints."""
    model = build_model(name)
    xy = torch.rand(1, 300, K, 2, device=device) * 55
    return 1e3 * _best_seconds(lambda: model(xy), iters, device)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--iters", type=int, default=3, help="timed iterations per measurement")
    parser.add_argument("--models", nargs="+", default=LEARNED + FILTERS)
    parser.add_argument("--no-reference", action="store_true", help="skip the (slow) reference timings")
    parser.add_argument("--threads", type=int, default=None, help="intra-op CPU threads (default: torch's)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    torch.manual_seed(0)
    card = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or "cpu"
    info = {
        "device": str(device),
        "card": card,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "load_average_at_start": os.getloadavg(),
        "iters": args.iters,
    }
    print(f"# {card} ({device}), torch {torch.__version__}, {info['threads']} threads, "
          f"load average {info['load_average_at_start'][0]:.2f}")  # fmt: skip
    ref_mod = None if args.no_reference else _load_references()
    rows = []
    header = f"{'model':<18}{'params':>11}{'ms/win b1':>11}{'ms/win b16':>11}{'train win/s':>12}"
    header += f"{'ref b1 ms':>11}{'ref train':>11}{'speed-up b1':>12}{'speed-up tr':>12}"
    print(header)
    for name in args.models:
        if name in FILTERS:
            ms = filter_ms(name, args.iters, device)
            rows.append({"model": name, "params": 0, "ms_per_300_frame_sequence": ms})
            print(f"{name:<18}{0:>11,}   {ms:8.2f} ms per 300-frame sequence (filter)")
            continue
        fast = build_model(name).to(device)
        row = {"model": name, "params": param_count(fast)}
        ref = None if ref_mod is None else _reference(name, fast, ref_mod).to(device)
        row["infer_ms_b1"] = infer_ms(fast, 1, args.iters, device)
        row["infer_ms_b16"] = infer_ms(fast, 16, max(1, args.iters // 2), device)
        row["train_windows_per_s"] = train_windows_per_s(fast, max(1, args.iters // 2), device)
        if ref is not None:
            row["ref_infer_ms_b1"] = infer_ms(ref, 1, args.iters, device, is_ref=True)
            row["ref_train_windows_per_s"] = train_windows_per_s(ref, max(1, args.iters // 2), device, is_ref=True)
            row["speedup_infer_b1"] = row["ref_infer_ms_b1"] / row["infer_ms_b1"]
            row["speedup_train"] = row["train_windows_per_s"] / row["ref_train_windows_per_s"]
        rows.append(row)
        line = f"{name:<18}{row['params']:>11,}{row['infer_ms_b1']:>11.2f}{row['infer_ms_b16']:>11.2f}"
        line += f"{row['train_windows_per_s']:>12.2f}"
        if ref is not None:
            line += f"{row['ref_infer_ms_b1']:>11.2f}{row['ref_train_windows_per_s']:>11.2f}"
            line += f"{row['speedup_infer_b1']:>11.2f}x{row['speedup_train']:>11.2f}x"
        print(line, flush=True)
    suffix = ("" if device.type == "cpu" else f"_{device.type}") + (f"_{args.threads}t" if args.threads else "")
    out = ROOT / "benchmarks" / "out" / f"models{suffix}.json"
    write_json(out, {"info": info, "rows": rows})
    print(f"# wrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
