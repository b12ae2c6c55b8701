"""Tests of the synthetic dataset generator: determinism, counts and every contract rule."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pandas as pd
import pytest

from analysis.dates import parse_due
from analysis.frameworks import RATING_SCALE, load_framework
from analysis.loader import load_dataset
from analysis.pathways import CROSS_CUTTING, SEVEN_PATHWAYS, resolve_pathways
from analysis.synth import synthesise

AREAS, QUARTERS, PER_QUARTER, SEED = 12, 8, 300, 3
SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
ISO = re.compile(r"\d{4}-\d{2}-\d{2}")
TABLES = ("areas", "plans", "strands", "milestones", "progress", "inspections",
          "inspection_scores", "recommendations", "indicators", "reoffending")


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir())}


def _read(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)


def _foreign_strands(recommendations: pd.DataFrame, inspections: pd.DataFrame,
                     strands: pd.DataFrame, plans: pd.DataFrame) -> list[tuple[str, str]]:
    """(recommendation, strand) pairs whose strand is not in a plan of the inspection's area."""
    area_of_inspection = dict(zip(inspections["inspection_id"], inspections["area_id"],
                                  strict=True))
    area_of_plan = dict(zip(plans["plan_id"], plans["area_id"], strict=True))
    area_of_strand = {s: area_of_plan[p] for s, p in zip(strands["strand_id"],
                                                          strands["plan_id"], strict=True)}
    foreign = []
    for rec in recommendations.itertuples():
        if not isinstance(rec.addressed_by, str) or not rec.addressed_by:
            continue
        for strand in rec.addressed_by.split(";"):
            if area_of_strand.get(strand) != area_of_inspection[rec.inspection_id]:
                foreign.append((rec.recommendation_id, strand))
    return foreign


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    out = tmp_path_factory.mktemp("synth")
    counts = synthesise(out, areas=AREAS, quarters=QUARTERS, offenders_per_quarter=PER_QUARTER,
                        seed=SEED, record_level=True)
    return out, counts


@pytest.fixture(scope="module")
def tables(generated: tuple[Path, dict[str, int]]) -> dict[str, pd.DataFrame]:
    out, _ = generated
    return {name: _read(out, name) for name in TABLES}


def test_same_seed_gives_identical_bytes_and_another_seed_differs(tmp_path: Path) -> None:
    kwargs = dict(areas=6, quarters=5, offenders_per_quarter=150, record_level=True)
    first, second, other = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    synthesise(first, seed=11, **kwargs)
    synthesise(second, seed=11, **kwargs)
    synthesise(other, seed=12, **kwargs)
    assert set(_hashes(first)) == {f"{t}.csv" for t in TABLES} | {"offenders.parquet"}
    assert _hashes(first) == _hashes(second)
    differs = {name for name, digest in _hashes(other).items() if _hashes(first)[name] != digest}
    assert {"reoffending.csv", "offenders.parquet", "milestones.csv",
            "recommendations.csv"} <= differs


def test_same_seed_gives_identical_recommendations_bytes(tmp_path: Path) -> None:
    for name in ("a", "b"):
        synthesise(tmp_path / name, areas=5, quarters=6, seed=21)
    first = (tmp_path / "a" / "recommendations.csv").read_bytes()
    assert first.startswith(b"recommendation_id,inspection_id,number,text,addressed_by,due,status\n")
    assert first == (tmp_path / "b" / "recommendations.csv").read_bytes()


def test_rewriting_is_idempotent_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    synthesise(tmp_path, areas=3, quarters=2, seed=5, record_level=True)
    before = _hashes(tmp_path)
    synthesise(tmp_path, areas=3, quarters=2, seed=5, record_level=True)
    assert _hashes(tmp_path) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_record_level_does_not_change_the_aggregate_tables(tmp_path: Path) -> None:
    synthesise(tmp_path / "with", areas=4, quarters=3, seed=2, record_level=True)
    synthesise(tmp_path / "without", areas=4, quarters=3, seed=2)
    with_records = _hashes(tmp_path / "with")
    with_records.pop("offenders.parquet")
    assert with_records == _hashes(tmp_path / "without")


