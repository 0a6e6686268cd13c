import numpy as np
import pytest

from tempose.data.splits import SplitPlan, split
from tempose.data.store import Store, VideoRecord, write_store
from tempose.errors import InputError

SMALL = {(0, "a"): 20, (0, "b"): 12, (0, "c"): 30, (0, "d"): 14}


def _many(seed: int = 3, videos: int = 40, stores: int = 2) -> dict:
    rng = np.random.default_rng(seed)
    return {(s, f"v{i:02d}"): int(n) for s in range(stores) for i, n in enumerate(rng.integers(8, 90, videos))}


def _pairs(windows) -> set:
    return {(v, f) for v, row in zip(windows.video.tolist(), windows.frames.tolist(), strict=True) for f in row}


def _no_overlap_within(windows) -> bool:
    frames = [(windows.videos[v], f) for v, row in zip(windows.video.tolist(), windows.frames.tolist(),
                                                        strict=True) for f in row]
    return len(frames) == len(set(frames))


@pytest.mark.parametrize("step", [1, 2])
def test_video_protocol_never_shares_a_frame_between_sets(step):
    plan = split(_many(), protocol="video", length=5, step=step, seed=7)
    frames = {k: plan.sets[k].frame_set() for k in ("train", "val", "test")}
    assert not frames["test"] & frames["train"]
    assert not frames["val"] & frames["train"] and not frames["val"] & frames["test"]
    assert not {k for k in plan.videos("train")} & set(plan.videos("test"))
    assert _no_overlap_within(plan.sets["val"]) and _no_overlap_within(plan.sets["test"])


def test_video_protocol_sizes_are_60_20_20_within_one_video_per_store():
    lengths = _many()
    plan = split(lengths, seed=11)
    for store in (0, 1):
        total = sum(n for k, n in lengths.items() if k[0] == store)
        longest = max(n for k, n in lengths.items() if k[0] == store)
        for name, share in (("train", 0.6), ("val", 0.2), ("test", 0.2)):
            got = sum(lengths[k] for k in plan.videos(name) if k[0] == store)
            assert abs(got - share * total) <= longest, (store, name)


def test_video_protocol_is_seeded():
    a, b, c = (split(_many(), seed=s) for s in (5, 5, 6))
    assert a.videos("test") == b.videos("test") and a.videos("test") != c.videos("test")


def test_thesis_pretraining_cuts_the_window_list_contiguously():
    plan = split(SMALL, protocol="thesis", stage="pretrain", seed=0)
    # seeded clip order c, a, b, d → 26 + 16 + 8 + 10 = 60 windows; cuts at 36 and 48
    assert [len(plan.sets[k]) for k in ("train", "val", "test")] == [36, 12, 12]
    assert plan.videos("train") == [(0, "c"), (0, "a")]
    assert plan.sets["train"][35].frames[0] == 9 and plan.sets["val"][0].frames[0] == 10
    assert plan.videos("test") == [(0, "b"), (0, "d")]
    assert "holdout" not in plan.sets


def test_thesis_finetuning_follows_the_five_steps_by_hand():
    plan = split(SMALL, protocol="thesis", stage="finetune", seed=0)
    # 1: c is the longest → holdout, all 26 of its windows
    assert plan.videos("holdout") == [(0, "c")] and len(plan.sets["holdout"]) == 26
    # 2: order d (10 windows), a (16), b (8): the first round(0.4·34) = 14 are eval (d 0-9, a 0-3)
    # 3: a 0-3 share frames with training window a 4 → train: a 0-15, b 0-7
    assert plan.videos("train") == [(0, "a"), (0, "b")] and len(plan.sets["train"]) == 24
    # 4: every 5th eval window: d 0, d 5;  5: even → test, odd → validation
    assert [r.frames for r in plan.sets["test"]] == [(0, 1, 2, 3, 4)]
    assert [r.frames for r in plan.sets["val"]] == [(5, 6, 7, 8, 9)]


def test_thesis_finetuning_eval_sets_never_overlap_or_touch_training():
    plan = split(_many(videos=12, stores=1), protocol="thesis", stage="finetune", seed=2)
    train = plan.sets["train"].frame_set()
    for name in ("val", "test"):
        assert _no_overlap_within(plan.sets[name])
        assert not plan.sets[name].frame_set() & train
    assert not plan.sets["val"].frame_set() & plan.sets["test"].frame_set()


def test_split_plan_json_round_trip_rebuilds_the_exact_sets(tmp_path):
    plan = split(_many(), protocol="thesis", stage="finetune", seed=4, step=2)
    back = SplitPlan.load(plan.save(tmp_path / "run" / "split.json"))
    assert back.protocol == "thesis" and back.stage == "finetune" and back.seed == 4
    for name, windows in plan.sets.items():
        assert back.sets[name].videos == windows.videos
        assert np.array_equal(back.sets[name].frames, windows.frames)
        assert np.array_equal(back.sets[name].video, windows.video)


def test_split_from_stores_and_check(tmp_path):
    for name, n in (("s0.h5", 30), ("s1.h5", 12)):
        write_store(tmp_path / name, [VideoRecord(f"v{i}", "coco17", keypoints=np.zeros((n + i, 17, 2)),
                                                  visible=np.ones((n + i, 17), bool)) for i in range(5)])
    stores = [Store(tmp_path / "s0.h5"), Store(tmp_path / "s1.h5")]
    plan = split(stores, seed=0)
    assert plan.stores == [str(s.path) for s in stores]
    plan.check(stores)
    with pytest.raises(InputError, match="not found"):
        plan.check(stores[:1])


def test_bad_arguments_raise_input_errors(tmp_path):
    with pytest.raises(InputError, match="unknown split protocol"):
        split(SMALL, protocol="random")
    with pytest.raises(InputError, match="fractions"):
        split(SMALL, fractions=(0.5, 0.2, 0.2))
    (tmp_path / "bad.json").write_text('{"format": "something"}')
    with pytest.raises(InputError, match="bad.json"):
        SplitPlan.load(tmp_path / "bad.json")
