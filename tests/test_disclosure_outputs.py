"""Disclosure control holds in every published file: HTML, PDF, XLSX and executed notebooks.

The definition checked (for the example and for a synthetic dataset with tiny cohorts and a
record-level file):

1. Sensitive cohort: an (area, measure, cohort) of the input (aggregate table plus the
   record-level aggregate) whose offenders, reoffenders or offenders - reoffenders is 1-9.
   Its row in any published reoffending-rates table shows "[c]" for Reoffenders and Rate.
2. No published table shows a count of 1-9 in an Offenders or Reoffenders column (rates,
   NI 18, funnel tables in HTML, notebook outputs and workbooks); in PDF text, the figures
   after a cohort label on a table row are not a count of 1-9 where the table has counts.
3. No free text states a cohort size of 1-9 ("from a cohort of N").
4. No record-level column or value appears: the names of the record-level file's columns
   (reoffended, age_band, predicted_variance, source_row, ...) or its category values.
The scanners are shown to catch a planted leak of each kind.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from pypdf import PdfReader

from analysis.disclosure import MARKER
from analysis.loader import load_dataset
from analysis.pipeline import cohort_table
from analysis.spreadsheets import OVERVIEW_FILE, area_workbook_name
from analysis.synth import synthesise
from analysis.tables import _area_label

from .conftest import EXAMPLE
from .report_builds import ENGINES, EXAMPLE_AREAS, example_build, shared_build

TINY_AREAS = ["synthetic-area-001", "synthetic-area-002", "synthetic-area-003"]
TINY_AS_OF = date(2020, 3, 31)
COHORT = re.compile(r"^\d{4}-Q[1-4]$|^\d{4}(?:/\d{2})?$")
COHORT_IN_TEXT = re.compile(r"(?<![\w-])(\d{4}-Q[1-4])(?![\w-])")
COUNT_HEADERS = ("Offenders", "Reoffenders")
RECORD_COLUMNS = ("reoffended", "age_band", "predicted_variance", "source_row", "serious_flag")
AGE_BANDS = ("18-20", "21-24", "25-29", "30-39", "40-49")


@dataclass(frozen=True)
class Leak:
    file: str
    kind: str
    detail: str


def _small_count(cell: object) -> bool:
    text = str(cell).strip().replace(",", "")
    return bool(re.fullmatch(r"\d+(?:\.0+)?", text)) and 0 < float(text) < 10


def sensitive(data_dir: Path) -> dict[tuple[str, str], set[str]]:
    """(area_id, cohort) -> measures whose counts are small (rule 1)."""
    dataset = load_dataset(data_dir)
    assert not dataset.errors
    cohorts = cohort_table(dataset)
    found: dict[tuple[str, str], set[str]] = {}
    for row in cohorts.itertuples():
        if pd.isna(row.offenders) or pd.isna(row.reoffenders):  # no counts: nothing to protect
            continue
        n, r = float(row.offenders), float(row.reoffenders)
        if 0 < n < 10 or 0 < r < 10 or 0 < n - r < 10:
            found.setdefault((row.area_id, row.cohort), set()).add(row.measure)
    return found


# ---------------------------------------------------------------------------------------------
# Reading published files into tables and text


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[Table] = []
        self.text: list[str] = []
        self._stack: list[Table] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._header_row = False

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._stack.append(Table([], []))
        elif tag == "tr" and self._stack:
            self._row, self._header_row = [], True
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
            self._header_row &= tag == "th" and ("scope", "col") in attrs or tag == "th" and not attrs

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None and self._stack:
            table = self._stack[-1]
            if not table.headers and self._header_row and len(self._row) > 1:
                table.headers = self._row
            elif table.headers and len(self._row) == len(table.headers):
                table.rows.append(self._row)
            self._row = None
        elif tag == "table" and self._stack:
            self.tables.append(self._stack.pop())

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def html_tables_and_text(source: str) -> tuple[list[Table], str]:
    parser = _Tables()
    parser.feed(source)
    parser.close()
    return parser.tables, " ".join(" ".join(parser.text).split())


def xlsx_tables(path: Path) -> tuple[list[Table], str]:
    wb = openpyxl.load_workbook(path)
    tables, text = [], []
    for ws in wb.worksheets:
        text += [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
        for table in ws.tables.values():
            rows = [["" if c.value is None else str(c.value) for c in row] for row in ws[table.ref]]
            tables.append(Table(rows[0], rows[1:]))
    return tables, " ".join(text)


def notebook_tables_and_text(path: Path) -> tuple[list[Table], str]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    tables, text = [], []
    for cell in nb["cells"]:
        text.append("".join(cell.get("source", "")))
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "text/html" in data:
                found, words = html_tables_and_text("".join(data["text/html"]))
                tables += found
                text.append(words)
            for key in ("text/plain", "text/markdown"):
                if key in data:
                    text.append("".join(data[key]))
            if "text" in output:
                text.append("".join(output["text"]))
    return tables, " ".join(text)


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)


# ---------------------------------------------------------------------------------------------
# The scanners


def scan_tables(name: str, tables: list[Table], area: str | None,
                small: dict[tuple[str, str], set[str]]) -> list[Leak]:
    """Rules 1 and 2 on structured tables. `area` is the report's area (None: several areas)."""
    labels = {_area_label(a): a for a, _ in small} | {a: a for a, _ in small}
    leaks = []
    for table in tables:
        heads = [h.split("\n")[0].strip() for h in table.headers]
        leaks += [Leak(name, "record-level column", h) for h in heads if h.lower() in RECORD_COLUMNS]
        counts = [i for i, h in enumerate(heads) if h in COUNT_HEADERS]
        for row in table.rows:
            for i in counts:
                if _small_count(row[i]):
                    leaks.append(Leak(name, "small count", f"{heads[i]}={row[i]} in {row[:4]}"))
        if not {"Cohort", "Reoffenders", "Rate (%)"} <= set(heads):
            continue
        where = {h: i for i, h in enumerate(heads)}
        area_col = where.get("Area ID", where.get("Area"))
        for row in table.rows:
            row_area = labels.get(row[area_col], row[area_col]) if area_col is not None else area
            if (row_area, row[where["Cohort"]]) not in small:
                continue
            for column in ("Reoffenders", "Rate (%)"):
                if row[where[column]] != MARKER:
                    leaks.append(Leak(name, "unsuppressed", f"{row_area} {row[where['Cohort']]} "
                                                            f"{column}={row[where[column]]}"))
    return leaks


