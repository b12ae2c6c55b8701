"""Inspection ratings since 2018: standards rated Outstanding to Inadequate, totals and bands."""

from __future__ import annotations

import pandas as pd

from .frameworks import STANDARD_SCALE, load_framework
from .sources import sources_by

__all__ = ["GOOD_OR_BETTER", "overall_ratings", "rating_change", "rating_comparison",
           "standard_ratings"]

#: Ratings a board reads as on track; Requires improvement and Inadequate are off track.
GOOD_OR_BETTER = frozenset(STANDARD_SCALE[:2])

_STANDARD_COLUMNS = ["inspection_id", "area_id", "framework", "criterion", "section",
                     "section_title", "title", "short", "scoring", "parent", "counts", "applies",
                     "rating", "rating_rank", "points", "percent_sufficient"]
_OVERALL_COLUMNS = ["inspection_id", "area_id", "framework", "published", "kind",
                    "standards_rated", "standards_counted", "total", "max_total", "band",
                    "band_low", "band_high", "band_status", "band_note", "printed_total",
                    "printed_rating", "rating", "rating_basis", "agrees", "total_agrees"]


def _rated(inspections: pd.DataFrame) -> pd.DataFrame:
    known = inspections["framework"].map(lambda f: load_framework(f).scheme == "rated")
    return inspections[known.astype(bool)] if len(inspections) else inspections


def standard_ratings(scores: pd.DataFrame, inspections: pd.DataFrame) -> pd.DataFrame:
    """Every standard and key question of each inspection under a rated framework, with the
    rating (standards) or the percentage of cases inspected found sufficient (key questions).

    rating_rank: 1 = Outstanding ... 4 = Inadequate; points are the framework's for the rating
    (youth justice: Outstanding 3, Good 2, Requires improvement 1, Inadequate 0; HMI Probation,
    youth justice inspection ratings); counts: whether the standard adds to the total (the
    resettlement standard does not); applies: whether the framework had the code when the
    inspection was published (resettlement from 2021). A code the inspection does not give stays,
    blank.
    """
    # One merge per framework, not one per inspection (make bench, 4. analysis: 1,000
    # inspections 0.16 s, against 2.0 s one by one).
    frames = []
    rated = _rated(inspections)
    given = scores[["inspection_id", "criterion", "rating", "score"]].drop_duplicates(
        ["inspection_id", "criterion"])
    for framework_id, insp in rated.groupby("framework", sort=False):
        framework = load_framework(framework_id)
        criteria = framework.criteria[["criterion", "section", "section_title", "title", "short",
                                       "scoring", "parent", "counts"]]
        rows = insp[["inspection_id", "area_id", "framework", "published"]].merge(
            criteria, how="cross").merge(given, on=["inspection_id", "criterion"], how="left")
        rows["counts"] = rows["counts"] == "yes"
        since = rows["criterion"].map(framework.since).astype("Float64")
        year = pd.to_datetime(rows["published"]).dt.year.astype("Float64")
        rows["applies"] = (since.isna() | year.isna() | (year >= since)).astype(bool)
        rows.loc[rows["scoring"] != "rated", "rating"] = None
        rank = dict(zip(framework.ratings["rating"], framework.ratings["rank"], strict=True))
        rows["rating_rank"] = rows["rating"].map(rank).astype("Int64")
        rows["points"] = rows["rating"].map(framework.points).astype("Int64")
        rows["percent_sufficient"] = rows["score"].where(rows["scoring"] == "scored")
        frames.append(rows[_STANDARD_COLUMNS])
    out = (pd.concat(frames, ignore_index=True) if frames
           else pd.DataFrame(columns=_STANDARD_COLUMNS))
    out["percent_sufficient"] = out["percent_sufficient"].astype("float64")
    return sources_by(out, inspections, "inspection_id")


