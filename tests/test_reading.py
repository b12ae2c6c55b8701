"""Reading files as the analyst meant them: names, CSV dialects, Excel sheets, things not files."""

from __future__ import annotations

import csv
import hashlib
import os
from pathlib import Path

import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from analysis.cli import app
from analysis.loader import load_dataset
from analysis.reading import table_of

runner = CliRunner()


def _located(problems) -> set[tuple]:
    return {(p.file, p.row, p.column, p.rule) for p in problems}


# ---------------------------------------------------------------------------------------------
# File and sheet names


@pytest.mark.parametrize(("name", "table"), [
    ("areas", "areas"), ("Reoffending", "reoffending"), ("Re-offending", "reoffending"),
    ("Inspection Scores", "inspection_scores"), (" inspection-scores ", "inspection_scores"),
    ("INSPECTION_SCORES", "inspection_scores"), ("Areas ", "areas"), ("offenders", "offenders"),
    ("area", None), ("notes", None), ("reoffending2", None),
])
def test_names_normalise_to_their_table(name, table):
    assert table_of(name) == table


def test_capitalised_file_is_read_and_other_files_are_listed(valid_copy):
    (valid_copy / "reoffending.csv").rename(valid_copy / "Reoffending.csv")
    (valid_copy / "notes.txt").write_text("not data")
    (valid_copy / "old").mkdir()
    dataset = load_dataset(valid_copy)
    assert dataset.errors == []
    assert dataset.files["reoffending"] == "Reoffending.csv"
    assert len(dataset.table("reoffending")) == 2
    assert {(p.file, p.rule) for p in dataset.warnings} == {("notes.txt", "not-read"),
                                                            ("old", "not-read")}


def test_two_files_for_one_table_are_an_error_and_neither_is_read(valid_copy):
    (valid_copy / "Plans.csv").write_text((valid_copy / "plans.csv").read_text())
    dataset = load_dataset(valid_copy)
    assert {("plans.csv", None, "", "duplicate-table"),
            ("Plans.csv", None, "", "duplicate-table")} <= _located(dataset.errors)
    assert "plans" not in dataset.tables


def test_loading_never_changes_the_files(valid_copy):
    progress = valid_copy / "progress.csv"
    progress.write_text("strand_id;reported_on;rag;comment\ns-accm;2005-10-01;green;3,5\n")
    reoffending = valid_copy / "reoffending.csv"
    reoffending.write_text(reoffending.read_text().replace("38.5", '"38,5"'))

    def digest() -> dict[str, str]:
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in valid_copy.iterdir()}

    before = digest()
    load_dataset(valid_copy)
    assert digest() == before


# ---------------------------------------------------------------------------------------------
# Only regular files


def test_a_fifo_is_refused_without_being_opened(valid_copy):
    # Opening a FIFO for reading blocks until a writer comes: the test would hang, not fail.
    (valid_copy / "plans.csv").unlink()
    os.mkfifo(valid_copy / "plans.csv")
    dataset = load_dataset(valid_copy)
    [problem] = [p for p in dataset.errors if p.file == "plans.csv"]
    assert (problem.rule, problem.row) == ("not-a-file", None)
    assert "named pipe" in problem.message


def test_a_symlink_to_a_regular_file_is_read(valid_copy, tmp_path):
    elsewhere = tmp_path / "kept-elsewhere.csv"
    (valid_copy / "plans.csv").rename(elsewhere)
    (valid_copy / "plans.csv").symlink_to(elsewhere)
    dataset = load_dataset(valid_copy)
    assert dataset.errors == []
    assert len(dataset.table("plans")) == 1


def test_a_workbook_that_is_a_fifo_is_refused(tmp_path):
    os.mkfifo(tmp_path / "data.xlsx")
    dataset = load_dataset(tmp_path / "data.xlsx")
    assert ("data.xlsx", None, "", "not-a-file") in _located(dataset.errors)


# ---------------------------------------------------------------------------------------------
# CSV shapes


def test_unclosed_quote_names_the_row_it_opened_in_and_loads_nothing_after(valid_copy):
    (valid_copy / "progress.csv").write_text(
        "strand_id,reported_on,rag,comment\n"
        's-accm,2005-10-01,green,"On track\n'
        "s-accm,2005-11-01,amber,Behind\n"
        "s-accm,2005-12-01,red,Late\n")
    dataset = load_dataset(valid_copy)
    [problem] = [p for p in dataset.errors if p.file == "progress.csv"]
    assert (problem.row, problem.rule) == (2, "unclosed-quote")
    assert "progress" not in dataset.tables


