"""An input workbook to start from: a sheet per table of the data contract, with lists and instructions.

Each table's sheet has the contract's columns as its header (frozen, required ones bold), one
example row, dates written as dates and drop-down lists where a column takes one of a fixed set
of values. The sheet "Instructions" is written from the contract (analysis.contract), so it says
what `workbook validate` checks; the sheet "Lists" holds the drop-downs' values. The example rows
form one consistent, valid dataset, so a fresh template validates clean and builds; the loader
(analysis.excel) knows the two extra sheets as the template's own by the workbook's keywords.
"""

from __future__ import annotations

import os
import tempfile
from datetime import date
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from . import contract, frameworks
from .excel import TEMPLATE_KEYWORDS, TEMPLATE_SHEETS
from .pathways import PATHWAYS

__all__ = ["CHOICES", "EXAMPLE_ROWS", "TEMPLATE_KEYWORDS", "TEMPLATE_SHEETS", "write_template"]


#: The fixed values of each column that takes one of a set (the contract's one-of rules), and the
#: pathway codes (a strand's pathway; several may be typed, separated by ;).
CHOICES: dict[tuple[str, str], tuple[str, ...]] = {
    ("areas", "area_type"): contract.AREA_TYPES,
    ("strands", "pathway"): tuple(p.code for p in PATHWAYS),
    ("milestones", "status"): contract.MILESTONE_STATUSES,
    ("progress", "rag"): contract.RAGS,
    ("inspections", "framework"): frameworks.available(),
    ("inspections", "kind"): contract.INSPECTION_KINDS,
    ("recommendations", "status"): contract.RECOMMENDATION_STATUSES,
    ("indicators", "unit"): contract.UNITS,
    ("indicators", "better"): contract.BETTER,
    ("aliases", "kind"): contract.ALIAS_KINDS,
    ("commentary", "section"): contract.COMMENTARY_SECTIONS,
}

#: One example row per table, together a valid dataset: one probation area with a plan, a
#: strand and its milestone and return, an inspection with a score and a recommendation, an
#: indicator and a reoffending cohort.
EXAMPLE_ROWS: dict[str, dict[str, object]] = {
    "areas": {"area_id": "example-area", "name": "Example Probation Area",
              "area_type": "probation_area", "population": 500000},
    "plans": {"plan_id": "example-plan", "area_id": "example-area",
              "title": "Example Probation Area: Reducing Reoffending Action Plan 2025/26",
              "starts": date(2025, 4, 1), "ends": date(2026, 3, 31), "reported_on": date(2025, 12, 31)},
    "strands": {"strand_id": "example-accommodation", "plan_id": "example-plan", "pathway": "ACCM",
                "title": "Increase access to settled accommodation",
                "aim": "More offenders in settled accommodation at the end of their order or licence",
                "lead": "Head of Interventions", "partners": "District councils; housing providers"},
    "milestones": {"milestone_id": "example-accommodation-protocol",
                   "strand_id": "example-accommodation",
                   "description": "Housing protocol agreed with the district councils",
                   "due": date(2025, 9, 30), "status": "complete", "completed_on": date(2025, 9, 15)},
    "progress": {"strand_id": "example-accommodation", "reported_on": date(2025, 12, 31),
                 "rag": "green", "comment": "Protocol in use in every office"},
    "inspections": {"inspection_id": "example-inspection", "area_id": "example-area",
                    "framework": "esi-2003", "published": date(2025, 6, 30), "kind": "full",
                    "title": "Effective Supervision Inspection of Example Probation Area"},
    "inspection_scores": {"inspection_id": "example-inspection", "criterion": "A1",
                          "value": "well met"},
    "recommendations": {"recommendation_id": "example-inspection-r1",
                        "inspection_id": "example-inspection", "number": 1,
                        "text": "Link offenders to housing services before their order ends",
                        "addressed_by": "example-accommodation", "due": date(2026, 3, 31),
                        "status": "open"},
    "indicators": {"area_id": "example-area", "period": "2024/25",
                   "indicator": "Offenders in settled accommodation at end of order",
                   "value": 80.7, "target": 85, "unit": "percent", "better": "higher"},
    "reoffending": {"area_id": "example-area", "cohort": "2023-Q2", "measure": "adult-proven-1yr",
                    "offenders": 382, "reoffenders": 144, "predicted_rate": 38.9,
                    "source_publisher": "Ministry of Justice",
                    "source_title": "Proven reoffending statistics: April to June 2023"},
    "glossary": {"term": "Strand", "meaning": "A piece of work within a pathway, with its aim, "
                 "milestones and lead"},
    "aliases": {"kind": "organisation", "spelling": "EPA", "canonical": "Example Probation Area"},
    "groupings": {"area_id": "example-area", "grouping": "police force area", "group": "Example Police"},
    "commentary": {"area_id": "example-area", "section": "summary", "as_of": date(2025, 12, 31),
                   "text": "Accommodation is on track; the board is asked to note the protocol."},
}

