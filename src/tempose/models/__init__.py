"""Temporal refiners: one registry for learned models, the identity and classical filters.

Every refiner is an ``nn.Module`` with two class attributes:

* ``input_space``: ``"heatmaps"`` — ``forward(x)`` takes ``(B, T, K, H, W)`` and returns the same
  shape — or ``"coords"`` — ``forward(xy, valid=None)`` takes ``(B, T, K, 2)`` (x, y) heatmap pixels
  and an optional ``(B, T, K)`` bool mask of detected keypoints, and returns ``(B, T, K, 2)``.
* ``causal``: True when frame t's output depends only on frames ≤ t.

:func:`predict_keypoints` turns any refiner's output into (x, y) heatmap-pixel keypoints.
Build refiners by name with :func:`build_model`; list them with :func:`available_models`.
"""

from __future__ import annotations

from tempose.registry import Registry

MODELS = Registry("model", entry_point_group="tempose.models")


def build_model(name: str, **config):
    """Instantiate a registered refiner; ``config`` holds its keyword hyperparameters."""
    return MODELS.build(name, **config)


def available_models() -> list[str]:
    return MODELS.available()
