"""Applying the decision: each published table declares which counts each of its columns gives away."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .rules import COUNTS, MARKER

__all__ = ["NI18", "NI18_PROGRESS", "NI30", "RATES", "Published", "Reveals", "marked", "withhold"]

_KEY = ("area_id", "measure")


@dataclass(frozen=True)
class Reveals:
    """The counts a published column gives away, of the cohort its `via` column names.

    A rate reveals both of its counts (given one, the other follows: 25% of 20 offenders is 5
    reoffenders); an expected count reveals the cohort size (expected / predicted rate).
    """

    counts: frozenset[str]
    via: str = "cohort"


def _r(*counts: str, via: str = "cohort") -> tuple[Reveals, ...]:
    unknown = set(counts) - set(COUNTS)
    if unknown:
        raise ValueError(f"not a protected count: {sorted(unknown)}")
    return (Reveals(frozenset(counts), via),)


@dataclass(frozen=True)
class Published:
    """A derived table as published: what each column reveals, and the columns that reveal nothing.

    A column may reveal counts of several cohorts (a change between two cohorts reveals both).
    A numeric column in neither (an analyst's extra column passed through) is withheld on any
    row with a withheld count: what it means is unknown, so it may give a count away.
    """

    name: str
    columns: dict[str, tuple[Reveals, ...]]
    public: frozenset[str] = field(default_factory=frozenset)


_BOTH = ("offenders", "reoffenders")

RATES = Published("reoffending_rates", {
    "offenders": _r("offenders"),
    "reoffenders": _r("reoffenders"),
    **{c: _r(*_BOTH) for c in ("rate", "published_rate", "ci_low", "ci_high", "difference",
                               "difference_pct", "z", "p_value", "significant")},
    "expected_reoffenders": _r("offenders"),
    # Which test and interval a cohort got depends on n x p x (1 - p) (on the observed rate
    # where none is predicted): a bound on its counts, withheld with them.
    **{c: _r(*_BOTH) for c in ("test_method", "significance_test", "interval_method")},
    "predicted_variance": _r("offenders"),  # sum p(1 - p) grows with the cohort's size
    "reoffences": _r("reoffences"),
    "frequency": _r("reoffences", "offenders"),
    "reoffences_per_reoffender": _r("reoffences", "reoffenders"),
    "serious_reoffences": _r("serious_reoffences"),
    "severity": _r("serious_reoffences", "offenders"),
}, public=frozenset({"area_id", "measure", "cohort", "predicted_rate", "rate_source",
                     "source_row"}))

# Every NI 18 figure is computed from the cohort's size and its predicted rate, which is public.
# An agreed target was set the same way (a count of people, a rate over the cohort), so it gives
# the cohort's size away just as the workbook's calculation does and is withheld with it.
NI18 = Published("ni18_targets", {
    c: _r("offenders") for c in ("offenders", "expected_reoffenders", "published_expected_reoffenders",
                                 "target_reoffenders", "target_rate", "change_pct",
                                 "computed_target_reoffenders", "computed_target_rate",
                                 "computed_change_pct")
}, public=frozenset({"area_id", "measure", "cohort", "predicted_rate", "method", "target_source",
                     "cohort_as_printed"}))

# NI 30 targets are set as a fall from the baseline count (Lincolnshire 330 -> 280, -15%), so
# they give the baseline back with it; the change so far reveals the baseline and the latest.
_BASE, _LATEST = "baseline_cohort", "latest_cohort"
NI30 = Published("ni30_progress", {
    "offenders": _r("offenders", via=_BASE),
    # The stretch % and the ratio are set from the baseline count, as the end points are.
    **{c: _r("reoffences", via=_BASE) for c in (
        "baseline_reoffences", "ceiling_reoffences", "target_reoffences", "change_needed",
        "change_needed_pct", "ceiling_change", "ceiling_change_pct", "improvement_target_pct",
        "ratio_target")},
    "latest_reoffences": _r("reoffences", via=_LATEST),
    # The trajectory is a point on the line from the baseline count: it gives the baseline back.
    "trajectory_reoffences": _r("reoffences", via=_BASE),
    **{c: _r("reoffences", via=_BASE) + _r("reoffences", via=_LATEST)
       for c in ("change_so_far", "change_so_far_pct", "on_track")},
    # Met, not met, on or off track: a statement about the latest count, withheld with it.
    "status": _r("reoffences", via=_LATEST),
    # Months on scheme (public) is an average over the cohort's members: it reveals no count.
}, public=frozenset({"area_id", "measure", "baseline_cohort", "latest_cohort",
                     "baseline_as_printed", "months_on_scheme", "target_by"}))

# NI 18 progress: a later cohort's rate gives both its counts away (as in RATES); the agreed
# change and the trajectory to it were set from the baseline cohort's size (as in NI18), and a
# verdict compares the two, so it is withheld with either.
NI18_PROGRESS = Published("ni18_progress", {
    **{c: _r(*_BOTH) for c in ("rate", "actual_change_pct")},
    **{c: _r("offenders", via="baseline_cohort") for c in ("target_change_pct", "trajectory_change_pct")},
    **{c: _r(*_BOTH) + _r("offenders", via="baseline_cohort") for c in ("on_track", "target_met", "status")},
}, public=frozenset({"area_id", "measure", "cohort", "baseline_cohort", "target_by", "predicted_rate",
                     "cohort_as_printed"}))


def _withheld(table: pd.DataFrame, protection: pd.DataFrame, via: str) -> dict[str, np.ndarray]:
    """For each count, whether the cohort the `via` column names has it withheld (row order kept)."""
    if via not in table:
        return {count: np.zeros(len(table), dtype=bool) for count in COUNTS}
    hidden = protection.assign(_via=protection["cohort"].astype(str).str.strip())
    keys = table[list(_KEY)].astype(str).assign(_via=table[via].astype("string").str.strip())
    joined = keys.merge(hidden[[*_KEY, "_via", "hidden"]], on=[*_KEY, "_via"], how="left",
                        validate="many_to_one")
    flags = joined["hidden"].fillna("").astype(str)
    return {count: flags.str.split(";").map(lambda s, c=count: c in s).to_numpy(dtype=bool)
            for count in COUNTS}


def withhold(table: pd.DataFrame, protection: pd.DataFrame, published: Published) -> pd.DataFrame:
    """The table with every cell that gives a withheld count away blanked, listed in `suppressed`.

    `protection` is `protect`'s decision; each column is withheld where a count it reveals
    (`published.columns`) is withheld for the cohort it reveals it of; numeric columns the table
    does not declare are withheld on any row with a withheld count. `marked` shows the cells as
    "[c]". The input is not modified.
    """
    out = table.copy()
    vias = {r.via for reveals in published.columns.values() for r in reveals} | {"cohort"}
    by_via = {via: _withheld(table, protection, via) for via in vias}
    own = by_via["cohort"]
    any_own = np.logical_or.reduce([own[c] for c in COUNTS]) if len(out) else np.zeros(0, dtype=bool)
    hidden: dict[str, np.ndarray] = {}
    for column in out.columns:
        if column == "suppressed":
            continue
        reveals = published.columns.get(column, ())
        if reveals:
            mask = np.logical_or.reduce([by_via[r.via][c] for r in reveals for c in r.counts])
        elif column in published.public or out[column].dtype.kind not in "biufc":
            continue
        else:
            mask = any_own
        if mask.any():
            hidden[column] = mask
    for column, mask in hidden.items():
        if out[column].dtype.kind == "b":
            out[column] = out[column].astype("boolean")
        out[column] = out[column].mask(mask)
    names = list(hidden)
    out["suppressed"] = [";".join(c for c in names if hidden[c][i]) for i in range(len(out))]
    return out


def marked(frame: pd.DataFrame) -> pd.DataFrame:
    """The table for publication: withheld cells show the marker "[c]", never a blank."""
    out = frame.astype(object).copy()
    if "suppressed" not in frame:
        return out
    for i, cols in frame["suppressed"].items():
        for col in filter(None, str(cols).split(";")):
            if col in out:
                out.at[i, col] = MARKER
    return out
