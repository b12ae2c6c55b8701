"""Funnel plot limits (Spiegelhalter 2005) for reoffending rates and actual/predicted ratios."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable

import numpy as np
import pandas as pd

from analysis.reoffending import reoffending_rates

__all__ = [
    "Z95",
    "Z998",
    "funnel_limits",
    "funnel_curve",
    "funnel_ratio_limits",
    "funnel_ratio_curve",
]

logger = logging.getLogger(__name__)

Z95 = 1.959964
"""Two-sided 95% normal quantile (FunnelPlotR, PHEindicatormethods)."""
Z998 = 3.090232
"""Two-sided 99.8% normal quantile."""

_WINSOR = 0.1

_PROPORTION_METHOD = (
    "Spiegelhalter (2005) funnel for proportions: Y = asin(sqrt(p)), s = 1/(2*sqrt(n)), "
    "target = sum O/sum n, limits sin(T -/+ z*sqrt(s^2 + tau2))^2 at z = 1.959964 (95%) and "
    "3.090232 (99.8%)"
)
_RATIO_METHOD = (
    "Spiegelhalter (2005) funnel for ratios of observed to expected (predicted) reoffenders: "
    "Y = log(O/E), s = 1/sqrt(E), limits target*exp(-/+ z*sqrt(s^2 + tau2)) at z = 1.959964 "
    "(95%) and 3.090232 (99.8%)"
)
_OD_APPLIED = (
    "; overdispersion (Spiegelhalter et al. 2012): z winsorised 10% each end, phi = mean(z^2), "
    "additive random effects tau2 = (k*phi - (k-1))/(sum w - sum w^2/sum w), w = 1/s^2"
)
_OD_NOT_NEEDED = "; no overdispersion found (k*phi <= k-1), tau2 = 0"
_OD_OFF = "; overdispersion adjustment off"

_POSITION_LABELS = ("above 99.8%", "above 95%", "within", "below 95%", "below 99.8%")


def _overdispersion(z: np.ndarray, s: np.ndarray) -> tuple[float, float, bool]:
    """phi and tau² per Spiegelhalter et al. (2012) as in FunnelPlotR: returns (phi, tau2, applied).

    z winsorised at its 10th and 90th percentiles (linear quantiles, R type 7),
    phi = mean(z_w²); tau² = max(0, (kφ − (k−1))/(Σw − Σw²/Σw)), w = 1/s², only when kφ > k−1.
    """
    finite = np.isfinite(z) & np.isfinite(s) & (s > 0)
    z, s = z[finite], s[finite]
    k = len(z)
    if k < 2:
        logger.warning("overdispersion needs at least two areas; none estimated")
        return (math.nan, 0.0, False)
    low, high = np.quantile(z, [_WINSOR, 1 - _WINSOR])
    phi = float(np.mean(np.clip(z, low, high) ** 2))
    if k * phi <= k - 1:
        return (phi, 0.0, False)
    w = 1.0 / s**2
    denominator = w.sum() - (w**2).sum() / w.sum()
    if denominator <= 0:
        return (phi, 0.0, False)
    tau2 = max(0.0, (k * phi - (k - 1)) / denominator)
    return (phi, float(tau2), tau2 > 0)


def _position(
    value: np.ndarray, l95: np.ndarray, u95: np.ndarray, l998: np.ndarray, u998: np.ndarray
) -> pd.array:
    """Position of each point against the limits; on a limit counts as within; NA if unknown."""
    labels: list[object] = []
    for v, a, b, c, d in zip(value, l95, u95, l998, u998, strict=True):
        if np.isnan(v) or np.isnan(a):
            labels.append(pd.NA)
        elif v > d:
            labels.append(_POSITION_LABELS[0])
        elif v > b:
            labels.append(_POSITION_LABELS[1])
        elif v < c:
            labels.append(_POSITION_LABELS[4])
        elif v < a:
            labels.append(_POSITION_LABELS[3])
        else:
            labels.append(_POSITION_LABELS[2])
    return pd.array(labels, dtype="string")


def _select(rates: pd.DataFrame, measure: str, cohort: str) -> pd.DataFrame:
    table = rates if "rate_source" in rates.columns else reoffending_rates(rates)
    chosen = table.loc[
        (table["measure"].astype(str).str.strip() == str(measure).strip())
        & (table["cohort"].astype(str).str.strip() == str(cohort).strip())
    ]
    if chosen.empty:
        raise ValueError(f"no rows for measure {measure!r} and cohort {cohort!r}")
    return chosen.sort_values("area_id", kind="stable").reset_index(drop=True)


def _float(series: pd.Series) -> np.ndarray:
    return pd.to_numeric(series, errors="coerce").astype("Float64").to_numpy(
        dtype="float64", na_value=np.nan
    )


def _proportion_bounds(target: float, spread: np.ndarray, z: float) -> tuple[np.ndarray, ...]:
    """Back-transformed arcsine limits in percent: sin²(T ∓ z·spread), T clipped to [0, π/2]."""
    t = math.asin(math.sqrt(target))
    low = np.sin(np.clip(t - z * spread, 0.0, math.pi / 2)) ** 2 * 100.0
    high = np.sin(np.clip(t + z * spread, 0.0, math.pi / 2)) ** 2 * 100.0
    return low, high


def funnel_limits(
    rates: pd.DataFrame, *, measure: str, cohort: str, overdispersion: bool = True
) -> pd.DataFrame:
    """Funnel plot limits for the reoffending rate (a proportion) of each area in one cohort.

    Spiegelhalter D.J. (2005) Funnel plots for comparing institutional performance, Stat Med
    24:1185-1202 (doi:10.1002/sim.1970), arcsine-square-root transform, as NHS-R FunnelPlotR
    (data_type "PR"): target θ = ΣO/Σn (pooled), T = asin(√θ), Yᵢ = asin(√pᵢ),
    sᵢ = 1/(2√nᵢ), zᵢ = (Yᵢ − T)/√(sᵢ² + τ²); limits sin²(T ∓ z·√(s² + τ²)) at z = 1.959964
    (95%) and 3.090232 (99.8%). Overdispersion (Spiegelhalter, Sherlaw-Johnson et al. 2012,
    Stat Med 31:2629-2636): zᵢ winsorised 10% each end, φ = mean(z²),
    τ² = max(0, (kφ − (k−1))/(Σw − Σw²/Σw)), w = 1/s², applied only when kφ > k − 1.

    Uses counts where given, otherwise the published rate with offenders. Areas lacking
    offenders or a rate stay in the output with blank limits and position. Rates and limits
    in percent. Input not modified.
    """
    table = _select(rates, measure, cohort)
    n = _float(table["offenders"])
    p = _float(table["rate"]) / 100.0
    usable = (n > 0) & np.isfinite(p) & (p >= 0) & (p <= 1)
    if (~usable).any():
        logger.warning(
            "funnel %s %s: no limits for %s (offenders or rate missing)",
            measure, cohort, ", ".join(map(str, table.loc[~usable, "area_id"])),
        )
    if not usable.any():
        raise ValueError(f"no area has offenders and a rate for {measure!r} {cohort!r}")
    counts = _float(table["reoffenders"])
    observed = np.where(np.isnan(counts), p * n, counts)
    target = float(observed[usable].sum() / n[usable].sum())
    t = math.asin(math.sqrt(target))
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.where(usable, np.arcsin(np.sqrt(np.clip(p, 0, 1))), np.nan)
        s = np.where(usable, 1.0 / (2.0 * np.sqrt(n)), np.nan)
        z_raw = (y - t) / s
    phi, tau2, applied = (math.nan, 0.0, False)
    if overdispersion:
        phi, tau2, applied = _overdispersion(z_raw[usable], s[usable])
    spread = np.sqrt(s**2 + tau2)
    l95, u95 = _proportion_bounds(target, spread, Z95)
    l998, u998 = _proportion_bounds(target, spread, Z998)
    rate = p * 100.0
    method = _PROPORTION_METHOD + (
        _OD_OFF if not overdispersion else (_OD_APPLIED if applied else _OD_NOT_NEEDED)
    )
    return pd.DataFrame(
        {
            "area_id": table["area_id"],
            "measure": table["measure"],
            "cohort": table["cohort"],
            "offenders": table["offenders"],
            "reoffenders": table["reoffenders"],
            "rate": rate,
            "target": target * 100.0,
            "z": (y - t) / spread,
            "lower95": l95,
            "upper95": u95,
            "lower998": l998,
            "upper998": u998,
            "position": _position(rate, l95, u95, l998, u998),
            "phi": phi,
            "tau2": tau2,
            "method": method,
        }
    )


def funnel_curve(pooled: float, n_range: Iterable[float], tau2: float = 0.0) -> pd.DataFrame:
    """Funnel lines for drawing: limits for a proportion at each cohort size n.

    Spiegelhalter (2005) arcsine transform: T = asin(√θ) with θ = pooled/100,
    limits sin²(T ∓ z·√(1/(4n) + τ²)) at z = 1.959964 and 3.090232, in percent.
    """
    n = np.asarray(list(n_range), dtype="float64")
    if not 0 <= pooled <= 100:
        raise ValueError(f"pooled rate must be a percentage 0-100, got {pooled}")
    if (n <= 0).any():
        raise ValueError("cohort sizes must be positive")
    spread = np.sqrt(1.0 / (4.0 * n) + tau2)
    l95, u95 = _proportion_bounds(pooled / 100.0, spread, Z95)
    l998, u998 = _proportion_bounds(pooled / 100.0, spread, Z998)
    return pd.DataFrame(
        {"offenders": n, "target": float(pooled), "lower95": l95, "upper95": u95,
         "lower998": l998, "upper998": u998}
    )


def funnel_ratio_limits(
    rates: pd.DataFrame,
    *,
    measure: str,
    cohort: str,
    overdispersion: bool = True,
    target: float | None = 1.0,
) -> pd.DataFrame:
    """Funnel limits for actual against predicted: ratio of observed to expected reoffenders.

    Spiegelhalter (2005) for indirectly standardised ratios, log transform as FunnelPlotR
    (data_type "SR", SHMI method): O = reoffenders, E = offenders·predicted_rate/100,
    Yᵢ = log(Oᵢ/Eᵢ), sᵢ = 1/√Eᵢ, T = log(target) (target 1 = as predicted; ``None`` uses the
    pooled ΣO/ΣE), zᵢ = (Yᵢ − T)/√(sᵢ² + τ²); limits target·exp(∓ z·√(s² + τ²)) at
    z = 1.959964 and 3.090232, with the same overdispersion adjustment as :func:`funnel_limits`
    (areas with O = 0 have Y = −∞ and are left out of the φ estimate). Input not modified.
    """
    table = _select(rates, measure, cohort)
    n = _float(table["offenders"])
    counts = _float(table["reoffenders"])
    observed = np.where(np.isnan(counts), _float(table["rate"]) * n / 100.0, counts)
    expected = n * _float(table["predicted_rate"]) / 100.0
    usable = np.isfinite(observed) & np.isfinite(expected) & (expected > 0) & (observed >= 0)
    if (~usable).any():
        logger.warning(
            "ratio funnel %s %s: no limits for %s (counts or predicted rate missing)",
            measure, cohort, ", ".join(map(str, table.loc[~usable, "area_id"])),
        )
    if not usable.any():
        raise ValueError(f"no area has observed and expected counts for {measure!r} {cohort!r}")
    if target is None:
        target = float(observed[usable].sum() / expected[usable].sum())
    if target <= 0:
        raise ValueError("target ratio must be positive")
    t = math.log(target)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(usable, observed / expected, np.nan)
        y = np.log(ratio)
        s = np.where(usable, 1.0 / np.sqrt(expected), np.nan)
        z_raw = (y - t) / s
    phi, tau2, applied = (math.nan, 0.0, False)
    if overdispersion:
        phi, tau2, applied = _overdispersion(z_raw[usable], s[usable])
    spread = np.sqrt(s**2 + tau2)
    l95, u95 = target * np.exp(-Z95 * spread), target * np.exp(Z95 * spread)
    l998, u998 = target * np.exp(-Z998 * spread), target * np.exp(Z998 * spread)
    method = _RATIO_METHOD + (
        _OD_OFF if not overdispersion else (_OD_APPLIED if applied else _OD_NOT_NEEDED)
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (y - t) / spread
    return pd.DataFrame(
        {
            "area_id": table["area_id"],
            "measure": table["measure"],
            "cohort": table["cohort"],
            "offenders": table["offenders"],
            "reoffenders": observed,
            "expected_reoffenders": expected,
            "ratio": ratio,
            "target": target,
            "z": z,
            "lower95": l95,
            "upper95": u95,
            "lower998": l998,
            "upper998": u998,
            "position": _position(ratio, l95, u95, l998, u998),
            "phi": phi,
            "tau2": tau2,
            "method": method,
        }
    )


def funnel_ratio_curve(
    target: float, expected_range: Iterable[float], tau2: float = 0.0
) -> pd.DataFrame:
    """Funnel lines for observed/expected: target·exp(∓ z·√(1/E + τ²)) (Spiegelhalter 2005)."""
    e = np.asarray(list(expected_range), dtype="float64")
    if target <= 0 or (e <= 0).any():
        raise ValueError("target and expected counts must be positive")
    spread = np.sqrt(1.0 / e + tau2)
    return pd.DataFrame(
        {
            "expected_reoffenders": e,
            "target": float(target),
            "lower95": target * np.exp(-Z95 * spread),
            "upper95": target * np.exp(Z95 * spread),
            "lower998": target * np.exp(-Z998 * spread),
            "upper998": target * np.exp(Z998 * spread),
        }
    )
