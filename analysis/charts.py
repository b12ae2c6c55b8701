"""Report charts (afcharts style, A4-sized, deterministic) with titles, captions, alt text and sources."""

from __future__ import annotations

import html
import io
import logging
import re
import textwrap
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

import matplotlib as mpl
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from afcharts.af_colours import get_af_colours
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.text import Text

from .disclosure import MARKER, withheld_words
from .figures import figure_bundle
from .funnel import funnel_curve
from .labels import area_label as _area_label
from .labels import cell_text as _text
from .labels import long_date as _long_date
from .labels import plural as _plural
from .pathways import CROSS_CUTTING, PATHWAY_NAMES, PATHWAYS
from .periods import cohort_sort_key

__all__ = [
    "Chart",
    "coverage_heatmap",
    "criterion_scores_chart",
    "difference_chart",
    "funnel_plot",
    "indicator_chart",
    "lead_load_chart",
    "milestone_timeline",
    "ni18_chart",
    "ni30_chart",
    "rate_trend",
    "section_scores_chart",
    "show",
    "to_png",
    "xmr_chart",
]

log = logging.getLogger(__name__)

# Analysis Function categorical palette (colour-blind safe in this order) and the focus grey.
_DARK_BLUE, _TURQUOISE, _DARK_PINK, _ORANGE, _DARK_GREY, _PURPLE = get_af_colours("categorical")
_GREY = get_af_colours("focus")[1]
_SEQUENTIAL = get_af_colours("sequential", number_of_colours=5)

WIDTH = 7.0  # inches: A4 text width with narrow margins
HEIGHT = 4.0
DPI = 150
_RC = {
    "font.size": 10,
    "axes.titlesize": 10,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "figure.dpi": 100,
    "savefig.dpi": DPI,
    "text.parse_math": False,  # data text with "$" must print as written
    "hatch.linewidth": 0.8,
    "svg.hashsalt": "workbook",
}

_SOURCE_PLAN = "Source: area reducing reoffending action plan; workbook analysis"
_SOURCE_INSPECTION = "Source: HMI Probation inspection report; workbook analysis"
_SOURCE_REOFFENDING = "Source: Ministry of Justice proven reoffending data; workbook analysis"
_SOURCE_INDICATORS = "Source: area performance indicators; workbook analysis"

_SPC_RULES = {
    "1": "a point outside the limits",
    "2": "7 points in a row on one side of the mean",
    "3": "7 points in a row rising or falling",
    "4": "2 of 3 points beyond two-thirds of the way to a limit",
}
_SHORT_PATHWAY = {
    "ACCM": "Accommodation",
    "ETE": "Employment, training, education",
    "HEALTH": "Health",
    "DRUGS_ALCOHOL": "Drugs and alcohol",
    "FBD": "Finance, benefit, debt",
    "CF": "Children and families",
    "ATB": "Attitudes, thinking, behaviour",
    "PP": "Public protection",
    "PPO": "Prolific offenders (PPO)",
    "OM": "Offender management",
    "ED": "Equality and diversity",
    "TSF": "Third sector and faith",
}


@dataclass(frozen=True)
class Chart:
    """A finished chart: the figure plus the words a report prints around it."""

    figure: Figure
    title: str
    caption: str
    alt: str
    source: str


# --------------------------------------------------------------------------- helpers


@contextmanager
def _style() -> Iterator[None]:
    """afcharts style with print-sized fonts, for this block only (global rcParams untouched)."""
    with plt.style.context("afcharts.afcharts"), mpl.rc_context(_RC):
        yield


def _figure(height: float = HEIGHT, width: float = WIDTH) -> Figure:
    # A bare Figure is not registered with pyplot: nothing to close, no inline auto-display.
    return Figure(figsize=(width, height), layout="constrained")


def _finish(fig: Figure, title: str, caption: str, alt: str, source: str) -> Chart:
    """Lay the figure out inside the style and make every text literal (no mathtext)."""
    fig.draw_without_rendering()
    for text in fig.findobj(Text):
        text.set_parse_math(False)
    return Chart(figure=fig, title=title, caption=caption, alt=alt, source=source)


def _empty(frame: pd.DataFrame | None) -> bool:
    return frame is None or not isinstance(frame, pd.DataFrame) or frame.empty


def _num(series: pd.Series) -> np.ndarray:
    return pd.to_numeric(series, errors="coerce").astype("Float64").to_numpy(dtype="float64", na_value=np.nan)


def _flags(series: pd.Series) -> np.ndarray:
    return np.array([False if pd.isna(v) else bool(v) for v in series], dtype=bool)




def _fmt(value: float, decimals: int = 1) -> str:
    if value is None or pd.isna(value):
        return "n/a"
    return f"{value:,.{decimals}f}".replace("-", "\u2212")


def _signed(value: float, decimals: int = 1) -> str:
    if value is None or pd.isna(value):
        return "n/a"
    return ("+" if value > 0 else "") + _fmt(value, decimals)


def _join(items: Sequence[str]) -> str:
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _wrap(text: str, width: int, max_lines: int = 3) -> str:
    lines = textwrap.wrap(_text(text), width=width) or [""]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: max(width - 1, 1)].rstrip() + "\u2026"
    return "\n".join(lines)


def _pick(frame: pd.DataFrame, column: str, value: str | None, what: str) -> tuple[pd.DataFrame, str]:
    """Rows for one value of ``column``: the one asked for, else the first present (logged)."""
    if column not in frame:
        return frame, _text(value)
    present = [v for v in pd.unique(frame[column].dropna())]
    if value is None:
        if not present:
            return frame.iloc[0:0], ""
        value = str(present[0])
        if len(present) > 1:
            log.info("%s: several %s values, charting %r", what, column, value)
    return frame[frame[column] == value], str(value)


def _cohort_order(cohorts: Sequence[str]) -> list[str]:
    return sorted({str(c) for c in cohorts})


def _suppressed(frame: pd.DataFrame, column: str) -> np.ndarray:
    if "suppressed" not in frame:
        return np.zeros(len(frame), dtype=bool)
    return np.array([column in _text(s).split(";") for s in frame["suppressed"]], dtype=bool)


def _xticks_cohorts(ax: mpl.axes.Axes, labels: Sequence[str]) -> None:
    ax.set_xticks(range(len(labels)), labels)
    if len(labels) > 6:
        ax.tick_params(axis="x", labelrotation=45)
        for label in ax.get_xticklabels():
            label.set_horizontalalignment("right")
            label.set_rotation_mode("anchor")


def _grid_x(ax: mpl.axes.Axes) -> None:
    ax.grid(False)
    ax.grid(True, axis="x")
    ax.spines["left"].set_visible(True)
    ax.spines["bottom"].set_visible(False)


def _series(
    rates: pd.DataFrame, area_id: str | None, measure: str | None, what: str
) -> tuple[pd.DataFrame, str, str]:
    frame, area = _pick(rates, "area_id", area_id, what)
    frame, meas = _pick(frame, "measure", measure, what)
    if "cohort" in frame:
        frame = frame.assign(_order=frame["cohort"].astype(str)).sort_values("_order", kind="stable")
    return frame.reset_index(drop=True), area, meas


def _measure_label(measure: str) -> str:
    return _text(measure).replace("-", " ")


# --------------------------------------------------------------------------- notebook display


def to_png(chart: Chart, dpi: int = DPI) -> bytes:
    """The chart as PNG bytes, drawn in the chart style, with no timestamp or software tag."""
    buffer = io.BytesIO()
    with _style():
        chart.figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def _md(text: str) -> str:
    """Text from data made literal in Markdown: HTML escaped, Markdown punctuation escaped."""
    flat = " ".join(_text(text).split())
    return _MD_SPECIAL.sub(r"\\\1", html.escape(flat, quote=False))


def show(chart: Chart | None, *, empty: str = "There are no data for this chart.") -> None:
    """Display a chart in a notebook: title and caption, the PNG with its alt text, the source.

    The SVG and PNG go out with ``metadata={mime: {"alt": ...}}`` (analysis.figures),
    its text/plain form is the alt text itself, and the figure is closed, so no
    ``<Figure size ...>`` text appears and every text output is deterministic (nbval).
    ``None`` (a chart function's answer to empty input) prints the ``empty`` sentence.
    """
    from IPython.display import Markdown, display

    if chart is None:
        display(Markdown(_md(empty)))
        return
    display(Markdown(f"**{_md(chart.title)}**\n\n{_md(chart.caption)}"))
    with _style():  # SVG (for the PDF) beside the PNG (for the HTML), alt text on both
        data, metadata = figure_bundle(chart.figure, chart.alt, dpi=DPI)
    display(data, raw=True, metadata=metadata)
    display(Markdown(f"*{_md(chart.source)}*"))
    plt.close(chart.figure)


