"""Action-plan charts: milestone timeline, strands per lead and pathway coverage (drawing)."""

from __future__ import annotations

from datetime import date

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator

from ..labels import long_date
from .base import (
    DARK_BLUE,
    DARK_GREY,
    DARK_PINK,
    GREY,
    HEIGHT,
    MAX_HEIGHT,
    NOTE_PT,
    ORANGE,
    PURPLE,
    SEQUENTIAL,
    TURQUOISE,
    Chart,
    figure,
    finish,
    grid_x,
    style,
)
from .prepare.plans import (
    STATE_STYLE,
    Coverage,
    LeadLoad,
    Timeline,
    cell_values,
    describe_coverage,
    describe_lead_load,
    describe_timeline,
    prepare_coverage,
    prepare_lead_load,
    prepare_timeline,
    state_label,
)
from .words import SOURCE_PLAN, wrap

__all__ = ["coverage_heatmap", "lead_load_chart", "milestone_timeline"]

_COLOURS = {"dark blue": DARK_BLUE, "orange": ORANGE, "dark pink": DARK_PINK, "turquoise": TURQUOISE,
            "dark grey": DARK_GREY, "purple": PURPLE}
_LEVEL_IN = 0.17  # inches per stack level of the timeline


def _state_style(state: str) -> tuple[str, str, str, bool]:
    label, colour, marker, filled = STATE_STYLE.get(state, (state_label(state), "dark grey", "s", False))
    return label, _COLOURS[colour], marker, filled


def _markers(ax, t: Timeline) -> list[Line2D]:
    """One scatter per state (shape and colour both say it); legend handles with counts."""
    states = [s for s in STATE_STYLE if s in set(t.points["state"])]
    states += sorted(set(t.points["state"]) - set(STATE_STYLE))
    handles = []
    for state in states:
        label, colour, marker, filled = _state_style(state)
        mine = t.points[t.points["state"] == state]
        face = colour if filled or marker == "x" else "white"
        if marker == "x":
            ax.scatter(mine["due_date"], mine["y"], s=46, marker=marker, zorder=3, c=colour, linewidths=1.4)
        else:
            ax.scatter(mine["due_date"], mine["y"], s=46, marker=marker, zorder=3, facecolors=face,
                       edgecolors=colour, linewidths=1.4)
        handles.append(Line2D([], [], linestyle="none", marker=marker, markersize=7, markerfacecolor=face,
                              markeredgecolor=colour, label=f"{label} ({len(mine)})"))
    return handles


def draw_timeline(t: Timeline) -> Figure:
    """Markers on the plan period, one band per pathway (names as the tables print them)."""
    top = float(t.bands["top"].max())
    fig = figure(min(MAX_HEIGHT, max(HEIGHT, _LEVEL_IN * top + 1.7)))
    ax = fig.add_subplot()
    handles = _markers(ax, t)
    for edge in t.bands["top"].iloc[:-1]:
        ax.axhline(edge, color=GREY, linewidth=0.6, zorder=1)
    if t.start <= t.as_of <= t.end:
        ax.axvline(t.as_of, color=DARK_GREY, linestyle="--", linewidth=1.2, zorder=2)
        ax.text(t.as_of, 1.01, f"As of {long_date(t.as_of)}", transform=ax.get_xaxis_transform(),
                ha="center", va="bottom", fontsize=NOTE_PT, color=DARK_GREY)
    ax.set_yticks(t.bands["centre"], [wrap(n, 24, 2) for n in t.bands["pathway_name"]])
    ax.tick_params(axis="y", length=0)
    ax.set_ylim(0, top)
    pad = (t.end - t.start) * 0.02
    ax.set_xlim(t.start - pad, t.end + pad)
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.set_xlabel("Due date")
    ax.grid(False)
    ax.grid(True, axis="x", linewidth=0.5)
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 5),
               handletextpad=0.3, columnspacing=1.2)
    return fig


def milestone_timeline(milestones_status: pd.DataFrame, as_of: date, *, plans: pd.DataFrame | None = None,
                       source: str = SOURCE_PLAN) -> Chart | None:
    """Milestones by pathway along the plan period, one marker per milestone, stacked where close.

    Takes Results.milestones_status (one area's) and the plans table (for the period: `starts`
    to `ends`; without it, the milestones' own dates). Marker shape and colour give the state
    (complete ●, overdue ✖, due soon ▲, not yet due ○, dropped ×); a dashed line marks the
    as-of date when it falls in the period. Undated milestones are listed in the caption.
    None when no milestone is dated.
    """
    t = prepare_timeline(milestones_status, as_of, plans)
    if t is None:
        return None
    with style():
        fig = draw_timeline(t)
    return finish(fig, describe_timeline(t), source)


def draw_lead_load(d: LeadLoad) -> Figure:
    """Bars of strands per lead, labelled with the share and overdue milestones."""
    shown = d.shown
    fig = figure(min(MAX_HEIGHT, max(2.6, 0.36 * len(shown) + 1.2)))
    ax = fig.add_subplot()
    ypos = np.arange(len(shown))[::-1]
    colours = [GREY if lead == "(no lead)" else DARK_BLUE for lead in shown["lead"]]
    ax.barh(ypos, shown["strands"], color=colours, height=0.65)
    most = float(shown["strands"].max())
    for yv, row in zip(ypos, shown.itertuples(), strict=True):
        note = f"{int(row.strands)} ({int(row.share)}%)"
        if row.overdue:
            note += f", {int(row.overdue)} overdue"
        ax.text(row.strands + most * 0.01, yv, note, va="center", fontsize=NOTE_PT)
    ax.set_yticks(ypos, [wrap(lead, 32, 2) for lead in shown["lead"]])
    ax.set_xlim(0, most * 1.35)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # strands are counted: no 2.5
    ax.set_xlabel("Strands led")
    grid_x(ax)
    return fig


