"""The last check before anything is published: try to recover a small count from the published tables."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .relations import holding, relations
from .rules import COUNTS, check_threshold, numbers, small

__all__ = ["DisclosureError", "audit"]

_KEY = ["area_id", "measure", "cohort"]
# Count columns of each published reoffending table (people, or offences that bound people).
_COUNT_COLUMNS = {
    "reoffending_rates": COUNTS,
    "reoffending_trend": ("offenders", "reoffenders"),
    "funnel": ("offenders", "reoffenders"),
    "benchmark": ("offenders", "reoffenders"),
    "ni18_targets": ("offenders",),
    "ni30_progress": ("offenders", "baseline_reoffences", "latest_reoffences"),
}


class DisclosureError(AssertionError):
    """A table about to be published would give a withheld or small count away (a bug, not bad data)."""


def audit(cohorts: pd.DataFrame, areas: pd.DataFrame | None, tables: dict[str, pd.DataFrame], *,
          threshold: int) -> list[str]:
    """Every way found to read a count of 1 to threshold - 1 off the published tables.

    An attacker's checks, made on the tables exactly as published, against the true cohorts:
    a published count of 1 to threshold - 1 in any count column; a published non-reoffender
    count (offenders - reoffenders) that small; a withheld reoffender count beside a published
    rate and cohort size (rate x offenders), or beside Wilson limits in the benchmark table; a
    withheld cohort size beside a published expected count (expected / predicted rate); and,
    for every sum that really holds in the true data
    (a parent area and its areas, a year and its quarters), a lone withheld member or withheld
    parts of a published total that come to 1 to threshold - 1. Empty when nothing leaks.
    """
    threshold = check_threshold(threshold)
    found: list[str] = []
    for name, columns in _COUNT_COLUMNS.items():
        table = tables.get(name)
        if table is None or table.empty:
            continue
        for column in columns:
            if column in table:
                for i in np.flatnonzero(small(table[column], threshold)):
                    found.append(f"{name} row {i}: {column} {table[column].iloc[i]} is published")
    rates = tables.get("reoffending_rates")
    if rates is not None and not rates.empty:
        found += _products(rates, threshold)
        found += _sums(cohorts, areas, rates, threshold)
    bench = tables.get("benchmark")
    if bench is not None and not bench.empty:
        # Wilson limits and a cohort size give the rate, and so the count, back.
        withheld = np.isnan(numbers(bench, "reoffenders")) & np.isfinite(numbers(bench, "offenders"))
        for column in ("lower_inner", "upper_inner", "lower_outer", "upper_outer"):
            for i in np.flatnonzero(withheld & np.isfinite(numbers(bench, column))):
                found.append(f"benchmark row {i}: {column} published beside the cohort size of a "
                             "withheld reoffender count")
    ni18 = tables.get("ni18_targets")
    if ni18 is not None and not ni18.empty:
        withheld = ni18["offenders"].isna().to_numpy()
        # Any target, agreed or the workbook's, gives the cohort size back (count / rate).
        for column in ("expected_reoffenders", "target_reoffenders", "computed_target_reoffenders"):
            if column in ni18:
                for i in np.flatnonzero(withheld & ni18[column].notna().to_numpy()):
                    found.append(f"ni18_targets row {i}: {column.replace('_', ' ')} published "
                                 "beside a withheld cohort")
    return found


def _values(frame: pd.DataFrame, count: str) -> np.ndarray:
    if count == "non_reoffenders":
        return numbers(frame, "offenders") - numbers(frame, "reoffenders")
    return numbers(frame, count)


def _products(rates: pd.DataFrame, threshold: int) -> list[str]:
    n, r = numbers(rates, "offenders"), numbers(rates, "reoffenders")
    found = [f"reoffending_rates row {i}: offenders - reoffenders = {n[i] - r[i]:g} is published"
             for i in np.flatnonzero(small(n - r, threshold))]
    withheld = np.isnan(r) & np.isfinite(n)
    for column in ("rate", "published_rate", "ci_low", "ci_high", "difference"):
        for i in np.flatnonzero(withheld & np.isfinite(numbers(rates, column))):
            found.append(f"reoffending_rates row {i}: {column} published beside the cohort size of a "
                         "withheld reoffender count")
    for i in np.flatnonzero(np.isnan(n) & np.isfinite(numbers(rates, "expected_reoffenders"))):
        found.append(f"reoffending_rates row {i}: expected reoffenders published beside a withheld "
                     "cohort size")
    return found


def _sums(cohorts: pd.DataFrame, areas: pd.DataFrame | None, rates: pd.DataFrame,
          threshold: int) -> list[str]:
    truth = cohorts.reset_index(drop=True)
    keys = truth[_KEY].astype(str)
    row = keys.merge(rates[_KEY].astype(str).assign(_row=np.arange(len(rates))), on=_KEY,
                     how="left")["_row"].to_numpy(dtype="float64")
    found = [r for r in relations(truth, areas)
             if np.isfinite(row[[r.total, *r.parts]]).all()]  # every member is published
    if not found:
        return []
    members = [[r.total, *r.parts] for r in found]
    flat = np.concatenate(members)
    starts = np.cumsum([0] + [len(m) for m in members[:-1]])

    def where(m: int) -> str:
        return f"{keys.iat[m, 0]} {keys.iat[m, 2]}"

    leaks = []
    for count in (*COUNTS, "non_reoffenders"):
        shown = np.full(len(truth), np.nan)
        present = np.isfinite(row)
        shown[present] = _values(rates, count)[row[present].astype(int)]
        holds = holding(found, _values(truth, count))
        hidden = np.isnan(shown[flat])
        withheld = np.add.reduceat(hidden.astype(int), starts)
        visible_parts = np.add.reduceat(np.nan_to_num(shown[flat]), starts) - np.nan_to_num(
            shown[[r.total for r in found]])
        for k in np.flatnonzero(holds & (withheld >= 1)):
            relation, total_hidden = found[k], bool(np.isnan(shown[found[k].total]))
            label = f"the sum {where(relation.total)} = " + " + ".join(where(p) for p in relation.parts)
            if withheld[k] == 1:
                lone = members[k][int(np.flatnonzero(np.isnan(shown[members[k]]))[0])]
                leaks.append(f"{count} of {where(lone)} follows from {label}")
            elif not total_hidden:
                residual = shown[relation.total] - visible_parts[k]
                if 0 < residual < threshold - 0.5:
                    leaks.append(f"withheld {count} in {label} come to {residual:g}")
    return leaks
