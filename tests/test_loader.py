import csv
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from analysis.loader import load_dataset

from .conftest import DATA, EXAMPLE, overlay

BAD_CASES = sorted(p for p in (DATA / "bad").iterdir() if p.is_dir())
# Cases read with a warning: expected.csv lists the warnings, values.csv the values as read.
WARN_CASES = sorted(p for p in (DATA / "warn").iterdir() if p.is_dir())


def _expected(case: Path) -> list[tuple]:
    with (case / "expected.csv").open() as handle:
        return [(r["file"], int(r["row"]) if r["row"] else None, r["column"], r["rule"])
                for r in csv.DictReader(handle)]


def _values(case: Path) -> list[tuple[str, int, str, str]]:
    with (case / "values.csv").open(newline="") as handle:
        return [(r["table"], int(r["row"]), r["column"], r["value"]) for r in csv.DictReader(handle)]


def _as_read(dataset, table: str, row: int, column: str) -> str:
    """A typed cell as text ('' when missing), found by the row number the user sees."""
    frame = dataset.table(table).set_index("source_row")
    value = frame.at[row, column]
    return "" if pd.isna(value) else str(value)


def test_valid_dataset_loads_clean(valid_copy):
    dataset = load_dataset(valid_copy)
    assert dataset.errors == []
    assert len(dataset.table("reoffending")) == 2
    strands = dataset.table("strands").set_index("strand_id")
    assert strands.at["s-ete", "pathway"] == "ETE"
    assert strands.at["s-ete", "pathways"] == "ETE;PPO"
    milestones = dataset.table("milestones").set_index("milestone_id")
    assert str(milestones.at["m3", "due_date"].date()) == "2005-12-31"


def test_bad_corpus_is_large_enough():
    assert len(BAD_CASES) >= 40


@pytest.mark.parametrize("case", BAD_CASES, ids=lambda p: p.name)
def test_each_broken_rule_is_named_with_file_row_column(case, valid_copy):
    dataset = load_dataset(overlay(valid_copy, case))
    found = {(p.file, p.row, p.column, p.rule) for p in dataset.errors}
    for expected in _expected(case):
        assert expected in found, f"{expected} not in {sorted(found)}"


@pytest.mark.parametrize("case", BAD_CASES, ids=lambda p: p.name)
def test_no_row_is_silently_dropped(case, valid_copy):
    dataset = load_dataset(overlay(valid_copy, case))
    for name, read in dataset.rows_read.items():
        rejected = dataset.rows_rejected.get(name, set())
        assert read == len(dataset.table(name)) + len(rejected) if name in dataset.tables \
            else read == len(rejected)
        named = {p.row for p in dataset.errors if p.table == name}
        assert rejected <= named | set(range(2, read + 2)) and (
            rejected <= named or name not in dataset.tables)


def test_headers_are_normalised_and_extra_columns_kept(valid_copy):
    text = (valid_copy / "areas.csv").read_text()
    (valid_copy / "areas.csv").write_text(
        text.replace("area_id,name,area_type", " Area ID ,NAME,Area-Type", 1)
        .replace("population\n", "population,notes\n", 1)
    )
    dataset = load_dataset(valid_copy)
    assert dataset.errors == []
    assert "notes" in dataset.table("areas")


def test_blank_lines_keep_spreadsheet_row_numbers(valid_copy):
    path = valid_copy / "areas.csv"
    lines = path.read_text().splitlines()
    lines.insert(2, ",,,,,")  # a blank row 3
    lines.append("area-c,Area C,county,region-a,,")  # row 7 as a spreadsheet shows it
    path.write_text("\n".join(lines) + "\n")
    dataset = load_dataset(valid_copy)
    assert [(p.row, p.rule) for p in dataset.errors] == [(7, "one-of")]


def test_utf8_bom_windows_1252_and_semicolons_load(valid_copy):
    areas = valid_copy / "areas.csv"
    areas.write_bytes(b"\xef\xbb\xbf" + areas.read_bytes())
    plans = valid_copy / "plans.csv"
    plans.write_bytes(plans.read_text().replace("Plan A", "Plan \u00e9t\u00e9").encode("cp1252"))
    progress = valid_copy / "progress.csv"
    progress.write_text(progress.read_text().replace(",", ";"))
    dataset = load_dataset(valid_copy)
    assert dataset.errors == []
    assert dataset.table("plans")["title"].iloc[0] == "Plan \u00e9t\u00e9 2005/06"
    rules = {(p.file, p.rule) for p in dataset.warnings}
    assert ("plans.csv", "encoding") in rules
    assert ("progress.csv", "separator") in rules


