"""Report tables (great-tables): plain-English labels, fixed ids, escaped text, "[c]" for suppressed cells."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
from great_tables import GT, loc, style

from .agreed import AGREED, CALCULATED
from .disclosure import MARKER
from .disclosure import note as withheld_note
from .labels import area_label as _area_label
from .labels import cell_text as _text
from .labels import measure_label, short_date
from .links import report_link
from .pathways import pathway_label
from .progress import JOINT_LEADS, RAG_RULE
from .rounding import whole_shares
from .sources import rows_named, source_line
from .trajectory import ON_TRACK_RULE

__all__ = [
    "completeness_table",
    "criteria_table",
    "exceptions_table",
    "frequency_table",
    "glance_table",
    "indicators_table",
    "inspection_responses_table",
    "lead_load_table",
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

MISSING = "\u2013"  # en dash: no figure (not the same as suppressed, which shows MARKER)
# RAG fills (GOV.UK design system colours); the cell always says the rating in words as well.
_RAG = {
    "red": ("Red", "#D4351C", "#FFFFFF"),
    "amber": ("Amber", "#FFDD00", "#0B0C0C"),
    "green": ("Green", "#00703C", "#FFFFFF"),
}
_SMART = ("specific", "measurable", "time-bound", "owned", "partnered")

_SOURCE_PLAN = "Source: area reducing reoffending action plan; workbook analysis."
_SOURCE_COMPLETENESS = "Source: workbook data checks."


# --------------------------------------------------------------------------- helpers


def table_id(title: str) -> str:
    """A fixed HTML id derived from the title, so the same table renders the same HTML every time."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40] or "table"
    return f"wb-{slug}-{hashlib.sha1(title.encode('utf-8')).hexdigest()[:8]}"


def _first_upper(text: str) -> str:
    """The first letter capitalised, the rest as written ('NI 18' stays 'NI 18')."""
    return text[:1].upper() + text[1:]


def _empty(frame: pd.DataFrame | None) -> bool:
    return frame is None or not isinstance(frame, pd.DataFrame) or frame.empty




def _number(value: object, decimals: int = 1, suffix: str = "", signed: bool = False) -> str:
    if value is None or value is pd.NA:
        return MISSING
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return _text(value) or MISSING
    if np.isnan(number):
        return MISSING
    text = f"{number:,.{decimals}f}"
    if signed and number > 0:
        text = "+" + text
    return text.replace("-", "\u2212") + suffix


def _hidden(frame: pd.DataFrame) -> list[set[str]]:
    """The withheld columns of each row, as the disclosure layer listed them."""
    if "suppressed" not in frame:
        return [set() for _ in range(len(frame))]
    return [set(filter(None, _text(s).split(";"))) for s in frame["suppressed"]]


def _shown(hidden: list[set[str]], column: str,
           fmt: Callable[[object], str]) -> Callable[[pd.DataFrame], list[str]]:
    """A column's cells: the marker where the disclosure layer withheld it, else the figure."""
    return lambda f: [MARKER if column in h else fmt(v)
                      for v, h in zip(_column(f, column), hidden, strict=True)]


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    return frame[name] if name in frame else pd.Series([pd.NA] * len(frame), index=frame.index, dtype=object)


def _build(
    body: pd.DataFrame,
    *,
    title: str,
    subtitle: str | None,
    source: str,
    right: Sequence[str] = (),
    group: str | None = None,
    notes: Sequence[str] = (),
    spanners: Mapping[str, Mapping[str, str]] | None = None,
) -> GT:
    """The common frame of every table: fixed id, header, labels as given, source and notes.

    `spanners` maps a heading to the columns it spans and the shorter label each then shows
    ({"Recommendations": {"Recommendations past due": "Past due"}}): one word over several
    columns instead of in each, so a wide table fits a page.
    """
    gt = GT(body, id=table_id(title), groupname_col=group)
    gt = gt.tab_header(title=title, subtitle=subtitle) if subtitle else gt.tab_header(title=title)
    for heading, spanned in (spanners or {}).items():
        columns = {column: label for column, label in spanned.items() if column in body.columns}
        if columns:
            gt = gt.tab_spanner(label=heading, columns=list(columns)).cols_label(**columns)
    right = [c for c in right if c in body.columns]
    if right:
        gt = gt.cols_align("right", columns=right)
    gt = gt.sub_missing(missing_text=MISSING)
    for note in notes:
        gt = gt.tab_source_note(note)
    gt = gt.tab_source_note(source)
    return gt.tab_options(table_font_size="90%", heading_title_font_size="110%", heading_align="left")


def _labelled(
    frame: pd.DataFrame, columns: dict[str, Callable[[pd.DataFrame], Sequence[object]]]
) -> pd.DataFrame:
    """A display frame: each plain-English column label mapped to its (already formatted) values."""
    return pd.DataFrame({label: list(make(frame)) for label, make in columns.items()})


def _area_subtitle(frame: pd.DataFrame) -> str | None:
    if "area_id" not in frame:
        return None
    areas = list(pd.unique(frame["area_id"].dropna()))
    return _area_label(areas[0]) if len(areas) == 1 else None


