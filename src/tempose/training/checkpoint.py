"""Self-describing checkpoints: load a trained refiner from a run folder or a ``.ckpt`` file.

A tempose checkpoint is a Lightning checkpoint whose ``"tempose"`` entry says how to rebuild the
refiner (registry name and hyperparameters, keypoint set, heatmap size, window). Loading uses
``torch.load(weights_only=True)``: no arbitrary objects are ever unpickled.

Small pretrained checkpoints ship inside the package (``tempose/weights/<name>.pt``, listed by
``tempose list weights``); wherever a checkpoint is asked for, such a name works too.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import torch

from tempose.errors import InputError
from tempose.models import build_model

META_KEY = "tempose"


def shipped_weights() -> dict[str, Path]:
    """Name → file of every checkpoint shipped in the package (``tempose/weights/*.pt``)."""
    folder = resources.files("tempose") / "weights"
    if not folder.is_dir():
        return {}
    return {Path(f.name).stem: Path(str(f)) for f in folder.iterdir() if f.name.endswith(".pt")}


def resolve_checkpoint(path: str | Path) -> Path:
    """A run folder means its ``best.ckpt``; a file is taken as is; a name that is neither but
    names a shipped checkpoint (:func:`shipped_weights`) means that file."""
    path = Path(path)
    if path.is_dir():
        path = path / "best.ckpt"
    if path.is_file():
        return path
    shipped = shipped_weights()
    if str(path) in shipped:
        return shipped[str(path)]
    names = ", ".join(sorted(shipped)) or "none"
    raise InputError(f"no such checkpoint (give a run folder with best.ckpt, a .ckpt file or a shipped name: "
                     f"{names})", path)  # fmt: skip


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    path = resolve_checkpoint(path)
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # corrupt file, pickled objects, wrong format
        reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        raise InputError(f"cannot load checkpoint safely ({reason})", path) from None
    if not isinstance(ckpt, dict) or META_KEY not in ckpt or "state_dict" not in ckpt:
        raise InputError("not a tempose checkpoint (no 'tempose' metadata)", path)
    return ckpt


def load_refiner(path: str | Path) -> tuple[torch.nn.Module, dict[str, Any]]:
    """Rebuild a trained refiner; returns ``(model in eval mode, meta)``.

    ``meta`` holds ``model_name``, ``model_params``, ``num_keypoints``, ``window``,
    ``heatmap_size``, ``keypoint_set``, ``stage``, ``decoder`` and ``checkpoint`` (the file).
    """
    ckpt = read_checkpoint(path)
    meta = dict(ckpt[META_KEY])
    model = build_model(
        meta["model_name"],
        num_keypoints=meta["num_keypoints"],
        window=meta["window"],
        heatmap_size=tuple(meta["heatmap_size"]),
        **meta.get("model_params", {}),
    )
    load_weights(model, ckpt, path)
    model.eval()
    meta["checkpoint"] = str(resolve_checkpoint(path))
    meta["heatmap_size"] = tuple(meta["heatmap_size"])
    return model, meta


def load_weights(model: torch.nn.Module, ckpt: dict[str, Any], path: str | Path) -> None:
    """Copy a checkpoint's refiner weights into ``model``; a checkpoint whose weights do not fit
    (made by another version of the model, or with other hyperparameters) is an :class:`InputError`
    that names what differs."""
    prefix = "model."
    state = {k[len(prefix) :]: v for k, v in ckpt["state_dict"].items() if k.startswith(prefix)}
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        first = " ".join(str(exc).split("\n\t")[1:2])[:300]
        name = ckpt[META_KEY].get("model_name", "?")
        raise InputError(f"its weights do not fit model {name!r} as built from its hyperparameters ({first})",
                         resolve_checkpoint(path)) from None  # fmt: skip
