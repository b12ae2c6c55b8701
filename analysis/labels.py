"""Plain-text labels shared by charts and tables: missing values and readable area names."""

from __future__ import annotations

from datetime import date

import pandas as pd

_SMALL_WORDS = {"and", "of", "the", "upon", "on", "in"}


def cell_text(value: object) -> str:
    """A cell as text: '' for None, NaN and NA, otherwise str(value)."""
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def plural(n: int, word: str, plural_form: str | None = None) -> str:
    """'1 strand', '2 strands' ('3 cohorts are' with plural_form for irregular phrases)."""
    return f"{n} {word if n == 1 else (plural_form or word + 's')}"


def long_date(value: date | pd.Timestamp) -> str:
    """'5 December 2005': the day without a leading zero, as GOV.UK style writes dates."""
    stamp = pd.Timestamp(value)
    return f"{stamp.day} {stamp:%B %Y}"


def short_date(value: date | pd.Timestamp) -> str:
    """'5 Dec 2005', for table cells (the day without "%-d", which Windows' strftime lacks)."""
    stamp = pd.Timestamp(value)
    return f"{stamp.day} {stamp:%b %Y}"


def area_label(area_id: object) -> str:
    """'east-midlands' -> 'East Midlands' (a readable name when no area name is given)."""
    text = cell_text(area_id).replace("-", " ").replace("_", " ").strip()
    return " ".join(
        w if w.isupper() or (k and w in _SMALL_WORDS) else w.capitalize()
        for k, w in enumerate(text.split())
    )