def test_excel_workbook_with_a_sheet_per_table(valid_copy, tmp_path):
    book = Workbook()
    book.remove(book.active)
    for path in sorted(valid_copy.glob("*.csv")):
        sheet = book.create_sheet(path.stem)
        with path.open() as handle:
            for row in csv.reader(handle):
                sheet.append([int(v) if v.isdigit() else v for v in row])
    book["reoffending"]["B3"] = "2005-Q9"  # a broken cohort in row 3
    target = tmp_path / "workbook.xlsx"
    book.save(target)
    dataset = load_dataset(target)
    assert [(p.file, p.row, p.column, p.rule) for p in dataset.errors] == [
        ("workbook.xlsx[reoffending]", 3, "cohort", "cohort")]
    assert len(dataset.table("milestones")) == 3


def test_undated_milestones_and_leadless_strands_are_warnings(valid_copy):
    m = valid_copy / "milestones.csv"
    m.write_text(m.read_text().replace("31/12/2005", "ongoing"))
    s = valid_copy / "strands.csv"
    s.write_text(s.read_text().replace(",,,ACO Interventions,Jobcentre", ",,,,Jobcentre"))
    dataset = load_dataset(valid_copy)
    assert dataset.errors == []
    assert {(p.row, p.rule) for p in dataset.warnings} == {(3, "undated"), (3, "no-lead")}
    # The undated milestone is kept, not dropped.
    assert "m2" in set(dataset.table("milestones")["milestone_id"])


def test_example_data_meets_the_contract():
    dataset = load_dataset(EXAMPLE)
    assert dataset.errors == []


def _recommend(folder: Path, plan_area: str) -> None:
    """Move plan-a to plan_area and have r1 answered by its strand s-accm."""
    plans = folder / "plans.csv"
    plans.write_text(plans.read_text().replace("plan-a,area-a,", f"plan-a,{plan_area},"))


@pytest.mark.parametrize(("plan_area", "warned"), [
    ("area-a", False),  # the inspected area's own plan
    ("region-a", False),  # its region's plan answers it too
    ("area-b", True),  # a neighbour's plan does not
])
def test_strand_of_an_unrelated_area_is_warned_not_refused(valid_copy, plan_area, warned):
    _recommend(valid_copy, plan_area)
    dataset = load_dataset(valid_copy)
    assert dataset.errors == []
    found = [(p.file, p.row, p.column, p.value, p.rule) for p in dataset.warnings
             if p.rule == "other-area"]
    assert found == ([("recommendations.csv", 2, "addressed_by", "s-accm", "other-area")]
                     if warned else [])
    assert len(dataset.table("recommendations")) == 1


@pytest.mark.parametrize("case", WARN_CASES, ids=lambda p: p.name)
def test_each_warning_case_loads_what_the_analyst_meant(case, valid_copy):
    dataset = load_dataset(overlay(valid_copy, case))
    assert dataset.errors == []
    found = {(p.file, p.row, p.column, p.rule) for p in dataset.warnings}
    for expected in _expected(case):
        assert expected in found, f"{expected} not in {sorted(found)}"
    for table, row, column, value in _values(case):
        assert _as_read(dataset, table, row, column) == value, (table, row, column)


def test_the_corpus_has_a_warning_case_per_reading_rule():
    rules = {rule for case in WARN_CASES for *_, rule in _expected(case)}
    assert {"decimal-comma", "separator", "undated", "date-range", "not-read",
            "line-break"} <= rules


def test_counts_up_to_int64_load_exactly(valid_copy):
    path = valid_copy / "reoffending.csv"
    path.write_text(path.read_text().replace("200,80,40.0,240", "9223372036854775807,80,,240"))
    dataset = load_dataset(valid_copy)
    assert dataset.errors == []
    # Through a float this was 2**63, which wrapped to -9,223,372,036,854,775,808.
    assert dataset.table("reoffending").set_index("area_id").at["area-a", "offenders"] == 2**63 - 1


def test_count_beyond_int64_is_an_error_naming_the_value(valid_copy):
    path = valid_copy / "reoffending.csv"
    path.write_text(path.read_text().replace("200,80,40.0,240", "9223372036854775808,80,,240"))
    [problem] = load_dataset(valid_copy).errors
    assert (problem.file, problem.row, problem.column, problem.value, problem.rule) == (
        "reoffending.csv", 2, "offenders", "9223372036854775808", "non-negative")
    assert "64-bit" in problem.message


@pytest.mark.parametrize("value", ["NaN", "inf", "-inf", "1e309"])
def test_required_number_that_is_not_finite_is_an_error(valid_copy, value):
    path = valid_copy / "indicators.csv"
    path.write_text(path.read_text().replace(",40,90,", f",{value},90,"))
    [problem] = load_dataset(valid_copy).errors
    assert (problem.file, problem.row, problem.column, problem.value, problem.rule) == (
        "indicators.csv", 2, "value", value, "number")


def test_thousands_groups_still_read(valid_copy):
    path = valid_copy / "reoffending.csv"
    path.write_text(path.read_text().replace("area-b,2005-Q1,adult-proven-1yr,150,45,,120",
                                             'area-b,2005-Q1,adult-proven-1yr,"1,500",450,,"1,200"'))
    dataset = load_dataset(valid_copy)
    assert dataset.errors == []
    row = dataset.table("reoffending").set_index("area_id").loc["area-b"]
    assert (row["offenders"], row["reoffences"]) == (1500, 1200)