def _inspection_names(inspections: pd.DataFrame | None) -> dict[str, str]:
    """Each inspection's name for a reader: its printed title, else its kind and when it was
    published ('Thematic inspection published January 2005'); never its id."""
    if _empty(inspections):
        return {}
    names = {}
    for row in inspections.itertuples():
        title = _text(getattr(row, "title", ""))
        when = _text(getattr(row, "published_as_printed", "")) or (
            short_date(row.published) if not pd.isna(row.published) else "")
        kind = _text(getattr(row, "kind", "")).replace("-", " ").capitalize() or "An"
        names[row.inspection_id] = title or f"{kind} inspection" + (f" published {when}" if when else "")
    return names


def _inspection_source(inspections: pd.DataFrame | None, *ids: pd.Series) -> str:
    """The source line of a table of inspections' findings: the documents of the inspections
    its rows name (their ids, in the order the rows name them), as the inspections table
    cites them."""
    return source_line(rows_named(inspections, "inspection_id", [i for s in ids for i in s]))


def _named(names: Mapping[str, str], value: object) -> str:
    return names.get(_text(value), "") or "inspection (no title given)"


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


def _rag_label(value: object) -> str:
    key = _text(value).lower()
    return _RAG[key][0] if key in _RAG else ("No RAG" if not key else _text(value))


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


# --------------------------------------------------------------------------- inspection


def criteria_table(inspection_criteria: pd.DataFrame, inspections: pd.DataFrame | None = None, *,
                   source: str | None = None) -> GT | None:
    """Inspection criteria grouped by section: criterion, title, importance and rating or score.

    Takes Results.inspection_criteria (several inspections are grouped separately, by the title
    ``inspections`` gives them). None if empty.
    """
    if _empty(inspection_criteria):
        return None
    frame = inspection_criteria.reset_index(drop=True)
    several = frame["inspection_id"].nunique() > 1 if "inspection_id" in frame else False

    def group(f: pd.DataFrame) -> list[str]:
        labels = [f"{_text(s)}: {_text(t)}" for s, t in zip(f["section"], f["section_title"], strict=True)]
        if several:
            names = _inspection_names(inspections)
            labels = [f"{_named(names, i)} \u2013 {lbl}"
                      for i, lbl in zip(f["inspection_id"], labels, strict=True)]
        return labels

    def result(f: pd.DataFrame) -> list[str]:
        return [
            (_text(r) or "no rating") if _text(s) == "rated" else _number(v, 0)
            for s, r, v in zip(f["scoring"], f["rating"], f["score"], strict=True)
        ]

    body = _labelled(
        frame,
        {
            "Section": group,
            "Criterion": lambda f: [_text(c) for c in f["criterion"]],
            "Title": lambda f: [_text(t) for t in f["title"]],
            "Importance": lambda f: [_text(i).capitalize() or MISSING for i in _column(f, "importance")],
            "Rating or score (%)": result,
        },
    )
    return _build(
        body,
        title="Inspection criteria",
        subtitle=_area_subtitle(frame),
        source=source or source_line(frame),
        group="Section",
        right=["Rating or score (%)"],
        notes=[
            "Scores are the percentage of sampled cases meeting the criterion; critical criteria "
            "weigh twice the important ones. Rated criteria use the six-point scale from Very "
            "well met to Poor."
        ],
    )


def sections_table(inspection_sections: pd.DataFrame, inspections: pd.DataFrame | None = None, *,
                   source: str | None = None) -> GT | None:
    """Section scores: the workbook's calculation, the printed score and the difference (flagged).

    Takes Results.inspection_sections; ``inspections`` gives the inspections' titles when there
    are several. None if empty.
    """
    if _empty(inspection_sections):
        return None
    frame = inspection_sections.reset_index(drop=True)
    ours, printed = (
        pd.to_numeric(frame["score"], errors="coerce"),
        pd.to_numeric(frame["published"], errors="coerce"),
    )
    agrees = [None if pd.isna(a) else bool(a) for a in _column(frame, "agrees")]
    several = frame["inspection_id"].nunique() > 1 if "inspection_id" in frame else False
    columns: dict[str, Callable[[pd.DataFrame], Sequence[object]]] = {}
    if several:
        names = _inspection_names(inspections)
        columns["Inspection"] = lambda f: [_named(names, i) for i in f["inspection_id"]]
    columns.update(
        {
            "Section": lambda f: ["Overall" if _text(s) == "overall" else _text(s) for s in f["section"]],
            "Title": lambda f: [_text(t) for t in f["title"]],
            "Workbook score": lambda f: [_number(v, 1) for v in ours],
            "Printed score": lambda f: [
                _number(v, 1) if not pd.isna(v) and v != round(v) else _number(v, 0) for v in printed
            ],
            "Difference": lambda f: [
                _number(a - b, 1, signed=True) if not (pd.isna(a) or pd.isna(b)) else MISSING
                for a, b in zip(ours, printed, strict=True)
            ],
            "Agrees": lambda f: [
                "Yes" if a else ("\u2260 No: check" if a is False else MISSING) for a in agrees
            ],
            "Criteria scored": lambda f: [
                f"{int(s)} of {int(e)}"
                for s, e in zip(f["criteria_scored"], f["criteria_expected"], strict=True)
            ],
        }
    )
    body = _labelled(frame, columns)
    gt = _build(
        body,
        title="Inspection section scores",
        subtitle=_area_subtitle(frame),
        source=source or source_line(frame),
        right=["Workbook score", "Printed score", "Difference", "Criteria scored"],
        notes=["Agrees: the workbook score rounds to the printed one. Overall = 30% B + 40% C + 30% D."],
    )
    rows = [i for i, a in enumerate(agrees) if a is False]
    if rows:
        gt = gt.tab_style(style=style.text(weight="bold"), locations=loc.body(columns="Agrees", rows=rows))
    return gt


