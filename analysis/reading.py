"""Read an analyst's files into text tables: which file is which table, CSV dialects, Excel sheets."""

from __future__ import annotations

import csv
import io
import logging
import os
import re
import stat
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from .contract import TABLES
from .problems import Problem

log = logging.getLogger(__name__)

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
RECORDS = "offenders"  # the record-level table, read by analysis.records rather than here
_BOM = b"\xef\xbb\xbf"
_SEPARATORS = {",": "','", ";": "';'", "\t": "tab", "|": "'|'"}


@dataclass
class Raw:
    """A table as read: text cells (None when blank), indexed by the row number the user sees."""

    name: str
    file: str
    frame: pd.DataFrame
    decimal_comma: bool = False  # separated by ';', so "3,5" may be a decimal comma


@dataclass
class Source:
    """Everything read from a data folder or workbook: the tables and the record-level file."""

    raws: list[Raw]
    records: Path | None = None


def cell_of(rec: pd.Series, column: str) -> str | None:
    """A cell of a raw row as text, or None when blank (iterrows turns None into NaN)."""
    value = rec.get(column)
    return None if value is None or (isinstance(value, float) and pd.isna(value)) else value


def table_key(name: str) -> str:
    """A file or sheet name reduced so `Re-offending`, `Inspection Scores` find their table."""
    return re.sub(r"[\s_\-]+", "", name.strip().lower())


_TABLE_OF = {table_key(name): name for name in (*TABLES, RECORDS)}


def table_of(name: str) -> str | None:
    """The contract table a file stem or sheet title names, if any."""
    return _TABLE_OF.get(table_key(name))


def normalise_header(name: object) -> str:
    text = "" if name is None else str(name)
    return re.sub(r"[\s\-]+", "_", text.strip().lower())


