"""`tempose estimate` / `tempose infer` / `tempose estimators` end to end on a synthetic video whose
"estimator" is the precomputed one (heatmaps rendered at known keypoints), so every number is known."""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest
import torch

from tempose.cli import main
from tempose.data.store import Store, VideoRecord, write_store
from tempose.estimators import build_estimator
from tempose.estimators.refine import refine_video, resample_heatmaps
from tempose.estimators.runner import run_video
from tempose.heatmaps import apply_affine, box_to_affine, render
from tempose.models import build_model
from tempose.video import read_frames, write_video

T, SIZE, MISSING = 8, (16, 16), 3  # frames, heatmap size, the frame without a person


def _keypoints() -> np.ndarray:
    rng = np.random.default_rng(0)
    base = rng.integers(3, 12, size=(25, 2)).astype(float)
    return base[None] + np.stack([np.arange(T) % 2, np.zeros(T)], -1)[:, None]  # x jitters by 1 cell


def _world(tmp_path, names=("clip",)):
    """Videos (64×48) and a store with 16×16 heatmaps for them; the box spans x 8..40, y 0..48."""
    xy = _keypoints()
    heatmaps = render(torch.from_numpy(xy), SIZE).numpy()
    affine = np.broadcast_to(box_to_affine(np.array([8.0, 0, 40, 48]), SIZE), (T, 2, 3)).astype(np.float32)
    scores = np.ones(T, np.float32)
    scores[MISSING] = 0
    records, videos = [], []
    for name in names:
        records.append(VideoRecord(name, "climbalong", fps=10, heatmaps=heatmaps, affine=affine, scores=scores))
        videos.append(write_video(tmp_path / f"{name}.mp4", [np.full((48, 64, 3), 90, np.uint8)] * T, fps=10))
    store = write_store(tmp_path / "source.h5", records)
    return videos, store, xy, affine[0]


def test_estimate_writes_store_with_detected_and_resumes(tmp_path, capsys):
    (a, b), source, xy, affine = _world(tmp_path, ("a", "b"))
    out = tmp_path / "est.h5"
    common = ["--estimator", "precomputed", "--heatmaps", str(source), "--out", str(out), "--quiet"]
    assert main(["estimate", str(a), *common]) == 0
    with h5py.File(out) as f:
        g = f["videos/a"]
        assert f.attrs["estimator"] == "precomputed" and list(g.attrs["image_size"]) == [64, 48]
        np.testing.assert_array_equal(g["detected"][()], np.arange(T) != MISSING)
        np.testing.assert_array_equal(g["scores"][()], (np.arange(T) != MISSING).astype(np.float32))
        assert g["heatmaps"].shape == (T, 25, *SIZE) and not g["heatmaps"][MISSING].any()
        np.testing.assert_allclose(g["affine"][0], affine)
        np.testing.assert_allclose(g["affine"][MISSING], [[4, 0, 0], [0, 3, 0]])  # whole 64×48 frame
    assert main(["estimate", str(a), str(b), *common]) == 0
    assert "a: already estimated, skipped" in capsys.readouterr().err
    assert Store(out).names == ["a", "b"] and not (tmp_path / "est.h5.parts").exists()
    assert main(["estimate", str(a), "--estimator", "blazepose-lite", "--out", str(out), "--quiet"]) == 2
    assert "holds estimator 'precomputed'" in capsys.readouterr().err
    replay = tmp_path / "replay.json"  # the written store replays through its `detected` flags
    assert main(["infer", str(b), "--model", "identity", "--estimator", "precomputed", "--heatmaps", str(out),
                 "--out", str(replay), "--quiet"]) == 0  # fmt: skip
    frames = json.loads(replay.read_text())["frames"]
    assert [f["raw"] is None for f in frames] == list(np.arange(T) == MISSING)


