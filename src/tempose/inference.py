"""Refine a whole sequence with any refiner: sliding windows, overlap averaging, online mode.

Window models see every stride-1 window of ``T`` frames; each frame's outputs from all windows
that contain it are averaged (heatmaps for heatmap refiners, coordinates for coordinate
refiners) before decoding. Sequences shorter than the window are padded by repeating their
first/last frame, so the first and last frames are always covered. Refiners without trainable
parameters (identity, classical filters) run once over the whole sequence.

``online=True`` is causal: frame t is refined from the window that *ends* at t (frames before
the start are the first frame repeated) and only that window's last output is kept, so the
latency is 0 frames at the cost of never seeing the future. A non-causal filter in online mode
is run on the frames up to t for every t.
"""

from __future__ import annotations

import numpy as np
import torch

from tempose.heatmaps import decode


def _is_windowed(model: torch.nn.Module) -> bool:
    return any(p.requires_grad for p in model.parameters())


def _window_index(num_frames: int, window: int, online: bool, step: int = 1) -> torch.Tensor:
    """(N, window) frame indices ``t, t+step, …``: one window per start (offline) or per end
    frame (online); indices outside the video are clamped (edge frames repeated)."""
    offsets = step * torch.arange(window)
    if online:
        index = torch.arange(num_frames)[:, None] + (offsets - offsets[-1])[None]
    else:
        index = torch.arange(max(num_frames - int(offsets[-1]), 1))[:, None] + offsets[None]
    return index.clamp(0, num_frames - 1)


@torch.inference_mode()
def refine_sequence(
    model: torch.nn.Module,
    inputs: torch.Tensor | np.ndarray,
    valid: torch.Tensor | np.ndarray | None = None,
    window: int = 5,
    decoder: str = "argmax",
    online: bool = False,
    batch_size: int = 64,
    step: int = 1,
    history: int | None = None,
) -> np.ndarray:
    """Refined keypoints ``(T, K, 2)`` (x, y heatmap pixels) for one sequence.

    Args:
        model: any registered refiner (``input_space`` "heatmaps" or "coords").
        inputs: ``(T, K, H, W)`` preprocessed heatmaps, or ``(T, K, 2)`` coordinates for a
            coordinate refiner (heatmaps given to a coordinate refiner are argmax-decoded first,
            the thesis protocol).
        valid: optional ``(T, K)`` bool, detected input keypoints (derived from non-empty
            heatmaps when omitted).
        window: the refiner's window length.
        decoder: heatmap decoder for heatmap refiners' outputs.
        online: causal mode (see the module docstring).
        step: frame step inside a window (2 = the thesis's half frame rate, experiments x.3); a
            whole-sequence filter then smooths each of the ``step`` interleaved phases alone.
        history: in online mode, how many past frames (including t) a non-causal filter sees
            (default: all; bounding it keeps long videos linear in time).
    """
    model.eval()
    if step > 1 and not _is_windowed(model):
        # a whole-sequence filter at 1/step of the frame rate (x.3): each phase is its own video
        out = np.empty((len(inputs), inputs.shape[1], 2), dtype=np.float32)  # (T, K, 2) keypoints
        for phase in range(step):
            phase_valid = None if valid is None else valid[phase::step]
            out[phase::step] = refine_sequence(model, inputs[phase::step], phase_valid, window=window, decoder=decoder,
                                               online=online, batch_size=batch_size, history=history)  # fmt: skip
        return out
    x = torch.as_tensor(inputs).float()
    device = next(iter(model.parameters()), torch.empty(0)).device
    if model.input_space == "coords" and x.dim() == 4:
        x, found = decode(x, "argmax")
        valid = found if valid is None else torch.as_tensor(valid) & found
    if valid is None:
        valid = (x.flatten(2).amax(-1) > 0) if x.dim() == 4 else torch.isfinite(x).all(-1)
    valid = torch.as_tensor(valid, dtype=torch.bool)
    num_frames = x.shape[0]

    def run(batch: torch.Tensor, batch_valid: torch.Tensor) -> torch.Tensor:
        batch, batch_valid = batch.to(device), batch_valid.to(device)
        out = model(batch, batch_valid) if model.input_space == "coords" else model(batch)
        return out.float().cpu()

    if not _is_windowed(model) and online and not model.causal:
        # a whole-sequence filter that looks ahead: frame t sees only frames ≤ t
        first = [0 if history is None else max(0, t - history + 1) for t in range(num_frames)]
        out = torch.stack([run(x[None, lo : t + 1], valid[None, lo : t + 1])[0, -1] for t, lo in enumerate(first)])
    elif not _is_windowed(model):
        out = run(x[None], valid[None])[0]
    else:
        index = _window_index(num_frames, window, online, step)
        total, weight = None, torch.zeros(num_frames)
        for start in range(0, index.shape[0], batch_size):
            idx = index[start : start + batch_size]
            pred = run(x[idx], valid[idx])
            if total is None:  # outputs may be coordinates of heatmap inputs (output_space "coords")
                total = torch.zeros(num_frames, *pred.shape[2:])
            if online:  # keep only the last frame of each window
                total[idx[:, -1]] += pred[:, -1]
                weight[idx[:, -1]] += 1
            else:
                flat = idx.reshape(-1)
                total.index_add_(0, flat, pred.reshape(-1, *pred.shape[2:]))
                weight.index_add_(0, flat, torch.ones(flat.numel()))
        out = total / weight.view(-1, *([1] * (total.dim() - 1)))
    if out.dim() == 4:
        out = decode(out, decoder)[0]
    return out.numpy()
