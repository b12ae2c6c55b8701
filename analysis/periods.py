"""Parse cohort and period labels (YYYY-Qn, YYYY, YYYY/YY, YYYY-MM/YYYY-MM) into dates and sortable keys."""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import pandas as pd

__all__ = [
    "Period",
    "parse_period",
    "period_bounds",
    "cohort_sort_key",
    "sort_by_cohort",
    "is_future",
    "is_complete",
]

_QUARTER = re.compile(r"^(\d{4})-[Qq]([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")
_FINANCIAL = re.compile(r"^(\d{4})/(\d{2})$")
_ROLLING = re.compile(r"^(\d{4})-(\d{2})/(\d{4})-(\d{2})$")

_EXPECTED = (
    "expected YYYY-Qn (calendar quarter, e.g. 2009-Q1), YYYY (calendar year, e.g. 2009) "
    "YYYY/YY (financial year April-March, e.g. 2009/10) or YYYY-MM/YYYY-MM (twelve months "
    "from the first month to the last, e.g. 2022-07/2023-06, as the MoJ's rolling cohorts)"
)


@dataclass(frozen=True)
class Period:
    """A parsed period label: its kind (quarter, year, financial_year, 12_months), first and last day."""

    label: str
    kind: str
    start: date
    end: date

    @property
    def key(self) -> tuple[date, date]:
        """Sortable key: by first day, then last day (a quarter sorts before its year)."""
        return (self.start, self.end)


def _last_day(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def parse_period(label: object) -> Period:
    """Parse a cohort/period label into a :class:`Period`.

    Formats (data contract, reoffending.csv ``cohort``):
    ``YYYY-Qn`` calendar quarter n (Q1 = January-March); ``YYYY`` calendar year;
    ``YYYY/YY`` financial year 1 April YYYY to 31 March of the following year (YY must be the
    next year's last two digits); ``YYYY-MM/YYYY-MM`` twelve months from the first day of the first
    month to the last day of the second (the Ministry of Justice's rolling 12-month cohorts). A
    twelve months that is a calendar or financial year must be written as one (``2022``,
    ``2022/23``), so that one period has one key. Surrounding spaces are ignored; ``q`` may be
    lower case.

    Raises ValueError naming the label and the accepted formats when it cannot be read.
    """
    if label is None or (isinstance(label, float) and label != label):
        raise ValueError(f"missing period label: {_EXPECTED}")
    if isinstance(label, bool):
        raise ValueError(f"cannot read period label {label!r}: {_EXPECTED}")
    text = str(label).strip()
    if m := _QUARTER.match(text):
        year, quarter = int(m.group(1)), int(m.group(2))
        first_month = 3 * (quarter - 1) + 1
        return Period(
            text, "quarter", date(year, first_month, 1), _last_day(year, first_month + 2)
        )
    if m := _YEAR.match(text):
        year = int(m.group(1))
        return Period(text, "year", date(year, 1, 1), date(year, 12, 31))
    if m := _FINANCIAL.match(text):
        year, second = int(m.group(1)), int(m.group(2))
        if second != (year + 1) % 100:
            raise ValueError(
                f"cannot read period label {label!r}: a financial year YYYY/YY must end in the "
                f"following year ({year}/{(year + 1) % 100:02d}); {_EXPECTED}"
            )
        return Period(text, "financial_year", date(year, 4, 1), date(year + 1, 3, 31))
    if m := _ROLLING.match(text):
        return _rolling(text, *(int(g) for g in m.groups()))
    raise ValueError(f"cannot read period label {label!r}: {_EXPECTED}")


def _rolling(text: str, first_year: int, first_month: int, last_year: int, last_month: int) -> Period:
    if not (1 <= first_month <= 12 and 1 <= last_month <= 12):
        raise ValueError(f"cannot read period label {text!r}: months run from 01 to 12; {_EXPECTED}")
    span = (last_year - first_year) * 12 + last_month - first_month + 1
    if span != 12:
        raise ValueError(f"cannot read period label {text!r}: YYYY-MM/YYYY-MM is twelve months, "
                         f"this is {span}; {_EXPECTED}")
    if first_month in (1, 4):
        as_key = str(first_year) if first_month == 1 else f"{first_year}/{(first_year + 1) % 100:02d}"
        raise ValueError(f"cannot read period label {text!r}: that twelve months is a "
                         f"{'calendar' if first_month == 1 else 'financial'} year, written {as_key}")
    return Period(text, "12_months", date(first_year, first_month, 1), _last_day(last_year, last_month))


def period_bounds(label: object) -> tuple[date, date]:
    """Return (first day, last day) of a period label; see :func:`parse_period` for formats."""
    period = parse_period(label)
    return period.start, period.end


def cohort_sort_key(label: object) -> tuple[date, date]:
    """Sortable key of a cohort label: (first day, last day), so mixed formats sort by time."""
    return parse_period(label).key


def sort_by_cohort(frame: pd.DataFrame, extra: Sequence[str] = ()) -> pd.DataFrame:
    """A new frame sorted by area_id, measure, cohort in time order (then ``extra``), index 0..n."""
    if frame.empty:
        return frame.reset_index(drop=True)
    keys = [cohort_sort_key(c) for c in frame["cohort"]]
    tmp = frame.assign(_start=[k[0].toordinal() for k in keys], _end=[k[1].toordinal() for k in keys])
    order = [c for c in ("area_id", "measure") if c in tmp.columns] + ["_start", "_end"]
    order += [c for c in extra if c in tmp.columns]
    tmp = tmp.sort_values(order, kind="stable", na_position="last")
    return tmp.drop(columns=["_start", "_end"]).reset_index(drop=True)


def is_future(label: object, as_of: date) -> bool:
    """True when the period has not begun on ``as_of`` (its first day is after ``as_of``)."""
    return parse_period(label).start > as_of


def is_complete(label: object, as_of: date) -> bool:
    """True when the period has ended by ``as_of`` (its last day is on or before ``as_of``)."""
    return parse_period(label).end <= as_of
