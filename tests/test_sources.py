"""Named sources: each table and chart cites what its own rows name, never a generic publisher."""

from __future__ import annotations

import html
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from great_tables import GT

from analysis import charts, tables
from analysis.contract import TABLES
from analysis.loader import load_dataset
from analysis.pipeline import Results, analyse
from analysis.sources import source_line
from analysis.spreadsheets import write_area_workbook

EXAMPLE = Path(__file__).parent.parent / "data" / "example"

# Typed from the source documents (../shared/seeds): the cover of the Gloucestershire ESI report
# (002; "Her Majesty's Inspectorate of Probation", its foreword dated January 2005) and the cover
# of the East Midlands plan (004, which prints no date of publication).
HMIP = "HM Inspectorate of Probation"
ESI_TITLE = ("Effective Supervision Inspection of the National Probation Service for England and "
             "Wales: Report on Gloucestershire Probation Area")
ESI = f"{HMIP}, {ESI_TITLE} (January 2005)"
EAST_MIDLANDS = "NOMS East Midlands, East Midlands Reducing Re-offending Delivery Plan 2009-10"
MOJ_CONSULTATION = ("Ministry of Justice, Strategic Plan for Reducing Re-offending: Working in "
                    "partnership to reduce re-offending and make communities safer: A Consultation")
NOT_NAMED = "Source: not named in the data; workbook analysis."


@pytest.fixture(scope="module")
def dataset():
    return load_dataset(EXAMPLE)


@pytest.fixture(scope="module")
def example(dataset) -> Results:
    return analyse(dataset, as_of=date(2005, 12, 31))


def _html(gt: GT | None) -> str:
    assert isinstance(gt, GT)
    return html.unescape(gt.as_raw_html())


def _rows(frame: pd.DataFrame, **chosen: str) -> pd.DataFrame:
    for column, value in chosen.items():
        frame = frame[frame[column] == value]
    return frame.reset_index(drop=True)


# --------------------------------------------------------------------------- the line itself


def test_the_contract_defines_the_three_columns_once_for_each_table():
    for name in ("reoffending", "indicators", "inspections"):
        columns = {c.name: c for c in TABLES[name].columns}
        for column in ("source_publisher", "source_title", "source_date"):
            assert not columns[column].required and columns[column].nullable
    # One definition: the three tables share the same column objects.
    assert (TABLES["reoffending"].column("source_title")
            == TABLES["inspections"].column("source_title")
            == TABLES["indicators"].column("source_title"))


def test_a_frame_without_source_columns_names_no_source():
    frame = pd.DataFrame({"area_id": ["testshire"], "rate": [40.0]})
    assert source_line(frame) == NOT_NAMED
    assert source_line(None) == NOT_NAMED


def test_rows_naming_one_source_and_rows_naming_none_say_both():
    frame = pd.DataFrame({
        "source_publisher": [HMIP, None, HMIP, "  "],
        "source_title": [ESI_TITLE, None, ESI_TITLE, ""],
        "source_date": ["January 2005", None, "January 2005", None],
    })
    assert source_line(frame) == (f"Source: {ESI}; not named in the data for the other rows; "
                                  "workbook analysis.")


def test_several_sources_are_listed_once_in_the_order_rows_name_them():
    frame = pd.DataFrame({
        "source_publisher": ["NOMS East Midlands", HMIP, "NOMS East Midlands"],
        "source_title": ["East Midlands Reducing Re-offending Delivery Plan 2009-10", ESI_TITLE,
                         "East Midlands Reducing Re-offending Delivery Plan 2009-10"],
        "source_date": [None, "January 2005", None],
    })
    # No date printed: none is given, not guessed.
    assert source_line(frame) == f"Source: {EAST_MIDLANDS}; {ESI}; workbook analysis."


# --------------------------------------------------------------------------- the example data


def test_gloucestershire_reconviction_table_and_chart_cite_the_inspection(example):
    rates = _rows(example.reoffending_rates, area_id="gloucestershire",
                  measure="community-order-reconviction-2yr")
    assert len(rates) == 1
    page = _html(tables.rates_table(rates, threshold=10))
    assert f"Source: {ESI}; workbook analysis." in page
    assert "Ministry of Justice" not in page
    chart = charts.rate_trend(example.reoffending_rates, threshold=10, area_id="gloucestershire",
                              measure="community-order-reconviction-2yr")
    assert chart is not None
    assert chart.source == f"Source: {ESI}; workbook analysis"
    assert "Ministry of Justice" not in chart.source


