"""Incremental builds: a report whose inputs have not changed since its last successful build is
skipped, and exactly the reports whose inputs changed are rebuilt (analysis.build fingerprints)."""

from __future__ import annotations

import json
import os
import shutil
from datetime import date
from pathlib import Path

import pytest

from analysis import asof, contract
from analysis import build as build_module
from analysis.asof import GIVEN, AsOf
from analysis.build import BuildResult, build
from analysis.loader import load_dataset
from analysis.pipeline import analyse, at_own_dates

from .conftest import DATA

TOY = DATA / "build"
AS_OF = date(2025, 3, 31)
REPORTS = ["nation", "region-a", "area-a", "area-b", "overview"]


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A writable copy of the valid dataset and of the toy notebooks, and an output folder."""
    data, notebooks = tmp_path / "data", tmp_path / "notebooks"
    shutil.copytree(DATA / "valid", data)
    notebooks.mkdir()
    for name in ("area.ipynb", "area_fails.ipynb", "overview.ipynb"):
        shutil.copy(TOY / name, notebooks / name)
    return data, notebooks, tmp_path / "reports"


def _build(data: Path, notebooks: Path, out: Path, *, area: str = "area.ipynb", **kwargs) -> BuildResult:
    settings = {"as_of": AS_OF, "jobs": 2, "formats": ("html",), "progress": False, **kwargs}
    return build(data, out, area_notebook=notebooks / area, overview_notebook=notebooks / "overview.ipynb",
                 **settings)


def _stamps(out: Path) -> dict[str, int]:
    """When each report's executed notebook was last written: changes exactly when it ran."""
    return {key: (out / "_executed" / f"{key}.ipynb").stat().st_mtime_ns for key in REPORTS
            if (out / "_executed" / f"{key}.ipynb").is_file()}


def _statuses(result: BuildResult) -> dict[str, str]:
    return {report.area_id: report.status for report in result.reports}


def _rebuilt(before: dict[str, int], out: Path) -> set[str]:
    after = _stamps(out)
    return {key for key in REPORTS if after.get(key) != before.get(key)}


