"""Read an Excel workbook's sheets as the analyst sees them: percentages, merged cells, formulas."""

from __future__ import annotations

import io
import logging
import re
from decimal import Decimal
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from .problems import Problem
from .reading import RECORDS, Raw, frame_from_rows, normalise_header, not_read, read_regular, table_of

log = logging.getLogger(__name__)

Grid = list[list[object]]

TEMPLATE_KEYWORDS = "reoffending-workbook input template"
"""The keyword `workbook template` gives its workbooks, by which their own sheets are known."""
TEMPLATE_SHEETS = ("Instructions", "Lists")
"""A template's sheets that are not tables: passed over without a warning (analysis.template)."""


def _percent(value: float | int, number_format: str) -> str:
    """A number shown with a percent format, as shown: 0.385 under `0.0%` is "38.5"."""
    # repr is the shortest text giving the float back, so 0.07 is 7, not 7.000000000000001.
    shown = (Decimal(repr(value)) * 100).normalize()
    m = re.search(r"\.([0#?]+)[^;]*%", number_format.split(";")[0])
    places = max(len(m[1]) if m else 0, -int(shown.as_tuple().exponent))
    return f"{shown:.{places}f}"


def _value(cell) -> object:
    value = cell.value
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if number and "%" in (cell.number_format or ""):
        return _percent(value, cell.number_format)
    return value


def _grid(sheet: Worksheet) -> Grid:
    return [[_value(cell) for cell in row] for row in sheet.iter_rows()]


def _column_name(grid: Grid, row: int, column: int) -> str:
    """The header's name for a cell below the header; blank for the header row itself."""
    if row <= 1 or not grid or column > len(grid[0]):
        return ""
    return normalise_header(grid[0][column - 1])


def _formulas_without_values(grid: Grid, formulas: Worksheet, label: str, name: str,
                             problems: list[Problem]) -> None:
    """A formula whose saved value is missing would load blank: name its cell instead."""
    for row in formulas.iter_rows():
        for cell in row:
            if cell.data_type != "f":
                continue
            r, c = cell.row, cell.column
            if r <= len(grid) and c <= len(grid[r - 1]) and grid[r - 1][c - 1] is not None:
                continue
            problems.append(Problem(
                label, r, _column_name(grid, r, c), str(cell.value), "formula-no-value",
                f"cell {cell.coordinate} of sheet {formulas.title!r} holds a formula with no saved "
                "value (the program that wrote the workbook did not calculate it): open and save "
                "it in Excel, or paste the values", table=name))


def _fill_merged(grid: Grid, sheet: Worksheet, label: str, name: str,
                 problems: list[Problem]) -> None:
    """Every cell of a merged range holds the top-left value, as the analyst sees the sheet."""
    for merged in sorted(sheet.merged_cells.ranges, key=lambda m: (m.min_row, m.min_col)):
        value = grid[merged.min_row - 1][merged.min_col - 1]
        for r in range(merged.min_row, merged.max_row + 1):
            for c in range(merged.min_col, merged.max_col + 1):
                grid[r - 1][c - 1] = value
        if value is None:
            continue
        problems.append(Problem(
            label, merged.min_row, _column_name(grid, merged.min_row, merged.min_col),
            merged.coord, "merged-cells",
            f"cells {merged.coord} are merged: each was read as the top-left value {value!r}",
            severity="warning", table=name))


def _chosen_sheets(book, label: str, problems: list[Problem]) -> dict[str, str]:
    """Table -> sheet title, for visible sheets named like a table; the rest are warnings."""
    claims: dict[str, list[str]] = {}
    worksheets = {sheet.title: sheet for sheet in book.worksheets}
    template = (book.properties.keywords or "") == TEMPLATE_KEYWORDS
    for title in book.sheetnames:
        where = f"{label}[{title}]"
        sheet, table = worksheets.get(title), table_of(title)
        if template and title in TEMPLATE_SHEETS:
            log.debug("%s: the template's own sheet, not a table", where)
        elif sheet is None:
            problems.append(not_read(where, "a chart sheet, not a table"))
        elif sheet.sheet_state != "visible":
            problems.append(not_read(where, f"a {sheet.sheet_state} sheet (unhide it to have it "
                                             "read)"))
        elif table == RECORDS:
            problems.append(not_read(where, "record-level offenders are read from "
                                             "offenders.csv or offenders.parquet in a folder"))
        elif table is None:
            problems.append(not_read(where, "not a table of the data contract (a sheet is read "
                                             "when named like a table, e.g. areas)"))
        else:
            claims.setdefault(table, []).append(title)
    chosen = {}
    for table, titles in claims.items():
        if len(titles) == 1:
            chosen[table] = titles[0]
            continue
        names = ", ".join(repr(t) for t in titles)
        for title in titles:
            problems.append(Problem(f"{label}[{title}]", None, "", "", "duplicate-table",
                                    f"sheets {names} all name the {table} table: keep one",
                                    table=table))
    return chosen


def read_workbook(path: Path, problems: list[Problem]) -> list[Raw]:
    data = read_regular(path, problems)
    if data is None:
        return []
    try:
        # Not read_only: merged ranges and number formats are only known to a full load. A
        # second, formula load tells a formula with no saved value from a blank cell.
        book = load_workbook(io.BytesIO(data), data_only=True)
        formulas = load_workbook(io.BytesIO(data), data_only=False, read_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        problems.append(Problem(path.name, None, "", "", "workbook",
                                f"the workbook cannot be read: {exc}"))
        return []
    raws = []
    for name, title in _chosen_sheets(book, path.name, problems).items():
        label = f"{path.name}[{title}]"
        grid = _grid(book[title])
        log.debug("%s: %d rows read as the %s table", label, len(grid), name)
        _formulas_without_values(grid, formulas[title], label, name, problems)
        _fill_merged(grid, book[title], label, name, problems)
        frame = frame_from_rows(name, label, [(i + 1, row) for i, row in enumerate(grid)], problems)
        if frame is not None:
            raws.append(Raw(name, label, frame))
    formulas.close()
    return raws