def test_counts_returned_match_files(generated, tables) -> None:
    out, counts = generated
    assert counts == {**{name: len(tables[name]) for name in TABLES},
                      "offenders": len(pd.read_parquet(out / "offenders.parquet"))}


def test_row_counts_follow_areas_and_quarters(tables) -> None:
    areas = tables["areas"]
    local = areas[areas["area_type"].isin(["probation_area", "local_authority"])]
    assert len(local) == AREAS
    assert len(tables["plans"]) == AREAS
    assert len(tables["reoffending"]) == AREAS * QUARTERS
    assert tables["reoffending"].groupby("area_id").size().eq(QUARTERS).all()
    expected = [f"{2019 + k // 4}-Q{k % 4 + 1}" for k in range(QUARTERS)]
    for _, group in tables["reoffending"].groupby("area_id"):
        assert group["cohort"].tolist() == expected
    assert tables["inspections"].groupby("area_id")["kind"].apply(
        lambda k: (k == "full").sum()).eq(1).all()
    assert tables["milestones"].groupby("strand_id").size().between(2, 4).all()


def test_areas_hierarchy(tables) -> None:
    areas = tables["areas"]
    assert areas["area_id"].is_unique
    assert areas["area_id"].map(lambda v: SLUG.fullmatch(v) is not None).all()
    assert set(areas["area_type"]) <= {"probation_area", "local_authority", "region", "nation"}
    assert (areas["area_type"] == "nation").sum() == 1
    assert areas.loc[areas["area_type"] == "nation", "area_id"].item() == "synthetic-nation"
    assert 1 <= (areas["area_type"] == "region").sum() <= 9
    assert areas["name"].str.startswith("Synthetic ").all()
    parent = dict(zip(areas["area_id"], areas["parent_id"], strict=True))
    for area in parent:
        seen = {area}
        while parent[area]:
            area = parent[area]
            assert area in parent and area not in seen
            seen.add(area)
    local = areas[areas["area_type"].isin(["probation_area", "local_authority"])]
    assert local["parent_id"].isin(areas.loc[areas["area_type"] == "region", "area_id"]).all()
    assert 3 <= local["family_group"].nunique() <= 4
    assert areas["population"].astype(int).gt(0).all()
    nation = areas.loc[areas["area_type"] == "nation", "population"].astype(int).item()
    assert nation == local["population"].astype(int).sum()


def test_ids_unique_slugs_and_references_valid(tables) -> None:
    for table, column in [("plans", "plan_id"), ("strands", "strand_id"),
                          ("milestones", "milestone_id"), ("inspections", "inspection_id"),
                          ("recommendations", "recommendation_id")]:
        ids = tables[table][column]
        assert ids.is_unique, table
        assert ids.map(lambda v: SLUG.fullmatch(v) is not None).all(), table
    area_ids = set(tables["areas"]["area_id"])
    for table in ("plans", "inspections", "indicators", "reoffending"):
        assert tables[table]["area_id"].isin(area_ids).all(), table
    assert tables["strands"]["plan_id"].isin(tables["plans"]["plan_id"]).all()
    strand_ids = tables["strands"]["strand_id"]
    assert tables["milestones"]["strand_id"].isin(strand_ids).all()
    assert tables["progress"]["strand_id"].isin(strand_ids).all()
    assert tables["inspection_scores"]["inspection_id"].isin(
        tables["inspections"]["inspection_id"]).all()
    assert not tables["progress"].duplicated(["strand_id", "reported_on"]).any()
    assert not tables["indicators"].duplicated(["area_id", "period", "indicator"]).any()
    assert not tables["inspection_scores"].duplicated(["inspection_id", "criterion"]).any()


