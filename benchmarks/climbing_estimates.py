"""Cached BlazePose output on the SPEED21 clips: one track per clip and climber (side).

Running an estimator over the 6 tracks takes minutes (heavy ≈ 45 ms per frame on this CPU), so
each (variant, track) is estimated once and kept as ``<cache>/<variant>/<clip>_<side>.npz``
(written atomically; a finished file is never recomputed). ``tempose estimate`` stores do not
keep the regressed landmarks, which are BlazePose-heavy's pseudo ground truth here, hence this
cache of the full :class:`tempose.estimators.runner.EstimatedVideo`.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tempose.estimators import build_estimator
from tempose.estimators.runner import EstimatedVideo, run_video

SIDES = ("left", "right")
VARIANTS = ("lite", "full", "heavy")


@dataclass(frozen=True)
class Track:
    """One climber in one clip: the clip's video file and the half of the frame to look in."""

    clip: str
    side: str
    video: Path

    @property
    def name(self) -> str:
        return f"{self.clip}_{self.side}"


def speed21_tracks(shared: Path) -> list[Track]:
    """Both climbers of every clip in ``shared/data/speed21/videos`` (sorted by clip)."""
    videos = sorted((shared / "data" / "speed21" / "videos").glob("*.mp4"))
    return [Track(v.stem, side, v) for v in videos for side in SIDES]


def _save(path: Path, est: EstimatedVideo) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".npz", dir=path.parent)
    os.close(fd)
    np.savez(tmp, heatmaps=est.heatmaps.astype(np.float16), affine=est.affine, scores=est.scores,
             detected=est.detected, keypoints=est.keypoints, keypoint_scores=est.keypoint_scores,
             seconds=est.seconds, fps=est.fps, image_size=np.asarray(est.image_size))  # fmt: skip
    os.replace(tmp, path)


def load_estimate(path: Path, video: Path) -> EstimatedVideo:
    """Rebuild the :class:`EstimatedVideo` cached at ``path`` (heatmaps back to float32)."""
    with np.load(path) as z:
        return EstimatedVideo(
            name=path.stem, path=video, fps=float(z["fps"]), image_size=tuple(int(v) for v in z["image_size"]),
            heatmaps=z["heatmaps"].astype(np.float32), affine=z["affine"], scores=z["scores"],
            detected=z["detected"], keypoints=z["keypoints"], keypoint_scores=z["keypoint_scores"],
            seconds=float(z["seconds"]),
        )  # fmt: skip


def estimate_tracks(tracks: list[Track], variant: str, cache: Path, model_dir: Path,
                    log=print) -> dict[str, EstimatedVideo]:  # fmt: skip
    """BlazePose-``variant`` output for every track, from the cache or computed and cached."""
    out = {}
    estimators: dict[str, object] = {}
    for track in tracks:
        path = cache / variant / f"{track.name}.npz"
        if not path.is_file():
            if track.side not in estimators:
                estimators[track.side] = build_estimator(f"blazepose-{variant}", model_dir=model_dir, side=track.side)
            est = run_video(estimators[track.side], track.video, name=track.name)
            _save(path, est)
            log(f"estimated {variant:<5} {track.name}: {est.num_frames} frames, "
                f"{est.num_frames / est.seconds:.1f} frames/s, person in {est.detected.mean():.0%}")  # fmt: skip
        out[track.name] = load_estimate(path, track.video)
    return out
