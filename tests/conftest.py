"""Shared test helpers: the ../shared folder beside the repository (skip when absent)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

SHARED = (Path(__file__).resolve().parents[1] / ".." / "shared").resolve()


@pytest.fixture
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is absent (real data lives in ../shared beside the repository)")
    return SHARED


@pytest.fixture(autouse=True)
def _seed() -> None:
    """Every test starts from the same torch seed (numpy code takes explicit generators)."""
    torch.manual_seed(0)


def _poses(rng: np.random.Generator, frames: int) -> np.ndarray:
    """(T, 25, 2) image-pixel poses: a fixed body layout drifting and swaying smoothly."""
    base = rng.uniform([100, 100], [300, 500], size=(25, 2))
    base[[3, 4, 15, 16]] = [[150, 150], [250, 150], [160, 350], [240, 350]]  # torso ≈ 200 px
    t = np.arange(frames)[:, None, None]
    drift = np.stack([2.0 * np.sin(t[..., 0] / 7.0), 1.5 * t[..., 0]], -1)
    sway = 6.0 * np.sin(t / 5.0 + rng.uniform(0, 6, size=(1, 25, 1)))
    return base[None] + drift + sway


def write_keypoint_store(path: Path, videos: int = 6, frames: int = 30, seed: int = 0) -> Path:
    """A small ground-truth-only store (the pretraining kind) in the ClimbAlong keypoint set."""
    from tempose.data.store import VideoRecord, write_store

    rng = np.random.default_rng(seed)
    records = []
    for v in range(videos):
        kp = _poses(rng, frames)
        vis = np.ones((frames, 25), bool)
        records.append(VideoRecord(f"v{v}", "climbalong", 30.0, "test", keypoints=kp, visible=vis))
    return write_store(path, records)


def write_heatmap_store(path: Path, videos: int = 4, frames: int = 30, seed: int = 1, size: int = 56) -> Path:
    """A small finetuning store: ground truth plus noisy 'estimator' heatmaps in a person box."""
    from tempose.data.store import VideoRecord, write_store
    from tempose.heatmaps import box_to_affine, image_to_heatmap, render

    rng = np.random.default_rng(seed)
    records = []
    for v in range(videos):
        kp = _poses(rng, frames)
        boxes = np.concatenate([kp.min(1) - 20, kp.max(1) + 20], -1)
        affine = box_to_affine(boxes, (size, size), span="size")
        grid = image_to_heatmap(kp, affine, (size, size), clip=True) + rng.normal(0, 1.5, kp.shape)
        heatmaps = render(torch.tensor(grid), (size, size), sigma=1.5, scale=1.0).numpy()
        records.append(VideoRecord(f"clip{v}", "climbalong", 30.0, "test", keypoints=kp,
                                   visible=np.ones((frames, 25), bool), boxes=boxes, heatmaps=heatmaps,
                                   affine=affine))  # fmt: skip
    return write_store(path, records)
