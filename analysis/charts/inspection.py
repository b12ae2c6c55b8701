"""Inspection charts: scores against comparators, criteria, family groups, the analyst's check."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from .base import DARK_BLUE, HEIGHT, NOTE_PT, ORANGE, TURQUOISE, Chart, figure, finish, score_axis, style
from .prepare.inspection import (
    Check,
    Comparison,
    Criteria,
    Family,
    describe_check,
    describe_comparison,
    describe_criteria,
    describe_family,
    prepare_check,
    prepare_comparison,
    prepare_criteria,
    prepare_family,
)
from .words import drawn_source, fmt, wrap

__all__ = ["criterion_scores_chart", "family_chart", "section_comparison_chart",
           "section_scores_chart"]

_SCORE_AXIS = "Score out of 100 (% of cases meeting the criteria)"


def _bar_value(ax, x: float, y: float, text: str, bold: bool = False, *, outside: bool = False) -> None:
    """A value printed inside the end of its bar (white on the bar), or after a short bar or,
    with ``outside``, after any bar (white would not read on a hatched one)."""
    inside = x >= 12 and not outside
    ax.text(x - 1.5 if inside else x + 1, y, text, va="center", ha="right" if inside else "left",
            fontsize=NOTE_PT, color="white" if inside else "black", fontweight="bold" if bold else "normal")


def draw_comparison(c: Comparison) -> Figure:
    """Bars of the section scores; family mean ◆ and all-areas mean | where the data make them."""
    s = c.sections
    fig = figure(max(2.8, 0.5 * len(s) + 1.5))
    ax = fig.add_subplot()
    ypos = np.arange(len(s))[::-1]
    ax.barh(ypos, s["score"], height=0.6, color=DARK_BLUE, label="Score")
    for yv, score in zip(ypos, s["score"], strict=True):
        _bar_value(ax, float(score), yv, fmt(score, 0))
    if c.family:
        ax.plot(s["family_mean"], ypos, "D", color=ORANGE, markeredgecolor="black", markersize=8,
                markeredgewidth=0.6, label="Family group mean", zorder=4)
    if c.national:
        ax.plot(s["all_mean"], ypos, "|", color="black", markersize=18, markeredgewidth=2.5,
                label="Mean of all areas inspected", zorder=4)
    ax.set_yticks(ypos, [wrap(label, 30, 2) for label in s["label"]])
    score_axis(ax, _SCORE_AXIS)
    if c.family or c.national:
        fig.legend(loc="outside lower center", ncols=3)
    return fig


def section_comparison_chart(inspection_sections: pd.DataFrame, inspection_family: pd.DataFrame | None = None,
                             *, inspection_id: str | None = None, inspections: pd.DataFrame | None = None,
                             source: str | None = None) -> Chart | None:
    """Section scores of one inspection on 0-100 against its family group's and all areas' means.

    Takes Results.inspection_sections (``inspection_id`` picks one, default the first) and
    Results.inspection_family; the inspections table, when given, names the inspection in the
    caption. A comparator is drawn only where at least three areas make it. None with no score.
    """
    c = prepare_comparison(inspection_sections, inspection_family, inspection_id, inspections)
    if c is None:
        return None
    with style():
        fig = draw_comparison(c)
    return finish(fig, describe_comparison(c),
                  source or drawn_source(inspection_sections, inspection_id=inspection_id))


def _criteria_legend(fig: Figure, c: Criteria) -> None:
    handles = [Patch(facecolor=DARK_BLUE, label="Critical criterion (double weight)"),
               Patch(facecolor=TURQUOISE, hatch="..", edgecolor="white", label="Important criterion")]
    if c.section_means:
        handles.append(Line2D([], [], color=ORANGE, linestyle="--", linewidth=2, label=c.label))
    if c.criterion_means:
        handles.append(Line2D([], [], color=ORANGE, marker="D", markeredgecolor="black", linestyle="none",
                              label=c.label))
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 3))


def draw_criteria(c: Criteria) -> Figure:
    """Bars per criterion under a bold header per section; comparison means in orange."""
    rows = c.rows
    fig = figure(max(HEIGHT, 0.3 * len(rows) + 1.3))
    ax = fig.add_subplot()
    ymax = len(rows) - 1
    ys = ymax - np.arange(len(rows))
    for yv, r in zip(ys, rows.itertuples(), strict=True):
        if r.kind == "header":
            ax.text(0, yv, r.label, transform=ax.get_yaxis_transform(), ha="left", va="center",
                    fontsize=NOTE_PT, fontweight="bold")
            continue
        ax.barh(yv, r.score, height=0.7, color=DARK_BLUE if r.critical else TURQUOISE,
                hatch=None if r.critical else "..", edgecolor="white", linewidth=0)
        ax.text(r.score - 1.5, yv, fmt(r.score, 0), va="center", ha="right", fontsize=NOTE_PT, color="white",
                fontweight="bold", bbox=None if r.critical else {"facecolor": DARK_BLUE, "edgecolor": "none",
                                                                 "pad": 0.5})
        if pd.notna(r.criterion_mean):
            ax.plot([r.criterion_mean], [yv], marker="D", markersize=6, color=ORANGE, markeredgecolor="black",
                    markeredgewidth=0.6, linestyle="none", zorder=4)
    bars = rows["kind"].to_numpy() == "bar"
    for sec, mean in c.section_means.items():
        span = ys[bars & (rows["section"].to_numpy() == sec)]
        if len(span):
            ax.plot([mean] * 2, [span.min() - 0.45, span.max() + 0.45], color=ORANGE, linestyle="--",
                    linewidth=2, zorder=4)
    ax.set_yticks(ys[bars], [wrap(label, 42, 2) for label in rows.loc[bars, "label"]])
    ax.set_ylim(-0.7, ymax + 0.7)
    score_axis(ax, "Score out of 100 (% of cases meeting the criterion)")
    _criteria_legend(fig, c)
    return fig


def criterion_scores_chart(inspection_criteria: pd.DataFrame, comparison: pd.DataFrame | None = None, *,
                           inspection_id: str | None = None, comparison_label: str | None = None,
                           inspections: pd.DataFrame | None = None,
                           source: str | None = None) -> Chart | None:
    """Scored criteria of one inspection as horizontal bars on 0-100, grouped by section.

    Takes Results.inspection_criteria (one area's; ``inspection_id`` picks the inspection,
    default the first). ``comparison`` adds a reference: Results.inspection_family (the
    family-group mean of each section, a dashed line across its bars, from a family of three
    or more areas) or inspection_criteria of other areas (the mean of each criterion over at
    least two other inspections, a ◆ marker). Critical criteria (double weight) are labelled;
    rated criteria (six-point scale) are listed in the caption. None when nothing is scored.
    """
    c = prepare_criteria(inspection_criteria, comparison, inspection_id, comparison_label, inspections)
    if c is None:
        return None
    with style():
        fig = draw_criteria(c)
    return finish(fig, describe_criteria(c),
                  source or drawn_source(inspection_criteria, inspection_id=inspection_id))


def draw_check(c: Check) -> Figure:
    """Paired bars on 0-100: ours solid, printed hatched, a differing section flagged ≠."""
    s = c.sections
    fig = figure(max(2.8, 0.62 * len(s) + 1.3))
    ax = fig.add_subplot()
    ypos = np.arange(len(s))[::-1] * 1.0
    ours, printed = s["score"].to_numpy(dtype=float), s["published"].to_numpy(dtype=float)
    ax.barh(ypos + 0.18, np.nan_to_num(ours), height=0.34, color=DARK_BLUE, label="Workbook calculation")
    ax.barh(ypos - 0.18, np.nan_to_num(printed), height=0.34, color=ORANGE, hatch="//", edgecolor="white",
            linewidth=0, label="Printed in the report")
    for yv, a, b, ok in zip(ypos, ours, printed, s["agrees"], strict=True):
        _bar_value(ax, 0 if np.isnan(a) else a, yv + 0.18, fmt(a) if not np.isnan(a) else "not calculated")
        note = fmt(b, 0) if not np.isnan(b) else "not printed"
        if ok is False:
            note = f"\u2260 {note}, differs by {fmt(abs(a - b))}"
        _bar_value(ax, 0 if np.isnan(b) else b, yv - 0.18, note, bold=ok is False, outside=True)
    ax.set_yticks(ypos, [wrap(label, 30, 2) for label in s["label"]])
    score_axis(ax, "Score out of 100")
    fig.legend(loc="outside lower center", ncols=2)
    return fig


def section_scores_chart(inspection_sections: pd.DataFrame, *, inspection_id: str | None = None,
                         inspections: pd.DataFrame | None = None,
                         source: str | None = None) -> Chart | None:
    """The analyst's check: recalculated section scores beside the printed ones, on 0-100.

    Takes Results.inspection_sections (``inspection_id`` picks one; default the first). Paired
    horizontal bars (ours solid, printed hatched) with values; a section whose scores disagree
    beyond rounding is flagged "≠ … differs". For an appendix, not the board's reading. None
    for empty input.
    """
    c = prepare_check(inspection_sections, inspection_id, inspections)
    if c is None:
        return None
    with style():
        fig = draw_check(c)
    return finish(fig, describe_check(c),
                  source or drawn_source(inspection_sections, inspection_id=inspection_id))


def draw_family(f: Family) -> Figure:
    """Bars per area, grouped by family; the mean tick only in a group that may be ranked."""
    a = f.areas
    fig = figure(max(2.5, 0.4 * len(a) + 1.2))
    ax = fig.add_subplot()
    y = np.arange(len(a))[::-1]
    ax.barh(y, a["score"], color=DARK_BLUE, height=0.6, label=f"Score ({f.section})")
    if a["family_mean"].notna().any():
        ax.scatter(a["family_mean"], y, marker="|", s=300, color=ORANGE, zorder=3, label="Family group mean")
    for yi, score in zip(y, a["score"], strict=True):
        _bar_value(ax, float(score), yi, fmt(score))
    ax.set_yticks(y, [wrap(f"{r.area} ({r.family})", 40, 2) for r in a.itertuples()])
    score_axis(ax, "Score out of 100")
    fig.legend(loc="outside lower center", ncols=2)
    return fig


def family_chart(inspection_family: pd.DataFrame, *, section: str = "overall",
                 source: str | None = None) -> Chart | None:
    """Each area's latest score in one section (default overall) on 0-100, by family group.

    Takes Results.inspection_family. A group of three or more areas is ranked and its mean drawn
    as a tick; a smaller group is listed by name and said to be too small to rank. None when
    fewer than two areas are scored (analysis.charts.family_sentence says why instead).
    """
    f = prepare_family(inspection_family, section)
    if f is None:
        return None
    with style():
        fig = draw_family(f)
    return finish(fig, describe_family(f), source or drawn_source(inspection_family, section=section))
