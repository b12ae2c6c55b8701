"""Report tables (great-tables): plain-English labels, fixed ids, escaped text, "[c]" for suppressed cells.

Plans, indicators, completeness, page one and the overview here; reoffending tables in
analysis.reoffending_tables and inspection tables in analysis.inspection_tables, re-exported so
that callers keep one module to ask; the frame every table shares in analysis.tablekit.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence

import pandas as pd
from great_tables import GT, loc, style

from .inspection_tables import (
    change_table,
    criteria_table,
    family_table,
    inspection_responses_table,
    recommendations_table,
    sections_table,
)
from .labels import area_label as _area_label
from .labels import cell_text as _text
from .labels import short_date
from .links import report_link
from .pathways import pathway_label
from .progress import JOINT_LEADS, RAG_RULE
from .reoffending_tables import (
    benchmark_table,
    frequency_table,
    group_table,
    ni18_check_table,
    ni18_progress_table,
    ni18_table,
    ni30_no_progress,
    ni30_progress_table,
    ni30_table,
    rates_table,
)
from .rounding import whole_shares
from .sources import source_line
from .tablekit import MISSING, table_id
from .tablekit import RAG as _RAG
from .tablekit import area_subtitle as _area_subtitle
from .tablekit import build as _build
from .tablekit import column as _column
from .tablekit import day as _day
from .tablekit import empty as _empty
from .tablekit import first_upper as _first_upper
from .tablekit import labelled as _labelled
from .tablekit import number as _number
from .tablekit import rag_label as _rag_label

__all__ = [
    "MISSING",
    "benchmark_table",
    "group_table",
    "change_table",
    "completeness_table",
    "criteria_table",
    "exceptions_table",
    "family_table",
    "frequency_table",
    "glance_table",
    "indicator_summary_table",
    "indicators_table",
    "inspection_responses_table",
    "lead_load_table",
    "ni18_check_table",
    "ni18_table",
    "ni18_progress_table",
    "ni30_no_progress",
    "ni30_progress_table",
    "ni30_table",
    "quantitative_table",
    "rates_table",
    "recommendations_table",
    "sections_table",
    "show_table",
    "smart_audit_table",
    "strands_table",
    "table_id",
]

log = logging.getLogger(__name__)

_SMART = ("specific", "measurable", "time-bound", "owned", "partnered")

_SOURCE_PLAN = "Source: area reducing reoffending action plan; workbook analysis."
_SOURCE_COMPLETENESS = "Source: workbook data checks."


# --------------------------------------------------------------------------- notebook display


def show_table(gt: GT | None, *, empty: str = "There are no data for this table.") -> None:
    """Display a table in a notebook as HTML, with a fixed id so the output is the same every run.

    A GT made elsewhere without an id gets one derived from its title. ``None`` (a table
    function's answer to empty input) prints the ``empty`` sentence instead.
    """
    from IPython.display import Markdown, display

    if gt is None:
        display(Markdown(empty.replace("<", "&lt;")))
        return
    title = _text(getattr(getattr(gt, "_heading", None), "title", "")) or "table"
    if not getattr(getattr(gt, "_options", None), "table_id", None) or not gt._options.table_id.value:
        gt = gt.with_id(table_id(title))
    display({"text/html": gt.as_raw_html(), "text/plain": f"[Table: {title}]"}, raw=True)


# --------------------------------------------------------------------------- action plans


def _style_rag(gt: GT, ratings: Sequence[object], column: str) -> GT:
    for key, (_label, fill, ink) in _RAG.items():
        rows = [i for i, r in enumerate(ratings) if _text(r).lower() == key]
        if rows:
            gt = gt.tab_style(
                style=[style.fill(color=fill), style.text(color=ink, weight="bold")],
                locations=loc.body(columns=column, rows=rows),
            )
    return gt


def strands_table(strands_summary: pd.DataFrame, *, source: str = _SOURCE_PLAN) -> GT | None:
    """Strands with pathway, lead, RAG (colour and word), SMART score and what is missing.

    Takes Results.strands_summary. None for empty input.
    """
    if _empty(strands_summary):
        return None
    frame = strands_summary.reset_index(drop=True)
    body = _labelled(
        frame,
        {
            "Strand": lambda f: [_text(t) for t in f["title"]],
            "Pathway": lambda f: [pathway_label(p, q) for p, q in
                                  zip(f["pathway"], _column(f, "pathway_as_printed"), strict=True)],
            "Lead": lambda f: [_text(v) or "(no lead)" for v in f["lead"]],
            "Milestones": lambda f: [
                f"{int(c)} of {int(m)} complete" + (f", {int(o)} overdue" if o else "")
                for c, m, o in zip(f["complete"], f["milestones"], f["overdue"], strict=True)
            ],
            "RAG": lambda f: [_rag_label(r) for r in f["rag"]],
            "SMART score": lambda f: [f"{int(s)} of 5" for s in f["smart_score"]],
            "Missing from SMART": lambda f: [_text(v) or "nothing" for v in f["smart_missing"]],
        },
    )
    gt = _build(
        body,
        title="Action plan strands",
        subtitle=_area_subtitle(frame),
        source=source,
        notes=[f"RAG rule: {RAG_RULE}"],
    )
    return _style_rag(gt, list(frame["rag"]), "RAG")


_QUANTITY = {"met": "Met", "behind": "Behind", "no return": "Past due, no return",
             "in progress": "Not yet past due"}


def quantitative_table(milestones_status: pd.DataFrame, strands_summary: pd.DataFrame, *,
                       source: str = _SOURCE_PLAN) -> GT | None:
    """The milestones that set a figure (the plan's cumulative quarterly targets, such as
    189 / 454 / 827 / 1,181 completions) against the figure returned, strand by strand.

    Takes Results.milestones_status (its `quantity` state: met when actual ≥ target, behind
    when a figure short of it is returned after the due date, past due with no return, else
    not yet due; analysis.progress.milestone_status) and Results.strands_summary for the
    strands' titles. Rows in the plan's order of strands, then by due date. None when no
    milestone sets a figure.
    """
    if _empty(milestones_status) or "target" not in milestones_status:
        return None
    frame = milestones_status[milestones_status["target"].notna()]
    if frame.empty:
        return None
    order = {s: i for i, s in enumerate(strands_summary["strand_id"])} if not _empty(strands_summary) else {}
    titles = dict(zip(strands_summary["strand_id"], strands_summary["title"], strict=True)) \
        if not _empty(strands_summary) else {}
    frame = frame.assign(_order=frame["strand_id"].map(order)).sort_values(
        ["_order", "due_date"], kind="stable", na_position="last").reset_index(drop=True)
    body = _labelled(frame, {
        "Strand": lambda f: [_text(titles.get(s)) or MISSING for s in f["strand_id"]],
        "Milestone": lambda f: [_text(d) for d in f["description"]],
        "Due": lambda f: [_text(d) or MISSING for d in f["due"]],
        "Target": lambda f: [_number(v, 0) for v in f["target"]],
        "Returned": lambda f: [_number(v, 0) for v in f["actual"]],
        "State": lambda f: [_QUANTITY.get(_text(q), _text(q).capitalize() or MISSING) for q in f["quantity"]],
    })
    return _build(body, title="Milestones with a figure to reach", subtitle=None, source=source,
                  right=["Target", "Returned"], group="Strand",
                  notes=["Met: the figure returned reaches the target. Behind: a figure short of it "
                         "was returned after the due date. Past due, no return: the due date has "
                         "passed and no figure was returned, which is a missing return, not a "
                         "missed target."])


def _smart_parts(met: str, missing: str) -> dict[str, str]:
    result = {name: "" for name in _SMART}
    for item in filter(None, (p.strip() for p in _text(met).split(";"))):
        if item in result:
            result[item] = "\u2713 Yes"
    for item in filter(None, (p.strip() for p in re.split(r";\s+(?=[a-z-]+:)", _text(missing)))):
        name, _, reason = item.partition(":")
        if name.strip() in result:
            result[name.strip()] = "\u2717 No" + (f": {reason.strip()}" if reason.strip() else "")
    return result


def smart_audit_table(strands_summary: pd.DataFrame, *, source: str = _SOURCE_PLAN) -> GT | None:
    """SMART audit of each strand: specific, measurable, time-bound, owned, partnered (✓/✗ with reason).

    Takes Results.strands_summary. None for empty input.
    """
    if _empty(strands_summary):
        return None
    frame = strands_summary.reset_index(drop=True)
    parts = [_smart_parts(m, x) for m, x in zip(frame["smart_met"], frame["smart_missing"], strict=True)]
    columns: dict[str, Callable[[pd.DataFrame], Sequence[object]]] = {
        "Strand": lambda f: [_text(t) for t in f["title"]],
        "Score": lambda f: [f"{int(s)} of 5" for s in f["smart_score"]],
    }
    for name in _SMART:
        columns[name.capitalize()] = lambda f, n=name: [p[n] or MISSING for p in parts]
    body = _labelled(frame, columns)
    return _build(
        body,
        title="SMART audit of strands",
        subtitle=_area_subtitle(frame),
        source=source,
        notes=[
            "Specific: an aim is stated. Measurable: a measure, a figure in the aim or a milestone "
            "target. Time-bound: every milestone has a readable date. Owned: a lead is named. "
            "Partnered: partners are named."
        ],
    )


def _whole_shares(lead_load: pd.DataFrame) -> pd.Series:
    """Each lead's share of its plan's strands in whole percent (analysis.rounding.whole_shares):
    by largest remainder, adding up to 100, unless joint leads count a strand more than once."""
    # A table without plan_strands (from before leads were organisations) counts each strand once.
    whole = (lead_load["plan_strands"] if "plan_strands" in lead_load
             else lead_load.groupby("plan_id")["strands"].transform("sum"))
    return lead_load.groupby("plan_id")["strands"].transform(lambda s: pd.Series(
        whole_shares(s.tolist(), float(whole[s.index].iloc[0])), index=s.index))


def _joint(lead_load: pd.DataFrame) -> bool:
    """Whether some plan's organisations count a strand more than once (joint leads)."""
    if "plan_strands" not in lead_load or lead_load.empty:
        return False
    per = lead_load.groupby("plan_id").agg(strands=("strands", "sum"), plan=("plan_strands", "first"))
    return bool((per["strands"] > per["plan"]).any())


def lead_load_table(lead_load: pd.DataFrame, *, source: str = _SOURCE_PLAN) -> GT | None:
    """Strands, share, open and overdue milestones per lead organisation. Takes Results.lead_load.

    A strand led jointly counts for each of its organisations (the note says so). None if empty.
    """
    if _empty(lead_load):
        return None
    frame = lead_load.reset_index(drop=True)
    body = _labelled(
        frame,
        {
            "Lead": lambda f: [_text(v) or "(no lead)" for v in f["lead"]],
            "Strands": lambda f: [_number(v, 0) for v in f["strands"]],
            "Share of strands (%)": lambda f: [_number(v, 0) for v in _whole_shares(f)],
            "Open milestones": lambda f: [_number(v, 0) for v in f["open_milestones"]],
            "Overdue milestones": lambda f: [_number(v, 0) for v in f["overdue"]],
        },
    )
    notes = [JOINT_LEADS] if _joint(frame) else []
    return _build(
        body,
        title="Strands per lead",
        subtitle=_area_subtitle(frame),
        source=source,
        right=["Strands", "Share of strands (%)", "Open milestones", "Overdue milestones"],
        notes=notes,
    )


# --------------------------------------------------------------------------- indicators and data


_UNIT_SUFFIX = {"percent": "%", "days": " days", "count": ""}


def indicators_table(indicators_status: pd.DataFrame, *, source: str | None = None) -> GT | None:
    """Indicators: value, target, comparator, met or not (✓/✗ in words) and how the area compares.

    Takes Results.indicators_status. None if empty.
    """
    if _empty(indicators_status):
        return None
    frame = indicators_status.reset_index(drop=True)
    units = [_UNIT_SUFFIX.get(_text(u), "") for u in _column(frame, "unit")]

    def with_unit(column: str) -> Callable[[pd.DataFrame], list[str]]:
        return lambda f: [
            _number(v, 1, suffix=u) if not pd.isna(v) else MISSING
            for v, u in zip(_column(f, column), units, strict=True)
        ]

    status_words = {"met": "\u2713 Met", "not met": "\u2717 Not met"}
    body = _labelled(
        frame,
        {
            "Indicator": lambda f: [_text(i) for i in f["indicator"]],
            "Period": lambda f: [_text(p) for p in f["period"]],
            "Value": with_unit("value"),
            "Target": with_unit("target"),
            "Status": lambda f: [
                status_words.get(_text(s), _text(s).capitalize() or MISSING) for s in f["status"]
            ],
            "Comparator": with_unit("comparator"),
            "Compared with": lambda f: [_text(c) or MISSING for c in _column(f, "comparator_label")],
            "Against comparator": lambda f: [
                _text(v).capitalize() or MISSING for v in _column(f, "vs_comparator")
            ],
        },
    )
    return _build(
        body,
        title="Performance indicators",
        subtitle=_area_subtitle(frame),
        source=source or source_line(frame),
        right=["Value", "Target", "Comparator"],
    )


def completeness_table(completeness: pd.DataFrame, *, source: str = _SOURCE_COMPLETENESS) -> GT | None:
    """What data the report had: each item, present / partial / missing, and what a gap means.

    Takes Results.completeness. None if empty.
    """
    if _empty(completeness):
        return None
    frame = completeness.reset_index(drop=True)
    several = frame["area_id"].nunique() > 1 if "area_id" in frame else False
    columns: dict[str, Callable[[pd.DataFrame], Sequence[object]]] = {}
    if several:
        columns["Area"] = lambda f: [_area_label(a) for a in f["area_id"]]
    columns.update(
        {
            "Data": lambda f: [_first_upper(_text(i)) for i in f["item"]],
            "Status": lambda f: [_text(s).capitalize() for s in f["status"]],
            "Detail": lambda f: [_text(d) or MISSING for d in f["detail"]],
            "What this means": lambda f: [_text(c) or "nothing missing" for c in f["consequence"]],
        }
    )
    body = _labelled(frame, columns)
    gt = _build(body, title="Data completeness", subtitle=_area_subtitle(frame), source=source)
    rows = [i for i, s in enumerate(frame["status"]) if _text(s) != "present"]
    if rows:
        gt = gt.tab_style(style=style.text(weight="bold"), locations=loc.body(columns="Status", rows=rows))
    return gt


def indicator_summary_table(indicators_status: pd.DataFrame, *,
                            source: str | None = None) -> GT | None:
    """Per area and period: indicators met, not met and without a target. Takes
    Results.indicators_status."""
    if _empty(indicators_status):
        return None
    counts = (indicators_status.groupby(["area_id", "period"])["status"].value_counts()
              .unstack(fill_value=0).reset_index())
    for col in ("met", "not met", "no target"):
        if col not in counts:
            counts[col] = 0
    body = _labelled(counts, {
        "Area": lambda f: [_area_label(v) for v in f["area_id"]],
        "Period": lambda f: [_text(v) for v in f["period"]],
        "Met": lambda f: [_number(v, 0) for v in f["met"]],
        "Not met": lambda f: [_number(v, 0) for v in f["not met"]],
        "No target": lambda f: [_number(v, 0) for v in f["no target"]],
    })
    return _build(body, title="Indicators against targets by area", subtitle=None,
                  source=source or source_line(indicators_status),
                  right=["Met", "Not met", "No target"])


def glance_table(glance: pd.DataFrame, *,
                 source: str = "Source: each area's action plans, inspection reports and "
                               "reoffending data, as its own report names them; workbook "
                               "analysis.") -> GT | None:
    """Each area in one row: its as-of date (when the areas' differ), strands and how many are
    red or amber and not reported, latest overall inspection score, recommendations unanswered
    or late, and reoffending in brief. Takes OverviewReport.glance(). Overdue milestones are
    left to the area reports: a strand with one is amber, so counting both says it twice."""
    if _empty(glance):
        return None
    frame = glance.reset_index(drop=True)
    # Each area's own date, shown when the areas are not all as of the same one.
    dated = "as_of" in frame and frame["as_of"].nunique() > 1
    body = _labelled(frame, {
        # Each name links to the area's report (escaped here: fmt output is written as HTML).
        "Area": lambda f: [report_link(a, _text(v)) for a, v in zip(f["area_id"], f["name"], strict=True)],
        # One line each (no-break spaces): a date broken over three lines reads as three things.
        **({"As of": lambda f: [short_date(v).replace(" ", "\u00a0") for v in f["as_of"]]} if dated else {}),
        "Strands": lambda f: [_number(v, 0) for v in f["strands"]],
        "Strands red or amber": lambda f: [_number(v, 0) for v in f["behind"]],
        **({"Strands not reported": lambda f: [_number(v, 0) for v in f["not_reported"]]}
           if "not_reported" in frame else {}),
        "Latest inspection score (%)": lambda f: [_number(v, 0) for v in f["overall_score"]],
        # A rating since 2018 (youth justice, probation delivery units), shown where any area has one.
        **({"Latest inspection rating": lambda f: [_text(v) or MISSING for v in f["overall_rating"]]}
           if "overall_rating" in frame and frame["overall_rating"].notna().any() else {}),
        "Recommendations": lambda f: [_number(v, 0) for v in f["recommendations"]],
        "Recommendations without a strand": lambda f: [_number(v, 0) for v in f["unanswered"]],
        "Recommendations past due": lambda f: [_number(v, 0) for v in f["late"]],
        "Reoffending": lambda f: [_text(v) or MISSING for v in f["reoffending"]],
    })
    return _build(body, title="Areas at a glance", subtitle=None, source=source,
                  right=[c for c in body.columns if c not in ("Area", "As of", "Reoffending",
                                                              "Latest inspection rating")],
                  spanners={"Action plan": {"Strands": "Strands", "Strands red or amber": "Red or amber",
                                            "Strands not reported": "Not reported"},
                            "Recommendations": {"Recommendations": "Total",
                                                "Recommendations without a strand": "Without a strand",
                                                "Recommendations past due": "Past due"}},
                  notes=[f"{MISSING} = the area has no action plan, no scored inspection, no "
                         "recorded recommendations or no published reoffending figures.",
                         "Reoffending: the latest cohort's proven reoffending rate, else the NI 18 "
                         "target rate; and any NI 30 target. Better, similar or worse than the "
                         "benchmark area: by the rate's 95% Wilson interval, as OHID Fingertips "
                         "compares areas.",
                         *(["As of: each area is counted as of its own report's date (the date its "
                            "action plan's progress speaks for), as its own report counts it."]
                           if dated else [])]).fmt(lambda cell: cell, columns="Area")


# --------------------------------------------------------------------------- page one

# Red states carry the red fill, beside the word (never colour alone).
_EXCEPTION_FILL = {"red": _RAG["red"], "missed": _RAG["red"], "amber": _RAG["amber"]}


def exceptions_table(board_lines: pd.DataFrame, *, subtitle: str | None = None,
                     source: str = _SOURCE_PLAN) -> GT | None:
    """Page one's exceptions: state in words, what, owner, due date, what is wrong and what the
    progress return says (reason and action), and the decision asked of the board.

    Takes analysis.exceptions.board_lines(...) (already in order, reds first). None if empty.
    """
    from .exceptions import EXCEPTION_RULE

    if _empty(board_lines):
        return None
    frame = board_lines.reset_index(drop=True)

    def said(f: pd.DataFrame) -> list[str]:
        out = []
        for detail, reason, action in zip(f["detail"], f["reason"], f["action"], strict=True):
            first = _text(detail)
            parts = [first[:1].upper() + first[1:]]  # capitalize() would lower "1 April"
            parts += [f"Reason: {_text(reason)}"] if _text(reason) else []
            parts += [f"Action: {_text(action)}"] if _text(action) else []
            out.append(". ".join(p.rstrip(".") for p in parts if p) + ".")
        return out

    columns: dict[str, Callable[[pd.DataFrame], Sequence[object]]] = {
        "State": lambda f: [_text(s).capitalize() for s in f["state"]],
        "Exception": lambda f: [_text(w) for w in f["what"]],
        "Owner": lambda f: [_text(o) or "nobody named" for o in f["owner"]],
        "Due": lambda f: [_day(d) for d in f["due"]],
        "What is wrong and what is being done": said,
    }
    notes = [EXCEPTION_RULE]
    # A column of dashes says nothing: say once that no return asks for a decision.
    if any(_text(d) for d in frame["decision"]):
        columns["Decision asked of the board"] = lambda f: [_text(d) or MISSING for d in f["decision"]]
    else:
        notes.append("No progress return asks the board for a decision.")
    body = _labelled(frame, columns)
    gt = _build(body, title="Exceptions", subtitle=subtitle, source=source, notes=notes)
    for key, (_label, fill, ink) in _EXCEPTION_FILL.items():
        rows = [i for i, s in enumerate(frame["state"]) if _text(s) == key]
        if rows:
            gt = gt.tab_style(style=[style.fill(color=fill), style.text(color=ink, weight="bold")],
                              locations=loc.body(columns="State", rows=rows))
    return gt

