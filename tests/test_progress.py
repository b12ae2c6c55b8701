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
    assert out["state"].to_dict() == {
        "done-early": "complete", "done-late": "complete",
        "done-after-as-of": "overdue",  # not yet done on 31 Dec 2005, due 31 Oct
        "overdue-61": "overdue", "missed": "overdue", "soon": "due soon",
        "later": "not yet due", "undated": "undated", "dropped": "dropped",
        "qty-met": "complete", "qty-behind": "overdue", "qty-open": "due soon",
    }
    # 31 Oct to 31 Dec 2005: 30 days of November + 31 of December = 61.
    assert out.at["overdue-61", "days_overdue"] == 61
    assert bool(out.at["done-early", "met_on_time"]) is True
    assert bool(out.at["done-late", "met_on_time"]) is False
    assert out.at["qty-met", "quantity"] == "met"
    assert out.at["qty-behind", "quantity"] == "behind"
    assert out.at["qty-open", "quantity"] == "in progress"


def test_strand_rag_and_smart_audit(scenario):
    m, strands, plans = scenario
    ms = milestone_status(m, strands, plans, AS_OF)
    progress = pd.DataFrame({"strand_id": ["s4", "s4"], "rag": ["red", "green"],
                             "reported_on": pd.to_datetime(["2005-11-01", "2006-02-01"]),
                             "comment": ["", "after as-of"]})
    out = strand_summary(strands, plans, ms, progress, AS_OF).set_index("strand_id")
    # s1: overdue 61 days -> amber; s2: a missed milestone -> red; s3: only undated left -> amber;
    # s4: the return of 1 Nov 2005 (the February one is after the as-of date).
    assert out["rag"].to_dict() == {"s1": "amber", "s2": "red", "s3": "amber", "s4": "red"}
    assert out.at["s4", "rag_source"] == "progress return 2005-11-01"
    assert out.at["s1", "smart_score"] == 5
    assert out.at["s2", "smart_missing"] == (
        "measurable: no measure of success, no figure in the aim and no milestone target; "
        "partnered: no partners named")
    assert out.at["s3", "smart_score"] == 1  # only partnered
    assert "specific: no aim" in out.at["s3", "smart_missing"]
    assert "owned: no lead named" in out.at["s3", "smart_missing"]
    assert "1 of 2 milestones have no readable date ('Monthly')" in out.at["s3", "smart_missing"]


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