def test_quoted_line_breaks_keep_spreadsheet_row_numbers(valid_copy):
    # Row 2 runs over two lines of the file; a spreadsheet still shows the next record as row 3.
    (valid_copy / "progress.csv").write_text(
        "strand_id,reported_on,rag,comment\n"
        's-accm,2005-10-01,green,"On track\nand funded"\n'
        "s-accm,2005-11-01,purple,Behind\n")
    dataset = load_dataset(valid_copy)
    assert _located(dataset.errors) == {("progress.csv", 3, "rag", "one-of")}
    assert dataset.warnings == []  # no separator inside the value: not a swallowed row
    assert dataset.table("progress")["comment"].tolist() == ["On track\nand funded"]


def test_sep_line_is_not_a_row(valid_copy):
    (valid_copy / "progress.csv").write_text(
        "sep=,\nstrand_id,reported_on,rag,comment\ns-accm,2005-10-01,purple,x\n")
    dataset = load_dataset(valid_copy)
    assert _located(dataset.errors) == {("progress.csv", 2, "rag", "one-of")}


def test_sep_line_naming_an_unknown_separator_is_an_error(valid_copy):
    (valid_copy / "progress.csv").write_text("sep=#\nstrand_id#reported_on#rag#comment\n")
    dataset = load_dataset(valid_copy)
    assert ("progress.csv", None, "", "separator") in _located(dataset.errors)


def test_tabs_are_detected_with_a_warning(valid_copy):
    (valid_copy / "plans.csv").write_text(
        "plan_id\tarea_id\ttitle\tstarts\tends\n"
        "plan-a\tarea-a\tPlan A, 2005/06\t2005-04-01\t2006-03-31\n")
    dataset = load_dataset(valid_copy)
    assert dataset.errors == []
    assert ("plans.csv", 1, "", "separator") in _located(dataset.warnings)
    assert dataset.table("plans")["title"].tolist() == ["Plan A, 2005/06"]


def test_decimal_comma_in_a_semicolon_file_is_read_with_a_warning(valid_copy):
    (valid_copy / "inspection_scores.csv").write_text(
        "inspection_id;criterion;value\ninsp-a;A1;Partly met\ninsp-a;B1;46,5\ninsp-a;B;61\n")
    dataset = load_dataset(valid_copy)
    assert dataset.errors == []
    [warning] = [p for p in dataset.warnings if p.rule == "decimal-comma"]
    assert (warning.file, warning.row, warning.column, warning.value) == (
        "inspection_scores.csv", 3, "value", "46,5")
    assert "46.5" in warning.message
    scores = dataset.table("inspection_scores").set_index("criterion")
    assert scores.at["B1", "score"] == 46.5


def test_decimal_comma_is_not_read_in_text_columns(valid_copy):
    (valid_copy / "progress.csv").write_text(
        "strand_id;reported_on;rag;comment\ns-accm;2005-10-01;green;3,5\n")
    dataset = load_dataset(valid_copy)
    assert dataset.table("progress")["comment"].tolist() == ["3,5"]
    assert not [p for p in dataset.problems if p.rule == "decimal-comma"]


def test_decimal_comma_keeps_rate_precision(valid_copy):
    # 80/200 = 40.0%: "40,0" has one decimal place, so 40,0 agrees and 40,3 does not.
    path = valid_copy / "reoffending.csv"
    header = "area_id;cohort;measure;offenders;reoffenders;rate;reoffences;predicted_rate;" \
             "serious_reoffences\n"
    path.write_text(header + "area-a;2005-Q1;adult-proven-1yr;200;80;40,0;240;38,5;3\n"
                             "area-b;2005-Q1;adult-proven-1yr;200;80;40,3;240;38,5;3\n")
    dataset = load_dataset(valid_copy)
    assert _located(dataset.errors) == {("reoffending.csv", 3, "rate", "rate-agrees")}


# ---------------------------------------------------------------------------------------------
# Excel


def _workbook(valid: Path, **titles: str) -> Workbook:
    """The valid dataset as a workbook, a sheet per table (renamed by `titles`)."""
    book = Workbook()
    book.remove(book.active)
    for path in sorted(valid.glob("*.csv")):
        sheet = book.create_sheet(titles.get(path.stem, path.stem))
        with path.open() as handle:
            for row in csv.reader(handle):
                sheet.append([int(v) if v.isdigit() else v for v in row])
    return book


def _save(book: Workbook, tmp_path: Path) -> Path:
    target = tmp_path / "workbook.xlsx"
    book.save(target)
    return target