# --------------------------------------------------------------------------- action plans

_STATE_STYLE = {
    # state: (label, colour, marker, filled)
    "complete": ("Complete", _DARK_BLUE, "o", True),
    "missed": ("Missed", _PURPLE, "X", True),
    "overdue": ("Overdue", _ORANGE, "X", True),
    # Past due with nothing recorded: hollow, as no return is not failed delivery.
    "past due, no return": ("Past due, no return", _ORANGE, "s", False),
    "due soon": ("Due soon", _DARK_PINK, "^", True),
    "not yet due": ("Not yet due", _TURQUOISE, "o", False),
    "dropped": ("Dropped", _DARK_GREY, "x", True),
}


def _pathway_order(codes: Sequence[str]) -> list[str]:
    known = [p.code for p in PATHWAYS if p.code in set(codes)]
    return known + sorted(set(codes) - set(known))


def milestone_timeline(
    milestones_status: pd.DataFrame, as_of: date, *, source: str = _SOURCE_PLAN
) -> Chart | None:
    """Milestones by pathway along a due-date axis, one marker per milestone.

    Takes Results.milestones_status (one area's). Marker shape and colour give the state
    (complete ●, overdue ✖, due soon ▲, not yet due ○, dropped ×); milestones due on the
    same date in one pathway are spread vertically so each stays visible; a dashed vertical
    line marks the as-of date. Undated milestones cannot be placed and are listed in the
    caption. Returns None when there is no dated milestone.
    """
    if _empty(milestones_status):
        return None
    ms = milestones_status.copy()
    ms["due_date"] = pd.to_datetime(ms["due_date"], errors="coerce")
    ms["pathway"] = ms["pathway"].fillna("(none)").astype(str)
    dated = ms[ms["due_date"].notna() & (ms["state"] != "undated")]
    undated = ms[ms["due_date"].isna() | (ms["state"] == "undated")]
    if dated.empty:
        log.info("milestone_timeline: no dated milestone")
        return None
    order = _pathway_order(list(dated["pathway"].unique()))
    ypos = {code: len(order) - 1 - i for i, code in enumerate(order)}
    dated = dated.sort_values(["pathway", "due_date", "milestone_id"], kind="stable")
    offsets = np.zeros(len(dated))
    for _, idx in dated.groupby(["pathway", "due_date"], sort=False).indices.items():
        if len(idx) > 1:
            offsets[idx] = np.linspace(-0.3, 0.3, len(idx))
    y = np.array([ypos[p] for p in dated["pathway"]]) + offsets
    as_of_ts = pd.Timestamp(as_of)
    counts = ms["state"].value_counts()
    with _style():
        fig = _figure(max(HEIGHT, 0.42 * len(order) + 1.6))
        ax = fig.add_subplot()
        handles = []
        for state, (label, colour, marker, filled) in _STATE_STYLE.items():
            mask = (dated["state"] == state).to_numpy()
            if not mask.any():
                continue
            if marker == "x":
                ax.scatter(
                    dated["due_date"][mask], y[mask], s=46, marker=marker, zorder=3, c=colour, linewidths=1.4
                )
            else:
                ax.scatter(
                    dated["due_date"][mask],
                    y[mask],
                    s=46,
                    marker=marker,
                    zorder=3,
                    facecolors=colour if filled else "white",
                    edgecolors=colour,
                    linewidths=1.4,
                )
            handles.append(
                Line2D(
                    [],
                    [],
                    linestyle="none",
                    marker=marker,
                    markersize=7,
                    markerfacecolor=colour if filled else "white",
                    markeredgecolor=colour,
                    label=f"{label} ({int(mask.sum())})",
                )
            )
        ax.axvline(as_of_ts, color=_DARK_GREY, linestyle="--", linewidth=1.2, zorder=2)
        ax.text(
            as_of_ts,
            1.01,
            f"As of {_long_date(as_of_ts)}",
            transform=ax.get_xaxis_transform(),
            ha="center",
            va="bottom",
            fontsize=9,
            color=_DARK_GREY,
        )
        ax.set_yticks(range(len(order)), [_SHORT_PATHWAY.get(c, c) for c in reversed(order)])
        ax.set_ylim(-0.6, len(order) - 0.4)
        lo, hi = min(dated["due_date"].min(), as_of_ts), max(dated["due_date"].max(), as_of_ts)
        pad = max(pd.Timedelta(days=10), (hi - lo) * 0.04)
        ax.set_xlim(lo - pad, hi + pad)
        locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        ax.set_xlabel("Due date")
        ax.grid(True, axis="both", linewidth=0.5)
        fig.legend(
            handles=handles,
            loc="outside lower center",
            ncols=min(len(handles), 5),
            handletextpad=0.3,
            columnspacing=1.2,
        )
    area = _area_label(ms["area_id"].iloc[0]) if "area_id" in ms else ""
    n_overdue = int(counts.get("overdue", 0))
    by_path = dated[dated["state"] == "overdue"]["pathway"].value_counts()
    busiest = (
        f", most in {PATHWAY_NAMES.get(by_path.index[0], by_path.index[0])} ({by_path.iloc[0]})"
        if n_overdue and len(by_path)
        else ""
    )
    state_words = _join(
        [
            f"{int(counts.get(s, 0))} {lbl.lower()}"
            for s, (lbl, *_r) in _STATE_STYLE.items()
            if counts.get(s, 0)
        ]
    )
    alt = (
        f"Timeline of {_plural(len(dated), 'dated milestone')} in the plan for {area} across "
        f"{_plural(len(order), 'pathway')}, due between {_long_date(dated['due_date'].min())} and "
        f"{_long_date(dated['due_date'].max())}. As of {_long_date(as_of_ts)}: {state_words}"
        f"{busiest}."
    )
    if len(undated):
        alt += f" {_plural(len(undated), 'milestone has', 'milestones have')} no readable due date."
    caption = (
        f"Each marker is a milestone at its due date; shape and colour show its state as of "
        f"{_long_date(as_of_ts)} (the dashed line)."
    )
    if len(undated):
        listed = [
            f"{_text(r['pathway'])}: {_text(r['description'])} (due '{_text(r['due'])}')"
            if _text(r["due"])
            else f"{_text(r['pathway'])}: {_text(r['description'])} (no due date)"
            for _, r in undated.head(8).iterrows()
        ]
        more = f"; and {len(undated) - 8} more (see the milestones table)" if len(undated) > 8 else ""
        caption += f" Not shown, no readable due date ({len(undated)}): " + "; ".join(listed) + more + "."
    title = f"Milestones by pathway, {area}" if area else "Milestones by pathway"
    return _finish(fig, title, caption, alt, source)


def lead_load_chart(lead_load: pd.DataFrame, *, top: int = 15, source: str = _SOURCE_PLAN) -> Chart | None:
    """Horizontal bars of strands per lead, most first, labelled with strands and overdue milestones.

    Takes Results.lead_load (one area's; several plans are added up per lead). Shows the
    ``top`` leads; the caption counts the rest. Returns None for empty input.
    """
    if _empty(lead_load):
        return None
    frame = lead_load.assign(lead=lead_load["lead"].fillna("(no lead)").astype(str))
    per = (
        frame.groupby("lead", as_index=False)[["strands", "open_milestones", "overdue"]]
        .sum()
        .sort_values(["strands", "lead"], ascending=[False, True], kind="stable")
    )
    total = int(per["strands"].sum())
    if total == 0:
        return None
    shown, rest = per.head(top), per.iloc[top:]
    with _style():
        fig = _figure(max(2.6, 0.36 * len(shown) + 1.2))
        ax = fig.add_subplot()
        ypos = np.arange(len(shown))[::-1]
        colours = [_GREY if lead == "(no lead)" else _DARK_BLUE for lead in shown["lead"]]
        ax.barh(ypos, shown["strands"], color=colours, height=0.65)
        top_value = float(shown["strands"].max())
        for yv, (_, row) in zip(ypos, shown.iterrows(), strict=True):
            note = f"{int(row['strands'])} ({100 * row['strands'] / total:.0f}%)"
            if row["overdue"]:
                note += f", {int(row['overdue'])} overdue"
            ax.text(row["strands"] + top_value * 0.01, yv, note, va="center", fontsize=9)
        ax.set_yticks(ypos, [_wrap(lead, 32, 2) for lead in shown["lead"]])
        ax.set_xlim(0, top_value * 1.35)
        ax.set_xlabel("Strands led")
        _grid_x(ax)
    lead0 = shown.iloc[0]
    alt = (
        f"Horizontal bar chart of strands per lead for {_plural(len(per), 'lead')} and "
        f"{_plural(total, 'strand')}. {lead0['lead']} leads the most, {int(lead0['strands'])} "
        f"({100 * lead0['strands'] / total:.0f}%)"
    )
    if len(shown) > 1:
        others = [f"{r['lead']} {int(r['strands'])}" for _, r in shown.iloc[1:5].iterrows()]
        alt += f"; then {_join(others)}"
    alt += "."
    caption = (
        "Bars count the strands each lead owns; labels give the share of all strands and the "
        "lead's overdue milestones."
    )
    if len(rest):
        caption += (
            f" {_plural(len(rest), 'further lead')} with {int(rest['strands'].sum())} strands not shown."
        )
    return _finish(fig, "Strands per lead", caption, alt, source)


