"""An area against others in its report: the benchmark area's rates, and the areas of its groups."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
from great_tables import GT

from .benchmark import comparison_phrase, comparison_sentence
from .groupings import group_peers
from .labels import cell_text, cohort_printed
from .periods import cohort_sort_key
from .reoffending_tables import benchmark_table, group_table
from .sources import source_line

__all__ = ["benchmark_clause", "benchmark_tables", "group_tables"]


def benchmark_clause(benchmark: pd.DataFrame | None, latest: pd.Series,
                     names: Mapping[str, str]) -> tuple[str, str, str] | None:
    """(benchmark area_id, "worse than England and Wales (25.5%) at 95%, similar at 99.8%",
    "worse than England and Wales") for the latest rate's row of Results.benchmark, with the
    cohort before it where that compared otherwise; None where it is not compared."""
    if benchmark is None or benchmark.empty:
        return None
    series = benchmark[(benchmark["area_id"] == latest["area_id"])
                       & (benchmark["measure"] == latest["measure"])]
    row = series[series["cohort"] == latest["cohort"]]
    if row.empty or pd.isna(row["benchmark_rate"].iloc[0]):
        return None
    row = row.iloc[0]
    other = cell_text(row["benchmark_area_id"])
    name = names.get(other, other)
    said = comparison_sentence(row["comparison"], row["comparison_outer"], name,
                               (row["level_inner"], row["level_outer"]), row["benchmark_rate"])
    if not said:  # not compared (a rate printed without counts): the area above's rate is said
        return None
    # A change since the cohort before is part of the news: "similar now; worse before".
    start = cohort_sort_key(row["cohort"])
    before = series[series["comparison"].notna() & (series["cohort"].map(cohort_sort_key) < start)]
    if not before.empty:
        prior = before.loc[max(before.index, key=lambda i: cohort_sort_key(before.at[i, "cohort"]))]
        if prior["comparison"] != row["comparison"]:
            said += f"; the {cohort_printed(prior)} cohort was {prior['comparison']} at 95%"
    return other, said, comparison_phrase(row["comparison"], name)


def benchmark_tables(mine: pd.DataFrame, rates: pd.DataFrame, names: Mapping[str, str], *,
                     threshold: int) -> GT | None:
    """An area's rates against the benchmark area's (its rows of Results.benchmark), citing both
    areas' sources; None when nothing is compared (the rates table shows what there is)."""
    if mine.empty or mine["comparison"].isna().all():
        return None
    other = str(mine["benchmark_area_id"].iloc[0])
    theirs = rates[(rates["area_id"] == other) & rates["measure"].isin(mine["measure"])
                   & rates["cohort"].isin(mine["cohort"])]
    return benchmark_table(mine, names.get(other, other), threshold=threshold,
                           source=source_line(pd.concat([mine, theirs], ignore_index=True)))


def group_tables(groupings: pd.DataFrame, areas: pd.DataFrame, rates: pd.DataFrame,
                 benchmark: pd.DataFrame, area_id: str, names: Mapping[str, str], *,
                 threshold: int) -> list[GT]:
    """The area beside the other areas of each group it is in (a police force area), at its latest
    cohort that another member also has (groupings.group_peers): an area alone in its group, or
    alone with a figure for a cohort, is compared with nobody."""
    mine = rates[(rates["area_id"] == area_id) & rates["rate"].notna()]
    if mine.empty or groupings.empty:
        return []
    shown: set[tuple[str, str]] = set()
    found = []
    for i in sorted(mine.index, key=lambda i: cohort_sort_key(mine.at[i, "cohort"]), reverse=True):
        peers = group_peers(groupings, areas, rates, benchmark, area_id, mine.at[i, "measure"],
                            mine.at[i, "cohort"])
        for key, group in peers.groupby(["grouping", "group"], sort=False):
            if len(group) > 1 and key not in shown:
                shown.add(key)
                found.append(group_table(group, dict(names), threshold=threshold))
    return found
