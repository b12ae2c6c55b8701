"""Recommendations against the action plan: every state and deadline, worked out by hand.

The scenario (tests/data/recommendations) is as of 30 September 2006. Each recommendation is named
after its case; insp-a was published 15 January 2006 (response due 15 April 2006, implementation
due 15 January 2007), insp-old 10 March 2005 (implementation due 10 March 2006) and
insp-month-end 30 November 2005 (three months later is 28 February 2006, the month's last day).
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from analysis import progress
from analysis.loader import load_dataset
from analysis.pipeline import analyse, export
from analysis.recommendations import (
    STATES,
    inspection_responses,
    recommendation_status,
)
from analysis.report import headline

from .conftest import DATA, EXAMPLE

AS_OF = date(2006, 9, 30)


@pytest.fixture(scope="module")
def scenario():
    dataset = load_dataset(DATA / "recommendations")
    assert dataset.errors == [] and dataset.warnings == []
    return dataset


def _status(dataset, as_of=AS_OF) -> pd.DataFrame:
    t = dataset.table
    ms = progress.milestone_status(t("milestones"), t("strands"), t("plans"), as_of, t("progress"))
    strands = progress.strand_summary(t("strands"), t("plans"), ms, t("progress"), as_of)
    return recommendation_status(t("recommendations"), t("inspections"), strands, t("plans"), as_of)


@pytest.fixture(scope="module")
def status(scenario) -> pd.DataFrame:
    return _status(scenario).set_index("recommendation_id")


@pytest.mark.parametrize(("case", "state"), [
    ("on-track", "answered and on track"),
    ("behind-red", "answered but behind"),  # its strand's return of 1 September says red
    ("behind-amber", "answered but behind"),  # one strand behind is enough
    ("behind-no-milestones", "answered but behind"),  # nothing shows it is on track
    ("return-green", "answered and on track"),  # the progress return outranks the milestone
    ("not-answered", "not answered"),
    ("plan-not-started", "not answered"),  # next year's plan had not started on 30 Sep 2006
    ("implemented", "implemented"),  # recorded status outranks the red strand
    ("superseded", "superseded"),
    ("open-explicit", "answered and on track"),
    ("given-due-passed", "not answered"),
    ("given-due-future", "answered and on track"),
    ("old-late", "answered and on track"),
    ("old-not-answered", "not answered"),
    ("month-end", "not answered"),
])
def test_each_state(status, case, state):
    assert status.at[case, "state"] == state


def test_every_state_is_covered(status):
    assert set(status["state"]) == set(STATES)


def test_recommendations_not_yet_made_are_left_out(status):
    assert "future-rec" not in status.index  # insp-future was published on 1 December 2006
    assert len(status) == 15


@pytest.mark.parametrize(("case", "due", "days_late", "late"), [
    ("on-track", "2007-01-15", 0, False),  # twelve months after 15 January 2006
    ("given-due-passed", "2006-06-30", 92, True),  # 31 + 31 + 30 days to 30 September
    ("given-due-future", "2006-12-31", 0, False),
    ("old-late", "2006-03-10", 204, True),  # 21 + 30 + 31 + 30 + 31 + 31 + 30 days
    ("old-not-answered", "2006-03-10", 204, True),
    ("month-end", "2006-11-30", 0, False),
])
def test_implementation_due_and_days_late(status, case, due, days_late, late):
    assert status.at[case, "due"] == pd.Timestamp(due)
    assert status.at[case, "days_late"] == days_late
    assert bool(status.at[case, "late"]) is late


def test_closed_recommendations_are_never_late(status):
    for case in ("implemented", "superseded"):
        assert pd.isna(status.at[case, "days_late"])
        assert not status.at[case, "late"]


@pytest.mark.parametrize(("case", "response_due", "overdue"), [
    ("not-answered", "2006-04-15", True),
    ("on-track", "2006-04-15", False),  # answered, so the response is not overdue
    ("old-not-answered", "2005-06-10", True),
    ("month-end", "2006-02-28", True),  # 30 November + 3 months: the last day of February
])
def test_response_deadline(status, case, response_due, overdue):
    assert status.at[case, "response_due"] == pd.Timestamp(response_due)
    assert bool(status.at[case, "response_overdue"]) is overdue


def test_due_source_says_where_the_date_came_from(status):
    assert status.at["given-due-passed", "due_source"] == "given"
    assert status.at["on-track", "due_source"] == "12 months after publication"


def test_reasons_name_the_strand_and_why(status):
    # Red needs a return that says red (issue 12): s-red's of 1 September 2006 does.
    assert status.at["behind-red", "reason"] == "s-red red (progress return 2006-09-01)"
    assert status.at["behind-amber", "reason"] == "s-amber amber (1 of 1 milestones overdue)"
    assert status.at["behind-no-milestones", "reason"] == "s-none has no milestones or progress return"
    assert status.at["return-green", "strand_states"] == "s-return green (progress return 2006-09-01)"
    assert status.at["plan-not-started", "reason"] == "its strands' plans start after the as-of date"
    assert pd.isna(status.at["plan-not-started", "answered_by"])
    assert status.at["plan-not-started", "addressed_by"] == "s-later"  # as given, never dropped


def test_a_strand_without_returns_is_not_reported_and_its_recommendation_behind(scenario):
    # Without its return, s-red's milestone of 31 May 2006 is past due with nothing recorded:
    # the strand is "not reported", not red, and nothing yet shows the recommendation on track.
    t = {name: scenario.table(name) for name in ("milestones", "strands", "plans", "progress",
                                                 "recommendations", "inspections")}
    t["progress"] = t["progress"][t["progress"]["strand_id"] != "s-red"]
    ms = progress.milestone_status(t["milestones"], t["strands"], t["plans"], AS_OF, t["progress"])
    strands = progress.strand_summary(t["strands"], t["plans"], ms, t["progress"], AS_OF)
    out = recommendation_status(t["recommendations"], t["inspections"], strands, t["plans"],
                                AS_OF).set_index("recommendation_id")
    assert out.at["behind-red", "state"] == "answered but behind"
    assert out.at["behind-red", "reason"] == (
        "s-red not reported (1 of 1 milestones past due with no return)")


def test_unanswered_come_first_oldest_inspection_first_then_by_number(scenario):
    order = list(_status(scenario)["recommendation_id"])
    assert order[:5] == ["old-not-answered", "month-end", "not-answered", "plan-not-started",
                         "given-due-passed"]
    assert order[-2:] == ["implemented", "superseded"]


def test_the_same_recommendation_changes_state_with_the_as_of_date(scenario):
    # On 1 May 2006 s-red's milestone (31 May) was not yet overdue and s-later's plan had not
    # started either: behind-red was on track and nothing was yet late.
    early = _status(scenario, date(2006, 5, 1)).set_index("recommendation_id")
    assert early.at["behind-red", "state"] == "answered and on track"
    assert early.at["old-late", "days_late"] == 52  # 10 March to 1 May 2006
    assert early.at["given-due-passed", "days_late"] == 0
    # Before plan-a started (1 April 2006) no strand answered anything.
    before = _status(scenario, date(2006, 3, 1)).set_index("recommendation_id")
    assert set(before["state"]) == {"not answered", "implemented", "superseded"}


def test_inspection_counts(status):
    per = inspection_responses(status.reset_index()).set_index("inspection_id")
    a = per.loc["insp-a"]
    assert (a["recommendations"], a["not_answered"], a["behind"], a["on_track"], a["implemented"],
            a["superseded"], a["late"], a["response_overdue"], a["unanswered_or_late"]) == (
        12, 3, 3, 4, 1, 1, 1, 3, 3)
    old = per.loc["insp-old"]
    assert (old["recommendations"], old["not_answered"], old["late"], old["unanswered_or_late"]) == (
        2, 1, 2, 2)
    assert per.at["insp-month-end", "response_due"] == pd.Timestamp("2006-02-28")
    assert "insp-future" not in per.index


def test_headline_a_board_member_can_repeat(status):
    assert headline(status.reset_index()) == (
        "Of 15 recommendations from 3 inspections, 8 have a strand of the action plan behind them "
        "(5 on track, 3 behind), 2 are implemented or superseded and 5 have no strand at all. "
        "3 recommendations are past their implementation date (the earliest was due 10 March 2006).")


def test_headline_before_anything_is_late(scenario):
    early = _status(scenario, date(2006, 3, 1))
    early = early[early["inspection_id"] == "insp-month-end"]
    assert headline(early) == (
        "Of 1 recommendation from 1 inspection, 0 have a strand of the action plan behind them "
        "and 1 has no strand at all. The response to the unanswered ones was due by 28 February 2006.")


def test_input_is_not_modified(scenario):
    before = scenario.table("recommendations").copy()
    _status(scenario)
    pd.testing.assert_frame_equal(scenario.table("recommendations"), before)


def test_no_recommendations_gives_empty_tables(scenario):
    t = scenario.table
    empty = recommendation_status(t("recommendations").iloc[0:0], t("inspections"),
                                  pd.DataFrame(), t("plans"), AS_OF)
    assert empty.empty and "state" in empty
    assert inspection_responses(empty).empty
    assert headline(empty) == "No inspection recommendations are recorded."


def test_export_writes_recommendations_status(scenario, tmp_path):
    export(analyse(scenario, as_of=AS_OF), tmp_path)
    written = pd.read_csv(tmp_path / "recommendations_status.csv")
    assert list(written.columns[:7]) == ["recommendation_id", "inspection_id", "area_id", "state",
                                         "addressed_by", "due", "days_late"]
    row = written.set_index("recommendation_id").loc["given-due-passed"]
    assert (row["state"], row["due"], row["days_late"]) == ("not answered", "2006-06-30", 92)
    per = pd.read_csv(tmp_path / "inspection_responses.csv").set_index("inspection_id")
    assert per.at["insp-a", "unanswered_or_late"] == 3


def test_gloucestershire_plan_leaves_ten_of_fifteen_unanswered():
    """The example's reading of the 2005/06 plan against the 2005 inspection and its thematic."""
    results = analyse(load_dataset(EXAMPLE), as_of=date(2005, 12, 31))
    glos = results.for_area("gloucestershire")["recommendations_status"].set_index("recommendation_id")
    unanswered = sorted(glos.index[glos["state"] == "not answered"])
    assert unanswered == sorted(
        [f"glos-esi-2005-r{n:02d}" for n in (1, 2, 3, 4, 5, 7, 8, 10)]
        + ["glos-esi-2005-accommodation-r02", "glos-esi-2005-accommodation-r03"])
    # The report was published in January 2005: the Board's response was due by 1 April 2005,
    # implementation by 1 January 2006, the day after the as-of date.
    assert set(glos["response_due"]) == {pd.Timestamp("2005-04-01")}
    assert set(glos["due"]) == {pd.Timestamp("2006-01-01")}
    assert glos["days_late"].eq(0).all()
    assert glos.at["glos-esi-2005-r06", "answered_by"] == "glos-pp-01"
