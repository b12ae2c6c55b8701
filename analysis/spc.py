"""Statistical process control: NHS "Making Data Count" XmR charts and target assurance."""

from __future__ import annotations

import logging
import math

import numpy as np
import pandas as pd

from analysis.periods import cohort_sort_key

__all__ = ["XMR_CONSTANT", "RUN_LENGTH", "TRIAL_POINTS", "xmr", "assurance"]

logger = logging.getLogger(__name__)

XMR_CONSTANT = 2.66
"""Limits = mean ± 2.66·mean moving range (3/d2, d2 = 1.128 for ranges of two)."""
RUN_LENGTH = 7
"""Points in a run (one side of the mean) or trend (strictly rising/falling) signalling a shift."""
TRIAL_POINTS = 12
"""Fewer points than this: limits are trial limits."""

_BETTER = ("lower", "higher", "neutral")


def _sorted(values: pd.DataFrame, period_col: str) -> pd.DataFrame:
    """Rows in time order: period labels (YYYY-Qn, YYYY, YYYY/YY) by date, else natural order."""
    periods = values[period_col]
    try:
        keys = [cohort_sort_key(p) for p in periods]
    except ValueError:
        return values.sort_values(period_col, kind="stable").reset_index(drop=True)
    order = sorted(range(len(keys)), key=lambda i: keys[i])
    return values.iloc[order].reset_index(drop=True)