def test_dates_are_iso_except_milestone_due(tables) -> None:
    for table, column in [("plans", "starts"), ("plans", "ends"), ("progress", "reported_on"),
                          ("inspections", "published")]:
        assert tables[table][column].str.fullmatch(ISO.pattern).all(), (table, column)
    completed = tables["milestones"]["completed_on"]
    assert completed[completed != ""].str.fullmatch(ISO.pattern).all()
    plans = tables["plans"]
    assert (plans["ends"] >= plans["starts"]).all()


def test_strands_cover_every_pathway_with_aliases(tables) -> None:
    strands = tables["strands"]
    resolved = strands["pathway"].map(resolve_pathways)
    assert resolved.map(lambda r: bool(r[0]) and not r[1]).all()
    main = set(resolved.map(lambda r: r[0][0]))
    assert main == set(SEVEN_PATHWAYS) | set(CROSS_CUTTING)
    spellings = set(strands["pathway"].str.split(";").explode().str.strip())
    assert spellings - set(SEVEN_PATHWAYS) - set(CROSS_CUTTING), "only codes are used"
    assert strands["pathway"].str.contains(";").any()
    assert strands["title"].ne("").all()
    leads = strands["lead"]
    assert leads.ne("").mean() > 0.8
    assert leads[leads != ""].str.fullmatch(r"Synthetic Lead \d+").all()


def test_milestones_mix_due_spellings_statuses_and_targets(tables) -> None:
    milestones = tables["milestones"]
    due = milestones["due"]
    iso = due.str.fullmatch(ISO.pattern)
    parsed = due.map(lambda v: parse_due(v).on)
    assert iso.mean() > 0.4
    assert parsed[~iso].notna().sum() > 0.2 * len(due)
    undated = parsed.isna().mean()
    assert 0 < undated < 0.15
    assert due.str.fullmatch(r"\d{2}/\d{2}/\d{4}").any()
    assert due.str.fullmatch(r"[A-Z][a-z]+ \d{4}").any()
    assert due.str.fullmatch(r"Q[1-4] \d{4}/\d{2}").any()
    assert due.str.fullmatch(r"By [A-Z][a-z]+ \d{4}").any()
    statuses = set(milestones["status"]) - {""}
    assert statuses <= {"not_started", "in_progress", "complete", "missed", "dropped"}
    assert {"complete", "missed", "in_progress", "not_started"} <= statuses
    assert (milestones["completed_on"] != "").eq(milestones["status"] == "complete").all()
    quantitative = milestones[milestones["target"] != ""]
    assert len(quantitative) > 0
    assert pd.to_numeric(quantitative["target"]).gt(0).all()
    actual = quantitative.loc[quantitative["actual"] != "", "actual"]
    assert pd.to_numeric(actual).ge(0).all()
    assert set(tables["progress"]["rag"]) <= {"red", "amber", "green"}


def test_inspections_score_every_criterion(tables) -> None:
    framework = load_framework("esi-2003")
    criteria = framework.criteria.set_index("criterion")["scoring"]
    inspections = tables["inspections"]
    assert set(inspections["framework"]) == {"esi-2003"}
    assert set(inspections["kind"]) <= {"full", "follow-up"}
    scores = tables["inspection_scores"]
    for inspection_id, group in scores.groupby("inspection_id"):
        assert set(criteria.index) <= set(group["criterion"]), inspection_id
        assert set(group["criterion"]) <= set(criteria.index) | {"B", "C", "D", "overall"}
    ratings = {r.lower() for r in RATING_SCALE}
    rated = scores["criterion"].map(criteria) == "rated"
    assert scores.loc[rated, "value"].str.lower().isin(ratings).all()
    numbers = pd.to_numeric(scores.loc[~rated, "value"])
    assert numbers.between(0, 100).all()
    published = inspections.set_index("inspection_id")["published"]
    follow = inspections[inspections["kind"] == "follow-up"]
    for row in follow.itertuples():
        assert row.published > published[f"{row.area_id}-esi-2003"]


