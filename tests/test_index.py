"""Tests for analysis.index: areas grouped nation → region → area, headline states, links."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace

import pandas as pd

from analysis import index
from analysis.build import AreaResult, BuildResult, NotebookError

# Rows deliberately out of order: the tree's order is worked out below by hand.
AREAS = pd.DataFrame(
    [
        ("plymouth", "Plymouth Community Safety Partnership", "community_safety_partnership", "south-west"),
        ("rutland", "Rutland", "local_authority", "east-midlands"),
        ("isle", "Isle of Nowhere", "local_authority", "atlantis"),  # parent not in the table
        ("south-west", "South West", "region", "england-and-wales"),
        ("cardiff", "Cardiff", "local_authority", "england-and-wales"),
        ("gloucestershire", "Gloucestershire Probation Area", "probation_area", "south-west"),
        ("derby", "Derby", "local_authority", "east-midlands"),
        ("east-midlands", "East Midlands", "region", "england-and-wales"),
        ("england-and-wales", "England and Wales", "nation", None),
    ],
    columns=["area_id", "name", "area_type", "parent_id"],
)
# By hand: the nation, then its regions by name (East Midlands before South West), each followed
# by its areas by name; Cardiff, an area straight under the nation, after the regions although
# "C" sorts before "E"; the Isle of Nowhere, whose parent is unknown, at the top after the nation.
TREE = [("england-and-wales", 0), ("east-midlands", 1), ("derby", 2), ("rutland", 2),
        ("south-west", 1), ("gloucestershire", 2), ("plymouth", 2), ("cardiff", 1), ("isle", 0)]


def test_area_tree_groups_nation_region_area() -> None:
    tree = index.area_tree(AREAS)
    assert list(zip(tree["area_id"], tree["depth"], strict=True)) == TREE
    assert tree.set_index("area_id").at["isle", "parent_id"] == ""  # an unknown parent is dropped
    assert tree.set_index("area_id").at["derby", "parent_id"] == "east-midlands"


def test_area_tree_keeps_an_area_on_a_loop_of_parents() -> None:
    loop = pd.DataFrame({"area_id": ["a", "b"], "name": ["A", "B"], "area_type": ["region"] * 2,
                         "parent_id": ["b", "a"]})
    assert sorted(index.area_tree(loop)["area_id"]) == ["a", "b"]


def _results() -> SimpleNamespace:
    """Strands, milestones and recommendations of two areas, counted by hand in the test."""
    return SimpleNamespace(
        strands_summary=pd.DataFrame({
            "strand_id": ["s1", "s2", "s3", "s4", "s5"],
            "area_id": ["derby", "derby", "derby", "derby", "rutland"],
            "rag": ["red", "Red", "amber", "green", "green"],
        }),
        milestones_status=pd.DataFrame({
            "area_id": ["derby", "derby", "derby", "rutland"],
            "state": ["overdue", "overdue", "complete", "not yet due"],
        }),
        recommendations_status=pd.DataFrame({
            "area_id": ["gloucestershire"] * 3,
            "late": [True, pd.NA, False],
        }),
        reoffending_rates=pd.DataFrame({"area_id": ["derby", "derby"], "cohort": ["2007-Q4", "2008-Q1"]}),
        # No rated inspection: those counts are tested with tests/data/ratings (test_ratings).
        inspection_ratings=pd.DataFrame(columns=["inspection_id", "area_id", "framework", "kind",
                                                 "rating"]),
        inspection_standards=pd.DataFrame(columns=["inspection_id", "scoring", "rating"]),
    )


def test_headline_counts_strands_milestones_and_recommendations() -> None:
    counts = index.headline_counts(_results())
    got = {(a, n, s): c for a, n, s, c in counts.itertuples(index=False)}
    # Derby: red s1 and s2 ("Red" read as red), amber s3; 2 of 3 milestones overdue. Rutland: a
    # plan with nothing red, amber or overdue. Gloucestershire: one recommendation late (NA is not).
    assert got == {("derby", "strand", "red"): 2, ("derby", "strand", "amber"): 1,
                   ("rutland", "strand", "red"): 0, ("rutland", "strand", "amber"): 0,
                   ("derby", "milestone", "overdue"): 2, ("rutland", "milestone", "overdue"): 0,
                   ("gloucestershire", "recommendation", "late"): 1}


def test_headline_words_each_count_in_order() -> None:
    counts = pd.DataFrame(
        [("derby", "strand", "red", 2), ("derby", "strand", "amber", 1), ("derby", "milestone", "overdue", 7),
         ("rutland", "strand", "red", 0), ("leicester", "strand", "red", 0),
         ("leicester", "strand", "amber", 3), ("leicester", "recommendation", "late", 1),
         # another helper's exception counts join as rows of the same shape
         ("leicester", "milestone", "past due with no return", 4)],
        columns=["area_id", "noun", "state", "count"])
    assert index.headline(counts) == {
        "derby": "2 strands red, 1 amber; 7 milestones overdue",
        "rutland": "Nothing off track",
        "leicester": "3 strands amber; 1 recommendation late; 4 milestones past due with no return",
    }


def test_data_dates_take_each_kind_of_data_and_its_last_day() -> None:
    tables = {
        "progress": pd.DataFrame({"strand_id": ["s1", "s9"],
                                  "reported_on": [date(2009, 9, 30), date(2009, 6, 30)]}),
        "plans": pd.DataFrame({"area_id": ["derby"], "plan_id": ["p"]}),
        "inspections": pd.DataFrame({"area_id": ["gloucestershire"],
                                     "published": [pd.Timestamp("2005-01-01")]}),
        "indicators": pd.DataFrame({"area_id": ["gloucestershire", "gloucestershire"],
                                    "period": ["2003/04", "2003/04"]}),
    }
    dataset = SimpleNamespace(table=lambda name: tables[name])
    dates = index.data_dates(dataset, _results())
    got = sorted(map(tuple, dates.to_numpy().tolist()))
    # s9 is no strand of the results: its return is left out. 2003/04 ends 31 March 2004; the
    # quarters 2007-Q4 and 2008-Q1 end 31 December 2007 and 31 March 2008.
    assert got == [("derby", "progress return", date(2009, 9, 30)),
                   ("derby", "reoffending cohort", date(2007, 12, 31)),
                   ("derby", "reoffending cohort", date(2008, 3, 31)),
                   ("gloucestershire", "indicators", date(2004, 3, 31)),
                   ("gloucestershire", "inspection", date(2005, 1, 1))]


def _build_result(tmp_path: Path) -> BuildResult:
    def built(area_id: str, name: str) -> AreaResult:
        folder = tmp_path / area_id
        return AreaResult(area_id, name, "built", "builtin", 1.0, outputs={
            "html": folder / f"{area_id}.html", "pdf": folder / f"{area_id}.pdf",
            "xlsx": folder / f"{area_id}-tables.xlsx"})

    failed = AreaResult("rutland", "Rutland", "failed", "builtin", 1.0,
                        error=NotebookError("execute", "ValueError", "no data", 2, 3))
    now = datetime.now(UTC)
    return BuildResult(out_dir=tmp_path, data_dir=tmp_path / "example", as_of=date(2009, 9, 30),
                       engine="builtin", formats=("html", "pdf"),
                       areas=[built("derby", "Derby"), failed, built("gloucestershire",
                                                                     "Gloucestershire Probation Area")],
                       overview=built("overview", "Overview"), version="0.1.0", commit="abc1234",
                       started=now, finished=now)


def test_index_page_groups_reports_with_their_state_date_and_links(tmp_path: Path) -> None:
    counts = index.headline_counts(_results())
    dates = pd.DataFrame({"area_id": ["derby", "derby"], "what": ["progress return", "reoffending cohort"],
                          "on": [date(2009, 9, 30), date(2008, 3, 31)]})
    page = index.index_page(_build_result(tmp_path), index.AreaStates(AREAS, counts, dates))
    rows = re.findall(r"<tr class=\"depth-(\d)\"><th scope=\"row\"[^>]*>([^<]+)", page)
    # Only the built areas and the areas they belong to, in the tree's order.
    assert rows == [("0", "England and Wales"), ("1", "East Midlands"), ("2", "Derby"), ("2", "Rutland"),
                    ("1", "South West"), ("2", "Gloucestershire Probation Area")]
    derby = re.search(r"<tr[^>]*>.*?Derby.*?</tr>", page).group(0)
    assert "2 strands red, 1 amber; 2 milestones overdue" in derby
    assert "30 September 2009" in derby and "progress return" in derby
    for href in ("derby/derby.html", "derby/derby.pdf", "derby/derby-tables.xlsx"):
        assert f'href="{href}"' in derby
    assert ", in East Midlands</span>" in derby  # the grouping is read out, not only indented
    rutland = re.search(r"<tr[^>]*>.*?Rutland.*?</tr>", page).group(0)
    assert "Nothing off track" in rutland and "failed" in rutland and "href" not in rutland
    region = re.search(r"<tr[^>]*>.*?South West.*?</tr>", page).group(0)
    assert "not in this build" in region and "href" not in region
    assert 'href="overview/overview.html"' in page and 'href="overview/overview.pdf"' in page
    assert "1 recommendation late" in page


def test_index_page_without_states_lists_reports_flat(tmp_path: Path) -> None:
    page = index.index_page(_build_result(tmp_path))
    rows = re.findall(r"<tr class=\"depth-0\"><th scope=\"row\"[^>]*>([^<]+)", page)
    assert rows == ["Derby", "Rutland", "Gloucestershire Probation Area"]


def test_area_states_counts_each_area_as_of_its_own_date_and_copes_with_nothing_to_count() -> None:
    # An analysis with no strands, milestones or recommendations (the attacker's datasets) gave
    # an empty frame whose row filter, a list of no booleans, selected no *columns*: KeyError.
    from analysis.loader import load_dataset
    from analysis.pipeline import analyse

    from .conftest import DATA

    dataset = load_dataset(DATA / "valid")
    dataset.tables["strands"] = dataset.table("strands").iloc[0:0]
    dataset.tables["milestones"] = dataset.table("milestones").iloc[0:0]
    dataset.tables["recommendations"] = dataset.table("recommendations").iloc[0:0]
    early, late = date(2005, 12, 31), date(2006, 3, 31)
    analysed = {early: analyse(dataset, as_of=early), late: analyse(dataset, as_of=late)}
    states = index.area_states(dataset, analysed, {})
    assert list(states.counts.columns) == ["area_id", "noun", "state", "count"] and states.counts.empty
    assert index.headline(states.counts) == {}
