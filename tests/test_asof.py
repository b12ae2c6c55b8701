"""Tests for analysis.asof: which date each report is as of, and how old each kind of figure is.

The area tree in tests/data/asof (reporting dates in brackets):
    nation (no plan)
    ├── north, a region (no plan)
    │   └── north-pa, a probation area (two plans: 2005-12-31 and 2006-03-31)
    │       └── north-la, a local authority (a plan with no reporting date)
    │           └── north-csp, a partnership (2007-06-30)
    ├── south, a region (its own plan: 2004-09-30)
    │   ├── south-pa (2008-12-31)
    │   └── south-la (no plan)
    └── west, a region (no plan)
        └── west-la (a plan with no reporting date)
"""

from __future__ import annotations

import ast
import inspect
import json
import re
from datetime import date

import pandas as pd
import pytest

from analysis import asof, cli
from analysis.asof import ABOVE, BELOW, BUILD, GIVEN, OVERVIEW, OWN, AsOf
from analysis.loader import load_dataset
from analysis.overview import OverviewReport
from analysis.report import AreaReport

from .conftest import DATA, EXAMPLE, ROOT

TREE = DATA / "asof"
BUILT = date(2026, 12, 1)  # the build's date, for reports no plan dates


@pytest.fixture(scope="module")
def tree() -> tuple[pd.DataFrame, pd.DataFrame]:
    dataset = load_dataset(TREE)
    assert not dataset.errors
    return dataset.table("areas"), dataset.table("plans")


def _area(tree, area_id: str, **kwargs) -> AsOf:
    areas, plans = tree
    return asof.area_as_of(areas, plans, area_id, build_date=BUILT, **kwargs)


# ---------------------------------------------------------------------------------------------
# The as-of date of each report


def test_an_area_with_plans_is_as_of_its_latest_plans_reporting_date(tree) -> None:
    # north-pa's two plans report to 31 December 2005 and 31 March 2006: the later one.
    assert _area(tree, "north-pa") == AsOf(date(2006, 3, 31), OWN, "north-pa")
    assert _area(tree, "north-csp") == AsOf(date(2007, 6, 30), OWN, "north-csp")


def test_an_area_without_a_reporting_date_takes_the_nearest_area_above_with_one(tree) -> None:
    # north-la's own plan gives no reporting date; its probation area's plans do.
    assert _area(tree, "north-la") == AsOf(date(2006, 3, 31), ABOVE, "north-pa")
    # south-la has no plan; its region has one.
    assert _area(tree, "south-la") == AsOf(date(2004, 9, 30), ABOVE, "south")


def test_a_region_uses_its_own_plan_else_the_latest_of_its_areas(tree) -> None:
    # south's own plan (30 September 2004) wins over south-pa's later date.
    assert _area(tree, "south") == AsOf(date(2004, 9, 30), OWN, "south")
    # north has no plan: the latest date anywhere below it, north-csp's three levels down.
    assert _area(tree, "north") == AsOf(date(2007, 6, 30), BELOW, "north-csp")
    # The nation, likewise: south-pa's 31 December 2008 is the latest in the tree.
    assert _area(tree, "nation") == AsOf(date(2008, 12, 31), BELOW, "south-pa")


def test_no_reporting_date_in_or_above_an_area_means_the_builds_date(tree) -> None:
    assert _area(tree, "west") == AsOf(BUILT, BUILD)
    assert _area(tree, "west-la") == AsOf(BUILT, BUILD)