def test_estimate_interrupted_keeps_finished_videos(tmp_path, monkeypatch, capsys):
    (a, b), source, _, _ = _world(tmp_path, ("a", "b"))
    out = tmp_path / "est.h5"
    args = ["estimate", str(a), str(b), "--estimator", "precomputed", "--heatmaps", str(source),
            "--out", str(out), "--quiet"]  # fmt: skip
    import tempose.cli.estimate as cli_estimate

    def stop_at_b(estimator, path, name=None, *rest):
        if name == "b":
            raise KeyboardInterrupt
        return run_video(estimator, path, name, *rest)

    monkeypatch.setattr(cli_estimate, "run_video", stop_at_b)
    assert main(args) == 130
    assert not out.exists() and (tmp_path / "est.h5.parts" / "a.h5").is_file()
    monkeypatch.undo()
    assert main(args) == 0
    assert "a: already estimated, skipped" in capsys.readouterr().err
    assert Store(out).names == ["a", "b"]


def test_infer_identity_reproduces_raw_and_marks_missing(tmp_path):
    (video,), source, xy, affine = _world(tmp_path)
    out = tmp_path / "k.json"
    rc = main(["infer", str(video), "--model", "identity", "--estimator", "precomputed", "--heatmaps", str(source),
               "--out", str(out), "--csv", "--overlay", str(tmp_path / "o.mp4"), "--quiet"])  # fmt: skip
    assert rc == 0
    doc = json.loads(out.read_text())
    assert (doc["estimator"], doc["refiner"], doc["mode"], doc["fps"]) == ("precomputed", "identity", "offline", 10)
    assert doc["latency_frames"] == 0 and len(doc["keypoint_names"]) == 25 and len(doc["frames"]) == T
    assert doc["frames"][MISSING] == {"index": MISSING, "raw": None, "refined": None}
    expected = apply_affine(affine, xy[0])  # cell (u, v) ↦ (8 + 2u, 3v)
    np.testing.assert_allclose(np.array(doc["frames"][0]["raw"])[:, :2], expected)
    np.testing.assert_allclose(np.array(doc["frames"][0]["refined"]), expected)
    assert len((tmp_path / "k.csv").read_text().splitlines()) == 1 + 25 * T
    assert len(list(read_frames(tmp_path / "o.mp4"))) == T
    assert main(["infer", str(video), "--model", "identity", "--estimator", "precomputed",
                 "--heatmaps", str(source), "--out", str(out), "--quiet"]) == 2  # fmt: skip


def test_online_filter_is_causal_and_offline_smooths(tmp_path):
    (video,), source, xy, _ = _world(tmp_path)
    est = build_estimator("precomputed", store=source)
    clip = run_video(est, video)
    savgol = build_model("savgol", window_size=5, polyorder=1)
    online = refine_video(clip, savgol, online=True)
    assert online.latency_frames == 0 and np.isnan(online.refined[MISSING]).all()
    changed = run_video(est, video)
    changed.heatmaps[6:] = np.roll(changed.heatmaps[6:], 2, axis=-1)  # only the future changes
    np.testing.assert_allclose(refine_video(changed, savgol, online=True).refined[:6], online.refined[:6])
    offline = refine_video(clip, savgol)
    assert offline.latency_frames is None
    jitter = lambda r: np.nanmean(np.abs(np.diff(r[:MISSING, :, 0], 2, axis=0)))  # noqa: E731
    assert jitter(offline.refined) < 0.5 * jitter(offline.raw)  # x alternates by one cell = 2 px


def test_checkpoint_heatmap_size_must_match_or_be_resampled(tmp_path, capsys):
    from tempose.training.checkpoint import META_KEY

    (video,), source, _, _ = _world(tmp_path)
    ckpt = tmp_path / "id.ckpt"
    meta = {"model_name": "identity", "num_keypoints": 25, "window": 5, "heatmap_size": [12, 12],
            "keypoint_set": "climbalong", "model_params": {}}  # fmt: skip
    torch.save({META_KEY: meta, "state_dict": {}}, ckpt)
    args = ["infer", str(video), "--checkpoint", str(ckpt), "--estimator", "precomputed", "--heatmaps", str(source),
            "--out", str(tmp_path / "k.json"), "--quiet"]  # fmt: skip
    assert main(args) == 2
    assert "16×16 but the model expects 12×12; pass --resample-heatmaps" in capsys.readouterr().err
    assert main([*args, "--resample-heatmaps"]) == 0


