"""Synthetic dataset: generation speed (the quick demo's budget) and calibration against the thesis.

Run: ``python benchmarks/synthetic.py [--videos N]``. Prints a table and writes
``benchmarks/out/synthetic.json``. Calibration: the identity PCK (thesis protocol) of the simulated
estimator on the default finetuning videos, per keypoint group, beside the thesis's ClimbAlong
identity (19.4 / 66.1 / 85.2), and a 5-frame median filter to show the errors are partly white.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from scipy.ndimage import median_filter

from tempose.heatmaps import decode, heatmap_to_image, image_to_heatmap
from tempose.metrics import PCKCounts, pck
from tempose.synthetic import DEFAULT, QUICK, box_targets, finetune_video, generate
from tempose.synthetic.generate import target_array
from tempose.synthetic.protocol import identity_pck

THESIS = (19.4, 66.1, 85.2)


def time_quick() -> dict[str, float]:
    """Wall time of ``generate(QUICK)`` and of its simulation alone."""
    start = time.perf_counter()
    frames = sum(finetune_video(QUICK, i)[0].keypoints.shape[0] for i in range(QUICK.finetune.videos))
    simulate = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        generate(QUICK, Path(tmp) / "quick")
        total = time.perf_counter() - start
    return {"finetune_frames": frames, "simulate_s": simulate, "generate_s": total}


def calibrate(videos: int) -> dict[str, object]:
    """Identity and median-filter PCK of the simulated estimator on ``videos`` default finetuning videos."""
    identity = median = PCKCounts.empty(25)
    for index in range(videos):
        seq, est = finetune_video(DEFAULT, index)
        target = target_array(seq)
        identity = identity + identity_pck(est.heatmaps, est.boxes, target)
        xy = decode(est.heatmaps)[0].numpy()
        image = median_filter(heatmap_to_image(xy, est.affine), size=(5, 1, 1), mode="nearest")
        gt = box_targets(seq.keypoints, est.boxes, est.heatmaps.shape[-2:])
        median = median + pck(image_to_heatmap(image, est.affine), gt, seq.visible)
    return {
        "videos": videos,
        "keypoints": int(identity.counts.sum()),
        "mean_torso_px": float(identity.mean_threshold[0] / identity.alphas[0]),
        "identity": [100 * float(p) for p in identity.pck],
        "median5": [100 * float(p) for p in median.pck],
        "identity_per_group": {k: [100 * float(p) for p in v] for k, v in identity.merged().items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=DEFAULT.finetune.videos)
    args = parser.parse_args()
    speed = time_quick()
    calib = calibrate(args.videos)
    print(f"torch threads: {torch.get_num_threads()}")
    rate = speed["finetune_frames"] / speed["simulate_s"]
    print(f"quick preset: {speed['finetune_frames']} finetuning frames simulated in {speed['simulate_s']:.2f} s "
          f"({rate:.0f} frames/s); generate(QUICK) {speed['generate_s']:.2f} s")  # fmt: skip
    print(f"\ncalibration: {calib['videos']} default videos, {calib['keypoints']} keypoints, "
          f"mean torso {calib['mean_torso_px']:.1f} px (thesis ≈ 16.0)")  # fmt: skip
    print(f"{'':24s}{'PCK@0.05':>9s}{'PCK@0.1':>9s}{'PCK@0.2':>9s}")
    for name, row in (("thesis identity", THESIS), ("simulated identity", calib["identity"]),
                      ("5-frame median", calib["median5"])):  # fmt: skip
        print(f"{name:24s}" + "".join(f"{v:9.1f}" for v in row))
    print()
    for name, row in calib["identity_per_group"].items():
        print(f"  identity {name:14s}" + "".join(f"{v:9.1f}" for v in row))
    out = Path(__file__).parent / "out"
    out.mkdir(exist_ok=True)
    result = {"torch_threads": torch.get_num_threads(), "speed": speed, "calibration": calib, "thesis": THESIS}
    (out / "synthetic.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwrote {out / 'synthetic.json'}")


if __name__ == "__main__":
    np.set_printoptions(precision=1)
    main()