def overall_ratings(scores: pd.DataFrame, inspections: pd.DataFrame,
                    standards: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per inspection under a rated framework: its overall rating and where it comes from.

    Where the framework sums points (youth justice), total = Σ points of the counted standards,
    known only when every counted standard is rated, and band = the framework file's band for
    the total; band_status is 'provisional' where the total lies between the highest published
    total of one band and the lowest of the next (band_note says which), 'verified' else. The
    printed overall rating (and total), carried as data, is the rating shown; the band is the
    check beside it (agrees) and stands in only where nothing is printed. A framework without a
    verified rule (probation delivery units) has no total: its overall rating is the printed one
    or none.
    """
    standards = standard_ratings(scores, inspections) if standards is None else standards
    counted = standards[standards["counts"].astype(bool)]  # an empty object column selects columns
    tally = counted.groupby("inspection_id").agg(
        counted=("criterion", "size"), rated=("points", "count"),
        total=("points", lambda p: int(p.sum()))).to_dict("index")
    first = scores.drop_duplicates(["inspection_id", "criterion"])
    printed_ratings = first[first["criterion"] == "overall"].set_index("inspection_id")["rating"].to_dict()
    printed_totals = first[first["criterion"] == "total"].set_index("inspection_id")["score"].to_dict()
    records = []
    for insp in _rated(inspections).to_dict("records"):
        framework = load_framework(insp["framework"])
        mine = tally.get(insp["inspection_id"], {"counted": 0, "rated": 0, "total": 0})
        printed_rating = printed_ratings.get(insp["inspection_id"])
        printed_total = printed_totals.get(insp["inspection_id"])
        total = (mine["total"] if framework.bands and mine["counted"]
                 and mine["rated"] == mine["counted"] else None)
        band = framework.band_of(total) if total is not None else None
        provisional = framework.provisional(total) if total is not None else None
        shown = printed_rating if isinstance(printed_rating, str) else (band.rating if band else None)
        basis = ("printed" if isinstance(printed_rating, str)
                 else "banded from the total" if band else None)
        records.append({
            "inspection_id": insp["inspection_id"], "area_id": insp["area_id"],
            "framework": insp["framework"], "published": insp["published"], "kind": insp["kind"],
            "standards_rated": mine["rated"] if framework.bands else pd.NA,
            "standards_counted": mine["counted"] if framework.bands else pd.NA,
            "total": total, "max_total": framework.max_total,
            "band": band.rating if band else None,
            "band_low": band.low if band else None, "band_high": band.high if band else None,
            "band_status": ("provisional" if provisional else "verified") if band else None,
            "band_note": provisional,
            "printed_total": printed_total if printed_total is not None and not pd.isna(printed_total)
            else None,
            "printed_rating": printed_rating if isinstance(printed_rating, str) else None,
            "rating": shown, "rating_basis": basis,
            "agrees": (bool(band.rating == printed_rating) if band and isinstance(printed_rating, str)
                       else pd.NA),
            "total_agrees": (bool(total == printed_total) if total is not None
                             and printed_total is not None and not pd.isna(printed_total) else pd.NA),
        })
    # Oldest first, a same-day pair by identifier: "latest" and "previous" never follow file order.
    out = _confirmed_in_data(pd.DataFrame(records, columns=_OVERALL_COLUMNS)).sort_values(
        ["published", "inspection_id"], kind="stable").reset_index(drop=True)
    for column in ("standards_rated", "standards_counted", "total", "max_total", "band_low",
                   "band_high", "printed_total"):
        out[column] = pd.array(out[column].tolist(), dtype="Int64")
    out["agrees"] = out["agrees"].astype("boolean")
    out["total_agrees"] = out["total_agrees"].astype("boolean")
    return sources_by(out, inspections, "inspection_id")


def _confirmed_in_data(out: pd.DataFrame) -> pd.DataFrame:
    """A provisional band is confirmed where an inspection in the data prints both the total
    (or has it summed from its standards) and a rating in that band: a published rating at that
    total is what the framework file's evidence lacked (band_note says which)."""
    if out.empty:
        return out
    total = out["printed_total"].where(out["printed_total"].notna(), out["total"])
    confirms = (out["printed_rating"].notna() & total.notna() & out["band"].notna()
                & (out["band"] == out["printed_rating"]))
    seen = {(f, int(t)): i for f, t, i in zip(out.loc[confirms, "framework"], total[confirms],
                                              out.loc[confirms, "inspection_id"], strict=True)}
    for index, row in out[out["band_status"] == "provisional"].iterrows():
        by = seen.get((row["framework"], int(row["total"])))
        if by is not None:
            out.at[index, "band_status"] = "verified"
            out.at[index, "band_note"] = ("its own printed rating confirms it" if by == row["inspection_id"]
                                          else "another inspection in the data prints this total "
                                               "and a rating in this band")
    return out


def _with_overall(standards: pd.DataFrame, overall: pd.DataFrame) -> pd.DataFrame:
    """The standards and key questions, with each inspection's overall rating as code 'overall'."""
    if overall.empty:
        return standards
    rank = {r: i + 1 for i, r in enumerate(STANDARD_SCALE)}
    rows = overall[["inspection_id", "area_id", "framework", "rating"]].assign(
        criterion="overall", section="", section_title="", title="Overall rating", short="",
        scoring="rated",
        parent="", counts=False, applies=True, rating_rank=overall["rating"].map(rank).astype("Int64"),
        points=pd.NA, percent_sufficient=float("nan"))
    return pd.concat([rows[standards.columns.intersection(rows.columns)], standards],
                     ignore_index=True)


def rating_change(standards: pd.DataFrame, overall: pd.DataFrame,
                  inspections: pd.DataFrame) -> pd.DataFrame:
    """Each standard, key question and overall rating beside the same area's previous inspection
    under the same framework (by date published): steps = previous rank - rank on the four-point
    scale (positive = better; Requires improvement to Good is +1); change_points = percentage of
    cases sufficient now - then, in percentage points; on the overall row, total, previous_total
    and change_total are the points where the framework sums them."""
    columns = ["area_id", "framework", "criterion", "title", "previous_inspection",
               "previous_rating", "previous_percent", "previous_total", "inspection_id", "rating",
               "percent_sufficient", "total", "steps", "change", "change_points", "change_total"]
    if standards.empty:
        return pd.DataFrame(columns=columns)
    every = _with_overall(standards, overall).merge(
        inspections[["inspection_id", "published", "kind"]].rename(columns={"published": "published_on"}),
        on="inspection_id")
    # A thematic inspection rates part of the work: it is neither a previous nor a later one.
    every = every[every["kind"] != "thematic"].sort_values(["published_on", "inspection_id"],
                                                            kind="stable")
    by = every.groupby(["area_id", "framework", "criterion"], sort=False)
    every["previous_inspection"] = by["inspection_id"].shift()
    every["previous_rating"] = by["rating"].shift()
    every["previous_rank"] = by["rating_rank"].shift()
    every["previous_percent"] = by["percent_sufficient"].shift()
    later = every[every["previous_inspection"].notna()].copy()
    steps = (later["previous_rank"].astype("Int64") - later["rating_rank"]).astype("Int64")
    later["steps"] = steps
    later["change"] = [("" if pd.isna(s) else "improved" if s > 0 else "declined" if s < 0
                        else "unchanged") for s in steps]
    later["change_points"] = (later["percent_sufficient"] - later["previous_percent"]).round(1)
    # The overall row carries the youth justice totals (16 then 24 points: +8).
    totals = overall.set_index("inspection_id")["total"] if len(overall) else pd.Series(dtype="Int64")
    is_overall = later["criterion"] == "overall"
    later["total"] = later["inspection_id"].map(totals).where(is_overall).astype("Int64")
    later["previous_total"] = later["previous_inspection"].map(totals).where(is_overall).astype("Int64")
    later["change_total"] = (later["total"] - later["previous_total"]).astype("Int64")
    return later[columns].reset_index(drop=True)


def rating_comparison(standards: pd.DataFrame, overall: pd.DataFrame,
                      inspections: pd.DataFrame) -> pd.DataFrame:
    """Each area's latest inspection under each rated framework beside every area's latest under
    the same framework, code by code (overall, standards, key questions).

    areas = areas whose latest inspection gives the code; good_or_better = how many of them are
    rated Outstanding or Good; mean_percent = unweighted mean of their percentages sufficient;
    rank = 1 for the best (rating rank, then total; percentage for key questions), ties sharing
    the lower rank. Thematic inspections are left out, as in the family comparison.
    """
    columns = ["area_id", "inspection_id", "framework", "criterion", "title", "rating",
               "total", "percent_sufficient", "areas", "good_or_better", "mean_percent", "rank"]
    if standards.empty:
        return sources_by(pd.DataFrame(columns=columns), None, "inspection_id")
    meta = inspections[["inspection_id", "published", "kind"]].rename(
        columns={"published": "published_on"})
    every = _with_overall(standards, overall).merge(meta, on="inspection_id")
    every = every[every["kind"] != "thematic"]
    latest_of = (every.sort_values(["published_on", "inspection_id"], kind="stable")
                 .groupby(["area_id", "framework"])["inspection_id"].last())
    latest = every[every["inspection_id"].isin(set(latest_of))].copy()
    latest = latest.merge(overall[["inspection_id", "total"]], on="inspection_id", how="left")
    latest.loc[latest["criterion"] != "overall", "total"] = pd.NA
    given = latest["rating"].notna() | latest["percent_sufficient"].notna()
    latest = latest.assign(given=given, good=latest["rating"].isin(GOOD_OR_BETTER))
    by = latest[latest["given"]].groupby(["framework", "criterion"])
    latest["areas"] = latest.set_index(["framework", "criterion"]).index.map(
        by.size()).fillna(0).astype(int)
    latest["good_or_better"] = pd.array(latest.set_index(["framework", "criterion"]).index.map(
        by["good"].sum()).fillna(0).astype(int), dtype="Int64")
    # A key question has a percentage, not a rating: no count of Good or better.
    latest.loc[latest["scoring"] == "scored", "good_or_better"] = pd.NA
    latest["mean_percent"] = latest.groupby(["framework", "criterion"])[
        "percent_sufficient"].transform("mean")
    # Best first: rating rank ascending, then total descending; a percentage descending.
    order = pd.Series(_best_first(latest), index=latest.index)
    latest["rank"] = order.where(latest["given"]).groupby(
        [latest["framework"], latest["criterion"]]).rank(method="min").astype("Int64")
    # Only the codes each area's inspection gives: a row of nothing compared with nothing says nothing.
    latest = latest[latest["given"]]
    out = latest[columns].sort_values(["framework", "criterion", "rank", "area_id"],
                                      kind="stable").reset_index(drop=True)
    out["total"] = out["total"].astype("Int64")
    return sources_by(out, inspections, "inspection_id")


def _best_first(frame: pd.DataFrame) -> list[float]:
    """A sort key, smaller = better: -percentage for key questions, rank then -total/100 else."""
    keys = []
    for rank, total, percent in zip(frame["rating_rank"], frame["total"],
                                    frame["percent_sufficient"], strict=True):
        if not pd.isna(percent):
            keys.append(-float(percent))
        elif not pd.isna(rank):
            keys.append(float(rank) - (0 if pd.isna(total) else float(total) / 1000))
        else:
            keys.append(float("nan"))
    return keys

