"""Reading MoJ proven reoffending tables in their published shapes (analysis.moj)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook

from analysis.moj import MojShapeError, moj_cohort, read_moj

from .conftest import DATA

BUNDLE = DATA / "moj" / "bundle.csv"


@pytest.mark.parametrize(("label", "key", "kind", "start", "end"), [
    ("Jan to Mar 2021", "2021-Q1", "quarter", date(2021, 1, 1), date(2021, 3, 31)),
    ("Oct to Dec 2020", "2020-Q4", "quarter", date(2020, 10, 1), date(2020, 12, 31)),
    ("Apr 2008 to Mar 2009", "2008/09", "financial_year", date(2008, 4, 1), date(2009, 3, 31)),
    ("Jan 2021 to Dec 2021", "2021", "year", date(2021, 1, 1), date(2021, 12, 31)),
    ("Jul 2022 to Jun 2023", "2022-07/2023-06", "12_months", date(2022, 7, 1), date(2023, 6, 30)),
    ("October 2022 to September  2023", "2022-10/2023-09", "12_months", date(2022, 10, 1),
     date(2023, 9, 30)),
    ("Oct to Sep 2023", "2022-10/2023-09", "12_months", date(2022, 10, 1), date(2023, 9, 30)),
])
def test_cohort_labels_read_as_the_workbooks_keys(label, key, kind, start, end):
    cohort = moj_cohort(label)
    assert (cohort.key, cohort.kind, cohort.start, cohort.end) == (key, kind, start, end)
    assert cohort.label == " ".join(label.split())


@pytest.mark.parametrize(("label", "why"), [
    ("Feb to Apr 2021", "spans 3 months, not a quarter"),  # three months, but not a quarter
    ("Jan to Jun 2021", "spans 6 months"),
    ("2021-Q1", "expected e.g. 'Jan to Mar 2021'"),
    ("Jan to Mab 2021", "expected e.g."),
    # A month must be a month (a start of its name, three letters or more), a year from 1900.
    ("Janx to Marx 2021", "expected e.g."),
    ("Jun to Jul 2021 x", "expected e.g."),
    ("Ju to Aug 2021", "expected e.g."),
    ("Jan to Mar 0000", "years must run forwards, from 1900"),
])
def test_other_labels_are_refused_by_name(label, why):
    with pytest.raises(ValueError, match=why):
        moj_cohort(label)


def test_the_csv_bundle_with_flags_and_thousands():
    table = read_moj(BUNDLE)
    assert table["row"].tolist() == [2, 3, 4]
    assert table["cohort"].tolist() == ["2021-Q1", "2021-Q1", "2008/09"]
    assert table["offenders"].tolist() == [12345, 25, 4000]
    first, youth, old = (table.iloc[i] for i in range(3))
    assert (first["reoffenders"], first["reoffences"]) == (3456, 11002) and pd_na(first["flags"])
    assert pd_na(youth["reoffenders"]) and pd_na(youth["reoffences"])
    assert youth["flags"] == "reoffenders: *; reoffences: .."
    assert old["flags"] == "reoffences: -" and old["subcategory1"] == "18 to 20"
    assert (first["category"], first["adult_juvenile"]) == ("a. Ethnicity and sex", "Adult")
    assert str(table["offenders"].dtype) == "Int64"


def pd_na(value: object) -> bool:
    import pandas as pd

    return value is None or value is pd.NA


def _tool(path: Path, rows: list[list[object]], sheet: str = "Data") -> Path:
    book = Workbook()
    book.active.title = sheet
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def test_the_geographical_data_tool_with_titles_above_a_line_broken_header(tmp_path: Path):
    path = _tool(tmp_path / "tool.xlsx", [
        ["Proven reoffending statistics: geographical data tool"],
        ["Source: Ministry of Justice"],
        [],
        ["Category", "Adult / Juvenile", "Geography", "Cohort", "Number of\r\noffenders",
         "Number of\nreoffenders"],
        ["UTLA total", "Adult", "Gloucestershire", "Jul 2022 to Jun 2023", 5000, 1400],
        ["UTLA", "Juvenile", "Rutland", "Jul 2022 to Jun 2023", 12, "*"],
    ])
    table = read_moj(path)
    assert table["file"].tolist() == ["tool.xlsx[Data]"] * 2
    assert table["row"].tolist() == [5, 6]
    assert table["geography"].tolist() == ["Gloucestershire", "Rutland"]
    assert table["cohort"].tolist() == ["2022-07/2023-06"] * 2
    assert table["cohort_as_printed"].tolist() == ["Jul 2022 to Jun 2023"] * 2
    assert table["reoffenders"].iloc[0] == 1400 and pd_na(table["reoffenders"].iloc[1])
    assert table["flags"].iloc[1] == "reoffenders: *"
    assert pd_na(table["reoffences"].iloc[0])  # local tools have no reoffences column


def test_any_other_shape_is_refused_saying_what_was_expected(tmp_path: Path):
    with pytest.raises(MojShapeError, match="has a sheet 'Data'; this workbook has Sheet1"):
        read_moj(_tool(tmp_path / "a.xlsx", [["x"]], sheet="Sheet1"))
    with pytest.raises(MojShapeError, match="no header row in its first 30 rows"):
        read_moj(_tool(tmp_path / "b.xlsx", [["area", "rate"], ["x", 1]]))
    (tmp_path / "c.txt").write_text("x")
    with pytest.raises(MojShapeError, match="expected the geographical data tool"):
        read_moj(tmp_path / "c.txt")


@pytest.mark.parametrize(("cell", "message"), [
    ("lots", r"bundle.csv row 2, column offenders: 'lots' is neither a count \(a whole number"),
    ("-3", r"bundle.csv row 2, column offenders: '-3' is neither a count"),
    ("2.5", r"bundle.csv row 2, column offenders: '2.5' is neither a count"),
    # A comma anywhere but between groups of three, an exponent: not how a count is printed.
    ('"12,34"', r"bundle.csv row 2, column offenders: '12,34' is neither a count"),
    ("1e3", r"bundle.csv row 2, column offenders: '1e3' is neither a count"),
    ("12345678901234567890", r"'12345678901234567890' is neither a count"),
])
def test_a_bad_count_names_file_row_column_and_value(tmp_path: Path, cell: str, message: str):
    path = tmp_path / "bundle.csv"
    path.write_text("cohort,category,subcategory1,subcategory2,adult_juvenile,offenders,reoffenders,"
                    f"reoffences\nJan to Mar 2021,a,b,c,Adult,{cell},1,1\n")
    with pytest.raises(MojShapeError, match=message):
        read_moj(path)


def test_a_row_without_its_cohort_is_refused(tmp_path: Path):
    path = tmp_path / "bundle.csv"
    path.write_text("cohort,category,subcategory1,subcategory2,adult_juvenile,offenders,reoffenders,"
                    "reoffences\nJan to Mar 2021,a,b,c,Adult,1,1,1\n,a,b,c,Adult,1,1,1\n")
    with pytest.raises(MojShapeError, match="bundle.csv row 3, column cohort: blank"):
        read_moj(path)


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="no named pipes here")
def test_a_named_pipe_is_refused_not_read(tmp_path: Path):
    import os

    os.mkfifo(tmp_path / "tool.csv")  # reading it would block for ever
    with pytest.raises(MojShapeError, match="tool.csv is a named pipe"):
        read_moj(tmp_path / "tool.csv")


def test_a_row_of_another_width_than_the_header_is_refused(tmp_path: Path):
    # "2,000" unquoted splits into two values: read by position it would be offenders 2.
    path = tmp_path / "bundle.csv"
    header = "cohort,category,subcategory1,subcategory2,adult_juvenile,offenders,reoffenders,reoffences\n"
    path.write_text(header + "Jan to Mar 2021,Total,,,Adult,2,000,1,500,3,000\n")
    with pytest.raises(MojShapeError, match="row 2: 11 values where the header names 8 columns"):
        read_moj(path)
    path.write_text(header + "Jan to Mar 2021,Total,,,Adult,12345\n")
    with pytest.raises(MojShapeError, match="row 2: 6 values where the header names 8 columns"):
        read_moj(path)


def test_months_may_be_written_out_or_shortened():
    assert moj_cohort("July 2022 to June 2023").key == "2022-07/2023-06"
    assert moj_cohort("Sept 2021 to Aug 2022").key == "2021-09/2022-08"