# --------------------------------------------------------------------------- reoffending


def rates_table(reoffending_rates: pd.DataFrame, *, threshold: int,
                source: str | None = None) -> GT | None:
    """Reoffending by cohort: offenders, reoffenders, rate, 95% CI, predicted, difference, significance.

    Takes Results.reoffending_rates (disclosure control applied) and the build's `threshold`.
    Withheld cells show "[c]" with a note saying the threshold; missing figures show "–".
    Several areas add an Area column; several measures become row groups. None if empty.
    """
    if _empty(reoffending_rates):
        return None
    frame = reoffending_rates.reset_index(drop=True)
    hidden = _hidden(frame)

    def cells(column: str, fmt: Callable[[object], str]) -> Callable[[pd.DataFrame], list[str]]:
        return _shown(hidden, column, fmt)

    def interval(f: pd.DataFrame) -> list[str]:
        out = []
        for lo, hi, h in zip(_column(f, "ci_low"), _column(f, "ci_high"), hidden, strict=True):
            if "ci_low" in h or "ci_high" in h:
                out.append(MARKER)
            elif pd.isna(lo) or pd.isna(hi):
                out.append(MISSING)
            else:
                out.append(f"{_number(lo)} to {_number(hi)}")
        return out

    def significant(v: object) -> str:
        return MISSING if v is None or pd.isna(v) else ("Yes" if bool(v) else "No")

    def verdict(f: pd.DataFrame) -> list[str]:
        """Actual against predicted in words; the source's own words marked as printed."""
        out = []
        for words, whose, h in zip(_column(f, "verdict"), _column(f, "verdict_source"), hidden, strict=True):
            if "significant" in h:
                out.append(MARKER)
            elif words is None or pd.isna(words):
                out.append(MISSING)
            else:
                out.append(_text(words) + (" (as printed)" if _text(whose) == "as printed" else ""))
        return out

    in_words = "verdict" in frame

    several_areas = frame["area_id"].nunique() > 1 if "area_id" in frame else False
    several_measures = frame["measure"].nunique() > 1 if "measure" in frame else False
    columns: dict[str, Callable[[pd.DataFrame], Sequence[object]]] = {}
    if several_measures:
        columns["Measure"] = lambda f: [_first_upper(measure_label(m)) for m in f["measure"]]
    if several_areas:
        columns["Area"] = lambda f: [_area_label(a) for a in f["area_id"]]
    columns.update(
        {
            # As the source prints it ("1st 4 cohorts (baseline)"); the key only orders rows.
            "Cohort": lambda f: _as_printed(f, "cohort_as_printed", "cohort"),
            "Offenders": cells("offenders", lambda v: _number(v, 0)),
            "Reoffenders": cells("reoffenders", lambda v: _number(v, 0)),
            "Rate (%)": cells("rate", lambda v: _number(v, 1)),
            "95% confidence interval": interval,
            "Predicted rate (%)": cells("predicted_rate", lambda v: _number(v, 1)),
            "Actual minus predicted (points)": cells("difference", lambda v: _number(v, 1, signed=True)),
            **({"Against predicted": verdict} if in_words else
               {"Significant (5%)": cells("significant", significant)}),
        }
    )
    body = _labelled(frame, columns)
    notes = [
        "Rates are the percentage of the cohort proven to reoffend; the interval is the 95% Wilson "
        "interval; significance is a two-sided z-test of actual against predicted."
        + (" Against predicted: by that test at 5%; (as printed): the source's own words, for a "
           "rate printed without counts." if in_words else "")
    ]
    subtitle = _area_subtitle(frame)
    if not several_measures and "measure" in frame and len(frame):
        measure = measure_label(frame["measure"].iloc[0])
        subtitle = f"{subtitle}: {measure}" if subtitle else _first_upper(measure)
    gt = _build(
        body,
        title="Proven reoffending by cohort",
        subtitle=subtitle,
        source=source or source_line(frame),
        group="Measure" if several_measures else None,
        notes=notes,
        right=[
            "Offenders",
            "Reoffenders",
            "Rate (%)",
            "95% confidence interval",
            "Predicted rate (%)",
            "Actual minus predicted (points)",
            "Significant (5%)",
        ],
    )
    if any(hidden):
        gt = gt.tab_footnote(withheld_note(threshold))
    return gt


