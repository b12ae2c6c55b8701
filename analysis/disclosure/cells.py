"""Which counts of each cohort are withheld: primary suppression, then complementary cells."""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .relations import Relation, holding, relations
from .rules import COUNTS, check_threshold, numbers, small

__all__ = ["protect"]

log = logging.getLogger(__name__)

# Offenders minus reoffenders is a count of people too: published whenever both counts are.
_NON = "non_reoffenders"
_CHECKED = (*COUNTS, _NON)


@dataclass
class _Cells:
    """Each count of each cohort row (NaN when not given) and whether it is withheld."""

    values: dict[str, np.ndarray]
    hidden: dict[str, np.ndarray]  # the real counts only; non-reoffenders follow from them
    # The table's own rows; any past them are the quarters a period holds but the table does not
    # (`_with_absent`), never published, so withheld from the start.
    rows: int

    def is_absent(self, row: int) -> bool:
        return row >= self.rows

    def hidden_at(self, count: str, rows: list[int]) -> np.ndarray:
        if count == _NON:
            return self.hidden["offenders"][rows] | self.hidden["reoffenders"][rows]
        return self.hidden[count][rows]

    def mask(self, count: str) -> np.ndarray:
        if count == _NON:
            return self.hidden["offenders"] | self.hidden["reoffenders"]
        return self.hidden[count]

    def hide(self, count: str, row: int) -> tuple[str, ...]:
        """Withhold one cell; returns the counts whose sums that may expose (to look at again)."""
        # A non-reoffender count is withheld by withholding the reoffenders (offenders stay).
        real = "reoffenders" if count == _NON else count
        self.hidden[real][row] = True
        return (real, _NON) if real in ("offenders", "reoffenders") else (real,)


def _is_small(value: float, threshold: int) -> bool:
    """The scalar form of `rules.small` (called once per sum, so without pandas)."""
    return bool(0 < value < threshold - 0.5)


def protect(cohorts: pd.DataFrame, areas: pd.DataFrame | None, *, threshold: int) -> pd.DataFrame:
    """The withheld counts of every cohort row: one decision that every published table applies.

    Primary suppression (GSS guidance on statistical disclosure control): a cohort of 1 to
    threshold - 1 offenders withholds every count; reoffenders, or non-reoffenders (offenders
    minus reoffenders, which the two counts publish together), of 1 to threshold - 1 withhold
    the reoffenders; a re-offence or serious re-offence count of 1 to threshold - 1 withholds
    itself (re-offences bound the people behind them). Where only a published rate is given
    beside offenders, rate x offenders is the reoffender count it publishes.

    Secondary suppression, for every sum the table publishes (`relations.relations`: a parent
    area and its areas, a year and its quarters; only where the figures really add up; a period
    missing some of its quarters has each of them as an unknown part, shared by every period it
    lies in, and such a quarter counts as given away only when it is small): a sum
    with exactly one withheld member gives it away by subtraction, and withheld parts of a
    published total that come to 1 to threshold - 1 together give away that they are small, so
    the smallest other part (offenders, reoffenders and non-reoffenders alike) is withheld until
    neither holds, the total itself when no part is left. Then every withheld count is checked
    against all sums at once by Gaussian elimination (a count is recovered exactly when the sums'
    equations determine it: Langsrud 2024, GaussSuppression, Statistics Norway); a small count
    that is still determined gets another complementary cell, and the rounds repeat until none
    is. ONS and MoJ practice likewise suppress complementary cells within each group.

    Returns one row per input row: area_id, measure, cohort and `hidden`, the withheld counts
    (of offenders, reoffenders, reoffences, serious_reoffences) joined by ";".
    """
    threshold = check_threshold(threshold)
    cells = _cells(cohorts.reset_index(drop=True))
    _primary(cells, threshold)
    primary = sum(int(h.sum()) for h in cells.hidden.values())
    _, sums = _with_absent(cells, relations(cohorts.reset_index(drop=True), areas))
    rounds = 0
    while True:
        rounds += 1
        _complete(cells, sums, threshold)
        if not _repair(cells, sums, threshold):
            break
    out = cohorts[["area_id", "measure", "cohort"]].reset_index(drop=True).copy()
    out["hidden"] = [";".join(c for c in COUNTS if cells.hidden[c][i]) for i in range(len(out))]
    withheld = sum(int(h[:cells.rows].sum()) for h in cells.hidden.values())
    log.info("disclosure control at threshold %d: %d counts withheld (%d primary, %d complementary) "
             "over %d sums in %d round(s)", threshold, withheld, primary, withheld - primary,
             sum(len(s) for s in sums.values()), rounds)
    return out


