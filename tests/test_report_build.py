"""`tempose report` on tiny synthetic run folders: every table and figure, numbers, bold, notes."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
import torch
import yaml

from tempose.cli import main
from tempose.report import make_report
from tempose.report.fmt import format_value

KP = ("Nose", "Shoulder", "Pinky")
ALPHAS = ("0.05", "0.1", "0.2")
IDENT_1 = (0.0695, 0.257, 0.674)  # pretraining identity, experiments 1.x
IDENT_2 = (0.0184, 0.0775, 0.293)  # pretraining identity, experiments 2.x
IDENT_FT = (0.194, 0.661, 0.852)  # finetuning identity (test) and held-out video below
IDENT_HO = (0.212, 0.655, 0.847)
THRESH = (1.11, 2.23, 4.46)


def _block(model_pck, ident_pck, kp_shift=0.0):
    def summary(pck):
        return {
            "pck": dict(zip(ALPHAS, pck, strict=True)),
            "pck_ci95": {a: [p - 0.01, p + 0.01] for a, p in zip(ALPHAS, pck, strict=True)},
            "mean_threshold_px": dict(zip(ALPHAS, THRESH, strict=True)),
            "per_keypoint": {
                "Nose": {a: p + kp_shift for a, p in zip(ALPHAS, pck, strict=True)},
                "Shoulder": {a: p - kp_shift for a, p in zip(ALPHAS, pck, strict=True)},
                "Pinky": {a: float("nan") for a in ALPHAS},
            },
            "keypoints_evaluated": 1000,
            "frames_evaluated": 100,
            "accel_error_px": 0.4,
            "accel_frames": 90,
        }

    return {"counts": {"videos": 3, "windows": 20, "frames": 60}, "model": summary(model_pck),
            "identity": summary(ident_pck), "seconds": 1.0}  # fmt: skip


def _write_run(root: Path, name: str, stage: str, model: str, experiment: str, test=None, holdout=None,
               curves=True, ckpt=False) -> Path:  # fmt: skip
    run = root / name
    run.mkdir(parents=True)
    cfg = {"stage": stage, "model": {"name": model, "params": {}}, "data": {"experiment": experiment}}
    (run / "config.yaml").write_text(yaml.safe_dump(cfg))
    if curves:
        lrs = [1e-3, 1e-3, 1e-3, 1e-4, 1e-4]
        with (run / "metrics.csv").open("w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["epoch", "train_loss", "val_loss", "val_pck@0.05", "val_pck@0.1", "val_pck@0.2",
                        "val_identity_pck@0.05", "val_identity_pck@0.1", "val_identity_pck@0.2", "lr",
                        "epoch_seconds"])  # fmt: skip
            for e, lr in enumerate(lrs):
                w.writerow([e, "" if e == 0 else 2.0 / e, 1.5 / (e + 1), 0.1 * e, 0.2, 0.3, 0.07, 0.25, 0.6, lr, 1.0])
        (run / "best.json").write_text(json.dumps({"epoch": 3, "metric": "val/pck@0.2", "value": 0.3}))
    if test is not None:
        doc = {"model": {"name": model, "stage": stage, "experiment": experiment},
               "protocol": {"pck_pooling": "PCK pools hit/count totals (test)"}, "test": test}  # fmt: skip
        if holdout is not None:
            doc["holdout"] = holdout
        (run / "test.json").write_text(json.dumps(doc))
    if ckpt:
        from tempose.models import build_model

        meta = {"model_name": model, "model_params": {}, "num_keypoints": 25, "window": 5, "heatmap_size": [16, 16],
                "keypoint_set": "climbalong", "decoder": "argmax", "stage": stage, "version": 1}  # fmt: skip
        net = build_model(model, num_keypoints=25, window=5, heatmap_size=(16, 16))
        torch.save({"state_dict": {"model." + k: v for k, v in net.state_dict().items()}, "tempose": meta},
                   run / "best.ckpt")  # fmt: skip
    return run


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> tuple[Path, dict, list[Path]]:
    root = tmp_path_factory.mktemp("runs")
    runs = [
        _write_run(root, "c3d_1.1", "pretrain", "conv3d", "1.1", _block((0.0184, 0.306, 0.96640), IDENT_1, 0.01),
                   ckpt=True),
        _write_run(root, "c3d_1.2", "pretrain", "conv3d", "1.2", _block((0.205, 0.585, 0.980), IDENT_1)),
        _write_run(root, "dw_1.1", "pretrain", "deciwatch", "1.1", _block((0.514, 0.646, 0.802), IDENT_1)),
        _write_run(root, "dw_1.2", "pretrain", "deciwatch", "1.2", _block((0.514, 0.646, 0.96610), IDENT_1)),
        _write_run(root, "c3d_2.1", "pretrain", "conv3d", "2.1", _block((0.008, 0.216, 0.942), IDENT_2)),
        _write_run(root, "ft_c3d_1.1", "finetune", "conv3d", "1.1", _block((0.497, 0.957, 0.992), IDENT_FT),
                   holdout=_block((0.584, 0.987, 0.996), IDENT_HO)),
        _write_run(root, "ft_c3d_2.1", "finetune", "conv3d", "2.1", _block((0.465, 0.955, 0.992), IDENT_FT)),
        _write_run(root, "ft_dw_1.1", "finetune", "deciwatch", "1.1"),  # trained, not yet tested
        _write_run(root, "ft_s_1.1", "finetune", "biconvlstm_sum", "1.1", curves=False),  # crashed
    ]  # fmt: skip
    out = make_report(runs, root / "report", speed_repeats=3)
    return out, json.loads((out / "report.json").read_text()), runs


def md_tables(md: str) -> dict[str, list[list[str]]]:
    """Table id → rows of cells (header row first) parsed from report.md."""
    tables = {}
    for block in md.split("<!-- table: ")[1:]:
        tid, rest = block.split(" -->", 1)
        lines = [ln for ln in rest.splitlines() if ln.startswith("|")]
        rows = [[c.strip() for c in re.split(r"(?<!\\)\|", ln)[1:-1]] for ln in lines]
        tables[tid] = [rows[0], *rows[2:]]
    return tables


def cell(data: dict, tid: str, label: str, column: str):
    t = data["tables"][tid]
    row = next(r for r in t["rows"] if r["label"] == label)
    j = t["columns"].index(column)
    return row["values"][j], row["bold"][j]


def test_report_contains_every_table_and_figure(report):
    out, data, _ = report
    groups = (("pretrain", 1), ("pretrain", 2), ("finetune", 1), ("finetune", 2))
    expected = {"runs", "model_size_speed", "finetune_holdout_pck_1"}
    expected |= {f"{s}_test_pck_{g}" for s, g in groups}
    expected |= {f"{s}_test_{t}" for s in ("pretrain", "finetune") for t in ("mean_pck", "intervals")}
    expected |= {f"{s}_test_keypoints_pck{a}_{g}" for s, g in groups for a in ALPHAS}
    assert set(data["tables"]) == expected  # held-out tables only where a run has a held-out block
    md, html = (out / "report.md").read_text(), (out / "report.html").read_text()
    assert set(md_tables(md)) == expected
    for tid in expected:
        assert f'<table id="{tid}">' in html
        assert (out / f"{tid}.csv").is_file()
    for stage in ("pretrain", "finetune"):
        png = out / f"figure1_{stage}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
        assert f'<img src="figure1_{stage}.png"' in html and f"](figure1_{stage}.png)" in md
    assert "## Pretraining" in md and "## Finetuning" in md
    assert "PCK pools hit/count totals (test)." in md
    assert "<script" not in html and "http" not in html  # self-contained apart from the PNGs


def test_markdown_numbers_equal_json_and_csv(report):
    out, data, _ = report
    parsed = md_tables((out / "report.md").read_text())
    for tid, t in data["tables"].items():
        rows = parsed[tid]
        assert rows[0] == [t["header"], *t["columns"]]
        with (out / f"{tid}.csv").open(newline="") as f:
            csv_rows = list(csv.reader(f))
        for md_row, row, csv_row in zip(rows[1:], t["rows"], csv_rows[1:], strict=True):
            assert md_row[0] == row["label"] == csv_row[0]
            for j, (v, bold) in enumerate(zip(row["values"], row["bold"], strict=True)):
                text = format_value(v, row["kind"] or t["column_kinds"][j])
                assert md_row[j + 1] == (f"**{text}**" if bold and text else text), (tid, row["label"], j)
                assert csv_row[j + 1] == ("" if v is None else str(v))


def test_hand_computed_cells(report):
    out, data, _ = report
    md = md_tables((out / "report.md").read_text())["pretrain_test_pck_1"]
    header = md[0]
    c3d = next(r for r in md if r[0] == "3DConv")
    assert c3d[header.index("PCK@0.05 1.1")] == "1.84"  # below 10 %: three significant digits
    assert c3d[header.index("PCK@0.1 1.2")] == "58.5"
    thresh = next(r for r in md if r[0] == "Mean threshold distance (px)")
    assert thresh[1:] == ["1.11"] * 2 + ["2.23"] * 2 + ["4.46"] * 2
    assert cell(data, "pretrain_test_mean_pck", "3DConv", "1.1")[0] == pytest.approx(
        100 * (0.0184 + 0.306 + 0.9664) / 3
    )
    total = (0.0184 + 0.306 + 0.9664 + 0.205 + 0.585 + 0.980 + 0.008 + 0.216 + 0.942) / 9 * 100  # 1.1, 1.2, 2.1
    assert cell(data, "pretrain_test_mean_pck", "3DConv", "Total")[0] == pytest.approx(total)


def test_bold_marks_the_true_column_maximum(report):
    out, data, _ = report
    t = data["tables"]["pretrain_test_pck_1"]
    scored = [r for r in t["rows"] if r["kind"] is None]  # identity + models, not the px row
    for j in range(len(t["columns"])):
        values = [r["values"][j] for r in scored]
        best = max(v for v in values if v is not None)
        assert [r["bold"][j] for r in scored] == [v == best for v in values]
    # 96.64 (3DConv 1.1) and 96.61 (DeciWatch 1.2) both print 96.6; only the true maximum is bold
    assert cell(data, "pretrain_test_pck_1", "3DConv", "PCK@0.2 1.1") == (pytest.approx(96.64), True)
    assert cell(data, "pretrain_test_pck_1", "DeciWatch", "PCK@0.2 1.1")[1] is False
    assert cell(data, "pretrain_test_pck_1", "DeciWatch", "PCK@0.05 1.2")[1] is True
    assert not any(r["bold"][0] for r in t["rows"] if r["kind"] == "px")


def test_identity_row_equals_test_json(report):
    _, data, _ = report
    for tid, ident in (("pretrain_test_pck_1", IDENT_1), ("pretrain_test_pck_2", IDENT_2),
                       ("finetune_test_pck_1", IDENT_FT), ("finetune_holdout_pck_1", IDENT_HO)):  # fmt: skip
        t = data["tables"][tid]
        row = next(r for r in t["rows"] if r["label"] == "Identity function")
        for col, v in zip(t["columns"], row["values"], strict=True):
            alpha = col.split()[0].removeprefix("PCK@")
            assert v == pytest.approx(100 * ident[ALPHAS.index(alpha)])


def test_missing_pieces_show_dash_and_note(report):
    out, data, _ = report
    t = data["tables"]["finetune_test_pck_1"]
    assert [r["label"] for r in t["rows"]][2:] == ["3DConv", "DeciWatch", "bi-ConvLSTM Model S"]
    assert all(v is None for r in t["rows"][3:] for v in r["values"])
    assert any("ft_dw_1.1" in n and "no test.json" in n for n in t["notes"])
    assert any("ft_s_1.1" in n and "no metrics.csv" in n for n in t["notes"])
    md = md_tables((out / "report.md").read_text())["finetune_test_pck_1"]
    assert next(r for r in md if r[0] == "DeciWatch")[1:] == ["—"] * 3
    runs = {r["label"]: r["values"] for r in data["tables"]["runs"]["rows"]}
    assert runs["ft_s_1.1"][-1] == "no metrics.csv; no best.json; no test.json"
    assert runs["c3d_1.1"][-1] == "complete" and runs["c3d_1.1"][:3] == ["Pretraining", "3DConv", "1.1"]
    assert any("ft_s_1.1: no training curves" in n for n in data["figures"]["figure1_finetune"]["notes"])


def test_keypoint_table_rows_and_totals(report):
    _, data, _ = report
    t = data["tables"]["pretrain_test_keypoints_pck0.2_1"]
    assert [r["label"] for r in t["rows"]] == ["Nose", "Shoulder", "Total"]  # Pinky is NaN everywhere
    assert t["columns"] == ["3DConv 1.1", "3DConv 1.2", "DeciWatch 1.1", "DeciWatch 1.2", "Total"]
    nose = t["rows"][0]["values"]
    assert nose[0] == pytest.approx(97.64)  # 0.9664 + 0.01 shift
    assert nose[-1] == pytest.approx((97.64 + 98.0 + 80.2 + 96.61) / 4)
    assert t["rows"][-1]["values"][:-1] == pytest.approx([96.64, 98.0, 80.2, 96.61])  # the runs' overall PCK
    assert t["rows"][-1]["values"][-1] == ""
    assert any("Pinky" in n for n in t["notes"])


def test_size_speed_table(report):
    _, data, _ = report
    t = data["tables"]["model_size_speed"]
    rows = {r["label"]: r["values"] for r in t["rows"]}
    params, mean_ms, std_ms, median_ms, inputs, timed = rows["3DConv"]
    assert params == 78150 and mean_ms > 0 and std_ms >= 0 and median_ms > 0 and timed == "c3d_1.1"
    assert inputs == "5×25×16×16 heatmaps"
    assert rows["DeciWatch"] == [None] * 6  # no run of it has a best.ckpt
    assert any("dw_1.1: best.ckpt unavailable" in n for n in t["notes"])
    assert t["notes"][0].startswith("Measured on ") and data["machine"] in t["notes"][0]


def test_out_folder_is_never_overwritten_silently(report, tmp_path, capsys):
    out, _, runs = report
    before = (out / "report.md").read_text()
    assert main(["report", str(runs[0]), "--out", str(out), "--speed-repeats", "0"]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert (out / "report.md").read_text() == before
    assert main(["report", str(tmp_path), "--out", str(tmp_path / "r")]) == 2  # not a run folder
    assert "config.yaml" in capsys.readouterr().err and not (tmp_path / "r").exists()
    fresh = tmp_path / "fresh"
    assert main(["report", str(runs[1]), "--out", str(fresh), "--speed-repeats", "0"]) == 0
    assert main(["report", str(runs[2]), "--out", str(fresh), "--overwrite", "--speed-repeats", "0"]) == 0
    assert "dw_1.1" in (fresh / "report.md").read_text() and "c3d_1.2" not in (fresh / "report.md").read_text()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary folders left


def test_unreadable_files_become_notes_and_bad_folders_are_input_errors(tmp_path):
    from tempose.errors import InputError
    from tempose.report import load_run

    run = _write_run(tmp_path, "broken", "finetune", "conv3d", "1.1")
    (run / "test.json").write_text("{")
    (run / "metrics.csv").write_text("step,loss\n1,2\n")
    loaded = load_run(run)
    assert loaded.results is None and loaded.curves is None and loaded.best == {"epoch": 3, "metric": "val/pck@0.2",
                                                                                 "value": 0.3}  # fmt: skip
    assert loaded.notes[0].startswith("unreadable metrics.csv (ValueError: no 'epoch' column")
    assert loaded.notes[1].startswith("unreadable test.json (JSONDecodeError")
    (run / "metrics.csv").write_text("epoch,train_loss\n")  # header only: the run died before epoch 0
    assert "metrics.csv has no epochs yet" in load_run(run).notes
    (run / "config.yaml").write_text("stage: finetune\n")
    with pytest.raises(InputError, match="config.yaml lacks stage, model.name or data.experiment"):
        load_run(run)


def test_interval_table_shows_bootstrap_ci_and_accel_error(report):
    _, data, _ = report
    t = data["tables"]["pretrain_test_intervals"]
    row = next(r for r in t["rows"] if r["label"] == "3DConv 1.1 (c3d_1.1)")
    assert row["values"][:3] == pytest.approx([1.84, 0.84, 2.84])  # fixture CI: pck ± 0.01
    assert row["values"][-2:] == pytest.approx([0.4, 0.4])
