"""Tests for analysis.derived: every derived table is checked against its declared columns."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pandera.pandas as pa
import pytest

from analysis import build as build_module
from analysis import derived, progress
from analysis.derived import DERIVED, DerivedTableError, passed_through, problems
from analysis.loader import Dataset, load_dataset
from analysis.pipeline import Results, analyse, analyse_at_own_dates, at_own_dates
from analysis.snapshot import load, read_snapshot

ROOT = Path(__file__).parent.parent
EXAMPLE = ROOT / "data" / "example"
AS_OF = date(2005, 12, 31)


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return load_dataset(EXAMPLE)


@pytest.fixture(scope="module")
def example(dataset: Dataset) -> Results:
    return analyse(dataset, as_of=AS_OF)


@pytest.fixture(scope="module")
def passed(dataset: Dataset) -> dict[str, set[str]]:
    """The example reoffending file's own columns, which reoffending_rates passes through."""
    return passed_through(dataset)


def _renamed(results: Results, table: str, old: str, new: str) -> Results:
    return dataclasses.replace(results, **{table: getattr(results, table).rename(columns={old: new})})


def test_every_results_table_is_declared_and_every_declared_table_is_in_results(example):
    assert set(example.tables()) == set(DERIVED)


def test_every_example_table_passes_its_declaration(example, dataset):
    assert problems(example.tables(), passed_through(dataset)) == []
    # Not vacuous: the example fills the tables the reports are made of.
    assert all(len(example.tables()[name]) for name in (
        "milestones_status", "strands_summary", "lead_load", "inspection_sections",
        "recommendations_status", "reoffending_rates", "ni18_targets", "ni30_progress"))


def test_pandera_schemas_accept_the_example_and_refuse_a_renamed_column(example, passed):
    for name, frame in example.tables().items():
        derived.schema(DERIVED[name], passed.get(name, ())).validate(frame)
    with pytest.raises((pa.errors.SchemaError, pa.errors.SchemaErrors)):
        derived.schema(DERIVED["lead_load"]).validate(example.lead_load.rename(columns={"lead": "leader"}))


def test_empty_results_pass(example, passed):
    # As tests/test_tables.py builds an empty Results: every table cut to no rows.
    empty = Results(**{name: (value.iloc[0:0] if isinstance(value, pd.DataFrame) else value)
                       for name, value in vars(example).items()})
    assert problems(empty.tables(), passed) == []


def test_an_area_with_no_plan_gives_empty_tables_that_pass(tmp_path):
    shutil.copy(EXAMPLE / "areas.csv", tmp_path / "areas.csv")
    results = analyse(load_dataset(tmp_path), as_of=AS_OF)  # analyse checks them itself
    assert results.strands_summary.empty and results.funnel.empty and results.spc.empty
    # Typed empty frames keep every declared column (the empty funnel once lacked phi and tau2).
    assert {"phi", "tau2", "method"} <= set(results.funnel.columns)
    assert "moving_range" in results.spc.columns


def test_a_renamed_column_fails_naming_table_and_column(example, passed):
    found = problems(_renamed(example, "strands_summary", "rag", "rag_colour").tables(), passed)
    assert found == [
        "strands_summary: column rag missing (declared in analysis/derived.py)",
        "strands_summary: column rag_colour is not declared (declare it in analysis/derived.py)",
    ]


def test_a_wrong_dtype_fails_naming_expected_and_found(example, passed):
    lead_load = example.lead_load.assign(strands=example.lead_load["strands"].astype(str))
    found = problems(dataclasses.replace(example, lead_load=lead_load).tables(), passed)
    assert len(found) == 1
    assert found[0].startswith("lead_load: column strands expected whole numbers")
    assert found[0].endswith("found str")


def test_a_blank_where_none_is_allowed_fails(example, passed):
    completeness = example.completeness.copy()
    completeness.loc[0, "area_id"] = None
    found = problems(dataclasses.replace(example, completeness=completeness).tables(), passed)
    assert found == ["completeness: column area_id has blanks, declared never blank"]


def test_every_problem_is_reported_at_once(example):
    broken = _renamed(_renamed(example, "funnel", "upper_inner", "upper_95"), "ni30_progress",
                      "status", "state")
    with pytest.raises(DerivedTableError) as raised:
        derived.check(broken.tables())
    message = str(raised.value)
    for part in ("funnel: column upper_inner missing", "funnel: column upper_95 is not declared",
                 "ni30_progress: column status missing", "ni30_progress: column state is not declared"):
        assert part in message


