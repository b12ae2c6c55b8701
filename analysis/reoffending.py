"""Proven reoffending: rates, intervals, actual-against-predicted tests, NI 18/NI 30 targets."""

from __future__ import annotations

import logging
import math

import numpy as np
import pandas as pd

from analysis import significance as sig
from analysis.agreed import with_agreed
from analysis.periods import cohort_sort_key, sort_by_cohort
from analysis.sources import SOURCE_COLUMNS, carry_sources

__all__ = [
    "Z95",
    "wilson_interval",
    "wilson_limits",
    "reoffending_rates",
    "trend",
    "ni18_targets",
    "ni30_progress",
]

logger = logging.getLogger(__name__)

Z95 = 1.959964
"""Two-sided 95% standard normal quantile, as PHEindicatormethods uses."""

_NI18_Z = 1.96

CONTRACT_COLUMNS = (
    "area_id",
    "cohort",
    "measure",
    "offenders",
    "reoffenders",
    "rate",
    "reoffences",
    "predicted_rate",
    "serious_reoffences",
)

ONE_SAMPLE_TEST = (
    "one-sample z-test of the observed proportion against the predicted probability "
    "(normal approximation, two-sided 5%): z = (O - E)/sqrt(n*p*(1-p)), E = n*p"
)
ONE_SAMPLE_TEST_RECORD = (
    "one-sample z-test of the observed count against the record-level predictions "
    "(normal approximation, two-sided 5%): z = (O - E)/sqrt(sum p_i*(1-p_i)), E = sum p_i"
)
EXACT_TEST = (
    "exact two-sided binomial test of the observed count against the predicted probability "
    "(minimum-likelihood method, as scipy.stats.binomtest; 5%){why}; "
    "z = (O - E)/sqrt(n*p*(1-p)), E = n*p, is given as the standardised difference"
)
EXACT_TEST_RECORD = (
    "exact two-sided binomial test of the observed count against the mean record-level prediction "
    "(minimum-likelihood method, as scipy.stats.binomtest; 5%; conservative, as the spread of the "
    "predictions narrows the count's distribution){why}; "
    "z = (O - E)/sqrt(sum p_i*(1-p_i)), E = sum p_i, is given as the standardised difference"
)
NOT_TESTED = "not tested: needs offenders, reoffenders and a predicted rate between 0 and 100"
TWO_SAMPLE_TEST = (
    "two-proportion z-test with pooled variance (normal approximation, two-sided 5%): "
    "z = (p2 - p1)/sqrt(P*(1-P)*(1/n1 + 1/n2)), P = (O1 + O2)/(n1 + n2)"
)
NI18_METHOD = (
    "largest re-offender count that is a significant fall at 95% (normal approximation): "
    "floor(E - 1.96*sd), E = n*p, sd = sqrt(n*p*(1-p)); the exact MoJ test was not published, "
    "this reproduces the East Midlands NI 18 table to within 0.4%"
)
NI18_METHOD_RECORD = (
    "largest re-offender count that is a significant fall at 95% (normal approximation): "
    "floor(E - 1.96*sd), E = sum p_i, sd = sqrt(sum p_i*(1-p_i)) from record-level predictions; "
    "the exact MoJ test was not published"
)


# --------------------------------------------------------------------------------------------
# helpers


def _normalise_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Copy with column names stripped and lower-cased (the contract is case-insensitive)."""
    renamed = {c: str(c).strip().lower() for c in frame.columns}
    if len(set(renamed.values())) != len(renamed):
        raise ValueError("duplicate column names after ignoring case and spaces")
    return frame.rename(columns=renamed)


def _num(frame: pd.DataFrame, column: str) -> np.ndarray:
    """Column as float64 numpy array with NaN for missing values (absent column: all NaN)."""
    if column not in frame.columns:
        return np.full(len(frame), np.nan)
    values = pd.to_numeric(frame[column], errors="coerce")
    return values.astype("Float64").to_numpy(dtype="float64", na_value=np.nan)


def _count_series(values: np.ndarray, index: pd.Index) -> pd.Series:
    """Float array of counts to nullable Int64 (Float64 kept, with a warning, if not whole)."""
    finite = values[~np.isnan(values)]
    if np.all(finite == np.round(finite)):
        return pd.Series(pd.array(values, dtype="Float64"), index=index).astype("Int64")
    logger.warning("count column holds values that are not whole numbers; kept as decimals")
    return pd.Series(pd.array(values, dtype="Float64"), index=index)


def _divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """Elementwise division, NaN where the denominator is zero or missing."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out = numerator / denominator
    out[~np.isfinite(out)] = np.nan
    return out