def coverage_heatmap(pathway_coverage: pd.DataFrame, *, source: str = _SOURCE_PLAN) -> Chart | None:
    """Grid of plans (rows) by pathways and themes (columns), coloured by number of strands.

    Takes Results.pathway_coverage (one area's or all). Each cell prints its strand count;
    a gap (no strand) is a hatched grey cell labelled "gap", so it reads without colour.
    A line separates the seven pathways from the cross-cutting themes. None for empty input.
    """
    if _empty(pathway_coverage):
        return None
    cov = pathway_coverage.copy()
    plans = list(pd.unique(cov["plan_id"]))
    areas_per_plan = {p: _text(cov.loc[cov["plan_id"] == p, "area_id"].iloc[0]) for p in plans}
    several = pd.Series(list(areas_per_plan.values())).duplicated(keep=False)
    row_labels = [
        f"{_area_label(a)} ({p})" if several.iloc[i] else _area_label(a)
        for i, (p, a) in enumerate(areas_per_plan.items())
    ]
    codes = _pathway_order(list(cov["pathway"].astype(str).unique()))
    strands = np.full((len(plans), len(codes)), np.nan)
    gaps = np.zeros_like(strands, dtype=bool)
    for _, row in cov.iterrows():
        i, j = plans.index(row["plan_id"]), codes.index(str(row["pathway"]))
        strands[i, j] = row["strands"]
        gaps[i, j] = bool(row["gap"])
    cmap = LinearSegmentedColormap.from_list("af_sequential", list(reversed(_SEQUENTIAL[1:])) + ["#092135"])
    vmax = max(float(np.nanmax(strands)), 1.0)
    with _style():
        fig = _figure(max(2.8, 0.45 * len(plans) + 2.4))
        ax = fig.add_subplot()
        ax.grid(False)
        ax.spines[:].set_visible(False)
        for i in range(len(plans)):
            for j in range(len(codes)):
                value = strands[i, j]
                if gaps[i, j] or np.isnan(value):
                    ax.add_patch(
                        Rectangle(
                            (j - 0.5, i - 0.5),
                            1,
                            1,
                            facecolor="#F2F2F2",
                            edgecolor=_DARK_GREY,
                            hatch="///",
                            linewidth=0,
                        )
                    )
                    ax.text(
                        j,
                        i,
                        "gap" if gaps[i, j] else "\u2013",
                        ha="center",
                        va="center",
                        fontsize=9,
                        color="black",
                        fontweight="bold",
                        bbox={"facecolor": "#F2F2F2", "edgecolor": "none", "pad": 1},
                    )
                    continue
                share = value / vmax
                ax.add_patch(
                    Rectangle(
                        (j - 0.5, i - 0.5),
                        1,
                        1,
                        facecolor=cmap(0.15 + 0.85 * share),
                        edgecolor="white",
                        linewidth=1.5,
                    )
                )
                ax.text(
                    j,
                    i,
                    f"{int(value)}",
                    ha="center",
                    va="center",
                    fontsize=10,
                    color="white" if 0.15 + 0.85 * share > 0.5 else "black",
                )
        ax.set_xlim(-0.5, len(codes) - 0.5)
        ax.set_ylim(len(plans) - 0.5, -0.5)
        ax.set_xticks(
            range(len(codes)),
            [_SHORT_PATHWAY.get(c, c) for c in codes],
            rotation=40,
            ha="right",
            rotation_mode="anchor",
        )
        ax.set_yticks(range(len(plans)), [_wrap(lbl, 28, 2) for lbl in row_labels])
        ax.tick_params(length=0)
        first_theme = next((j for j, c in enumerate(codes) if c in CROSS_CUTTING), None)
        if first_theme:
            ax.axvline(first_theme - 0.5, color="black", linewidth=1.5)
            ax.text((first_theme - 1) / 2, -0.55, "Seven pathways", ha="center", va="bottom", fontsize=9)
            ax.text(
                (first_theme + len(codes) - 1) / 2,
                -0.55,
                "Cross-cutting themes",
                ha="center",
                va="bottom",
                fontsize=9,
            )
    gap_words = []
    for i, label in enumerate(row_labels):
        names = [PATHWAY_NAMES.get(codes[j], codes[j]) for j in range(len(codes)) if gaps[i, j]]
        if names:
            gap_words.append(f"{label}: {_join(names)}")
    flat = [
        (strands[i, j], codes[j], row_labels[i])
        for i in range(len(plans))
        for j in range(len(codes))
        if not np.isnan(strands[i, j])
    ]
    best = max(flat, key=lambda t: t[0])
    alt = (
        f"Grid of {_plural(len(plans), 'plan')} by {len(codes)} pathways and themes showing strands "
        f"per pathway. Most strands: {PATHWAY_NAMES.get(best[1], best[1])} in {best[2]} ({int(best[0])}). "
    )
    alt += (
        ("Gaps, with no strand: " + "; ".join(gap_words) + ".")
        if gap_words
        else "No gaps: every pathway has a strand."
    )
    caption = (
        "Numbers are strands addressing each pathway or theme (a strand can address several); "
        "hatched cells marked 'gap' have none."
    )
    return _finish(fig, "Strands by pathway", caption, alt, source)


# --------------------------------------------------------------------------- inspection


def _one_inspection(frame: pd.DataFrame, inspection_id: str | None, what: str) -> tuple[pd.DataFrame, str]:
    return _pick(frame, "inspection_id", inspection_id, what)


