"""Words and numbers the charts print: formatting, reader names, sources (no matplotlib here)."""

from __future__ import annotations

import logging
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..labels import area_label, cell_text
from ..pathways import PATHWAY_NAMES, PATHWAYS
from ..periods import cohort_sort_key
from ..rounding import half_up
from ..sources import source_line

log = logging.getLogger(__name__)

SOURCE_PLAN = "Source: area reducing reoffending action plan; workbook analysis"

# Measures of the source documents in words, each a phrase a rate is "of" ("the ... rate"). Any
# other measure is its code written out ("adult-proven-1yr" -> "adult proven 1yr reoffending").
_MEASURES = {
    "community-order-reconviction-2yr": "two-year reconviction of people on community orders",
    "ni18": "NI 18 adult reoffending",
    "ni30": "NI 30 re-offending by prolific and other priority offenders",
}


@dataclass(frozen=True)
class Words:
    """What a report prints around a chart: title, caption and alt text."""

    title: str
    caption: str
    alt: str


def empty(frame: pd.DataFrame | None) -> bool:
    """True for None, a non-frame or a frame without rows."""
    return frame is None or not isinstance(frame, pd.DataFrame) or frame.empty


def num(series: pd.Series) -> np.ndarray:
    """A column as float64 with NaN for missing or unreadable values."""
    return pd.to_numeric(series, errors="coerce").astype("Float64").to_numpy(dtype="float64", na_value=np.nan)


def flags(series: pd.Series) -> np.ndarray:
    """A nullable boolean column as bool, missing read as False."""
    return np.array([False if pd.isna(v) else bool(v) for v in series], dtype=bool)


def fmt(value: float | None, decimals: int = 1) -> str:
    """A figure rounded half-up (analysis.rounding), grouped by thousands, with a true minus."""
    if value is None or pd.isna(value):
        return "n/a"
    return f"{half_up(float(value), decimals):,.{decimals}f}".replace("-", "\u2212")


def signed(value: float | None, decimals: int = 1) -> str:
    """fmt with a leading + for a positive figure."""
    if value is None or pd.isna(value):
        return "n/a"
    return ("+" if half_up(float(value), decimals) > 0 else "") + fmt(value, decimals)


def wrap(text: str, width: int, max_lines: int = 3) -> str:
    """Text wrapped to ``width`` characters, at most ``max_lines`` lines (the last ends in …)."""
    lines = textwrap.wrap(cell_text(text), width=width) or [""]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: max(width - 1, 1)].rstrip() + "\u2026"
    return "\n".join(lines)


def pick(frame: pd.DataFrame, column: str, value: str | None, what: str) -> tuple[pd.DataFrame, str]:
    """Rows for one value of ``column``: the one asked for, else the first present (logged)."""
    if column not in frame:
        return frame, cell_text(value)
    present = list(pd.unique(frame[column].dropna()))
    if value is None:
        if not present:
            return frame.iloc[0:0], ""
        value = str(present[0])
        if len(present) > 1:
            log.info("%s: several %s values, charting %r", what, column, value)
    return frame[frame[column] == value], str(value)


def suppressed(frame: pd.DataFrame, column: str) -> np.ndarray:
    """Which rows the disclosure layer withheld ``column`` of (its `suppressed` list)."""
    if "suppressed" not in frame:
        return np.zeros(len(frame), dtype=bool)
    return np.array([column in cell_text(s).split(";") for s in frame["suppressed"]], dtype=bool)


def pathway_name(code: str) -> str:
    """A pathway as the tables print it: its name in analysis.pathways, capitalised."""
    name = PATHWAY_NAMES.get(cell_text(code))
    return name.capitalize() if name else cell_text(code)


def pathway_order(codes: Sequence[str]) -> list[str]:
    """Pathway codes in the national order (seven pathways, then themes), unknown ones last."""
    known = [p.code for p in PATHWAYS if p.code in set(codes)]
    return known + sorted(set(codes) - set(known))


def measure_name(measure: str) -> str:
    """A reoffending measure as words naming a rate, never its code as written."""
    code = cell_text(measure)
    return _MEASURES.get(code, code.replace("-", " ").replace("_", " ") + " reoffending")


def area_name(frame: pd.DataFrame, area_id: str) -> str:
    """The area's name from the frame's `area_name` or `name` column, else read from its id."""
    for column in ("area_name", "name"):
        if column in frame and "area_id" in frame:
            names = frame.loc[frame["area_id"] == area_id, column].dropna()
            if len(names):
                return cell_text(names.iloc[0])
    return area_label(area_id)


def series(rates: pd.DataFrame, area_id: str | None, measure: str | None,
           what: str) -> tuple[pd.DataFrame, str, str]:
    """One area's rows of one measure, in cohort order: (frame, area_id, measure)."""
    frame, area = pick(rates, "area_id", area_id, what)
    frame, meas = pick(frame, "measure", measure, what)
    if "cohort" in frame:
        # In time order, not text order: "2022-07/2023-06" starts after "2022/23" (periods);
        # labels that are no period (a chart drawn from made-up labels) keep text order.
        try:
            order = frame["cohort"].map(cohort_sort_key)
        except ValueError:
            order = frame["cohort"].astype(str)
        frame = frame.assign(_order=order).sort_values("_order", kind="stable").drop(columns="_order")
    return frame.reset_index(drop=True), area, meas


def drawn_source(frame: pd.DataFrame | None, **chosen: str | None) -> str:
    """The source line of the rows a chart draws: ``frame`` cut to each chosen value in turn
    (None: the first present, as the charts pick), citing only what those rows name
    (analysis.sources.source_line, without its closing full stop, as charts print sources)."""
    rows = frame
    for column, value in chosen.items():
        if rows is not None and len(rows):
            rows, _ = pick(rows, column, value, "chart source")
    return source_line(rows).removesuffix(".")
