"""The limit forms of the funnel (analysis.funnel): arcsine and log-normal (NHS-R FunnelPlotR 0.6.0,
R/calculate_limits.R), exact Poisson (FunnelPlotR; UKHSA PHEindicatormethods 2.1.0, R/utils.R
``poisson_funnel``, ``funnel_ratio_significance``) and Wilson-score (PHEindicatormethods
``sigma_adjustment``). Each returns limits for one confidence level; analysis.funnel builds tables.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from analysis.labels import level_percent

# The regularised incomplete gamma functions P and Q, Q's inverse and the normal quantile: scipy's
# (Cephes) rather than our own, so the exact Poisson limits rest on a library others check.
gammainc_p, gammainc_q, gammaincinv = special.gammainc, special.gammaincc, special.gammaincinv


def norm_quantile(p: float) -> float:
    return float(stats.norm.ppf(p))


def solve_increasing(f: Callable[[float], float], target: float, lo: float, hi: float) -> float:
    """Root of f(v) = target for f increasing on [lo, hi] (Brent's method, relative tolerance
    1e-13); hi is doubled until it brackets the root."""
    for _ in range(200):
        if f(hi) >= target:
            break
        lo, hi = hi, hi * 2.0
    return float(optimize.brentq(lambda v: f(v) - target, lo, hi, xtol=1e-300, rtol=1e-13, maxiter=500))


def fpr_z(level: float) -> float:
    """The two-sided normal quantile as FunnelPlotR writes it (1.959964, 3.090232): 6 decimals."""
    return round(norm_quantile(0.5 + level / 2), 6)


def arcsine_bounds(target: float, spread: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    """sin²(T ∓ z·spread) in percent, T = asin(√θ), the angle clipped to [0, π/2] (FunnelPlotR
    truncates at 0 and 1 and where the arcsine limits turn back at small n)."""
    t = math.asin(math.sqrt(target))
    low = np.sin(np.clip(t - z * spread, 0.0, math.pi / 2)) ** 2 * 100.0
    high = np.sin(np.clip(t + z * spread, 0.0, math.pi / 2)) ** 2 * 100.0
    return low, high


def wilson_bounds(target: float, n: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """PHEindicatormethods ``sigma_adjustment``: the proportion whose Wilson score interval at this
    level just touches the target θ, in percent, clipped to [0, 100]."""
    z2 = norm_quantile(0.5 + level / 2) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        first = target * (n / z2 + 1)
        adj = np.sqrt((-8 * target * (n / z2 + 1)) ** 2 - 64 * (1 / z2 + 1 / n) * target
                      * (n * (target * (n / z2 + 2) - 1) + z2 * (target - 1)))
        last = 1 / z2 + 1 / n
        low = (first - adj / 8) / last / n
        high = (first + adj / 8) / last / n
    return np.clip(low, 0, 1) * 100.0, np.clip(high, 0, 1) * 100.0




def exact_bounds(target: float, e: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """FunnelPlotR exact Poisson (chi-square) limits at expected count E:
    qchisq(α/2, 2μ)/(2E) and qchisq(1 − α/2, 2(μ + 1))/(2E), μ = target·E (FunnelPlotR: target 1)."""
    alpha = 1 - level
    low = np.full(e.shape, np.nan)
    high = np.full(e.shape, np.nan)
    for i, ei in enumerate(e):
        if np.isfinite(ei) and ei > 0:
            mu = target * ei
            low[i] = gammaincinv(mu, alpha / 2) / ei
            high[i] = gammaincinv(mu + 1, 1 - alpha / 2) / ei
    return low, high


def phe_bounds(target: float, e: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """PHEindicatormethods ``calculate_funnel_limits`` (ratio, ``poisson_funnel``) read at E: the
    observed count O on each limit, ratio O/E. Lower: μ = target·E is O's exact upper limit,
    P(X ≤ O | μ) = α/2, i.e. Q(O + 1, μ) = α/2 (0 when no O ≥ 0 qualifies); upper: μ is O's exact
    lower limit, Q(O, μ) = 1 − α/2. O is continuous, so the curve passes through PHE's points."""
    alpha = 1 - level
    low = np.full(e.shape, np.nan)
    high = np.full(e.shape, np.nan)
    for i, ei in enumerate(e):
        if not (np.isfinite(ei) and ei > 0):
            continue
        mu = target * ei
        start = mu + 10 * math.sqrt(mu) + 10
        if gammainc_q(1.0, mu) >= alpha / 2:
            low[i] = 0.0
        else:
            low[i] = (solve_increasing(lambda a, m=mu: gammainc_q(a, m), alpha / 2, 1.0, start) - 1) / ei
        high[i] = solve_increasing(lambda a, m=mu: gammainc_q(a, m), 1 - alpha / 2, 1e-12, start) / ei
    return low, high


