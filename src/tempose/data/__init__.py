"""Data: the sequence store, dataset readers, pretraining/finetuning samples, windows and splits.

Public API (see docs/data.md), imported lazily so that ``tempose data`` commands start fast::

    Store, VideoRecord, write_store          the HDF5 sequence store (docs/store.md)
    FORMATS                                  dataset readers by name (penn-action, brace, climbalong)
    make_windows, Windows, WindowRef         windows of frames inside a video
    split, SplitPlan                         seeded, leak-free (or thesis) train/val/test splits
    EXPERIMENTS, Experiment, get_experiment  the thesis's experiments 1.1 … 2.3
    PretrainDataset, FinetuneDataset         window samples as dicts of tensors
"""

from importlib import import_module

_EXPORTS = {
    "FinetuneDataset": "datasets", "PretrainDataset": "datasets", "FORMATS": "readers",
    "EXPERIMENTS": "samples", "NOISE_STD": "samples", "Experiment": "samples", "get_experiment": "samples",
    "SplitPlan": "splits", "split": "splits", "Store": "store", "VideoRecord": "store", "write_store": "store",
    "WindowRef": "windows", "Windows": "windows", "make_windows": "windows",
}  # fmt: skip
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'tempose.data' has no attribute {name!r}")
    return getattr(import_module(f"tempose.data.{_EXPORTS[name]}"), name)
