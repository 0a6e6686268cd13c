"""Temporal refiners: one registry for learned models, the identity and classical filters.

Every refiner is an ``nn.Module`` with two class attributes:

* ``input_space``: ``"heatmaps"`` — ``forward(x)`` takes ``(B, T, K, H, W)`` and returns the same
  shape — or ``"coords"`` — ``forward(xy, valid=None)`` takes ``(B, T, K, 2)`` (x, y) heatmap pixels
  and an optional ``(B, T, K)`` bool mask of detected keypoints, and returns ``(B, T, K, 2)``.
* ``causal``: True when frame t's output depends only on frames ≤ t.

Every registered factory accepts ``num_keypoints=25, window=5, heatmap_size=(56, 56)`` plus its own
hyperparameters. :func:`predict_keypoints` turns any refiner's output into (x, y) heatmap-pixel
keypoints. Build refiners by name with :func:`build_model`; list them with :func:`available_models`.
See ``docs/models.md`` for the registered names, their parameters and speed.
"""

from __future__ import annotations

import torch
from torch import nn

from tempose.heatmaps import decode
from tempose.registry import Registry

MODELS = Registry("model", entry_point_group="tempose.models")


def build_model(name: str, **config) -> nn.Module:
    """Instantiate a registered refiner; ``config`` holds its keyword hyperparameters."""
    return MODELS.build(name, **config)


def available_models() -> list[str]:
    return MODELS.available()


def param_count(model: nn.Module, trainable_only: bool = False) -> int:
    """Number of parameters (all of them, or only those requiring gradients)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def output_space(model: nn.Module) -> str:
    """What ``forward`` returns: ``"coords"`` ((B, T, K, 2)) or ``"heatmaps"``.

    Defaults to ``input_space``; a heatmap refiner that regresses coordinates sets the class
    attribute ``output_space = "coords"``.
    """
    return getattr(model, "output_space", model.input_space)


def predict_keypoints(
    model: nn.Module, x: torch.Tensor, valid: torch.Tensor | None = None, decoder: str = "argmax"
) -> torch.Tensor:
    """Keypoints ``(B, T, K, 2)`` as (x, y) heatmap pixels from any refiner, without gradients.

    Heatmap refiners get heatmaps ``(B, T, K, H, W)`` and their output is decoded with
    :func:`tempose.heatmaps.decode` (``decoder``). Coordinate refiners accept heatmaps — decoded
    with integer argmax first, as the thesis did for DeciWatch, the decoder's ``found`` serving as
    ``valid`` unless one is given — or coordinates ``(B, T, K, 2)`` directly. The model's
    train/eval mode is left as it is: call ``model.eval()`` first for inference.
    """
    with torch.inference_mode():
        if model.input_space == "heatmaps":
            out = model(x)
            return out if output_space(model) == "coords" else decode(out, method=decoder)[0]
        if x.dim() == 5:
            x, found = decode(x, method="argmax")
            valid = found if valid is None else valid
        return model(x, valid=valid)


# Family modules register their factories in MODELS on import (keep these last).
from tempose.models import conv3d, convlstm, deciwatch, filters, identity, tempose_net  # noqa: E402, F401
