"""Milestone due dates as plans spell them: ISO, day-first, month, quarter and financial year."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS |= {name.lower(): i for i, name in enumerate(calendar.month_abbr) if name}
_MONTHS["sept"] = 9

# Dates the workbook believes. Outside them a date is a placeholder (31/12/9999 for "no end
# date", 01/01/1900 for "unknown") or a typo, and would wreck every time axis it reached.
EARLIEST, LATEST = date(1990, 1, 1), date(2100, 12, 31)

# Words plans put around a date that do not change which date is meant.
_LEAD_IN = re.compile(
    r"^(?:(?:by|before|due|during|from)\s+)?(?:(?:the\s+)?end(?:\s+of)?[\s-]+)?", re.I)


@dataclass(frozen=True)
class Due:
    """A parsed due date: the last day of the period written, and how precise the text was."""

    on: date | None
    precision: str  # day, month, quarter, year, or none
    outside: date | None = None  # the date written, when it fell outside EARLIEST..LATEST


def in_range(day: date) -> bool:
    return EARLIEST <= day <= LATEST


def _year(text: str) -> int:
    # Two-digit years: 20xx below 50, 19xx otherwise (data contract v1).
    value = int(text)
    if len(text) == 2:
        return 2000 + value if value < 50 else 1900 + value
    return value


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _financial_year_end(start_text: str, end_text: str) -> int | None:
    start = _year(start_text)
    end = int(end_text)
    end_year = (start // 100) * 100 + end if len(end_text) == 2 else end
    if end_year < start:
        end_year += 100
    return end_year if end_year == start + 1 else None


def parse_due(text: str | None) -> Due:
    """Read a milestone due date in any spelling the data contract lists.

    A month, quarter or year means its last day: ``October 2005`` is 2005-10-31,
    ``Q3 2009/10`` (financial-year quarters, April to March) is 2009-12-31 and ``2009/10``
    is 2010-03-31. Unreadable text gives ``Due(None, "none")``, never an exception; so does a
    date before 1990 or after 2100, which is kept in ``outside``.
    """
    if text is None:
        return Due(None, "none")
    s = re.sub(r"\s+", " ", str(text)).strip().rstrip(".")
    s = _LEAD_IN.sub("", s).strip()
    try:
        due = _parse(s)
    except ValueError:
        return Due(None, "none")
    if due.on is not None and not in_range(due.on):
        return Due(None, "none", outside=due.on)
    return due


def _parse(s: str) -> Due:
    if m := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", s):
        return Due(date(int(m[1]), int(m[2]), int(m[3])), "day")
    if m := re.fullmatch(r"(\d{1,2})[/.](\d{1,2})[/.](\d{2}|\d{4})", s):
        return Due(date(_year(m[3]), int(m[2]), int(m[1])), "day")
    if m := re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)? ([A-Za-z]+),? (\d{4})", s):
        if (month := _MONTHS.get(m[2].lower())) is not None:
            return Due(date(int(m[3]), month, int(m[1])), "day")
    if m := re.fullmatch(r"([A-Za-z]+),? (\d{4}|'\d{2}|\d{2})", s):
        if (month := _MONTHS.get(m[1].lower())) is not None:
            return Due(_month_end(_year(m[2].lstrip("'")), month), "month")
    if m := re.fullmatch(r"Q([1-4]) (\d{4})/(\d{2}|\d{4})", s, re.I):
        end_year = _financial_year_end(m[2], m[3])
        if end_year is not None:
            quarter = int(m[1])
            # Financial-year quarters: Q1 Apr-Jun, Q2 Jul-Sep, Q3 Oct-Dec, Q4 Jan-Mar.
            year, month = (end_year - 1, 3 + 3 * quarter) if quarter < 4 else (end_year, 3)
            return Due(_month_end(year, month), "quarter")
    if m := re.fullmatch(r"(\d{4})/(\d{2}|\d{4})", s):
        end_year = _financial_year_end(m[1], m[2])
        if end_year is not None:
            return Due(date(end_year, 3, 31), "year")
    if m := re.fullmatch(r"(\d{4})", s):
        return Due(date(int(m[1]), 12, 31), "year")
    return Due(None, "none")


def parse_iso_date(text: str) -> date:
    """Parse a strict ISO ``YYYY-MM-DD`` date (every date column except milestones.due)."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
        raise ValueError(f"not an ISO date YYYY-MM-DD: {text!r}")
    return date.fromisoformat(text.strip())
