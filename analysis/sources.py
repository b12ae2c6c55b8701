"""Named sources: the line under a table or chart that cites the documents its own rows name."""

from __future__ import annotations

import pandas as pd

from .contract import SOURCE_COLUMNS
from .labels import cell_text

__all__ = ["NOT_NAMED", "SOURCE_COLUMNS", "carry_sources", "citations", "plan_source", "rows_named",
           "source_line", "sources_by"]

NOT_NAMED = "not named in the data"
ANALYSIS = "workbook analysis"


def _cite(publisher: str, title: str, when: str) -> str:
    """'Publisher, Title (date)', leaving out what the row does not give."""
    named = ", ".join(part for part in (publisher, title) if part)
    if when:
        return f"{named} ({when})" if named else when
    return named


def citations(frame: pd.DataFrame | None) -> tuple[list[str], bool]:
    """Each source the frame's rows name, once, in the order rows first name it, and whether
    any row names none (all three source columns blank or absent)."""
    if frame is None or len(frame) == 0:
        return [], False
    columns = [frame[c] if c in frame else pd.Series([None] * len(frame), index=frame.index)
               for c in SOURCE_COLUMNS]
    named: list[str] = []
    unnamed = False
    for publisher, title, when in zip(*columns, strict=True):
        cited = _cite(*(cell_text(v).strip() for v in (publisher, title, when)))
        if not cited:
            unnamed = True
        elif cited not in named:
            named.append(cited)
    return named, unnamed


def source_line(frame: pd.DataFrame | None) -> str:
    """The source line of a table or chart, built only from what its rows name.

    "Source: HM Inspectorate of Probation, <title> (January 2005); workbook analysis." Several
    sources are listed once each, in the order the rows first name them. Rows that name none
    are never attributed to anyone: "Source: not named in the data; workbook analysis.", and
    when some rows name a source and others do not, both ("...; not named in the data for the
    other rows; ..."). Plain text: the caller escapes it as its output needs (great-tables, report.text).
    """
    named, unnamed = citations(frame)
    parts = list(named)
    if unnamed:
        parts.append(f"{NOT_NAMED} for the other rows" if named else NOT_NAMED)
    if not parts:  # no rows at all: nothing is attributed either
        parts.append(NOT_NAMED)
    return "Source: " + "; ".join([*parts, ANALYSIS]) + "."


def plan_source(plans: pd.DataFrame | None) -> str:
    """The source line of a table or chart of action plans: each plan by its title and when it
    was published, as it prints it ("Source: East Midlands Reducing Re-offending Delivery Plan
    2009-10 (July 2009); workbook analysis."). A plan without a title is not named."""
    if plans is None or len(plans) == 0 or "title" not in plans:
        return "Source: " + "; ".join([f"the action plan ({NOT_NAMED})", ANALYSIS]) + "."
    when = plans["published_as_printed"] if "published_as_printed" in plans else [None] * len(plans)
    cited = list(dict.fromkeys(
        c for c in (_cite("", cell_text(t).strip(), cell_text(w).strip())
                    for t, w in zip(plans["title"], when, strict=True)) if c))
    return "Source: " + "; ".join([*(cited or [f"the action plan ({NOT_NAMED})"]), ANALYSIS]) + "."


def carry_sources(out: pd.DataFrame, rows: pd.DataFrame | None) -> pd.DataFrame:
    """``out`` with the three source columns of ``rows`` (aligned by position), blank text
    where ``rows`` lacks one: a derived table keeps the source of the rows it came from."""
    out = out.copy()
    for column in SOURCE_COLUMNS:
        if rows is not None and column in rows:
            out[column] = pd.array([None if pd.isna(v) else str(v) for v in rows[column]],
                                   dtype=object)
        else:
            out[column] = pd.Series([None] * len(out), index=out.index, dtype=object)
    return out


def sources_by(out: pd.DataFrame, rows: pd.DataFrame | None, key: str) -> pd.DataFrame:
    """``out`` with the source columns of the row of ``rows`` it shares ``key`` with (e.g. each
    criterion the source of its inspection), blank where none matches or ``rows`` lacks them."""
    if rows is None or key not in rows or key not in out or len(rows) == 0:
        return carry_sources(out, None)
    lookup = rows.drop_duplicates(key).set_index(key)
    matched = lookup.reindex(out[key].to_numpy())
    return carry_sources(out, matched.reset_index(drop=True))


def rows_named(rows: pd.DataFrame | None, key: str, values: pd.Series | list) -> pd.DataFrame | None:
    """The rows of ``rows`` whose ``key`` is among ``values``, in the order values first name
    them: what a table built from those rows' ids (inspections behind recommendations) cites."""
    if rows is None or key not in rows:
        return None
    order = [v for v in dict.fromkeys(values) if v is not None and not pd.isna(v)]
    lookup = rows.drop_duplicates(key).set_index(key)
    return lookup.reindex([v for v in order if v in lookup.index]).reset_index()
