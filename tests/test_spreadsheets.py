"""Tests for analysis.spreadsheets: GSS-style workbooks of the published tables (gptables)."""

from __future__ import annotations

import math
import re
from datetime import date
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from analysis.disclosure import MARKER
from analysis.loader import load_dataset
from analysis.pipeline import analyse
from analysis.report import load
from analysis.spreadsheets import (
    MISSING,
    OVERVIEW_FILE,
    SHEETS,
    write_area_workbook,
    write_overview_workbook,
)

from .conftest import DATA, EXAMPLE

AS_OF = date(2005, 12, 31)
AREA = "gloucestershire"
FORMULA = '=HYPERLINK("http://evil","x")'


def table_rows(ws) -> pd.DataFrame:
    """The Excel table on a sheet (gptables marks one per sheet) as a frame of cell values."""
    assert len(ws.tables) == 1, ws.title
    ref = next(iter(ws.tables.values())).ref
    rows = [[cell.value for cell in row] for row in ws[ref]]
    return pd.DataFrame(rows[1:], columns=rows[0])


def sheet_text(ws) -> list[str]:
    return [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]


@pytest.fixture(scope="module")
def example():
    return load(EXAMPLE, as_of=AS_OF)


@pytest.fixture(scope="module")
def glos(example, tmp_path_factory):
    dataset, results = example
    out = tmp_path_factory.mktemp("xlsx")
    path = write_area_workbook(results, dataset, AREA, out)
    return path, openpyxl.load_workbook(path)


def test_area_workbook_is_named_after_the_area_and_written_atomically(glos):
    path, _ = glos
    assert path.name == f"{AREA}-tables.xlsx"
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left


def test_cover_contents_notes_then_one_table_per_sheet(glos, example):
    _, wb = glos
    assert wb.sheetnames[:3] == ["Cover", "Contents", "Notes"]
    assert wb.sheetnames[3:] == ["Strands", "SMART_audit", "Milestones", "Pathway_coverage", "Lead_load",
                                 "Inspection_criteria", "Inspection_sections", "Recommendations",
                                 "Recommendations_by_inspection", "Reoffending_rates", "Benchmark",
                                 "Indicators", "Completeness"]
    # Tables with no rows for the area are left out and named on the cover.
    cover = " ".join(sheet_text(wb["Cover"]))
    assert "NI 18 reoffending targets" in cover and "Funnel plot" in cover
    contents = table_rows(wb["Contents"])
    assert list(contents["Sheet name"]) == wb.sheetnames[3:]
    for ws in wb.worksheets[3:]:
        assert ws["A1"].value and "[note" in ws["A1"].value  # a title citing its notes
        text = sheet_text(ws)
        assert any(t.startswith("Source: ") for t in text), ws.title
        assert len(table_rows(ws)) > 0


def test_cover_names_area_date_and_source_without_contact_details(glos):
    _, wb = glos
    cover = " ".join(sheet_text(wb["Cover"]))
    assert "Gloucestershire Probation Area" in cover
    assert "31 December 2005" in cover
    assert "Source:" in cover
    assert "Contact" not in cover and "@" not in cover


def test_notes_explain_the_shorthand_methods_and_units(glos):
    _, wb = glos
    notes = table_rows(wb["Notes"])
    assert list(notes.columns) == ["Note number", "Note text"]
    assert list(notes["Note number"]) == list(range(1, len(notes) + 1))
    text = " ".join(notes["Note text"])
    for phrase in (f"{MARKER} = withheld", f"{MISSING} = not available", "Units:", "Wilson",
                   "Spiegelhalter", "XmR", "SMART", "twelve months after publication"):
        assert phrase in text
    assert "due soon within 90 days" in text  # the same window the reports use (DUE_SOON_DAYS)
    # A title's "[note n]" points at a note that exists.
    titles = [ws["A1"].value for ws in wb.worksheets[3:]]
    cited = {int(n) for t in titles for n in re.findall(r"\[note (\d+)\]", t)}
    assert cited <= set(notes["Note number"])


def test_no_cell_is_blank_inside_a_table(glos):
    _, wb = glos
    for ws in wb.worksheets[3:]:
        frame = table_rows(ws)
        assert not frame.isna().any().any(), ws.title