def frequency_table(reoffending_rates: pd.DataFrame, *, threshold: int,
                    source: str | None = None) -> GT | None:
    """How often and how seriously the cohort re-offended, where the data give re-offences:
    re-offences per 100 offenders (frequency), per re-offender, and serious re-offences per
    100 offenders (severity), as the Ministry of Justice publishes them.

    Takes Results.reoffending_rates (disclosure control applied: a withheld count withholds
    every figure made from it) and the build's `threshold`. Its own table beside the rates,
    so that each fits an A4 page. None when no row gives re-offences.
    """
    if _empty(reoffending_rates):
        return None
    frame = reoffending_rates.reset_index(drop=True)
    # NI 30's re-offence counts are its own tables' (targets and progress), not repeated here.
    given = (_column(frame, "reoffences").notna()
             | pd.Series(["reoffences" in h for h in _hidden(frame)], index=frame.index))
    frame = frame[given & (frame["measure"].astype(str).str.strip().str.lower() != "ni30")]
    if frame.empty:
        return None
    frame = frame.reset_index(drop=True)
    hidden = _hidden(frame)
    several_areas = frame["area_id"].nunique() > 1
    several_measures = frame["measure"].nunique() > 1
    columns: dict[str, Callable[[pd.DataFrame], Sequence[object]]] = {}
    if several_measures:
        columns["Measure"] = lambda f: [_first_upper(measure_label(m)) for m in f["measure"]]
    if several_areas:
        columns["Area"] = lambda f: [_area_label(a) for a in f["area_id"]]
    columns |= {
        "Cohort": lambda f: _as_printed(f, "cohort_as_printed", "cohort"),
        "Offenders": _shown(hidden, "offenders", lambda v: _number(v, 0)),
        "Re-offences": _shown(hidden, "reoffences", lambda v: _number(v, 0)),
        "Re-offences per 100 offenders": _shown(hidden, "frequency", lambda v: _number(v, 1)),
        "Re-offences per re-offender": _shown(hidden, "reoffences_per_reoffender", lambda v: _number(v, 2)),
    }
    if _column(frame, "serious_reoffences").notna().any() or any("serious_reoffences" in h for h in hidden):
        columns |= {
            "Serious re-offences": _shown(hidden, "serious_reoffences", lambda v: _number(v, 0)),
            "Serious re-offences per 100 offenders": _shown(hidden, "severity", lambda v: _number(v, 1)),
        }
    body = _labelled(frame, columns)
    subtitle = _area_subtitle(frame)
    if not several_measures and len(frame):
        measure = measure_label(frame["measure"].iloc[0])
        subtitle = f"{subtitle}: {measure}" if subtitle else _first_upper(measure)
    gt = _build(body, title="Frequency and severity of proven re-offending", subtitle=subtitle,
                source=source or source_line(frame), group="Measure" if several_measures else None,
                notes=["Frequency: proven re-offences per 100 offenders in the cohort; per "
                       "re-offender: re-offences over those who re-offended; severity: serious "
                       "proven re-offences per 100 offenders (Ministry of Justice measures)."],
                right=[c for c in body.columns if c not in ("Measure", "Area", "Cohort")])
    return gt.tab_footnote(withheld_note(threshold)) if any(hidden) else gt


def _as_printed(frame: pd.DataFrame, printed: str, key: str) -> list[str]:
    """Each row's cohort as its source prints it, else the cohort key (which only orders rows)."""
    return [_text(p) or _text(k) or MISSING
            for p, k in zip(_column(frame, printed), _column(frame, key), strict=True)]


def _expected(frame: pd.DataFrame, withheld: list[set[str]]) -> list[str]:
    """The expected re-offenders as published where given, else offenders times predicted rate."""
    published = _column(frame, "published_expected_reoffenders")
    return [MARKER if "expected_reoffenders" in h else
            _number(p, 0) if pd.notna(p) else _number(e, 1)
            for p, e, h in zip(published, frame["expected_reoffenders"], withheld, strict=True)]


def _as_given(value: object) -> str:
    """A whole number without decimals (a 15% stretch), else to one decimal."""
    whole = pd.notna(value) and float(value) == round(float(value))  # type: ignore[arg-type]
    return _number(value, 0 if whole else 1)