def _cells(cohorts: pd.DataFrame) -> _Cells:
    n, r, rate = (numbers(cohorts, c) for c in ("offenders", "reoffenders", "rate"))
    # A published rate beside offenders publishes rate x offenders reoffenders (25% of 20 = 5).
    implied = np.isnan(r) & np.isfinite(n) & np.isfinite(rate)
    r = np.where(implied, np.round(rate * n / 100.0), r)
    values = {"offenders": n, "reoffenders": r, "reoffences": numbers(cohorts, "reoffences"),
              "serious_reoffences": numbers(cohorts, "serious_reoffences"), _NON: n - r}
    hidden = {count: np.zeros(len(cohorts), dtype=bool) for count in COUNTS}
    return _Cells(values, hidden, len(cohorts))


def _with_absent(cells: _Cells, found: list[Relation]) -> tuple[list[Relation], dict[str, list[Relation]]]:
    """Each quarter a period holds but the table does not becomes one unknown cell, a part of every
    period it lies in; returns the relations so extended and, per count, those that hold.

    A year of which the table holds three quarters publishes the fourth by subtraction, and
    overlapping rolling twelve months share quarters: two of them differ by one quarter less
    another, so a chain of them with the quarters that are published can give one away. An
    absent quarter's value is what the true figures determine (least squares over every period
    it lies in; NaN where they do not determine it, and then no one can recover it); a period
    holds where the figures add up (its total less its quarters is not negative, and agrees
    with the absent quarters' values where those are determined).
    """
    keys = sorted({k for r in found for k in r.absent})
    index = {key: cells.rows + k for k, key in enumerate(keys)}
    if keys:
        for count in list(cells.values):
            cells.values[count] = np.concatenate([cells.values[count], np.full(len(keys), np.nan)])
        for count in cells.hidden:
            cells.hidden[count] = np.concatenate([cells.hidden[count], np.ones(len(keys), dtype=bool)])
    extended = [Relation(r.total, (*r.parts, *(index[k] for k in r.absent)), r.kind, r.absent)
                for r in found]
    plain = [i for i, r in enumerate(found) if not r.absent]
    partial = [i for i, r in enumerate(found) if r.absent]
    sums = {}
    for count in _CHECKED:
        values = cells.values[count]
        holds = np.zeros(len(found), dtype=bool)
        holds[plain] = holding([found[i] for i in plain], values)
        # Each area and measure on its own: their quarters are theirs alone (the key's prefix).
        groups: dict[str, list[int]] = {}
        for i in partial:
            groups.setdefault(found[i].absent[0].rsplit("|", 1)[0], []).append(i)
        for members in groups.values():
            holds[members] = _solve_absent(values, [found[i] for i in members], index)
        sums[count] = [r for r, h in zip(extended, holds, strict=True) if h]
    return extended, sums


def _solve_absent(values: np.ndarray, partial: list[Relation], index: dict[str, int]) -> np.ndarray:
    """For one count: the absent quarters' values where the periods determine them (written into
    ``values``), and whether each period adds up with them."""
    if not partial:
        return np.zeros(0, dtype=bool)
    columns = sorted({index[k] for r in partial for k in r.absent})
    where = {c: j for j, c in enumerate(columns)}
    left = np.array([values[r.total] - values[np.asarray(r.parts, dtype=int)].sum() for r in partial])
    given = np.isfinite(left) & (left >= -1e-9)
    matrix = np.zeros((len(partial), len(columns)))
    for i, r in enumerate(partial):
        for k in r.absent:
            matrix[i, where[index[k]]] = 1.0
    rows = np.flatnonzero(given)
    if len(rows):
        solution, *_ = np.linalg.lstsq(matrix[rows], left[rows], rcond=None)
        given[rows] &= np.abs(matrix[rows] @ solution - left[rows]) < 1e-6  # periods that disagree
        rows = np.flatnonzero(given)
    if len(rows):
        solution, *_ = np.linalg.lstsq(matrix[rows], left[rows], rcond=None)
        singular = np.linalg.svd(matrix[rows], compute_uv=False)
        rank = int((singular > 1e-9 * max(matrix.shape)).sum())
        null = np.linalg.svd(matrix[rows])[2][rank:]
        for c, j in where.items():
            if not len(null) or np.all(np.abs(null[:, j]) < 1e-9):
                values[c] = max(float(solution[j]), 0.0)
    return given


def _primary(cells: _Cells, threshold: int) -> None:
    v, h = cells.values, cells.hidden
    tiny = small(v["offenders"], threshold)
    for count in COUNTS:
        h[count] |= tiny
    h["reoffenders"] |= small(v["reoffenders"], threshold) | small(v[_NON], threshold)
    h["reoffences"] |= small(v["reoffences"], threshold)
    h["serious_reoffences"] |= small(v["serious_reoffences"], threshold)


