"""Action-plan charts' data and words: milestone timeline, strands per lead, pathway coverage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from ...labels import cell_text, join, long_date, plural
from ...pathways import CROSS_CUTTING
from ...rounding import whole_shares
from ..words import Words, area_name, empty, pathway_name, pathway_order

#: Milestone states in legend order: (label, colour name, marker, filled). Colours are named
#: here and looked up by the drawing module, which alone imports matplotlib.
STATE_STYLE = {
    "complete": ("Complete", "dark blue", "o", True),
    "missed": ("Missed", "purple", "X", True),
    "overdue": ("Overdue", "orange", "X", True),
    # Past due with nothing recorded: hollow, as no return is not failed delivery.
    "past due, no return": ("Past due, no return", "orange", "s", False),
    "due soon": ("Due soon", "dark pink", "^", True),
    "not yet due": ("Not yet due", "turquoise", "o", False),
    "dropped": ("Dropped", "dark grey", "x", True),
}
#: Two markers in one pathway closer than 1/STACK_SLOTS of the time axis would overlap.
STACK_SLOTS = 40
#: A pathway band's height is its stack levels plus this padding (y units: one per level).
BAND_PADDING = 1.5
#: and at least this high, so a pathway name on two lines has room beside a band of one level.
MIN_BAND = 2.0
_RECURRING = ("weekly", "monthly", "quarterly", "annually")
_UNDATED_LISTED = 3  # more than this are counted, not listed: the caption stays short


@dataclass(frozen=True)
class Timeline:
    """Dated milestones placed on the plan period (y stacked per pathway), and what is not shown."""

    points: pd.DataFrame  # milestone_id, pathway, pathway_name, due_date, state, level, y
    bands: pd.DataFrame  # pathway, pathway_name, levels, base, top, centre
    undated: pd.DataFrame  # pathway_name, description, due
    counts: dict[str, int]  # every milestone's state, undated included
    start: pd.Timestamp  # the axis: the plan period, widened to any milestone outside it
    end: pd.Timestamp
    period: tuple[pd.Timestamp, pd.Timestamp] | None  # the plans' own starts..ends
    as_of: pd.Timestamp
    area: str


def _stack(dues: pd.Series, gap: pd.Timedelta) -> list[int]:
    """Stack level of each due date (sorted): the lowest level with no marker within ``gap``."""
    last: list[pd.Timestamp] = []
    levels = []
    for due in dues:
        level = next((k for k, seen in enumerate(last) if due - seen >= gap), len(last))
        if level == len(last):
            last.append(due)
        else:
            last[level] = due
        levels.append(level)
    return levels


def _period(plans: pd.DataFrame | None, plan_ids: set[str]) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    if empty(plans) or not {"plan_id", "starts", "ends"} <= set(plans.columns):
        return None
    mine = plans[plans["plan_id"].isin(plan_ids)]
    starts, ends = pd.to_datetime(mine["starts"]).dropna(), pd.to_datetime(mine["ends"]).dropna()
    if starts.empty or ends.empty:
        return None
    return starts.min(), ends.max()


def _bands(points: pd.DataFrame, order: list[str]) -> tuple[pd.DataFrame, pd.Series]:
    """Bands bottom-up in reverse pathway order (the first pathway at the top); y of each point,
    its levels centred in its band."""
    rows, base = [], 0.0
    for code in reversed(order):
        levels = int(points.loc[points["pathway"] == code, "level"].max()) + 1
        top = base + max(levels - 1 + BAND_PADDING, MIN_BAND)
        rows.append({"pathway": code, "pathway_name": pathway_name(code), "levels": levels,
                     "base": base, "top": top, "centre": (base + top) / 2})
        base = top
    bands = pd.DataFrame(rows).set_index("pathway")
    first = bands["centre"] - (bands["levels"] - 1) / 2  # the lowest level's y in each band
    return bands.reset_index(), points["pathway"].map(first) + points["level"]


def prepare_timeline(milestones_status: pd.DataFrame, as_of: date,
                     plans: pd.DataFrame | None = None) -> Timeline | None:
    """Milestones on a due-date axis spanning the plan period, stacked where markers would overlap.

    The axis runs from the plans' earliest `starts` to their latest `ends` (widened to a
    milestone dated outside them; the dated milestones' own range without plans). Within a
    pathway, milestones sorted by due date take the lowest stack level with no marker less than
    1/STACK_SLOTS of the axis before them, so markers on one date sit one above the other.
    None without a dated milestone.
    """
    if empty(milestones_status):
        return None
    ms = milestones_status.assign(
        due_date=pd.to_datetime(milestones_status["due_date"], errors="coerce"),
        pathway=milestones_status["pathway"].fillna("").astype(str))
    is_dated = ms["due_date"].notna() & (ms["state"] != "undated")
    dated = ms[is_dated].sort_values(["pathway", "due_date", "milestone_id"], kind="stable")
    if dated.empty:
        return None
    period = _period(plans, set(ms["plan_id"].dropna().astype(str)) if "plan_id" in ms else set())
    start, end = dated["due_date"].min(), dated["due_date"].max()
    if period is not None:
        start, end = min(start, period[0]), max(end, period[1])
    if end - start < pd.Timedelta(days=60):  # a single date still needs an axis to sit on
        start, end = start - pd.Timedelta(days=30), end + pd.Timedelta(days=30)
    gap = (end - start) / STACK_SLOTS
    levels = pd.concat([pd.Series(_stack(g["due_date"], gap), index=g.index)
                        for _, g in dated.groupby("pathway", sort=False)])
    points = dated.assign(level=levels, pathway_name=dated["pathway"].map(pathway_name))
    order = pathway_order(list(points["pathway"].unique()))
    bands, y = _bands(points, order)
    points = points.assign(y=y)
    undated = ms[~is_dated].assign(pathway_name=lambda f: f["pathway"].map(pathway_name))
    area = area_name(ms, str(ms["area_id"].iloc[0])) if "area_id" in ms else ""
    return Timeline(points=points.reset_index(drop=True), bands=bands,
                    undated=undated[["pathway_name", "description", "due"]].reset_index(drop=True),
                    counts={str(k): int(v) for k, v in ms["state"].value_counts().items()},
                    start=start, end=end, period=period, as_of=pd.Timestamp(as_of), area=area)


def state_label(state: str) -> str:
    """A milestone state as the legend writes it (a state not in STATE_STYLE capitalised)."""
    return STATE_STYLE[state][0] if state in STATE_STYLE else cell_text(state).capitalize()


def _as_of_words(t: Timeline) -> str:
    if t.as_of < t.start:
        return ", a date before the period shown"
    if t.as_of > t.end:
        return ", a date after the period shown"
    return " (the dashed line)"


def _recurring(due: pd.Series) -> str:
    """' (4 monthly, 5 quarterly, 2 other)': undated milestones by how often they recur."""
    words = due.map(cell_text).str.strip().str.casefold()
    kinds = words.where(words.isin(_RECURRING), "other").value_counts()
    if "other" in kinds.index and len(kinds) == 1:
        return ""
    order = [k for k in _RECURRING if k in kinds.index] + (["other"] if "other" in kinds.index else [])
    return " (" + ", ".join(f"{kinds[k]} {k}" for k in order) + ")"


def describe_timeline(t: Timeline) -> Words:
    """Title, caption (period, as-of date, stacking, undated milestones listed) and alt text."""
    points = t.points
    states = [s for s in STATE_STYLE if t.counts.get(s)] + sorted(
        s for s in t.counts if s not in STATE_STYLE and s != "undated")
    state_words = join([f"{t.counts[s]} {state_label(s).lower()}" for s in states])
    overdue = points[points["state"] == "overdue"]["pathway_name"].value_counts()
    busiest = f", most in {overdue.index[0]} ({overdue.iloc[0]})" if len(overdue) else ""
    span = (f"the plan period, {long_date(t.period[0])} to {long_date(t.period[1])}"
            if t.period else f"{long_date(t.start)} to {long_date(t.end)}")
    alt = (f"Timeline of {plural(len(points), 'dated milestone')}"
           f"{' in the plan for ' + t.area if t.area else ''} across "
           f"{plural(len(t.bands), 'pathway')}, over {span}. As of {long_date(t.as_of)}: "
           f"{state_words}{busiest}.")
    if len(t.undated):
        alt += f" {plural(len(t.undated), 'milestone has', 'milestones have')} no readable due date."
    caption = (f"Each marker is a milestone at its due date, over {span}; shape and colour show its "
               f"state as of {long_date(t.as_of)}{_as_of_words(t)}.")
    if (points["level"] > 0).any():
        caption += " Milestones due close together in one pathway are stacked one above the other."
    if len(t.undated) > _UNDATED_LISTED:
        caption += (f" Not shown: {plural(len(t.undated), 'milestone')} with no single due date"
                    f"{_recurring(t.undated['due'])}, listed in the milestones table.")
    elif len(t.undated):
        listed = [f"{r.pathway_name}: {cell_text(r.description)} "
                  + (f"(due '{cell_text(r.due)}')" if cell_text(r.due) else "(no due date)")
                  for r in t.undated.itertuples()]
        caption += f" Not shown, no readable due date ({len(t.undated)}): " + "; ".join(listed) + "."
    title = f"Milestones by pathway, {t.area}" if t.area else "Milestones by pathway"
    return Words(title, caption, alt)


# --------------------------------------------------------------------------- strands per lead


@dataclass(frozen=True)
class LeadLoad:
    """Strands per lead organisation, most first, with whole-number shares of the strands."""

    shown: pd.DataFrame  # lead, strands, open_milestones, overdue, share
    rest: pd.DataFrame
    leads: int
    total: int  # strands in the plans (a strand led jointly once)
    joint: bool  # some strand counts for more than one lead, so shares add up to more than 100


def prepare_lead_load(lead_load: pd.DataFrame, top: int = 15) -> LeadLoad | None:
    """Strands per lead organisation over the area's plans, most first (ties by name); None when
    no strand.

    share = the lead's strands as a whole-number percentage of the plans' strands
    (analysis.rounding.whole_shares): by largest remainder, adding up to 100, when each strand
    has one lead; each rounded half up when joint leads count a strand for each organisation.
    """
    if empty(lead_load):
        return None
    frame = lead_load.assign(lead=lead_load["lead"].fillna("(no lead)").astype(str))
    per = (frame.groupby("lead", as_index=False)[["strands", "open_milestones", "overdue"]].sum()
           .sort_values(["strands", "lead"], ascending=[False, True], kind="stable")
           .reset_index(drop=True))
    counted = int(per["strands"].sum())
    # A table without plan_strands (from before leads were organisations) counts each strand once.
    total = (int(frame.groupby("plan_id")["plan_strands"].first().sum())
             if "plan_strands" in frame else counted)
    if total == 0:
        return None
    per["share"] = whole_shares(per["strands"].tolist(), total)
    return LeadLoad(shown=per.head(top), rest=per.iloc[top:], leads=len(per), total=total,
                    joint=counted > total)


def describe_lead_load(d: LeadLoad) -> Words:
    """Title, caption and alt text of the strands-per-lead chart."""
    first = d.shown.iloc[0]
    alt = (f"Horizontal bar chart of strands per lead for {plural(d.leads, 'lead')} and "
           f"{plural(d.total, 'strand')}. {first['lead']} leads the most, {int(first['strands'])} "
           f"({int(first['share'])}%)")
    if len(d.shown) > 1:
        alt += "; then " + join([f"{r.lead} {int(r.strands)}" for r in d.shown.iloc[1:5].itertuples()])
    alt += "."
    if d.joint:
        caption = ("Bars count the strands each lead organisation leads or co-leads (a strand led "
                   "jointly counts for each); labels give the share of all strands (so shares add "
                   "up to more than 100) and the lead's overdue milestones.")
    else:
        caption = ("Bars count the strands each lead owns; labels give the share of all strands "
                   "(whole percentages adding up to 100) and the lead's overdue milestones.")
    if len(d.rest):
        caption += (f" {plural(len(d.rest), 'further lead')} with "
                    f"{plural(int(d.rest['strands'].sum()), 'strand')} not shown.")
    return Words("Strands per lead", caption, alt)


# --------------------------------------------------------------------------- pathway coverage


@dataclass(frozen=True)
class Coverage:
    """Strands per plan and pathway as a tidy grid: one row per cell."""

    cells: pd.DataFrame  # row, column, plan_label, pathway, pathway_name, strands, gap
    plans: list[str]  # row labels, top to bottom
    pathways: list[str]  # codes, left to right
    first_theme: int | None  # column of the first cross-cutting theme


def _plan_labels(cov: pd.DataFrame, plans: pd.DataFrame | None) -> dict[str, str]:
    """Each plan's row label: its area's name, with the plan's title where an area has several."""
    ids = list(pd.unique(cov["plan_id"]))
    area_of = {p: cell_text(cov.loc[cov["plan_id"] == p, "area_id"].iloc[0]) for p in ids}
    titles = (dict(zip(plans["plan_id"], plans["title"], strict=True))
              if not empty(plans) and {"plan_id", "title"} <= set(plans.columns) else {})
    labels, seen = {}, pd.Series(list(area_of.values())).value_counts()
    for k, plan in enumerate(ids):
        name = area_name(cov, area_of[plan])
        if seen[area_of[plan]] > 1:
            name += f": {cell_text(titles[plan])}" if plan in titles else f", plan {k + 1}"
        labels[plan] = name
    return labels