def test_cell_values_match_the_results(glos, example):
    _, wb = glos
    _, results = example
    mine = results.for_area(AREA)
    strands = table_rows(wb["Strands"])
    expected = mine["strands_summary"]
    assert list(strands["Strand ID"]) == list(expected["strand_id"])
    assert list(strands["Strand"]) == list(expected["title"])
    assert list(strands["Milestones"]) == [int(v) for v in expected["milestones"]]
    assert list(strands["SMART score (of 5)"]) == [int(v) for v in expected["smart_score"]]
    assert list(strands["RAG rating"]) == list(expected["rag"])

    sections = table_rows(wb["Inspection_sections"])
    for got, want in zip(sections["Workbook score (%)"], mine["inspection_sections"]["score"], strict=True):
        assert got == MISSING if pd.isna(want) else got == pytest.approx(round(float(want), 1))

    rates = table_rows(wb["Reoffending_rates"])
    want = mine["reoffending_rates"]
    assert list(rates["Cohort"]) == list(want["cohort"])
    for got, value in zip(rates["Rate (%)"], want["rate"], strict=True):
        assert got == pytest.approx(round(float(value), 1))
    # A printed rate without counts: the counts are not available, not withheld.
    assert set(rates["Offenders"]) == {MISSING}

    # Gloucestershire's 2005 inspections: 15 recommendations, 10 without a strand, the Board's
    # response due three months after January 2005 publication.
    recs = table_rows(wb["Recommendations"])
    assert len(recs) == 15 and (recs["State"] == "Not answered").sum() == 10
    assert set(recs["Response due"]) == {"2005-04-01"} and set(recs["Implementation due"]) == {"2006-01-01"}
    per = table_rows(wb["Recommendations_by_inspection"]).set_index("Inspection ID")
    assert (per.at["glos-esi-2005", "Recommendations"], per.at["glos-esi-2005", "Not answered"]) == (10, 8)

    milestones = table_rows(wb["Milestones"])
    assert len(milestones) == len(mine["milestones_status"])
    assert list(milestones["State"]) == list(mine["milestones_status"]["state"])


def test_only_public_columns_are_written(glos):
    _, wb = glos
    headers = {h for ws in wb.worksheets[1:] for h in table_rows(ws).columns}
    for never in ("predicted_variance", "source_row", "suppressed", "expected_reoffenders",
                  "reoffended", "rate_source", "z", "p_value"):
        assert never not in headers
    assert not [h for h in headers if "_" in h]  # plain-English headings, not column names


def test_every_spec_lists_public_columns_only():
    from analysis.pipeline import _NEVER_EXPORTED

    for spec in SHEETS:
        assert not {c.source for c in spec.columns} & _NEVER_EXPORTED
        assert len(spec.sheet) <= 31


def test_two_writes_give_identical_bytes(example, tmp_path):
    dataset, results = example
    first = write_area_workbook(results, dataset, AREA, tmp_path / "a.xlsx").read_bytes()
    second = write_area_workbook(results, dataset, AREA, tmp_path / "b.xlsx").read_bytes()
    assert first == second


def test_overview_workbook_has_every_area_side_by_side(example, tmp_path):
    dataset, results = example
    path = write_overview_workbook(results, dataset, tmp_path)
    assert path.name == OVERVIEW_FILE
    wb = openpyxl.load_workbook(path)
    assert "Inspection_family" in wb.sheetnames and "NI18_targets" in wb.sheetnames
    strands = table_rows(wb["Strands"])
    assert list(strands.columns[:2]) == ["Area", "Area ID"]
    assert set(strands["Area ID"]) == set(results.strands_summary["area_id"])
    ni18 = table_rows(wb["NI18_targets"])
    assert len(ni18) == len(results.ni18_targets)
    # A chosen set of areas cuts every table to them.
    only = write_overview_workbook(results, dataset, tmp_path / "derby.xlsx", area_ids=["derby"])
    ni18 = table_rows(openpyxl.load_workbook(only)["NI18_targets"])
    assert set(ni18["Area ID"]) == {"derby"}


def test_unknown_area_is_refused(example, tmp_path):
    dataset, results = example
    with pytest.raises(ValueError, match="atlantis"):
        write_area_workbook(results, dataset, "atlantis", tmp_path)
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------------------------
# Suppressed cells and text that looks like something else


def _valid_with(tmp_path: Path, **replacements: str) -> Path:
    """A copy of tests/data/valid with whole files replaced."""
    target = tmp_path / "data"
    target.mkdir()
    for source in (DATA / "valid").iterdir():
        text = replacements.get(source.name, source.read_text(encoding="utf-8"))
        (target / source.name).write_text(text, encoding="utf-8")
    return target