def _exposed(relation: Relation, cells: _Cells, count: str, threshold: int) -> bool:
    """Whether the sum gives a withheld member away, or the withheld parts' small total."""
    members = [relation.total, *relation.parts]
    hidden = cells.hidden_at(count, members)
    withheld = int(hidden.sum())
    if withheld == 0:
        return False
    values = cells.values[count]
    # What the published members leave for the withheld ones (absent quarters have no value of
    # their own unless the figures determine them, so the total less the published parts).
    shown = np.asarray([m for m, h in zip(members[1:], hidden[1:], strict=True) if not h], dtype=int)
    residual = float(values[relation.total] - values[shown].sum()) if not hidden[0] else np.nan
    if withheld == 1:
        # An absent quarter is no one's published count: it gives away only its own size.
        return _is_small(residual, threshold) if cells.is_absent(members[int(np.flatnonzero(hidden)[0])]) \
            else True
    if hidden[0]:
        return False  # the total is withheld: this sum publishes nothing about its parts
    return _is_small(residual, threshold)


def _complement(relation: Relation, cells: _Cells, count: str) -> int | None:
    """The cell to withhold next: the smallest positive published part, else the total."""
    values = cells.values[count]
    parts = [p for p, h in zip(relation.parts, cells.hidden_at(count, list(relation.parts)),
                               strict=True) if not h]
    positive = sorted((p for p in parts if values[p] > 0), key=lambda p: (values[p], p))
    if positive:
        return positive[0]
    if not cells.hidden_at(count, [relation.total])[0]:
        return relation.total
    return min(parts, default=None)  # only zeros left: withholding one still breaks the sum


def _complete(cells: _Cells, sums: dict[str, list[Relation]], threshold: int) -> None:
    """Withhold complementary cells until no sum exposes a withheld count (a fixed point).

    Every sum is looked at once, then again only when a cell in it has been withheld since.
    """
    touching: dict[str, dict[int, list[int]]] = {}
    for count, relations_ in sums.items():
        index: dict[int, list[int]] = {}
        for k, relation in enumerate(relations_):
            for member in (relation.total, *relation.parts):
                index.setdefault(member, []).append(k)
        touching[count] = index
    todo = deque((count, k) for count in _CHECKED for k in range(len(sums[count])))
    queued = set(todo)
    while todo:
        count, k = todo.popleft()
        queued.discard((count, k))
        relation = sums[count][k]
        while _exposed(relation, cells, count, threshold):
            pick = _complement(relation, cells, count)
            if pick is None:
                break
            for affected in cells.hide(count, pick):
                for j in touching[affected].get(pick, ()):
                    if (affected, j) not in queued:
                        queued.add((affected, j))
                        todo.append((affected, j))


def _repair(cells: _Cells, sums: dict[str, list[Relation]], threshold: int) -> bool:
    """Withhold one more cell beside each small count that all sums together still determine."""
    repaired = False
    for count in _CHECKED:
        values = cells.values[count]
        for row in _determined(sums[count], cells.mask(count)):
            if not _is_small(values[row], threshold):
                continue  # a large complementary count: recovering it discloses nobody
            for relation in sums[count]:
                if row in (relation.total, *relation.parts):
                    pick = _complement(relation, cells, count)
                    if pick is not None:
                        cells.hide(count, pick)
                        repaired = True
                        break
    return repaired


def _determined(sums: list[Relation], hidden: np.ndarray) -> list[int]:
    """Withheld rows whose value the sums determine exactly (a zero row of the null space).

    Each sum is an equation total - parts = 0; published members are known, withheld ones
    unknown. Unknowns linked by equations form components, each solved on its own.
    """
    equations = []
    for relation in sums:
        terms = [(m, s) for m, s in ((relation.total, 1.0), *((p, -1.0) for p in relation.parts))
                 if hidden[m]]
        if terms:
            equations.append(terms)
    if not equations:
        return []
    parent: dict[int, int] = {}

    def root(x: int) -> int:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for terms in equations:
        first = root(terms[0][0])
        for m, _ in terms[1:]:
            parent[root(m)] = first
    components: dict[int, list[list[tuple[int, float]]]] = {}
    for terms in equations:
        components.setdefault(root(terms[0][0]), []).append(terms)
    found = []
    for group in components.values():
        unknowns = sorted({m for terms in group for m, _ in terms})
        column = {m: j for j, m in enumerate(unknowns)}
        matrix = np.zeros((len(group), len(unknowns)))
        for i, terms in enumerate(group):
            for m, sign in terms:
                matrix[i, column[m]] = sign
        singular = np.linalg.svd(matrix, compute_uv=False)
        tolerance = singular.max(initial=0.0) * max(matrix.shape) * np.finfo(float).eps
        rank = int((singular > tolerance).sum())
        if rank == len(unknowns):
            found += unknowns
            continue
        null = np.linalg.svd(matrix)[2][rank:]
        found += [m for m, j in column.items() if np.all(np.abs(null[:, j]) < 1e-9)]
    return sorted(found)
