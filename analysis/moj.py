"""Read the Ministry of Justice's proven reoffending tables in the shapes they are published in.

Two shapes, as public code that reads the releases relies on (no release file was reachable
while this was written, so the shapes are those, not a real file's):
- the *geographical data tool*: an Excel workbook whose sheet ``Data`` has ``Category``,
  ``Adult / Juvenile``, ``Geography``, ``Cohort``, ``offenders``, ``reoffenders`` (and in overview
  tools ``reoffences``), its header below any title or notes rows;
- the older *CSV bundle*: ``cohort, category, subcategory1, subcategory2, adult_juvenile,
  offenders, reoffenders, reoffences``.
Headers are matched ignoring case, spaces, dots and line breaks ("Number of\\r\\nreoffenders").
The publisher's symbols ``-``, ``..`` and ``*`` are flags, not numbers: the count is missing and
``flags`` says which symbol stood where. Cohort labels ("Jan to Mar 2021", "Apr 2008 to Mar 2009")
are read into the workbook's cohort keys by `moj_cohort`, keeping the printed label.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from .contract import NON_NEGATIVE, to_int
from .published import table_rows

__all__ = ["FLAGS", "MojCohort", "MojShapeError", "moj_cohort", "read_moj"]

FLAGS = {"-": "nil or not applicable", "..": "not available", "*": "withheld by the publisher"}
"""The publisher's symbols in a count cell, and what each means."""

_MONTH_NAMES = [name.lower() for name in calendar.month_name]
_RANGE = re.compile(r"^([A-Za-z]{3,9})\.?\s*(\d{4})?\s+to\s+([A-Za-z]{3,9})\.?\s+(\d{4})$")
_LARGEST = 2**53  # beyond this a count is no longer held exactly
_SYNONYMS = {"number_of_offenders": "offenders", "number_of_reoffenders": "reoffenders",
             "number_of_reoffences": "reoffences", "adult_or_juvenile": "adult_juvenile",
             "adult_juvenile_flag": "adult_juvenile"}
_TOOL = {"category", "adult_juvenile", "geography", "cohort", "offenders", "reoffenders"}
_BUNDLE = {"cohort", "category", "subcategory1", "subcategory2", "adult_juvenile", "offenders",
           "reoffenders", "reoffences"}
_COUNTS = ("offenders", "reoffenders", "reoffences")
_HEADER_SEARCH = 30  # rows of titles and notes looked through for the header


class MojShapeError(ValueError):
    """The file is not one of the published shapes; the message says what was expected."""


@dataclass(frozen=True)
class MojCohort:
    """An MoJ cohort label read: its workbook key, what kind of period it is, first and last day."""

    label: str
    key: str
    kind: str  # 'quarter', 'year', 'financial_year' or '12_months'
    start: date
    end: date


def moj_cohort(label: object) -> MojCohort:
    """Read an MoJ cohort label ("Jan to Mar 2021", "Apr 2008 to Mar 2009") into a cohort key.

    Three months from a quarter's first month: ``YYYY-Qn``; January to December: ``YYYY``; April
    to March: ``YYYY/YY``; any other twelve months: ``YYYY-MM/YYYY-MM`` (a rolling year, as the
    geographical data tool gives). Anything else raises ValueError naming the label.
    """
    text = " ".join(str(label).split())
    m = _RANGE.match(text)
    months = m and (_month(m[1]), _month(m[3]))
    if not m or None in months:
        raise ValueError(f"cannot read MoJ cohort {text!r}: expected e.g. 'Jan to Mar 2021' or "
                         "'Apr 2008 to Mar 2009'")
    first, last = months
    end_year = int(m[4])
    start_year = int(m[2]) if m[2] else (end_year if first <= last else end_year - 1)
    if not 1900 <= start_year <= end_year <= 2999:
        raise ValueError(f"cannot read MoJ cohort {text!r}: its years must run forwards, from 1900")
    start = date(start_year, first, 1)
    end = date(end_year, last, calendar.monthrange(end_year, last)[1])
    span = (end.year - start.year) * 12 + end.month - start.month + 1
    if span == 3 and first % 3 == 1 and start.year == end.year:
        return MojCohort(text, f"{start.year}-Q{(first + 2) // 3}", "quarter", start, end)
    if span == 12 and first == 1:
        return MojCohort(text, str(start.year), "year", start, end)
    if span == 12 and first == 4:
        return MojCohort(text, f"{start.year}/{(start.year + 1) % 100:02d}", "financial_year", start, end)
    if span == 12:
        return MojCohort(text, f"{start:%Y-%m}/{end:%Y-%m}", "12_months", start, end)
    raise ValueError(f"cannot read MoJ cohort {text!r}: it spans {span} months, not a quarter or "
                     "twelve months")


def _month(word: str) -> int | None:
    """A month written as its name or a start of it of three letters or more ("Sept", "June")."""
    word = word.lower()
    found = [i for i, name in enumerate(_MONTH_NAMES) if name and name.startswith(word)]
    return found[0] if len(found) == 1 else None


def _header_name(value: object) -> str:
    name = re.sub(r"[^a-z0-9]+", "_", str(value or "").lower()).strip("_")
    return _SYNONYMS.get(name, name)


