"""Each area's rate against a benchmark area's, as Fingertips compares them: better, similar or worse.

Method (OHID Fingertips, "Comparing an area with the benchmark"; the Public Health Technical
Guidance that UKHSA PHEindicatormethods cites): an area's proportion is compared with the
benchmark's value (England, or any chosen area) by its own Wilson score interval. Where the whole
interval lies on the better side of the benchmark the area is "better", on the worse side
"worse", and where the interval holds the benchmark value (a limit equal to it counts as holding
it) "similar". Fingertips compares at 95% and, as a stricter second reading, at 99.8%; the
benchmark value itself is taken as fixed. For a measure without a good direction the words are
"lower", "similar" and "higher". A proven reoffending rate is better lower (Ministry of Justice).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.stats import norm

from .labels import level_percent
from .reoffending import wilson_limits

__all__ = ["LEVELS", "POLARITIES", "benchmark_comparison", "comparison_phrase", "comparison_sentence",
           "comparison_words"]

LEVELS = (0.95, 0.998)
"""Fingertips' two comparison levels: 95% and 99.8%."""
POLARITIES = ("lower-is-better", "higher-is-better", "none")
"""Which side of the benchmark is better; "none" gives the words lower / similar / higher."""

_KEY = ["measure", "cohort"]
_WORDS = {
    "lower-is-better": ("better", "worse"),
    "higher-is-better": ("worse", "better"),
    "none": ("lower", "higher"),
}
_PHRASES = {"better": "better than", "worse": "worse than", "similar": "similar to",
            "lower": "lower than", "higher": "higher than"}


def _levels(levels: Sequence[float]) -> tuple[float, float]:
    values = tuple(np.atleast_1d(np.asarray(levels, dtype="float64")))
    if len(values) != 2 or not 0 < values[0] < values[1] < 1:
        raise ValueError(f"levels must be two values with 0 < inner < outer < 1, got {levels!r}")
    return float(values[0]), float(values[1])


def _compare(low: np.ndarray, high: np.ndarray, benchmark: np.ndarray, polarity: str) -> np.ndarray:
    """The word for each row: below, above or holding the benchmark; <NA> where either is missing."""
    below, above = _WORDS[polarity]
    known = ~(np.isnan(low) | np.isnan(high) | np.isnan(benchmark))
    words = np.where(high < benchmark, below, np.where(low > benchmark, above, "similar"))
    return pd.array(np.where(known, words, None), dtype="string")