def ni18_table(ni18_targets: pd.DataFrame, *, threshold: int,
               source: str | None = None) -> GT | None:
    """NI 18 targets per area as the plan prints them: cohort, expected re-offenders, predicted
    rate, target re-offenders, rate needed and % change (rates to two decimals, as printed).

    Takes Results.ni18_targets (disclosure control applied) and the build's `threshold`. The
    target shown is the agreed one where the data gives it, else the workbook's calculation,
    and the Target column says which; the calculation's method is a note. None if empty.
    """
    if _empty(ni18_targets):
        return None
    frame = ni18_targets.reset_index(drop=True)
    withheld = _hidden(frame)

    def hidden(fmt: Callable[[object], str], column: str) -> Callable[[pd.DataFrame], list[str]]:
        return _shown(withheld, column, fmt)

    sources = [_text(s) for s in _column(frame, "target_source")]
    body = _labelled(frame, {
        "Area": lambda f: [_area_label(a) for a in f["area_id"]],
        "Cohort": lambda f: _as_printed(f, "cohort_as_printed", "cohort"),
        "Offenders": hidden(lambda v: _number(v, 0), "offenders"),
        "Expected re-offenders": lambda f: _expected(f, withheld),
        "Predicted rate (%)": lambda f: [_number(v, 2) for v in f["predicted_rate"]],
        "Target re-offenders": hidden(lambda v: _number(v, 0), "target_reoffenders"),
        "Rate needed (%)": hidden(lambda v: _number(v, 2), "target_rate"),
        "Change (%)": hidden(lambda v: _number(v, 2, signed=True), "change_pct"),
        "Target": lambda f: [s.capitalize() or MISSING for s in sources],
    })
    notes = []
    if AGREED in sources:
        notes.append("Agreed: the target as the plan printed it; the workbook's own calculation "
                     "of it is an analyst's check in the appendix.")
    if CALCULATED in sources:
        methods = pd.unique(frame.loc[[s != AGREED for s in sources], "method"].dropna()) \
            if "method" in frame else []
        notes += [f"Workbook calculation: {_text(m)}." for m in methods if _text(m)]
    gt = _build(
        body,
        title="NI 18 reoffending targets",
        subtitle=None,
        source=source or source_line(frame),
        notes=notes,
        right=[c for c in body.columns if c not in ("Area", "Cohort", "Target")],
    )
    return gt.tab_footnote(withheld_note(threshold)) if any(withheld) else gt


def ni18_check_table(ni18_targets: pd.DataFrame) -> GT | None:
    """The analyst's check of the agreed NI 18 targets: the workbook's calculation beside each.

    Takes Results.ni18_targets (disclosure control applied): rows with an agreed target only;
    difference = (calculated − agreed) / agreed · 100 for the count. None when no row has one.
    """
    if _empty(ni18_targets) or "target_source" not in ni18_targets:
        return None
    frame = ni18_targets[ni18_targets["target_source"] == AGREED].reset_index(drop=True)
    if frame.empty:
        return None
    withheld = _hidden(frame)
    agreed = frame["target_reoffenders"].astype("Float64")
    ours = frame["computed_target_reoffenders"].astype("Float64")
    gap = ((ours - agreed) / agreed * 100).astype("float64")

    def hidden(fmt: Callable[[object], str], column: str) -> Callable[[pd.DataFrame], list[str]]:
        return _shown(withheld, column, fmt)

    body = _labelled(frame, {
        "Area": lambda f: [_area_label(a) for a in f["area_id"]],
        "Agreed re-offenders": hidden(lambda v: _number(v, 0), "target_reoffenders"),
        "Our method": hidden(lambda v: _number(v, 0), "computed_target_reoffenders"),
        "Difference (%)": lambda f: [MARKER if "computed_target_reoffenders" in h else
                                     _number(g, 1, signed=True)
                                     for g, h in zip(gap, withheld, strict=True)],
        "Agreed rate (%)": hidden(lambda v: _number(v, 2), "target_rate"),
        "Our rate (%)": hidden(lambda v: _number(v, 2), "computed_target_rate"),
        "Agreed change (%)": hidden(lambda v: _number(v, 2, signed=True), "change_pct"),
        "Our change (%)": hidden(lambda v: _number(v, 2, signed=True), "computed_change_pct"),
    })
    methods = [_text(m) for m in pd.unique(_column(frame, "method").dropna()) if _text(m)]
    return _build(body, title="NI 18 targets: agreed and recalculated", subtitle=None,
                  source=source_line(frame),
                  notes=[f"Our method: {m}." for m in methods],
                  right=[c for c in body.columns if c != "Area"])


def _ni30_helpers(frame: pd.DataFrame) -> tuple[list[set[str]], Callable, Callable]:
    withheld = _hidden(frame)

    def count(column: str) -> Callable[[pd.DataFrame], list[str]]:
        return _shown(withheld, column, lambda v: _number(v, 0))

    def change(column: str) -> Callable[[pd.DataFrame], list[str]]:
        return _shown(withheld, column, lambda v: _number(v, 1, signed=True))

    return withheld, count, change


