"""Where one published figure is the sum of others: a parent area and its areas, a year and its quarters."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..periods import parse_period

__all__ = ["Relation", "holding", "relations"]


@dataclass(frozen=True)
class Relation:
    """A cohort row that may be the sum of other rows: its position and its parts' positions.

    ``kind`` is "area" (a parent area's row and the rows of the areas whose parent it is, for
    the same measure and cohort) or "period" (a year, financial year or rolling twelve months
    and the quarterly cohorts inside it, for the same area and measure). Whether the sum really
    holds is a property of each count (`holding`): a parent's figure from another source is not
    a sum of its areas'.
    """

    total: int
    parts: tuple[int, ...]
    kind: str
    # A period whose quarters are not all in the table: each missing quarter as a key
    # ("area|measure|2022-10-01"), so that every period missing a quarter shares that one unknown
    # (cells.protect). Empty when every quarter inside it is there.
    absent: tuple[str, ...] = ()


def relations(cohorts: pd.DataFrame, areas: pd.DataFrame | None) -> list[Relation]:
    """Every candidate sum in a cohort table (positions are 0-based rows of `cohorts`).

    Areas: a row of area P is the candidate total of the rows, for the same measure and cohort,
    of the areas whose parent_id is P. Periods: a cohort YYYY (January to December), YYYY/YY
    (April to March) or YYYY-MM/YYYY-MM (a rolling twelve months, as the MoJ publishes) is the
    candidate total of the same area and measure's quarterly cohorts (YYYY-Qn) that lie inside
    it, with ``absent`` naming each quarter inside it that the table does not hold. Periods that
    overlap share those quarters: differencing two rolling twelve months gives one quarter less
    another, and a chain of them, with the quarters that are published, can give a quarter away.
    """
    if cohorts.empty:
        return []
    area = cohorts["area_id"].astype(str).to_numpy()
    measure = cohorts["measure"].astype(str).to_numpy()
    cohort = cohorts["cohort"].astype(str).str.strip().to_numpy()
    found = _area_relations(area, measure, cohort, areas)
    found += _period_relations(area, measure, cohort)
    return found


def holding(found: list[Relation], values: np.ndarray) -> np.ndarray:
    """For one count, whether each relation's total equals the sum of its parts, all of them given
    (a period none of whose quarters the table holds has no parts to sum: never)."""
    out = np.zeros(len(found), dtype=bool)
    summed = [i for i, r in enumerate(found) if r.parts]
    if not summed:
        return out
    totals = values[[found[i].total for i in summed]]
    parts = values[np.concatenate([np.asarray(found[i].parts, dtype=int) for i in summed])]
    starts = np.cumsum([0] + [len(found[i].parts) for i in summed[:-1]])
    given = np.isfinite(totals) & np.logical_and.reduceat(np.isfinite(parts), starts)
    sums = np.add.reduceat(np.nan_to_num(parts), starts)
    with np.errstate(invalid="ignore"):
        out[summed] = given & (np.abs(totals - sums) < 1e-6)
    return out


def _area_relations(area: np.ndarray, measure: np.ndarray, cohort: np.ndarray,
                    areas: pd.DataFrame | None) -> list[Relation]:
    if areas is None or areas.empty or "parent_id" not in areas:
        return []
    children: dict[str, list[str]] = defaultdict(list)
    for child, parent in zip(areas["area_id"], areas["parent_id"], strict=True):
        if isinstance(parent, str) and parent:
            children[parent].append(str(child))
    position = {(a, m, c): i for i, (a, m, c) in enumerate(zip(area, measure, cohort, strict=True))}
    found = []
    for i, (a, m, c) in enumerate(zip(area, measure, cohort, strict=True)):
        parts = tuple(position[(child, m, c)] for child in children.get(a, ()) if (child, m, c) in position)
        if parts:
            found.append(Relation(i, parts, "area"))
    return found


def _period_relations(area: np.ndarray, measure: np.ndarray, cohort: np.ndarray) -> list[Relation]:
    periods = {}
    for label in set(cohort):
        try:
            periods[label] = parse_period(label)
        except ValueError:  # validation refuses such labels; nothing to relate
            continue
    quarters: dict[tuple[str, str], list[int]] = defaultdict(list)
    longer: list[int] = []
    for i, label in enumerate(cohort):
        period = periods.get(label)
        if period is None:
            continue
        if period.kind == "quarter":
            quarters[(area[i], measure[i])].append(i)
        else:
            longer.append(i)
    # A period with none of its quarters in the table is still a sum where it overlaps another
    # period: the quarters they share are the same people.
    spans: dict[tuple[str, str], list[tuple]] = defaultdict(list)
    for i in longer:
        spans[(area[i], measure[i])].append((periods[cohort[i]].start, periods[cohort[i]].end))
    found = []
    for i in longer:
        whole = periods[cohort[i]]
        parts = tuple(q for q in quarters.get((area[i], measure[i]), ())
                      if whole.start <= periods[cohort[q]].start and periods[cohort[q]].end <= whole.end)
        overlaps = sum(start <= whole.end and whole.start <= end
                       for start, end in spans[(area[i], measure[i])]) > 1  # itself, and another
        if parts or overlaps:
            held = {periods[cohort[q]].start for q in parts}
            absent = tuple(f"{area[i]}|{measure[i]}|{day.isoformat()}"
                           for day in _quarter_starts(whole.start, whole.end) if day not in held)
            found.append(Relation(i, parts, "period", absent))
    return found


def _quarter_starts(start, end) -> list:
    """First days of the calendar quarters from ``start`` to ``end`` (a period of whole quarters)."""
    days, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        days.append(start.replace(year=year, month=month))
        month += 3
        if month > 12:
            year, month = year + 1, month - 12
    return days
