from conftest import write_heatmap_store, write_keypoint_store
from tempose.cli import main


def test_grid_runs_skips_finished_and_finetunes(tmp_path, capsys):
    kp = write_keypoint_store(tmp_path / "kp.h5", videos=5, frames=16)
    hm = write_heatmap_store(tmp_path / "hm.h5", videos=5, frames=16, size=24)
    flags = ["--models", "conv3d", "--experiments", "1.1,1.3", "--max-epochs", "1", "--limit-windows", "8",
             "--num-workers", "0", "--set", "data.heatmap_size=[24,24]", "--limit-eval-windows", "8"]  # fmt: skip
    assert main(["grid", "--stage", "pretrain", "--data", str(kp), "--out", str(tmp_path / "g"), *flags]) == 0
    assert sorted(p.name for p in (tmp_path / "g").iterdir()) == ["pretrain_conv3d_1.1", "pretrain_conv3d_1.3"]
    stamp = (tmp_path / "g" / "pretrain_conv3d_1.1" / "test.json").stat().st_mtime_ns
    assert main(["grid", "--stage", "pretrain", "--data", str(kp), "--out", str(tmp_path / "g"), *flags]) == 0
    assert (tmp_path / "g" / "pretrain_conv3d_1.1" / "test.json").stat().st_mtime_ns == stamp  # skipped
    assert "2 of 2 runs finished" in capsys.readouterr().out
    assert main(["grid", "--stage", "finetune", "--data", str(hm), "--out", str(tmp_path / "g"), *flags]) == 0
    assert (tmp_path / "g" / "finetune_conv3d_1.3" / "test.json").exists()