def test_analyse_refuses_a_table_built_with_a_renamed_column(dataset, monkeypatch):
    built = progress.lead_load
    monkeypatch.setattr(progress, "lead_load",
                        lambda *args: built(*args).rename(columns={"open_milestones": "open"}))
    with pytest.raises(DerivedTableError, match="lead_load: column open_milestones missing"):
        analyse(dataset, as_of=AS_OF)


def test_an_analysts_extra_reoffending_column_passes_through_but_no_other_table_may_add_one(
        example, dataset):
    # data/example's reoffending.csv carries input columns the rates pass through as they are
    # (verdict_as_printed, the inspectorate's own words), which the derived table does not declare.
    assert "verdict_as_printed" in example.reoffending_rates
    assert "verdict_as_printed" not in {c.name for c in DERIVED["reoffending_rates"].columns}
    assert problems(example.tables(), passed_through(dataset)) == []
    extra = example.ni18_targets.assign(verdict_as_printed="x")
    assert problems(dataclasses.replace(example, ni18_targets=extra).tables(), passed_through(dataset)) == [
        "ni18_targets: column verdict_as_printed is not declared (declare it in analysis/derived.py)"]


def test_tables_cut_to_an_area_and_combined_at_own_dates_stay_valid(example, dataset, passed):
    for area in ("gloucestershire", "east-midlands", "plymouth"):
        assert problems(example.for_area(area), passed) == []
    later = date(2009, 3, 31)
    combined = analyse_at_own_dates(dataset, {"gloucestershire": AS_OF, "east-midlands": later}, later)
    assert combined.area_dates == {"gloucestershire": AS_OF}
    assert problems(combined.tables(), passed) == []
    # In 2000 no inspection had reported: Gloucestershire's recommendations are empty (untyped)
    # beside the typed rows of 2009, whichever date is the whole's.
    early = date(2000, 1, 1)
    by_date = {early: analyse(dataset, as_of=early), later: analyse(dataset, as_of=later)}
    assert by_date[early].recommendations_status.empty and len(by_date[later].recommendations_status)
    for area_date, whole in ((early, later), (later, early)):
        mixed = at_own_dates(by_date, {"gloucestershire": area_date}, whole)
        assert problems(mixed.tables(), passed) == []


def test_empty_frames_from_the_declarations_pass():
    for name, table in DERIVED.items():
        frame = derived.empty(name)
        assert list(frame.columns) == [c.name for c in table.columns if c.required]
    assert problems({name: derived.empty(name) for name in DERIVED}) == []


def _snapshot(tmp_path: Path, dataset: Dataset, results: Results) -> Path:
    return build_module._write_snapshot(tmp_path / "snapshot.pkl", EXAMPLE.resolve(), dataset,
                                        {results.as_of: results})


def test_a_snapshot_with_the_declared_tables_is_read(tmp_path, dataset, example):
    path = _snapshot(tmp_path, dataset, example)
    assert read_snapshot(path, EXAMPLE, example.threshold)["results"][AS_OF].as_of == AS_OF
    _, results = load(EXAMPLE, as_of=AS_OF, threshold=example.threshold, snapshot=path)
    assert list(results.lead_load.columns) == list(example.lead_load.columns)


def test_a_snapshot_from_another_version_with_a_renamed_column_is_refused(tmp_path, dataset, example):
    path = _snapshot(tmp_path, dataset, _renamed(example, "reoffending_rates", "ci_low", "lower_ci"))
    wanted = "another version of the workbook.*reoffending_rates: column ci_low missing"
    with pytest.raises(ValueError, match=wanted):
        read_snapshot(path, EXAMPLE, example.threshold)
    with pytest.raises(ValueError, match=wanted):
        load(EXAMPLE, as_of=AS_OF, threshold=example.threshold, snapshot=path)


def test_a_snapshot_whose_results_lack_a_table_is_refused(tmp_path, dataset, example):
    old = dataclasses.replace(example)
    del old.__dict__["plan_gaps"]  # as a Results pickled before the table existed
    with pytest.raises(ValueError, match="plan_gaps: table missing"):
        read_snapshot(_snapshot(tmp_path, dataset, old), EXAMPLE, example.threshold)


def test_the_documented_tables_are_the_declared_ones():
    path = ROOT / "docs" / "derived.md"
    assert path.read_text(encoding="utf-8") == derived.markdown(), (
        "docs/derived.md is stale: python -m analysis.derived > docs/derived.md")
    text = path.read_text(encoding="utf-8")
    assert "## lead_load" in text and "| open_milestones | integer | no |" in text
