"""Funnel plot limits for reoffending rates (proportions) and actual/predicted ratios.

Defaults follow NHS-R FunnelPlotR 0.6.0 (``funnel_plot``: arcsine limits for proportions, exact
Poisson or SHMI log-normal limits for ratios, overdispersion after Spiegelhalter et al. 2012);
UKHSA PHEindicatormethods 2.1.0 (``calculate_funnel_limits``, ``assign_funnel_significance``) is
reachable by option, and the workbook's earlier method only through options named legacy.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from analysis._funnel_forms import (
    arcsine_bounds,
    exact_bounds,
    fpr_z,
    log_normal_bounds,
    phe_bounds,
    phe_points,
    phe_position,
    wilson_bounds,
)
from analysis.labels import level_percent
from analysis.reoffending import reoffending_rates

__all__ = [
    "DEFAULT_LEVELS",
    "OVERDISPERSION_TRIMS",
    "PROPORTION_METHODS",
    "RATIO_LIMITS",
    "Z95",
    "Z998",
    "funnel_curve",
    "funnel_limits",
    "funnel_ratio_curve",
    "funnel_ratio_limits",
    "funnel_ratio_points",
    "LIMIT_COLUMNS",
]

logger = logging.getLogger(__name__)

Z95 = 1.959964
"""Two-sided 95% normal quantile as FunnelPlotR writes it (R/calculate_limits.R)."""
Z998 = 3.090232
"""Two-sided 99.8% normal quantile as FunnelPlotR writes it."""

DEFAULT_LEVELS = (0.95, 0.998)
"""Limits drawn by FunnelPlotR and PHEindicatormethods: 95% and 99.8%."""
PROPORTION_METHODS = ("arcsine", "wilson", "legacy")
"""funnel_limits(method=...): FunnelPlotR arcsine, PHEindicatormethods Wilson, the old rule."""
RATIO_LIMITS = ("auto", "exact", "log-normal", "phe", "legacy")
"""funnel_ratio_limits(limits=...): see its docstring."""
OVERDISPERSION_TRIMS = ("truncate", "winsorise")
"""How extreme z-scores are handled before φ: FunnelPlotR ``truncation`` or ``winsorisation``."""

_FPR = "NHS-R FunnelPlotR 0.6.0"
_PHE = "UKHSA PHEindicatormethods 2.1.0"
_SPIEGELHALTER = "Spiegelhalter (2005, Stat Med 24:1185)"
_OD = "Spiegelhalter et al. 2012 (Stat Med 31:2629)"


# ---------------------------------------------------------------------------------------------
# Options


def _choice(option: str, value: object, allowed: Sequence[str]) -> str:
    if value not in allowed:
        raise ValueError(f"{option}={value!r} is not allowed; choose one of {', '.join(map(repr, allowed))}")
    return str(value)


def _levels(levels: Sequence[float]) -> tuple[float, float]:
    try:
        pair = tuple(float(v) for v in levels)
    except (TypeError, ValueError):
        raise ValueError(f"levels={levels!r} must be two confidence levels such as (0.95, 0.998)") from None
    if len(pair) != 2 or not all(0 < v < 1 for v in pair) or pair[0] == pair[1]:
        raise ValueError(f"levels={levels!r} must be two different confidence levels strictly between 0 "
                         "and 1, such as (0.95, 0.998)")
    return (min(pair), max(pair))


def _trim_by(trim_by: float) -> float:
    if not 0 < trim_by < 0.5:
        raise ValueError(f"trim_by={trim_by!r} must be a fraction strictly between 0 and 0.5 (default 0.1)")
    return float(trim_by)


#: The limit columns of every funnel table and curve, inner level first. Which levels they are
#: is in ``level_inner`` and ``level_outer`` (0.95 and 0.998 unless asked otherwise), so a table's
#: columns are the same whatever levels it was drawn at.
LIMIT_COLUMNS = ("lower_inner", "upper_inner", "lower_outer", "upper_outer")


def _level_columns(levels: tuple[float, float]) -> dict[str, float]:
    return {"level_inner": levels[0], "level_outer": levels[1]}


# ---------------------------------------------------------------------------------------------
# Overdispersion


def _truncated(z: np.ndarray, trim_by: float) -> np.ndarray:
    """FunnelPlotR ``truncation`` (SHMI): rank the z-scores (ties averaged), group g = ⌊rank·k/(n+1)⌋
    with k = 1/trim_by; groups 0 and k − 1 and above are dropped. True = dropped."""
    k = 1.0 / trim_by
    ranks = pd.Series(z).rank(method="average").to_numpy()
    group = np.floor(ranks * k / (len(z) + 1))
    return ~((group > 0) & (group < k - 1))


def _overdispersion(
    z: np.ndarray,
    s: np.ndarray,
    *,
    trim: str = "truncate",
    trim_by: float = 0.1,
    rule: str = "phi>1",
) -> tuple[float, float, bool]:
    """φ and τ² as FunnelPlotR 0.6.0 (R/od_adjustment.R, R/funnel_plot.R): (phi, tau2, applied).

    trim "truncate" (``truncation``, SHMI): z-scores in the lowest and highest trim_by of ranks are
    dropped; "winsorise" (``winsorisation``): z clipped to its trim_by and 1 − trim_by quantiles
    (R type 7). φ = mean(z²) over the m kept scores (``phi_func``); τ² = 0 when mφ < m − 1, else
    max(0, (mφ − (m − 1))/(Σw − Σw²/Σw)), w = 1/s² over the kept areas (``tau_func``).
    rule "phi>1": applied only when φ > 1 (FunnelPlotR draws unadjusted limits otherwise);
    "legacy": whenever mφ > m − 1 and τ² > 0 (the workbook's earlier rule). tau2 is the estimate
    whether applied or not. Areas whose z is infinite (O = 0 on the log scale) are ranked but
    never kept.
    """
    ok = np.isfinite(s) & (s > 0) & ~np.isnan(z)
    z, s = z[ok], s[ok]
    if trim == "truncate":
        keep = ~_truncated(z, trim_by) & np.isfinite(z)
        zk, sk = z[keep], s[keep]
    else:
        finite = np.isfinite(z)
        zk, sk = z[finite], s[finite]
        if len(zk):
            low, high = np.quantile(zk, [trim_by, 1 - trim_by])
            zk = np.clip(zk, low, high)
    m = len(zk)
    if m < 2:
        logger.warning("overdispersion needs at least two areas with a z-score; none estimated")
        return (math.nan, 0.0, False)
    phi = float(np.mean(zk**2))
    w = 1.0 / sk**2
    denominator = float(w.sum() - (w**2).sum() / w.sum())
    if m * phi < m - 1 or denominator <= 0:
        tau2 = 0.0
    else:
        tau2 = max(0.0, (m * phi - (m - 1)) / denominator)
    applied = phi > 1 and denominator > 0 if rule == "phi>1" else (m * phi > m - 1 and tau2 > 0)
    return (phi, float(tau2), bool(applied))


def _od_text(overdispersion: bool, applied: bool, phi: float, tau2: float, trim: str, trim_by: float,
             rule: str, form: bool) -> str:
    how = (f"z-scores {'truncated' if trim == 'truncate' else 'Winsorised'} {trim_by:g} each end "
           f"(FunnelPlotR {'truncation' if trim == 'truncate' else 'winsorisation'}), phi = mean(z^2), "
           "tau2 = (m*phi - (m-1))/(sum w - sum w^2/sum w), w = 1/s^2")
    when = "phi > 1 (FunnelPlotR)" if rule == "phi>1" else "m*phi > m-1 (legacy)"
    if not overdispersion:
        return "; overdispersion adjustment off"
    if not form:
        return (f"; overdispersion ({_OD}: {how}) phi = {phi:.4g} reported, not applied: these limits "
                "have no overdispersion form")
    if applied:
        return f"; overdispersion ({_OD}) applied as {when}: phi = {phi:.4g}, tau2 = {tau2:.4g}; {how}"
    return f"; no overdispersion adjustment: needs {when}, phi = {phi:.4g} ({how})"


# ---------------------------------------------------------------------------------------------
# Shared table helpers


def _position(value: np.ndarray, lo_in: np.ndarray, hi_in: np.ndarray, lo_out: np.ndarray,
              hi_out: np.ndarray, levels: tuple[float, float]) -> pd.array:
    """Position against the limits; on a limit counts as within (FunnelPlotR ``outliers_func``,
    PHEindicatormethods strict comparisons); NA if unknown."""
    inner, outer = (level_percent(v) for v in levels)
    labels: list[object] = []
    for v, a, b, c, d in zip(value, lo_in, hi_in, lo_out, hi_out, strict=True):
        if np.isnan(v) or np.isnan(a):
            labels.append(pd.NA)
        elif v > d:
            labels.append(f"above {outer}")
        elif v > b:
            labels.append(f"above {inner}")
        elif v < c:
            labels.append(f"below {outer}")
        elif v < a:
            labels.append(f"below {inner}")
        else:
            labels.append("within")
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


def _limits_frame(columns: tuple[str, ...], bounds: Sequence[np.ndarray]) -> dict[str, np.ndarray]:
    return dict(zip(columns, bounds, strict=True))


# ---------------------------------------------------------------------------------------------
# Proportions


def _proportion_limits(target: float, n: np.ndarray, tau2: float, method: str,
                       levels: tuple[float, float]) -> list[np.ndarray]:
    out: list[np.ndarray] = []
    for level in levels:
        if method == "wilson":
            out.extend(wilson_bounds(target, n, level))
        else:
            out.extend(arcsine_bounds(target, np.sqrt(1.0 / (4.0 * n) + tau2), fpr_z(level)))
    return out


def _proportion_text(method: str, levels: tuple[float, float]) -> str:
    at = f"at {level_percent(levels[0])} and {level_percent(levels[1])}"
    if method == "wilson":
        return (f"{_PHE} calculate_funnel_limits / assign_funnel_significance (statistic 'proportion'): "
                f"Wilson-score limits, the proportion whose Wilson interval touches the pooled rate "
                f"sum O/sum n (sigma_adjustment), {at}")
    name = f"{_FPR} funnel_plot (data_type 'PR')" if method == "arcsine" else "legacy workbook rule"
    return (f"{_SPIEGELHALTER} arcsine funnel as {name}: Y = asin(sqrt(p)), s = 1/(2*sqrt(n)), target "
            f"sum O/sum n, limits sin^2(T -/+ z*sqrt(s^2 + tau2)) {at}, z = qnorm to 6 decimals")


def funnel_limits(
    rates: pd.DataFrame,
    *,
    measure: str,
    cohort: str,
    overdispersion: bool = True,
    method: str = "arcsine",
    levels: Sequence[float] = DEFAULT_LEVELS,
    overdispersion_trim: str = "winsorise",
    trim_by: float = 0.1,
) -> pd.DataFrame:
    """Funnel plot limits for the reoffending rate (a proportion) of each area in one cohort.

    ``method="arcsine"`` (default): Spiegelhalter D.J. (2005) Funnel plots for comparing
    institutional performance, Stat Med 24:1185-1202, as NHS-R FunnelPlotR 0.6.0 ``funnel_plot``
    (data_type "PR", R/calculate_limits.R): θ = ΣO/Σn, T = asin(√θ), Yᵢ = asin(√pᵢ),
    sᵢ = 1/(2√nᵢ), limits sin²(T ∓ z·√(s² + τ²)) with z = 1.959964 and 3.090232 (the normal
    quantile to 6 decimals, as FunnelPlotR writes it), clipped to 0–100%. Overdispersion
    (Spiegelhalter, Sherlaw-Johnson et al. 2012, Stat Med 31:2629-2636) as FunnelPlotR: see
    ``_overdispersion``; FunnelPlotR winsorises proportions' z-scores (``overdispersion_trim``
    "winsorise", ``trim_by`` 0.1) and widens the limits only when φ > 1.

    ``method="wilson"``: UKHSA PHEindicatormethods 2.1.0 ``calculate_funnel_limits`` /
    ``assign_funnel_significance`` (statistic "proportion"): each limit is the proportion whose
    Wilson score interval at that level touches θ (``sigma_adjustment``); PHE has no
    overdispersion adjustment, so φ is reported but not applied.

    ``method="legacy"``: the workbook's earlier arcsine funnel, τ² applied whenever mφ > m − 1.

    ``levels``: the two confidence levels (default 0.95 and 0.998); the limits are in
    ``LIMIT_COLUMNS`` (lower_inner … upper_outer), the levels in level_inner and level_outer.
    ``z`` is the arcsine z-score against the limits used, ``z_unadjusted`` (Yᵢ − T)/sᵢ
    (FunnelPlotR's). Areas lacking offenders or a rate stay in the output with blank limits and
    position. Rates and limits in percent.
    Input not modified.
    """
    method = _choice("method", method, PROPORTION_METHODS)
    overdispersion_trim = _choice("overdispersion_trim", overdispersion_trim, OVERDISPERSION_TRIMS)
    levels = _levels(levels)
    trim_by = _trim_by(trim_by)
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
    rule = "legacy" if method == "legacy" else "phi>1"
    if overdispersion:
        phi, tau2, applied = _overdispersion(z_raw[usable], s[usable], trim=overdispersion_trim,
                                             trim_by=trim_by, rule=rule)
    applied = applied and method != "wilson"
    used_tau2 = tau2 if applied else 0.0
    bounds = _proportion_limits(target, np.where(usable, n, np.nan), used_tau2, method, levels)
    rate = p * 100.0
    text = _proportion_text(method, levels) + _od_text(
        overdispersion, applied, phi, tau2, overdispersion_trim, trim_by, rule, method != "wilson")
    return pd.DataFrame(
        {
            "area_id": table["area_id"],
            "measure": table["measure"],
            "cohort": table["cohort"],
            "offenders": table["offenders"],
            "reoffenders": table["reoffenders"],
            "rate": rate,
            "target": target * 100.0,
            "z": (y - t) / np.sqrt(s**2 + used_tau2),
            "z_unadjusted": z_raw,
            **_limit_columns(bounds, _position(rate, *bounds, levels), levels, phi, used_tau2, applied,
                             "legacy-arcsine" if method == "legacy" else method, text),
        }
    )


def _limit_columns(bounds: tuple[np.ndarray, ...], position: pd.Series | np.ndarray, levels: Sequence[float],
                   phi: float, tau2: float, applied: bool, limits_method: str, text: str) -> dict:
    """The columns every funnel table ends with: the limits, each point's position against them,
    the overdispersion used and the method in words (proportion and ratio funnels alike)."""
    return {
        **_limits_frame(LIMIT_COLUMNS, bounds),
        "position": position,
        "phi": phi,
        "tau2": tau2,
        "overdispersion_applied": applied,
        "limits_method": limits_method,
        **_level_columns(levels),
        "method": text,
    }


def funnel_curve(
    pooled: float,
    n_range: Iterable[float],
    tau2: float = 0.0,
    *,
    method: str = "arcsine",
    levels: Sequence[float] = DEFAULT_LEVELS,
) -> pd.DataFrame:
    """Funnel lines for drawing: limits for a proportion at each cohort size n, in percent.

    ``method="arcsine"`` (default; also "legacy"): Spiegelhalter (2005) as FunnelPlotR 0.6.0
    ``calculate_limits`` (data_type "PR"): θ = pooled/100, sin²(asin(√θ) ∓ z·√(1/(4n) + τ²)),
    z = 1.959964 and 3.090232 at the default levels, clipped to 0–100%.
    ``method="wilson"``: PHEindicatormethods 2.1.0 ``calculate_funnel_limits`` (statistic
    "proportion", ``sigma_adjustment``), which has no τ² (a non-zero ``tau2`` is an error).
    Columns: offenders, target, then ``LIMIT_COLUMNS``, level_inner and level_outer.
    """
    method = _choice("method", method, PROPORTION_METHODS)
    levels = _levels(levels)
    n = np.asarray(list(n_range), dtype="float64")
    if not 0 <= pooled <= 100:
        raise ValueError(f"pooled rate must be a percentage 0-100, got {pooled}")
    if (n <= 0).any():
        raise ValueError("cohort sizes must be positive")
    if method == "wilson" and tau2:
        raise ValueError("method='wilson' limits (PHEindicatormethods) have no overdispersion form; "
                         "pass tau2=0")
    bounds = _proportion_limits(pooled / 100.0, n, tau2, method, levels)
    return pd.DataFrame({"offenders": n, "target": float(pooled),
                         **_limits_frame(LIMIT_COLUMNS, bounds), **_level_columns(levels)})


# ---------------------------------------------------------------------------------------------
# Ratios of observed to expected


def _ratio_bounds(form: str, target: float, e: np.ndarray, tau2: float,
                  levels: tuple[float, float]) -> list[np.ndarray]:
    out: list[np.ndarray] = []
    for level in levels:
        if form == "exact":
            out.extend(exact_bounds(target, e, level))
        elif form == "phe":
            out.extend(phe_bounds(target, e, level))
        else:
            out.extend(log_normal_bounds(target, e, tau2, fpr_z(level)))
    return out


_RATIO_FORM_TEXT = {
    "exact": (f"exact Poisson limits as {_FPR} calculate_limits (data_type 'SR', unadjusted): "
              "qchisq(a/2, 2E)/(2E), qchisq(1 - a/2, 2(E + 1))/(2E) times the target"),
    "log-normal": (f"{_SPIEGELHALTER} log-normal limits as {_FPR} calculate_limits (SR, sr_method "
                   "'SHMI'): target*exp(-/+ z*sqrt(1/E + tau2)), z = qnorm to 6 decimals"),
    "phe": (f"exact Poisson limits as {_PHE} calculate_funnel_limits (statistic 'ratio', "
            "poisson_funnel); significance as assign_funnel_significance (exact Poisson below 10 "
            "events, Byar's otherwise)"),
    "legacy": "legacy workbook rule: log-normal limits target*exp(-/+ z*sqrt(1/E + tau2))",
}


def funnel_ratio_limits(
    rates: pd.DataFrame,
    *,
    measure: str,
    cohort: str,
    overdispersion: bool = True,
    target: float | None = 1.0,
    limits: str = "auto",
    levels: Sequence[float] = DEFAULT_LEVELS,
    overdispersion_trim: str | None = None,
    trim_by: float = 0.1,
    shmi_rounding: bool = True,
) -> pd.DataFrame:
    """Funnel limits for actual against predicted: ratio of observed to expected reoffenders.

    O = reoffenders, E = offenders·predicted_rate/100, ratio O/E, target 1 (as predicted; ``None``
    uses the pooled ΣO/ΣE). ``limits``:

    - "auto" (default): as NHS-R FunnelPlotR 0.6.0 ``funnel_plot`` (data_type "SR", sr_method
      "SHMI") draws them: exact Poisson limits (R/calculate_limits.R: qchisq(α/2, 2E)/(2E) and
      qchisq(1 − α/2, 2(E + 1))/(2E)) when no overdispersion adjustment applies, the SHMI
      log-normal limits target·exp(∓z·√(1/E + τ²)) (z = 1.959964, 3.090232) when it does;
    - "exact": exact Poisson limits always (φ reported, never applied);
    - "log-normal": the log-normal limits always, with τ² when the adjustment applies;
    - "phe": UKHSA PHEindicatormethods 2.1.0 ``calculate_funnel_limits`` (statistic "ratio",
      exact Poisson ``poisson_funnel``) for the limit columns and ``assign_funnel_significance``
      (exact Poisson below 10 events, Byar's otherwise) for ``position``; no overdispersion;
    - "legacy": the workbook's earlier method: log-normal limits, z Winsorised, τ² whenever
      mφ > m − 1.

    Overdispersion (Spiegelhalter et al. 2012, Stat Med 31:2629-2636) as FunnelPlotR: z-scores
    zᵢ = √Eᵢ·log(Oᵢ/(target·Eᵢ)), ``overdispersion_trim`` "truncate" (FunnelPlotR's SHMI
    ``truncation``, the default except under "legacy") or "winsorise", ``trim_by`` 0.1 at each
    end, φ = mean(z²) and τ² from the kept areas, applied only when φ > 1 (see
    ``_overdispersion``). ``shmi_rounding`` (FunnelPlotR ``SHMI_rounding``, default True, not
    under "phe"/"legacy"): E rounded to 2 decimals for z and limits; ``ratio`` uses E unrounded.
    ``z`` is against the limits used, ``z_unadjusted`` is FunnelPlotR's √E·log(O/(target·E)).
    Areas with O = 0 have z = −∞ and never enter φ. Input not modified.
    """
    limits = _choice("limits", limits, RATIO_LIMITS)
    if overdispersion_trim is None:
        overdispersion_trim = "winsorise" if limits == "legacy" else "truncate"
    overdispersion_trim = _choice("overdispersion_trim", overdispersion_trim, OVERDISPERSION_TRIMS)
    levels = _levels(levels)
    trim_by = _trim_by(trim_by)
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
    if not target > 0:
        raise ValueError(f"target={target!r}: the target ratio must be positive")
    e_used = np.where(usable, expected, np.nan)
    if shmi_rounding and limits not in ("phe", "legacy"):
        rounded = np.round(e_used, 2)
        e_used = np.where(rounded > 0, rounded, e_used)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(usable, observed / expected, np.nan)
        y = np.log(observed / e_used)
        s = 1.0 / np.sqrt(e_used)
        z_raw = (y - math.log(target)) / s
    rule = "legacy" if limits == "legacy" else "phi>1"
    phi, tau2, applied = (math.nan, 0.0, False)
    if overdispersion:
        phi, tau2, applied = _overdispersion(z_raw[usable], s[usable], trim=overdispersion_trim,
                                             trim_by=trim_by, rule=rule)
    has_form = limits in ("auto", "log-normal", "legacy")
    applied = applied and has_form
    used_tau2 = tau2 if applied else 0.0
    form = {"auto": "log-normal" if applied else "exact", "legacy": "log-normal"}.get(limits, limits)
    bounds = _ratio_bounds(form, target, e_used, used_tau2, levels)
    if limits == "phe":
        position = phe_position(np.where(usable, observed, np.nan), e_used, target, levels)
    else:
        position = _position(ratio, *bounds, levels)
    at = f" at {level_percent(levels[0])} and {level_percent(levels[1])}"
    text = (_RATIO_FORM_TEXT["legacy" if limits == "legacy" else form] + at
            + f"; O = reoffenders, E = offenders*predicted rate, ratio O/E, target {target:.4g}"
            + _od_text(overdispersion, applied, phi, tau2, overdispersion_trim, trim_by, rule, has_form))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (y - math.log(target)) / np.sqrt(s**2 + used_tau2)
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
            "z_unadjusted": z_raw,
            **_limit_columns(bounds, position, levels, phi, used_tau2, applied,
                             {"phe": "phe-exact", "legacy": "legacy-log-normal"}.get(limits, form), text),
        }
    )


def funnel_ratio_curve(
    target: float,
    expected_range: Iterable[float],
    tau2: float = 0.0,
    *,
    limits: str = "auto",
    levels: Sequence[float] = DEFAULT_LEVELS,
) -> pd.DataFrame:
    """Funnel lines for observed/expected at each expected count E.

    ``limits="auto"`` (default): as FunnelPlotR 0.6.0 ``calculate_limits`` (data_type "SR"):
    exact Poisson limits qchisq(α/2, 2μ)/(2E), qchisq(1 − α/2, 2(μ + 1))/(2E), μ = target·E, when
    τ² = 0; SHMI log-normal target·exp(∓z·√(1/E + τ²)) when τ² > 0. "exact" and "log-normal" force
    one form; "phe": PHEindicatormethods 2.1.0 ``calculate_funnel_limits`` (ratio) read at E;
    "legacy": log-normal. Exact and PHE limits have no τ² (a non-zero ``tau2`` is an error).
    Columns: expected_reoffenders, target, then ``LIMIT_COLUMNS``, level_inner and level_outer.
    """
    limits = _choice("limits", limits, RATIO_LIMITS)
    levels = _levels(levels)
    e = np.asarray(list(expected_range), dtype="float64")
    if not target > 0 or (e <= 0).any():
        raise ValueError("target and expected counts must be positive")
    if tau2 and limits in ("exact", "phe"):
        raise ValueError(f"limits={limits!r} has no overdispersion form; pass tau2=0")
    form = {"auto": "log-normal" if tau2 > 0 else "exact", "legacy": "log-normal"}.get(limits, limits)
    bounds = _ratio_bounds(form, float(target), e, tau2, levels)
    return pd.DataFrame({"expected_reoffenders": e, "target": float(target),
                         **_limits_frame(LIMIT_COLUMNS, bounds), **_level_columns(levels)})


def funnel_ratio_points(
    observed: Iterable[float], *, target: float = 1.0, levels: Sequence[float] = DEFAULT_LEVELS
) -> pd.DataFrame:
    """PHE's own table of ratio-funnel points: UKHSA PHEindicatormethods 2.1.0
    ``calculate_funnel_limits`` (statistic "ratio", ratio_type "isr" without its ×100), step for
    step (``poisson_funnel``: bisection to dv ≤ 1e-7, exact Poisson probabilities).

    For each observed count O: ``expected_lower_inner`` is the expected count E at which O sits on
    the lower inner (default 95%) limit (P(X ≤ O | target·E) = 0.025) and ``lower_inner`` = O/E;
    likewise upper (P(X ≥ O | target·E) = 0.025) and the outer level. ``funnel_ratio_curve(limits=
    "phe")`` draws the same curve read at any E. Columns: observed, then expected_<limit> and
    <limit> for each of ``LIMIT_COLUMNS``, then level_inner and level_outer.
    """
    levels = _levels(levels)
    o = np.asarray(list(observed), dtype="float64")
    if (o < 0).any() or np.isnan(o).any():
        raise ValueError("observed counts must be zero or more")
    if not target > 0:
        raise ValueError(f"target={target!r}: the target ratio must be positive")
    points = phe_points(o, float(target), levels)
    columns = {"observed": o}
    for name in LIMIT_COLUMNS:
        columns[f"expected_{name}"] = points[f"expected_{name}"]
        columns[name] = points[name]
    return pd.DataFrame({**columns, **_level_columns(levels)})