def test_the_overview_uses_the_top_areas_plan_else_the_latest_of_all(tree) -> None:
    areas, plans = tree
    assert asof.overview_as_of(areas, plans, build_date=BUILT) == AsOf(date(2008, 12, 31), BELOW, "south-pa")
    # One region's overview is dated as the region.
    assert asof.overview_as_of(areas, plans, "north", build_date=BUILT) == AsOf(
        date(2007, 6, 30), BELOW, "north-csp")
    assert asof.overview_as_of(areas, plans, "south", build_date=BUILT) == AsOf(
        date(2004, 9, 30), OWN, "south")
    assert asof.overview_as_of(areas, plans, "west", build_date=BUILT) == AsOf(BUILT, BUILD)
    # A national plan of its own dates the overview, though areas below report later.
    national = pd.DataFrame({"plan_id": ["nation-2005"], "area_id": ["nation"], "title": ["National plan"],
                             "starts": [pd.Timestamp("2005-04-01")], "ends": [pd.Timestamp("2006-03-31")],
                             "reported_on": [pd.Timestamp("2005-09-30")]})
    with_national = pd.concat([plans, national], ignore_index=True)
    assert asof.overview_as_of(areas, with_national, build_date=BUILT) == AsOf(
        date(2005, 9, 30), OWN, "nation")
    # ... and then west, with nothing of its own or below, takes the nation's date from above.
    assert asof.area_as_of(areas, with_national, "west-la", build_date=BUILT) == AsOf(
        date(2005, 9, 30), ABOVE, "nation")


def test_as_of_given_overrides_every_report(tree) -> None:
    areas, plans = tree
    given = date(2010, 1, 31)
    dates = asof.report_dates(areas, plans, [*areas["area_id"], OVERVIEW], build_date=BUILT, given=given)
    assert set(dates.values()) == {AsOf(given, GIVEN)}
    assert _area(tree, "north-pa", given=given) == AsOf(given, GIVEN)
    assert asof.overview_as_of(areas, plans, "south", build_date=BUILT, given=given) == AsOf(given, GIVEN)


def test_report_dates_agree_with_one_report_at_a_time(tree) -> None:
    areas, plans = tree
    keys = [*areas["area_id"], OVERVIEW]
    dates = asof.report_dates(areas, plans, keys, build_date=BUILT)
    assert dates[OVERVIEW] == asof.overview_as_of(areas, plans, build_date=BUILT)
    assert {k: v for k, v in dates.items() if k != OVERVIEW} == {k: _area(tree, k) for k in areas["area_id"]}
    assert asof.dates_summary({k: v.date for k, v in dates.items()}) == (
        "2004-09-30 (2 reports), 2006-03-31 (2 reports), 2007-06-30 (2 reports), "
        "2008-12-31 (3 reports), 2026-12-01 (2 reports)")


def test_no_plans_or_no_reporting_dates_date_every_report_by_the_build(tree) -> None:
    areas, plans = tree
    keys = [*areas["area_id"], OVERVIEW]
    for without in (plans.iloc[0:0], plans.drop(columns="reported_on"), plans.assign(reported_on=pd.NaT)):
        assert set(asof.report_dates(areas, without, keys, build_date=BUILT).values()) == {AsOf(BUILT, BUILD)}


def test_the_example_reports_are_as_of_their_documents_dates() -> None:
    dataset = load_dataset(EXAMPLE)
    dates = asof.report_dates(dataset.table("areas"), dataset.table("plans"),
                              ["gloucestershire", "east-midlands", "derby", "plymouth", "south-west",
                               OVERVIEW],
                              build_date=BUILT)
    assert {key: found.date for key, found in dates.items()} == {
        "gloucestershire": date(2005, 12, 31),  # the RRAP's third-quarter review
        "east-midlands": date(2009, 9, 30),  # its first quarterly exception report, from October 2009
        "derby": date(2009, 9, 30),  # no plan of its own: the region's
        "plymouth": date(2014, 9, 30),  # the briefing paper of September 2014
        "south-west": date(2014, 9, 30),  # no plan of its own: the latest of its areas' (Plymouth)
        OVERVIEW: date(2014, 9, 30),
    }