def _two_sided_p(z: np.ndarray) -> np.ndarray:
    """Two-sided normal p-value 2*(1 - Phi(|z|)) = erfc(|z|/sqrt(2)); NaN stays NaN."""
    return np.array([math.erfc(abs(v) / math.sqrt(2.0)) if np.isfinite(v) else np.nan for v in z])


def _significance(p_value: np.ndarray) -> pd.Series:
    """Nullable boolean: p < 0.05, <NA> where no test was possible."""
    return pd.Series(
        pd.array([pd.NA if np.isnan(p) else bool(p < 0.05) for p in p_value], dtype="boolean")
    )


def _half_unit(value: float) -> float:
    """Half a unit in the last printed decimal place of a published figure (54.8 -> 0.05)."""
    text = repr(float(value))
    if "e" in text or "." not in text:
        return 0.5
    decimals = text.split(".")[1].rstrip("0")
    return 0.5 * 10.0 ** (-len(decimals))


def wilson_limits(
    reoffenders: np.ndarray, offenders: np.ndarray, z: float = Z95
) -> tuple[np.ndarray, np.ndarray]:
    """`wilson_interval` for arrays of counts, in percent; NaN where it cannot be computed
    (a missing count, no offenders, or re-offenders outside 0..offenders)."""
    o = np.asarray(reoffenders, dtype="float64")
    n = np.asarray(offenders, dtype="float64")
    valid = (n > 0) & (o >= 0) & (o <= n)
    n_safe = np.where(valid, n, 1.0)
    p = np.where(valid, o, 0.0) / n_safe
    z2 = z * z
    denom = 1.0 + z2 / n_safe
    centre = (p + z2 / (2.0 * n_safe)) / denom
    half = (z / denom) * np.sqrt(np.clip(p * (1.0 - p) / n_safe + z2 / (4.0 * n_safe**2), 0, None))
    low = np.clip(centre - half, 0.0, 1.0) * 100.0
    high = np.clip(centre + half, 0.0, 1.0) * 100.0
    return np.where(valid, low, np.nan), np.where(valid, high, np.nan)


# --------------------------------------------------------------------------------------------
# public functions


