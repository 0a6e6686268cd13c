"""Windows per second delivered by the data pipeline (DataLoader, batch 16), on this machine.

Pretraining windows are 5×25×56×56 heatmaps (input + target) rendered on the fly from keypoints:
the real Penn Action labels of the three thesis actions when ../shared is present, otherwise
synthetic random-walk keypoints. Finetuning windows read float16 estimator heatmaps from a
synthetic ClimbAlong-like store. Prints a table and writes benchmarks/out/data_throughput.json.

    python benchmarks/data_throughput.py [--batches 150]
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader

from tempose.data import FinetuneDataset, PretrainDataset, Store, VideoRecord, get_experiment, split, write_store
from tempose.data.readers.penn_action import THESIS_ACTIONS, read_penn_action
from tempose.heatmaps import box_to_affine

ROOT = Path(__file__).resolve().parents[1]
PENN = ROOT / ".." / "shared" / "data" / "penn_action" / "labels"


def _synthetic_keypoints(videos: int = 150, frames: int = 120, seed: int = 0):
    rng = np.random.default_rng(seed)
    for v in range(videos):
        base = rng.uniform(100, 400, size=(1, 17, 2))
        xy = base + np.cumsum(rng.normal(0, 2, size=(frames, 17, 2)), axis=0)
        yield VideoRecord(f"walk{v:04d}", "coco17", keypoints=xy.astype(np.float32),
                          visible=np.ones((frames, 17), bool))


def _synthetic_estimator(videos: int = 10, frames: int = 200, seed: int = 0):
    rng = np.random.default_rng(seed)
    for v in range(videos):
        boxes = np.tile([100.0, 200.0, 500.0, 1000.0], (frames, 1))
        yield VideoRecord(f"climb{v:02d}", "climbalong", keypoints=rng.uniform(100, 500, (frames, 25, 2)),
                          visible=np.ones((frames, 25), bool),
                          heatmaps=rng.random((frames, 25, 56, 56), dtype=np.float32) ** 8,
                          affine=box_to_affine(boxes, (56, 56), span="size"))


def _rate(dataset, workers: int, batches: int) -> float:
    loader = DataLoader(dataset, batch_size=16, shuffle=True, num_workers=workers,
                        generator=torch.Generator().manual_seed(0))
    batches = min(batches, len(loader) - 3)
    it = iter(loader)
    for _ in range(3):  # start the workers, fill their prefetch queues
        next(it)
    start = time.perf_counter()
    n = 0
    for _ in range(batches):
        n += next(it)["input"].shape[0]
    return n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=150)
    args = parser.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        if PENN.is_dir():
            source = f"Penn Action ({', '.join(THESIS_ACTIONS)})"
            write_store(Path(tmp) / "gt.h5", read_penn_action(PENN, actions=THESIS_ACTIONS))
        else:
            source = "synthetic random walks"
            write_store(Path(tmp) / "gt.h5", _synthetic_keypoints())
        write_store(Path(tmp) / "est.h5", _synthetic_estimator())
        gt, est = Store(Path(tmp) / "gt.h5"), Store(Path(tmp) / "est.h5")
        train = split([gt], seed=0).sets["train"]
        est_windows = split([est], seed=0).sets["train"]
        cases = [
            ("pretrain heatmaps", 2, PretrainDataset([gt], train, get_experiment("1.1"))),
            ("pretrain heatmaps", 0, PretrainDataset([gt], train, get_experiment("1.1"))),
            ("pretrain coords", 0, PretrainDataset([gt], train, get_experiment("1.1"), space="coords")),
            ("finetune heatmaps", 2, FinetuneDataset(est, est_windows)),
        ]
        rows = []
        for name, workers, dataset in cases:
            batches = args.batches if name != "pretrain coords" else args.batches * 4
            rows.append({"case": name, "workers": workers, "windows_per_s": round(_rate(dataset, workers, batches))})
    print(f"data throughput, batch 16, windows of 5 frames, {platform.processor() or platform.machine()}, "
          f"{torch.get_num_threads()} torch thread(s) in the main process; keypoints: {source}")
    print(f"{'case':<20} {'workers':>7} {'windows/s':>10}")
    for r in rows:
        print(f"{r['case']:<20} {r['workers']:>7} {r['windows_per_s']:>10}")
    out = ROOT / "benchmarks" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "data_throughput.json").write_text(json.dumps({"source": source, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