def benchmark_comparison(rates: pd.DataFrame, benchmark_area: str, *,
                         polarity: str = "lower-is-better",
                         levels: Sequence[float] = LEVELS) -> pd.DataFrame:
    """A new frame: every other area's rate per measure and cohort against ``benchmark_area``'s.

    ``rates`` needs area_id, measure, cohort, offenders, reoffenders and rate (percent), as
    `reoffending.reoffending_rates` gives them. Per row: ``benchmark_rate`` is the benchmark area's
    rate for the same measure and cohort; ``lower_inner``/``upper_inner`` and
    ``lower_outer``/``upper_outer`` are the area's Wilson score limits (percent) at ``level_inner``
    and ``level_outer``; ``comparison`` and ``comparison_outer`` are the Fingertips words at each
    level (module docstring). A row without counts (a rate only as published) has no interval and
    a row whose cohort the benchmark lacks has no benchmark: both keep their rate and get <NA>
    words, and ``comparison_note`` says which. The benchmark area's own rows are left out.
    """
    if polarity not in POLARITIES:
        raise ValueError(f"polarity must be one of {', '.join(POLARITIES)}, got {polarity!r}")
    inner, outer = _levels(levels)
    missing = sorted({"area_id", "measure", "cohort", "offenders", "reoffenders", "rate"}
                     - set(rates.columns))
    if missing:
        raise ValueError(f"rates lacks column(s) {', '.join(missing)}")
    blank = rates[["area_id", *_KEY]].isna().any(axis=1)
    if blank.any():
        raise ValueError(f"rates rows {', '.join(str(i) for i in rates.index[blank][:5])} have no "
                         "area_id, measure or cohort: every row needs all three to be compared")
    own = (rates["area_id"].astype("string") == benchmark_area).to_numpy(dtype=bool)
    if not own.any():
        raise ValueError(f"benchmark area {benchmark_area!r} has no rates")
    reference = rates.loc[own, _KEY + ["rate"]].rename(columns={"rate": "benchmark_rate"})
    twice = reference.duplicated(_KEY, keep=False)
    if twice.any():
        pairs = sorted({f"{m} {c}" for m, c in zip(reference.loc[twice, "measure"],
                                                   reference.loc[twice, "cohort"], strict=True)})
        raise ValueError(f"benchmark area {benchmark_area!r} has more than one rate for "
                         f"{'; '.join(pairs)}: which one to compare with is not clear")
    frame = rates.loc[~own, ["area_id", *_KEY, "offenders", "reoffenders", "rate"]].merge(
        reference, on=_KEY, how="left", validate="many_to_one")
    o = pd.to_numeric(frame["reoffenders"], errors="coerce").to_numpy("float64", na_value=np.nan)
    n = pd.to_numeric(frame["offenders"], errors="coerce").to_numpy("float64", na_value=np.nan)
    bench = pd.to_numeric(frame["benchmark_rate"], errors="coerce").to_numpy("float64", na_value=np.nan)
    out = frame.assign(benchmark_area_id=benchmark_area, polarity=polarity)
    for name, level in (("inner", inner), ("outer", outer)):
        low, high = wilson_limits(o, n, float(norm.ppf(0.5 + level / 2)))
        out[f"level_{name}"] = level
        out[f"lower_{name}"], out[f"upper_{name}"] = low, high
        out["comparison" if name == "inner" else "comparison_outer"] = _compare(low, high, bench, polarity)
    no_counts = np.isnan(o) | np.isnan(n)
    bad_counts = ~no_counts & np.isnan(out["lower_inner"].to_numpy())  # wilson_limits refused them
    note = np.select(
        [np.isnan(bench), no_counts, bad_counts],
        ["the benchmark has no rate for this measure and cohort",
         "no counts: a published rate has no interval to compare",
         "the counts give no interval: offenders must be above 0 and re-offenders from 0 to "
         "the offenders"], "")
    out["comparison_note"] = pd.array(np.where(note == "", None, note), dtype="string")
    columns = ["area_id", *_KEY, "offenders", "reoffenders", "rate", "benchmark_area_id",
               "benchmark_rate", "polarity", "level_inner", "lower_inner", "upper_inner",
               "comparison", "level_outer", "lower_outer", "upper_outer", "comparison_outer",
               "comparison_note"]
    return out[columns].reset_index(drop=True)


def comparison_words(comparison: object, benchmark_name: str, level: float = LEVELS[0]) -> str:
    """The comparison as a board reads it: "Better than England and Wales (95% level)".

    A missing comparison reads "Not compared with …"; a word `benchmark_comparison` does not give,
    or a level outside (0, 1), is refused with ValueError.
    """
    if not isinstance(level, int | float) or not 0 < level < 1:
        raise ValueError(f"level must be a fraction between 0 and 1 (0.95 for 95%), got {level!r}")
    if comparison is None or comparison is pd.NA:
        return f"Not compared with {benchmark_name}"
    phrase = comparison_phrase(comparison, benchmark_name)
    return f"{phrase[:1].upper()}{phrase[1:]} ({level_percent(level)} level)"


def comparison_phrase(comparison: object, benchmark_name: str) -> str:
    """"worse than England and Wales", "similar to England and Wales": one reading, no level."""
    if comparison not in _PHRASES:
        raise ValueError(f"comparison must be one of {', '.join(_PHRASES)} or missing, got {comparison!r}")
    return f"{_PHRASES[str(comparison)]} {benchmark_name}"


def comparison_sentence(inner: object, outer: object, benchmark_name: str,
                        levels: Sequence[float] = LEVELS, benchmark_rate: float | None = None) -> str | None:
    """Both readings in one clause a board can repeat: "worse than England and Wales (25.5%) at
    95%, similar at 99.8%"; "similar to England and Wales at 95% and 99.8%" when they agree (the
    bracket only with ``benchmark_rate``). None when the row is not compared."""
    if inner is None or inner is pd.NA or pd.isna(inner):
        return None
    first, second = (level_percent(level) for level in _levels(levels))
    rate = "" if benchmark_rate is None or pd.isna(benchmark_rate) else f" ({benchmark_rate:.1f}%)"
    phrase = f"{_PHRASES[str(inner)]} {benchmark_name}{rate}"
    if outer is None or outer is pd.NA or pd.isna(outer) or outer == inner:
        return f"{phrase} at {first}" + ("" if outer is None or pd.isna(outer) else f" and {second}")
    return f"{phrase} at {first}, {outer} at {second}"