def prepare_coverage(pathway_coverage: pd.DataFrame, plans: pd.DataFrame | None = None) -> Coverage | None:
    """Plans by pathways (the seven, then the themes): strands per cell, gaps marked. None if empty."""
    if empty(pathway_coverage):
        return None
    cov = pathway_coverage.assign(pathway=pathway_coverage["pathway"].astype(str))
    labels = _plan_labels(cov, plans)
    codes = pathway_order(list(cov["pathway"].unique()))
    rows = list(labels)
    cells = cov.assign(
        row=cov["plan_id"].map(rows.index), column=cov["pathway"].map(codes.index),
        plan_label=cov["plan_id"].map(labels), pathway_name=cov["pathway"].map(pathway_name),
        gap=cov["gap"].astype(bool))
    first = next((j for j, c in enumerate(codes) if c in CROSS_CUTTING), None)
    return Coverage(cells=cells[["row", "column", "plan_label", "pathway", "pathway_name", "strands", "gap"]]
                    .reset_index(drop=True), plans=[labels[p] for p in rows], pathways=codes,
                    first_theme=first or None)


def describe_coverage(c: Coverage) -> Words:
    """Title, caption and alt text: the most-covered pathway and every plan's gaps, by name."""
    gap_words = []
    for k, label in enumerate(c.plans):
        gaps = c.cells[(c.cells["row"] == k) & c.cells["gap"]].sort_values("column")
        if len(gaps):
            gap_words.append(f"{label}: {join([n.lower() for n in gaps['pathway_name']])}")
    counted = c.cells[c.cells["strands"].notna()]
    best = counted.loc[counted["strands"].astype(float).idxmax()]
    alt = (f"Grid of {plural(len(c.plans), 'plan')} by {len(c.pathways)} pathways and themes showing "
           f"strands per pathway. Most strands: {best['pathway_name']} in {best['plan_label']} "
           f"({int(best['strands'])}). ")
    alt += ("Gaps, with no strand: " + "; ".join(gap_words) + "." if gap_words
            else "No gaps: every pathway has a strand.")
    caption = ("Numbers are strands addressing each pathway or theme (a strand can address several); "
               "hatched cells marked 'gap' have none.")
    return Words("Strands by pathway", caption, alt)


def cell_values(c: Coverage) -> tuple[np.ndarray, np.ndarray]:
    """The grid as arrays (strands, NaN where no row; gap flags), rows by columns."""
    strands = np.full((len(c.plans), len(c.pathways)), np.nan)
    gaps = np.zeros_like(strands, dtype=bool)
    for r in c.cells.itertuples():
        strands[r.row, r.column] = np.nan if pd.isna(r.strands) else float(r.strands)
        gaps[r.row, r.column] = bool(r.gap)
    return strands, gaps