def _notebook_parameters(name: str) -> dict[str, object]:
    cells = json.loads((ROOT / "notebooks" / name).read_text(encoding="utf-8"))["cells"]
    source = next("".join(c["source"]) for c in cells if "parameters" in c["metadata"].get("tags", []))
    return {n.targets[0].id: ast.literal_eval(n.value) for n in ast.parse(source).body
            if isinstance(n, ast.Assign)}


def test_the_committed_notebooks_are_as_of_the_dates_the_build_gives_them() -> None:
    # `make reports` builds Gloucestershire as of its plan's date and the overview as of its own;
    # the committed notebooks must say the same, or notebook and report disagree.
    dataset = load_dataset(EXAMPLE)
    dates = asof.report_dates(dataset.table("areas"), dataset.table("plans"), ["gloucestershire", OVERVIEW],
                              build_date=BUILT)
    area, overview = _notebook_parameters("area.ipynb"), _notebook_parameters("overview.ipynb")
    assert area["area_id"] == "gloucestershire" and area["as_of"] == dates["gloucestershire"].date.isoformat()
    assert overview["as_of"] == "" and OverviewReport.build(EXAMPLE, "").results.as_of == dates[OVERVIEW].date
    assert area["stale_after_years"] == overview["stale_after_years"] == asof.STALE_AFTER_YEARS


# ---------------------------------------------------------------------------------------------
# The plans' reporting date in the data contract


def test_reported_on_is_an_optional_iso_date_read_like_the_others(valid_copy) -> None:
    plans = valid_copy / "plans.csv"
    plans.write_text("plan_id,area_id,title,starts,ends,reported_on\n"
                     "plan-a,area-a,Plan A,2005-04-01,2006-03-31,31/12/2005\n", encoding="utf-8")
    [error] = load_dataset(valid_copy).errors
    assert (error.file, error.row, error.column, error.rule) == ("plans.csv", 2, "reported_on", "iso-date")
    plans.write_text("plan_id,area_id,title,starts,ends,reported_on\n"
                     "plan-a,area-a,Plan A,2005-04-01,2006-03-31,9999-12-31\n", encoding="utf-8")
    dataset = load_dataset(valid_copy)
    assert not dataset.errors
    assert [(w.column, w.rule) for w in dataset.warnings] == [("reported_on", "date-range")]
    assert dataset.table("plans")["reported_on"].isna().all()  # read as blank: no reporting date
    plans.write_text("plan_id,area_id,title,starts,ends,reported_on\n"
                     "plan-a,area-a,Plan A,2005-04-01,2006-03-31,2005-12-31\n", encoding="utf-8")
    assert load_dataset(valid_copy).table("plans")["reported_on"].iloc[0] == pd.Timestamp("2005-12-31")


# ---------------------------------------------------------------------------------------------
# Data ages


def _frames(*, reported=(), published=(), cohorts=(), periods=()):
    return (pd.DataFrame({"reported_on": pd.to_datetime(list(reported))}),
            pd.DataFrame({"published": pd.to_datetime(list(published))}),
            pd.DataFrame({"cohort": list(cohorts)}, dtype="object"),
            pd.DataFrame({"period": list(periods)}, dtype="object"))


FIGURES = _frames(reported=["2008-06-30", "2008-09-30", None], published=["2004-03-01", "2005-12-31"],
                  cohorts=["2005-Q3", "2005-Q4", "2004/05"], periods=["2005/06", "2004/05"])