def _find_header(rows: list[list[object]], file: str) -> int:
    """Index of the first row naming the tool's or the bundle's columns."""
    for index, row in enumerate(rows[:_HEADER_SEARCH]):
        names = {_header_name(v) for v in row}
        if _TOOL <= names or _BUNDLE <= names:
            return index
    raise MojShapeError(
        f"{file}: no header row in its first {_HEADER_SEARCH} rows names the columns of the MoJ "
        f"geographical data tool ({', '.join(sorted(_TOOL))}) or the CSV bundle "
        f"({', '.join(sorted(_BUNDLE))})")


def _count(value: object, where: str) -> tuple[float | None, str | None]:
    """A count cell: (number, None), (None, flag) or (None, None) for a blank."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    if isinstance(value, int | float) and not isinstance(value, bool):
        if abs(value) > _LARGEST:
            raise MojShapeError(f"{where}: {value!r} is too large to be a count held exactly")
        return float(value), None
    text = str(value).strip()
    if text in FLAGS:
        return None, text
    # Read as the contract reads a count (contract.NON_NEGATIVE), then held exactly as a float.
    if not NON_NEGATIVE.check(text) or to_int(text) > _LARGEST:
        raise MojShapeError(f"{where}: {text!r} is neither a count (a whole number, commas only "
                            f"between groups of three digits) nor one of the publisher's flags "
                            f"({', '.join(FLAGS)})")
    return float(to_int(text)), None


def read_moj(path: str | Path) -> pd.DataFrame:
    """The rows of an MoJ proven reoffending table, one per printed row, as a new frame.

    Columns: ``file``, ``row`` (as a spreadsheet numbers it), ``category``, ``subcategory1``,
    ``subcategory2``, ``adult_juvenile``, ``geography``, ``cohort_as_printed``, ``cohort`` (the
    key, `moj_cohort`), ``offenders``, ``reoffenders``, ``reoffences`` (nullable whole numbers)
    and ``flags`` ("offenders: *" where a symbol stood for a count). Aggregate rows ("UTLA
    total") are kept: which rows to take is the importer's choice. Raises MojShapeError, naming
    the file, row, column and value, for a file of any other shape, an unreadable cohort or a
    count that is neither a number nor a flag.
    """
    path = Path(path)
    file, rows = table_rows(path, MojShapeError, sheet="Data" if path.suffix.lower() != ".csv" else None,
                            expected="the geographical data tool (.xlsx) or a CSV bundle (.csv)",
                            sheet_needed="the geographical data tool has a sheet 'Data'")
    start = _find_header(rows, file)
    names = [_header_name(v) for v in rows[start]]
    while names and not names[-1]:
        names.pop()
    has_geography = "geography" in names
    records = []
    for offset, row in enumerate(rows[start + 1:], start=start + 2):
        if all(v is None or str(v).strip() == "" for v in row):
            continue
        short = file.endswith(".csv") and len(row) < len(names)  # a sheet's blank cells are not short
        if short or any(v is not None and str(v).strip() for v in row[len(names):]):
            raise MojShapeError(f"{file} row {offset}: {len(row)} values where the header names "
                                f"{len(names)} columns (a value with an unquoted comma?)")
        cells = dict(zip(names, row, strict=False))
        if has_geography and (cells.get("geography") is None or not str(cells["geography"]).strip()):
            raise MojShapeError(f"{file} row {offset}, column geography: blank (every row of the "
                                "geographical data tool names its area)")
        record: dict[str, object] = {"file": file, "row": offset}
        for column in ("category", "subcategory1", "subcategory2", "adult_juvenile", "geography"):
            value = cells.get(column)
            record[column] = None if value is None else " ".join(str(value).split())
        printed = cells.get("cohort")
        if printed is None or not str(printed).strip():
            raise MojShapeError(f"{file} row {offset}, column cohort: blank (every row needs its cohort)")
        try:
            cohort = moj_cohort(printed)
        except ValueError as exc:
            raise MojShapeError(f"{file} row {offset}, column cohort: {exc}") from None
        record |= {"cohort_as_printed": cohort.label, "cohort": cohort.key}
        flags = []
        for column in _COUNTS:
            number, flag = _count(cells.get(column), f"{file} row {offset}, column {column}")
            if number is not None and (number < 0 or not number.is_integer()):
                raise MojShapeError(f"{file} row {offset}, column {column}: {cells.get(column)!r} "
                                    "is not a whole number of 0 or more")
            record[column] = number
            if flag:
                flags.append(f"{column}: {flag}")
        record["flags"] = "; ".join(flags) or None
        records.append(record)
    frame = pd.DataFrame.from_records(records, columns=[
        "file", "row", "category", "subcategory1", "subcategory2", "adult_juvenile", "geography",
        "cohort_as_printed", "cohort", *_COUNTS, "flags"])
    for column in _COUNTS:
        frame[column] = pd.array(frame[column], dtype="Float64").astype("Int64")
    for column in ("category", "subcategory1", "subcategory2", "adult_juvenile", "geography",
                   "cohort_as_printed", "cohort", "flags"):
        frame[column] = frame[column].astype("string")
    return frame