def criterion_scores_chart(
    inspection_criteria: pd.DataFrame,
    comparison: pd.DataFrame | None = None,
    *,
    inspection_id: str | None = None,
    comparison_label: str | None = None,
    source: str = _SOURCE_INSPECTION,
) -> Chart | None:
    """Scored criteria of one inspection as horizontal bars, grouped by section.

    Takes Results.inspection_criteria (one area's; ``inspection_id`` picks the inspection,
    default the first). ``comparison`` adds a reference: Results.inspection_family (the
    family-group mean of each section, drawn as a dashed line across that section's bars) or
    inspection_criteria of other areas (the mean of each criterion, a ◆ marker). Critical
    criteria (double weight) are labelled. Rated criteria (six-point scale) are listed in the
    caption. None when no criterion is scored.
    """
    if _empty(inspection_criteria):
        return None
    crit, insp = _one_inspection(inspection_criteria, inspection_id, "criterion_scores_chart")
    scored = crit[(crit["scoring"] == "scored") & crit["score"].notna()].reset_index(drop=True)
    if scored.empty:
        return None
    area = _text(scored["area_id"].iloc[0]) if "area_id" in scored else ""
    framework = _text(scored["framework"].iloc[0]) if "framework" in scored else ""
    sections = list(pd.unique(scored["section"]))
    # y layout: a header row per section, then its criteria
    rows: list[tuple[str, int, str]] = []
    for sec in sections:
        rows.append(("header", -1, str(sec)))
        rows.extend(("bar", int(i), str(sec)) for i in scored.index[scored["section"] == sec])
    ymax = len(rows) - 1
    section_means: dict[str, float] = {}
    criterion_means: dict[str, float] = {}
    label = comparison_label
    if not _empty(comparison):
        if "family_mean" in comparison:
            fam = comparison
            if "area_id" in fam and area:
                fam = fam[fam["area_id"] == area]
            if "inspection_id" in fam and insp:
                fam = fam[fam["inspection_id"] == insp]
            section_means = {
                str(r["section"]): float(r["family_mean"])
                for _, r in fam.iterrows()
                if pd.notna(r["family_mean"])
            }
            if len(fam) and label is None:
                size = int(fam["family_size"].iloc[0]) if "family_size" in fam else 0
                label = f"Family group mean ({_plural(size, 'area')})" if size else "Family group mean"
        elif "criterion" in comparison:
            other = comparison[(comparison["scoring"] == "scored")]
            if framework and "framework" in other:
                other = other[other["framework"] == framework]
            if "inspection_id" in other:
                other = other[other["inspection_id"] != insp]
            means = other.groupby("criterion")["score"].mean()
            criterion_means = {str(k): float(v) for k, v in means.items() if pd.notna(v)}
            n_other = other["inspection_id"].nunique() if "inspection_id" in other else 0
            if label is None:
                label = f"Mean of {_plural(n_other, 'other inspection')}"
    with _style():
        fig = _figure(max(HEIGHT, 0.3 * len(rows) + 1.3))
        ax = fig.add_subplot()
        yticks, ylabels = [], []
        section_span: dict[str, list[float]] = {}
        for k, (kind, i, sec) in enumerate(rows):
            yv = ymax - k
            if kind == "header":
                title = _text(scored.loc[scored["section"] == sec, "section_title"].iloc[0])
                ax.text(
                    0,
                    yv,
                    f"{sec}: {title}",
                    transform=ax.get_yaxis_transform(),
                    ha="left",
                    va="center",
                    fontsize=9,
                    fontweight="bold",
                )
                continue
            row = scored.loc[i]
            critical = _text(row.get("importance")) == "critical"
            ax.barh(
                yv,
                row["score"],
                height=0.7,
                color=_DARK_BLUE if critical else _TURQUOISE,
                hatch=None if critical else "..",
                edgecolor="white",
                linewidth=0,
            )
            ax.text(
                row["score"] - 1.5,
                yv,
                _fmt(row["score"], 0),
                va="center",
                ha="right",
                fontsize=9,
                color="white",
                fontweight="bold",
                bbox=None if critical else {"facecolor": _DARK_BLUE, "edgecolor": "none", "pad": 0.5},
            )
            yticks.append(yv)
            ylabels.append(_wrap(f"{row['criterion']} {_text(row['title'])}", 42, 2))
            section_span.setdefault(str(row["section"]), []).append(yv)
            mean = criterion_means.get(str(row["criterion"]))
            if mean is not None:
                ax.plot(
                    [mean],
                    [yv],
                    marker="D",
                    markersize=6,
                    color=_ORANGE,
                    markeredgecolor="black",
                    markeredgewidth=0.6,
                    linestyle="none",
                    zorder=4,
                )
        for sec, ys in section_span.items():
            if sec in section_means:
                ax.plot(
                    [section_means[sec]] * 2,
                    [min(ys) - 0.45, max(ys) + 0.45],
                    color=_ORANGE,
                    linestyle="--",
                    linewidth=2,
                    zorder=4,
                )
        ax.set_yticks(yticks, ylabels)
        ax.set_ylim(-0.7, ymax + 0.7)
        ax.set_xlim(0, 100)
        ax.set_xlabel("Score (% of cases meeting the criterion)")
        _grid_x(ax)
        handles = [
            Patch(facecolor=_DARK_BLUE, label="Critical criterion (double weight)"),
            Patch(facecolor=_TURQUOISE, hatch="..", edgecolor="white", label="Important criterion"),
        ]
        if section_means:
            handles.append(Line2D([], [], color=_ORANGE, linestyle="--", linewidth=2, label=label))
        if criterion_means:
            handles.append(
                Line2D(
                    [], [], color=_ORANGE, marker="D", markeredgecolor="black", linestyle="none", label=label
                )
            )
        fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 3))
    hi = scored.loc[scored["score"].idxmax()]
    lo = scored.loc[scored["score"].idxmin()]
    alt = (
        f"Bar chart of {_plural(len(scored), 'scored criterion', 'scored criteria')} in "
        f"{_plural(len(sections), 'section')} of inspection {insp}. Highest {hi['criterion']} "
        f"{_text(hi['title'])} ({_fmt(hi['score'], 0)}), lowest {lo['criterion']} {_text(lo['title'])} "
        f"({_fmt(lo['score'], 0)})."
    )
    if section_means:
        parts = [f"section {s} {_fmt(section_means[s])}" for s in section_span if s in section_means]
        alt += f" {label}: {_join(parts)}."
    if criterion_means:
        below = [
            str(r["criterion"])
            for _, r in scored.iterrows()
            if str(r["criterion"]) in criterion_means and r["score"] < criterion_means[str(r["criterion"])]
        ]
        alt += f" Below the comparison mean: {_join(below) if below else 'none'}."
    caption = "Bars are the share of sampled cases meeting each criterion."
    rated = crit[crit["scoring"] == "rated"]
    if len(rated):
        caption += (
            " Rated on the six-point scale, not scored: "
            + "; ".join(f"{r['criterion']} {_text(r['rating']) or 'no rating'}" for _, r in rated.iterrows())
            + "."
        )
    if not _empty(comparison) and not (section_means or criterion_means):
        caption += " No comparison figures for this inspection."
    return _finish(fig, f"Criterion scores, {insp}", caption, alt, source)


def section_scores_chart(
    inspection_sections: pd.DataFrame, *, inspection_id: str | None = None, source: str = _SOURCE_INSPECTION
) -> Chart | None:
    """Section scores of one inspection: the workbook's recalculation beside the printed score.

    Takes Results.inspection_sections (``inspection_id`` picks one; default the first). Paired
    horizontal bars (ours solid, printed hatched) with values; a section whose scores disagree
    beyond rounding is flagged "≠ differs". None for empty input.
    """
    if _empty(inspection_sections):
        return None
    sec, insp = _one_inspection(inspection_sections, inspection_id, "section_scores_chart")
    sec = sec[sec["score"].notna() | sec["published"].notna()].reset_index(drop=True)
    if sec.empty:
        return None
    n = len(sec)
    ypos = np.arange(n)[::-1] * 1.0
    agrees = [None if pd.isna(a) else bool(a) for a in sec["agrees"]] if "agrees" in sec else [None] * n
    with _style():
        fig = _figure(max(2.8, 0.62 * n + 1.3))
        ax = fig.add_subplot()
        ours, printed = _num(sec["score"]), _num(sec["published"])
        ax.barh(ypos + 0.18, np.nan_to_num(ours), height=0.34, color=_DARK_BLUE, label="Workbook calculation")
        ax.barh(
            ypos - 0.18,
            np.nan_to_num(printed),
            height=0.34,
            color=_ORANGE,
            hatch="//",
            edgecolor="white",
            linewidth=0,
            label="Printed in the report",
        )
        for yv, a, b, ok in zip(ypos, ours, printed, agrees, strict=True):
            ax.text(
                (0 if np.isnan(a) else a) + 1,
                yv + 0.18,
                _fmt(a) if not np.isnan(a) else "not calculated",
                va="center",
                fontsize=9,
            )
            note = _fmt(b, 0) if not np.isnan(b) else "not printed"
            if ok is False:
                note += f"   \u2260 differs by {_fmt(abs(a - b))}"
            ax.text(
                (0 if np.isnan(b) else b) + 1,
                yv - 0.18,
                note,
                va="center",
                fontsize=9,
                fontweight="bold" if ok is False else "normal",
            )
        ax.set_yticks(
            ypos,
            [
                _wrap(f"{s}: {_text(t)}" if s != "overall" else "Overall", 30, 2)
                for s, t in zip(sec["section"], sec["title"], strict=True)
            ],
        )
        ax.set_xlim(0, 125)
        ax.set_xlabel("Score (%)")
        _grid_x(ax)
        fig.legend(loc="outside lower center", ncols=2)
    n_agree = sum(1 for a in agrees if a is True)
    differ = [str(s) for s, a in zip(sec["section"], agrees, strict=True) if a is False]
    overall = sec[sec["section"] == "overall"]
    alt = (
        f"Paired bar chart of {_plural(n, 'section score')} for inspection {insp}, the workbook's "
        f"calculation beside the printed score: {n_agree} of {n} agree within rounding"
    )
    alt += f"; differing: {_join(differ)}." if differ else "."
    if len(overall):
        o = overall.iloc[0]
        alt += f" Overall {_fmt(o['score'])} calculated, {_fmt(o['published'], 0)} printed."
    caption = (
        "Workbook scores recalculate each section from the criterion scores (critical criteria "
        "count twice; overall = 30% B + 40% C + 30% D)."
    )
    if differ:
        caption += f" Sections marked \u2260 differ from the printed score: {_join(differ)}."
    return _finish(fig, f"Section scores, {insp}", caption, alt, source)


# --------------------------------------------------------------------------- reoffending


