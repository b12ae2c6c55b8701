from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from analysis.dates import parse_due
from analysis.loader import load_dataset
from analysis.pathways import PATHWAYS
from analysis.progress import (
    lead_load,
    milestone_status,
    pathway_coverage,
    plan_gaps,
    strand_summary,
)

from .conftest import EXAMPLE

DATA = Path(__file__).parent / "data" / "progress"
AS_OF = date(2005, 12, 31)


@pytest.fixture
def scenario():
    m = pd.read_csv(DATA / "milestones_states.csv", dtype={"due": str, "status": str})
    m["due_date"] = pd.to_datetime(m["due"].map(lambda v: parse_due(v).on))
    m["due_precision"] = m["due"].map(lambda v: parse_due(v).precision)
    m["completed_on"] = pd.to_datetime(m["completed_on"])
    strands = pd.DataFrame({
        "strand_id": ["s1", "s2", "s3", "s4"], "plan_id": "p", "pathway": ["ACCM", "ETE", "PP", "ATB"],
        "pathways": ["ACCM", "ETE;PPO", "PP", "ATB"], "title": "t",
        "aim": ["Database by 31/12/05", "Improve", None, "Raise completions"],
        "measure": [None, None, None, "Completions"],
        "lead": ["ACO Interventions", "ACO Interventions", None, "ACO Offender Management"],
        "partners": ["Police", None, "NPD", "Prisons"],
    })
    plans = pd.DataFrame({"plan_id": ["p"], "area_id": ["a"]})
    return m, strands, plans


def test_each_milestone_state_as_of_a_date(scenario):
    m, strands, plans = scenario
    out = milestone_status(m, strands, plans, AS_OF).set_index("milestone_id")
    # The rule of issue 12: past due with nothing recorded is "past due, no return", not
    # overdue; overdue needs a return saying it is not done; missed is what the status says.
    assert out["state"].to_dict() == {
        "done-early": "complete", "done-late": "complete",
        "done-after-as-of": "past due, no return",  # not yet done on 31 Dec 2005, due 31 Oct
        "overdue-61": "past due, no return", "missed": "missed", "soon": "due soon",
        "later": "not yet due", "undated": "undated", "dropped": "dropped",
        "qty-met": "complete",
        "qty-behind": "overdue",  # an actual of 80 against 100 is recorded: a return, behind
        "qty-open": "due soon",
        "in-progress-late": "overdue",  # status in_progress past its 30 November due date
    }
    # 31 Oct to 31 Dec 2005: 30 days of November + 31 of December = 61.
    assert out.at["overdue-61", "days_overdue"] == 61
    assert out.at["in-progress-late", "days_overdue"] == 31
    assert pd.isna(out.at["missed", "days_overdue"])  # due 30 June 2006: not yet past due
    assert bool(out.at["done-early", "met_on_time"]) is True
    assert bool(out.at["done-late", "met_on_time"]) is False
    assert out.at["qty-met", "quantity"] == "met"
    assert out.at["qty-behind", "quantity"] == "behind"
    assert out.at["qty-open", "quantity"] == "in progress"


def test_a_progress_return_after_the_due_date_makes_a_milestone_overdue(scenario):
    m, strands, plans = scenario
    # s1 reported on 30 November 2005, after overdue-61 and done-after-as-of fell due (31
    # October) without recording them done; a return before the due date says nothing of them.
    after = pd.DataFrame({"strand_id": ["s1"], "reported_on": pd.to_datetime(["2005-11-30"]),
                          "rag": ["amber"], "comment": [""]})
    out = milestone_status(m, strands, plans, AS_OF, after).set_index("milestone_id")
    assert out.at["overdue-61", "state"] == "overdue"
    assert out.at["done-after-as-of", "state"] == "overdue"
    assert out.at["overdue-61", "returned_on"] == pd.Timestamp("2005-11-30")
    before = after.assign(reported_on=pd.to_datetime(["2005-10-15"]))
    out = milestone_status(m, strands, plans, AS_OF, before).set_index("milestone_id")
    assert out.at["overdue-61", "state"] == "past due, no return"
    # A return dated after the as-of date had not been made yet.
    later = after.assign(reported_on=pd.to_datetime(["2006-01-10"]))
    out = milestone_status(m, strands, plans, AS_OF, later).set_index("milestone_id")
    assert out.at["overdue-61", "state"] == "past due, no return"
    assert pd.isna(out.at["overdue-61", "returned_on"])


