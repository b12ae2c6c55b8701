"""Published CSV files: UTF-8, ISO dates, written atomically, with no cell a spreadsheet would run."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .files import atomic_write_text

__all__ = ["FORMULA_START", "neutralise", "write_csv"]

# Excel and LibreOffice run a cell starting with one of these as a formula when a CSV is opened
# (`=cmd|' /C calc'!A0`, `@SUM(...)`, `-2+3`): OWASP's "CSV injection". A leading apostrophe
# makes the cell text in both, and shows the rest unchanged.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """A text cell that would start a formula, prefixed with an apostrophe; anything else as it is.

    Only text is touched: a number (-2.5 in a numeric column) is data, not a formula.
    """
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """Write a table as CSV (UTF-8, ISO dates, no index) atomically, its text cells neutralised."""
    text_columns = [c for c in frame.columns
                    if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c])]
    safe = frame.assign(**{c: frame[c].map(neutralise) for c in text_columns}) if text_columns else frame
    atomic_write_text(path, safe.to_csv(index=False, date_format="%Y-%m-%d"))
    return path
