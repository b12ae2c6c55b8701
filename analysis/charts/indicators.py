"""Indicator chart: every indicator with a target on one scale, percent of its target (drawing)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from .base import DARK_BLUE, GREY, NOTE_PT, ORANGE, TURQUOISE, Chart, figure, finish, grid_x, style
from .prepare.indicators import Indicators, describe_indicators, prepare_indicators, status_text
from .words import drawn_source, fmt, wrap

__all__ = ["indicator_chart"]


def _legend(fig: Figure, d: Indicators) -> None:
    handles = [Patch(facecolor=DARK_BLUE, label="Target met"),
               Patch(facecolor=ORANGE, hatch="//", edgecolor="white", label="Target not met"),
               Line2D([], [], color="black", linewidth=1.5, label="Target (100%)")]
    if d.targeted["comparator_pct"].notna().any():
        handles.append(Line2D([], [], marker="D", markersize=6, color=TURQUOISE, markeredgecolor="black",
                              linestyle="none", label=d.comparator_label))
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 4), handletextpad=0.3,
               columnspacing=1.0)


def _status_label(row: pd.Series) -> str:
    """The figures wrapped, then met or not met on a line of its own (never split)."""
    figures, mark = status_text(row).rsplit(": ", 1)
    return f"{wrap(figures, 24, 2)}\n{mark}"


#: The axis stops here: one indicator far beyond its target would squeeze every other bar.
AXIS_CAP = 200.0


def _axis_limit(t) -> float:
    """0 to at least 120, past the largest bar or comparator in steps of 20, at most AXIS_CAP."""
    values = np.concatenate([t["pct"].to_numpy(float), t["comparator_pct"].to_numpy(float), [100.0]])
    return float(min(max(120.0, np.ceil(np.nanmax(values) * 1.05 / 20) * 20), AXIS_CAP))


def draw_indicators(d: Indicators) -> Figure:
    """Bars of % of target on one axis from 0, the target line at 100, status in words at the right."""
    t = d.targeted
    ypos = np.arange(len(t))[::-1]
    fig = figure(max(2.8, 0.34 * len(t) + 1.5))
    ax = fig.add_subplot()
    limit = _axis_limit(t)
    met = (t["status"] == "met").to_numpy()
    colours = [DARK_BLUE if m else (ORANGE if s == "not met" else GREY)
               for m, s in zip(met, t["status"], strict=True)]
    ax.barh(ypos, np.fmin(t["pct"], limit), height=0.6, color=colours,
            hatch=[None if m else "//" for m in met], edgecolor="white", linewidth=0)
    for yv, pct in zip(ypos, t["pct"], strict=True):
        if pct > limit:  # cut at the axis end: say how far it goes
            ax.text(limit - 2, yv, f"{fmt(pct, 0)}% →", ha="right", va="center", fontsize=NOTE_PT,
                    color="white", fontweight="bold")
    ax.plot(t["comparator_pct"].where(t["comparator_pct"] <= limit), ypos, "D", markersize=6, color=TURQUOISE,
            markeredgecolor="black", markeredgewidth=0.6, linestyle="none", zorder=4)
    ax.axvline(100, color="black", linewidth=1.5, zorder=3)
    ax.set_xlim(0, limit)
    ax.set_ylim(-0.6, len(t) - 0.4)
    ax.set_yticks(ypos, [wrap(i, 42, 2) for i in t["indicator"]])
    ax.set_xlabel("Value as a percentage of the target (100 = target)")
    grid_x(ax)
    right = ax.twinx()  # status in words as right-hand tick labels, so the layout makes room for them
    right.set_ylim(ax.get_ylim())
    right.set_yticks(ypos, [_status_label(r) for _, r in t.iterrows()])
    right.tick_params(axis="y", length=0)
    right.grid(False)
    right.spines[:].set_visible(False)
    _legend(fig, d)
    return fig


def indicator_chart(indicators_status: pd.DataFrame, *, period: str | None = None,
                    source: str | None = None) -> Chart | None:
    """Performance indicators on one scale: each value as a percentage of its target.

    Takes Results.indicators_status (one area's; ``period`` default the latest). Bars are
    value / target × 100 from 0, the target a line at 100, the comparator a ◆ on the same scale;
    met or not met is written at the right (✓/✗ and words) as well as coloured and hatched.
    Indicators without a target are not drawn but said in the caption. None when no indicator
    of the period has a target: analysis.charts.indicator_sentence gives the words instead.
    """
    d = prepare_indicators(indicators_status, period)
    if d is None or d.targeted.empty:
        return None
    with style():
        fig = draw_indicators(d)
    return finish(fig, describe_indicators(d),
                  source or drawn_source(indicators_status, area_id=None, period=d.period))