def test_ambiguous_comma_in_a_semicolon_file_is_refused_not_guessed(valid_copy):
    (valid_copy / "reoffending.csv").write_text(
        "area_id;cohort;measure;offenders;reoffenders;rate;reoffences;predicted_rate;"
        "serious_reoffences\narea-a;2005-Q1;adult-proven-1yr;1,200;80;;240;38,5;3\n")
    dataset = load_dataset(valid_copy)
    assert [(p.row, p.column, p.value, p.rule) for p in dataset.errors] == [
        (2, "offenders", "1,200", "ambiguous-comma")]
    assert "reoffending" in dataset.tables and dataset.table("reoffending").empty


def test_required_date_outside_the_range_is_an_error(valid_copy):
    path = valid_copy / "plans.csv"
    path.write_text(path.read_text().replace("2006-03-31", "9999-12-31"))
    [problem] = load_dataset(valid_copy).errors
    assert (problem.file, problem.row, problem.column, problem.value, problem.rule) == (
        "plans.csv", 2, "ends", "9999-12-31", "date-range")


def test_optional_date_outside_the_range_reads_blank_with_a_warning(valid_copy):
    path = valid_copy / "recommendations.csv"
    path.write_text(path.read_text().replace("s-accm,,open", "s-accm,9999-12-31,open"))
    dataset = load_dataset(valid_copy)
    assert dataset.errors == []
    [warning] = [p for p in dataset.warnings if p.rule == "date-range"]
    assert (warning.file, warning.row, warning.column, warning.value) == (
        "recommendations.csv", 2, "due", "9999-12-31")
    assert "12 months after publication" in warning.message  # what blank means there
    assert dataset.table("recommendations")["due"].isna().all()


def test_milestone_due_9999_is_undated_with_a_warning_saying_why(valid_copy):
    path = valid_copy / "milestones.csv"
    path.write_text(path.read_text().replace("31/12/2005", "31/12/9999"))
    dataset = load_dataset(valid_copy)
    assert dataset.errors == []
    [warning] = dataset.warnings
    assert (warning.row, warning.column, warning.value, warning.rule) == (
        3, "due", "31/12/9999", "undated")
    assert "9999-12-31 is outside 1990-2100" in warning.message
    milestones = dataset.table("milestones").set_index("milestone_id")
    assert pd.isna(milestones.at["m2", "due_date"]) and milestones.at["m2", "due"] == "31/12/9999"


def test_twenty_thousand_extra_columns_load(valid_copy):
    # Loading was quadratic in the number of columns (100,000 took minutes); this checks the
    # wide file loads correctly. No time is asserted: the machine's speed must not fail a test.
    extra = 20_000
    path = valid_copy / "areas.csv"
    header, *rows = path.read_text().splitlines()
    header += "".join(f",x{i}" for i in range(extra))
    rows = [row + "".join(f",{n}-{i}" if i % 5000 == 0 else "," for i in range(extra))
            for n, row in enumerate(rows, start=2)]
    path.write_text("\n".join([header, *rows]) + "\n")
    dataset = load_dataset(valid_copy)
    assert dataset.errors == []
    areas = dataset.table("areas")
    assert areas.shape == (4, 1 + 7 + extra)  # source_row, the contract's seven, the extras
    assert list(areas.columns[:7]) == ["source_row", "area_id", "name", "area_type", "parent_id",
                                       "family_group", "population"]
    assert areas.columns[-1] == "code"  # the contract's column the file lacks, blank, after the extras
    assert areas.set_index("source_row").at[4, "x15000"] == "4-15000"
    assert areas["x1"].isna().all()
    assert areas.set_index("area_id").at["area-b", "population"] == 2000


def test_a_cohort_key_of_the_right_shape_that_is_no_period_says_why(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "areas.csv").write_text("area_id,name,area_type\na,A,nation\n", encoding="utf-8")
    (folder / "reoffending.csv").write_text(
        "area_id,cohort,measure,offenders,reoffenders\n"
        "a,2022-07/2023-06,adult-proven-1yr,100,30\n"
        "a,2022-01/2022-12,adult-proven-1yr,100,30\n"
        "a,2009/11,adult-proven-1yr,100,30\n", encoding="utf-8")
    dataset = load_dataset(folder)
    found = {(p.row, p.value): p.message for p in dataset.errors if p.column == "cohort"}
    assert set(found) == {(3, "2022-01/2022-12"), (4, "2009/11")}  # row 2, a rolling year, is fine
    assert "that twelve months is a calendar year, written 2022" in found[(3, "2022-01/2022-12")]
    assert "must end in the following year (2009/10)" in found[(4, "2009/11")]