_ROWS_WITH_LISTS = 1000  # drop-downs reach this far down each sheet
_BOLD = Font(bold=True)


def _requirement(column: contract.Col) -> str:
    if column.required and not column.nullable:
        needed = "required, never blank"
    else:
        needed = "required column, may be blank" if column.required else "optional"
    return f"{needed}; no two rows alike" if column.unique else needed


# Where the contract's wording is for a CSV writer, the words an analyst filling a sheet needs.
_PLAIN = {
    "slug": "an identifier: lowercase letters, digits and hyphens, up to 64 characters "
            "(e.g. example-area)",
    "integer": "a whole number",
    "non-negative": "a whole number, 0 or more",
    "positive": "a whole number above 0",
}


def _rules(table: str, column: contract.Col) -> str:
    """A column's rules as an analyst filling the sheet needs them."""
    choices = CHOICES.get((table, column.name))
    texts = [] if not choices else [f"pick from the list ({', '.join(choices)})"]
    for rule in column.rules:
        if choices and rule.rule in ("one-of", "slug"):
            continue  # the list says it
        text = _PLAIN.get(rule.rule, rule.text)
        if rule.rule == "iso-date":
            text = "a date (type it as a date, or as text YYYY-MM-DD)"
        texts.append(text)
    return "; ".join(texts)


def _table_rules(table: contract.Table) -> list[str]:
    """What `workbook validate` checks across a table's rows and against other tables."""
    rules = []
    if table.key:
        rules.append(f"no two rows share {', '.join(table.key)}")
    rules += [rule.text for rule in table.cross_rules]
    rules += [f"warned, not refused: {rule.text}" for rule in table.warning_rules]
    return rules


def _instructions(book: Workbook) -> None:
    sheet = book.active
    sheet.title = TEMPLATE_SHEETS[0]
    lines: list[tuple[object, ...]] = [
        ("Reducing Reoffending Workbook: input template",),
        ("Fill in one sheet per table, a row per record, keeping the headers. Replace the example "
         "rows with your own. Check the file with: workbook validate FILE.xlsx",),
        ("Sheets named like a table are read; this sheet and Lists are the template's own. Bold "
         "headers are required and never blank; italic ones are optional or may be blank.",),
        (),
        ("table", "column", "what it holds", "needed", "rules"),
    ]
    for table in contract.TABLES.values():
        lines.append((table.name, "", table.description, "", ""))
        for column in table.columns:
            lines.append(("", column.name, column.description, _requirement(column),
                          _rules(table.name, column)))
        for rule in _table_rules(table):
            lines.append(("", "(the whole table)", rule, "checked by workbook validate", ""))
    for line in lines:
        sheet.append(line)
    sheet["A1"].font = Font(bold=True, size=14)
    for cell in sheet[5]:
        cell.font = _BOLD
    for letter, width in zip("ABCDE", (20, 24, 60, 26, 60), strict=True):
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows(min_row=6):
        if row[0].value:
            row[0].font = _BOLD  # a table's own line
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A6"