def ni30_table(ni30_progress: pd.DataFrame, *, threshold: int,
               source: str | None = None) -> GT | None:
    """NI 30 targets per area as the plan prints them: baseline cohort, PPOs, months on scheme,
    stretch %, ratio target, baseline, ceiling and target re-offences, and the change needed.

    Takes Results.ni30_progress (disclosure control applied) and the build's `threshold`:
    withheld cells show "[c]" with the note. Progress since the baseline is its own table
    (ni30_progress_table), so that each fits an A4 page without hyphenating names. None if empty.
    """
    if _empty(ni30_progress):
        return None
    frame = ni30_progress.reset_index(drop=True)
    withheld, count, change = _ni30_helpers(frame)
    body = _labelled(
        frame,
        {
            "Area": lambda f: [_area_label(a) for a in f["area_id"]],
            "Baseline": lambda f: _as_printed(f, "baseline_as_printed", "baseline_cohort"),
            "PPOs": count("offenders"),
            "Months on scheme": lambda f: [_number(v, 1) for v in _column(f, "months_on_scheme")],
            "Stretch target (%)": _shown(withheld, "improvement_target_pct", _as_given),
            "Ratio target": _shown(withheld, "ratio_target", lambda v: _number(v, 2)),
            "Baseline re-offences": count("baseline_reoffences"),
            "Ceiling": count("ceiling_reoffences"),
            "Target": count("target_reoffences"),
            "Change needed (%)": change("change_needed_pct"),
        },
    )
    gt = _build(
        body,
        title="NI 30 targets",
        subtitle=None,
        source=source or source_line(frame),
        notes=["PPOs: prolific and other priority offenders in the cohort; months on scheme: "
               "their average time on the scheme; stretch target: the improvement target's fall "
               "from the baseline; ratio target: the plan's proposed two-year ratio; change "
               "needed: from the baseline re-offences to the target."],
        right=[c for c in body.columns if c not in ("Area", "Baseline")],
    )
    return gt.tab_footnote(withheld_note(threshold)) if any(withheld) else gt


def ni30_progress_table(ni30_progress: pd.DataFrame, *, threshold: int,
                        source: str | None = None) -> GT | None:
    """NI 30 progress per area: the latest cohort after the baseline against the target.

    Takes Results.ni30_progress (disclosure control applied) and the build's `threshold`;
    change so far = (latest − baseline) / baseline · 100 re-offences; where the plan gives the
    target's date, the trajectory (analysis.trajectory.with_ni30_trajectory) and the status
    against it, with the rule in a note. None if empty or if no area has a cohort after its
    baseline yet (there is no progress to show; see ni30_no_progress).
    """
    if _empty(ni30_progress) or not _column(ni30_progress, "latest_cohort").notna().any():
        return None
    frame = ni30_progress.reset_index(drop=True)
    withheld, count, change = _ni30_helpers(frame)
    dated = _column(frame, "target_by").notna().any()
    columns: dict[str, Callable[[pd.DataFrame], Sequence[object]]] = {
        "Area": lambda f: [_area_label(a) for a in f["area_id"]],
        "Baseline": lambda f: _as_printed(f, "baseline_as_printed", "baseline_cohort"),
        "Baseline re-offences": count("baseline_reoffences"),
        "Target": count("target_reoffences"),
    }
    if dated:
        columns["Target by"] = lambda f: [_text(b) or MISSING for b in _column(f, "target_by")]
    columns |= {
        "Latest cohort": lambda f: [_text(c) or MISSING for c in _column(f, "latest_cohort")],
        "Latest re-offences": count("latest_reoffences"),
    }
    if dated:
        columns["Trajectory"] = _shown(withheld, "trajectory_reoffences", lambda v: _number(v, 1))
    columns |= {
        "Change so far (%)": change("change_so_far_pct"),
        "Status": _shown(withheld, "status", lambda s: _text(s).capitalize() or MISSING),
    }
    body = _labelled(frame, columns)
    notes = [f"Trajectory: {ON_TRACK_RULE}; fewer re-offences is better."] if dated else []
    gt = _build(body, title="NI 30 progress", subtitle=None, source=source or source_line(frame),
                notes=notes,
                right=["Baseline re-offences", "Target", "Latest re-offences", "Trajectory",
                       "Change so far (%)"])
    return gt.tab_footnote(withheld_note(threshold)) if any(withheld) else gt


def ni18_progress_table(ni18_progress: pd.DataFrame, *, threshold: int,
                        source: str | None = None) -> GT | None:
    """NI 18 against the agreed target: each cohort after the baseline, its change from the
    predicted rate against the agreed change and the straight line to it.

    Takes Results.ni18_progress (analysis.trajectory.ni18_progress, disclosure control
    applied) and the build's `threshold`; the rule in a note. None if empty.
    """
    if _empty(ni18_progress):
        return None
    frame = ni18_progress.reset_index(drop=True)
    withheld = _hidden(frame)

    def signed(column: str) -> Callable[[pd.DataFrame], list[str]]:
        return _shown(withheld, column, lambda v: _number(v, 2, signed=True))

    body = _labelled(frame, {
        "Area": lambda f: [_area_label(a) for a in f["area_id"]],
        "Baseline": lambda f: _as_printed(f, "cohort_as_printed", "baseline_cohort"),
        "Agreed change (%)": signed("target_change_pct"),
        "Target by": lambda f: [_text(b) or MISSING for b in _column(f, "target_by")],
        "Cohort": lambda f: [_text(c) for c in f["cohort"]],
        "Rate (%)": _shown(withheld, "rate", lambda v: _number(v, 2)),
        "Predicted rate (%)": lambda f: [_number(v, 2) for v in f["predicted_rate"]],
        "Change (%)": signed("actual_change_pct"),
        "Trajectory (%)": signed("trajectory_change_pct"),
        "Status": _shown(withheld, "status", lambda s: _text(s).capitalize() or MISSING),
    })
    notes = ["Change: the actual rate against the predicted rate, (actual − predicted) / "
             f"predicted × 100; a fall is negative. Trajectory: {ON_TRACK_RULE}."]
    gt = _build(body, title="NI 18 progress against the agreed targets", subtitle=None,
                source=source or source_line(frame), notes=notes,
                right=["Agreed change (%)", "Rate (%)", "Predicted rate (%)", "Change (%)",
                       "Trajectory (%)"])
    return gt.tab_footnote(withheld_note(threshold)) if any(withheld) else gt