def scan_pdf_text(name: str, text: str, area: str | None,
                  small: dict[tuple[str, str], set[str]]) -> list[Leak]:
    """Rules 1 and 2 on a PDF's text: table rows are lines holding a cohort label.

    Rule 2 reads a row's second figure as its reoffenders, as the rates table has them; under a
    heading whose second figure is another (frequency: offenders, then re-offences) it does not.
    """
    leaks = []
    second_is_reoffenders = True
    for line in text.splitlines():
        tokens = line.split()
        if re.match(r"(?:Area |Measure )*Cohort Offenders ", line):
            second_is_reoffenders = line.split("Cohort Offenders ", 1)[1].startswith("Reoffenders")
        for k, token in enumerate(tokens):
            if not COHORT_IN_TEXT.fullmatch(token):
                continue
            after = tokens[k + 1:k + 3]
            numeric_row = len(after) == 2 and all(re.fullmatch(r"[\d,]+|\[c\]|\u2013", t) for t in after)
            if not numeric_row:
                continue  # prose, a chart axis or a caption mentioning the cohort
            if any(_small_count(t) for t in after):
                leaks.append(Leak(name, "small count", line.strip()))
            if k == 0 and area is not None and (area, token) in small and after[1] != MARKER \
                    and second_is_reoffenders:
                leaks.append(Leak(name, "unsuppressed", line.strip()))
    return leaks


def scan_text(name: str, text: str) -> list[Leak]:
    """Rules 3 and 4 on any text."""
    leaks = [Leak(name, "cohort size in text", m.group(0))
             for m in re.finditer(r"cohort of ([\d,]+)\b", text) if _small_count(m.group(1))]
    lowered = text.lower()
    # Underscored column names cannot be prose ("more people reoffended than predicted" is).
    leaks += [Leak(name, "record-level column", c) for c in RECORD_COLUMNS if "_" in c and c in lowered]
    bands = [b for b in AGE_BANDS if b in text]
    if len(bands) >= 2:
        leaks.append(Leak(name, "record-level values", ", ".join(bands)))
    return leaks


