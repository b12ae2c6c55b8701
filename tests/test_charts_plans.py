"""Tests for the action-plan charts (analysis.charts.plans): prepared frames and words by hand."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import matplotlib
import matplotlib.dates as mdates
import pandas as pd
import pytest

from analysis import charts, tables
from analysis.charts.prepare.plans import (
    describe_lead_load,
    describe_timeline,
    prepare_coverage,
    prepare_lead_load,
    prepare_timeline,
)
from analysis.loader import load_dataset
from analysis.pipeline import Results, analyse

matplotlib.use("Agg")

EXAMPLE = Path(__file__).parent.parent / "data" / "example"
PLANS = pd.DataFrame({"plan_id": ["p1"], "area_id": ["testshire"], "title": ["Testshire plan 2005/06"],
                      "starts": pd.to_datetime(["2005-04-01"]), "ends": pd.to_datetime(["2006-03-31"])})


def _milestones(rows: list[tuple[str, str, str | None, str]]) -> pd.DataFrame:
    return pd.DataFrame({
        "milestone_id": [r[0] for r in rows], "strand_id": "s1", "area_id": "testshire", "plan_id": "p1",
        "pathway": [r[1] for r in rows], "description": [f"Milestone {r[0]}" for r in rows],
        "due": [r[2] or "Monthly" for r in rows], "due_date": pd.to_datetime([r[2] for r in rows]),
        "state": [r[3] for r in rows]})


STACKED = _milestones([
    ("m1", "ACCM", "2005-10-31", "overdue"),
    ("m2", "ACCM", "2005-10-31", "overdue"),  # same day as m1: stacked above it
    ("m3", "ACCM", "2005-11-05", "overdue"),  # 5 days on, closer than 364/40 = 9.1 days to both
    ("m4", "ACCM", "2005-11-30", "due soon"),  # 30 days on: back on the first level
    ("m5", "ETE", "2005-10-31", "due soon"),  # another pathway: its own band
    ("m6", "ETE", None, "undated"),
])


@pytest.fixture(scope="module")
def example() -> Results:
    return analyse(load_dataset(EXAMPLE), as_of=date(2005, 12, 31))


def test_timeline_spans_the_plan_period_not_the_as_of_date() -> None:
    # As of today (the bug: an axis from 2005 to 2026 with every marker at the left).
    t = prepare_timeline(STACKED, date(2026, 12, 1), PLANS)
    assert (t.start, t.end) == (pd.Timestamp("2005-04-01"), pd.Timestamp("2006-03-31"))
    words = describe_timeline(t)
    assert "the plan period, 1 April 2005 to 31 March 2006" in words.caption
    assert "as of 1 December 2026, a date after the period shown" in words.caption
    chart = charts.milestone_timeline(STACKED, date(2026, 12, 1), plans=PLANS)
    lo, hi = (mdates.num2date(x).date() for x in chart.figure.axes[0].get_xlim())
    assert date(2005, 3, 1) < lo < date(2005, 4, 1) and date(2006, 3, 31) < hi < date(2006, 5, 1)
    assert not [ln for ln in chart.figure.axes[0].lines if ln.get_linestyle() == "--"]  # no as-of line


def test_timeline_widens_to_a_milestone_outside_the_plan() -> None:
    late = _milestones([("m1", "ACCM", "2006-06-30", "not yet due")])
    t = prepare_timeline(late, date(2005, 12, 31), PLANS)
    assert (t.start, t.end) == (pd.Timestamp("2005-04-01"), pd.Timestamp("2006-06-30"))


def test_timeline_without_plans_uses_the_milestones_own_dates() -> None:
    # 31 October to 30 November is under 60 days: 30 days are added each side.
    t = prepare_timeline(STACKED, date(2026, 12, 1))
    assert (t.start, t.end) == (pd.Timestamp("2005-10-01"), pd.Timestamp("2005-12-30"))


def test_overlapping_milestones_are_stacked() -> None:
    t = prepare_timeline(STACKED, date(2005, 12, 31), PLANS)
    levels = dict(zip(t.points["milestone_id"], t.points["level"], strict=True))
    assert levels == {"m1": 0, "m2": 1, "m3": 2, "m4": 0, "m5": 0}
    # Bands bottom-up, the first pathway on top: ETE 0..2.0 (1 level + 1.5 padding is under the
    # 2.0 a two-line name needs), then accommodation 2.0..5.5 (3 levels + 1.5). Levels are
    # centred in their band: ETE's one at 1.0; accommodation's centre is 3.75, its levels at
    # 2.75, 3.75 and 4.75.
    bands = t.bands.set_index("pathway")
    assert (bands.loc["ETE", "base"], bands.loc["ETE", "top"]) == (0.0, 2.0)
    assert (bands.loc["ACCM", "base"], bands.loc["ACCM", "top"]) == (2.0, 5.5)
    y = dict(zip(t.points["milestone_id"], t.points["y"], strict=True))
    assert (y["m1"], y["m2"], y["m3"], y["m4"], y["m5"]) == (2.75, 3.75, 4.75, 2.75, 1.0)
    assert "stacked one above the other" in describe_timeline(t).caption
    chart = charts.milestone_timeline(STACKED, date(2005, 12, 31), plans=PLANS)
    offsets = [tuple(p) for c in chart.figure.axes[0].collections for p in c.get_offsets()]
    assert len(set(offsets)) == 5  # five dated milestones, no two markers on one spot


def test_timeline_names_pathways_as_the_tables_do(example: Results) -> None:
    glos = example.for_area("gloucestershire")
    chart = charts.milestone_timeline(glos["milestones_status"], example.as_of,
                                      plans=load_dataset(EXAMPLE).table("plans"))
    labels = [t.get_text().replace("\n", " ") for t in chart.figure.axes[0].get_yticklabels()]
    html = tables.strands_table(glos["strands_summary"]).as_raw_html()
    printed = set(re.findall(r"<td[^>]*>([^<]*)</td>", html))
    assert labels and set(labels) <= printed
    assert "Mental and physical health" in labels and "Health" not in labels
    # 11 milestones have no single due date: 4 due 'Monthly'/'monthly', 5 'quarterly' or
    # 'Quarterly', and '3 Sept' and 'To be confirmed' (the example's milestones.csv).
    assert ("Not shown: 11 milestones with no single due date (4 monthly, 5 quarterly, 2 other), "
            "listed in the milestones table.") in chart.caption
    assert "1 April 2005 to 31 March 2006" in chart.alt


def test_timeline_words_carry_no_identifier(example: Results) -> None:
    data = load_dataset(EXAMPLE)
    glos = example.for_area("gloucestershire")
    chart = charts.milestone_timeline(glos["milestones_status"], example.as_of, plans=data.table("plans"))
    ids = (set(data.table("plans")["plan_id"]) | set(data.table("strands")["strand_id"])
           | set(data.table("milestones")["milestone_id"]))
    texts = [chart.title, chart.caption, chart.alt] + [
        t.get_text() for t in chart.figure.findobj(matplotlib.text.Text)]
    for text in texts:
        assert not [i for i in ids if i in text], text
        assert not re.search(r"\b(ACCM|DRUGS_ALCOHOL|HEALTH|ATB|FBD|CF|PPO|PP)\b:", text), text


def test_unknown_milestone_state_is_drawn_and_named() -> None:
    # A state this module does not know (another part of the workbook may add one) still shows.
    frame = _milestones([("m1", "ACCM", "2005-10-31", "past due, no return")])
    chart = charts.milestone_timeline(frame, date(2005, 12, 31), plans=PLANS)
    legend = [t.get_text() for t in chart.figure.legends[0].get_texts()]
    assert legend == ["Past due, no return (1)"] and "1 past due, no return" in chart.alt


def test_lead_shares_add_up_to_100_by_largest_remainder() -> None:
    frame = pd.DataFrame({"area_id": "t", "plan_id": "p", "lead": ["Ann", "Bob", "Cy"], "strands": [1, 1, 1],
                          "open_milestones": 0, "overdue": [0, 1, 0], "share": 33.3})
    d = prepare_lead_load(frame)
    # 1/3 each = 33.33: floors 33 x 3 = 99, the tie goes to the first in order (Ann).
    assert d.shown["share"].tolist() == [34, 33, 33] and d.total == 3
    assert "Ann leads the most, 1 (34%)" in describe_lead_load(d).alt
    chart = charts.lead_load_chart(frame)
    notes = [t.get_text() for t in chart.figure.axes[0].texts]
    assert notes == ["1 (34%)", "1 (33%), 1 overdue", "1 (33%)"]


def test_coverage_rows_name_the_plan_not_its_id() -> None:
    cov = pd.DataFrame({"area_id": "testshire", "plan_id": ["p1", "p1", "p2", "p2"],
                        "pathway": ["ACCM", "OM", "ACCM", "OM"], "strands": [2, 0, 1, 3],
                        "gap": [False, True, False, False]})
    plans = pd.DataFrame({"plan_id": ["p1", "p2"], "title": ["Plan one", "Plan two"]})
    assert prepare_coverage(cov, plans).plans == ["Testshire: Plan one", "Testshire: Plan two"]
    assert prepare_coverage(cov).plans == ["Testshire, plan 1", "Testshire, plan 2"]
    chart = charts.coverage_heatmap(cov)
    assert "Testshire, plan 1: offender management" in chart.alt and "p1" not in chart.alt
    assert "Most strands: Offender management in Testshire, plan 2 (3)" in chart.alt


def test_east_midlands_timeline_and_lead_load_fit_an_a4_page() -> None:
    # 56 strands' milestones stacked 9 in tall and ran over the PDF's footer; the page holds
    # 7.5 in of chart beside its title, caption and source.
    dataset = load_dataset(EXAMPLE)
    results = analyse(dataset, as_of=date(2009, 9, 30))
    mine = results.for_area("east-midlands")
    timeline = charts.milestone_timeline(mine["milestones_status"], results.as_of,
                                         plans=dataset.table("plans"))
    leads = charts.lead_load_chart(mine["lead_load"])
    for chart in (timeline, leads):
        assert chart is not None and chart.figure.get_figheight() <= 7.5
        matplotlib.pyplot.close(chart.figure)