def wilson_interval(reoffenders: float, offenders: float, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a proportion, in percent (0-100).

    With p = O/n: centre = (p + z²/2n)/(1 + z²/n),
    half-width = z/(1 + z²/n)·√(p(1−p)/n + z²/4n²); interval = centre ± half-width.
    Source: Wilson E.B. (1927) JASA 22:209-212, as used by UKHSA PHEindicatormethods
    (``phe_proportion``, confidence = 0.95, z = 1.959964).

    Returns (nan, nan) when offenders is missing or zero; raises ValueError when
    reoffenders is negative or exceeds offenders.
    """
    if any(v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))
           for v in (reoffenders, offenders)):
        return (math.nan, math.nan)
    o, n = float(reoffenders), float(offenders)
    if n == 0:
        return (math.nan, math.nan)
    if n < 0 or o < 0 or o > n:
        raise ValueError(
            f"need 0 <= reoffenders <= offenders, got reoffenders={reoffenders}, "
            f"offenders={offenders}"
        )
    low, high = wilson_limits(np.array([o]), np.array([n]), z)
    return (float(low[0]), float(high[0]))


def reoffending_rates(reoffending: pd.DataFrame, *, significance: str = "auto", interval: str = "auto",
                      exact_below: float = sig.EXACT_BELOW) -> pd.DataFrame:
    """Binary, frequency and severity measures per cohort row, with actual-against-predicted test.

    Per row (MoJ proven reoffending measures):
    - rate = reoffenders/offenders·100 when both counts are given (rate_source 'counts'),
      otherwise the published ``rate`` (rate_source 'published').
    - expected_reoffenders E = n·p/100 with p = predicted_rate; difference = rate − predicted
      (percentage points); difference_pct = difference/predicted·100.
    - z = (O − E)/√V, V = n·p·(1−p) with p as a probability (Σpᵢ(1−pᵢ) when a record-level
      ``predicted_variance`` column is present): the standardised difference.
    - p_value, two-sided, and significant = p < 0.05 (<NA> when no test can be done: no counts,
      or p not strictly between 0 and 100), by the test in ``significance_test``:
      "z-test", the one-sample z-test of the observed proportion against the predicted
      probability (normal approximation, p = erfc(|z|/√2); statsmodels ``proportions_ztest``
      with ``prop_var=p``), or "exact binomial", the exact two-sided binomial test
      (minimum-likelihood method of ``scipy.stats.binomtest``, scipy 1.17, computed exactly by
      :func:`analysis.significance.binomial_test`; at the mean prediction for record-level rows).
      ``test_method`` says the same in a sentence with the formula.
    - ci_low/ci_high: 95% interval of the rate when counts are given (NaN otherwise), by the
      method in ``interval_method``: "Wilson" (Wilson 1927, as UKHSA PHEindicatormethods
      ``phe_proportion`` and statsmodels ``proportion_confint(method='wilson')``) or
      "Clopper-Pearson" (exact; Clopper and Pearson 1934, as statsmodels ``method='beta'``).

    Options (issue 15): ``significance`` "auto" (default) takes the exact test where V <
    ``exact_below`` (default 10) and the counts are whole, else the z-test; "exact" takes it
    wherever the counts are whole; "legacy-z-test" always the z-test (the workbook's test before
    issue 15). ``interval`` "auto" (default) takes Clopper–Pearson where V < ``exact_below`` — V
    from the predicted rate where the test has one, else n·r·(1−r) from the observed rate r —,
    "exact" always, "wilson" never. Invalid options raise ValueError.
    - frequency = reoffences/offenders·100; reoffences_per_reoffender = reoffences/reoffenders;
      severity = serious_reoffences/offenders·100 (MoJ proven reoffending statistics).

    One row per input row, sorted by area_id, measure and cohort in time order. Columns outside
    the data contract are passed through after the computed ones. The input is not modified.
    """
    significance = sig.check_option("significance", significance, sig.SIGNIFICANCE_OPTIONS)
    interval = sig.check_option("interval", interval, sig.INTERVAL_OPTIONS)
    exact_below = sig.check_exact_below(exact_below)
    frame = _normalise_columns(reoffending)
    index = frame.index
    n = _num(frame, "offenders")
    o = _num(frame, "reoffenders")
    published = _num(frame, "rate")
    predicted = _num(frame, "predicted_rate")
    reoffences = _num(frame, "reoffences")
    serious = _num(frame, "serious_reoffences")
    variance = _num(frame, "predicted_variance")

    bad = (~np.isnan(o)) & (~np.isnan(n)) & ((o < 0) | (o > n))
    if bad.any():
        logger.warning("%d row(s) with reoffenders outside 0..offenders: no rate computed",
                       int(bad.sum()))
    has_counts = (n > 0) & ~np.isnan(o) & ~bad
    count_rate = np.where(has_counts, _divide(o, np.where(has_counts, n, np.nan)) * 100, np.nan)
    rate = np.where(has_counts, count_rate, published)
    source = np.where(has_counts, "counts", np.where(np.isnan(published), None, "published"))

    both = has_counts & ~np.isnan(published)
    for i in np.flatnonzero(both):
        if abs(count_rate[i] - published[i]) > _half_unit(published[i]) + 1e-9:
            logger.warning(
                "row %s: rate from counts %.3f disagrees with published rate %s",
                index[i], count_rate[i], published[i],
            )

    p = predicted / 100.0
    expected = n * p
    difference = rate - predicted
    difference_pct = _divide(difference, predicted) * 100.0

    use_record = ~np.isnan(variance)
    var = np.where(use_record, variance, n * p * (1.0 - p))
    testable = has_counts & (p > 0) & (p < 1) & (var > 0)
    z = np.where(testable, _divide(o - expected, np.sqrt(np.where(testable, var, np.nan))),
                 np.nan)
    whole = sig.whole(o) & sig.whole(n)
    small = var < exact_below
    exact = testable & whole & {"auto": small, "exact": True, "legacy-z-test": False}[significance]
    p_value = np.where(exact, sig.exact_p_values(o, n, p, exact), _two_sided_p(z))
    why = {"auto": f", as the count's variance under the prediction is below {exact_below:g}",
           "exact": " (significance='exact')"}.get(significance, "")
    method = np.where(
        testable,
        np.where(exact, np.where(use_record, EXACT_TEST_RECORD, EXACT_TEST).astype(object),
                 np.where(use_record, ONE_SAMPLE_TEST_RECORD, ONE_SAMPLE_TEST)),
        NOT_TESTED,
    )
    method = np.array([m.format(why=why) if e else m for m, e in zip(method, exact, strict=True)],
                      dtype=object)
    test_name = np.where(testable, np.where(exact, sig.EXACT_TEST, sig.Z_TEST), None)

    # The interval's rule: the test's variance where there is a test, else the observed rate's.
    observed = _divide(o, np.where(has_counts, n, np.nan))
    rule_var = np.where(testable, var, n * observed * (1.0 - observed))
    exact_ci = has_counts & whole & {"auto": rule_var < exact_below, "exact": True,
                                     "wilson": False}[interval]
    ci_low, ci_high = wilson_limits(np.where(has_counts, o, np.nan), n, Z95)
    cp_low, cp_high = sig.exact_intervals(o, n, exact_ci)
    ci_low, ci_high = np.where(exact_ci, cp_low, ci_low), np.where(exact_ci, cp_high, ci_high)
    ci_method = np.where(has_counts, np.where(exact_ci, sig.CLOPPER_PEARSON, sig.WILSON), None)

    out = pd.DataFrame(
        {
            "area_id": frame["area_id"].to_numpy() if "area_id" in frame else None,
            "measure": frame["measure"].to_numpy() if "measure" in frame else None,
            "cohort": frame["cohort"].to_numpy(),
            "offenders": _count_series(n, index).array,
            "reoffenders": _count_series(o, index).array,
            "rate": rate,
            "rate_source": pd.array(source, dtype="string"),
            "published_rate": published,
            "ci_low": ci_low,
            "ci_high": ci_high,
            "interval_method": pd.array(ci_method, dtype="string"),
            "predicted_rate": predicted,
            "expected_reoffenders": expected,
            "difference": difference,
            "difference_pct": difference_pct,
            "z": z,
            "p_value": p_value,
            "significant": _significance(p_value).array,
            "test_method": pd.array(method, dtype="string"),
            "significance_test": pd.array(test_name, dtype="string"),
            "reoffences": _count_series(reoffences, index).array,
            "frequency": _divide(reoffences, n) * 100.0,
            "reoffences_per_reoffender": _divide(reoffences, o),
            "serious_reoffences": _count_series(serious, index).array,
            "severity": _divide(serious, n) * 100.0,
        }
    )
    out = carry_sources(out, frame)  # each cohort keeps the source its row names
    extras = [c for c in frame.columns if c not in CONTRACT_COLUMNS and c not in out.columns]
    for column in extras:
        out[column] = frame[column].to_numpy()
    return sort_by_cohort(out)


_TREND_COLUMNS = [
    "area_id", "measure", "cohort", "baseline_cohort", "offenders", "reoffenders", "rate",
    "baseline_rate", "change", "change_pct", "predicted_rate", "difference", "difference_change",
    "z", "p_value", "significant", "test_method",
]


def trend(rates: pd.DataFrame, baseline_cohort: str | None = None) -> pd.DataFrame:
    """Change in the reoffending rate of each cohort against a baseline cohort, per area/measure.

    change = rate − baseline_rate (percentage points); change_pct = change/baseline_rate·100;
    difference_change = (rate − predicted) − (baseline rate − baseline predicted), the change in
    value added. Significance: two-proportion z-test with pooled variance (normal approximation,
    two-sided 5%; e.g. Altman, Practical Statistics for Medical Research, 1991, §10.7.2):
    z = (p₂ − p₁)/√(P(1−P)(1/n₁ + 1/n₂)), P = (O₁ + O₂)/(n₁ + n₂); significant is <NA> when either
    cohort lacks counts. The baseline is ``baseline_cohort`` or, by default, each group's earliest
    cohort; the baseline row itself is kept (change 0, not tested).

    Accepts the output of :func:`reoffending_rates` or a raw reoffending table (rates are then
    computed first). Raises ValueError if ``baseline_cohort`` is in no group.
    """
    table = rates if "rate_source" in rates.columns else reoffending_rates(rates)
    table = sort_by_cohort(_normalise_columns(table))
    if baseline_cohort is not None:
        cohort_sort_key(baseline_cohort)  # validates the label
        if not (table["cohort"].astype(str).str.strip() == str(baseline_cohort).strip()).any():
            raise ValueError(f"baseline cohort {baseline_cohort!r} is not in the rates table")

    parts = []
    for (_area, _measure), group in table.groupby(["area_id", "measure"], sort=False,
                                                  dropna=False):
        group = group.reset_index(drop=True)
        labels = group["cohort"].astype(str).str.strip()
        if baseline_cohort is None:
            base_pos = 0
        else:
            hits = np.flatnonzero(labels.to_numpy() == str(baseline_cohort).strip())
            if len(hits) == 0:
                logger.warning("area %s measure %s has no baseline cohort %s",
                               _area, _measure, baseline_cohort)
                base_pos = None
            else:
                base_pos = int(hits[0])
        n = _num(group, "offenders")
        o = _num(group, "reoffenders")
        rate = _num(group, "rate")
        diff = _num(group, "difference")
        counted = (group["rate_source"] == "counts").fillna(False).to_numpy(dtype=bool)
        if base_pos is None:
            n1 = o1 = base_rate = base_diff = np.nan
            base_counted = False
            base_label = None
        else:
            n1, o1 = n[base_pos], o[base_pos]
            base_rate, base_diff = rate[base_pos], diff[base_pos]
            base_counted = bool(counted[base_pos])
            base_label = group.loc[base_pos, "cohort"]
        pooled = _divide(o + o1, n + n1)
        se = np.sqrt(pooled * (1 - pooled) * (1 / np.where(n > 0, n, np.nan) + 1 / n1))
        testable = counted & base_counted & (se > 0)
        if base_pos is not None:
            testable[base_pos] = False
        z = np.where(testable, _divide(o / np.where(n > 0, n, np.nan) - o1 / n1, se), np.nan)
        p_value = _two_sided_p(z)
        change = rate - base_rate
        parts.append(
            pd.DataFrame(
                {
                    "area_id": group["area_id"],
                    "measure": group["measure"],
                    "cohort": group["cohort"],
                    "baseline_cohort": base_label,
                    "offenders": group["offenders"],
                    "reoffenders": group["reoffenders"],
                    "rate": rate,
                    "baseline_rate": base_rate,
                    "change": change,
                    # Divided by base/100, not multiplied after: a huge change times 100 overflows.
                    "change_pct": _divide(change, np.full(len(group), base_rate) / 100),
                    "predicted_rate": _num(group, "predicted_rate"),
                    "difference": diff,
                    "difference_change": diff - base_diff,
                    "z": z,
                    "p_value": p_value,
                    "significant": _significance(p_value).array,
                    "test_method": np.where(
                        testable, TWO_SAMPLE_TEST,
                        "not tested: needs counts for both cohorts (baseline row not tested)",
                    ),
                }
            )
        )
    if not parts:
        return pd.DataFrame(columns=_TREND_COLUMNS)
    out = pd.concat(parts, ignore_index=True)
    out["test_method"] = out["test_method"].astype("string")
    return sort_by_cohort(out)


def ni18_targets(reoffending: pd.DataFrame) -> pd.DataFrame:
    """NI 18 target: the largest re-offender count that would be a significant fall at 95%.

    For each row with offenders n and predicted_rate p (as a probability):
    E = n·p, sd = √(n·p·(1−p)) — or sd = √Σpᵢ(1−pᵢ) when a ``predicted_variance`` column from
    record-level data is present —, target_reoffenders = ⌊E − 1.96·sd⌋,
    target_rate = target/n·100, change_pct = (target_rate − predicted_rate)/predicted_rate·100.
    Source: workbook methods note (docs: notes/methods.md). The exact MoJ test behind the NI 18
    targets (National Indicator Set, 2008) was not published; this normal approximation
    reproduces the East Midlands NI 18 table (NOMS East Midlands Reducing Re-offending Delivery
    Plan) to within 0.4%. The target is <NA> when even 0 re-offenders would not be significant.

    A printed ``expected_reoffenders`` input column is kept as published_expected_reoffenders;
    the computation always uses n·p. Where the data gives the agreed target
    (``target_reoffenders``), target_* show it and this calculation is kept as computed_* for
    the analyst's check (analysis.agreed.with_agreed). Input not modified.
    """
    frame = _normalise_columns(reoffending)
    n = _num(frame, "offenders")
    predicted = _num(frame, "predicted_rate")
    keep = ~np.isnan(n) & (n > 0) & ~np.isnan(predicted)
    frame = frame.loc[keep]
    n, predicted = n[keep], predicted[keep]
    variance = _num(frame, "predicted_variance")
    p = predicted / 100.0
    expected = n * p
    use_record = ~np.isnan(variance)
    sd = np.sqrt(np.clip(np.where(use_record, variance, n * p * (1 - p)), 0, None))
    raw = np.floor(expected - _NI18_Z * sd + 1e-9)
    target = np.where(raw >= 0, raw, np.nan)
    if (raw < 0).any():
        logger.info("%d row(s): no count would be a significant fall (target left blank)",
                    int((raw < 0).sum()))
    target_rate = target / n * 100.0
    out = pd.DataFrame(
        {
            "area_id": frame["area_id"].to_numpy(),
            "measure": frame["measure"].to_numpy(),
            "cohort": frame["cohort"].to_numpy(),
            "offenders": _count_series(n, frame.index).array,
            "expected_reoffenders": expected,
            "predicted_rate": predicted,
            "target_reoffenders": _count_series(target, frame.index).array,
            "target_rate": target_rate,
            "change_pct": _divide(target_rate - predicted, predicted) * 100.0,
            "method": pd.array(np.where(use_record, NI18_METHOD_RECORD, NI18_METHOD),
                               dtype="string"),
        }
    )
    if "expected_reoffenders" in frame.columns:
        out["published_expected_reoffenders"] = _num(frame, "expected_reoffenders")
    return sort_by_cohort(carry_sources(with_agreed(out, frame), frame))


def ni30_progress(reoffending: pd.DataFrame) -> pd.DataFrame:
    """NI 30 (prolific and other priority offenders): baseline, target end points and progress.

    Rows used: measure 'ni30' (any case) or any row carrying ``target_reoffences`` or
    ``ceiling_reoffences``. Per area/measure the baseline is the earliest cohort with a target
    (else the earliest cohort); its ``reoffences`` is the baseline proven offences count.
    change_needed = target − baseline offences, change_needed_pct = change_needed/baseline·100
    (Lincolnshire 330 → 280: −15.2%); the same for the performance ceiling. latest_* is the
    latest cohort after the baseline, change_so_far = latest − baseline, and status is
    'improvement target met' (latest ≤ target), 'ceiling target met' (≤ ceiling),
    'ceiling target not met', 'improvement target not met', 'no later data' or 'no target'.
    Source: NI 30 definition (National Indicator Set, 2008; PPO proven offences count
    against the local improvement target); targets as printed in the East Midlands
    Reducing Re-offending Delivery Plan. ``target_by`` (the period the target is for) is passed
    through from the baseline row for the trajectory (analysis.trajectory). Input not modified.
    """
    frame = _normalise_columns(reoffending)
    target = _num(frame, "target_reoffences")
    ceiling = _num(frame, "ceiling_reoffences")
    measure = frame.get("measure", pd.Series("", index=frame.index)).astype(str).str.lower()
    is_ni30 = (measure.str.strip() == "ni30").to_numpy()
    has_target = ~np.isnan(target) | ~np.isnan(ceiling)
    frame = sort_by_cohort(frame.loc[is_ni30 | has_target])
    columns = [
        "area_id", "measure", "baseline_cohort", "offenders", "baseline_reoffences",
        "ceiling_reoffences", "target_reoffences", "change_needed", "change_needed_pct",
        "ceiling_change", "ceiling_change_pct", "latest_cohort", "latest_reoffences",
        "change_so_far", "change_so_far_pct", "status", "baseline_as_printed",
        "months_on_scheme", "improvement_target_pct", "ratio_target", "target_by",
    ]
    rows = []
    for (area, meas), group in frame.groupby(["area_id", "measure"], sort=False, dropna=False):
        group = group.reset_index(drop=True)
        g_target = _num(group, "target_reoffences")
        g_ceiling = _num(group, "ceiling_reoffences")
        offences = _num(group, "reoffences")
        flagged = np.flatnonzero(~np.isnan(g_target) | ~np.isnan(g_ceiling))
        base = int(flagged[0]) if len(flagged) else 0
        base_key = cohort_sort_key(group.loc[base, "cohort"])
        later = [
            i for i in range(len(group))
            if cohort_sort_key(group.loc[i, "cohort"]) > base_key and not np.isnan(offences[i])
        ]
        baseline = offences[base]
        tgt, ceil = g_target[base], g_ceiling[base]
        latest_pos = later[-1] if later else None
        latest = offences[latest_pos] if latest_pos is not None else np.nan
        if np.isnan(tgt) and np.isnan(ceil):
            status = "no target"
        elif latest_pos is None:
            status = "no later data"
        elif not np.isnan(tgt) and latest <= tgt:
            status = "improvement target met"
        elif not np.isnan(ceil) and latest <= ceil:
            status = "ceiling target met"
        elif not np.isnan(ceil):
            status = "ceiling target not met"
        else:
            status = "improvement target not met"

        def _pct(delta: float, baseline: float = baseline) -> float:
            return delta / baseline * 100.0 if baseline and not np.isnan(baseline) else np.nan

        rows.append(
            {
                "area_id": area,
                "measure": meas,
                "baseline_cohort": group.loc[base, "cohort"],
                "offenders": _num(group, "offenders")[base],
                "baseline_reoffences": baseline,
                "ceiling_reoffences": ceil,
                "target_reoffences": tgt,
                "change_needed": tgt - baseline,
                "change_needed_pct": _pct(tgt - baseline),
                "ceiling_change": ceil - baseline,
                "ceiling_change_pct": _pct(ceil - baseline),
                "latest_cohort": group.loc[latest_pos, "cohort"] if later else None,
                "latest_reoffences": latest,
                "change_so_far": latest - baseline,
                "change_so_far_pct": _pct(latest - baseline),
                "status": status,
                "baseline_as_printed": _as_printed(group, base),
                "months_on_scheme": _num(group, "months_on_scheme")[base],
                "improvement_target_pct": _num(group, "improvement_target_pct")[base],
                "ratio_target": _num(group, "ratio_target")[base],
                "target_by": _text_at(group, "target_by", base),
                # The source of the baseline row, which carries the targets and the baseline.
                **carry_sources(group.iloc[[base]][[]], group.iloc[[base]]).iloc[0].to_dict(),
            }
        )
    out = pd.DataFrame(rows, columns=[*columns, *SOURCE_COLUMNS])
    for column in ("offenders", "baseline_reoffences", "latest_reoffences"):
        out[column] = _count_series(out[column].to_numpy(dtype="float64"), out.index)
    for column in ("status", "baseline_as_printed", "target_by"):
        out[column] = out[column].astype("string")
    return out


def _text_at(group: pd.DataFrame, column: str, row: int) -> str | None:
    """A text cell of an optional input column, stripped; None when absent or blank."""
    value = group[column].iloc[row] if column in group else None
    return str(value).strip() or None if isinstance(value, str) else None


def _as_printed(group: pd.DataFrame, row: int) -> str | None:
    """The row's cohort as its source prints it (cohort_as_printed), None when not given."""
    value = group["cohort_as_printed"].iloc[row] if "cohort_as_printed" in group else None
    return str(value).strip() or None if isinstance(value, str) else None
