"""Tests for analysis.tables: great-tables output, "[c]" for suppressed cells, escaping, stable HTML."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from great_tables import GT

from analysis import tables
from analysis.disclosure import MARKER, RATES, protect, withhold
from analysis.loader import load_dataset
from analysis.pipeline import Results, analyse

EXAMPLE = Path(__file__).parent.parent / "data" / "example"
HOSTILE = "<script>alert(1)</script> **bold** <b>x</b> & $y$"


@pytest.fixture(scope="module")
def example() -> Results:
    return analyse(load_dataset(EXAMPLE), as_of=date(2005, 12, 31))


def _html(gt: GT | None) -> str:
    assert isinstance(gt, GT)
    return gt.as_raw_html()


def _cells(page: str) -> list[str]:
    """Visible text of each body cell."""
    return [
        html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
        for c in re.findall(r'<td[^>]*class="gt_row[^"]*"[^>]*>(.*?)</td>', page, re.DOTALL)
    ]


def _rates() -> pd.DataFrame:
    offenders = np.array([400, 410, 8, 420])
    reoffenders = np.array([180, 200, 3, 405])  # cohort 3 is tiny: suppressed
    rate = 100 * reoffenders / offenders
    frame = pd.DataFrame(
        {
            "area_id": "testshire",
            "measure": "adult-proven-1yr",
            "cohort": ["2020-Q1", "2020-Q2", "2020-Q3", "2020-Q4"],
            "offenders": pd.array(offenders, dtype="Int64"),
            "reoffenders": pd.array(reoffenders, dtype="Int64"),
            "rate": rate,
            "ci_low": rate - 4,
            "ci_high": rate + 4,
            "predicted_rate": [45.0, 46.0, 44.0, 45.0],
            "difference": rate - 45.0,
            "significant": pd.array([False, True, False, True], dtype="boolean"),
        }
    )
    return withhold(frame, protect(frame, None, threshold=10), RATES)


def test_rates_table_suppressed_cells_show_marker_and_footnote() -> None:
    frame = _rates()
    page = _html(tables.rates_table(frame, threshold=10))
    cells = _cells(page)
    hidden_row = cells[8 * 2 : 8 * 3]  # eight columns; the third cohort is suppressed
    assert hidden_row[0] == "2020-Q3"
    # offenders, reoffenders, rate, CI hidden; the predicted rate is not derived from the count
    assert hidden_row[1:8] == [MARKER] * 4 + ["44.0"] + [MARKER] * 2
    assert "withheld to protect confidentiality" in page


def test_rates_table_numbers(example: Results) -> None:
    page = _html(tables.rates_table(_rates().iloc[:2], threshold=10))
    cells = _cells(page)
    assert cells[:8] == ["2020-Q1", "400", "180", "45.0", "41.0 to 49.0", "45.0", "0.0", "No"]
    assert cells[8 + 6] == "+3.8" and cells[8 + 7] == "Yes"
    assert "withheld" not in page  # no suppressed cell, no footnote
    page = _html(tables.rates_table(example.reoffending_rates, threshold=10))
    assert "3,884" in page and "England and Wales" in page


def test_hostile_text_is_escaped_everywhere() -> None:
    strands = pd.DataFrame(
        {
            "strand_id": ["s1"],
            "plan_id": ["p"],
            "area_id": ["t"],
            "pathway": ["ACCM"],
            "pathways": ["ACCM"],
            "title": [HOSTILE],
            "lead": [HOSTILE],
            "milestones": [1],
            "complete": [0],
            "met_on_time": [0],
            "overdue": [1],
            "due_soon": [0],
            "undated": [0],
            "dropped": [0],
            "rag": ["red"],
            "rag_source": ["derived"],
            "smart_score": [4],
            "smart_met": ["specific; measurable; owned; partnered"],
            "smart_missing": [f"time-bound: {HOSTILE}"],
        }
    )
    for gt in (tables.strands_table(strands), tables.smart_audit_table(strands)):
        page = _html(gt)
        assert "<script>" not in page and "<b>x</b>" not in page and "<strong>" not in page
        assert html.escape("<script>alert(1)</script>") in page
        assert any(HOSTILE in c for c in _cells(page))  # shown literally, markdown untouched
    indicators = pd.DataFrame(
        {
            "area_id": ["t"],
            "period": ["2004"],
            "indicator": [HOSTILE],
            "value": [1.0],
            "target": [2.0],
            "comparator": [np.nan],
            "comparator_label": [HOSTILE],
            "unit": ["count"],
            "better": ["higher"],
            "status": ["not met"],
            "gap": [-1.0],
            "vs_comparator": ["no comparator"],
        }
    )
    page = _html(tables.indicators_table(indicators))
    assert "<script>" not in page and _cells(page)[0] == HOSTILE


def test_strands_table_rag_in_words_and_colour(example: Results) -> None:
    frame = example.for_area("gloucestershire")["strands_summary"]
    page = _html(tables.strands_table(frame))
    cells = _cells(page)
    # As of 31 December 2005 no return says red and no milestone is recorded missed: the seven
    # strands whose only problems are milestones past due with nothing recorded are not reported (issue 12).
    assert {"Amber", "Green"} <= set(cells) and "Red" not in cells
    assert sum(c.lower() == "not reported" for c in cells) == 7
    assert "#FFDD00" in page.upper()
    assert "4 of 5" in cells and "RAG rule" in page


def test_smart_audit_table(example: Results) -> None:
    page = _html(tables.smart_audit_table(example.for_area("gloucestershire")["strands_summary"]))
    assert "\u2717 No: 1 of 2 milestones have no readable date ('3 Sept')" in html.unescape(page)
    assert "\u2713 Yes" in page


def test_sections_table_flags_difference(example: Results) -> None:
    frame = example.inspection_sections.head(4).assign(
        published=[61.0, 80.0, 70.0, 68.0], agrees=[True, False, True, True]
    )
    cells = _cells(_html(tables.sections_table(frame)))
    assert "\u2260 No: check" in cells and "\u22128.0" in cells and "60.7" in cells


def test_lead_load_shares_add_up_to_100_per_plan() -> None:
    # Plan p: 1, 1, 1 of 3 -> 33.3% each: floors 33 x 3 = 99, the tie goes to the first; plan q:
    # 2 of 2 -> 100. Half-up would print 33, 33, 33 (99%).
    frame = pd.DataFrame({"area_id": "t", "plan_id": ["p", "p", "p", "q"], "lead": ["A", "B", "C", "D"],
                          "strands": [1, 1, 1, 2], "open_milestones": 0, "overdue": 0,
                          "share": [33.3, 33.3, 33.3, 100.0]})
    cells = _cells(_html(tables.lead_load_table(frame)))
    assert [cells[k] for k in (2, 7, 12, 17)] == ["34", "33", "33", "100"]


def test_family_of_fewer_than_three_is_not_ranked(example: Results) -> None:
    # Gloucestershire is the only area of its family with an inspection: no "1 of 1".
    family = example.inspection_family
    assert set(family["family_size"]) == {1}
    html = _html(tables.family_table(family))
    ranks = _cells(html)[5::7]  # area, section, score, mean, areas in family, rank, all areas
    assert ranks and set(ranks) == {"\u2013"}


def test_other_tables_on_example(example: Results) -> None:
    glos = example.for_area("gloucestershire")
    assert "Partly met" in _cells(_html(tables.criteria_table(glos["inspection_criteria"])))
    # 15 and 3 of 18 strands: 83.33% and 16.67%, whole shares by largest remainder 83 + 17 = 100
    leads = _cells(_html(tables.lead_load_table(glos["lead_load"])))
    assert leads[:3] == ["ACO Interventions", "15", "83"]
    assert leads[5:8] == ["ACO Offender Management", "3", "17"]
    ni18 = _cells(_html(tables.ni18_table(example.ni18_targets, threshold=10)))
    # As the East Midlands plan prints them: the agreed target, rates to two decimals.
    assert ni18[:9] == ["Derby", "1st 4 cohorts (baseline)", "3,884", "294", "7.57", "261", "6.73",
                        "\u221211.06", "Agreed"]
    ni30 = _cells(_html(tables.ni30_table(example.ni30_progress, threshold=10)))
    assert ni30[:10] == ["Lincolnshire", "Oct 07 - Sept 08", "101", "30.9", "15", "1.09", "330",
                         "284", "280", "\u221215.2"]
    ind = _cells(_html(tables.indicators_table(glos["indicators_status"])))
    assert "40.0%" in ind and "\u2717 Not met" in ind and "10.4 days" in ind
    comp = _cells(_html(tables.completeness_table(glos["completeness"])))
    assert "Missing" in comp and "Partial" in comp


def test_ni30_targets_and_progress_are_two_tables_that_fit_a_page(example: Results) -> None:
    # The plan's NI 30 table and the progress since it were one table of 14 columns: on A4 it
    # hyphenated "Northampton-shire" and "re-of-fences". Targets: 10 columns, progress: 8.
    targets = _cells(_html(tables.ni30_table(example.ni30_progress, threshold=10)))
    assert targets[:10] == ["Lincolnshire", "Oct 07 - Sept 08", "101", "30.9", "15", "1.09", "330",
                            "284", "280", "\u221215.2"]  # (280 - 330) / 330 = -15.2%
    # The example has no cohort after the baseline: no progress table, a sentence instead.
    assert tables.ni30_progress_table(example.ni30_progress, threshold=10) is None
    assert "no cohort after the baseline" in tables.ni30_no_progress(example.ni30_progress)


def test_ni30_progress_table_sets_the_latest_cohort_against_the_target() -> None:
    from analysis.disclosure import NI30
    from analysis.reoffending import ni30_progress

    cohorts = pd.read_csv(Path(__file__).parent / "data" / "reoffending" / "ni30_east_midlands.csv")
    later = pd.DataFrame({"area_id": ["lincolnshire"], "cohort": ["2009/10"], "measure": "ni30",
                          "offenders": [98], "reoffences": [300]})
    cohorts = pd.concat([cohorts, later], ignore_index=True)
    published = withhold(ni30_progress(cohorts), protect(cohorts, None, threshold=10), NI30)
    cells = _cells(_html(tables.ni30_progress_table(published, threshold=10)))
    # Lincolnshire: 330 at the baseline, 300 in 2009/10: (300 - 330) / 330 = -9.1%; 300 is above
    # the ceiling of 284, so the ceiling target is not met. Northamptonshire has no later cohort.
    assert cells[:8] == ["Lincolnshire", "2007/08", "330", "280", "2009/10", "300",
                         "\u22129.1", "Ceiling target not met"]
    assert cells[8:16] == ["Northamptonshire", "2007/08", "858", "719", "\u2013", "\u2013",
                           "\u2013", "No later data"]
    assert tables.ni30_no_progress(published) is None


ALL: list[Callable[[Results], GT | None]] = [
    lambda r: tables.strands_table(r.strands_summary),
    lambda r: tables.smart_audit_table(r.strands_summary),
    lambda r: tables.lead_load_table(r.lead_load),
    lambda r: tables.criteria_table(r.inspection_criteria),
    lambda r: tables.sections_table(r.inspection_sections),
    lambda r: tables.rates_table(r.reoffending_rates, threshold=10),
    lambda r: tables.ni18_table(r.ni18_targets, threshold=10),
    lambda r: tables.ni30_table(r.ni30_progress, threshold=10),
    lambda r: tables.indicators_table(r.indicators_status),
    lambda r: tables.completeness_table(r.completeness),
    lambda r: tables.recommendations_table(r.recommendations_status, r.strands_summary),
    lambda r: tables.inspection_responses_table(r.inspection_responses),
]
NAMES = [
    "strands",
    "smart",
    "lead",
    "criteria",
    "sections",
    "rates",
    "ni18",
    "ni30",
    "indicators",
    "completeness",
    "recommendations",
    "responses",
]


@pytest.mark.parametrize("make", ALL, ids=NAMES)
def test_stable_html_with_title_source_and_fixed_id(
    make: Callable[[Results], GT | None], example: Results
) -> None:
    first, second = _html(make(example)), _html(make(example))
    assert first == second
    ids = set(re.findall(r'<div id="([^"]+)"', first))
    assert len(ids) == 1 and next(iter(ids)).startswith("wb-")
    assert "gt_title" in first and "Source:" in first


@pytest.mark.parametrize("make", ALL, ids=NAMES)
def test_empty_input_returns_none(make: Callable[[Results], GT | None], example: Results) -> None:
    empty = Results(
        **{
            name: (value.iloc[0:0] if isinstance(value, pd.DataFrame) else value)
            for name, value in vars(example).items()
        }
    )
    assert make(empty) is None


def test_table_id_is_derived_from_title() -> None:
    assert tables.table_id("Strands per lead") == tables.table_id("Strands per lead")
    assert tables.table_id("Strands per lead") != tables.table_id("Strands per leads")
    assert re.fullmatch(r"wb-[a-z0-9-]+-[0-9a-f]{8}", tables.table_id("<x> & y"))


def test_show_table_is_deterministic(monkeypatch: pytest.MonkeyPatch, example: Results) -> None:
    import IPython.display

    shown: list[tuple[object, dict]] = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, **kw: shown.append((obj, kw)))
    tables.show_table(tables.lead_load_table(example.lead_load))
    tables.show_table(tables.lead_load_table(example.lead_load))
    tables.show_table(GT(pd.DataFrame({"a": [1]})).tab_header(title="Made elsewhere"))
    tables.show_table(GT(pd.DataFrame({"a": [1]})).tab_header(title="Made elsewhere"))
    assert shown[0] == shown[1] and shown[2] == shown[3]
    bundle, kwargs = shown[2]
    assert kwargs == {"raw": True}
    assert tables.table_id("Made elsewhere") in bundle["text/html"]
    assert bundle["text/plain"] == "[Table: Made elsewhere]"
    tables.show_table(None)
    assert "no data" in shown[-1][0].data


def test_recommendations_table_unanswered_first_with_strands_and_their_rag(example: Results) -> None:
    mine = example.for_area("gloucestershire")
    page = _html(tables.recommendations_table(mine["recommendations_status"], example.strands_summary,
                                              load_dataset(EXAMPLE).table("inspections")))
    cells = _cells(page)
    states = [c for c in cells if c in ("Not answered", "Answered but behind", "Answered and on track")]
    assert states == ["Not answered"] * 8 + ["Answered but behind"] * 2 + ["Not answered"] * 2 + [
        "Answered but behind"] * 3  # per inspection: the ESI's ten, then the thematic's five
    assert "build a gpa database of offender housing and support (not reported)" in [
        c.lower() for c in cells]
    assert cells.count("none") == 10 and cells.count("not yet due") == 15
    assert "Effective Supervision Inspection thematic element" in page  # grouped by inspection title
    assert "#D4351C" in page.upper()  # the colour cue beside the word


def test_recommendations_table_escapes_text_and_counts_days_late() -> None:
    status = pd.DataFrame({
        "recommendation_id": ["r1"], "inspection_id": ["i"], "area_id": ["t"],
        "state": ["not answered"], "number": ["1"], "text": [HOSTILE], "answered_by": [pd.NA],
        "due": [pd.Timestamp("2006-01-01")], "days_late": pd.array([1234], dtype="Int64"),
    })
    page = _html(tables.recommendations_table(status))
    assert "<script>" not in page and HOSTILE in _cells(page)
    assert "1,234" in _cells(page) and "1 Jan 2006" in _cells(page)


def test_milestones_with_a_figure_show_the_plan_s_cumulative_targets():
    # The East Midlands plan's community OBP completions, cumulative by quarter of 2009/10:
    # Q1 189, Q2 454, Q3 827, Q4 1,181. As of 30 September 2009 Q1 (due 30 June) is past due
    # and no figure was returned; Q2 is due that day, so not yet past due.
    em = analyse(load_dataset(EXAMPLE), as_of=date(2009, 9, 30)).for_area("east-midlands")
    page = _html(tables.quantitative_table(em["milestones_status"], em["strands_summary"]))
    # Each strand's title once, over its milestones.
    assert page.count("Deliver the agreed accredited programmes in prisons and probation") == 1
    cells = _cells(page)
    first = cells.index("Community OBP: cumulative completions by end of Q1")
    assert cells[first:first + 5] == [
        "Community OBP: cumulative completions by end of Q1", "Q1 2009/10", "189", "\u2013",
        "Past due, no return"]
    q4 = cells.index("Community OBP: cumulative completions by end of Q4")
    assert cells[q4 + 1:q4 + 5] == ["Q4 2009/10", "1,181", "\u2013", "Not yet past due"]
    assert tables.quantitative_table(em["milestones_status"].iloc[0:0], em["strands_summary"]) is None


def test_frequency_and_severity_where_the_data_give_re_offences():
    from analysis.reoffending import reoffending_rates

    # 1,000 offenders, 250 re-offended, 600 re-offences, 90 of them serious: 600 / 1000 x 100 =
    # 60.0 per 100 offenders; 600 / 250 = 2.40 per re-offender; 90 / 1000 x 100 = 9.0 serious.
    rows = pd.DataFrame({"area_id": ["a"], "measure": "adult-proven-1yr", "cohort": ["2009-Q1"],
                         "offenders": [1000], "reoffenders": [250], "reoffences": [600],
                         "serious_reoffences": [90], "predicted_rate": [26.0]})
    cells = _cells(_html(tables.frequency_table(reoffending_rates(rows), threshold=10)))
    assert cells == ["2009-Q1", "1,000", "600", "60.0", "2.40", "90", "9.0"]
    # No re-offences given: no table. NI 30's counts are in its own tables, not repeated.
    no_counts = rows.drop(columns=["reoffences", "serious_reoffences"])
    assert tables.frequency_table(reoffending_rates(no_counts), threshold=10) is None
    assert tables.frequency_table(reoffending_rates(rows.assign(measure="ni30")), threshold=10) is None