def rate_trend(
    reoffending_rates: pd.DataFrame,
    *,
    threshold: int,
    area_id: str | None = None,
    measure: str | None = None,
    source: str = _SOURCE_REOFFENDING,
) -> Chart | None:
    """Reoffending rate by cohort with its 95% Wilson interval as a band and the predicted rate.

    Takes Results.reoffending_rates (``area_id``/``measure`` pick one series; default the
    first) and the build's disclosure `threshold`. The actual rate is a solid line with dots,
    the interval a shaded band, the predicted rate a dashed line with squares. Cohorts whose
    rate the disclosure layer withheld leave a gap marked "[c]". None when the series has no
    rate at all.
    """
    if _empty(reoffending_rates):
        return None
    frame, area, measure = _series(reoffending_rates, area_id, measure, "rate_trend")
    if frame.empty:
        return None
    rate, low, high = _num(frame["rate"]), _num(frame["ci_low"]), _num(frame["ci_high"])
    predicted = _num(frame["predicted_rate"]) if "predicted_rate" in frame else np.full(len(frame), np.nan)
    hidden = _suppressed(frame, "rate")
    if np.isnan(rate).all() and np.isnan(predicted).all() and not hidden.any():
        return None
    cohorts = [str(c) for c in frame["cohort"]]
    x = np.arange(len(frame))
    with _style():
        fig = _figure()
        ax = fig.add_subplot()
        if not np.isnan(low).all():
            ax.fill_between(
                x,
                low,
                high,
                color=_DARK_BLUE,
                alpha=0.18,
                linewidth=0,
                label="95% confidence interval (Wilson)",
            )
        ax.plot(x, rate, color=_DARK_BLUE, marker="o", markersize=5, label="Actual rate")
        if not np.isnan(predicted).all():
            ax.plot(
                x, predicted, color=_ORANGE, linestyle="--", marker="s", markersize=4, label="Predicted rate"
            )
        for xi in x[hidden]:
            ax.text(
                xi,
                0.04,
                MARKER,
                transform=ax.get_xaxis_transform(),
                ha="center",
                fontsize=9,
                fontweight="bold",
                color=_DARK_GREY,
            )
        _xticks_cohorts(ax, cohorts)
        ax.set_xlim(-0.5, len(x) - 0.5)
        values = np.concatenate([rate, low, high, predicted])
        values = values[~np.isnan(values)]
        if values.size:
            span = max(values.max() - values.min(), 2.0)
            ax.set_ylim(max(0.0, values.min() - 0.25 * span), min(100.0, values.max() + 0.2 * span))
        ax.set_ylabel("Reoffending rate (%)")
        ax.set_xlabel("Cohort")
        ax.legend(loc="upper left", ncols=3, bbox_to_anchor=(0, 1.12), borderaxespad=0)
    shown = ~np.isnan(rate)
    alt = f"Line chart of the {_measure_label(measure)} reoffending rate for {_area_label(area)}, " + (
        f"{len(x)} cohorts from {cohorts[0]} to {cohorts[-1]}." if len(x) > 1 else f"cohort {cohorts[0]}."
    )
    if shown.any():
        first, last = int(np.flatnonzero(shown)[0]), int(np.flatnonzero(shown)[-1])
        alt += f" Actual rate {_fmt(rate[first])}% in {cohorts[first]}"
        alt += f", {_fmt(rate[last])}% in {cohorts[last]}" if last != first else ""
        if not np.isnan(low[last]):
            alt += f" (95% interval {_fmt(low[last])}% to {_fmt(high[last])}%)"
        if not np.isnan(predicted[last]):
            alt += f" against a predicted {_fmt(predicted[last])}%"
        alt += "."
    if hidden.any():
        alt += f" {_plural(int(hidden.sum()), 'cohort is', 'cohorts are')} suppressed."
    caption = (
        "The band is the 95% Wilson confidence interval of the actual rate; the dashed line is "
        "the rate predicted from offender characteristics."
    )
    if hidden.any():
        caption += (
            f" Cohorts marked {MARKER} ({_join([cohorts[i] for i in np.flatnonzero(hidden)])}) are "
            f"withheld to protect confidentiality (counts of people {withheld_words(threshold)}, or "
            "figures that would reveal one)."
        )
    return _finish(fig, f"Reoffending rate by cohort, {_area_label(area)}", caption, alt, source)


def difference_chart(
    reoffending_rates: pd.DataFrame,
    *,
    threshold: int,
    area_id: str | None = None,
    measure: str | None = None,
    source: str = _SOURCE_REOFFENDING,
) -> Chart | None:
    """Actual minus predicted reoffending rate by cohort, in percentage points.

    Takes Results.reoffending_rates (``area_id``/``measure`` pick one series). Bars below zero
    mean fewer reoffended than predicted. Significant differences (5%, two-sided) are orange,
    hatched and starred (★); cohorts the disclosure layer withheld show "[c]", and the caption
    says the build's `threshold`. None when there is no difference.
    """
    if _empty(reoffending_rates):
        return None
    frame, area, measure = _series(reoffending_rates, area_id, measure, "difference_chart")
    if frame.empty or "difference" not in frame:
        return None
    diff = _num(frame["difference"])
    sig = _flags(frame["significant"]) if "significant" in frame else np.zeros(len(frame), dtype=bool)
    hidden = _suppressed(frame, "difference")
    if np.isnan(diff).all() and not hidden.any():
        return None
    cohorts = [str(c) for c in frame["cohort"]]
    x = np.arange(len(frame))
    sig &= ~np.isnan(diff)
    with _style():
        fig = _figure()
        ax = fig.add_subplot()
        heights = np.nan_to_num(diff)
        ax.bar(x[~sig], heights[~sig], color=_DARK_BLUE, width=0.7, label="Not significant")
        if sig.any():
            ax.bar(
                x[sig],
                heights[sig],
                color=_ORANGE,
                width=0.7,
                hatch="//",
                edgecolor="black",
                linewidth=0.6,
                label="Significant at 5% (\u2605)",
            )
        ax.axhline(0, color="black", linewidth=1)
        extent = max(float(np.nanmax(np.abs(diff))) if not np.isnan(diff).all() else 1.0, 1.0)
        for xi in x[sig]:
            yv = heights[xi]
            ax.text(
                xi,
                yv + (0.06 if yv >= 0 else -0.06) * extent,
                "\u2605",
                ha="center",
                va="bottom" if yv >= 0 else "top",
                fontsize=11,
                color="black",
            )
        for xi in x[hidden]:
            ax.text(
                xi,
                0.06 * extent,
                MARKER,
                ha="center",
                va="bottom",
                fontsize=9,
                fontweight="bold",
                color=_DARK_GREY,
            )
        ax.set_ylim(-1.35 * extent, 1.35 * extent)
        ax.text(
            0.995,
            0.98,
            "More reoffending than predicted \u2191",
            transform=ax.transAxes,
            ha="right",
            va="top",
            fontsize=9,
            color=_DARK_GREY,
        )
        ax.text(
            0.995,
            0.02,
            "Less reoffending than predicted \u2193",
            transform=ax.transAxes,
            ha="right",
            va="bottom",
            fontsize=9,
            color=_DARK_GREY,
        )
        _xticks_cohorts(ax, cohorts)
        ax.set_xlim(-0.6, len(x) - 0.4)
        ax.set_ylabel("Actual minus predicted\n(percentage points)")
        ax.set_xlabel("Cohort")
        ax.legend(loc="upper left", ncols=2, bbox_to_anchor=(0, 1.12), borderaxespad=0)
    have = ~np.isnan(diff)
    alt = (
        f"Bar chart of actual minus predicted {_measure_label(measure)} reoffending rate for "
        f"{_area_label(area)} across {_plural(len(x), 'cohort')}"
    )
    if have.any():
        alt += (
            f": differences from {_signed(float(np.nanmin(diff)))} to {_signed(float(np.nanmax(diff)))} "
            f"percentage points"
        )
    alt += "."
    if sig.any():
        alt += (
            " Significant: "
            + _join([f"{cohorts[i]} ({_signed(diff[i])})" for i in np.flatnonzero(sig)])
            + "."
        )
    else:
        alt += " None is significant at the 5% level."
    if hidden.any():
        alt += f" {_plural(int(hidden.sum()), 'cohort is', 'cohorts are')} suppressed."
    caption = (
        "Bars above zero mean more people reoffended than the prediction for that cohort; "
        "starred, hatched bars differ significantly (two-sided z-test, 5%)."
    )
    if hidden.any():
        caption += (f" {MARKER}: withheld to protect confidentiality (counts of people "
                    f"{withheld_words(threshold)}, or figures that would reveal one).")
    return _finish(fig, f"Actual against predicted reoffending, {_area_label(area)}", caption, alt, source)


_VARIATION_STYLE = {
    # variation: (label, colour, marker)
    "improvement": ("Special cause: improvement", _DARK_BLUE, "s"),
    "concern": ("Special cause: concern", _ORANGE, "X"),
    "special cause": ("Special cause", _PURPLE, "D"),
}