def scan_build(out: Path, small: dict[tuple[str, str], set[str]]) -> list[Leak]:
    """Every published file under a build folder: HTML, PDF, XLSX and executed notebooks."""
    leaks: list[Leak] = []
    kinds = (".html", ".pdf", ".xlsx", ".ipynb")
    files = sorted(p for p in out.rglob("*") if p.is_file() and p.suffix in kinds)
    assert files
    for path in files:
        name = path.relative_to(out).as_posix()
        area = path.stem.removesuffix("-tables")
        area = None if area in ("overview", "index") else area
        if path.suffix == ".html":
            tables, text = html_tables_and_text(path.read_text(encoding="utf-8"))
        elif path.suffix == ".xlsx":
            tables, text = xlsx_tables(path)
        elif path.suffix == ".ipynb":
            tables, text = notebook_tables_and_text(path)
        else:
            text = pdf_text(path)
            leaks += scan_pdf_text(name, text, area, small) + scan_text(name, text)
            continue
        leaks += scan_tables(name, tables, area, small) + scan_text(name, text)
    return leaks


def _with_workbooks(result, area_ids: list[str]) -> None:
    """The build publishes each report's spreadsheet beside it; the scan must see them all."""
    for area_id in area_ids:
        assert (result.out_dir / area_id / area_workbook_name(area_id)).exists()
    assert (result.out_dir / "overview" / OVERVIEW_FILE).exists()


# ---------------------------------------------------------------------------------------------
# (a) the example


@pytest.fixture(scope="module", params=ENGINES)
def example(tmp_path_factory, request):
    result = example_build(tmp_path_factory, request.param)
    assert result.ok
    _with_workbooks(result, EXAMPLE_AREAS)
    return result


def test_example_publishes_no_small_count_or_record(example):
    small = sensitive(EXAMPLE)
    assert scan_build(example.out_dir, small) == []
    kinds = {p.suffix for p in example.out_dir.rglob("*") if p.is_file()}
    assert {".html", ".pdf", ".xlsx", ".ipynb"} <= kinds


# ---------------------------------------------------------------------------------------------
# (b) tiny cohorts with a record-level file


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("tiny") / "data"
    synthesise(data, areas=3, quarters=4, offenders_per_quarter=20, seed=3, record_level=True)
    return data


@pytest.fixture(scope="module", params=ENGINES)
def tiny(tmp_path_factory, tiny_data, request):
    result = shared_build(tmp_path_factory, "tiny", tiny_data, engine=request.param, areas=TINY_AREAS,
                          as_of=TINY_AS_OF, formats=("html", "pdf"), jobs=2)
    _with_workbooks(result, [r.area_id for r in result.areas if r.ok])
    return result


def test_tiny_dataset_is_mostly_small_and_has_records(tiny_data):
    small = sensitive(tiny_data)
    assert (tiny_data / "offenders.parquet").is_file()
    assert len(small) >= 6  # most cohorts are below the threshold
    assert ("synthetic-area-001", "2019-Q1") not in small  # some are not


def test_tiny_build_succeeds(tiny):
    assert tiny.ok, [(r.area_id, r.error) for r in tiny.reports if not r.ok]


def test_tiny_build_publishes_no_small_count(tiny, tiny_data):
    leaks = scan_build(tiny.out_dir, sensitive(tiny_data))
    assert [leak for leak in leaks if leak.kind != "cohort size in text"] == []


def test_tiny_build_states_no_small_cohort_size(tiny, tiny_data):
    # The summary once quoted "from a cohort of N" for an NI 18 cohort of 1-9 people.
    leaks = scan_build(tiny.out_dir, sensitive(tiny_data))
    assert [leak for leak in leaks if leak.kind == "cohort size in text"] == []