def _edit_csv(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_unchanged_inputs_skip_every_report_and_missing_outputs_or_force_rebuild(setup) -> None:
    data, notebooks, out = setup
    first = _build(data, notebooks, out)
    assert first.ok and set(_statuses(first).values()) == {"built"}
    made = json.loads((out / "build.json").read_text(encoding="utf-8"))["areas"][0]["made"]

    before = _stamps(out)
    second = _build(data, notebooks, out)
    assert _statuses(second) == dict.fromkeys(REPORTS, "unchanged")
    assert second.ok and _rebuilt(before, out) == set()  # no notebook executed
    assert all(report.seconds == 0 for report in second.reports)
    manifest = json.loads((out / "build.json").read_text(encoding="utf-8"))
    entry = manifest["areas"][0]
    assert entry["status"] == "unchanged" and entry["made"] == made  # from the build that made it
    assert entry["outputs"] == {"html": "nation/nation.html", "xlsx": "nation/nation-tables.xlsx"}
    assert entry["fingerprint"] == first.areas[0].fingerprint
    page = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="area-b/area-b.html"' in page and "unchanged" in page
    assert not (out / "_snapshot").exists() and not list(out.rglob("*.pkl"))

    (out / "area-b" / "area-b.html").unlink()  # a report's file went missing: rebuild that one only
    # A file newer than build.json was written by a build that never finished: not vouched for.
    later = (out / "build.json").stat().st_mtime_ns + 10**9
    os.utime(out / "nation" / "nation.html", ns=(later, later))
    before = _stamps(out)
    third = _build(data, notebooks, out)
    assert _rebuilt(before, out) == {"area-b", "nation"}
    assert _statuses(third)["area-b"] == "built" and (out / "area-b" / "area-b.html").is_file()
    assert _statuses(third)["nation"] == "built" and _statuses(third)["area-a"] == "unchanged"

    before = _stamps(out)
    forced = _build(data, notebooks, out, force=True)
    assert set(_statuses(forced).values()) == {"built"} and _rebuilt(before, out) == set(REPORTS)


def test_one_areas_milestone_rebuilds_that_area_those_above_it_and_the_overview_and_as_of_rebuilds_all(
        setup) -> None:
    data, notebooks, out = setup
    _build(data, notebooks, out)
    _edit_csv(data / "milestones.csv", "Q3 2005/06,,,50,40", "Q3 2005/06,,,50,45")  # area-a's plan
    before = _stamps(out)
    result = _build(data, notebooks, out)
    # region-a and the nation roll area-a up (its strands in their table of the areas within).
    assert _rebuilt(before, out) == {"area-a", "region-a", "nation", "overview"}
    assert _statuses(result) == {"nation": "built", "region-a": "built", "area-a": "built",
                                 "area-b": "unchanged", "overview": "built"}

    before = _stamps(out)
    later = _build(data, notebooks, out, as_of=date(2025, 6, 30))
    assert set(_statuses(later).values()) == {"built"} and _rebuilt(before, out) == set(REPORTS)


def test_each_report_is_as_of_its_plans_date_and_a_new_date_rebuilds_the_reports_it_dates(
        setup, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    data, notebooks, out = setup
    monkeypatch.setattr(contract, "today", lambda: date(2026, 12, 1))  # the build's date
    _edit_csv(data / "plans.csv", "starts,ends\n", "starts,ends,reported_on\n")
    _edit_csv(data / "plans.csv", "2006-03-31\n", "2006-03-31,2005-12-31\n")
    with caplog.at_level("INFO", logger="analysis.build"):
        first = _build(data, notebooks, out, as_of=None)
    # area-a's plan reports to 31 December 2005: area-a's own date, and the latest below the
    # region, the nation and the overview. area-b (no plan, none above it) is as of the build's.
    dated = {"nation": "2005-12-31", "region-a": "2005-12-31", "area-a": "2005-12-31",
             "area-b": "2026-12-01", "overview": "2005-12-31"}
    manifest = json.loads((out / "build.json").read_text(encoding="utf-8"))
    assert first.ok and first.as_of is None and manifest["as_of"] is None
    assert {e["area_id"]: e["as_of"] for e in [*manifest["areas"], manifest["overview"]]} == dated
    assert "Area A as of 2005-12-31" in (out / "area-a" / "area-a.html").read_text(encoding="utf-8")
    assert "Area B as of 2026-12-01" in (out / "area-b" / "area-b.html").read_text(encoding="utf-8")
    assert "4 areas as of 2005-12-31" in (out / "overview" / "overview.html").read_text(encoding="utf-8")
    assert "as of 2005-12-31 (4 reports), 2026-12-01 (1 report)" in caplog.text
    assert "area-b: built as of 2026-12-01" in caplog.text
    # Each spreadsheet is written from the snapshot's results for its report's date.
    assert all((out / key / f"{key}-tables.xlsx").is_file() for key in ("area-a", "area-b"))

    _edit_csv(data / "plans.csv", "2006-03-31,2005-12-31\n", "2006-03-31,2006-03-31\n")
    before = _stamps(out)
    second = _build(data, notebooks, out, as_of=None)
    assert _rebuilt(before, out) == {"nation", "region-a", "area-a", "overview"}
    assert {r.area_id: r.as_of.isoformat() for r in second.reports} == {
        **dated, "nation": "2006-03-31", "region-a": "2006-03-31", "area-a": "2006-03-31",
        "overview": "2006-03-31"}


def test_changing_the_notebook_rebuilds_every_area(setup) -> None:
    data, notebooks, out = setup
    _build(data, notebooks, out)
    notebook = notebooks / "area.ipynb"
    content = json.loads(notebook.read_text(encoding="utf-8"))
    content["cells"].append({"cell_type": "markdown", "id": "added", "metadata": {}, "source": ["More."]})
    notebook.write_text(json.dumps(content), encoding="utf-8")
    before = _stamps(out)
    result = _build(data, notebooks, out)
    statuses = _statuses(result)
    assert statuses.pop("overview") == "unchanged"  # its own notebook and data did not change
    assert set(statuses.values()) == {"built"}
    assert _rebuilt(before, out) == set(REPORTS) - {"overview"}


def test_a_failed_area_is_retried_next_time(setup) -> None:
    data, notebooks, out = setup
    first = _build(data, notebooks, out, area="area_fails.ipynb")
    assert _statuses(first)["area-b"] == "failed"
    partial = out / "_failed" / "area-b.ipynb"
    tried = partial.stat().st_mtime_ns
    before = _stamps(out)
    second = _build(data, notebooks, out, area="area_fails.ipynb")
    statuses = _statuses(second)
    assert statuses.pop("area-b") == "failed" and partial.stat().st_mtime_ns != tried  # ran again
    assert set(statuses.values()) == {"unchanged"} and _rebuilt(before, out) == set()
    assert not second.ok


def _fingerprints(data: Path) -> dict[str, str]:
    dataset = load_dataset(data)
    assert not dataset.errors
    results = analyse(dataset, as_of=AS_OF)
    settings = {kind: {"notebook": TOY / f"{kind}.ipynb"} for kind in ("area", "overview")}
    dates = dict.fromkeys([*dataset.table("areas")["area_id"], "overview"], AsOf(AS_OF, GIVEN))
    return {key: value["fingerprint"]
            for key, value in build_module._fingerprints(dataset, {AS_OF: results}, results, dates,
                                                         settings).items()}


def test_another_areas_counts_in_a_funnel_change_the_areas_in_that_funnel(valid_copy: Path) -> None:
    # Two more local authorities with counted cohorts beside area-b make a funnel of three;
    # a funnel compares areas of one kind, so area-a (a probation area) is not in it.
    with (valid_copy / "areas.csv").open("a", encoding="utf-8") as file:
        file.write("area-c,Area C,local_authority,region-a,,\narea-d,Area D,local_authority,region-a,,\n")
    with (valid_copy / "reoffending.csv").open("a", encoding="utf-8") as file:
        file.write("area-c,2005-Q1,adult-proven-1yr,400,150,,400,35.0,\n"
                   "area-d,2005-Q1,adult-proven-1yr,300,100,,300,35.0,\n")
    before = _fingerprints(valid_copy)
    _edit_csv(valid_copy / "reoffending.csv", "area-d,2005-Q1,adult-proven-1yr,300,100",
              "area-d,2005-Q1,adult-proven-1yr,300,120")
    after = _fingerprints(valid_copy)
    changed = {key for key in before if before[key] != after[key]}
    # area-b and area-c show the funnel area-d is in; area-a is in none; region-a and the
    # nation list area-d's reoffending figures in their roll-up of the areas within them.
    assert changed == {"area-b", "area-c", "area-d", "region-a", "nation", "overview"}


def test_row_positions_and_unrelated_areas_do_not_change_a_fingerprint(valid_copy: Path) -> None:
    before = _fingerprints(valid_copy)
    # area-b's indicator added at the top of the file: every other row moves down one.
    _edit_csv(valid_copy / "indicators.csv", "better\n",
              "better\narea-b,2003/04,PSR timeliness,50,90,65,England and Wales average,percent,higher\n")
    after = _fingerprints(valid_copy)
    # region-a and the nation roll area-b up: their reports hold its rows.
    assert {key for key in before if before[key] != after[key]} == {"area-b", "region-a", "nation",
                                                                    "overview"}


def test_a_regions_strand_answering_an_areas_recommendation_is_part_of_that_areas_report(
        valid_copy: Path) -> None:
    with (valid_copy / "plans.csv").open("a", encoding="utf-8") as file:
        file.write("plan-r,region-a,Regional plan 2005/06,2005-04-01,2006-03-31\n")
    with (valid_copy / "strands.csv").open("a", encoding="utf-8") as file:
        file.write("s-region,plan-r,Accommodation,Regional housing gateway,Gateway open,,,ROM,Councils\n")
    _edit_csv(valid_copy / "recommendations.csv", ",s-accm,", ",s-accm;s-region,")
    before = _fingerprints(valid_copy)
    _edit_csv(valid_copy / "strands.csv", "Regional housing gateway", "Regional accommodation gateway")
    after = _fingerprints(valid_copy)
    # area-a's recommendations table shows the regional strand's title; the nation rolls
    # region-a up.
    assert {key for key in before if before[key] != after[key]} == {"region-a", "area-a", "nation",
                                                                    "overview"}


def test_the_area_whose_plan_dates_a_report_is_part_of_that_reports_fingerprint(valid_copy: Path) -> None:
    _edit_csv(valid_copy / "plans.csv", "starts,ends\n", "starts,ends,reported_on\n")
    _edit_csv(valid_copy / "plans.csv", "2006-03-31\n", "2006-03-31,2005-12-31\n")

    def prints() -> dict[str, str]:
        dataset = load_dataset(valid_copy)
        keys = [*dataset.table("areas")["area_id"], "overview"]
        found = asof.report_dates(dataset.table("areas"), dataset.table("plans"), keys, build_date=AS_OF)
        analysed = {when: analyse(dataset, as_of=when) for when in {f.date for f in found.values()}}
        own = at_own_dates(analysed, {k: f.date for k, f in found.items()}, found["overview"].date)
        settings = {kind: {"notebook": TOY / f"{kind}.ipynb"} for kind in ("area", "overview")}
        return {key: value["fingerprint"] for key, value in
                build_module._fingerprints(dataset, analysed, own, found, settings).items()}

    before = prints()
    _edit_csv(valid_copy / "areas.csv", "area-a,Area A,", "area-a,Area A Probation,")
    after = prints()
    # region-a and the nation are as of area-a's plan's date, and their reports say so by name.
    changed = {key for key in before if before[key] != after[key]}
    assert changed == {"area-a", "region-a", "nation", "overview"}


def test_another_areas_rating_changes_the_reports_that_rank_among_it(tmp_path: Path) -> None:
    # yjs-a's report ranks its latest youth justice inspection among yjs-b's and yjs-c's and
    # says where each rating comes from. yjs-c's printed rating withdrawn: its band (Requires
    # improvement from 7 points) stands in, so no rank or count of yjs-a's moves, but the
    # "Rating from" yjs-a's report shows for yjs-c does. The PDUs are ranked among themselves.
    data = tmp_path / "ratings"
    shutil.copytree(DATA / "ratings", data)
    before = _fingerprints(data)
    _edit_csv(data / "inspection_scores.csv", "yjs-c-2022,overall,Requires improvement\n", "")
    after = _fingerprints(data)
    assert {key for key in before if before[key] != after[key]} == {
        "yjs-a", "yjs-b", "yjs-c", "region-a", "nation", "overview"}