def xmr_chart(
    spc: pd.DataFrame,
    *,
    area_id: str | None = None,
    measure: str | None = None,
    source: str = _SOURCE_REOFFENDING,
) -> Chart | None:
    """XmR (individuals) chart of the rate by cohort: points, mean, process limits, special causes.

    Takes Results.spc (``area_id``/``measure`` pick one series). The mean is a solid line and
    the limits (mean ± 2.66 × mean moving range) dashed; special-cause points are drawn larger
    with their own marker and colour (improvement ■ blue, concern ✖ orange). Fewer than 12
    points: the limits are trial limits, said on the chart and in the caption. None when
    there is no value.
    """
    if _empty(spc):
        return None
    frame, area, measure = _series(spc, area_id, measure, "xmr_chart")
    rate = _num(frame["rate"]) if len(frame) else np.array([])
    if rate.size == 0 or np.isnan(rate).all():
        return None
    centre, lower, upper = _num(frame["centre"]), _num(frame["lower"]), _num(frame["upper"])
    special = _flags(frame["special_cause"])
    variation = [_text(v) for v in frame["variation"]]
    trial = bool(_flags(frame["trial_limits"]).any()) if "trial_limits" in frame else False
    cohorts = [str(c) for c in frame["cohort"]]
    x = np.arange(len(frame))
    with _style():
        fig = _figure()
        ax = fig.add_subplot()
        ax.plot(x, rate, color=_GREY, linewidth=1.5, zorder=2)
        common = ~special & ~np.isnan(rate)
        ax.plot(
            x[common],
            rate[common],
            linestyle="none",
            marker="o",
            markersize=5,
            color=_DARK_GREY,
            label="Common cause",
            zorder=3,
        )
        for key, (label, colour, marker) in _VARIATION_STYLE.items():
            mask = special & np.array([v == key for v in variation])
            if key == "special cause":
                mask = special & np.array([v not in ("improvement", "concern") for v in variation])
            if mask.any():
                ax.plot(
                    x[mask],
                    rate[mask],
                    linestyle="none",
                    marker=marker,
                    markersize=9,
                    color=colour,
                    markeredgecolor="black",
                    markeredgewidth=0.6,
                    label=label,
                    zorder=4,
                )
        ax.plot(x, centre, color="black", linewidth=1.2, label="Mean")
        ax.plot(x, lower, color=_DARK_GREY, linewidth=1.2, linestyle="--", label="Process limits")
        ax.plot(x, upper, color=_DARK_GREY, linewidth=1.2, linestyle="--")
        if trial:
            ax.text(
                0.99,
                0.03,
                f"Trial limits: fewer than 12 points ({len(x)})",
                transform=ax.transAxes,
                ha="right",
                va="bottom",
                fontsize=9,
                color=_DARK_GREY,
            )
        _xticks_cohorts(ax, cohorts)
        ax.set_xlim(-0.5, len(x) - 0.5)
        allv = np.concatenate([rate, lower, upper])
        allv = allv[~np.isnan(allv)]
        span = max(allv.max() - allv.min(), 1.0)
        ax.set_ylim(allv.min() - 0.12 * span, allv.max() + 0.12 * span)
        ax.set_ylabel("Reoffending rate (%)")
        ax.set_xlabel("Cohort")
        ax.legend(loc="upper left", ncols=4, bbox_to_anchor=(0, 1.12), borderaxespad=0)
    c0, l0, u0 = (float(np.nanmean(v)) if not np.isnan(v).all() else np.nan for v in (centre, lower, upper))
    alt = (
        f"XmR chart of the {_measure_label(measure)} reoffending rate for {_area_label(area)} over "
        f"{_plural(len(x), 'cohort')} ({cohorts[0]} to {cohorts[-1]}): mean {_fmt(c0)}%, process limits "
        f"{_fmt(l0)}% to {_fmt(u0)}%."
    )
    spec_idx = np.flatnonzero(special)
    rules = [_text(r) for r in frame["rules"]] if "rules" in frame else [""] * len(frame)
    if len(spec_idx):
        alt += (
            " Special-cause points: "
            + _join([f"{cohorts[i]} {_fmt(rate[i])}% ({variation[i]})" for i in spec_idx])
            + "."
        )
    else:
        alt += " Common-cause variation only: no special-cause point."
    caption = "Limits are the mean \u00b1 2.66 \u00d7 the mean moving range (NHS Making Data Count). "
    if len(spec_idx):
        caption += (
            "Special causes: "
            + "; ".join(
                f"{cohorts[i]}, {_join([_SPC_RULES.get(r, 'rule ' + r) for r in rules[i].split(';') if r])}"
                for i in spec_idx
            )
            + "."
        )
    else:
        caption += "No special cause: the variation is consistent with a stable process."
    if trial:
        caption += f" With {len(x)} points the limits are trial limits; treat signals with caution."
    return _finish(fig, f"Statistical process control chart, {_area_label(area)}", caption, alt, source)


def funnel_plot(
    funnel: pd.DataFrame,
    area_id: str,
    *,
    measure: str | None = None,
    cohort: str | None = None,
    label: str | None = None,
    source: str = _SOURCE_REOFFENDING,
) -> Chart | None:
    """Funnel plot of areas' reoffending rates against cohort size for one measure and cohort.

    Takes Results.funnel (every area; ``measure`` default the first, ``cohort`` default the
    latest with data). Dots are areas; the pooled rate is a solid line; 95% limits dashed and
    99.8% limits dotted (analysis.funnel.funnel_curve, with the table's overdispersion τ²).
    ``area_id`` is drawn as a large orange diamond and labelled (``label``, default from the
    id). Suppressed areas are left out and counted in the caption. None when no area has a rate.
    """
    if _empty(funnel):
        return None
    frame, measure = _pick(funnel, "measure", measure, "funnel_plot")
    if frame.empty:
        return None
    if cohort is None:
        with_rate = frame[frame["rate"].notna()]
        cohort = str(max(with_rate["cohort"].astype(str))) if len(with_rate) else str(max(frame["cohort"]))
    frame = frame[frame["cohort"].astype(str) == str(cohort)].reset_index(drop=True)
    n, rate = _num(frame["offenders"]), _num(frame["rate"])
    ok = ~np.isnan(n) & ~np.isnan(rate) & (n > 0)
    if not ok.any():
        return None
    target = float(_num(frame["target"])[ok][0])
    tau2 = float(np.nan_to_num(_num(frame["tau2"])[ok][0])) if "tau2" in frame else 0.0
    mine = (frame["area_id"] == area_id).to_numpy() & ok
    name = label or _area_label(area_id)
    curve = funnel_curve(target, np.linspace(max(1.0, n[ok].min() * 0.7), n[ok].max() * 1.1, 200), tau2)
    with _style():
        fig = _figure()
        ax = fig.add_subplot()
        ax.plot(
            curve["offenders"],
            curve["upper95"],
            color=_DARK_BLUE,
            linestyle="--",
            linewidth=1.3,
            label="95% limits",
        )
        ax.plot(curve["offenders"], curve["lower95"], color=_DARK_BLUE, linestyle="--", linewidth=1.3)
        ax.plot(
            curve["offenders"],
            curve["upper998"],
            color=_DARK_BLUE,
            linestyle=":",
            linewidth=1.6,
            label="99.8% limits",
        )
        ax.plot(curve["offenders"], curve["lower998"], color=_DARK_BLUE, linestyle=":", linewidth=1.6)
        ax.axhline(target, color=_DARK_GREY, linewidth=1.2, label=f"Pooled rate {_fmt(target)}%")
        others = ok & ~mine
        ax.plot(
            n[others],
            rate[others],
            linestyle="none",
            marker="o",
            markersize=6,
            color=_GREY,
            markeredgecolor=_DARK_GREY,
            markeredgewidth=0.8,
            label="Other areas",
        )
        if mine.any():
            i = int(np.flatnonzero(mine)[0])
            ax.plot(
                [n[i]],
                [rate[i]],
                linestyle="none",
                marker="D",
                markersize=9,
                color=_ORANGE,
                markeredgecolor="black",
                markeredgewidth=0.8,
                label=name,
                zorder=5,
            )
            right = n[i] < (n[ok].min() + n[ok].max()) / 2
            ax.annotate(
                f"{name}\n{_fmt(rate[i])}%",
                (n[i], rate[i]),
                xytext=(12 if right else -12, 10),
                textcoords="offset points",
                ha="left" if right else "right",
                fontsize=9,
                fontweight="bold",
                arrowprops={"arrowstyle": "-", "color": "black", "linewidth": 0.8},
            )
        ax.set_xlabel("Offenders in cohort")
        ax.set_ylabel("Reoffending rate (%)")
        lo = min(float(curve["lower998"].min()), float(rate[ok].min()))
        hi = max(float(curve["upper998"].max()), float(rate[ok].max()))
        span = hi - lo
        ax.set_ylim(max(0.0, lo - 0.05 * span), min(100.0, hi + 0.05 * span))
        ax.grid(True, axis="both", linewidth=0.5)
        fig.legend(loc="outside lower center", ncols=5, handletextpad=0.4, columnspacing=1.0)
    positions = [_text(p) for p in frame["position"]] if "position" in frame else [""] * len(frame)
    outside95 = sum(1 for k in np.flatnonzero(ok) if positions[k] and positions[k] != "within")
    outside998 = sum(1 for k in np.flatnonzero(ok) if "99.8" in positions[k])
    alt = (
        f"Funnel plot of {_plural(int(ok.sum()), 'area')}' {_measure_label(measure)} reoffending rates "
        f"for cohort {cohort} against cohort size, pooled rate {_fmt(target)}%. "
        f"{outside95} outside the 95% limits, {outside998} outside the 99.8% limits."
    )
    if mine.any():
        i = int(np.flatnonzero(mine)[0])
        where = positions[i] or "not assessed"
        alt += (
            f" {name}: {_fmt(rate[i])}% of {int(n[i]):,} offenders, "
            f"{'within the 95% limits' if where == 'within' else where + ' limit'}."
        )
    else:
        alt += f" {name} has no published rate for this cohort."
    caption = (
        f"Each dot is an area's rate for cohort {cohort}; areas outside the funnel differ from the pooled "
        "rate by more than chance would explain (Spiegelhalter 2005)."
    )
    if tau2 > 0:
        caption += " Limits are widened for overdispersion between areas."
    if (~ok).any():
        caption += (
            f" {_plural(int((~ok).sum()), 'area')} without a publishable rate (suppressed or missing) "
            "not shown."
        )
    if not mine.any():
        caption += f" {name} is not shown: no rate for this cohort."
    kinds = frame["area_type"].dropna().unique() if "area_type" in frame else []
    peers = _PEERS.get(str(kinds[0]), "areas") if len(kinds) == 1 else "areas"
    return _finish(fig, f"Reoffending rates of {peers}, cohort {cohort}", caption, alt, source)


