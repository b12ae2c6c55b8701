"""NI 18 and NI 30 target charts (drawing)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .base import DARK_BLUE, DARK_PINK, GREY, NOTE_PT, ORANGE, TURQUOISE, Chart, figure, finish, grid_x, style
from .prepare.targets import NI30_SERIES, Ni18, Ni30, describe_ni18, describe_ni30, prepare_ni18, prepare_ni30
from .words import drawn_source, fmt, signed

__all__ = ["ni18_chart", "ni30_chart"]

_COLOURS = {"dark blue": DARK_BLUE, "turquoise": TURQUOISE, "orange": ORANGE, "dark pink": DARK_PINK}


def draw_ni18(d: Ni18) -> Figure:
    """Predicted ● joined to target ◆ per area, the published expected rate ○, labels of the fall."""
    f = d.frame
    ypos = np.arange(len(f))[::-1]
    predicted, target, published = (f[c].to_numpy(dtype=float) for c in ("predicted", "target", "published"))
    fig = figure(max(2.8, 0.42 * len(f) + 1.3))
    ax = fig.add_subplot()
    ax.hlines(ypos, np.fmin(predicted, target), np.fmax(predicted, target), color=GREY, linewidth=3)
    ax.plot(predicted, ypos, "o", color=DARK_BLUE, markersize=8, label="Predicted rate", zorder=3)
    ax.plot(target, ypos, "D", color=ORANGE, markersize=7, markeredgecolor="black", markeredgewidth=0.6,
            label="Agreed target rate" if d.agreed == len(f) else "Target rate (significant fall)",
            zorder=4)
    if not np.isnan(published).all():
        ax.plot(published, ypos, "o", markerfacecolor="none", markeredgecolor="black", markersize=12,
                markeredgewidth=1, label="Published expected rate", zorder=5)
    values = np.concatenate([predicted, target, published])
    hi, lo = float(np.nanmax(values)), float(np.nanmin(values))
    span = max(hi - lo, 1.0)
    for yv, p, t, c in zip(ypos, predicted, target, f["change"], strict=True):
        # Two decimals, as the plan prints its targets (Derby 7.57% -> 6.73%, -11.06%).
        label = (f"{fmt(p, 2)}% \u2192 {fmt(t, 2)}% ({signed(c, 2)}%)" if not np.isnan(t) else
                 f"{fmt(p, 2)}%: no target, too few people for a significant fall")
        ax.text(hi + 0.06 * span, yv, label, va="center", fontsize=NOTE_PT)
    ax.set_xlim(max(0.0, lo - 0.1 * span), hi + 0.75 * span)
    ax.set_yticks(ypos, f["area"].tolist())
    ax.set_xlabel("Reoffending rate (%)")
    grid_x(ax)
    fig.legend(loc="outside lower center", ncols=3)
    return fig


def ni18_chart(ni18_targets: pd.DataFrame, *, cohort: str | None = None,
               source: str | None = None) -> Chart | None:
    """NI 18 targets per area: predicted rate (●) and the target rate (◆) a significant fall needs.

    Takes Results.ni18_targets (``cohort`` default the latest with a target that may be shown).
    A grey line joins each area's predicted and target rate; the published expected rate is a
    hollow ○ when the table has it. Labels give the fall needed. None when nothing can be shown.
    """
    d = prepare_ni18(ni18_targets, cohort)
    if d is None:
        return None
    with style():
        fig = draw_ni18(d)
    chosen = {"cohort": d.cohort} if d.cohort is not None else {}
    return finish(fig, describe_ni18(d), source or drawn_source(ni18_targets, **chosen))


def draw_ni30(d: Ni30) -> Figure:
    """Grouped bars per area, each series its own colour and hatch (reads in greyscale), values printed."""
    f = d.frame
    k = len(d.series)
    height = 0.8 / k
    ypos = np.arange(len(d.areas))[::-1] * 1.0
    top = float(np.nanmax(f["value"]))
    fig = figure(max(2.8, (0.22 * k + 0.25) * len(d.areas) + 1.4))
    ax = fig.add_subplot()
    styles = {col: (label, _COLOURS[colour], hatch) for col, label, colour, hatch in NI30_SERIES}
    for s, col in enumerate(d.series):
        label, colour, hatch = styles[col]
        mine = f[f["series"] == col].set_index("area").loc[d.areas]
        yv = ypos + 0.4 - height * (s + 0.5)
        values = mine["value"].to_numpy(dtype=float)
        ax.barh(yv, np.nan_to_num(values), height=height * 0.92, color=colour, hatch=hatch, edgecolor="white",
                linewidth=0, label=label)
        for y1, v, text in zip(yv, values, mine["text"], strict=True):
            ax.text((0 if np.isnan(v) else v) + top * 0.01, y1, text, va="center", fontsize=NOTE_PT)
    ax.set_yticks(ypos, d.areas)
    ax.set_xlim(0, top * 1.15)
    ax.set_xlabel("Re-offences by the cohort")
    grid_x(ax)
    fig.legend(loc="outside lower center", ncols=k)
    return fig


def ni30_chart(ni30_progress: pd.DataFrame, *, source: str | None = None) -> Chart | None:
    """NI 30 per area: baseline re-offences, the ceiling, the target and (when known) the latest.

    Takes Results.ni30_progress. Grouped horizontal bars per area, values printed ([c] where
    withheld). None for empty input.
    """
    d = prepare_ni30(ni30_progress)
    if d is None:
        return None
    with style():
        fig = draw_ni30(d)
    return finish(fig, describe_ni30(d), source or drawn_source(ni30_progress))
