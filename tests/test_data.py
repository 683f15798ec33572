"""Binding data: real CSV files and pandas DataFrames, errors and positives."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kdsl.api import load
from kdsl.errors import DataError, KdslError, SpecError

VARS = "var X in 0..3\nvar S in {low, mid, high}\n"


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_bytes(text.encode("utf-8"))
    return path


def _spec(folder: Path, body: str, variables: str = VARS) -> Path:
    return _write(folder, "spec.kdsl", variables + body)


def _load_error(spec: Path, data=None, kind=DataError) -> KdslError:
    with pytest.raises(kind) as info:
        load(spec, data=data)
    err = info.value
    assert "Traceback" not in str(err)
    return err


def _first_line(err: KdslError) -> str:
    return str(err).splitlines()[0]


# ---------------------------------------------------------------- CSV errors
def test_missing_column(tmp_path):
    _write(tmp_path, "obs.csv", "X,T\n0,low\n1,mid\n")
    err = _load_error(_spec(tmp_path, 'env obs from "obs.csv"\n'))
    assert err.file == "obs.csv"
    assert err.line == 1  # the header line
    assert "no column 'S'" in err.message and "columns: X, T" in err.message
    assert _first_line(err).startswith("obs.csv:1: no column 'S'")


def test_missing_column_suggests_a_close_name(tmp_path):
    _write(tmp_path, "obs.csv", "X,Scor\n0,1\n")
    err = _load_error(_spec(tmp_path, 'env obs from "obs.csv"\n', "var X in 0..3\nvar Score in 0..3\n"))
    assert (err.file, err.line) == ("obs.csv", 1)
    assert err.hint is not None and "'Scor'" in err.hint


def test_value_outside_the_domain(tmp_path):
    _write(tmp_path, "obs.csv", "X,S\n0,low\n1,mid\n7,high\n")
    err = _load_error(_spec(tmp_path, 'env obs from "obs.csv"\n'))
    assert (err.file, err.line, err.row, err.data_column) == ("obs.csv", 4, 3, "X")
    assert err.column == 1
    assert _first_line(err) == "obs.csv:4:1: column 'X', data row 3: value 7 is outside the domain 0..3 of X"
    assert str(err).splitlines()[1:3] == ["    7,high", "    ^"]


def test_unknown_label_with_suggestion(tmp_path):
    _write(tmp_path, "obs.csv", "X,S\n0,low\n1,hihg\n")
    err = _load_error(_spec(tmp_path, 'env obs from "obs.csv"\n'))
    assert (err.file, err.line, err.row, err.data_column, err.column) == ("obs.csv", 3, 2, "S", 3)
    assert "unknown label 'hihg' for S" in err.message
    assert "did you mean 'high'?" in err.message
    assert _first_line(err).startswith("obs.csv:3:3: column 'S', data row 2: ")


def test_non_numeric_cell(tmp_path):
    _write(tmp_path, "obs.csv", "S,X\nlow,0\nlow,two\nmid,1\n")
    err = _load_error(_spec(tmp_path, 'env obs from "obs.csv"\n'))
    assert (err.file, err.line, err.row, err.data_column, err.column) == ("obs.csv", 3, 2, "X", 5)
    assert "non-numeric value 'two' for X" in err.message
    assert _first_line(err).startswith("obs.csv:3:5: column 'X', data row 2: ")


@pytest.mark.parametrize("cell", ["", "NaN", "nan", "NA"])
def test_missing_cell_in_csv(tmp_path, cell):
    _write(tmp_path, "obs.csv", f"X,S\n0,low\n1,mid\n{cell},high\n")
    err = _load_error(_spec(tmp_path, 'env obs from "obs.csv"\n'))
    assert (err.file, err.line, err.row, err.data_column) == ("obs.csv", 4, 3, "X")
    assert "missing" in err.message and repr(cell) in err.message
    assert _first_line(err).startswith("obs.csv:4:")


@pytest.mark.parametrize("cell", ["", "NaN"])
def test_missing_cell_in_a_real_column(tmp_path, cell):
    _write(tmp_path, "obs.csv", f"X,R\n0,0.5\n1,{cell}\n")
    err = _load_error(_spec(tmp_path, 'env obs from "obs.csv"\n', "var X in 0..3\nvar R real\n"))
    assert (err.file, err.line, err.row, err.data_column) == ("obs.csv", 3, 2, "R")
    assert "missing" in err.message


def test_empty_label_cell(tmp_path):
    _write(tmp_path, "obs.csv", "X,S\n0,\n")
    err = _load_error(_spec(tmp_path, 'env obs from "obs.csv"\n'))
    assert (err.line, err.row, err.data_column) == (2, 1, "S")
    assert "missing value '' for S" in err.message


def test_ragged_row(tmp_path):
    _write(tmp_path, "obs.csv", "X,S\n0,low\n1,mid,extra\n2,high\n")
    err = _load_error(_spec(tmp_path, 'env obs from "obs.csv"\n'))
    assert (err.file, err.line, err.row) == ("obs.csv", 3, 2)
    assert "data row 2 has 3 cells but the header has 2" in err.message
    assert _first_line(err).startswith("obs.csv:3: ")


def test_empty_file(tmp_path):
    _write(tmp_path, "obs.csv", "")
    err = _load_error(_spec(tmp_path, 'env obs from "obs.csv"\n'))
    assert (err.file, err.line) == ("obs.csv", 1)
    assert "empty" in err.message
    assert _first_line(err).startswith("obs.csv:1: ")


def test_header_only_file_is_an_empty_environment(tmp_path):
    _write(tmp_path, "obs.csv", "X,S\n")
    err = _load_error(_spec(tmp_path, 'env obs from "obs.csv"\n'))
    assert err.file == "obs.csv"
    assert "'obs' has no rows" in err.message
    assert _first_line(err).startswith("obs.csv")


def test_header_only_file_split_by_a_column(tmp_path):
    _write(tmp_path, "all.csv", "regime,X,S\n")
    err = _load_error(_spec(tmp_path, 'envs from "all.csv" by regime\n'))
    assert err.file == "all.csv" and "no data rows" in err.message


def test_blank_lines_count_as_file_lines_not_data_rows(tmp_path):
    _write(tmp_path, "obs.csv", "X,S\n\n0,low\n\n3,mdi\n")
    err = _load_error(_spec(tmp_path, 'env obs from "obs.csv"\n'))
    assert (err.line, err.row, err.data_column) == (5, 2, "S")
    assert "did you mean 'mid'?" in err.message


def test_empty_environment_name_in_split_column(tmp_path):
    _write(tmp_path, "all.csv", "regime,X,S\n\ne1,0,low\n,1,mid\n")
    err = _load_error(_spec(tmp_path, 'envs from "all.csv" by regime\n'))
    assert err.file == "all.csv"
    assert (err.line, err.row, err.data_column) == (4, 2, "regime")
    assert "empty environment name" in err.message


def test_split_column_missing(tmp_path):
    _write(tmp_path, "all.csv", "regime,X,S\ne1,0,low\n")
    err = _load_error(_spec(tmp_path, 'envs from "all.csv" by regim\n'))
    assert (err.file, err.line) == ("all.csv", 1)
    assert "no column 'regim'" in err.message
    assert err.hint is not None and "regime" in err.hint


def test_duplicate_environment_name_from_split_and_env(tmp_path):
    _write(tmp_path, "all.csv", "regime,X,S\ne1,0,low\ne2,1,mid\n")
    _write(tmp_path, "one.csv", "X,S\n2,high\n")
    spec = _spec(tmp_path, 'env e1 from "one.csv"\nenvs from "all.csv" by regime\n')
    err = _load_error(spec, kind=SpecError)
    assert err.file == str(spec)
    assert (err.line, err.column) == (4, 1)
    assert "duplicate environment name 'e1'" in err.message
    assert "one.csv" in err.message and "all.csv" in err.message


def test_duplicate_environment_name_from_split_and_simulation(tmp_path):
    _write(tmp_path, "all.csv", "regime,X,S\ne0,0,low\ne7,1,mid\n")
    body = 'envs from "all.csv" by regime\nsimulate envs e5..e9 n 3 seed 1 {\n    X ~ uniform()\n    S ~ uniform()\n}\n'
    err = _load_error(_spec(tmp_path, body), kind=SpecError)
    assert "duplicate environment name 'e7'" in err.message


def test_data_name_not_supplied(tmp_path):
    spec = _spec(tmp_path, "env lab from lab_df\n")
    err = _load_error(spec, data={"other": {"X": [0], "S": ["low"]}}, kind=SpecError)
    assert (err.file, err.line, err.column) == (str(spec), 3, 14)
    assert "no data named 'lab_df' was supplied (supplied: other)" in err.message
    assert "--data lab_df=" in err.hint


def test_missing_data_file(tmp_path):
    spec = _spec(tmp_path, 'env obs from "data/nothing.csv"\n')
    err = _load_error(spec, kind=SpecError)
    assert (err.file, err.line, err.column) == (str(spec), 3, 14)
    assert "data file not found: data/nothing.csv" in err.message
    assert str(tmp_path) in err.message


def test_missing_data_file_supplied_by_the_caller(tmp_path):
    spec = _spec(tmp_path, "env lab from lab_df\n")
    missing = tmp_path / "absent.csv"
    err = _load_error(spec, data={"lab_df": str(missing)})
    assert err.file == str(missing)
    assert "data file not found" in err.message


def test_caller_supplied_csv_errors_name_that_file(tmp_path):
    csv_path = _write(tmp_path, "lab.csv", "X,S\n0,low\n9,mid\n")
    err = _load_error(_spec(tmp_path, "env lab from lab_df\n"), data={"lab_df": csv_path})
    assert (err.file, err.line, err.row, err.data_column) == (str(csv_path), 3, 2, "X")


# ---------------------------------------------------------------- DataFrame errors
def test_dataframe_float_nan(tmp_path):
    frame = pd.DataFrame({"X": [0.0, 1.0, float("nan")], "S": ["low", "mid", "high"]})
    err = _load_error(_spec(tmp_path, "env lab from lab_df\n"), data={"lab_df": frame})
    assert (err.file, err.row, err.data_column) == ("lab_df", 3, "X")
    assert "data row 3" in err.message and "missing" in err.message
    assert "nan" in err.message.lower()
    assert "np.float64" not in err.message  # the user's value, not numpy's repr


def test_dataframe_missing_label(tmp_path):
    frame = pd.DataFrame({"X": [0, 1], "S": ["low", None]})
    err = _load_error(_spec(tmp_path, "env lab from lab_df\n"), data={"lab_df": frame})
    assert (err.file, err.row, err.data_column) == ("lab_df", 2, "S")
    assert "missing" in err.message


def test_dataframe_value_outside_domain(tmp_path):
    frame = pd.DataFrame({"X": [0, 4, 1], "S": ["low", "mid", "high"]})
    err = _load_error(_spec(tmp_path, "env lab from lab_df\n"), data={"lab_df": frame})
    assert (err.file, err.row, err.data_column) == ("lab_df", 2, "X")
    assert "value 4 is outside the domain 0..3 of X" in err.message
    assert _first_line(err).startswith("lab_df")


def test_dataframe_unknown_label(tmp_path):
    frame = pd.DataFrame({"X": [0, 1], "S": ["low", "hgih"]})
    err = _load_error(_spec(tmp_path, "env lab from lab_df\n"), data={"lab_df": frame})
    assert (err.row, err.data_column) == (2, "S")
    assert "did you mean 'high'?" in err.message


def test_dataframe_fractional_value_for_an_integer(tmp_path):
    frame = pd.DataFrame({"X": [0.0, 1.5], "S": ["low", "mid"]})
    err = _load_error(_spec(tmp_path, "env lab from lab_df\n"), data={"lab_df": frame})
    assert (err.row, err.data_column) == (2, "X")
    assert "whole numbers" in err.message and "1.5" in err.message
    assert "np.float64" not in err.message


def test_dataframe_missing_column(tmp_path):
    frame = pd.DataFrame({"X": [0, 1]})
    err = _load_error(_spec(tmp_path, "env lab from lab_df\n"), data={"lab_df": frame})
    assert err.file == "lab_df"
    assert "no column 'S'" in err.message


def test_dataframe_without_rows(tmp_path):
    frame = pd.DataFrame({"X": pd.Series([], dtype=int), "S": pd.Series([], dtype=str)})
    err = _load_error(_spec(tmp_path, "env lab from lab_df\n"), data={"lab_df": frame})
    assert err.file == "lab_df" and "no rows" in err.message


def test_dataframe_errors_cite_the_index_label(tmp_path):
    frame = pd.DataFrame({"X": [0, 1, 4], "S": ["low", "mid", "high"]}, index=[413, 414, 415])
    err = _load_error(_spec(tmp_path, "env lab from lab_df\n"), data={"lab_df": frame})
    assert (err.file, err.line, err.row, err.data_column) == ("lab_df", None, 3, "X")
    assert _first_line(err) == "lab_df: column 'X', index 415 (data row 3): value 4 is outside the domain 0..3 of X"
    named = frame.set_axis(["r1", "r2", "r3"])
    err = _load_error(_spec(tmp_path, "env lab from lab_df\n"), data={"lab_df": named})
    assert "index 'r3' (data row 3)" in err.message


def test_split_dataframe_reports_the_first_bad_row_in_row_order(tmp_path):
    # environment a sorts first but its bad row (S at row 4) comes after b's (X at row 2)
    frame = pd.DataFrame({"regime": ["b", "b", "a", "a"], "X": [0, 9, 1, 2], "S": ["low", "mid", "high", "bad"]},
                         index=[10, 11, 12, 13])
    err = _load_error(_spec(tmp_path, "envs from lab_df by regime\n"), data={"lab_df": frame})
    assert (err.row, err.data_column) == (2, "X") and "index 11 (data row 2)" in err.message
    frame.loc[11, "X"] = 0  # now S's bad label at row 4 is the first, though X comes before S
    err = _load_error(_spec(tmp_path, "envs from lab_df by regime\n"), data={"lab_df": frame})
    assert (err.row, err.data_column) == (4, "S") and "index 13 (data row 4)" in err.message


@pytest.mark.parametrize(("sep", "called"), [(";", "semicolons (';')"), ("\t", "tabs")])
def test_csv_with_another_separator_gets_a_hint(tmp_path, sep, called):
    _write(tmp_path, "obs.csv", sep.join(["X", "S"]) + "\n" + sep.join(["0", "low"]) + "\n")
    err = _load_error(_spec(tmp_path, 'env obs from "obs.csv"\n'))
    assert (err.file, err.line) == ("obs.csv", 1)
    assert f"hint: the header has no commas but {called}: kdsl reads comma-separated files" in str(err)
    assert "did you mean" not in str(err)


# ---------------------------------------------------------------- positives
def test_split_environments_in_natural_order(tmp_path):
    rows = ["e10,0,low", "e2,1,mid", "e1,2,high", "e11,3,low", "e2,0,high"]
    _write(tmp_path, "all.csv", "regime,X,S\n" + "\n".join(rows) + "\n")
    bound = load(_spec(tmp_path, 'envs from "all.csv" by regime\n'))
    assert bound.names == ["e1", "e2", "e10", "e11"]
    envs = {e.name: e for e in bound.environments}
    assert envs["e2"].rows == 2
    assert envs["e2"].columns["X"].tolist() == [1, 0]  # file order within an environment
    assert envs["e2"].columns["S"].tolist() == [1, 2]
    assert envs["e10"].columns["X"].tolist() == [0]
    assert bound.environments[0].columns["X"].dtype == np.int64


def test_split_dataframe_in_natural_order(tmp_path):
    frame = pd.DataFrame({"regime": ["b10", "b9", "a"], "X": [0, 1, 2], "S": ["low", "mid", "high"]})
    bound = load(_spec(tmp_path, "envs from lab_df by regime\n"), data={"lab_df": frame})
    assert bound.names == ["a", "b9", "b10"]


def test_cells_are_read_as_text(tmp_path):
    _write(tmp_path, "obs.csv", "S,X\ntrue,0\nyes,1\ntrue,2\n")
    spec = _spec(tmp_path, 'env obs from "obs.csv"\n', "var S in {true, yes}\nvar X in 0..3\n")
    bound = load(spec)
    env = bound.environments[0]
    assert env.columns["S"].tolist() == [0, 1, 0]
    assert env.columns["X"].tolist() == [0, 1, 2]


def test_labels_that_look_like_numbers(tmp_path):
    _write(tmp_path, "obs.csv", "S\nA\n10\n")
    err = _load_error(_spec(tmp_path, 'env obs from "obs.csv"\n', "var S in {A, B}\n"))
    assert (err.line, err.row, err.data_column) == (3, 2, "S")
    assert "unknown label '10'" in err.message


def test_a_decimal_is_not_truncated_to_an_integer(tmp_path):
    _write(tmp_path, "obs.csv", "X,S\n0,low\n1.0,mid\n")
    err = _load_error(_spec(tmp_path, 'env obs from "obs.csv"\n'))
    assert (err.line, err.row, err.data_column) == (3, 2, "X")
    assert "'1.0'" in err.message and "whole numbers" in err.message


def test_dataframe_with_int_float_and_string_columns(tmp_path):
    frame = pd.DataFrame({
        "X": np.array([0, 3, 2], dtype=np.int32),
        "Y": np.array([1.0, 0.0, 2.0]),
        "S": ["high", "low", "mid"],
        "C": pd.Categorical(["b", "a", "b"]),
        "unused": ["ignored", "columns", "are fine"],
    })
    variables = "var X in 0..3\nvar Y in 0..2\nvar S in {low, mid, high}\nvar C in {a, b}\n"
    bound = load(_spec(tmp_path, "env lab from lab_df\n", variables), data={"lab_df": frame})
    cols = bound.environments[0].columns
    assert cols["X"].tolist() == [0, 3, 2]
    assert cols["Y"].tolist() == [1, 0, 2]
    assert cols["S"].tolist() == [2, 0, 1]
    assert cols["C"].tolist() == [1, 0, 1]
    assert all(c.dtype == np.int64 for c in cols.values())


def test_dict_of_arrays(tmp_path):
    data = {"lab_df": {"X": np.array([1, 2]), "S": ["mid", "mid"]}}
    bound = load(_spec(tmp_path, "env lab from lab_df\n"), data=data)
    assert bound.environments[0].columns["S"].tolist() == [1, 1]


def test_inputs_are_unchanged(tmp_path):
    csv_text = "X,S\n0,low\n3,high\n"
    csv_path = _write(tmp_path, "obs.csv", csv_text)
    before = csv_path.read_bytes()
    frame = pd.DataFrame({"X": [0.0, 1.0, 2.0], "S": pd.Categorical(["low", "mid", "low"]), "keep": [1, 2, 3]})
    copy = frame.copy(deep=True)
    bound = load(_spec(tmp_path, 'env obs from "obs.csv"\nenv lab from lab_df\n'), data={"lab_df": frame})
    pd.testing.assert_frame_equal(frame, copy)
    assert csv_path.read_bytes() == before
    # the bound arrays are read-only copies, not views into the caller's data
    for name, column in bound.environments[1].columns.items():
        assert not column.flags.writeable
        assert not np.shares_memory(column, frame[name].to_numpy())
    with pytest.raises(ValueError, match="read-only"):
        bound.environments[1].columns["X"][0] = 3
    frame.loc[0, "X"] = 2.0  # the caller may go on changing its frame: the bound data do not follow
    assert bound.environments[1].columns["X"][0] == 0


def test_simulation_is_reproducible(tmp_path):
    body = """\
