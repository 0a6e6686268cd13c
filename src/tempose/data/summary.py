"""What a store holds: videos, frames, fps, sources, heatmaps and keypoint coverage."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from tempose.data.store import Store
from tempose.keypoints import get_keypoint_set


@dataclass
class StoreSummary:
    """Counts over a store; ``coverage[set][keypoint]`` is the fraction of frames in which the
    keypoint is annotated, and annotated and not occluded."""

    videos: int = 0
    frames: int = 0
    fps: Counter = field(default_factory=Counter)
    sources: Counter = field(default_factory=Counter)
    actions: Counter = field(default_factory=Counter)
    heatmap_videos: int = 0
    heatmap_sizes: Counter = field(default_factory=Counter)
    coverage: dict[str, dict[str, tuple[float, float]]] = field(default_factory=dict)
    per_video: list[tuple[str, int, float, str, str, bool]] = field(default_factory=list)


def summarize(store: Store) -> StoreSummary:
    """Read every video's metadata and visibility flags once and count."""
    out = StoreSummary()
    counts: dict[str, np.ndarray] = {}  # keypoint set → (2, K) annotated / visible frame counts
    frames_with_keypoints: Counter = Counter()
    for name in store.names:
        meta, t = store.meta(name), store.num_frames(name)
        fps, source, kset = float(meta.get("fps", 30.0)), str(meta.get("source", "")), str(meta["keypoint_set"])
        out.videos += 1
        out.frames += t
        out.fps[round(fps, 3)] += 1
        out.sources[source] += 1
        if "action" in meta:
            out.actions[str(meta["action"])] += 1
        has_heatmaps = store.has(name, "heatmaps")
        if has_heatmaps:
            out.heatmap_videos += 1
            out.heatmap_sizes["x".join(str(n) for n in store.heatmaps(name).shape[-2:])] += 1
        visible = store.array(name, "visible")
        if visible is not None:
            occluded = store.array(name, "occluded")
            seen = visible if occluded is None else visible & ~occluded
            c = np.stack([visible.sum(axis=0), seen.sum(axis=0)])
            counts[kset] = c if kset not in counts else counts[kset] + c
            frames_with_keypoints[kset] += t
        out.per_video.append((name, t, fps, source, kset, has_heatmaps))
    for kset, c in counts.items():
        total = max(frames_with_keypoints[kset], 1)
        names = get_keypoint_set(kset).names
        out.coverage[kset] = {k: (a / total, v / total) for k, a, v in zip(names, *c.tolist(), strict=True)}
    return out


def format_summary(path: object, s: StoreSummary, per_video: bool = False) -> str:
    """The text ``tempose data info`` prints."""
    fps = ", ".join(f"{f:g} ({n})" for f, n in sorted(s.fps.items()))
    lines = [f"store: {path}", f"videos: {s.videos}", f"frames: {s.frames}", f"fps: {fps or '-'}",
             "sources: " + (", ".join(f"{k or '?'} ({n})" for k, n in sorted(s.sources.items())) or "-")]
    if s.actions:
        lines.append("actions: " + ", ".join(f"{k} ({n})" for k, n in sorted(s.actions.items())))
    sizes = ", ".join(f"{k} ({n})" for k, n in sorted(s.heatmap_sizes.items()))
    lines.append(f"estimator heatmaps: {s.heatmap_videos} videos" + (f", {sizes}" if sizes else ""))
    for name, cov in s.coverage.items():
        lines.append(f"keypoint coverage ({name}): annotated, visible (not occluded) fraction of frames")
        lines += [f"  {k:<18} {a:6.1%} {v:6.1%}" for k, (a, v) in cov.items()]
    if per_video:
        lines.append("videos (name, frames, fps, source, keypoint set, heatmaps):")
        lines += [f"  {n}\t{t}\t{f:g}\t{src}\t{ks}\t{'yes' if hm else 'no'}" for n, t, f, src, ks, hm in s.per_video]
    return "\n".join(lines)