def _runs(flags: np.ndarray, length: int) -> np.ndarray:
    """Mark every element of each run of consecutive True values at least ``length`` long."""
    marked = np.zeros(len(flags), dtype=bool)
    start = None
    for i, flag in enumerate([*flags, False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            if i - start >= length:
                marked[start:i] = True
            start = None
    return marked


def _trend(x: np.ndarray, rising: bool, length: int) -> np.ndarray:
    """Mark points in runs of ``length`` or more consecutive points strictly rising/falling."""
    marked = np.zeros(len(x), dtype=bool)
    diffs = np.diff(x) > 0 if rising else np.diff(x) < 0
    # a run of k consecutive True diffs covers k + 1 points
    steps = _runs(diffs, length - 1)
    for i in np.flatnonzero(steps):
        marked[i] = marked[i + 1] = True
    return marked


def _two_of_three(beyond: np.ndarray) -> np.ndarray:
    """Mark points beyond the 2/3 line when at least 2 of a window of 3 consecutive are beyond."""
    marked = np.zeros(len(beyond), dtype=bool)
    for i in range(len(beyond) - 2):
        window = beyond[i : i + 3]
        if window.sum() >= 2:
            marked[i : i + 3] |= window
    return marked


def xmr(
    values: pd.DataFrame, *, value_col: str, period_col: str, better: str = "lower"
) -> pd.DataFrame:
    """XmR (individuals and moving range) chart with special-cause rules, per point.

    NHS England "Making Data Count" (NHSRplotthedots): centre = mean of the values;
    moving range mRᵢ = |xᵢ − xᵢ₋₁|; limits = mean ± 2.66·mean(mR). Special-cause rules:
    (1) a point outside the limits; (2) 7 consecutive points on one side of the mean (a point
    on the mean breaks the run); (3) 7 consecutive points strictly rising or falling;
    (4) 2 of 3 consecutive points beyond two-thirds of the way to a limit, on the same side.
    variation is 'improvement' or 'concern' by the good direction ``better`` ('lower' or
    'higher'; 'neutral' gives 'special cause'), else 'common cause'. trial_limits is True when
    there are fewer than 12 points.

    Returns the rows in time order (all input columns kept) plus moving_range, centre, lower,
    upper, special_cause, rules (e.g. '1;4'), variation and trial_limits. Rows with a missing
    value stay, with blank results. Input not modified.
    """
    if better not in _BETTER:
        raise ValueError(f"better must be one of {', '.join(_BETTER)}, got {better!r}")
    for column in (value_col, period_col):
        if column not in values.columns:
            raise ValueError(f"column {column!r} not in the data")
    table = _sorted(values, period_col)
    all_x = pd.to_numeric(table[value_col], errors="coerce").astype("Float64").to_numpy(
        dtype="float64", na_value=np.nan
    )
    present = ~np.isnan(all_x)
    x = all_x[present]
    k = len(x)
    if k < TRIAL_POINTS:
        logger.warning("XmR chart of %s: %d points, limits are trial limits", value_col, k)

    moving = np.full(k, np.nan)
    if k > 1:
        moving[1:] = np.abs(np.diff(x))
    centre = float(np.mean(x)) if k else math.nan
    mean_range = float(np.nanmean(moving)) if k > 1 else math.nan
    upper = centre + XMR_CONSTANT * mean_range
    lower = centre - XMR_CONSTANT * mean_range

    if k > 1:
        rule1_high, rule1_low = x > upper, x < lower
        rule2_high = _runs(x > centre, RUN_LENGTH)
        rule2_low = _runs(x < centre, RUN_LENGTH)
        rule3_high = _trend(x, True, RUN_LENGTH)
        rule3_low = _trend(x, False, RUN_LENGTH)
        rule4_high = _two_of_three(x > centre + (upper - centre) * 2 / 3)
        rule4_low = _two_of_three(x < centre - (centre - lower) * 2 / 3)
    else:
        rule1_high = rule1_low = rule2_high = rule2_low = np.zeros(k, dtype=bool)
        rule3_high = rule3_low = rule4_high = rule4_low = rule1_high

    rules = {
        "1": rule1_high | rule1_low,
        "2": rule2_high | rule2_low,
        "3": rule3_high | rule3_low,
        "4": rule4_high | rule4_low,
    }
    high = rule1_high | rule2_high | rule3_high | rule4_high
    low = rule1_low | rule2_low | rule3_low | rule4_low
    both = high & low
    high = np.where(both, x > centre, high)
    low = np.where(both, x < centre, low)
    special = high | low

    variation = []
    for is_special, is_high in zip(special, high, strict=True):
        if not is_special:
            variation.append("common cause")
        elif better == "neutral":
            variation.append("special cause")
        elif (better == "higher") == bool(is_high):
            variation.append("improvement")
        else:
            variation.append("concern")
    rule_text = [
        ";".join(name for name, flags in rules.items() if flags[i]) for i in range(k)
    ]

    def spread(part: np.ndarray | list, dtype: str) -> pd.array:
        full = pd.array([pd.NA] * len(table), dtype=dtype)
        full[present] = pd.array(list(part), dtype=dtype)
        return full

    moving_full = np.full(len(table), np.nan)
    moving_full[present] = moving
    return table.assign(
        moving_range=moving_full,
        centre=centre,
        lower=lower,
        upper=upper,
        special_cause=spread(special, "boolean"),
        rules=spread(rule_text, "string"),
        variation=spread(variation, "string"),
        trial_limits=k < TRIAL_POINTS,
    )


def assurance(target: float, lower: float, upper: float, better: str) -> str | None:
    """Whether the process will meet a target, from its XmR limits (NHS "Making Data Count").

    better 'lower': target above the upper limit → 'consistently met'; target below the lower
    limit → 'consistently not met'; better 'higher': the mirror image. A target inside the
    limits (or on one) → 'inconsistently met' (the process will sometimes meet it, sometimes
    not). Returns None when there is no target.
    """
    if better not in ("lower", "higher"):
        raise ValueError(f"better must be 'lower' or 'higher', got {better!r}")
    if target is None or target is pd.NA or (isinstance(target, float) and math.isnan(target)):
        return None
    if any(v is None or v is pd.NA or math.isnan(float(v)) for v in (lower, upper)):
        raise ValueError("assurance needs both process limits")
    if lower > upper:
        raise ValueError(f"lower limit {lower} is above upper limit {upper}")
    met, not_met = (target > upper, target < lower)
    if better == "higher":
        met, not_met = (target < lower, target > upper)
    if met:
        return "consistently met"
    if not_met:
        return "consistently not met"
    return "inconsistently met"