# A funnel compares areas of one kind; its title says which.
_PEERS = {"probation_area": "probation areas", "local_authority": "local authorities",
          "community_safety_partnership": "community safety partnerships", "region": "regions",
          "nation": "nations"}


def ni18_chart(
    ni18_targets: pd.DataFrame, *, cohort: str | None = None, source: str = _SOURCE_REOFFENDING
) -> Chart | None:
    """NI 18 targets per area: predicted rate (●) and the target rate (◆) a significant fall needs.

    Takes Results.ni18_targets (``cohort`` default the latest). A grey line joins each area's
    predicted and target rate; the published expected rate is a hollow ○ when the table has
    it. Labels give the fall needed. None for empty input.
    """
    if _empty(ni18_targets):
        return None
    frame = ni18_targets[ni18_targets["predicted_rate"].notna()]
    # The latest cohort with a target to draw: one the disclosure layer withheld (its rate k/n
    # would reveal the cohort's size) is not drawn, and a cohort whose every target is withheld
    # would leave an empty chart where an earlier one has something to say.
    shown = frame[~_suppressed(frame, "target_rate")]
    if cohort is None and "cohort" in frame and shown["cohort"].notna().any():
        cohort = str(max(shown["cohort"].dropna().astype(str), key=cohort_sort_key))
    if cohort is not None and "cohort" in frame:
        frame = frame[frame["cohort"].astype(str) == cohort]
    frame = frame.reset_index(drop=True)
    withheld = _suppressed(frame, "target_rate")
    frame = frame[~withheld].reset_index(drop=True)
    if frame.empty:
        return None
    frame = frame.sort_values("area_id", kind="stable").reset_index(drop=True)
    predicted, target = _num(frame["predicted_rate"]), _num(frame["target_rate"])
    offenders = _num(frame["offenders"])
    published = (
        _num(frame["published_expected_reoffenders"]) / offenders * 100
        if "published_expected_reoffenders" in frame
        else np.full(len(frame), np.nan)
    )
    ypos = np.arange(len(frame))[::-1]
    names = [_area_label(a) for a in frame["area_id"]]
    with _style():
        fig = _figure(max(2.8, 0.42 * len(frame) + 1.3))
        ax = fig.add_subplot()
        ax.hlines(ypos, np.fmin(predicted, target), np.fmax(predicted, target), color=_GREY, linewidth=3)
        ax.plot(predicted, ypos, "o", color=_DARK_BLUE, markersize=8, label="Predicted rate", zorder=3)
        ax.plot(
            target,
            ypos,
            "D",
            color=_ORANGE,
            markersize=7,
            markeredgecolor="black",
            markeredgewidth=0.6,
            label="Target rate (significant fall)",
            zorder=4,
        )
        if not np.isnan(published).all():
            ax.plot(
                published,
                ypos,
                "o",
                markerfacecolor="none",
                markeredgecolor="black",
                markersize=12,
                markeredgewidth=1,
                label="Published expected rate",
                zorder=5,
            )
        hi = float(np.nanmax(np.concatenate([predicted, target, published])))
        lo = float(np.nanmin(np.concatenate([predicted, target, published])))
        span = max(hi - lo, 1.0)
        for yv, p, t, c in zip(ypos, predicted, target, _num(frame["change_pct"]), strict=True):
            ax.text(
                hi + 0.06 * span, yv, f"{_fmt(p)}% \u2192 {_fmt(t)}% ({_signed(c)}%)", va="center", fontsize=9
            )
        ax.set_xlim(max(0.0, lo - 0.1 * span), hi + 0.75 * span)
        ax.set_yticks(ypos, names)
        ax.set_xlabel("Reoffending rate (%)")
        _grid_x(ax)
        fig.legend(loc="outside lower center", ncols=3)
    change = _num(frame["change_pct"])
    alt = (
        f"Dot chart of predicted and NI 18 target reoffending rates for {_plural(len(frame), 'area')}"
        f"{', cohort ' + cohort if cohort else ''}. "
    )
    if not np.isnan(change).all():  # no target (too small a cohort for a significant fall) anywhere
        k_min, k_max = int(np.nanargmax(change)), int(np.nanargmin(change))
        alt += (f"Targets need falls from {_fmt(-change[k_min])}% "
                f"({names[k_min]}) to {_fmt(-change[k_max])}% ({names[k_max]}); ")
    alt += f"e.g. {names[0]} predicted {_fmt(predicted[0])}%, target {_fmt(target[0])}%."
    method = _text(frame["method"].iloc[0]) if "method" in frame else ""
    caption = (
        "The target is the largest reoffending rate that would be a statistically significant fall "
        "below the predicted rate."
    )
    if method:
        caption += f" Method: {method}."
    if withheld.any():
        caption += (f" {_plural(int(withheld.sum()), 'area')} not shown: {MARKER}, withheld to protect "
                    "confidentiality.")
    return _finish(fig, "NI 18 targets: predicted against target rate", caption, alt, source)


