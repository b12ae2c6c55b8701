"""Exceptions and what changed, from a hand-made scenario (tests/data/exceptions), as of
31 March 2006; the previous reporting date is the quarter end before it, 31 December 2005.

Quiet Area has no progress returns: its jobs fair (due 30 November 2005) and housing database
(due 31 January 2006) are past due with nothing recorded. Busy Area has a strand reported red
(b-red, 15 March 2006), one reported amber on 1 December 2005 and red on 1 March 2006
(b-moved), a milestone recorded missed (b-m3), one recorded in progress past its 28 February
due date (b-m2), one completed on 10 February 2006 (b-m4), a completions target of 100 with
80 recorded (b-m5), and an inspection published 10 January 2005 whose recommendations fell
due twelve months later, on 10 January 2006 (80 days before 31 March: 21 + 28 + 31).
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from analysis import exceptions as exc
from analysis.commentary import commentary_for
from analysis.loader import load_dataset
from analysis.report import AreaReport

from .conftest import DATA

SCENARIO = DATA / "exceptions"
AS_OF = date(2006, 3, 31)
NAMES = ("plans", "strands", "milestones", "progress", "inspections", "recommendations")


@pytest.fixture(scope="module")
def dataset():
    d = load_dataset(SCENARIO)
    assert d.errors == [] and d.warnings == []
    return d


def _tables(dataset, area_id):
    return exc.area_tables({n: dataset.table(n) for n in NAMES}, area_id)


def _exceptions(dataset, area_id, as_of=AS_OF):
    found = exc.states(_tables(dataset, area_id), as_of).exceptions
    return found[found["area_id"] == area_id].reset_index(drop=True)


def test_previous_quarter_end_is_strictly_before_the_as_of_date():
    assert exc.previous_quarter_end(date(2006, 3, 31)) == date(2005, 12, 31)
    assert exc.previous_quarter_end(date(2006, 1, 1)) == date(2005, 12, 31)
    assert exc.previous_quarter_end(date(2005, 12, 31)) == date(2005, 9, 30)
    assert exc.previous_quarter_end(date(2009, 8, 15)) == date(2009, 6, 30)


def test_an_area_without_returns_is_not_reported_not_red(dataset):
    found = _exceptions(dataset, "quiet")
    assert list(found["item_id"]) == ["q-m2", "q-m1"]  # oldest due date first
    assert set(found["state"]) == {"past due, no return"}
    assert set(found["strand_state"]) == {"not reported"}
    assert set(found["severity"]) == {2}
    # 30 November 2005 to 31 March 2006: 31 + 31 + 28 + 31 = 121 days; 31 January: 28 + 31.
    assert list(found["days_past_due"]) == [121, 59]
    assert list(found["owner"]) == ["Jobs Lead", "Housing Lead"]
    assert found.at[0, "detail"] == "121 days past due; no return says whether it was done"
    assert found[["reason", "action", "decision"]].isna().all().all()
    strands = exc.states(_tables(dataset, "quiet"), AS_OF).strands_summary
    assert "red" not in set(strands["rag"])


def test_busy_area_exceptions_reds_first_with_owner_due_and_the_return(dataset):
    found = _exceptions(dataset, "busy").set_index("item_id")
    # Reds (the missed milestone, dated, then the two strands whose returns say red), then
    # the rest by due date: both recommendations (10 January), then 28 February's milestones.
    assert list(found.index) == ["b-m3", "b-moved", "b-red", "rec-late", "rec-none", "b-m2", "b-m5"]
    assert list(found["state"]) == ["missed", "red", "red", "late", "not answered and late",
                                    "overdue", "behind target"]
    assert list(found["severity"]) == [0, 0, 0, 1, 1, 1, 1]
    assert found.at["b-m3", "detail"] == "recorded as missed"
    assert found.at["b-m3", "owner"] == "Lead Missed"
    assert found.at["b-m3", "due"] == pd.Timestamp("2006-01-15")
    red = found.loc["b-red"]
    assert (red["kind"], red["owner"], red["reason"], red["action"], red["decision"]) == (
        "strand", "Lead Red", "Hostel funding withdrawn", "Bid to Supporting People",
        "Agree to fund bridging places")
    assert red["reported_on"] == pd.Timestamp("2006-03-15")
    # The latest return (1 March) speaks, not the amber one of 1 December.
    assert found.at["b-moved", "reason"] == "College withdrew"
    assert found.at["b-m2", "decision"] == "Approve a new provider"  # its strand's return
    assert found.at["b-m2", "detail"] == "31 days past due; recorded as in progress"
    assert found.at["b-m5", "detail"] == "80 against a target of 100, 31 days past due"
    assert found.at["rec-late", "owner"] == "Lead Done"  # the lead of the strand answering it
    assert found.at["rec-late", "days_past_due"] == 80
    assert found.at["rec-late", "detail"] == (
        "80 days past due; answered by Strand completing a milestone (green)")
    assert pd.isna(found.at["rec-none", "owner"])
    assert found.at["rec-none", "detail"] == (
        "no strand of an action plan answers it; the response was due 10 April 2005")
    assert "b-m4" not in found.index and "b-m1" not in found.index


def test_an_unanswered_recommendation_before_its_implementation_date_is_due_its_response(dataset):
    # On 30 June 2005 the inspection of 10 January 2005 wanted a response by 10 April (three
    # months): that is what is late, not the implementation due on 10 January 2006.
    found = _exceptions(dataset, "busy", as_of=date(2005, 6, 30)).set_index("item_id")
    assert found.at["rec-none", "state"] == "not answered"
    assert found.at["rec-none", "due"] == pd.Timestamp("2005-04-10")
    assert "rec-late" not in found.index  # answered, and not yet due


def test_changes_since_the_previous_quarter_end(dataset):
    cohorts = dataset.table("reoffending")
    changed = exc.changes(_tables(dataset, "busy"), AS_OF, cohorts=cohorts)
    rows = [(c, i, b, a, d) for c, i, b, a, d in
            changed[["change", "item_id", "before", "after", "direction"]].itertuples(index=False)]
    assert rows == [
        # On 31 December 2005 b-moved's return said amber; b-qty's and b-red's milestones were
        # not yet due (green, derived); b-red had no return yet.
        ("strand moved", "b-moved", "amber", "red", "worse"),
        ("strand moved", "b-qty", "green", "amber", "worse"),
        ("strand moved", "b-red", "green", "red", "worse"),
        ("new exception", "b-m2", "", "overdue", ""),
        ("new exception", "b-m5", "", "behind target", ""),
        ("new exception", "rec-late", "", "late", ""),
        ("new exception", "b-red", "", "red", ""),
        ("exception changed", "rec-none", "not answered", "not answered and late", ""),
        ("exception changed", "b-moved", "amber", "red", ""),
        ("milestone completed", "b-m4", "due soon", "complete", "better"),
        ("new cohort", "ni18 2006-Q1", "", "2006-Q1", ""),
    ]
    detail = changed.set_index(["change", "item_id"])["detail"]
    assert detail[("strand moved", "b-moved")] == "Amber \u2192 red (worse)"
    assert detail[("exception changed", "rec-none")] == "Not answered \u2192 not answered and late"
    assert detail[("milestone completed", "b-m4")] == "completed on 10 February 2006"
    sentences = exc.change_sentences(changed)
    assert sentences[0] == "1 strand moved amber \u2192 red (worse): Strand reported amber then red."
    assert "1 milestone completed: Treatment pathway agreed (completed on 10 February 2006)." in sentences


def test_changes_in_the_quiet_area(dataset):
    changed = exc.changes(_tables(dataset, "quiet"), AS_OF)
    assert list(changed["change"]) == ["strand moved", "new exception"]
    moved = changed.iloc[0]
    # The housing database fell due on 31 January with nothing recorded since.
    assert (moved["item_id"], moved["before"], moved["after"]) == ("q-housing", "green", "not reported")
    assert moved["direction"] == "milestones now past due with no return"
    assert changed.iloc[1]["item_id"] == "q-m1"  # q-m2 was past due already on 31 December


def test_an_explicit_since_date(dataset):
    # On 15 February 2006 the treatment pathway was complete (10 February) and the 2006-Q1
    # cohort had begun: neither is new since then.
    changed = exc.changes(_tables(dataset, "busy"), AS_OF, date(2006, 2, 15),
                          cohorts=dataset.table("reoffending"))
    assert "milestone completed" not in set(changed["change"])
    assert "new cohort" not in set(changed["change"])
    moved = changed[changed["change"] == "strand moved"].set_index("item_id")
    assert moved.at["b-moved", "before"] == "amber"
    with pytest.raises(ValueError, match="must be before"):
        exc.changes(_tables(dataset, "busy"), AS_OF, AS_OF)


def test_board_lines_group_what_is_not_reported_by_owner(dataset):
    quiet = exc.board_lines(_exceptions(dataset, "quiet"))
    assert list(quiet["owner"]) == ["Jobs Lead", "Housing Lead"]
    assert quiet.at[0, "what"] == "1 milestone of 1 strand: Jobs fair held (due 30 Nov 2005)"
    busy = exc.board_lines(_exceptions(dataset, "busy"),
                           inspection_titles={"insp-busy": "Inspection of Busy Area"},
                           numbers=dataset.table("recommendations").set_index("recommendation_id")["number"])
    assert list(busy["state"]) == ["missed", "red", "red", "late", "overdue", "behind target",
                                   "not answered and late"]
    assert busy.at[0, "what"] == "Health needs assessment (Strand with a milestone recorded missed)"
    # Recommendations no strand answers: one line per inspection, by printed number.
    assert busy.at[6, "what"] == "Inspection of Busy Area: recommendation 2"
    assert busy.at[6, "owner"] == ""


def test_commentary_is_chosen_by_the_reports_dates(dataset):
    notes = dataset.table("commentary")
    row = commentary_for(notes, "busy", "summary", AS_OF, date(2005, 12, 31))
    assert row["text"].startswith("Two strands are red")
    # A report as of 15 January 2006 looks back to 31 December 2005: that note was for the
    # paper before, and the March one is not written yet.
    assert commentary_for(notes, "busy", "summary", date(2006, 1, 15), date(2005, 12, 31)) is None
    assert commentary_for(notes, "quiet", "summary", AS_OF, date(2005, 12, 31)) is None
    with pytest.raises(ValueError):
        commentary_for(notes, "busy", "conclusions", AS_OF)


def test_report_places_commentary_escaped_at_the_start_of_its_section():
    report = AreaReport.build(SCENARIO, "busy", AS_OF)
    first = report.progress()[0].content
    assert first.body.startswith("**Commentary (20 March 2006):**")
    # Escaped in the Markdown, read back as the analyst wrote it.
    assert "<b>" not in first.body and "<b>Housing</b> *funding* is the risk." in first.plain
    summary = report.summary()
    assert summary[-1].content.body.startswith("**Commentary (31 March 2006):** Two strands")
    assert not report.inspection()[0].content.body.startswith("**Commentary")


def test_page_one_of_an_area_without_returns(dataset):
    blocks = AreaReport.build(SCENARIO, "quiet", AS_OF).summary()
    head = blocks[0].content.plain
    assert ("**Pathways:** 2 strands: 0 red, 0 amber, 0 green and 2 not reported. Of 3 "
            "milestones, 0 are complete, 0 missed, 0 overdue and 2 milestones past due with no "
            "return.") in head
    assert blocks[1].content.plain.startswith("### Exceptions\n\n2 exceptions: 0 red, 0 overdue")
    assert blocks[3].content.body.startswith("### What changed since 31 December 2005\n\n")


def test_page_one_since_parameter():
    report = AreaReport.build(SCENARIO, "busy", AS_OF, since="2006-02-15")
    assert report.previous == date(2006, 2, 15)
    assert any(b.kind == "markdown" and "What changed since 15 February 2006" in b.content.body
               for b in report.summary())


@pytest.mark.parametrize(("row", "column", "value", "rule"), [
    (3, "area_id", "area-q", "exists"),
    (4, "section", "conclusions", "one-of"),
    (5, "as_of", "31/03/2006", "iso-date"),
])
def test_commentary_is_validated_like_every_table(valid_copy, row, column, value, rule):
    (valid_copy / "commentary.csv").write_text(
        "area_id,section,as_of,text\n"
        "area-a,summary,2006-03-31,Fine\n"
        "area-q,summary,2006-03-31,Unknown area\n"
        "area-a,conclusions,2006-03-31,Not a section of the report\n"
        "area-a,pathways,31/03/2006,Not an ISO date\n", encoding="utf-8")
    dataset = load_dataset(valid_copy)
    found = [p for p in dataset.errors if p.row == row]
    assert [(p.file, p.row, p.column, p.value, p.rule) for p in found] == [
        ("commentary.csv", row, column, value, rule)]
    assert len(dataset.table("commentary")) == 1  # the good row loads; the others are named
    if rule == "one-of":
        assert "summary, pathways, inspection, recommendations, reoffending, indicators, " \
               "completeness" in found[0].message


def test_exceptions_table_says_state_in_words_and_shows_the_decision(dataset):
    from analysis import tables

    lines = exc.board_lines(_exceptions(dataset, "busy"))
    page = tables.exceptions_table(lines).as_raw_html()
    assert "Decision asked of the board" in page and "Approve a new provider" in page
    assert "Missed" in page and "#D4351C" in page.upper()  # the word, with the red cue beside it
    assert "Reason: College withdrew. Action: Find another provider." in page
    quiet = tables.exceptions_table(exc.board_lines(_exceptions(dataset, "quiet"))).as_raw_html()
    assert "Decision asked of the board" not in quiet
    assert "No progress return asks the board for a decision." in quiet
    assert tables.exceptions_table(lines.iloc[0:0]) is None