def lead_load_chart(lead_load: pd.DataFrame, *, top: int = 15, source: str = SOURCE_PLAN) -> Chart | None:
    """Horizontal bars of strands per lead organisation, most first, labelled with share and
    overdue milestones; a strand led jointly counts for each of its organisations.

    Takes Results.lead_load (one area's; several plans are added up per lead). Shows the
    ``top`` leads; the caption counts the rest. None for empty input.
    """
    d = prepare_lead_load(lead_load, top)
    if d is None:
        return None
    with style():
        fig = draw_lead_load(d)
    return finish(fig, describe_lead_load(d), source)


def _cell(ax, i: int, j: int, value: float, gap: bool, shade: float | None) -> None:
    if shade is None:  # a gap, or no row for this plan and pathway
        ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, facecolor="#F2F2F2", edgecolor=DARK_GREY,
                               hatch="///", linewidth=0))
        ax.text(j, i, "gap" if gap else "\u2013", ha="center", va="center", fontsize=NOTE_PT,
                color="black", fontweight="bold",
                bbox={"facecolor": "#F2F2F2", "edgecolor": "none", "pad": 1})
        return
    cmap = LinearSegmentedColormap.from_list("af_sequential", list(reversed(SEQUENTIAL[1:])) + ["#092135"])
    ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, facecolor=cmap(shade), edgecolor="white", linewidth=1.5))
    ax.text(j, i, f"{int(value)}", ha="center", va="center", fontsize=10,
            color="white" if shade > 0.5 else "black")


#: Up to this many plans, pathways are the rows (their names read across); more, the columns.
_PLANS_AS_COLUMNS = 6


def _coverage_axes(ax, c: Coverage, across: bool) -> None:
    """Tick labels and the line between the seven pathways and the themes, either way round."""
    names = c.cells.drop_duplicates("column").set_index("column")["pathway_name"]
    pathways = [names[j] for j in range(len(c.pathways))]
    if across:  # pathways down the side, plans across the top
        ax.set_yticks(range(len(pathways)), pathways)
        ax.set_xticks(range(len(c.plans)), [wrap(p, 16, 3) for p in c.plans])
        ax.xaxis.tick_top()
    else:
        ax.set_xticks(range(len(pathways)), pathways, rotation=40, ha="right", rotation_mode="anchor")
        ax.set_yticks(range(len(c.plans)), [wrap(p, 28, 2) for p in c.plans])
    ax.tick_params(length=0)
    if not c.first_theme:
        return
    edge = c.first_theme - 0.5
    (ax.axhline if across else ax.axvline)(edge, color="black", linewidth=1.5)
    for centre, words in (((c.first_theme - 1) / 2, "Seven pathways"),
                          ((c.first_theme + len(c.pathways) - 1) / 2, "Cross-cutting themes")):
        if across:
            ax.text(len(c.plans) - 0.45, centre, words, rotation=270, ha="left", va="center",
                    fontsize=NOTE_PT)
        else:
            ax.text(centre, -0.55, words, ha="center", va="bottom", fontsize=NOTE_PT)


def draw_coverage(c: Coverage) -> Figure:
    """The grid: numbered cells shaded by strands, gaps hatched and labelled, a line before the themes."""
    strands, gaps = cell_values(c)
    vmax = max(float(np.nanmax(strands)), 1.0)
    across = len(c.plans) <= _PLANS_AS_COLUMNS
    rows = len(c.pathways) if across else len(c.plans)
    fig = figure(max(3.2, 0.32 * rows + 1.2) if across else max(3.2, 0.45 * rows + 2.8))
    ax = fig.add_subplot()
    ax.grid(False)
    ax.spines[:].set_visible(False)
    for i in range(len(c.plans)):
        for j in range(len(c.pathways)):
            value = strands[i, j]
            blank = gaps[i, j] or np.isnan(value)
            y, x = (j, i) if across else (i, j)
            _cell(ax, y, x, value, bool(gaps[i, j]), None if blank else 0.15 + 0.85 * value / vmax)
    columns = len(c.plans) if across else len(c.pathways)
    ax.set_xlim(-0.5, columns - 0.5)
    ax.set_ylim(rows - 0.5, -0.5)
    _coverage_axes(ax, c, across)
    return fig


def coverage_heatmap(pathway_coverage: pd.DataFrame, *, plans: pd.DataFrame | None = None,
                     source: str = SOURCE_PLAN) -> Chart | None:
    """Grid of plans (rows) by pathways and themes (columns), coloured by number of strands.

    Takes Results.pathway_coverage (one area's or all) and optionally the plans table (an area
    with several plans names each row by the plan's title). Each cell prints its strand count; a
    gap (no strand) is a hatched grey cell labelled "gap", so it reads without colour. A line
    separates the seven pathways from the cross-cutting themes. None for empty input.
    """
    c = prepare_coverage(pathway_coverage, plans)
    if c is None:
        return None
    with style():
        fig = draw_coverage(c)
    return finish(fig, describe_coverage(c), source)