def test_recommendations(tables) -> None:
    recs, inspections = tables["recommendations"], tables["inspections"]
    assert recs["inspection_id"].isin(inspections["inspection_id"]).all()
    assert set(recs["inspection_id"]) == set(inspections["inspection_id"])
    for inspection_id, group in recs.groupby("inspection_id", sort=False):
        n = len(group)
        assert 4 <= n <= 12, inspection_id
        assert group["number"].tolist() == [str(k) for k in range(1, n + 1)]
        assert group["recommendation_id"].tolist() == [
            f"{inspection_id}-r{k:02d}" for k in range(1, n + 1)]
        assert group["text"].is_unique, inspection_id
    assert recs["text"].str.strip().ne("").all()
    assert recs["text"].nunique() >= 8
    addressed = recs["addressed_by"]
    assert 0.4 <= addressed.ne("").mean() <= 0.8
    lists = addressed[addressed != ""].str.split(";")
    assert lists.map(len).between(1, 3).all()
    assert lists.map(lambda ids: len(set(ids)) == len(ids)).all()
    assert _foreign_strands(recs, inspections, tables["strands"], tables["plans"]) == []
    published = recs["inspection_id"].map(inspections.set_index("inspection_id")["published"])
    due = recs["due"]
    dated = due != ""
    assert 0 < dated.mean() < 0.35
    assert due[dated].str.fullmatch(ISO.pattern).all()
    gap = pd.to_datetime(due[dated]) - pd.to_datetime(published[dated])
    assert gap.ge(pd.Timedelta(days=181)).all() and gap.le(pd.Timedelta(days=549)).all()
    statuses = recs["status"]
    assert set(statuses) <= {"", "open", "implemented", "superseded"}
    assert statuses.isin(["", "open"]).mean() > 0.7
    assert {"open", "implemented"} <= set(statuses)


def test_indicators(tables) -> None:
    indicators = tables["indicators"]
    assert set(indicators["unit"]) <= {"percent", "count", "days", "ratio", "rate"}
    assert set(indicators["better"]) <= {"higher", "lower"}
    assert indicators["period"].str.fullmatch(r"\d{4}/\d{2}").all()
    values = pd.to_numeric(indicators["value"])
    assert values.ge(0).all()
    percent = indicators["unit"] == "percent"
    assert values[percent].le(100).all()
    assert pd.to_numeric(indicators.loc[indicators["target"] != "", "target"]).gt(0).all()
    assert (indicators["comparator"] != "").any()


def test_reoffending_counts_and_rates(tables) -> None:
    r = tables["reoffending"]
    assert set(r["measure"]) == {"adult-proven-1yr"}
    n, k = r["offenders"].astype(int), r["reoffenders"].astype(int)
    offences, serious = r["reoffences"].astype(int), r["serious_reoffences"].astype(int)
    rate, predicted = r["rate"].astype(float), r["predicted_rate"].astype(float)
    assert (n > 0).all() and (k >= 0).all() and (k <= n).all()
    assert (offences >= k).all() and (serious >= 0).all() and (serious <= offences).all()
    assert ((100 * k / n).round(1) - rate).abs().le(0.05 + 1e-9).all()
    assert rate.between(0, 100).all() and predicted.between(0, 100).all()
    assert rate.between(20, 65).all()
    assert (rate - predicted).abs().le(5).all()
    frequency = offences.sum() / k.sum()
    assert 2.5 <= frequency <= 4
    assert serious.sum() < 0.1 * offences.sum()
    assert abs(n.mean() - PER_QUARTER) < 0.25 * PER_QUARTER


