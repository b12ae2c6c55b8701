"""Page one's headline sentences, from small hand-made frames."""

from __future__ import annotations

import pandas as pd

from analysis.headlines import indicator_headline, inspection_headline, plan_headline

GAPS = pd.DataFrame({"pathway_gaps": ["FBD;CF"], "theme_gaps": [""]})
NONE = pd.DataFrame({"pathway_gaps": [""], "theme_gaps": [""]})


def test_plan_headline_counts_not_reported_apart_from_red():
    strands = pd.DataFrame({"rag": ["red", "amber", "not reported", "not reported", "green", None]})
    ms = pd.DataFrame({"state": ["complete", "missed", "overdue", "past due, no return",
                                 "past due, no return", "past due, no return", "due soon"]})
    assert plan_headline(strands, ms, GAPS) == (
        "6 strands: 1 red, 1 amber, 1 green and 2 not reported; 1 strand without milestones or a "
        "return. "
        "Of 7 milestones, 1 is complete, 1 missed, 1 overdue and 3 milestones past due with no "
        "return. No strand for finance, benefit and debt, children and families.")


def test_plan_headline_when_nothing_can_be_rated():
    strands = pd.DataFrame({"rag": [None, None]})
    assert plan_headline(strands, pd.DataFrame({"state": []}), NONE) == (
        "2 strands, none with milestones or a progress return to rate it by.")


def test_plan_headline_names_the_strands_nobody_leads():
    # Plymouth's briefing paper names a lead for 3 of its 8 strands (the example's strands.csv).
    strands = pd.DataFrame({"rag": [None] * 8, "lead": ["Safer Plymouth", "CRC", None, "YOS", "", " ",
                                                        None, None]})
    assert plan_headline(strands, pd.DataFrame({"state": []}), NONE) == (
        "8 strands, none with milestones or a progress return to rate it by. 5 of 8 strands have "
        "no named lead.")
    one = pd.DataFrame({"rag": ["green", "green"], "lead": ["Probation", None]})
    assert plan_headline(one, pd.DataFrame({"state": []}), NONE).endswith(
        "Each of the seven pathways has a strand. 1 of 2 strands has no named lead.")


def test_inspection_headline_names_the_latest_by_title_and_month():
    sections = pd.DataFrame({"inspection_id": ["old", "new", "new"], "section": ["overall"] * 2 + ["B"],
                             "score": [55.0, 68.1, 61.0]})
    inspections = pd.DataFrame({"inspection_id": ["old", "new"], "title": ["First", None],
                                "published": pd.to_datetime(["2001-05-01", "2005-01-01"])})
    assert inspection_headline(sections, inspections) == (
        "Overall score 68% in the inspection, published January 2005.")
    assert inspection_headline(sections.iloc[0:0], inspections) is None


def test_an_inspection_without_an_overall_score_says_so():
    # Only section B was scored: the weighted overall score is unknown, and page one said "nan%".
    sections = pd.DataFrame({"inspection_id": ["a", "a"], "section": ["B", "overall"],
                             "score": [61.0, float("nan")]})
    inspections = pd.DataFrame({"inspection_id": ["a"], "title": ["ESI of Area A"],
                                "published": pd.to_datetime(["2005-01-01"])})
    assert inspection_headline(sections, inspections) == (
        "No overall score for ESI of Area A, published January 2005: not every section it weighs "
        "has a score.")


def test_indicator_headline():
    ind = pd.DataFrame({"status": ["met", "not met", "not met", "no target"]})
    assert indicator_headline(ind) == "1 of 3 targets met; 2 not met."
    assert indicator_headline(ind.iloc[3:]) == "1 value, none with a target."
