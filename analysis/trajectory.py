"""Progress against an agreed target: a straight line from the baseline to the target at its date."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .agreed import AGREED
from .contract import SOURCE_COLUMNS
from .periods import cohort_sort_key, period_bounds
from .reoffending import ni18_targets, reoffending_rates

__all__ = ["ON_TRACK_RULE", "fraction_elapsed", "ni18_progress", "with_ni30_trajectory"]

#: The rule the reports print beside every on-track verdict.
ON_TRACK_RULE = ("on track when the cohort's figure is at or better than a straight line from the "
                 "baseline to the agreed target, read at the end of that cohort; the line reaches "
                 "the target at the end of the period the plan set for it")


def fraction_elapsed(baseline: object, cohort: object, target_by: object) -> float:
    """How far along the line from the baseline to the target date a cohort falls, from 0 to 1.

    Measured in days from the last day of the baseline cohort to the last day of `cohort`, over
    the days from the baseline's last day to the last day of the `target_by` period; a cohort at
    or after the target date reads the target itself (1). NaN when `target_by` is blank or
    does not end after the baseline.
    """
    if target_by is None or pd.isna(target_by) or not str(target_by).strip():
        return float("nan")
    start = period_bounds(baseline)[1]
    end = period_bounds(target_by)[1]
    if end <= start:
        return float("nan")
    return float(min(max((period_bounds(cohort)[1] - start).days / (end - start).days, 0.0), 1.0))


def _lookup(reoffending: pd.DataFrame, column: str) -> dict[tuple[str, str, str], object]:
    """(area_id, measure, cohort) -> the row's value of an optional input column."""
    if column not in reoffending:
        return {}
    keys = zip(reoffending["area_id"].astype(str).str.strip(), reoffending["measure"].astype(str).str.strip(),
               reoffending["cohort"].astype(str).str.strip(), strict=True)
    return {k: v for k, v in zip(keys, reoffending[column], strict=True)
            if pd.notna(v) and str(v).strip()}


def _status(met: bool, on_track: object, past_date: bool, dated: bool) -> str:
    if met:
        return "target met"
    if not dated:
        return "target not met (no target date)"
    if past_date:
        return "target missed"
    return "on track" if on_track else "off track"


_NI18_COLUMNS = ["area_id", "measure", "baseline_cohort", "target_by", "target_change_pct", "cohort",
                 "rate", "predicted_rate", "actual_change_pct", "trajectory_change_pct", "on_track",
                 "target_met", "status", "cohort_as_printed", *SOURCE_COLUMNS]


