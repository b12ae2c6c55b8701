"""Inspection scores: criterion, section and overall scores as the inspectorate computed them."""

from __future__ import annotations

import math

import pandas as pd

from .frameworks import RATING_SCALE, load_framework
from .sources import SOURCE_COLUMNS, sources_by


def round_half_up(value: float) -> int:
    """Round .5 upwards, as published percentages are (Python's round() rounds to even)."""
    return math.floor(value + 0.5)


def criterion_scores(scores: pd.DataFrame, inspections: pd.DataFrame) -> pd.DataFrame:
    """Every criterion of each inspection's framework with its score or rating.

    Rated criteria keep their ordinal scale (rating_rank 1 = Very well met ... 6 = Poor, the
    inspectorate's six-point scale); scored criteria carry the percentage. A criterion the sheet
    does not give appears with no value, so gaps stay visible.
    """
    frames = []
    for _, insp in inspections.iterrows():
        framework = load_framework(insp["framework"])
        if framework.scheme != "scored":
            continue  # standards rated since 2018 are analysis.ratings'
        given = scores[scores["inspection_id"] == insp["inspection_id"]]
        crit = framework.criteria.drop(columns=["parent", "counts", "since", "short"]).merge(
            given[["criterion", "value", "score", "rating"]], on="criterion", how="left")
        crit.insert(0, "inspection_id", insp["inspection_id"])
        crit.insert(1, "area_id", insp["area_id"])
        crit.insert(2, "framework", insp["framework"])
        frames.append(crit)
    if not frames:
        return pd.DataFrame(columns=["inspection_id", "area_id", "framework", "criterion",
                                     "section", "section_title", "title", "scoring", "importance",
                                     "weight", "score", "rating", "rating_rank",
                                     *SOURCE_COLUMNS])
    out = pd.concat(frames, ignore_index=True)
    out.loc[out["scoring"] == "rated", "score"] = float("nan")
    out.loc[out["scoring"] == "scored", "rating"] = None
    out["rating_rank"] = out["rating"].map({r: i + 1 for i, r in enumerate(RATING_SCALE)})
    out["rating_rank"] = out["rating_rank"].astype("Int64")
    # Each criterion cites the document of its inspection.
    return sources_by(out.drop(columns=["value"]), inspections, "inspection_id")


def section_scores(scores: pd.DataFrame, inspections: pd.DataFrame) -> pd.DataFrame:
    """Section and overall scores computed from criterion scores, beside the printed ones.

    Section score = Σ wᵢ·sᵢ / Σ wᵢ over the section's scored criteria, a critical criterion
    weighing 2 and an important one 1; overall = Σ section weight × section score (ESI 2003-06:
    30% assessment B, 40% interventions C, 30% initial outcomes D; rated criteria such as D3
    excluded). Source: HMI Probation, Effective Supervision Inspection reports, "Scoring
    approach" (e.g. Gloucestershire 2005: B 61, C 72, D 70, overall 68). Sections are combined
    unrounded; `score` is given to one decimal and `agrees` compares our whole-number rounding
    with the printed score.
    """
    crit = criterion_scores(scores, inspections)
    records = []
    for (inspection_id, area_id, framework_id), group in crit.groupby(
            ["inspection_id", "area_id", "framework"], sort=False):
        if group["score"].isna().all() and group["rating"].isna().all():
            continue  # an inspection given without its scoring sheet has no section scores
        framework = load_framework(framework_id)
        printed = scores[scores["inspection_id"] == inspection_id].set_index("criterion")["score"]
        exact: dict[str, float] = {}
        for _, section in framework.sections.iterrows():
            scored = group[(group["section"] == section["section"]) & (group["scoring"] == "scored")]
            if scored.empty:
                continue
            have = scored[scored["score"].notna()]
            value = ((have["score"] * have["weight"]).sum() / have["weight"].sum()
                     if not have.empty else float("nan"))
            exact[section["section"]] = value
            records.append(_row(inspection_id, area_id, framework_id, section["section"],
                                section["title"], value, printed, len(have), len(scored)))
        weights = framework.sections.dropna(subset=["overall_weight"])
        if not weights.empty:
            parts = [(w, exact.get(s, float("nan")))
                     for s, w in zip(weights["section"], weights["overall_weight"], strict=True)]
            value = (sum(w * v for w, v in parts) / sum(w for w, _ in parts)
                     if all(not math.isnan(v) for _, v in parts) else float("nan"))
            n_have = int(group.loc[group["scoring"] == "scored", "score"].notna().sum())
            n_all = int((group["scoring"] == "scored").sum())
            records.append(_row(inspection_id, area_id, framework_id, "overall",
                                "Overall score (weighted sections)", value, printed, n_have,
                                n_all))
    return sources_by(pd.DataFrame(records, columns=[
        "inspection_id", "area_id", "framework", "section", "title", "score", "score_exact",
        "published", "agrees", "criteria_scored", "criteria_expected", "complete"]),
        inspections, "inspection_id")