def test_model_options_reach_the_filter(tmp_path, capsys):
    (video,), source, _, _ = _world(tmp_path)
    args = ["infer", str(video), "--model", "savgol", "--estimator", "precomputed", "--heatmaps", str(source),
            "--out", str(tmp_path / "k.json"), "--quiet"]  # fmt: skip
    assert main([*args, "--model-option", "window_size=4"]) == 2
    assert "error: model 'savgol': savgol needs an odd window_size" in capsys.readouterr().err
    assert main([*args, "--model-option", "window_size=3", "--model-option", "polyorder=1"]) == 0


def test_resample_keeps_cells_on_the_same_image_points():
    hm = np.zeros((1, 1, 16, 16), np.float32)
    hm[0, 0, 4:6, 8:10] = 1.0
    affine = box_to_affine(np.array([[8.0, 0, 40, 48]]), (16, 16)).astype(np.float32)
    small, new = resample_heatmaps(hm, affine, (8, 8))
    assert small.shape == (1, 1, 8, 8) and small[0, 0].argmax() == 2 * 8 + 4  # row 2, col 4
    cells = np.array([[0.0, 0.0], [4.0, 2.0], [7.0, 7.0]])
    old_cells = (cells + 0.5) * 2 - 0.5
    np.testing.assert_allclose(apply_affine(new[0], cells), apply_affine(affine[0], old_cells), atol=1e-5)


def test_no_person_anywhere_is_a_clear_error(tmp_path, capsys):
    (video,), _, _, _ = _world(tmp_path)
    empty = write_store(tmp_path / "empty.h5", [VideoRecord(
        "clip", "climbalong", heatmaps=np.zeros((T, 25, *SIZE), np.float32),
        affine=np.zeros((T, 2, 3), np.float32), scores=np.zeros(T, np.float32))])  # fmt: skip
    rc = main(["infer", str(video), "--model", "identity", "--estimator", "precomputed", "--heatmaps", str(empty),
               "--out", str(tmp_path / "k.json"), "--quiet"])  # fmt: skip
    assert rc == 2 and "no person found in any of 8 frames" in capsys.readouterr().err
    assert not (tmp_path / "k.json").exists()


def test_estimators_command_lists_builtins(capsys):
    assert main(["estimators"]) == 0
    out = capsys.readouterr().out
    for name in ("blazepose-lite", "blazepose-full", "blazepose-heavy", "keypoint-rcnn", "precomputed"):
        assert name in out


def test_side_metadata_and_bad_video(tmp_path, capsys):
    (video,), source, _, _ = _world(tmp_path)
    meta = tmp_path / "metadata.txt"
    meta.write_text("other;1;2018-07-06;1;URL;1.0;2.0;1.0;25;1;r;25\n")
    args = ["--estimator", "blazepose-lite", "--side-from", str(meta), "--out", str(tmp_path / "s.h5"), "--quiet"]
    assert main(["estimate", str(video), *args]) == 2
    assert "no row for 'clip' in the side metadata" in capsys.readouterr().err
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00" * 100)
    assert main(["estimate", str(bad), "--estimator", "precomputed", "--heatmaps", str(source),
                 "--out", str(tmp_path / "t.h5"), "--quiet"]) == 2  # fmt: skip
    assert "bad.mp4: cannot open video" in capsys.readouterr().err


@pytest.mark.parametrize("decoder", ["argmax", "subpixel"])
def test_raw_keypoints_follow_the_decoder(tmp_path, decoder):
    (video,), source, xy, affine = _world(tmp_path)
    clip = run_video(build_estimator("precomputed", store=source), video)
    tracks = refine_video(clip, build_model("identity"), decoder=decoder)
    np.testing.assert_allclose(tracks.raw[0, :, :2], apply_affine(affine, xy[0]), atol=1e-3)
    assert tracks.raw[0, :, 2].max() == pytest.approx(clip.heatmaps[0].max(axis=(-2, -1)).max())
