"""Rated inspection charts: each key question's cases sufficient, then and now, against other areas."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .base import DARK_BLUE, ORANGE, Chart, figure, finish, score_axis, style
from .prepare.ratings import KeyQuestions, describe_key_questions, prepare_key_questions
from .words import drawn_source, fmt, wrap

__all__ = ["key_questions_chart"]


def draw_key_questions(k: KeyQuestions) -> Figure:
    """Bars of the percentages, previous inspection ○ and other areas' mean | where given."""
    r = k.rows
    fig = figure(max(3.0, 0.62 * len(r) + 1.6))
    ax = fig.add_subplot()
    ypos = np.arange(len(r))[::-1]
    ax.barh(ypos, r["percent"], height=0.6, color=DARK_BLUE, label="This inspection")
    # Each figure at the bar's start: at its end it would sit under the previous inspection's circle.
    for y, value in zip(ypos, r["percent"], strict=True):
        inside = value >= 10
        ax.text(1.5 if inside else value + 1, y, fmt(value, 0), va="center", ha="left",
                color="white" if inside else "black", fontsize=8)
    if k.previous:
        ax.plot(r["previous"], ypos, "o", markerfacecolor="white", markeredgecolor="black",
                markersize=7, label="Previous inspection", zorder=4)
    if k.compared:
        ax.plot(r["mean"], ypos, "|", color=ORANGE, markersize=18, markeredgewidth=2.5,
                label="Mean of the areas inspected", zorder=4)
    ax.set_yticks(ypos, [wrap(label, 48, 2) for label in r["short"]])
    score_axis(ax, "Cases inspected found sufficient (%)")
    if k.previous or k.compared:
        fig.legend(loc="outside lower center", ncols=3)
    return fig


def key_questions_chart(inspection_standards: pd.DataFrame, rating_change: pd.DataFrame | None = None,
                        rating_comparison: pd.DataFrame | None = None, *, inspection_id: str,
                        area: str = "", source: str | None = None) -> Chart | None:
    """One inspection's key questions as the percentage of cases sufficient (Results.
    inspection_standards) beside the previous inspection's (rating_change) and the mean of the
    areas under the same framework (rating_comparison). None without a key question's figure."""
    k = prepare_key_questions(inspection_standards, rating_change, rating_comparison, inspection_id, area)
    if k is None:
        return None
    with style():
        fig = draw_key_questions(k)
    return finish(fig, describe_key_questions(k),
                  source or drawn_source(inspection_standards, inspection_id=inspection_id))
