"""Reoffending charts: rate trend, actual against predicted, XmR chart and funnel plot (drawing)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..disclosure import MARKER
from ..funnel import funnel_curve
from .base import (
    DARK_BLUE,
    DARK_GREY,
    GREY,
    NOTE_PT,
    ORANGE,
    PURPLE,
    Chart,
    figure,
    finish,
    style,
    xticks_cohorts,
)
from .prepare.reoffending import (
    Cohorts,
    Funnel,
    Spc,
    describe_difference,
    describe_funnel,
    describe_spc,
    describe_trend,
    prepare_cohorts,
    prepare_funnel,
    prepare_spc,
)
from .words import drawn_source, fmt

__all__ = ["difference_chart", "funnel_plot", "rate_trend", "xmr_chart"]

_VARIATION_STYLE = {
    # variation: (label, colour, marker)
    "improvement": ("Special cause: improvement", DARK_BLUE, "s"),
    "concern": ("Special cause: concern", ORANGE, "X"),
    "special cause": ("Special cause", PURPLE, "D"),
}


def _marks_withheld(ax, x: np.ndarray, y: float, transform=None) -> None:
    for xi in x:
        ax.text(xi, y, MARKER, transform=transform or ax.transData, ha="center", va="bottom",
                fontsize=NOTE_PT, fontweight="bold", color=DARK_GREY)


def draw_trend(c: Cohorts) -> Figure:
    """Actual rate (line), its interval (band), predicted rate (dashed), [c] where withheld."""
    f = c.frame
    x = np.arange(len(f))
    fig = figure()
    ax = fig.add_subplot()
    if f["ci_low"].notna().any():
        ax.fill_between(x, f["ci_low"], f["ci_high"], color=DARK_BLUE, alpha=0.18, linewidth=0,
                        label="95% confidence interval (Wilson)")
    ax.plot(x, f["rate"], color=DARK_BLUE, marker="o", markersize=5, label="Actual rate")
    if f["predicted"].notna().any():
        ax.plot(x, f["predicted"], color=ORANGE, linestyle="--", marker="s", markersize=4,
                label="Predicted rate")
    if c.benchmark:
        ax.plot(x, f["benchmark"], color=DARK_GREY, linestyle=":", marker="D", markersize=4,
                label=c.benchmark)
    _marks_withheld(ax, x[f["hidden"].to_numpy()], 0.04, ax.get_xaxis_transform())
    xticks_cohorts(ax, f["cohort"].tolist())
    ax.set_xlim(-0.5, len(x) - 0.5)
    values = f[["rate", "ci_low", "ci_high", "predicted", *(["benchmark"] if c.benchmark else [])]
               ].to_numpy(dtype=float).ravel()
    values = values[~np.isnan(values)]
    if values.size:
        span = max(values.max() - values.min(), 2.0)
        ax.set_ylim(max(0.0, values.min() - 0.25 * span), min(100.0, values.max() + 0.2 * span))
    ax.set_ylabel("Reoffending rate (%)")
    ax.set_xlabel("Cohort")
    ax.legend(loc="upper left", ncols=3, bbox_to_anchor=(0, 1.12), borderaxespad=0)
    return fig


def rate_trend(reoffending_rates: pd.DataFrame, *, threshold: int, area_id: str | None = None,
               measure: str | None = None, source: str | None = None,
               benchmark: pd.DataFrame | None = None, benchmark_name: str = "") -> Chart | None:
    """Reoffending rate by cohort with its 95% Wilson interval as a band and the predicted rate.

    Takes Results.reoffending_rates (``area_id``/``measure`` pick one series; default the
    first) and the build's disclosure `threshold`. Cohorts whose rate the disclosure layer
    withheld leave a gap marked "[c]". With ``benchmark`` (Results.benchmark) and its area's
    name, the benchmark area's rate per cohort as a dotted line. None when the series has no
    rate at all.
    """
    c = prepare_cohorts(reoffending_rates, threshold, area_id, measure, "rate", benchmark, benchmark_name)
    if c is None or (c.frame["rate"].isna().all() and c.frame["predicted"].isna().all()
                     and not c.frame["hidden"].any()):
        return None
    with style():
        fig = draw_trend(c)
    return finish(fig, describe_trend(c), source or drawn_source(
        reoffending_rates, area_id=area_id, measure=measure))


def _direction_notes(ax) -> None:
    for y, va, words in ((0.98, "top", "More reoffending than predicted \u2191"),
                         (0.02, "bottom", "Less reoffending than predicted \u2193")):
        ax.text(0.995, y, words, transform=ax.transAxes, ha="right", va=va, fontsize=NOTE_PT, color=DARK_GREY)


def draw_difference(c: Cohorts) -> Figure:
    """Bars of actual minus predicted; significant ones orange, hatched and starred."""
    f = c.frame
    x = np.arange(len(f))
    sig = f["significant"].to_numpy()
    heights = np.nan_to_num(f["difference"].to_numpy(dtype=float))
    fig = figure()
    ax = fig.add_subplot()
    ax.bar(x[~sig], heights[~sig], color=DARK_BLUE, width=0.7, label="Not significant")
    if sig.any():
        ax.bar(x[sig], heights[sig], color=ORANGE, width=0.7, hatch="//", edgecolor="black", linewidth=0.6,
               label="Significant at 5% (\u2605)")
    ax.axhline(0, color="black", linewidth=1)
    extent = max(float(np.nanmax(np.abs(f["difference"]))) if f["difference"].notna().any() else 1.0, 1.0)
    for xi in x[sig]:
        yv = heights[xi]
        ax.text(xi, yv + (0.06 if yv >= 0 else -0.06) * extent, "\u2605", ha="center",
                va="bottom" if yv >= 0 else "top", fontsize=11, color="black")
    _marks_withheld(ax, x[f["hidden"].to_numpy()], 0.06 * extent)
    ax.set_ylim(-1.35 * extent, 1.35 * extent)
    _direction_notes(ax)
    xticks_cohorts(ax, f["cohort"].tolist())
    ax.set_xlim(-0.6, len(x) - 0.4)
    ax.set_ylabel("Actual minus predicted\n(percentage points)")
    ax.set_xlabel("Cohort")
    ax.legend(loc="upper left", ncols=2, bbox_to_anchor=(0, 1.12), borderaxespad=0)
    return fig


def difference_chart(reoffending_rates: pd.DataFrame, *, threshold: int, area_id: str | None = None,
                     measure: str | None = None, source: str | None = None) -> Chart | None:
    """Actual minus predicted reoffending rate by cohort, in percentage points.

    Takes Results.reoffending_rates (``area_id``/``measure`` pick one series). Bars below zero
    mean fewer reoffended than predicted. Significant differences (5%, two-sided) are orange,
    hatched and starred (★); withheld cohorts show "[c]". None when there is no difference.
    """
    c = prepare_cohorts(reoffending_rates, threshold, area_id, measure, "difference")
    if c is None or (c.frame["difference"].isna().all() and not c.frame["hidden"].any()):
        return None
    with style():
        fig = draw_difference(c)
    return finish(fig, describe_difference(c), source or drawn_source(
        reoffending_rates, area_id=area_id, measure=measure))


def draw_spc(s: Spc) -> Figure:
    """Points joined in grey, special causes larger with their own marker, mean and limits."""
    f = s.frame
    x = np.arange(len(f))
    rate, special = f["rate"].to_numpy(dtype=float), f["special"].to_numpy()
    fig = figure()
    ax = fig.add_subplot()
    ax.plot(x, rate, color=GREY, linewidth=1.5, zorder=2)
    common = ~special & ~np.isnan(rate)
    ax.plot(x[common], rate[common], linestyle="none", marker="o", markersize=5, color=DARK_GREY,
            label="Common cause", zorder=3)
    for key, (label, colour, marker) in _VARIATION_STYLE.items():
        kinds = f["variation"].to_numpy()
        mine = (kinds == key) if key != "special cause" else ~np.isin(kinds, ["improvement", "concern"])
        mask = special & mine
        if mask.any():
            ax.plot(x[mask], rate[mask], linestyle="none", marker=marker, markersize=9, color=colour,
                    markeredgecolor="black", markeredgewidth=0.6, label=label, zorder=4)
    ax.plot(x, f["centre"], color="black", linewidth=1.2, label="Mean")
    ax.plot(x, f["lower"], color=DARK_GREY, linewidth=1.2, linestyle="--", label="Process limits")
    ax.plot(x, f["upper"], color=DARK_GREY, linewidth=1.2, linestyle="--")
    if s.trial:
        ax.text(0.99, 0.03, f"Trial limits: fewer than 12 points ({len(x)})", transform=ax.transAxes,
                ha="right", va="bottom", fontsize=NOTE_PT, color=DARK_GREY)
    xticks_cohorts(ax, f["cohort"].tolist())
    ax.set_xlim(-0.5, len(x) - 0.5)
    allv = f[["rate", "lower", "upper"]].to_numpy(dtype=float).ravel()
    allv = allv[~np.isnan(allv)]
    span = max(allv.max() - allv.min(), 1.0)
    ax.set_ylim(allv.min() - 0.12 * span, allv.max() + 0.12 * span)
    ax.set_ylabel("Reoffending rate (%)")
    ax.set_xlabel("Cohort")
    ax.legend(loc="upper left", ncols=4, bbox_to_anchor=(0, 1.12), borderaxespad=0)
    return fig


def xmr_chart(spc: pd.DataFrame, *, area_id: str | None = None, measure: str | None = None,
              source: str | None = None) -> Chart | None:
    """XmR (individuals) chart of the rate by cohort: points, mean, process limits, special causes.

    Takes Results.spc (``area_id``/``measure`` pick one series). The mean is a solid line and the
    limits (mean ± 2.66 × mean moving range) dashed; special-cause points are larger with their
    own marker and colour (improvement ■ blue, concern ✖ orange). Fewer than 12 points: trial
    limits, said on the chart and in the caption. None when there is no value.
    """
    s = prepare_spc(spc, area_id, measure)
    if s is None:
        return None
    with style():
        fig = draw_spc(s)
    return finish(fig, describe_spc(s), source or drawn_source(spc, area_id=area_id, measure=measure))


def _funnel_lines(ax, f: Funnel, curve: pd.DataFrame) -> None:
    inner, outer = f.level_words
    for upper, lower, dash, width, label in (("upper_inner", "lower_inner", "--", 1.3, f"{inner} limits"),
                                             ("upper_outer", "lower_outer", ":", 1.6, f"{outer} limits")):
        ax.plot(curve["offenders"], curve[upper], color=DARK_BLUE, linestyle=dash, linewidth=width,
                label=label)
        ax.plot(curve["offenders"], curve[lower], color=DARK_BLUE, linestyle=dash, linewidth=width)
    ax.axhline(f.target, color=DARK_GREY, linewidth=1.2, label=f"Pooled rate {fmt(f.target)}%")


def draw_funnel(f: Funnel) -> Figure:
    """Limits, pooled rate, other areas as grey dots, the area as a labelled orange diamond."""
    d = f.frame
    ok = d[d["ok"]]
    curve = funnel_curve(f.target, np.linspace(max(1.0, ok["offenders"].min() * 0.7),
                                               ok["offenders"].max() * 1.1, 200), f.tau2,
                         method=f.method, levels=f.levels)
    fig = figure()
    ax = fig.add_subplot()
    _funnel_lines(ax, f, curve)
    others = ok[~ok["mine"]]
    ax.plot(others["offenders"], others["rate"], linestyle="none", marker="o", markersize=6, color=GREY,
            markeredgecolor=DARK_GREY, markeredgewidth=0.8, label="Other areas")
    for r in ok[ok["mine"]].head(1).itertuples():
        ax.plot([r.offenders], [r.rate], linestyle="none", marker="D", markersize=9, color=ORANGE,
                markeredgecolor="black", markeredgewidth=0.8, label=f.name, zorder=5)
        right = r.offenders < (ok["offenders"].min() + ok["offenders"].max()) / 2
        ax.annotate(f"{f.name}\n{fmt(r.rate)}%", (r.offenders, r.rate), xytext=(12 if right else -12, 10),
                    textcoords="offset points", ha="left" if right else "right", fontsize=NOTE_PT,
                    fontweight="bold", arrowprops={"arrowstyle": "-", "color": "black", "linewidth": 0.8})
    ax.set_xlabel("Offenders in cohort")
    ax.set_ylabel("Reoffending rate (%)")
    lo = min(float(curve["lower_outer"].min()), float(ok["rate"].min()))
    hi = max(float(curve["upper_outer"].max()), float(ok["rate"].max()))
    ax.set_ylim(max(0.0, lo - 0.05 * (hi - lo)), min(100.0, hi + 0.05 * (hi - lo)))
    ax.grid(True, axis="both", linewidth=0.5)
    fig.legend(loc="outside lower center", ncols=5, handletextpad=0.4, columnspacing=1.0)
    return fig


def funnel_plot(funnel: pd.DataFrame, area_id: str | None, *, measure: str | None = None,
                cohort: str | None = None, label: str | None = None,
                source: str | None = None) -> Chart | None:
    """Funnel plot of areas' reoffending rates against cohort size for one measure and cohort.

    Takes Results.funnel (``measure`` default the first, ``cohort`` default the latest with
    data). Dots are areas; the pooled rate is a solid line; the inner limits (95% unless the build
    chose other levels) dashed and the outer (99.8%) dotted
    (analysis.funnel.funnel_curve, with the table's overdispersion τ²). ``area_id`` is a large
    orange diamond, labelled (``label``, default its name). Areas without a publishable rate
    are counted in the caption. None when no area has a rate.
    """
    f = prepare_funnel(funnel, area_id, measure, cohort, label)
    if f is None:
        return None
    with style():
        fig = draw_funnel(f)
    return finish(fig, describe_funnel(f), source or drawn_source(
        funnel, measure=measure, cohort=f.cohort))
