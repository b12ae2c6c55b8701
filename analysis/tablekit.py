"""The common frame of every report table: figures formatted, withheld cells marked, one build."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
from great_tables import GT

from .disclosure import MARKER
from .labels import area_label as _area_label
from .labels import cell_text as _text
from .labels import short_date

__all__ = ["MISSING", "RAG", "area_subtitle", "build", "column", "day", "empty", "first_upper", "hidden",
           "labelled", "number", "rag_label", "shown", "table_id"]

MISSING = "\u2013"  # en dash: no figure (not the same as suppressed, which shows MARKER)
# RAG fills (GOV.UK design system colours); the cell always says the rating in words as well.
RAG = {
    "red": ("Red", "#D4351C", "#FFFFFF"),
    "amber": ("Amber", "#FFDD00", "#0B0C0C"),
    "green": ("Green", "#00703C", "#FFFFFF"),
}


def rag_label(value: object) -> str:
    """A RAG rating in words ('Red'), 'No RAG' when there is none."""
    key = _text(value).lower()
    return RAG[key][0] if key in RAG else ("No RAG" if not key else _text(value))


def day(value: object) -> str:
    """A date as the tables write it ('30 Jun 2009'), the dash when there is none."""
    return MISSING if value is None or pd.isna(value) else short_date(value)


def table_id(title: str) -> str:
    """A fixed HTML id derived from the title, so the same table renders the same HTML every time."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40] or "table"
    return f"wb-{slug}-{hashlib.sha1(title.encode('utf-8')).hexdigest()[:8]}"


def first_upper(text: str) -> str:
    """The first letter capitalised, the rest as written ('NI 18' stays 'NI 18')."""
    return text[:1].upper() + text[1:]


def empty(frame: pd.DataFrame | None) -> bool:
    return frame is None or not isinstance(frame, pd.DataFrame) or frame.empty




def number(value: object, decimals: int = 1, suffix: str = "", signed: bool = False) -> str:
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


def hidden(frame: pd.DataFrame) -> list[set[str]]:
    """The withheld columns of each row, as the disclosure layer listed them."""
    if "suppressed" not in frame:
        return [set() for _ in range(len(frame))]
    return [set(filter(None, _text(s).split(";"))) for s in frame["suppressed"]]


def shown(hidden: list[set[str]], name: str,
          fmt: Callable[[object], str]) -> Callable[[pd.DataFrame], list[str]]:
    """A column's cells: the marker where the disclosure layer withheld it, else the figure."""
    return lambda f: [MARKER if name in h else fmt(v)
                      for v, h in zip(column(f, name), hidden, strict=True)]


def column(frame: pd.DataFrame, name: str) -> pd.Series:
    return frame[name] if name in frame else pd.Series([pd.NA] * len(frame), index=frame.index, dtype=object)


def build(
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


def labelled(
    frame: pd.DataFrame, columns: dict[str, Callable[[pd.DataFrame], Sequence[object]]]
) -> pd.DataFrame:
    """A display frame: each plain-English column label mapped to its (already formatted) values."""
    return pd.DataFrame({label: list(make(frame)) for label, make in columns.items()})


def area_subtitle(frame: pd.DataFrame) -> str | None:
    if "area_id" not in frame:
        return None
    areas = list(pd.unique(frame["area_id"].dropna()))
    return _area_label(areas[0]) if len(areas) == 1 else None