def test_record_level_aggregates_to_reoffending(generated, tables) -> None:
    out, _ = generated
    records = pd.read_parquet(out / "offenders.parquet")
    assert {"area_id", "cohort", "measure", "reoffended", "reoffences", "predicted", "serious",
            "gender", "age_band"} <= set(records.columns)
    assert records["reoffended"].isin([0, 1]).all() and records["serious"].isin([0, 1]).all()
    assert (records["reoffences"] >= 0).all()
    assert ((records["reoffences"] > 0) == (records["reoffended"] == 1)).all()
    assert records["predicted"].between(0, 1).all()
    assert (records["serious"] <= records["reoffended"]).all()
    totals = records.groupby(["area_id", "cohort", "measure"]).agg(
        offenders=("reoffended", "size"), reoffenders=("reoffended", "sum"),
        reoffences=("reoffences", "sum"), serious_reoffences=("serious", "sum"),
        predicted=("predicted", "mean"))
    expected = tables["reoffending"].set_index(["area_id", "cohort", "measure"])
    expected = expected.loc[totals.index]
    assert len(totals) == len(tables["reoffending"])
    for column in ("offenders", "reoffenders", "reoffences", "serious_reoffences"):
        assert (totals[column].astype(int) == expected[column].astype(int)).all(), column
    gap = (100 * totals["predicted"] - expected["predicted_rate"].astype(float)).abs()
    assert gap.max() < 1e-6


def test_loader_reports_no_errors(generated) -> None:
    out, _ = generated
    dataset = load_dataset(out)
    assert dataset.errors == []
    # Strands without a lead and undated milestones are flagged on purpose, as plans have them.
    assert {p.rule for p in dataset.warnings} <= {"no-lead", "undated"}
    assert dataset.records is not None
    recs = dataset.tables["recommendations"]
    assert len(recs) > 0 and dataset.rows_read["recommendations"] == len(recs)
    assert recs["addressed_by"].notna().any()
    foreign = _foreign_strands(recs, dataset.tables["inspections"], dataset.tables["strands"],
                               dataset.tables["plans"])
    assert foreign == []
    published = recs["inspection_id"].map(
        dataset.tables["inspections"].set_index("inspection_id")["published"])
    dated = recs["due"].notna()
    assert dated.any() and (recs.loc[dated, "due"] >= published[dated]).all()


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        synthesise(tmp_path, areas=0, quarters=4)
    with pytest.raises(ValueError):
        synthesise(tmp_path, areas=2, quarters=4, first_quarter="2019Q1")


def test_fifty_areas_twelve_quarters_validate_clean(tmp_path: Path) -> None:
    counts = synthesise(tmp_path, areas=50, quarters=12)
    assert counts["reoffending"] == 600 and counts["plans"] == 50
    dataset = load_dataset(tmp_path)
    assert dataset.errors == []
    inspections = dataset.tables["inspections"]
    assert 4 * len(inspections) <= counts["recommendations"] <= 12 * len(inspections)
    # Recommendations of older inspections are more often implemented or superseded.
    recs = dataset.tables["recommendations"]
    published = recs["inspection_id"].map(inspections.set_index("inspection_id")["published"])
    closed = recs["status"].isin(["implemented", "superseded"])
    older = published < published.median()
    assert closed[older].mean() > closed[~older].mean()
    assert 0.05 < closed.mean() < 0.3


def test_cohorts_after_today_are_refused_before_anything_is_written(tmp_path: Path,
                                                                     monkeypatch) -> None:
    from datetime import date

    from analysis import contract

    monkeypatch.setattr(contract, "today", lambda: date(2020, 8, 15))
    # 2019-Q1 to 2020-Q3 is seven quarters; 2020-Q3 starts on 1 July, before 15 August.
    synthesise(tmp_path / "seven", areas=2, quarters=7)
    dataset = load_dataset(tmp_path / "seven")
    assert dataset.errors == []
    assert dataset.table("reoffending")["cohort"].max() == "2020-Q3"
    # An eighth, 2020-Q4, would start on 1 October: after today.
    with pytest.raises(ValueError, match=r"2020-Q4.*after today \(2020-08-15\).*at most 7 quarters"):
        synthesise(tmp_path / "eight", areas=2, quarters=8)
    assert not (tmp_path / "eight").exists()
    with pytest.raises(ValueError, match="first quarter no later than 2020-Q3"):
        synthesise(tmp_path / "late", areas=2, quarters=1, first_quarter="2021-Q1")