def test_percent_formatted_cells_read_as_shown(valid_copy, tmp_path):
    book = _workbook(valid_copy)
    sheet = book["reoffending"]
    for cell, value in (("F2", 0.4), ("H2", 0.385), ("H3", 0.07)):
        sheet[cell] = value
        sheet[cell].number_format = "0.0%"
    dataset = load_dataset(_save(book, tmp_path))
    assert dataset.errors == []
    reoffending = dataset.table("reoffending").set_index("source_row")
    assert reoffending.at[2, "rate"] == 40.0
    assert reoffending.at[2, "predicted_rate"] == 38.5
    assert reoffending.at[3, "predicted_rate"] == 7.0  # not 7.000000000000001


def test_percent_format_precision_is_the_rate_precision(valid_copy, tmp_path):
    # 80/200 is 40.0%: 0.403 shown as 40.3% is read as 40.3, one decimal place, and disagrees.
    book = _workbook(valid_copy)
    book["reoffending"]["F2"] = 0.403
    book["reoffending"]["F2"].number_format = "0.0%"
    dataset = load_dataset(_save(book, tmp_path))
    assert ("workbook.xlsx[reoffending]", 2, "rate", "rate-agrees") in _located(dataset.errors)


def test_merged_cells_fill_their_range_with_a_warning(valid_copy, tmp_path):
    book = _workbook(valid_copy)
    sheet = book["areas"]  # family_group (E) is "small" for area-a (row 4) and area-b (row 5)
    sheet["E5"] = None
    sheet.merge_cells("E4:E5")
    dataset = load_dataset(_save(book, tmp_path))
    assert dataset.errors == []
    assert dataset.table("areas").set_index("area_id").at["area-b", "family_group"] == "small"
    [warning] = [p for p in dataset.warnings if p.rule == "merged-cells"]
    assert (warning.file, warning.row, warning.column, warning.value) == (
        "workbook.xlsx[areas]", 4, "family_group", "E4:E5")


def test_formula_without_a_saved_value_is_an_error_naming_sheet_and_cell(valid_copy, tmp_path):
    book = _workbook(valid_copy)
    book["reoffending"]["D2"] = "=100+100"  # openpyxl saves formulas without values
    dataset = load_dataset(_save(book, tmp_path))
    [problem] = dataset.errors
    assert (problem.file, problem.row, problem.column, problem.rule) == (
        "workbook.xlsx[reoffending]", 2, "offenders", "formula-no-value")
    assert "D2" in problem.message and "'reoffending'" in problem.message
    assert problem.value == "=100+100"
    assert list(dataset.table("reoffending")["area_id"]) == ["area-b"]


def test_hidden_sheet_is_ignored_with_a_warning(valid_copy, tmp_path):
    book = _workbook(valid_copy)
    hidden = book.create_sheet("Areas ")
    hidden.append(["area_id", "name", "area_type"])
    hidden.append(["ghost", "Ghost", "nation"])
    hidden.sheet_state = "hidden"
    dataset = load_dataset(_save(book, tmp_path))
    assert dataset.errors == []
    assert "ghost" not in set(dataset.table("areas")["area_id"])
    assert ("workbook.xlsx[Areas ]", None, "", "not-read") in _located(dataset.warnings)


def test_two_visible_sheets_for_one_table_are_an_error(valid_copy, tmp_path):
    book = _workbook(valid_copy)
    book.create_sheet("Plans ").append(["plan_id"])  # Excel refuses "Plans" beside "plans"
    dataset = load_dataset(_save(book, tmp_path))
    assert {("workbook.xlsx[plans]", None, "", "duplicate-table"),
            ("workbook.xlsx[Plans ]", None, "", "duplicate-table")} <= _located(dataset.errors)


def test_sheets_named_loosely_are_read_and_others_listed(valid_copy, tmp_path):
    book = _workbook(valid_copy, reoffending="Re-offending", inspection_scores="Inspection Scores")
    book.create_sheet("Notes")
    dataset = load_dataset(_save(book, tmp_path))
    assert dataset.errors == []
    assert dataset.files["reoffending"] == "workbook.xlsx[Re-offending]"
    assert len(dataset.table("inspection_scores")) == 3
    assert {(p.file, p.rule) for p in dataset.warnings} == {("workbook.xlsx[Notes]", "not-read")}


def test_workbook_problems_exit_1_without_a_traceback(valid_copy, tmp_path):
    book = _workbook(valid_copy)
    book["reoffending"]["D2"] = "=SUM(A1:A2)"
    result = runner.invoke(app, ["validate", str(_save(book, tmp_path))])
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert "formula-no-value" in result.output and "workbook.xlsx[reoffending]" in result.output