def ni18_progress(reoffending: pd.DataFrame) -> pd.DataFrame:
    """NI 18 against its agreed target: every cohort after an agreed baseline, in order.

    NI 18 is the % change of the actual rate from the predicted rate (National Indicator Set,
    2008); the plan agrees a % change to reach by a date (East Midlands: "for achievement by
    2011"). For each cohort after the baseline with an actual and a predicted rate:
    actual_change_pct = (rate − predicted) / predicted · 100; trajectory_change_pct = the
    agreed change × fraction_elapsed (0 at the baseline, the whole change at ``target_by``);
    on_track = actual change ≤ trajectory (a fall is negative: lower is better), the rule in
    ON_TRACK_RULE; target_met = actual change ≤ the agreed change. status: 'target met',
    'on track', 'off track', 'target missed' (at or after the target date and not met), or
    'target not met (no target date)'. Agreed targets come from the data (analysis.agreed);
    rates as reoffending.reoffending_rates gives them, each row citing its cohort's source
    (source_publisher, source_title, source_date). Input not modified.
    """
    if reoffending.empty or "target_by" not in reoffending and "target_change_pct" not in reoffending \
            and "target_reoffenders" not in reoffending:
        return pd.DataFrame({c: pd.Series(dtype=_dtype(c)) for c in _NI18_COLUMNS})
    targets = ni18_targets(reoffending)
    agreed = targets[targets["target_source"] == AGREED] if "target_source" in targets else targets.iloc[0:0]
    rates = reoffending_rates(reoffending)
    rates = rates[rates["rate"].notna() & rates["predicted_rate"].notna()]
    by = _lookup(reoffending, "target_by")
    printed = _lookup(reoffending, "cohort_as_printed")
    rows = []
    for base in agreed.itertuples(index=False):
        key = (str(base.area_id), str(base.measure), str(base.cohort))
        target_by = by.get(key)
        later = rates[(rates["area_id"] == base.area_id) & (rates["measure"] == base.measure)]
        after = np.array([cohort_sort_key(c) > cohort_sort_key(base.cohort) for c in later["cohort"]],
                         dtype=bool)
        later = later.loc[after]
        for row in sorted(later.itertuples(index=False), key=lambda r: cohort_sort_key(r.cohort)):
            actual = (row.rate - row.predicted_rate) / row.predicted_rate * 100.0
            share = fraction_elapsed(base.cohort, row.cohort, target_by)
            trajectory = base.change_pct * share if not np.isnan(share) else np.nan
            on_track = bool(actual <= trajectory + 1e-9) if not np.isnan(trajectory) else None
            met = bool(actual <= base.change_pct + 1e-9)
            past = bool(share >= 1.0) if not np.isnan(share) else False
            rows.append({
                "area_id": base.area_id, "measure": base.measure, "baseline_cohort": base.cohort,
                "target_by": target_by, "target_change_pct": base.change_pct, "cohort": row.cohort,
                "rate": row.rate, "predicted_rate": row.predicted_rate, "actual_change_pct": actual,
                "trajectory_change_pct": trajectory, "on_track": on_track, "target_met": met,
                "status": _status(met, on_track, past, not np.isnan(share)),
                "cohort_as_printed": printed.get(key),
                # The figure set against the target is the later cohort's: its source is cited.
                **{c: _named(getattr(row, c, None)) for c in SOURCE_COLUMNS},
            })
    out = pd.DataFrame(rows, columns=_NI18_COLUMNS)
    for column in _NI18_COLUMNS:
        out[column] = out[column].astype(_dtype(column))
    return out


def _named(value: object) -> str | None:
    return None if value is None or pd.isna(value) or not str(value).strip() else str(value)


def _dtype(column: str) -> str:
    if column in SOURCE_COLUMNS:
        return "object"
    if column in ("on_track", "target_met"):
        return "boolean"
    if column in ("target_change_pct", "rate", "predicted_rate", "actual_change_pct",
                  "trajectory_change_pct"):
        return "float64"
    return "string"


def with_ni30_trajectory(ni30_progress: pd.DataFrame) -> pd.DataFrame:
    """NI 30 progress with its straight-line trajectory: a new frame with two more columns.

    trajectory_reoffences = baseline + (target − baseline) × fraction_elapsed(baseline cohort,
    latest cohort, target_by): the re-offence count the line from the baseline count to the
    improvement target end point has reached at the end of the latest cohort; on_track =
    latest re-offences ≤ trajectory (fewer is better), per ON_TRACK_RULE. Before the target
    date a target not yet met is not yet missed: its status then reads 'on track' or 'off
    track' instead of 'ceiling target not met' or 'improvement target not met'. Both blank
    without a later cohort or a target date (the status against target and ceiling stands).
    """
    out = ni30_progress.copy()
    by = out["target_by"] if "target_by" in out else pd.Series(pd.NA, index=out.index, dtype="string")
    trajectory, on_track, status = [], [], []
    for base, latest, target, target_by, baseline, actual, said in zip(
            out["baseline_cohort"], out["latest_cohort"], out["target_reoffences"], by,
            out["baseline_reoffences"], out["latest_reoffences"], out["status"], strict=True):
        share = (fraction_elapsed(base, latest, target_by)
                 if pd.notna(latest) and pd.notna(target) and pd.notna(baseline) else float("nan"))
        value = float(baseline) + (float(target) - float(baseline)) * share if not np.isnan(share) else np.nan
        verdict = bool(float(actual) <= value + 1e-9) if not np.isnan(value) and pd.notna(actual) else None
        trajectory.append(value)
        on_track.append(pd.NA if verdict is None else verdict)
        if verdict is not None and share < 1.0 and str(said).endswith("not met"):
            said = "on track" if verdict else "off track"
        status.append(said)
    out["target_by"] = by.astype("string")
    out["status"] = pd.Series(status, index=out.index, dtype="string")
    out["trajectory_reoffences"] = pd.Series(trajectory, index=out.index, dtype="float64")
    out["on_track"] = pd.Series(on_track, index=out.index, dtype="boolean")
    return out
