"""A published file's rows, CSV or an Excel sheet, opened as the loader opens an analyst's files."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

from openpyxl import load_workbook

from .problems import Problem
from .reading import read_regular

__all__ = ["file_bytes", "table_rows"]


def file_bytes(path: Path, error: type[ValueError]) -> bytes:
    """The file's bytes, read as the loader reads an analyst's files (never a FIFO or device);
    ``error`` raised naming what is wrong with it."""
    problems: list[Problem] = []
    data = read_regular(path, problems)
    if data is None:
        raise error("; ".join(p.message for p in problems))
    return data


def table_rows(path: Path, error: type[ValueError], *, expected: str, sheet: str | None = None,
               sheet_needed: str = "") -> tuple[str, list[list[object]]]:
    """(label, rows) of a .csv file (cells as text) or of an .xlsx sheet (cells as stored):
    ``sheet`` by name, else the first. The label is the file name, with [sheet] for a named one.

    Raises ``error`` naming the file for anything else: another suffix (``expected`` says what
    is), a workbook that cannot be opened, a missing sheet (``sheet_needed`` says why it is
    needed), text that is not UTF-8, or a quote left open.
    """
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        try:
            book = load_workbook(io.BytesIO(file_bytes(path, error)), read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
            if isinstance(exc, error):
                raise
            raise error(f"{path.name}: not an Excel workbook that can be read ({exc})") from None
        try:
            if sheet is not None and sheet not in book.sheetnames:
                raise error(f"{path.name}: {sheet_needed or f'no sheet {sheet!r}'}; this workbook has "
                            f"{', '.join(book.sheetnames)}")
            chosen = book[sheet] if sheet is not None else book.worksheets[0]
            label = f"{path.name}[{sheet}]" if sheet is not None else path.name
            return label, [list(r) for r in chosen.iter_rows(values_only=True)]
        finally:
            book.close()
    if suffix == ".csv":
        try:
            text = file_bytes(path, error).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise error(f"{path.name}: not UTF-8 text (byte {exc.start}); save it as CSV UTF-8 and "
                        "import again") from None
        try:
            return path.name, [list(r) for r in csv.reader(io.StringIO(text, newline=""), strict=True)]
        except csv.Error as exc:
            raise error(f"{path.name}: a quote is left open ({exc})") from None
    raise error(f"{path.name}: expected {expected}")