let theta = [0.1, 0.5, 0.9]
simulate envs e0..e2 n 50 seed 11 {
    X ~ binomial(3, theta[env])
    S ~ categorical(0.2, 0.3, 0.5)
}
"""
    spec = _spec(tmp_path, body)
    first, second = load(spec), load(spec)
    assert first.names == second.names == ["e0", "e1", "e2"]
    for a, b in zip(first.environments, second.environments):
        assert a.rows == b.rows == 50
        for name in ("X", "S"):
            np.testing.assert_array_equal(a.columns[name], b.columns[name])
    other = load(_spec(tmp_path, body.replace("seed 11", "seed 12")))
    assert any(
        not np.array_equal(a.columns["X"], b.columns["X"]) or not np.array_equal(a.columns["S"], b.columns["S"])
        for a, b in zip(first.environments, other.environments)
    )


def test_simulated_values_stay_in_the_domain(tmp_path):
    body = "simulate env big n 500 seed 3 {\n    X ~ poisson(30)\n    S ~ uniform()\n}\n"
    env = load(_spec(tmp_path, body)).environments[0]
    assert env.columns["X"].min() >= 0 and env.columns["X"].max() <= 3
    assert set(env.columns["S"].tolist()) <= {0, 1, 2}


def test_csv_with_bom_crlf_quotes_and_spaces(tmp_path):
    (tmp_path / "obs.csv").write_bytes(b'\xef\xbb\xbfX,S\r\n0, low\r\n"2","mid"\r\n')
    env = load(_spec(tmp_path, 'env obs from "obs.csv"\n')).environments[0]
    assert env.columns["X"].tolist() == [0, 2]
    assert env.columns["S"].tolist() == [0, 1]


def test_relative_paths_resolve_against_the_spec_folder(tmp_path, monkeypatch):
    (tmp_path / "data").mkdir()
    _write(tmp_path / "data", "obs.csv", "X,S\n1,mid\n")
    spec = _spec(tmp_path, 'env obs from "data/obs.csv"\n')
    monkeypatch.chdir(Path(spec.anchor))
    assert load(spec).environments[0].columns["X"].tolist() == [1]


def test_subsample_draws_rows_without_replacement_seeded_and_unchanged():
    from kdsl.data.bind import subsample

    root = Path(__file__).resolve().parent.parent
    bound = load(root / "examples" / "coins.kdsl")
    small = subsample(bound, 25, seed=3)
    assert [e.rows for e in small.environments] == [25, 25, 25]
    for full, part in zip(bound.environments, small.environments):
        # the kept rows are rows of the original, in their original order, each value unchanged
        rows_full = list(zip(*(full.columns[v].tolist() for v in ("first", "second"))))
        rows_part = list(zip(*(part.columns[v].tolist() for v in ("first", "second"))))
        it = iter(rows_full)
        assert all(any(r == s for s in it) for r in rows_part)
    again = subsample(bound, 25, seed=3)
    assert all((a.columns["first"] == b.columns["first"]).all() for a, b in zip(small.environments, again.environments))
    other = subsample(bound, 25, seed=4)
    assert any((a.columns["first"] != b.columns["first"]).any() for a, b in zip(small.environments, other.environments))
    assert subsample(bound, 500).environments == bound.environments  # fewer rows than asked: all kept
    with pytest.raises(ValueError, match="at least 1"):
        subsample(bound, 0)


# ---------------------------------------------------------------- data paths that cannot be read
def _path_error(tmp_path: Path, path: str) -> KdslError:
    spec = _spec(tmp_path, f'env obs from "{path}"\n')
    err = _load_error(spec, kind=SpecError)
    assert (err.file, err.line, err.column) == (str(spec), 3, 14)  # located at the path in the spec
    return err


def test_data_file_name_too_long_for_the_file_system(tmp_path):
    (tmp_path / "data").mkdir()
    err = _path_error(tmp_path, "data/rain_seeded.csv" + "(" * 300)
    assert "too long for the file system" in err.message and err.hint


def test_data_path_that_is_a_folder(tmp_path):
    (tmp_path / "data").mkdir()
    assert "is a folder, not a file" in _path_error(tmp_path, "data").message


def test_data_path_that_is_a_fifo_is_refused_without_reading_it(tmp_path):
    os.mkfifo(tmp_path / "pipe.csv")  # reading it would block forever
    assert "is not a regular file" in _path_error(tmp_path, "pipe.csv").message


def test_data_path_into_a_missing_folder(tmp_path):
    assert "the folder 'nowhere' does not exist" in _path_error(tmp_path, "nowhere/obs.csv").message


def test_data_path_through_a_file(tmp_path):
    _write(tmp_path, "obs.csv", "X,S\n0,low\n")
    assert "a part of the path is a file" in _path_error(tmp_path, "obs.csv/inner.csv").message


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file, so an unreadable file cannot be made")
def test_unreadable_data_file(tmp_path):
    path = _write(tmp_path, "obs.csv", "X,S\n0,low\n")
    path.chmod(0)
    assert "cannot read the data file" in _path_error(tmp_path, "obs.csv").message


def test_a_caller_path_that_is_a_folder_is_a_data_error(tmp_path):
    spec = _spec(tmp_path, "env lab from lab_df\n")
    err = _load_error(spec, data={"lab_df": str(tmp_path)})
    assert err.file == str(tmp_path) and "is a folder, not a file" in err.message


def test_well_formed_file_is_read_without_the_cell_by_cell_reader(tmp_path, monkeypatch):
    from kdsl.data import bind as data

    _write(tmp_path, "obs.csv", "X,S,extra\n0,low,a\n\n3,high,b\n2, mid ,c\n")
    spec = _spec(tmp_path, 'env obs from "obs.csv"\n')
    monkeypatch.setattr(data._Table, "_scan_csv", lambda self: pytest.fail("read cell by cell"))
    env = load(spec).environments[0]
    assert env.columns["X"].tolist() == [0, 3, 2] and env.columns["S"].tolist() == [0, 2, 1]


def test_an_error_found_by_the_c_parser_is_located_cell_by_cell(tmp_path):
    _write(tmp_path, "obs.csv", "X,S\n0,low\n\n1,high\n1x,mid\n")
    err = _load_error(_spec(tmp_path, 'env obs from "obs.csv"\n'))
    assert (err.line, err.column, err.row) == (5, 1, 3)
    assert "non-numeric value '1x' for X" in err.message
