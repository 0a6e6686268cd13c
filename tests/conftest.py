"""Shared test helpers: the ../shared folder beside the repository (skip when absent)."""

from __future__ import annotations

from pathlib import Path

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
