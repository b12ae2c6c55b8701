"""Inspection tables: criteria, sections, change, family, and the recommendations against the plan."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import pandas as pd
from great_tables import GT, loc, style

from .labels import area_label as _area_label
from .labels import cell_text as _text
from .labels import short_date
from .sources import rows_named, source_line
from .tablekit import MISSING
from .tablekit import area_subtitle as _area_subtitle
from .tablekit import build as _build
from .tablekit import column as _column
from .tablekit import day as _day
from .tablekit import empty as _empty
from .tablekit import labelled as _labelled
from .tablekit import number as _number
from .tablekit import rag_label as _rag_label

__all__ = ["change_table", "criteria_table", "family_table", "inspection_responses_table",
           "recommendations_table", "sections_table"]


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
        "Rank in family": lambda f: [_number(v, 0) if pd.notna(n) and n >= 3 else MISSING
                                     for v, n in zip(f["rank_in_family"], f["family_size"], strict=True)],
        "All areas mean (%)": lambda f: [_number(v, 1) for v in f["all_mean"]],
    })
    return _build(body, title="Inspection scores by family group", subtitle=None,
                  source=source or source_line(frame),
                  right=["Score (%)", "Family mean (%)", "Areas in family", "Rank in family",
                         "All areas mean (%)"], group="Family group")


# --------------------------------------------------------------------------- recommendations

# The state's cue beside its word: unanswered is the worst, as a follow-up inspection reads it.
_STATE_FILL = {
    "not answered": ("#D4351C", "#FFFFFF"),
    "answered but behind": ("#FFDD00", "#0B0C0C"),
    "answered and on track": ("#00703C", "#FFFFFF"),
}


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