def test_east_midlands_ni18_and_ni30_tables_cite_the_plan(example):
    ni18 = example.ni18_targets
    assert len(ni18) == 6
    for gt in (tables.ni18_table(ni18, threshold=10), tables.ni18_check_table(ni18)):
        page = _html(gt)
        assert f"Source: {EAST_MIDLANDS}; workbook analysis." in page
        assert "Ministry of Justice" not in page
    ni30 = example.ni30_progress
    assert sorted(ni30["area_id"]) == ["lincolnshire", "northamptonshire"]
    page = _html(tables.ni30_table(ni30, threshold=10))
    assert f"Source: {EAST_MIDLANDS}; workbook analysis." in page
    assert charts.ni18_chart(ni18).source == f"Source: {EAST_MIDLANDS}; workbook analysis"
    assert charts.ni30_chart(ni30).source == f"Source: {EAST_MIDLANDS}; workbook analysis"


def test_indicators_and_inspection_tables_cite_their_own_documents(example, dataset):
    glos = _rows(example.indicators_status, area_id="gloucestershire")
    assert f"Source: {ESI}; workbook analysis." in _html(tables.indicators_table(glos))
    nation = _rows(example.indicators_status, area_id="england-and-wales")
    # The consultation prints no date: the line gives none.
    assert (f"Source: {MOJ_CONSULTATION}; workbook analysis."
            in _html(tables.indicators_table(nation)))
    inspections = dataset.table("inspections")
    for gt in (tables.sections_table(example.inspection_sections, inspections),
               tables.criteria_table(example.inspection_criteria, inspections),
               tables.recommendations_table(example.recommendations_status, None, inspections)):
        page = _html(gt)
        assert f"Source: {ESI}; workbook analysis." in page
        assert "HMI Probation inspection report" not in page


def test_the_xlsx_sheet_cites_its_rows_sources(example, dataset, tmp_path):
    from openpyxl import load_workbook

    path = write_area_workbook(example, dataset, "gloucestershire", tmp_path)
    sheet = load_workbook(path)["Reoffending_rates"]
    texts = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert any(ESI in t for t in texts)
    assert not any("Ministry of Justice" in t for t in texts)


# --------------------------------------------------------------------------- escaping


def test_markup_in_a_source_is_escaped_in_the_html_table():
    rates = pd.DataFrame({
        "area_id": ["testshire"], "measure": ["adult-proven-1yr"], "cohort": ["2020-Q1"],
        "offenders": pd.array([400], dtype="Int64"), "reoffenders": pd.array([180], dtype="Int64"),
        "rate": [45.0], "predicted_rate": [44.0],
        "source_publisher": ["<b>x</b> & *y*"], "source_title": ["Title"], "source_date": ["2020"],
    })
    raw = tables.rates_table(rates, threshold=10).as_raw_html()
    assert "&lt;b&gt;x&lt;/b&gt; &amp; *y*, Title (2020)" in raw
    assert "<b>x</b>" not in raw


def test_derived_tables_carry_the_source_of_the_rows_they_come_from(example):
    rates = example.reoffending_rates.set_index("area_id")
    assert rates.loc["gloucestershire", "source_publisher"] == HMIP
    assert rates.loc["derby", "source_title"] == "East Midlands Reducing Re-offending Delivery Plan 2009-10"
    assert set(example.ni18_targets["source_publisher"]) == {"NOMS East Midlands"}
    assert set(example.ni30_progress["source_publisher"]) == {"NOMS East Midlands"}
    assert example.ni30_progress["source_date"].isna().all()  # the plan prints no date
    for frame in (example.inspection_sections, example.inspection_criteria):
        assert set(frame["source_date"]) == {"January 2005"}
    nation = example.indicators_status.set_index("area_id").loc["england-and-wales"]
    assert nation["source_publisher"] == "Ministry of Justice"


def test_plan_tables_and_charts_cite_the_plan_by_its_title():
    # The East Midlands plan prints its title and "July 2009"; the Gloucestershire plan no date.
    from analysis.report import AreaReport
    from analysis.sources import plan_source

    plans = pd.read_csv(EXAMPLE / "plans.csv", dtype=str, keep_default_na=False)
    em = plans[plans["plan_id"] == "em-delivery-2009-10"]
    assert plan_source(em) == ("Source: East Midlands Reducing Re-offending Delivery Plan 2009-10 "
                               "(July 2009); workbook analysis.")
    assert plan_source(plans.iloc[0:0]) == ("Source: the action plan (not named in the data); "
                                            "workbook analysis.")
    report = AreaReport.build(EXAMPLE, "east-midlands")
    shown = [b for b in report.progress() if b.kind in ("table", "chart") and b.content is not None]
    said = " ".join(b.content.as_raw_html() if b.kind == "table" else b.content.source for b in shown)
    assert said.count("East Midlands Reducing Re-offending Delivery Plan 2009-10 (July 2009)") >= 5
    assert "area reducing reoffending action plan" not in said