def ni30_no_progress(ni30_progress: pd.DataFrame) -> str | None:
    """The sentence that stands for the progress table when no area has a cohort after its
    baseline: what is missing and what it stops the report from saying. None otherwise."""
    if _empty(ni30_progress) or _column(ni30_progress, "latest_cohort").notna().any():
        return None
    return ("No NI 30 progress yet: the data have no cohort after the baseline, so re-offences "
            "cannot yet be set against the targets.")


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


def change_table(inspection_change: pd.DataFrame, inspections: pd.DataFrame | None = None, *,
                 source: str | None = None) -> GT | None:
    """Section scores between an area's consecutive inspections, each inspection by the title
    ``inspections`` gives it. Takes Results.inspection_change."""
    if _empty(inspection_change):
        return None
    frame = inspection_change.reset_index(drop=True)
    names = _inspection_names(inspections)
    body = _labelled(frame, {
        "Section": lambda f: [_text(v) for v in f["section"]],
        "Earlier inspection": lambda f: [_named(names, v) for v in f["previous_inspection"]],
        "Earlier score (%)": lambda f: [_number(v, 1) for v in f["previous_score"]],
        "Later inspection": lambda f: [_named(names, v) for v in f["inspection_id"]],
        "Later score (%)": lambda f: [_number(v, 1) for v in f["score"]],
        "Change (points)": lambda f: [_number(v, 1, signed=True) for v in f["change"]],
    })
    return _build(body, title="Change between inspections", subtitle=_area_subtitle(frame),
                  source=source or _inspection_source(inspections, frame["previous_inspection"],
                                                       frame["inspection_id"]),
                  right=["Earlier score (%)", "Later score (%)", "Change (points)"])


def family_table(inspection_family: pd.DataFrame, *, source: str | None = None) -> GT | None:
    """Each area's latest section scores beside its family group's and all areas' means.
    Takes Results.inspection_family."""
    if _empty(inspection_family):
        return None
    frame = inspection_family.sort_values(["family_group", "area_id", "section"],
                                          na_position="last").reset_index(drop=True)
    body = _labelled(frame, {
        "Family group": lambda f: [_text(v) or "(none)" for v in f["family_group"]],
        "Area": lambda f: [_area_label(v) for v in f["area_id"]],
        "Section": lambda f: [_text(v) for v in f["section"]],
        "Score (%)": lambda f: [_number(v, 1) for v in f["score"]],
        "Family mean (%)": lambda f: [_number(v, 1) for v in f["family_mean"]],
        "Areas in family": lambda f: [_number(v, 0) for v in f["family_size"]],
        # A group of fewer than three areas is not ranked: first of one says nothing.
        "Rank in family": lambda f: [_number(v, 0) if n >= 3 else MISSING
                                     for v, n in zip(f["rank_in_family"], f["family_size"], strict=True)],
        "All areas mean (%)": lambda f: [_number(v, 1) for v in f["all_mean"]],
    })
    return _build(body, title="Inspection scores by family group", subtitle=None,
                  source=source or source_line(frame),
                  right=["Score (%)", "Family mean (%)", "Areas in family", "Rank in family",
                         "All areas mean (%)"], group="Family group")


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


# --------------------------------------------------------------------------- recommendations

# The state's cue beside its word: unanswered is the worst, as a follow-up inspection reads it.
_STATE_FILL = {
    "not answered": ("#D4351C", "#FFFFFF"),
    "answered but behind": ("#FFDD00", "#0B0C0C"),
    "answered and on track": ("#00703C", "#FFFFFF"),
}


def _day(value: object) -> str:
    return MISSING if value is None or pd.isna(value) else short_date(value)


def _answering(frame: pd.DataFrame, strands_summary: pd.DataFrame | None) -> list[str]:
    """Each recommendation's answering strands as 'title (RAG)', one per line."""
    titles, rags = {}, {}
    if not _empty(strands_summary):
        titles = dict(zip(strands_summary["strand_id"], strands_summary["title"], strict=True))
        rags = dict(zip(strands_summary["strand_id"], strands_summary["rag"], strict=True))
    out = []
    for answered in _column(frame, "answered_by"):
        ids = [s for s in _text(answered).split(";") if s]
        out.append("; ".join(f"{_text(titles.get(s, s))} ({_rag_label(rags.get(s))})" for s in ids)
                   or "none")
    return out