def _row(inspection_id, area_id, framework_id, section, title, value, printed, n_have, n_all):
    published = printed.get(section, float("nan"))
    ours = None if math.isnan(value) else round_half_up(value)
    return {
        "inspection_id": inspection_id, "area_id": area_id, "framework": framework_id,
        "section": section, "title": title,
        "score": round(value, 1) if not math.isnan(value) else float("nan"),
        "score_exact": value, "published": published,
        "agrees": (pd.NA if math.isnan(published) or ours is None
                   else bool(ours == round_half_up(published))),
        "criteria_scored": n_have, "criteria_expected": n_all, "complete": n_have == n_all,
    }


def family_comparison(sections: pd.DataFrame, inspections: pd.DataFrame,
                      areas: pd.DataFrame) -> pd.DataFrame:
    """Each area's latest full inspection per framework beside its family group and all areas.

    family_mean and all_mean are unweighted means of the areas' section scores (the
    inspectorate compared areas "of similar characteristics (size and population density)");
    rank_in_family 1 = highest score.
    """
    meta = inspections[["inspection_id", "published", "kind"]].rename(
        columns={"published": "published_on"})
    s = sections.merge(meta, on="inspection_id").merge(
        areas[["area_id", "family_group"]], on="area_id", how="left")
    s = s[s["kind"] == "full"].sort_values("published_on")
    latest = s.groupby(["area_id", "framework", "section"], as_index=False).last()
    latest["family_mean"] = latest.groupby(["framework", "section", "family_group"])[
        "score"].transform("mean")
    # An area with no family group has no family: its size is blank, not a float NaN.
    latest["family_size"] = latest.groupby(["framework", "section", "family_group"])[
        "score"].transform("count").astype("Int64")
    latest["all_mean"] = latest.groupby(["framework", "section"])["score"].transform("mean")
    latest["all_size"] = latest.groupby(["framework", "section"])["score"].transform("count")
    latest["rank_in_family"] = latest.groupby(["framework", "section", "family_group"])[
        "score"].rank(ascending=False, method="min").astype("Int64")
    latest["vs_family"] = (latest["score"] - latest["family_mean"]).round(1)
    columns = ["area_id", "family_group", "inspection_id", "framework", "section", "score",
               "family_mean", "family_size", "rank_in_family", "vs_family", "all_mean", "all_size"]
    # Each area's scores cite the document of its own latest inspection.
    return sources_by(latest[columns].reset_index(drop=True), inspections, "inspection_id")


def inspection_change(sections: pd.DataFrame, inspections: pd.DataFrame) -> pd.DataFrame:
    """Change in each section score between an area's consecutive inspections of one framework
    (a full inspection, then its follow-up): change = later score - earlier score, in points."""
    meta = inspections[["inspection_id", "published", "kind"]].rename(
        columns={"published": "published_on"})
    s = sections.merge(meta, on="inspection_id").sort_values("published_on")
    s["previous_inspection"] = s.groupby(["area_id", "framework", "section"])[
        "inspection_id"].shift()
    s["previous_score"] = s.groupby(["area_id", "framework", "section"])["score"].shift()
    s = s[s["previous_inspection"].notna()].copy()
    s["change"] = (s["score"] - s["previous_score"]).round(1)
    return s[["area_id", "framework", "section", "previous_inspection", "previous_score",
              "inspection_id", "kind", "score", "change"]].reset_index(drop=True)