def log_normal_bounds(target: float, e: np.ndarray, tau2: float, z: float) -> tuple[np.ndarray, ...]:
    spread = np.sqrt(1.0 / e + tau2)
    return target * np.exp(-z * spread), target * np.exp(z * spread)




def phe_ci(o: float, level: float, side: str) -> float:
    """PHEindicatormethods ``funnel_ratio_significance``: exact Poisson (chi-square) limit of the
    count for O < 10, Byar's approximation otherwise."""
    if side == "low" and o == 0:
        return 0.0
    z = norm_quantile(0.5 + level / 2)
    if o < 10:
        return gammaincinv(o, (1 - level) / 2) if side == "low" else gammaincinv(o + 1, 0.5 + level / 2)
    if side == "low":
        return o * (1 - 1 / (9 * o) - z / 3 / math.sqrt(o)) ** 3
    return (o + 1) * (1 - 1 / (9 * (o + 1)) + z / 3 / math.sqrt(o + 1)) ** 3


def phe_position(o: np.ndarray, e: np.ndarray, target: float, levels: tuple[float, float]) -> pd.array:
    """PHEindicatormethods ``assign_funnel_significance`` (statistic "ratio"): high when the
    target is below the area's lower confidence limit of O/E, low when above its upper one."""
    inner, outer = (level_percent(v) for v in levels)
    labels: list[object] = []
    for oi, ei in zip(o, e, strict=True):
        if np.isnan(oi) or np.isnan(ei) or ei <= 0:
            labels.append(pd.NA)
        elif target < phe_ci(oi, levels[1], "low") / ei:
            labels.append(f"above {outer}")
        elif target < phe_ci(oi, levels[0], "low") / ei:
            labels.append(f"above {inner}")
        elif target > phe_ci(oi, levels[1], "high") / ei:
            labels.append(f"below {outer}")
        elif target > phe_ci(oi, levels[0], "high") / ei:
            labels.append(f"below {inner}")
        else:
            labels.append("within")
    return pd.array(labels, dtype="string")


def _phe_poisson_funnel(obs: float, p: float, side: str) -> float:
    """PHEindicatormethods ``poisson_funnel`` step for step: bisection on v in (0, 1), mean
    m = (1 + obs)·v/(1 − v), halving dv from 0.5 while dv > 1e-7. "low": P(X ≥ obs | m) = p (the
    exact lower limit of obs); "high": P(X ≤ obs | m) = p (its upper limit). Its Poisson sums
    (``poisson_cis``) are the regularised gamma: P(X ≥ obs) = P(obs, m), P(X ≤ obs) = Q(obs + 1, m)."""
    v = dv = 0.5
    while dv > 1e-7:
        dv /= 2
        m = (1 + obs) * v / (1 - v)
        if side == "low":
            tail = 1.0 if obs == 0 else gammainc_p(obs, m)
            v = v - dv if tail > p else v + dv
        else:
            v = v - dv if gammainc_q(obs + 1, m) < p else v + dv
    return (1 + obs) * v / (1 - v)


def phe_points(observed: np.ndarray, target: float, levels: tuple[float, float]) -> dict[str, np.ndarray]:
    """PHEindicatormethods ``calculate_funnel_limits`` (statistic "ratio", ratio_type "isr" without
    the ×100): for each observed count O the expected count E at which O sits on each limit and the
    ratio O/E there; with a target t ≠ 1 (PHE: 1) the Poisson mean is t·E."""
    out: dict[str, np.ndarray] = {}
    for level, tag in zip(levels, ("_inner", "_outer"), strict=True):
        alpha = (1 - level) / 2
        for name, side in (("lower", "high"), ("upper", "low")):
            e = np.array([_phe_poisson_funnel(float(o), alpha, side) for o in observed]) / target
            out[f"expected_{name}{tag}"] = e
            out[f"{name}{tag}"] = np.asarray(observed, dtype="float64") / e
    return out
