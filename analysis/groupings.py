"""Comparison groups: the other areas of an area's police force area (or any grouping), side by side."""

from __future__ import annotations

import pandas as pd

__all__ = ["group_peers"]

_SOURCES = ["source_publisher", "source_title", "source_date"]
_COLUMNS = ["grouping", "group", "area_id", "measure", "cohort", "cohort_as_printed", "offenders",
            "rate", "benchmark_area_id", "benchmark_rate", "comparison", "suppressed", *_SOURCES, "is_self"]


def group_peers(groupings: pd.DataFrame, areas: pd.DataFrame, rates: pd.DataFrame,
                benchmark: pd.DataFrame, area_id: str, measure: str, cohort: str) -> pd.DataFrame:
    """A new frame: for each group ``area_id`` belongs to (the contract's groupings table), every
    member area of its kind (area_type: councils with councils, partnerships with partnerships)
    with a published rate for ``measure`` and ``cohort``, with its comparison with the
    benchmark area (Results.benchmark), the area itself marked ``is_self``; members without a
    rate for that cohort are left out. Nothing is added up: each figure is an area's own, as
    published (Results.reoffending_rates, disclosure control applied), so a group publishes no
    total for differencing. Empty when the area is in no group.
    """
    if groupings is None or groupings.empty:
        return pd.DataFrame(columns=_COLUMNS)
    mine = groupings.loc[groupings["area_id"] == area_id, ["grouping", "group"]].drop_duplicates()
    if mine.empty:
        return pd.DataFrame(columns=_COLUMNS)
    kind = dict(zip(areas["area_id"], areas["area_type"], strict=True))
    members = groupings.merge(mine, on=["grouping", "group"])[["grouping", "group", "area_id"]]
    members = members[members["area_id"].map(kind) == kind.get(area_id)]
    chosen = rates[(rates["measure"] == measure) & (rates["cohort"] == cohort) & rates["rate"].notna()]
    keep = [c for c in ("area_id", "measure", "cohort", "cohort_as_printed", "offenders", "rate",
                        "suppressed", *_SOURCES) if c in chosen]
    out = members.merge(chosen[keep], on="area_id")
    compared = ["area_id", "measure", "cohort", "benchmark_area_id", "benchmark_rate", "comparison"]
    if not benchmark.empty:
        out = out.merge(benchmark[compared], on=["area_id", "measure", "cohort"], how="left")
    for column in _COLUMNS:
        if column not in out:
            out[column] = pd.NA
    out["is_self"] = out["area_id"] == area_id
    out = out.sort_values(["grouping", "group", "rate", "area_id"], kind="stable")
    return out[_COLUMNS].reset_index(drop=True)