def test_strand_rag_and_smart_audit(scenario):
    m, strands, plans = scenario
    ms = milestone_status(m, strands, plans, AS_OF)
    progress = pd.DataFrame({"strand_id": ["s4", "s4"], "rag": ["red", "green"],
                             "reported_on": pd.to_datetime(["2005-11-01", "2006-02-01"]),
                             "comment": ["", "after as-of"]})
    out = strand_summary(strands, plans, ms, progress, AS_OF).set_index("strand_id")
    # s1: two milestones past due with nothing recorded -> not reported (was amber under the
    # old due-date rule); s2: a milestone recorded missed -> red; s3: only undated left ->
    # amber; s4: the return of 1 Nov 2005 (the February one is after the as-of date).
    assert out["rag"].to_dict() == {"s1": "not reported", "s2": "red", "s3": "amber", "s4": "red"}
    assert out.at["s4", "rag_source"] == "progress return 2005-11-01"
    # s1: done-early, done-late complete; done-after-as-of and overdue-61 past due, no return.
    assert (out.at["s1", "complete"], out.at["s1", "no_return"], out.at["s1", "overdue"]) == (2, 2, 0)
    # s2: missed (counted overdue too) and in-progress-late overdue.
    assert (out.at["s2", "missed"], out.at["s2", "overdue"], out.at["s2", "no_return"]) == (1, 2, 0)
    assert out.at["s1", "smart_score"] == 5
    assert out.at["s2", "smart_missing"] == (
        "measurable: no measure of success, no figure in the aim and no milestone target; "
        "partnered: no partners named")
    assert out.at["s3", "smart_score"] == 1  # only partnered
    assert "specific: no aim" in out.at["s3", "smart_missing"]
    assert "owned: no lead named" in out.at["s3", "smart_missing"]
    assert "1 of 2 milestones have no readable date ('Monthly')" in out.at["s3", "smart_missing"]


def test_a_strand_is_red_only_by_a_return_or_a_missed_milestone(scenario):
    m, strands, plans = scenario
    # Without s4's return, its quantitative milestone behind target (a recorded actual) makes
    # it amber, not red, however long past due: red needs a return that says red.
    ms = milestone_status(m, strands, plans, date(2007, 12, 31))
    out = strand_summary(strands, plans, ms, None, date(2007, 12, 31)).set_index("strand_id")
    assert out.at["s4", "rag"] == "amber"
    # Two years on, s1's unrecorded milestones are still "not reported", never red.
    assert out.at["s1", "rag"] == "not reported"
    assert out.at["s2", "rag"] == "red"


def test_coverage_counts_every_pathway_a_strand_serves(scenario):
    m, strands, plans = scenario
    cov = pathway_coverage(plans, strands, m).set_index("pathway")
    assert cov.at["PPO", "strands"] == 1 and cov.at["PPO", "main_strands"] == 0
    assert cov.at["ACCM", "milestones"] == 4
    gaps = plan_gaps(pathway_coverage(plans, strands, m))
    assert gaps.at[0, "pathway_gaps"] == "HEALTH;DRUGS_ALCOHOL;FBD;CF"
    assert gaps.at[0, "theme_gaps"] == "OM;ED;TSF"


def test_inputs_are_not_mutated(scenario):
    m, strands, plans = scenario
    before = m.copy()
    milestone_status(m, strands, plans, AS_OF)
    pd.testing.assert_frame_equal(m, before)


def test_gloucestershire_plan_covers_nine_pathways_and_one_lead_holds_most():
    # The 2005/06 plan has nine pathway sections: the seven, public protection and PPOs.
    d = load_dataset(EXAMPLE)
    glos_plans = d.table("plans")[d.table("plans")["area_id"] == "gloucestershire"]
    cov = pathway_coverage(glos_plans, d.table("strands"), d.table("milestones"))
    gaps = plan_gaps(cov)
    assert gaps.at[0, "pathway_gaps"] == ""
    assert gaps.at[0, "theme_gaps"] == "OM;ED;TSF"
    ms = milestone_status(d.table("milestones"), d.table("strands"), glos_plans, AS_OF)
    load = lead_load(strand_summary(d.table("strands"), glos_plans, ms, None, AS_OF))
    load = load[load["area_id"] == "gloucestershire"]
    top = load.iloc[0]
    # The plan itself says the ACO Interventions holds lead responsibility for the RRAP.
    assert top["lead"] == "ACO Interventions"
    assert top["share"] > 50


def test_a_plan_covering_every_pathway_and_theme_has_no_gaps():
    plans = pd.DataFrame({"plan_id": ["p"], "area_id": ["a"]})
    codes = [p.code for p in PATHWAYS]
    strands = pd.DataFrame({"strand_id": [f"s{i}" for i in range(len(codes))], "plan_id": "p",
                            "pathway": codes, "pathways": codes})
    milestones = pd.DataFrame({"strand_id": pd.Series(dtype=object)})
    coverage = pathway_coverage(plans, strands, milestones)
    assert len(coverage) == len(codes) and not coverage["gap"].any()
    gaps = plan_gaps(coverage)
    assert gaps.empty and list(gaps.columns) == ["area_id", "plan_id", "pathway_gaps", "theme_gaps"]