def ni30_chart(ni30_progress: pd.DataFrame, *, source: str = _SOURCE_REOFFENDING) -> Chart | None:
    """NI 30 per area: baseline re-offences, the ceiling, the target and (when known) the latest.

    Takes Results.ni30_progress. Grouped horizontal bars per area, each series with its own
    colour and hatch so it reads in greyscale, values printed. None for empty input.
    """
    if _empty(ni30_progress):
        return None
    frame = ni30_progress.sort_values("area_id", kind="stable").reset_index(drop=True)
    series = [
        ("baseline_reoffences", "Baseline", _DARK_BLUE, None),
        ("ceiling_reoffences", "Ceiling", _TURQUOISE, "\\\\"),
        ("target_reoffences", "Target", _ORANGE, "//"),
    ]
    if "latest_reoffences" in frame and frame["latest_reoffences"].notna().any():
        series.append(("latest_reoffences", "Latest", _DARK_PINK, ".."))
    values = {col: _num(frame[col]) for col, *_r in series}
    withheld = {col: _suppressed(frame, col) for col, *_r in series}
    if all(np.isnan(v).all() for v in values.values()):
        return None

    def shown(col: str, i: int) -> str:
        if withheld[col][i]:
            return MARKER
        return _fmt(values[col][i], 0) if not np.isnan(values[col][i]) else "no data"

    k = len(series)
    height = 0.8 / k
    names = [_area_label(a) for a in frame["area_id"]]
    ypos = np.arange(len(frame))[::-1] * 1.0
    top = float(np.nanmax(np.concatenate(list(values.values()))))
    with _style():
        fig = _figure(max(2.8, (0.22 * k + 0.25) * len(frame) + 1.4))
        ax = fig.add_subplot()
        for s, (col, label, colour, hatch) in enumerate(series):
            yv = ypos + 0.4 - height * (s + 0.5)
            ax.barh(
                yv,
                np.nan_to_num(values[col]),
                height=height * 0.92,
                color=colour,
                hatch=hatch,
                edgecolor="white",
                linewidth=0,
                label=label,
            )
            for i, (y1, v) in enumerate(zip(yv, values[col], strict=True)):
                ax.text((0 if np.isnan(v) else v) + top * 0.01, y1, shown(col, i), va="center",
                        fontsize=9)
        ax.set_yticks(ypos, names)
        ax.set_xlim(0, top * 1.15)
        ax.set_xlabel("Re-offences by the cohort")
        _grid_x(ax)
        fig.legend(loc="outside lower center", ncols=k)
    parts = []
    for i, name in enumerate(names):
        part = (f"{name}: baseline {shown('baseline_reoffences', i)}, ceiling "
                f"{shown('ceiling_reoffences', i)}, target {shown('target_reoffences', i)}")
        if "change_needed_pct" in frame and pd.notna(frame["change_needed_pct"].iloc[i]):
            part += f" ({_signed(float(frame['change_needed_pct'].iloc[i]))}%)"
        if "latest_reoffences" in values and (withheld["latest_reoffences"][i]
                                              or not np.isnan(values["latest_reoffences"][i])):
            part += f", latest {shown('latest_reoffences', i)}"
        parts.append(part)
    alt = (
        f"Grouped bar chart of NI 30 re-offences for {_plural(len(frame), 'area')}. " + "; ".join(parts) + "."
    )
    caption = (
        "NI 30 counts re-offences by the prolific and other priority offender cohort; the target is "
        "the count to get below, the ceiling the most the area may reach."
    )
    if any(w.any() for w in withheld.values()):
        caption += f" {MARKER}: withheld to protect confidentiality."
    return _finish(fig, "NI 30: baseline, ceiling and target re-offences", caption, alt, source)


_UNIT_SUFFIX = {"percent": "%", "days": " days", "count": ""}


def indicator_chart(
    indicators_status: pd.DataFrame, *, period: str | None = None, source: str = _SOURCE_INDICATORS
) -> Chart | None:
    """Performance indicators, one row each: value (bar), target (|) and comparator (◆).

    Takes Results.indicators_status (one area's; ``period`` default the latest). Indicators
    have different units, so each row has its own scale and prints its numbers. Met / not
    met is written at the right with ✓ or ✗ as well as coloured. None for empty input.
    """
    if _empty(indicators_status):
        return None
    frame, area = _pick(indicators_status, "area_id", None, "indicator_chart")
    if period is None and frame["period"].notna().any():
        period = str(max(frame["period"].dropna().astype(str)))
    frame = frame[(frame["period"].astype(str) == str(period)) & frame["value"].notna()].reset_index(
        drop=True
    )
    if frame.empty:
        return None
    n = len(frame)
    comparator_label = next((_text(c) for c in frame.get("comparator_label", []) if _text(c)), "Comparator")
    with _style():
        fig = _figure(0.55 * n + 1.1)
        axes = fig.subplots(n, 1, squeeze=False)[:, 0]
        for ax, (_, row) in zip(axes, frame.iterrows(), strict=True):
            value, target, comp = (
                float(row[c]) if pd.notna(row[c]) else np.nan for c in ("value", "target", "comparator")
            )
            unit = _UNIT_SUFFIX.get(_text(row.get("unit")), "")
            status = _text(row.get("status"))
            met = status == "met"
            colour = _DARK_BLUE if met else (_ORANGE if status == "not met" else _GREY)
            ax.barh(
                [0],
                [value],
                height=0.6,
                color=colour,
                hatch=None if met else "//",
                edgecolor="white",
                linewidth=0,
            )
            top = np.nanmax([value, target, comp, 1e-9])
            if not np.isnan(target):
                ax.plot([target], [0], marker="|", markersize=16, markeredgewidth=2.5, color="black")
            if not np.isnan(comp):
                ax.plot(
                    [comp],
                    [0],
                    marker="D",
                    markersize=6,
                    color=_TURQUOISE,
                    markeredgecolor="black",
                    markeredgewidth=0.6,
                )
            ax.set_xlim(0, top * 1.08)
            ax.set_ylim(-0.5, 0.5)
            ax.set_yticks([0], [_wrap(_text(row["indicator"]), 48, 2)])
            ax.set_xticks([])
            ax.grid(False)
            ax.spines[:].set_visible(False)
            mark = {"met": "\u2713 Met", "not met": "\u2717 Not met"}.get(
                status, status.capitalize() or "No target"
            )
            detail = f"target {_fmt(target)}{unit}" if not np.isnan(target) else "no target"
            ax.text(
                1.03,
                0,
                f"{_fmt(value)}{unit}: {mark}\n({detail})",
                transform=ax.get_yaxis_transform(),
                va="center",
                fontsize=9,
                color="black",
                fontweight="bold" if status == "not met" else "normal",
            )
        handles = [
            Patch(facecolor=_DARK_BLUE, label="Value: target met"),
            Patch(facecolor=_ORANGE, hatch="//", edgecolor="white", label="Value: not met"),
            Line2D(
                [],
                [],
                marker="|",
                markersize=12,
                markeredgewidth=2.5,
                color="black",
                linestyle="none",
                label="Target",
            ),
            Line2D(
                [],
                [],
                marker="D",
                markersize=6,
                color=_TURQUOISE,
                markeredgecolor="black",
                linestyle="none",
                label=comparator_label,
            ),
        ]
        fig.legend(handles=handles, loc="outside lower center", ncols=4, handletextpad=0.3, columnspacing=1.0)
    met = frame["status"] == "met"
    notmet = frame[frame["status"] == "not met"]
    alt = (
        f"Chart of {_plural(n, 'performance indicator')} for {_area_label(area)}, {period}: "
        f"{int(met.sum())} met their target, {len(notmet)} did not."
    )
    if len(notmet):
        worst = notmet.reindex(notmet["gap"].abs().sort_values(ascending=False).index).head(3)
        alt += (
            " Furthest from target: "
            + "; ".join(
                f"{_text(r['indicator'])} {_fmt(r['value'])} against {_fmt(r['target'])}"
                for _, r in worst.iterrows()
            )
            + "."
        )
    caption = (
        f"Each row has its own scale. Bars are the area's value for {period}; the black tick is the "
        f"target and the diamond the {comparator_label}."
    )
    return _finish(fig, f"Performance indicators, {period}", caption, alt, source)


def family_chart(inspection_family: pd.DataFrame, *, section: str = "overall",
                 source: str = _SOURCE_INSPECTION) -> Chart | None:
    """Each area's latest score in one section (default overall), grouped by family group, with
    the family mean as a dashed tick. Takes Results.inspection_family. None if empty."""
    if _empty(inspection_family):
        return None
    frame = inspection_family[inspection_family["section"] == section]
    if frame.empty or frame["score"].isna().all():  # no score in this section: the first scored one
        scored = inspection_family[inspection_family["score"].notna()]
        if scored.empty:
            return None
        section = str(scored["section"].iloc[0])
        frame = inspection_family[inspection_family["section"] == section]
    frame = frame.assign(family=frame["family_group"].fillna("(no family group)")).sort_values(
        ["family", "score"], ascending=[True, False]).reset_index(drop=True)
    labels = [_area_label(a) for a in frame["area_id"]]
    y = np.arange(len(frame))[::-1]
    with _style():
        fig = _figure(height=max(2.5, 0.4 * len(frame) + 1.2))
        ax = fig.add_subplot()
        ax.barh(y, _num(frame["score"]), color=_DARK_BLUE, height=0.6, label=f"Score ({section})")
        ax.scatter(_num(frame["family_mean"]), y, marker="|", s=300, color=_ORANGE, zorder=3,
                   label="Family group mean")
        for yi, score in zip(y, _num(frame["score"]), strict=True):
            ax.text(score + 1, yi, _fmt(score), va="center", fontsize=9)
        ax.set_yticks(y, [f"{lbl} ({_text(fam)})" for lbl, fam in zip(labels, frame["family"],
                                                                      strict=True)])
        ax.set_xlim(0, 105)
        ax.set_xlabel("Score (%)")
        fig.legend(loc="outside lower center", ncols=2)
    best = frame.loc[frame["score"].idxmax()]
    alt = (f"Horizontal bars of the latest {section} inspection score for {_plural(len(frame), 'area')}"
           f", grouped by family group; highest {_area_label(best['area_id'])} at {_fmt(best['score'])}%.")
    return _finish(fig, f"Inspection scores by family group ({section})",
                   "Bars are each area's latest full inspection; the orange tick is its family "
                   "group's mean.", alt, source)