def recommendations_table(recommendations_status: pd.DataFrame,
                          strands_summary: pd.DataFrame | None = None,
                          inspections: pd.DataFrame | None = None, *,
                          source: str | None = None) -> GT | None:
    """Each recommendation, grouped by inspection, unanswered first: its state (word and colour),
    the strands answering it with their RAG, its due date and days late.

    Takes Results.recommendations_status (already in state order); strands_summary gives the
    strands' titles and inspections the inspections' titles. None for empty input.
    """
    from .recommendations import STATE_RULE

    if _empty(recommendations_status):
        return None
    frame = recommendations_status.reset_index(drop=True)
    titles = _inspection_names(inspections)
    body = _labelled(frame, {
        "Inspection": lambda f: [_named(titles, i) for i in f["inspection_id"]],
        "No.": lambda f: [_text(n) or MISSING for n in f["number"]],
        "Recommendation": lambda f: [_text(t) for t in f["text"]],
        "State": lambda f: [_text(s).capitalize() for s in f["state"]],
        "Strands answering it (RAG)": lambda f: _answering(f, strands_summary),
        "Due": lambda f: [_day(d) for d in f["due"]],
        "Days late": lambda f: [
            MISSING if pd.isna(d) else (f"{int(d):,}" if d > 0 else "not yet due")
            for d in f["days_late"]],
    })
    gt = _build(body, title="Inspection recommendations against the action plan",
                subtitle=_area_subtitle(frame),
                source=source or _inspection_source(inspections, frame["inspection_id"]),
                right=["No.", "Days late"],
                group="Inspection", notes=[STATE_RULE])
    for state, (fill, ink) in _STATE_FILL.items():
        rows = [i for i, s in enumerate(frame["state"]) if s == state]
        if rows:
            gt = gt.tab_style(style=[style.fill(color=fill), style.text(color=ink, weight="bold")],
                              locations=loc.body(columns="State", rows=rows))
    return gt


def inspection_responses_table(inspection_responses: pd.DataFrame,
                               inspections: pd.DataFrame | None = None, *,
                               source: str | None = None) -> GT | None:
    """Per inspection (by the title ``inspections`` gives it): recommendations by state and how
    many are unanswered or late.

    Takes Results.inspection_responses. None for empty input.
    """
    if _empty(inspection_responses):
        return None
    frame = inspection_responses.reset_index(drop=True)
    names = _inspection_names(inspections)
    counts = ("recommendations", "not_answered", "behind", "on_track", "implemented", "superseded",
              "late", "unanswered_or_late")
    labels = ("Recommendations", "Not answered", "Answered, behind", "Answered, on track",
              "Implemented", "Superseded", "Past due", "Unanswered or late")
    columns: dict[str, Callable[[pd.DataFrame], Sequence[object]]] = {
        "Area": lambda f: [_area_label(a) for a in f["area_id"]],  # a row group: one column less
        "Inspection": lambda f: [_named(names, i) for i in f["inspection_id"]],
        "Published": lambda f: [_day(d) for d in f["published"]],
        "Response due": lambda f: [_day(d) for d in f["response_due"]],
    }
    for name, label in zip(counts, labels, strict=True):
        columns[label] = lambda f, name=name: [_number(v, 0) for v in f[name]]
    body = _labelled(frame, columns)
    return _build(body, title="Inspection recommendations by inspection", subtitle=None,
                  source=source or _inspection_source(inspections, frame["inspection_id"]),
                  right=list(labels), group="Area",
                  spanners={"Recommendations": {label: "Total" if label == "Recommendations" else label
                                                for label in labels}})


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
        "Recommendations": lambda f: [_number(v, 0) for v in f["recommendations"]],
        "Recommendations without a strand": lambda f: [_number(v, 0) for v in f["unanswered"]],
        "Recommendations past due": lambda f: [_number(v, 0) for v in f["late"]],
        "Reoffending": lambda f: [_text(v) or MISSING for v in f["reoffending"]],
    })
    return _build(body, title="Areas at a glance", subtitle=None, source=source,
                  right=[c for c in body.columns if c not in ("Area", "As of", "Reoffending")],
                  spanners={"Action plan": {"Strands": "Strands", "Strands red or amber": "Red or amber",
                                            "Strands not reported": "Not reported"},
                            "Recommendations": {"Recommendations": "Total",
                                                "Recommendations without a strand": "Without a strand",
                                                "Recommendations past due": "Past due"}},
                  notes=[f"{MISSING} = the area has no action plan, no scored inspection, no "
                         "recorded recommendations or no published reoffending figures.",
                         "Reoffending: the latest cohort's proven reoffending rate, else the NI 18 "
                         "target rate; and any NI 30 target.",
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