def _cell(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value.date() if value.time() == datetime.min.time() else value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _header(name: str, file: str, cells: list[object], row: int,
            problems: list[Problem]) -> tuple[list[str], list[int]]:
    """The normalised column names and the positions kept (the first of each name)."""
    columns = [normalise_header(h) for h in cells]
    while columns and columns[-1] == "":
        columns.pop()
    first: dict[str, int] = {}
    for i, col in enumerate(columns):
        if col == "":
            problems.append(Problem(file, row, "", "", "header",
                                    "a column has no name in the header row", table=name))
        elif col in first:
            problems.append(Problem(file, row, col, col, "header",
                                    "the column appears twice in the header row", table=name))
        else:
            first[col] = i
    # A nameless or repeated column is reported above; keep the first so rules still run.
    return columns, sorted(first.values())


def frame_from_rows(name: str, file: str, rows: list[tuple[int, list[object]]],
                    problems: list[Problem]) -> pd.DataFrame | None:
    """Turn (row number, cells) records into a text frame indexed by row number."""
    if not rows:
        problems.append(Problem(file, None, "", "", "empty-file", "the file has no header row",
                                table=name))
        return None
    header_row, header = rows[0]
    columns, keep = _header(name, file, header, header_row, problems)
    width = len(columns)
    records, index = [], []
    for number, cells in rows[1:]:
        texts = [_cell(c) for c in cells]
        if all(t is None for t in texts):
            continue  # a blank line holds no row; row numbers still count it
        if len(texts) > width and any(t is not None for t in texts[width:]):
            problems.append(Problem(file, number, "", str(len(texts)), "field-count",
                                    f"the row has {len(texts)} values but the header names "
                                    f"{width} columns", table=name))
            continue
        texts += [None] * (width - len(texts))
        records.append([texts[i] for i in keep])
        index.append(number)
    row_index = pd.Index(index, name="row")
    if not keep:
        return pd.DataFrame(index=row_index)
    return pd.DataFrame(records, columns=[columns[i] for i in keep], index=row_index, dtype=object)


# ---------------------------------------------------------------------------------------------
# Only regular files


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _not_a_file(path: Path, mode: int | None, table: str, error: OSError | None = None) -> Problem:
    why = (f"cannot be read: {error.strerror or error}" if error is not None else
           f"is {_kind(mode or 0)}, not a regular file: only regular files are read")
    return Problem(path.name, None, "", "", "not-a-file", f"{path.name} {why}", table=table)


def is_regular(path: Path, problems: list[Problem], table: str = "") -> bool:
    """True for a regular file (following symlinks); otherwise an error naming it, unopened."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        problems.append(_not_a_file(path, None, table, exc))
        return False
    if not stat.S_ISREG(mode):
        problems.append(_not_a_file(path, mode, table))
    return stat.S_ISREG(mode)


def read_regular(path: Path, problems: list[Problem], table: str = "") -> bytes | None:
    """The bytes of a regular file, or None with an error naming it.

    A FIFO would block the first read and /dev/zero never ends, so the kind is checked before
    opening; the open is non-blocking and the kind checked again, in case the file was swapped.
    """
    if not is_regular(path, problems, table):
        return None
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        problems.append(_not_a_file(path, None, table, exc))
        return None
    with os.fdopen(fd, "rb") as handle:
        mode = os.fstat(handle.fileno()).st_mode
        if not stat.S_ISREG(mode):
            problems.append(_not_a_file(path, mode, table))
            return None
        return handle.read()


# ---------------------------------------------------------------------------------------------
# CSV


def _decode(data: bytes, file: str, name: str, problems: list[Problem]) -> str:
    while data.startswith(_BOM):  # a file saved twice as "UTF-8 with BOM" carries two
        data = data[len(_BOM):]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problems.append(Problem(file, line, "", "", "encoding",
                                "the file is not UTF-8; it was read as Windows-1252 - save it "
                                "as 'CSV UTF-8' to be sure accented characters are right",
                                severity="warning", table=name))
        return data.decode("cp1252", errors="replace")


def _separator(text: str, file: str, name: str, problems: list[Problem]) -> tuple[str, str] | None:
    """The separator and the text after any `sep=` line; None (with an error) for a bad one."""
    if m := re.match(r"sep=(.?)[ \t]*(?:\r\n|\n|\r|$)", text, re.IGNORECASE):
        # Excel writes `sep=;` as the first line and hides it, so the header stays row 1.
        if m[1] not in _SEPARATORS:
            problems.append(Problem(file, None, "", m[0].strip(), "separator",
                                    "the sep= line names no separator the workbook reads "
                                    "(',', ';', tab or '|')", table=name))
            return None
        return m[1], text[m.end():]
    first = text.split("\n", 1)[0]
    counts = {sep: first.count(sep) for sep in (",", ";", "\t")}
    delimiter = max(counts, key=lambda sep: (counts[sep], sep == ","))
    if counts[delimiter] == 0:
        delimiter = ","
    if delimiter != ",":
        problems.append(Problem(file, 1, "", "", "separator",
                                f"the file is separated by {_SEPARATORS[delimiter]} rather than "
                                f"','; it was read with {_SEPARATORS[delimiter]}",
                                severity="warning", table=name))
    return delimiter, text


def _records(text: str, delimiter: str, file: str, name: str,
             problems: list[Problem]) -> list[tuple[int, list[str]]] | None:
    """(row number as a spreadsheet shows it, cells) per record; None after an unclosed quote."""
    # strict: a quote that opens and is never closed as a field ends is an error, not a value
    # silently swallowing the rows after it.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[tuple[int, list[str]]] = []
    spans: dict[int, tuple[int, int]] = {}  # row -> first and last line, when it spans lines
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            row = len(rows) + 1
            problems.append(Problem(
                file, row, "", "", "unclosed-quote",
                f"a quote opened in row {row} (line {line} of the file) is not closed where a "
                f"value ends ({exc}): the rows after it would be read as one value. Close the "
                "quote, or remove it", table=name))
            return None
        # A spreadsheet numbers records, not lines: a quoted line break stays in one row.
        rows.append((len(rows) + 1, cells))
        if reader.line_num > line:
            spans[len(rows)] = (line, reader.line_num)
    if rows and spans:
        _check_line_breaks(rows, spans, delimiter, file, name, problems)
    return rows


def _check_line_breaks(rows: list[tuple[int, list[str]]], spans: dict[int, tuple[int, int]],
                       delimiter: str, file: str, name: str, problems: list[Problem]) -> None:
    """Warn of a quoted value whose later lines hold the separator: rows a quote swallowed?

    A quote closed further down (`"x` on one row, `y",z` on a later one) is well-formed CSV,
    so only this warning tells the analyst that the rows between became one value.
    """
    header = [normalise_header(h) for h in rows[0][1]]
    for row, (first, last) in spans.items():
        for position, cell in enumerate(rows[row - 1][1]):
            if any(delimiter in part for part in cell.splitlines()[1:]):
                column = header[position] if position < len(header) and row > 1 else ""
                problems.append(Problem(
                    file, row, column, cell, "line-break",
                    f"the quoted value runs over lines {first}-{last} of the file and a line "
                    "inside it holds the separator: if a quote was left open, the rows between "
                    "were read into this one value", severity="warning", table=name))


def read_csv(path: Path, name: str, problems: list[Problem]) -> Raw | None:
    data = read_regular(path, problems, name)
    if data is None:
        return None
    if b"\x00" in data:
        problems.append(Problem(path.name, None, "", "", "encoding",
                                "the file holds NUL bytes: it is UTF-16 or not a text file; "
                                "save it as 'CSV UTF-8'", table=name))
        return None
    text = _decode(data, path.name, name, problems)
    separated = _separator(text, path.name, name, problems)
    if separated is None:
        return None
    delimiter, text = separated
    rows = _records(text, delimiter, path.name, name, problems)
    if rows is None:
        return None
    log.debug("%s: %d records separated by %r", path.name, len(rows), delimiter)
    frame = frame_from_rows(name, path.name, rows, problems)
    return None if frame is None else Raw(name, path.name, frame, decimal_comma=delimiter == ";")


# ---------------------------------------------------------------------------------------------
# A folder


def not_read(label: str, why: str) -> Problem:
    """The warning for a file, folder or sheet that is not read, saying why."""
    return Problem(label, None, "", "", "not-read", f"{why}: not read", severity="warning")


def _claims(source: Path, problems: list[Problem]) -> dict[str, list[Path]]:
    """Which entries of the folder hold which table; every other entry is a warning."""
    claims: dict[str, list[Path]] = {}
    for entry in sorted(source.iterdir(), key=lambda p: p.name):
        suffix = entry.suffix.lower()
        table = table_of(entry.stem) if suffix in (".csv", ".parquet") else None
        if table is not None and (suffix == ".csv" or table == RECORDS):
            claims.setdefault(table, []).append(entry)
        elif entry.is_dir():
            problems.append(not_read(entry.name, "a folder, not a table of the data contract"))
        else:
            problems.append(not_read(entry.name, "not a table of the data contract (a file is "
                                                  "read when named like areas.csv)"))
    return claims


def _one_each(claims: dict[str, list[Path]], problems: list[Problem]) -> dict[str, Path]:
    """The file of each table; a table claimed by two files is an error and neither is read."""
    chosen = {}
    for table, paths in claims.items():
        if len(paths) == 1:
            chosen[table] = paths[0]
            continue
        names = ", ".join(p.name for p in paths)
        for path in paths:
            problems.append(Problem(path.name, None, "", "", "duplicate-table",
                                    f"{names} all name the {table} table: keep one", table=table))
    return chosen


def read_folder(source: Path, problems: list[Problem]) -> Source:
    chosen = _one_each(_claims(source, problems), problems)
    raws = []
    for name in TABLES:
        if name in chosen and (raw := read_csv(chosen[name], name, problems)) is not None:
            raws.append(raw)
    records = chosen.get(RECORDS)
    if records is not None and not is_regular(records, problems, RECORDS):
        records = None
    return Source(raws, records)


def read_source(source: Path, problems: list[Problem]) -> Source:
    """Read a folder of CSV files or an Excel workbook (see analysis.excel)."""
    if source.suffix.lower() in WORKBOOK_SUFFIXES and not source.is_dir():
        from .excel import read_workbook

        return Source(read_workbook(source, problems))
    return read_folder(source, problems)
