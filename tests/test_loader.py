import csv
from pathlib import Path

import pytest
from openpyxl import Workbook

from analysis.loader import load_dataset

from .conftest import DATA, EXAMPLE, overlay

BAD_CASES = sorted(p for p in (DATA / "bad").iterdir() if p.is_dir())


def _expected(case: Path) -> list[tuple]:
    with (case / "expected.csv").open() as handle:
        return [(r["file"], int(r["row"]) if r["row"] else None, r["column"], r["rule"])
                for r in csv.DictReader(handle)]


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