def _lists(book: Workbook) -> dict[tuple[str, str], str]:
    """The Lists sheet: a column per choice; returns each choice's range formula."""
    sheet = book.create_sheet(TEMPLATE_SHEETS[1])
    ranges = {}
    for index, (key, values) in enumerate(CHOICES.items(), start=1):
        letter = get_column_letter(index)
        sheet.cell(1, index, f"{key[0]}.{key[1]}").font = _BOLD
        for row, value in enumerate(values, start=2):
            sheet.cell(row, index, value)
        sheet.column_dimensions[letter].width = max(18, len(f"{key[0]}.{key[1]}") + 2)
        ranges[key] = f"={TEMPLATE_SHEETS[1]}!${letter}$2:${letter}${len(values) + 1}"
    return ranges


def _table_sheet(book: Workbook, table: contract.Table, ranges: dict[tuple[str, str], str]) -> None:
    sheet = book.create_sheet(table.name)
    example = EXAMPLE_ROWS[table.name]
    for index, column in enumerate(table.columns, start=1):
        letter = get_column_letter(index)
        header = sheet.cell(1, index, column.name)
        header.font = _BOLD if column.required and not column.nullable else Font(italic=True)
        cell = sheet.cell(2, index, example.get(column.name))
        if isinstance(cell.value, date):
            cell.number_format = "yyyy-mm-dd"
        sheet.column_dimensions[letter].width = max(14, min(40, len(column.name) + 4))
        if (table.name, column.name) in ranges:
            several = column.name == "pathway"  # codes may be combined: a;b warns, not refuses
            check = DataValidation(type="list", formula1=ranges[(table.name, column.name)],
                                   allow_blank=True, showErrorMessage=True,
                                   errorStyle="warning" if several else "stop",
                                   error=f"Pick a value from the list (sheet {TEMPLATE_SHEETS[1]})",
                                   errorTitle=column.name)
            check.add(f"{letter}2:{letter}{_ROWS_WITH_LISTS}")
            sheet.add_data_validation(check)
    sheet.freeze_panes = "A2"


def write_template(path: Path) -> Path:
    """Write the input template to ``path`` (an .xlsx) in an existing folder; never replace a file.

    The workbook is written to a temporary name and hard-linked to ``path``, which fails if
    anything (a file, a link, even a dangling one) appeared there meanwhile, so an analyst's own
    workbook is never overwritten. Raises FileExistsError when ``path`` exists, ValueError when it
    does not end in .xlsx or its folder does not exist, OSError when the folder is not writable.
    """
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise ValueError(f"{path}: the template is an Excel workbook, so its name must end in .xlsx")
    if path.is_symlink() or path.exists():
        raise FileExistsError(f"{path} exists: the template never replaces a file; choose another name")
    if not path.parent.is_dir():
        raise ValueError(f"{path}: the folder {path.parent} does not exist (or is not a folder)")
    book = Workbook()
    book.properties.title = "Reducing Reoffending Workbook: input template"
    book.properties.keywords = TEMPLATE_KEYWORDS
    _instructions(book)
    ranges = _lists(book)
    for table in contract.TABLES.values():
        _table_sheet(book, table, ranges)
    book.move_sheet(TEMPLATE_SHEETS[1], offset=len(book.sheetnames) - 2)
    fd, tmp = tempfile.mkstemp(prefix=".template-", suffix=".xlsx.tmp", dir=path.parent)
    os.close(fd)
    try:
        book.save(tmp)
        os.chmod(tmp, 0o644)
        _place(Path(tmp), path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return path


def _place(tmp: Path, path: Path) -> None:
    """Give the written file its name without replacing anything there."""
    exists = FileExistsError(f"{path} exists: the template never replaces a file; choose another name")
    try:
        os.link(tmp, path)  # no-replace: fails if anything appeared there since the check
    except FileExistsError:
        raise exists from None
    except OSError:
        # A file system without hard links (FAT, some shares): check again, then rename.
        if path.is_symlink() or path.exists():
            raise exists from None
        os.replace(tmp, path)