def test_suppressed_rows_show_c_in_every_format(tiny, tiny_data):
    """Rule 1 is not vacuous: the sensitive rows are found, marked, in HTML, PDF and XLSX."""
    small = sensitive(tiny_data)
    area = "synthetic-area-003"
    tables, _ = html_tables_and_text((tiny.out_dir / area / f"{area}.html").read_text(encoding="utf-8"))
    rates = [t for t in tables if {"Cohort", "Reoffenders"} <= set(t.headers)]
    assert rates and all(row[t.headers.index("Reoffenders")] == MARKER
                         for t in rates for row in t.rows if (area, row[0]) in small)
    workbook, _ = xlsx_tables(tiny.out_dir / area / area_workbook_name(area))
    rates = [t for t in workbook if "Reoffenders" in t.headers and "Cohort" in t.headers]
    assert rates and rates[0].rows
    assert all(row[rates[0].headers.index("Reoffenders")] == MARKER for row in rates[0].rows)
    text = pdf_text(tiny.out_dir / area / f"{area}.pdf")
    assert re.search(r"^2019-Q1 \S+ \[c\] \[c\]", text, re.MULTILINE)


def test_no_record_level_data_in_the_build_folder(tiny):
    names = {p.name for p in tiny.out_dir.rglob("*")}
    assert not [n for n in names if n.endswith((".parquet", ".csv"))]


# ---------------------------------------------------------------------------------------------
# The scanners catch leaks


def test_scanner_catches_a_count_planted_in_html(tiny, tiny_data, tmp_path):
    small = sensitive(tiny_data)
    area = "synthetic-area-003"
    copy = tmp_path / "out"
    shutil.copytree(tiny.out_dir / area, copy / area)
    page = copy / area / f"{area}.html"
    source = page.read_text(encoding="utf-8")
    assert scan_build(copy, small) == []
    planted = re.sub(r">\s*\[c\]\s*<", ">7<", source, count=1)
    assert planted != source
    page.write_text(planted, encoding="utf-8")
    kinds = {leak.kind for leak in scan_build(copy, small)}
    assert {"small count", "unsuppressed"} <= kinds


def test_scanner_catches_a_count_planted_in_a_workbook(tiny, tiny_data, tmp_path):
    small = sensitive(tiny_data)
    area = "synthetic-area-003"
    source = tiny.out_dir / area / area_workbook_name(area)
    wb = openpyxl.load_workbook(source)
    ws = wb["Reoffending_rates"]
    ref = next(iter(ws.tables.values())).ref
    rows = list(ws[ref])
    column = [c.value for c in rows[0]].index("Reoffenders")
    rows[1][column].value = 6
    (tmp_path / area).mkdir()
    wb.save(tmp_path / area / source.name)
    leaks = scan_build(tmp_path, small)
    assert {leak.kind for leak in leaks} == {"small count", "unsuppressed"}


def test_scanner_catches_a_count_planted_in_pdf_text(tiny, tiny_data):
    small = sensitive(tiny_data)
    area = "synthetic-area-003"
    text = pdf_text(tiny.out_dir / area / f"{area}.pdf")
    assert scan_pdf_text("x.pdf", text, area, small) == []
    planted = re.sub(r"^(2019-Q1 \S+) \[c\]", r"\1 6", text, count=1, flags=re.MULTILINE)
    assert planted != text
    assert {leak.kind for leak in scan_pdf_text("x.pdf", planted, area, small)} == {
        "small count", "unsuppressed"}


def test_scanner_catches_record_level_rows_and_stated_sizes():
    rows = "<table><tr><th>area_id</th><th>reoffended</th><th>age_band</th></tr>" + "".join(
        f"<tr><td>a</td><td>{i % 2}</td><td>{b}</td></tr>" for i, b in enumerate(AGE_BANDS)) + "</table>"
    tables, text = html_tables_and_text(rows)
    assert [leak.detail for leak in scan_tables("x.html", tables, "a", {})] == ["reoffended", "age_band"]
    kinds = {leak.kind for leak in scan_text("x.html", text)}
    assert kinds == {"record-level column", "record-level values"}
    assert scan_text("x", "more people reoffended than predicted") == []
    assert scan_text("x", "from a cohort of 4 predicted") != []
    assert scan_text("x", "from a cohort of 1,204 predicted") == []