def test_data_ages_give_the_latest_of_each_kind_and_its_age_in_whole_months() -> None:
    ages = asof.data_ages(*FIGURES, as_of=date(2008, 12, 31))
    assert ages.to_dict("records") == [
        # 30 September 2008 to 31 December 2008: three months.
        {"kind": "plan", "what": "plan progress as at", "period": "30 September 2008",
         "speaks_for": date(2008, 9, 30), "age_months": 3, "stale": False, "later": False},
        {"kind": "inspection", "what": "inspection published", "period": "December 2005",
         "speaks_for": date(2005, 12, 31), "age_months": 36, "stale": False, "later": False},
        # 2005 Q4 ends on 31 December 2005, after 2004/05 (31 March 2005) and 2005 Q3.
        {"kind": "reoffending", "what": "latest reoffending cohort", "period": "2005 Q4",
         "speaks_for": date(2005, 12, 31), "age_months": 36, "stale": False, "later": False},
        {"kind": "indicators", "what": "latest indicator period", "period": "2005/06",
         "speaks_for": date(2006, 3, 31), "age_months": 33, "stale": False, "later": False},
    ]
    assert asof.ages_sentence(ages) == ("Plan progress as at 30 September 2008; inspection published "
                                        "December 2005; latest reoffending cohort 2005 Q4; latest "
                                        "indicator period 2005/06.")
    assert asof.stale_sentence(ages, date(2008, 12, 31)) == (
        "No figure here is more than three years older than the report's date.")


def test_a_figure_exactly_three_years_old_is_not_stale_and_a_day_more_is() -> None:
    # 31 December 2005 is exactly three years before 31 December 2008 (above) and three years
    # and a day before 1 January 2009.
    ages = asof.data_ages(*FIGURES, as_of=date(2009, 1, 1)).set_index("kind")
    assert ages["stale"].to_dict() == {"plan": False, "inspection": True, "reoffending": True,
                                       "indicators": False}
    assert ages["age_months"].to_dict() == {"plan": 3, "inspection": 36, "reoffending": 36, "indicators": 33}
    assert asof.stale_sentence(ages.reset_index(), date(2009, 1, 1)) == (
        "Old figures: 2 figures are more than three years older than the report's date (1 January "
        "2009): inspection published December 2005, over 3 years old; latest reoffending cohort "
        "2005 Q4, over 3 years old.")
    # The 2005/06 indicators (to 31 March 2006) are three years old on 31 March 2009, stale after.
    assert not asof.data_ages(*FIGURES, as_of=date(2009, 3, 31)).set_index("kind").at["indicators", "stale"]
    assert asof.data_ages(*FIGURES, as_of=date(2009, 4, 1)).set_index("kind").at["indicators", "stale"]


def test_the_stale_age_is_configurable() -> None:
    ages = asof.data_ages(*FIGURES, as_of=date(2008, 12, 31), stale_after_years=2).set_index("kind")
    # Two years before 31 December 2008 is 31 December 2006: only the plan is younger.
    assert ages["stale"].to_dict() == {"plan": False, "inspection": True, "reoffending": True,
                                       "indicators": True}
    flag = asof.stale_sentence(ages.reset_index(), date(2008, 12, 31), 2)
    assert flag.startswith("Old figures: 3 figures are more than two years older")
    assert "latest indicator period 2005/06, 2 years 9 months old" in flag
    with pytest.raises(ValueError, match="at least 1"):
        asof.data_ages(*FIGURES, as_of=date(2008, 12, 31), stale_after_years=0)
    # The build's --stale-after-years has the same default (typer's, without importing pandas).
    assert inspect.signature(cli.build).parameters["stale_after_years"].default == asof.STALE_AFTER_YEARS


def test_data_ages_read_months_years_and_figures_after_the_report() -> None:
    # "2008/10" and "2009-13" match the contract's patterns but name no period: left out.
    ages = asof.data_ages(*_frames(cohorts=["2007", "2008/10"], periods=["2009-04", "2009-02", "2009-13"]),
                          as_of=date(2009, 3, 15))
    assert ages[["kind", "period", "speaks_for", "later"]].to_dict("records") == [
        {"kind": "reoffending", "period": "2007", "speaks_for": date(2007, 12, 31), "later": False},
        {"kind": "indicators", "period": "April 2009", "speaks_for": date(2009, 4, 30), "later": True},
    ]
    assert asof.ages_sentence(ages) == ("Latest reoffending cohort 2007; latest indicator period April "
                                        "2009. Later than the report's date: latest indicator period "
                                        "April 2009.")
    nothing = asof.data_ages(*_frames(), as_of=date(2009, 3, 15))
    assert nothing.empty and asof.ages_sentence(nothing) == "The report has no dated figures."
    assert asof.stale_sentence(nothing, date(2009, 3, 15)) == ""


