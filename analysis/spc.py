"""Statistical process control: NHS "Making Data Count" XmR charts and target assurance.

The method follows NHSRplotthedots 0.2.2 (NHS-R Community, github.com/nhs-r-community/NHSRplotthedots,
commit 050b07d), the R package that implements NHS England's "Making Data Count" guidance:
``ptd_spc_standard`` (limits, moving-range screening, fixed baseline, rebasing),
``ptd_calculate_point_type`` (the four rules and their precedence), ``ptd_add_short_group_warnings``
(trial limits) and ``ptd_calculate_assurance_type`` (assurance against a target).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.periods import cohort_sort_key

__all__ = [
    "CONFLICTS", "GAPS", "MIN_BASELINE_POINTS", "RUN_LENGTH", "SCREEN_CONSTANT", "TRIAL_POINTS",
    "TWO_OF_THREE", "XMR_CONSTANT", "assurance", "xmr",
]

logger = logging.getLogger(__name__)

XMR_CONSTANT = 2.66
"""Limits = mean ± 2.66·mean moving range (3/d2, d2 = 1.128 for ranges of two)."""
SCREEN_CONSTANT = 3.267
"""Moving ranges above 3.267·mean moving range (D4 for ranges of two) are screened out."""
RUN_LENGTH = 7
"""Points in a run (one side of the mean) or trend (strictly rising/falling) signalling a shift."""
TRIAL_POINTS = 12
"""Fewer points than this in a segment: its limits are trial limits."""
MIN_BASELINE_POINTS = 12
"""The fewest points limits may be fixed after (NHSRplotthedots' fix_after_n_points >= 12)."""

TWO_OF_THREE = ("all-same-side", "legacy-two-beyond")
"""Readings of rule 4: NHSRplotthedots' (default), or the workbook's reading before issue 15."""
CONFLICTS = ("precedence", "legacy-side-of-mean")
"""How a point's direction is settled when rules disagree: rule precedence (default) or legacy."""
GAPS = ("break", "legacy-bridge")
"""A missing value breaks moving ranges, runs and trends (default), or is skipped (legacy)."""

_BETTER = ("lower", "higher", "neutral")
# NHSRplotthedots' ptd_special_cause_type: outside the limits, then trend, then 2 in 3, then run.
_PRECEDENCE = ("1", "3", "4", "2")


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


def _two_beyond(beyond: np.ndarray) -> np.ndarray:
    """Legacy rule 4: points beyond the 2/3 line when at least 2 of a window of 3 are beyond."""
    marked = np.zeros(len(beyond), dtype=bool)
    for i in range(len(beyond) - 2):
        window = beyond[i : i + 3]
        if window.sum() >= 2:
            marked[i : i + 3] |= window
    return marked


def _two_in_three(close: np.ndarray, side: np.ndarray) -> np.ndarray:
    """Rule 4 as NHSRplotthedots' ptd_two_in_three and ptd_part_of_two_in_three: a point close to
    a limit (beyond the 2/3 line, not outside) in a window of 3 consecutive points of which at
    least 2 are close to a limit and all 3 lie strictly on one side of the mean."""
    marked = np.zeros(len(close), dtype=bool)
    for i in range(len(close) - 2):
        if close[i : i + 3].sum() >= 2 and abs(side[i : i + 3].sum()) == 3:
            marked[i : i + 3] |= close[i : i + 3]
    return marked


@dataclass(frozen=True)
class _Limits:
    """One segment's centre line, mean moving range and limits."""

    centre: float
    mean_range: float

    @property
    def upper(self) -> float:
        return self.centre + XMR_CONSTANT * self.mean_range

    @property
    def lower(self) -> float:
        return self.centre - XMR_CONSTANT * self.mean_range

    def near(self) -> tuple[float, float]:
        """The 2/3 lines, computed as ptd_spc_standard does (mean ± 2·(2.66/3)·mean mR)."""
        close = 2 * (XMR_CONSTANT / 3)
        return self.centre - close * self.mean_range, self.centre + close * self.mean_range


def _limits(x: np.ndarray, baseline_points: int | None, screen: bool) -> tuple[_Limits, np.ndarray]:
    """Centre and mean moving range of one segment (``x`` in time order, NaN for a missing value),
    as ptd_spc_standard: only the first ``baseline_points`` rows count (fix_after_n_points); a
    moving range next to a missing value is missing; with ``screen`` moving ranges at or above
    3.267·mean mR are dropped and the mean recomputed once. Also returns which moving ranges
    entered the mean."""
    fixed = x.copy()
    if baseline_points is not None:
        fixed[baseline_points:] = np.nan
    ranges = np.full(len(x), np.nan)
    ranges[1:] = np.abs(np.diff(fixed))
    used = ~np.isnan(ranges)
    present = ~np.isnan(fixed)
    centre = float(np.mean(fixed[present])) if present.any() else math.nan
    mean_range = float(np.mean(ranges[used])) if used.any() else math.nan
    # mean_range > 0: a flat series (every moving range 0) would otherwise screen out every range
    # (0 < 0 is false) and leave no limits at all; nothing in it is an outlier.
    if screen and used.any() and mean_range > 0:
        used &= ranges < SCREEN_CONSTANT * mean_range
        mean_range = float(np.mean(ranges[used]))
    return _Limits(centre, mean_range), used


@dataclass(frozen=True)
class _Signals:
    """Per point of a stretch without gaps: each rule's high/low firing and the trend direction."""

    high: dict[str, np.ndarray]
    low: dict[str, np.ndarray]
    trend_direction: np.ndarray  # +1/-1 where rule 3 fires (the right-hand trend at a peak/trough)
    left_step: np.ndarray  # sign(xᵢ − xᵢ₋₁), 0 at the first point


def _signals(x: np.ndarray, limits: _Limits, two_of_three: str) -> _Signals:
    """The four rules on one stretch of consecutive points with values, within one segment."""
    side = np.sign(x - limits.centre)
    near_low, near_high = limits.near()
    outside = (x > limits.upper) | (x < limits.lower)
    rising = _trend(x, True, RUN_LENGTH)
    falling = _trend(x, False, RUN_LENGTH)
    if two_of_three == "all-same-side":
        # close_to_limits excludes points outside the limits (ptd_spc_standard)
        close = ~outside & ((x < near_low) | (x > near_high))
        four = _two_in_three(close, side)
        four_high, four_low = four & (side > 0), four & (side < 0)
    else:
        four_high, four_low = _two_beyond(x > near_high), _two_beyond(x < near_low)
    high = {"1": x > limits.upper, "2": _runs(side > 0, RUN_LENGTH), "3": rising, "4": four_high}
    low = {"1": x < limits.lower, "2": _runs(side < 0, RUN_LENGTH), "3": falling, "4": four_low}

    steps = np.sign(np.diff(x))
    left = np.concatenate([[0.0], steps])
    # A point in a rising and a falling trend (the peak or trough between them) takes the trend to
    # its right, as ptd_special_cause_type means to ("if a point is part of a trend either side, use
    # right side"): that trend starts at the point, so it is the step to the right. Any other trend
    # point takes its own trend's direction. (The package's code takes the step to the right
    # whenever the next point is in any trend, so the last point of a rise followed by a drop into
    # another rise reads "Decreasing"; not reproduced: no peer case has such a point.)
    right = np.concatenate([steps, [0.0]])
    direction = np.where(rising & falling, right, np.where(rising, 1.0, np.where(falling, -1.0, 0.0)))
    return _Signals(high, low, direction, left)


_LABELS = {
    "1": ("Above UCL", "Below LCL"),
    "2": ("7 Points Above CL", "7 Points Below CL"),
    "3": ("7 Point Trend (Increasing)", "7 Point Trend (Decreasing)"),
    "4": ("2 in 3 Above CL", "2 in 3 Below CL"),
}


def _decide(s: _Signals, i: int, side: float, conflicts: str) -> tuple[int, str]:
    """Direction (+1 high, −1 low, 0 none) and deciding rule of point ``i``."""
    if conflicts == "precedence":
        for rule in _PRECEDENCE:
            if s.high[rule][i] or s.low[rule][i]:
                if rule == "3":
                    return int(s.trend_direction[i]), rule
                # ptd_special_cause_type: "Above" when the point is above the mean, else "Below"
                return (1 if side > 0 else -1), rule
        return 0, ""
    high = any(flags[i] for flags in s.high.values())
    low = any(flags[i] for flags in s.low.values())
    if high and low:
        # The workbook's reading before issue 15: the side of the mean the point lies on. A point
        # exactly on the mean with signals both ways is the peak or trough between two opposite
        # trends; it takes the direction of the trend that ends at it (it used to be dropped).
        direction = int(side) if side != 0 else int(s.left_step[i])
    else:
        direction = 1 if high else -1 if low else 0
    if direction == 0:
        return 0, ""
    flags = s.high if direction > 0 else s.low
    return direction, next(rule for rule in _PRECEDENCE if flags[rule][i])


def _variation(direction: int, better: str) -> str:
    if direction == 0:
        return "common cause"
    if better == "neutral":
        return "special cause"
    return "improvement" if (better == "higher") == (direction > 0) else "concern"


def _check_options(
    better: str, screen_outliers: bool, baseline_points: int | None, two_of_three: str,
    conflicts: str, gaps: str,
) -> None:
    for name, value, allowed in (("better", better, _BETTER), ("two_of_three", two_of_three, TWO_OF_THREE),
                                 ("conflicts", conflicts, CONFLICTS), ("gaps", gaps, GAPS)):
        if value not in allowed:
            raise ValueError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
    if not isinstance(screen_outliers, bool | np.bool_):
        raise ValueError(f"screen_outliers must be True or False, got {screen_outliers!r}")
    if baseline_points is not None and (
        isinstance(baseline_points, bool) or not isinstance(baseline_points, int | np.integer)
        or baseline_points < MIN_BASELINE_POINTS
    ):
        raise ValueError(f"baseline_points must be None or a whole number of at least "
                         f"{MIN_BASELINE_POINTS}, got {baseline_points!r}")


def _segments(periods: pd.Series, rebase: Sequence[str] | None) -> np.ndarray:
    """Segment number (1, 2, …) of each row in time order: a new one starts at each rebase period."""
    if rebase is None:
        return np.ones(len(periods), dtype=int)
    labels = [rebase] if isinstance(rebase, str) else list(rebase)
    text = periods.astype(str)
    unknown = [label for label in labels if str(label) not in set(text)]
    if unknown:
        raise ValueError(f"rebase periods {unknown!r} are not in the data; rebase takes period labels "
                         f"from the period column")
    starts = text.isin([str(label) for label in labels]).to_numpy(copy=True)
    starts[:1] = False  # a rebase at the first period starts the only segment there is
    return 1 + np.cumsum(starts)


def xmr(
    values: pd.DataFrame,
    *,
    value_col: str,
    period_col: str,
    better: str = "lower",
    screen_outliers: bool = True,
    baseline_points: int | None = None,
    rebase: Sequence[str] | None = None,
    two_of_three: str = "all-same-side",
    conflicts: str = "precedence",
    gaps: str = "break",
) -> pd.DataFrame:
    """XmR (individuals and moving range) chart with special-cause rules, per point.

    NHS England "Making Data Count", as NHSRplotthedots 0.2.2 implements it (``ptd_spc`` with its
    defaults: ``ptd_spc_standard``, ``ptd_calculate_point_type``, ``ptd_add_short_group_warnings``).

    Limits, per segment (``ptd_spc_standard``): centre = mean of the values; moving range
    mRᵢ = |xᵢ − xᵢ₋₁|, missing next to a missing value; limits = mean ± 2.66·mean(mR).
    ``screen_outliers`` (default True, the package's default): moving ranges of 3.267·mean(mR) or
    more are dropped and mean(mR) recomputed once (a series whose moving ranges are all 0 is not
    screened). ``baseline_points`` (``fix_after_n_points``, None = every point; at least 12): the
    centre and mean mR come from the first N periods of each segment only and later points are
    judged against those limits. ``rebase`` (the package's ``rebase``): period labels at which a
    new segment starts, each with its own limits and rules; ``segment`` numbers them from 1.

    Rules (``ptd_calculate_point_type``): (1) a point outside the limits; (2) 7 or more consecutive
    points on one side of the mean (a point on the mean breaks the run); (3) 7 or more consecutive
    points strictly rising or falling (a repeat breaks it); (4) 2 of 3 consecutive points close to
    a limit (beyond two-thirds of the way to it but not outside it), all three on one side of the
    mean. No run, trend or 2-of-3 window spans a missing value or a rebase. A point's direction is
    that of its highest-priority rule: outside, then trend, then 2 of 3, then run; a point in two
    opposite trends takes the trend to its right, any other trend point its own trend's direction
    (where NHSRplotthedots 0.2.2's code takes the step to the right whenever the next point is in
    any trend, so the last point of a rise that drops into another rise reads "Decreasing", this
    keeps the rise's direction). ``special_cause_type``
    carries the package's label ('Above UCL', '7 Point Trend (Increasing)', '2 in 3 Below CL',
    '7 Points Above CL', 'Common Cause'), ``signal`` the deciding rule, ``rules`` every rule that
    fires (e.g. '1;3'). variation is 'improvement' or 'concern' by the good direction ``better``
    ('lower' or 'higher'; 'neutral' gives 'special cause'), else 'common cause'. trial_limits
    (``ptd_add_short_group_warnings``) is True when the segment has fewer than 12 points with a value.

    The workbook's readings before issue 15 stay reachable by name only: ``two_of_three=
    "legacy-two-beyond"`` (2 of any 3 points beyond the 2/3 line on one side, outside points
    included, no condition on the third), ``conflicts="legacy-side-of-mean"`` (signals both ways:
    the side of the mean; on the mean, the trend ending at the point), ``gaps="legacy-bridge"``
    (missing values dropped first, so moving ranges and runs bridge them); with
    ``screen_outliers=False`` they give the old results.

    Returns the rows in time order (all input columns kept) plus moving_range (every mR, screened
    or not), moving_range_used (whether it entered the mean mR), segment, centre, lower, upper,
    special_cause, rules, signal, special_cause_type, variation and trial_limits. Rows with a
    missing value stay, with blank results. Input not modified.
    """
    _check_options(better, screen_outliers, baseline_points, two_of_three, conflicts, gaps)
    for column in (value_col, period_col):
        if column not in values.columns:
            raise ValueError(f"column {column!r} not in the data")
    table = _sorted(values, period_col)
    all_x = pd.to_numeric(table[value_col], errors="coerce").astype("Float64").to_numpy(
        dtype="float64", na_value=np.nan
    )
    segments = _segments(table[period_col], rebase)
    n = len(table)
    out = {
        "moving_range": np.full(n, np.nan), "used": np.zeros(n, dtype=bool), "centre": np.full(n, np.nan),
        "lower": np.full(n, np.nan), "upper": np.full(n, np.nan), "trial": np.zeros(n, dtype=bool),
    }
    special = pd.array([pd.NA] * n, dtype="boolean")
    texts = {key: pd.array([pd.NA] * n, dtype="string") for key in ("rules", "signal", "type", "variation")}

    for number in np.unique(segments):
        segment_rows = rows = np.flatnonzero(segments == number)
        if gaps == "legacy-bridge":
            rows = rows[~np.isnan(all_x[rows])]
        x = all_x[rows]
        limits, used = _limits(x, baseline_points, screen_outliers)
        points = int((~np.isnan(x)).sum())
        if points < TRIAL_POINTS:
            logger.warning("XmR chart of %s, segment %d: %d points, limits are trial limits",
                           value_col, number, points)
        ranges = np.full(len(x), np.nan)
        ranges[1:] = np.abs(np.diff(x))
        out["moving_range"][rows], out["used"][rows] = ranges, used
        for key, value in (("centre", limits.centre), ("lower", limits.lower), ("upper", limits.upper),
                           ("trial", points < TRIAL_POINTS)):
            out[key][segment_rows] = value
        present = ~np.isnan(x)
        # each stretch of consecutive values is judged on its own: a gap breaks every window
        breaks = np.flatnonzero(np.diff(present.astype(int)) != 0) + 1
        for stretch in np.split(np.arange(len(x)), breaks):
            if len(stretch) == 0 or not present[stretch[0]]:
                continue
            xs = x[stretch]
            signals = _signals(xs, limits, two_of_three)
            for j, row in enumerate(rows[stretch]):
                side = float(np.sign(xs[j] - limits.centre))
                direction, rule = _decide(signals, j, side, conflicts)
                special[row] = direction != 0
                texts["rules"][row] = ";".join(r for r in "1234" if signals.high[r][j] or signals.low[r][j])
                texts["signal"][row] = rule
                texts["type"][row] = _LABELS[rule][0 if direction > 0 else 1] if rule else "Common Cause"
                texts["variation"][row] = _variation(direction, better)

    return table.assign(
        moving_range=out["moving_range"],
        moving_range_used=out["used"],
        segment=segments,
        centre=out["centre"],
        lower=out["lower"],
        upper=out["upper"],
        special_cause=special,
        rules=texts["rules"],
        signal=texts["signal"],
        special_cause_type=texts["type"],
        variation=texts["variation"],
        trial_limits=out["trial"],
    )


def assurance(target: float, lower: float, upper: float, better: str) -> str | None:
    """Whether the process will meet a target, from its XmR limits (NHS England "Making Data
    Count"; NHSRplotthedots 0.2.2 ``ptd_calculate_assurance_type``).

    better 'lower': target above the upper limit → 'consistently met' (the package's
    consistent_pass); target below the lower limit → 'consistently not met' (consistent_fail);
    better 'higher': the mirror image. A target inside the limits (or on one) → 'inconsistently
    met' (inconsistent: the process will sometimes meet it, sometimes not). Returns None when
    there is no target. With rebasing, pass the last segment's limits (as the package does).
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
