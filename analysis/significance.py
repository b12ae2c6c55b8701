"""Actual against predicted for small cohorts: the exact binomial test and Clopper–Pearson interval.

The normal approximation behind the one-sample z-test is poor when the variance of the count
under the prediction, n·p·(1−p), is small: n = 30, O = 15, p = 0.33 gives p = 0.048 by the z-test
and 0.053 exactly. Below a threshold (10 by default) :func:`analysis.reoffending.reoffending_rates`
uses the exact two-sided binomial test and the exact (Clopper–Pearson) interval from here.
Both are scipy's (``scipy.stats.binomtest``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
from scipy import stats

__all__ = [
    "CLOPPER_PEARSON",
    "EXACT_BELOW",
    "EXACT_TEST",
    "INTERVAL_OPTIONS",
    "SIGNIFICANCE_OPTIONS",
    "WILSON",
    "Z_TEST",
    "binomial_test",
    "check_exact_below",
    "check_option",
    "clopper_pearson",
    "interval_words",
    "test_words",
]

SIGNIFICANCE_OPTIONS = ("auto", "exact", "legacy-z-test")
"""``significance``: exact test below ``exact_below`` (default), always exact, or always the z-test
(the workbook's behaviour before issue 15, kept as a named legacy option)."""
INTERVAL_OPTIONS = ("auto", "exact", "wilson")
"""``interval``: Clopper–Pearson below ``exact_below`` (default), always Clopper–Pearson, always Wilson."""
EXACT_BELOW = 10.0
"""Default threshold on n·p·(1−p) below which the exact methods are used."""

EXACT_TEST = "exact binomial"
Z_TEST = "z-test"
WILSON = "Wilson"
CLOPPER_PEARSON = "Clopper-Pearson"

def check_option(name: str, value: object, allowed: tuple[str, ...]) -> str:
    """``value`` if it is one of ``allowed``; else a ValueError naming the option and the choices."""
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name}={value!r} is not a valid option; expected one of "
                         + ", ".join(repr(a) for a in allowed))
    return value


def check_exact_below(value: object) -> float:
    """The ``exact_below`` threshold as a float; a ValueError unless it is a number ≥ 0."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = math.nan
    if isinstance(value, bool) or not (number >= 0 and math.isfinite(number)):
        raise ValueError(f"exact_below={value!r} is not a valid option; expected a number >= 0 "
                         "(the variance n*p*(1-p) below which the exact methods are used)")
    return number


def _check_counts(k: int, n: int) -> tuple[int, int]:
    if not (n >= 1 and 0 <= k <= n and k == int(k) and n == int(n)):
        raise ValueError(f"need whole numbers 0 <= k <= n, n >= 1; got k={k}, n={n}")
    return int(k), int(n)


def binomial_test(k: int, n: int, p: float) -> float:
    """Exact two-sided binomial test of k successes in n trials against probability p.

    ``scipy.stats.binomtest(k, n, p, alternative='two-sided')``, the minimum-likelihood method
    (Zar, Biostatistical Analysis, 5th ed., 2010): the observed tail plus every outcome on the
    other side of the mean no more likely than the observed one. Raises ValueError unless
    n ≥ 1, 0 ≤ k ≤ n are whole and 0 < p < 1.
    """
    k, n = _check_counts(k, n)
    if not 0.0 < p < 1.0:
        raise ValueError(f"need 0 < p < 1, got p={p}")
    return float(stats.binomtest(k, n, p, alternative="two-sided").pvalue)


def clopper_pearson(k: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Exact (Clopper–Pearson) two-sided 1 − alpha interval for a binomial proportion, 0–1.

    Clopper C.J., Pearson E.S. (1934) Biometrika 26:404-413, by
    ``scipy.stats.binomtest(k, n).proportion_ci(method='exact')`` (as statsmodels
    ``proportion_confint(method='beta')``): the lower limit solves P(X ≥ k; p) = alpha/2 (0 when
    k = 0), the upper P(X ≤ k; p) = alpha/2 (1 when k = n). Raises ValueError unless n ≥ 1,
    0 ≤ k ≤ n are whole and 0 < alpha < 1.
    """
    k, n = _check_counts(k, n)
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"need 0 < alpha < 1, got alpha={alpha}")
    found = stats.binomtest(k, n).proportion_ci(confidence_level=1.0 - alpha, method="exact")
    return float(found.low), float(found.high)


_INTERVAL_WORDS = {WILSON: "the 95% Wilson score interval",
                   CLOPPER_PEARSON: "the exact (Clopper–Pearson) 95% interval"}
_TEST_WORDS = {Z_TEST: "a two-sided one-sample z-test (normal approximation)",
               EXACT_TEST: "the exact two-sided binomial test"}


def _words(methods: Iterable[object], words: dict[str, str], exact: str, approximate: str,
           exact_below: float | None) -> str:
    """One method named, or the rule that chose between the two; ``approximate`` when none given
    (a table from before issue 15, or every method withheld)."""
    present = {m for m in methods if isinstance(m, str) and m in words}
    if present == {exact}:
        return words[exact]
    if exact in present:
        where = ("for small cohorts" if exact_below is None else
                 f"where the variance n·p·(1−p) of the count is below {exact_below:g}")
        return f"{words[exact]} {where}, else {words[approximate]}"
    return words[approximate]


def interval_words(methods: Iterable[object], exact_below: float | None = EXACT_BELOW) -> str:
    """The interval of a rates table in words, from its ``interval_method`` values (a column).

    E.g. "the exact (Clopper–Pearson) 95% interval where the variance n·p·(1−p) of the count is
    below 10, else the 95% Wilson score interval". ``exact_below``: the option the table was
    made with; None says "for small cohorts" instead (for a caption beside a table that gives
    the rule). No value: the Wilson interval, the workbook's only one before issue 15.
    """
    return _words(methods, _INTERVAL_WORDS, CLOPPER_PEARSON, WILSON, exact_below)


def test_words(methods: Iterable[object], exact_below: float | None = EXACT_BELOW) -> str:
    """The test of actual against predicted in words, from a table's ``significance_test`` values.

    As :func:`interval_words`; no value: the z-test.
    """
    return _words(methods, _TEST_WORDS, EXACT_TEST, Z_TEST, exact_below)


def whole(values: np.ndarray) -> np.ndarray:
    """Where a float array holds a whole number (the exact methods need whole counts)."""
    with np.errstate(invalid="ignore"):
        return np.isfinite(values) & (values == np.round(values))


def exact_p_values(reoffenders: np.ndarray, offenders: np.ndarray, probability: np.ndarray,
                   rows: np.ndarray) -> np.ndarray:
    """:func:`binomial_test` p-values of the chosen ``rows`` (whole counts, 0 < p < 1); NaN elsewhere."""
    out = np.full(len(rows), np.nan)
    for i in np.flatnonzero(rows):
        out[i] = binomial_test(int(reoffenders[i]), int(offenders[i]), float(probability[i]))
    return out


def exact_intervals(reoffenders: np.ndarray, offenders: np.ndarray, rows: np.ndarray,
                    alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """:func:`clopper_pearson` limits in percent (0–100) of the chosen ``rows``; NaN elsewhere."""
    low, high = np.full(len(rows), np.nan), np.full(len(rows), np.nan)
    for i in np.flatnonzero(rows):
        low[i], high[i] = (100.0 * v for v in clopper_pearson(int(reoffenders[i]), int(offenders[i]), alpha))
    return low, high