# ---------------------------------------------------------------------------------------------
# The reports


def _plain(body: str) -> str:
    return re.sub(r"\\(.)", r"\1", body)


def test_gloucestershires_report_says_how_old_its_figures_are_from_the_documents() -> None:
    report = AreaReport.build(EXAMPLE, "gloucestershire", "")  # "": the date its data speak for
    assert report.results.as_of == date(2005, 12, 31)
    first, flag = (_plain(block.content.body) for block in report.data_ages())
    # The ESI was published in January 2005; its reconviction table is the 1999 Q1 cohort; the
    # performance table is 2003/04.
    assert first == ("This report is as of 31 December 2005, the date up to which the plan of "
                     "Gloucestershire Probation Area reports progress. Plan progress as at 31 December "
                     "2005; inspection published January 2005; latest reoffending cohort 1999 Q1; "
                     "latest indicator period 2003/04.")
    # 1999 Q1 ended on 31 March 1999: 6 years 9 months before 31 December 2005.
    assert flag == ("**Old figures: 1 figure is more than three years older than the report's date "
                    "(31 December 2005): latest reoffending cohort 1999 Q1, 6 years 9 months old.**")


def test_reports_resolve_an_empty_as_of_from_the_data_and_say_where_it_came_from() -> None:
    derby = AreaReport.build(EXAMPLE, "derby", "")
    assert derby.results.as_of == date(2009, 9, 30)
    assert _plain(derby.data_ages()[0].content.body).startswith(
        "This report is as of 30 September 2009, the date up to which the plan of East Midlands, "
        "which this area is part of, reports progress. Latest reoffending cohort 2007 Q4.")
    overview = OverviewReport.build(EXAMPLE, "")
    assert overview.results.as_of == date(2014, 9, 30)
    first, flag = (_plain(block.content.body) for block in overview.data_ages())
    assert first.startswith("This report is as of 30 September 2014, the latest date up to which a "
                            "plan of its areas reports progress (that of Plymouth Community Safety "
                            "Partnership). Plan progress as at 30 September 2014; inspection published "
                            "January 2005; latest reoffending cohort 2007 Q4; latest indicator period 2004.")
    assert flag.startswith("**Old figures: 3 figures are more than three years older")
    assert OverviewReport.build(EXAMPLE, "", "east-midlands").results.as_of == date(2009, 9, 30)
    # A date given wins, and the report says it was asked for.
    given = AreaReport.build(EXAMPLE, "derby", "2010-03-31")
    assert _plain(given.data_ages()[0].content.body).startswith(
        "This report is as of 31 March 2010, the date it was asked to report for.")


def test_an_overview_names_each_date_and_the_areas_as_of_it():
    names = {"glos": "Gloucestershire", "em": "East Midlands", "derby": "Derby", "plym": "Plymouth"}
    same = {"glos": date(2014, 9, 30), "plym": date(2014, 9, 30)}
    assert asof.own_dates_sentence(same, names) == "as of 30 September 2014"
    mixed = {"glos": date(2005, 12, 31), "em": date(2009, 9, 30), "derby": date(2009, 9, 30),
             "plym": date(2014, 9, 30)}
    assert asof.own_dates_sentence(mixed, names) == (
        "each as of its own report's date: 30 September 2014 for Plymouth; 30 September 2009 for "
        "Derby and East Midlands; 31 December 2005 for Gloucestershire")
    assert asof.own_dates_sentence(mixed, names, listed=1).endswith(
        "30 September 2009 for Derby and 1 other; 31 December 2005 for Gloucestershire")