def test_suppressed_cells_read_c_never_blank(tmp_path):
    data = _valid_with(tmp_path, **{"reoffending.csv": (
        "area_id,cohort,measure,offenders,reoffenders,rate,reoffences,predicted_rate,serious_reoffences\n"
        "area-a,2005-Q1,adult-proven-1yr,200,5,2.5,9,3.1,0\n"       # 5 reoffenders: primary
        "area-b,2005-Q1,adult-proven-1yr,150,45,,120,31.2,\n"      # no total beside it: shown
        "area-a,2005-Q2,adult-proven-1yr,7,3,,,40.0,\n"            # a cohort of 7: size hidden too
        "area-a,2005-Q3,adult-proven-1yr,100,95,,,90.0,\n")})      # 5 non-reoffenders
    dataset = load_dataset(data)
    assert not dataset.errors, dataset.errors
    results = analyse(dataset, as_of=AS_OF)
    wb = openpyxl.load_workbook(write_area_workbook(results, dataset, "area-a", tmp_path / "a.xlsx"))
    rates = table_rows(wb["Reoffending_rates"]).set_index("Cohort")
    for cohort in ("2005-Q1", "2005-Q2", "2005-Q3"):
        for column in ("Reoffenders", "Rate (%)", "95% CI lower (%)", "95% CI upper (%)",
                       "Actual minus predicted (points)", "Significant at 5%"):
            assert rates.loc[cohort, column] == MARKER, (cohort, column)
    assert rates.loc["2005-Q1", "Offenders"] == 200
    assert rates.loc["2005-Q2", "Offenders"] == MARKER
    assert rates.loc["2005-Q1", "Predicted rate (%)"] == pytest.approx(3.1)
    # No figure published beside area-b's is their sum (no parent area has a row), so nothing
    # gives area-a's 5 away by subtraction and area-b's count stands.
    wb_b = openpyxl.load_workbook(write_area_workbook(results, dataset, "area-b", tmp_path / "b.xlsx"))
    assert table_rows(wb_b["Reoffending_rates"]).loc[0, "Reoffenders"] == 45
    # No count from 1 to 9 anywhere in a people-count column.
    for book in (wb, wb_b):
        for ws in book.worksheets[3:]:
            frame = table_rows(ws)
            for column in ("Offenders", "Reoffenders"):
                if column in frame:
                    assert not any(isinstance(v, int | float) and 0 < v < 10 for v in frame[column])


def test_text_that_looks_like_a_formula_link_or_number_stays_text(tmp_path):
    strands = (DATA / "valid" / "strands.csv").read_text(encoding="utf-8")
    strands = strands.replace("Housing database", '"=HYPERLINK(""http://evil"",""x"")"')
    strands = strands.replace("Jobs for PPOs", "http://example.org/a [link](http://x) $$c$$")
    strands = strands.replace("ACO Interventions,Police", "+1 -2 @SUM(A1),Police")
    data = _valid_with(tmp_path, **{"strands.csv": strands})
    dataset = load_dataset(data)
    assert not dataset.errors, dataset.errors
    assert FORMULA in set(dataset.table("strands")["title"])
    results = analyse(dataset, as_of=AS_OF)
    path = write_area_workbook(results, dataset, "area-a", tmp_path / "a.xlsx")
    wb = openpyxl.load_workbook(path)
    seen = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    seen.setdefault(cell.value, []).append(cell)
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if ws.title != "Contents":  # the contents' links to its own sheets
                    assert cell.hyperlink is None, (ws.title, cell.coordinate, cell.value)
    for text in (FORMULA, "http://example.org/a [link](http://x) $$c$$", "+1 -2 @SUM(A1)"):
        assert text in seen, text
        assert all(cell.data_type == "s" for cell in seen[text])
    # Contents links go only to sheets of this workbook.
    links = [c.hyperlink.location for row in wb["Contents"].iter_rows() for c in row if c.hyperlink]
    assert links and all(link.endswith("!A1") for link in links)
    # The raw XML holds no formula element at all.
    import zipfile

    with zipfile.ZipFile(path) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
        assert not any(b"<f>" in archive.read(n) for n in sheets)


def test_missing_numbers_and_non_finite_values_read_x():
    from analysis.spreadsheets import _cell

    assert _cell(float("nan")) == MISSING
    assert _cell(math.inf) == MISSING
    assert _cell(pd.NA) == MISSING
    assert _cell("  ") == MISSING
    assert _cell(True) == "Yes"
    assert _cell(12.345, 1) == 12.3
    assert _cell(7.0, 0) == 7 and isinstance(_cell(7.0, 0), int)
    assert _cell(date(2005, 1, 2)) == "2005-01-02"
    long = _cell("x" * 40_000)
    assert isinstance(long, str) and len(long) == 32_767 and long.endswith("cell holds]")
