"""Report building blocks: number formatting, bold maxima, lr-drop dots, atomic output folders."""

from __future__ import annotations

import math

import pytest

from tempose.errors import InputError
from tempose.report._io import staged_dir
from tempose.report.figures import lr_drops
from tempose.report.fmt import format_value, pct, sig3
from tempose.report.names import experiment_key
from tempose.report.tables import Row, mark_column_maxima, mean_present


@pytest.mark.parametrize(
    ("value", "text"),
    [(95.66, "95.7"), (6.954, "6.95"), (0.67, "0.67"), (0.091, "0.09"), (9.996, "10.0"), (10.0, "10.0"),
     (100.0, "100.0"), (0.0, "0.00")],
)  # fmt: skip
def test_pct_like_the_thesis(value, text):
    assert pct(value) == text


@pytest.mark.parametrize(("value", "text"), [(0.3921, "0.392"), (14.24, "14.2"), (9.996, "10.0"), (1234.5, "1234")])
def test_sig3(value, text):
    assert sig3(value) == text


def test_format_value_kinds_and_missing():
    assert format_value(None, "pct") == format_value(math.nan, "px") == "—"
    assert format_value(78150, "int") == "78,150"
    assert format_value(1.109, "px") == "1.11"
    assert format_value("", "pct") == ""  # a deliberately blank cell stays blank


def test_bold_marks_unrounded_maxima_ties_and_skips_missing():
    rows = [Row("a", [96.64, None, 1.0, "x"]), Row("b", [96.61, math.nan, 1.0, "y"]), Row("c", [10.0, 5.0, 0.5, ""])]
    mark_column_maxima(rows)
    assert [r.bold for r in rows] == [[True, False, True, False], [False, False, True, False],
                                      [False, True, False, False]]  # fmt: skip
    assert mean_present([1.0, None, math.nan, 2.0, ""]) == 1.5
    assert mean_present([None]) is None


def test_lr_drop_dots_sit_on_the_last_epoch_at_the_old_rate():
    curves = [{"lr": lr} for lr in (1e-3, 1e-3, 1e-4, 1e-4, 1e-5, math.nan)]
    assert lr_drops(curves) == [1, 3]


def test_experiments_sort_numerically():
    assert sorted(["1.10", "2.1", "1.9", "1.2"], key=experiment_key) == ["1.2", "1.9", "1.10", "2.1"]


def test_staged_dir_is_atomic(tmp_path):
    out = tmp_path / "rep"
    with pytest.raises(RuntimeError), staged_dir(out) as tmp:
        (tmp / "a.txt").write_text("partial")
        raise RuntimeError("boom")
    assert not out.exists() and list(tmp_path.iterdir()) == []
    with staged_dir(out) as tmp:
        (tmp / "a.txt").write_text("one")
    assert (out / "a.txt").read_text() == "one"
    with pytest.raises(InputError, match="--overwrite"), staged_dir(out):
        pass
    with staged_dir(out, overwrite=True) as tmp:
        (tmp / "b.txt").write_text("two")
    assert sorted(p.name for p in out.iterdir()) == ["b.txt"] and len(list(tmp_path.iterdir())) == 1
    (tmp_path / "file").write_text("user data")
    with pytest.raises(InputError, match="not a folder"), staged_dir(tmp_path / "file", overwrite=True):
        pass
    assert (tmp_path / "file").read_text() == "user data"
