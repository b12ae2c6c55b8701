"""An attacker for the published reoffending figures: read every published file, recover what is withheld.

Written from the disclosure specification, not from the implementation: published figures must never
let anyone recover a count of 1 to threshold - 1 people. The attacker

1. reads published files into one common form, a list of `Observation`s (area, measure, cohort,
   quantity, and a value or withheld): the export CSVs, the XLSX workbooks, the tables (and a few
   sentences and chart descriptions) of the HTML reports and the text of the PDF reports;
2. combines them into what it knows about each (cell, quantity), as an interval: a count is an
   integer, a printed rate is known to half a unit of its last printed decimal;
3. tries every relation until nothing new follows:
   (a) a parent's count minus its children's (parent_id), (b) an annual, financial-year or other
   multi-quarter cohort minus its quarters -- both only where the input data say the total IS the
   sum of its parts (a parent figure from another source is not a sum and is not attacked), for
   offenders, reoffenders, non-reoffenders, re-offences and serious re-offences; chains of these
   and any linear combination of them (exact Gaussian elimination);
   (c) rate x offenders; (d) expected reoffenders / predicted rate, NI 18 target reoffenders /
   target rate, frequency x offenders, severity x offenders, re-offences per reoffender x
   reoffenders, and each of these the other way round; rate = predicted + difference, NI 18
   target rate = predicted x (1 + change %), the one-sample z statistic; (e) offenders minus
   reoffenders;
4. reports a `Leak` for every published count of 1..t-1, every count it recovers (exactly, or to
   a range that lies inside 1..t-1) that was not published, and every residual -- a sum of
   several unknown counts that is worked out to be 1..t-1.

Values are recovered by interval arithmetic, so a rate printed to one decimal gives a count only
when the rounding leaves a single integer (the specification's "rounded to the nearest integer when
within 0.05 of it"). `unsound` checks every recovery against the input data: an attacker that
"recovers" a wrong value is a broken attacker, not a finding.
"""

from __future__ import annotations

import csv
import functools
import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from html.parser import HTMLParser
from itertools import product
from pathlib import Path

import openpyxl
import pandas as pd
from pypdf import PdfReader

from analysis.charts.words import measure_name
from analysis.labels import measure_label

MARKER = "[c]"  # GSS shorthand: withheld to protect confidentiality
MISSING_TEXT = {"", "\u2013", "\u2014", "-", "[x]", "[z]", "nan", "none", "<na>"}

# Counts of people (and of offences) that must not be recovered when 1..t-1.
COUNTS = ("offenders", "reoffenders", "non_reoffenders", "reoffences", "serious_reoffences")
# Counts that a file can publish directly (non-reoffenders is only ever implied).
PUBLISHED_COUNTS = ("offenders", "reoffenders", "reoffences", "serious_reoffences")
# Quantities a published file may hold that are counts, so a printed value is exact.
INTEGER_QUANTITIES = frozenset(COUNTS) | {"target_reoffenders"}

COHORT = re.compile(r"\d{4}-Q[1-4]|\d{4}/\d{2}|\d{4}")
_QUARTER = re.compile(r"^(\d{4})-[Qq]([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")
_FINANCIAL = re.compile(r"^(\d{4})/(\d{2})$")


# ---------------------------------------------------------------------------------------------
# Cells, periods and labels


@dataclass(frozen=True, order=True)
class Cell:
    """One row of a reoffending table: an area's cohort of one measure."""

    area: str
    measure: str
    cohort: str

    def __str__(self) -> str:
        return f"{self.area}/{self.measure}/{self.cohort}"


Var = tuple[Cell, str]


def describe(var: Var) -> str:
    return f"{var[0]} {var[1]}"


def months(label: str) -> tuple[int, int] | None:
    """(first, last) month of a cohort label, counted from year 0; None if it is not one.

    YYYY-Qn a calendar quarter, YYYY a calendar year, YYYY/YY a financial year April to March.
    """
    text = str(label).strip()
    if m := _QUARTER.match(text):
        first = int(m.group(1)) * 12 + 3 * (int(m.group(2)) - 1)
        return first, first + 2
    if m := _YEAR.match(text):
        return int(m.group(1)) * 12, int(m.group(1)) * 12 + 11
    if m := _FINANCIAL.match(text):
        year = int(m.group(1))
        if int(m.group(2)) != (year + 1) % 100:
            return None
        return year * 12 + 3, year * 12 + 14
    return None


def is_quarter(label: str) -> bool:
    return bool(_QUARTER.match(str(label).strip()))


def key(label: object) -> str:
    """A label reduced to lower-case letters and digits: 'Tiny Town', 'tiny-town' -> 'tinytown'."""
    return re.sub(r"[^a-z0-9]", "", str(label).lower())


def _norm_column(name: object) -> str:
    return re.sub(r"[\s-]+", "_", str(name).strip().lower())


# ---------------------------------------------------------------------------------------------
# The truth: what the input data say, and which totals are sums


@dataclass(frozen=True)
class Equation:
    """sum(coefficient x variable) = constant, with a label saying which relation it is."""

    terms: tuple[tuple[Var, int], ...]
    const: int
    label: str


@dataclass
class Truth:
    """The input data: counts per cell, the area tree, names. Only the test knows it."""

    values: dict[Cell, dict[str, float]]
    parents: dict[str, str]
    names: dict[str, str]
    # A cohort as its source prints it ("1st 4 cohorts (baseline)"): (area, label) -> cohort.
    printed: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def measures(self) -> set[str]:
        return {c.measure for c in self.values}

    def value(self, var: Var) -> float | None:
        return self.values.get(var[0], {}).get(var[1])

    def relations(self) -> list[Equation]:
        """Every total that IS the sum of its parts in the data: parents and multi-quarter cohorts."""
        out: list[Equation] = []
        children: dict[str, list[str]] = defaultdict(list)
        for child, parent in self.parents.items():
            children[parent].append(child)
        for cell in sorted(self.values):
            parts = [Cell(c, cell.measure, cell.cohort) for c in sorted(children.get(cell.area, []))]
            parts = [p for p in parts if p in self.values]
            if parts:
                out += self._sums(cell, parts, "parent minus its children")
            span = months(cell.cohort)
            if span is None or is_quarter(cell.cohort):
                continue
            quarters = [c for c in self.values if c.area == cell.area and c.measure == cell.measure
                        and is_quarter(c.cohort) and span[0] <= months(c.cohort)[0] <= span[1]]
            if quarters:
                out += self._sums(cell, sorted(quarters), "cohort minus its quarters")
        return out

    def _sums(self, total: Cell, parts: list[Cell], label: str) -> list[Equation]:
        found = []
        for q in COUNTS:
            whole = self.values[total].get(q)
            pieces = [self.values[p].get(q) for p in parts]
            if whole is None or any(v is None for v in pieces) or whole != sum(pieces):
                continue  # not a sum of these parts (e.g. another source): never attacked
            terms = ((total, q), 1), *(((p, q), -1) for p in parts)
            found.append(Equation(tuple(terms), 0, label))
        return found

    def equations(self) -> list[Equation]:
        """The sum relations, and offenders = reoffenders + non-reoffenders in every cell."""
        partitions = [Equation((((c, "offenders"), 1), ((c, "reoffenders"), -1),
                                ((c, "non_reoffenders"), -1)), 0, "offenders minus reoffenders")
                      for c in sorted(self.values)]
        return self.relations() + partitions


def _read_table(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    return frame.rename(columns={c: _norm_column(c) for c in frame.columns})


def _number(text: object) -> float | None:
    try:
        value = float(str(text).strip())
    except ValueError:
        return None
    return None if math.isnan(value) else value


def load_truth(data_dir: Path) -> Truth:
    """Counts per (area, measure, cohort) from reoffending.csv and any record-level offenders file."""
    areas = _read_table(data_dir / "areas.csv")
    parent_ids = areas["parent_id"] if "parent_id" in areas else [""] * len(areas)
    parents = {a.strip(): p.strip() for a, p in zip(areas["area_id"], parent_ids, strict=True) if p.strip()}
    names = {a.strip(): n.strip() for a, n in zip(areas["area_id"], areas["name"], strict=True)}
    values: dict[Cell, dict[str, float]] = {}
    printed: dict[tuple[str, str], str] = {}
    if (data_dir / "reoffending.csv").exists():
        table = _read_table(data_dir / "reoffending.csv")
        for row in table.to_dict("records"):
            cell = Cell(row["area_id"].strip(), row["measure"].strip(), row["cohort"].strip())
            if str(row.get("cohort_as_printed") or "").strip():
                printed[(cell.area, " ".join(str(row["cohort_as_printed"]).split()))] = cell.cohort
            found = {q: _number(row.get(q, "")) for q in ("offenders", "reoffenders", "reoffences",
                                                           "serious_reoffences", "predicted_rate")}
            values[cell] = {q: v for q, v in found.items() if v is not None}
    records = None
    if (data_dir / "offenders.parquet").exists():
        records = pd.read_parquet(data_dir / "offenders.parquet")
    elif (data_dir / "offenders.csv").exists():
        records = pd.read_csv(data_dir / "offenders.csv")
    if records is not None:
        records = records.rename(columns={c: _norm_column(c) for c in records.columns})
        for (area, cohort, measure), group in records.groupby(["area_id", "cohort", "measure"]):
            cell = Cell(str(area), str(measure), str(cohort))
            if cell in values:
                continue  # the aggregate table's row stands; the records only add cohorts
            found = {"offenders": float(len(group)), "reoffenders": float(group["reoffended"].sum()),
                     "reoffences": float(group["reoffences"].sum()),
                     "predicted_rate": float(group["predicted"].mean() * 100)}
            if "serious" in group:
                found["serious_reoffences"] = float(group["serious"].sum())
            values[cell] = found
    for found in values.values():
        if "offenders" in found and "reoffenders" in found:
            found["non_reoffenders"] = found["offenders"] - found["reoffenders"]
    return Truth(values, parents, names, printed)


# ---------------------------------------------------------------------------------------------
# Observations: what one published file shows


@dataclass(frozen=True)
class Observation:
    """One published figure. status: 'value', 'withheld' ([c], or listed as suppressed) or 'blank'."""

    cell: Cell
    quantity: str
    status: str
    value: float | None
    half: float  # the value is known to +/- half (0 for an exact count)
    text: str
    file: str
    where: str
    table: str = ""

    def source(self) -> str:
        return f"{self.file} {self.where}".strip()


def parse_figure(raw: object, quantity: str) -> tuple[str, float | None, float]:
    """(status, value, half-width) of a published cell's text or number."""
    if raw is None:
        return "blank", None, 0.0
    if isinstance(raw, bool):
        return "blank", None, 0.0
    if isinstance(raw, int | float):
        if isinstance(raw, float) and math.isnan(raw):
            return "blank", None, 0.0
        text = repr(raw) if isinstance(raw, float) else str(raw)
    else:
        text = " ".join(str(raw).split())
    if text == MARKER or text.lower() == MARKER:
        return "withheld", None, 0.0
    if text.lower() in MISSING_TEXT:
        return "blank", None, 0.0
    cleaned = text.replace("\u2212", "-").replace(",", "").replace("%", "").strip()
    cleaned = cleaned.removeprefix("+")
    if not re.fullmatch(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?", cleaned):
        return "blank", None, 0.0
    value = float(cleaned)
    decimals = len(cleaned.split(".")[1].split("e")[0].split("E")[0]) if "." in cleaned else 0
    if quantity in INTEGER_QUANTITIES and value == round(value):
        return "value", value, 0.0
    half = 0.5 * 10.0 ** (-decimals)
    return "value", value, half


class Context:
    """Resolves the labels published files use (area names, measure labels) to the data's cells."""

    def __init__(self, truth: Truth) -> None:
        self.truth = truth
        seen: dict[str, set[str]] = defaultdict(set)
        for area_id, name in truth.names.items():
            seen[key(area_id)].add(area_id)
            seen[key(name)].add(area_id)
        self._areas = {k: next(iter(v)) for k, v in seen.items() if len(v) == 1}
        # A measure as published: its code, or the words reports use for it (issue 12: tables
        # and charts name measures in words, never by code).
        self._measures = {k: m for m in truth.measures
                          for k in (key(m), key(measure_label(m)), key(measure_name(m)))}
        self._cells: dict[tuple[str, str], list[str]] = defaultdict(list)
        for cell in truth.values:
            self._cells[(cell.area, cell.cohort)].append(cell.measure)
        self._printed = {(area, key(label)): cohort for (area, label), cohort in truth.printed.items()}
        self.unresolved: list[str] = []

    def area(self, label: object) -> str | None:
        return self._areas.get(key(label)) if label is not None else None

    def measure(self, label: object) -> str | None:
        return self._measures.get(key(label)) if label else None

    def measure_in(self, text: str) -> str | None:
        """A measure named at the end of a subtitle ('Tiny, adult proven 1yr'); its name may
        itself hold a comma ('Derby: NI 18, adult reoffending under probation supervision')."""
        parts = re.split(r",\s*|:\s+", text)
        for n in range(len(parts) - 1, -1, -1):
            if (found := self.measure(", ".join(parts[n:]))) is not None:
                return found
        return None

    def printed_cohorts(self) -> dict[str, str]:
        """Printed cohort labels that stand for one cohort in every area: label -> cohort."""
        seen: dict[str, set[str]] = defaultdict(set)
        for (_, label), cohort in self.truth.printed.items():
            if months(label) is None:
                seen[label].add(cohort)
        return {label: next(iter(v)) for label, v in seen.items() if len(v) == 1}

    def cell(self, area: str | None, cohort: object, measure: str | None = None,
             predicted: tuple[float, float] | None = None, where: str = "") -> Cell | None:
        """The data's cell for a published row; None (and noted) when it cannot be told."""
        cohort = str(cohort).strip() if cohort is not None else ""
        if area is not None and months(cohort) is None:  # a cohort as its source printed it
            cohort = self._printed.get((area, key(cohort)), cohort)
        if area is None or months(cohort) is None:
            return None
        candidates = sorted(self._cells.get((area, cohort), []))
        if measure is not None:
            return Cell(area, measure, cohort) if measure in candidates else None
        if len(candidates) == 1:
            return Cell(area, candidates[0], cohort)
        if predicted is not None:
            value, half = predicted
            fits = [m for m in candidates
                    if abs(self.truth.values[Cell(area, m, cohort)].get("predicted_rate", math.inf) - value)
                    <= half + 1e-9]
            if len(fits) == 1:
                return Cell(area, fits[0], cohort)
        if candidates:
            self.unresolved.append(f"{where}: {area} {cohort} could be {', '.join(candidates)}")
        return None


def _observation(cell: Cell, quantity: str, raw: object, file: str, where: str, table: str,
                 listed: bool = False) -> Observation:
    status, value, half = parse_figure(raw, quantity)
    if status == "blank" and listed:
        status = "withheld"
    text = MARKER if status == "withheld" and raw in (None, "") else str(raw)
    return Observation(cell, quantity, status, value, half, text, file, where, table)


# ---------------------------------------------------------------------------------------------
# Export CSVs

# Which column of which exported file is which quantity (the export's public interface, plus
# the columns it passes through). Files not named here are read by their column names alone.
_CSV_COMMON = {"offenders": "offenders", "reoffenders": "reoffenders", "reoffences": "reoffences",
               "serious_reoffences": "serious_reoffences", "rate": "rate", "predicted_rate": "predicted_rate",
               "expected_reoffenders": "expected_reoffenders", "frequency": "frequency",
               "severity": "severity", "reoffences_per_reoffender": "reoffences_per_reoffender"}
CSV_COLUMNS: dict[str, dict[str, str]] = {
    "reoffending_rates": {**_CSV_COMMON, "published_rate": "rate", "difference": "difference",
                          "difference_pct": "difference_pct", "z": "z_binomial"},
    "ni18_targets": {"offenders": "offenders", "expected_reoffenders": "expected_reoffenders",
                     "predicted_rate": "predicted_rate", "target_reoffenders": "target_reoffenders",
                     "target_rate": "target_rate", "change_pct": "change_pct",
                     "published_expected_reoffenders": "published_expected"},
    "funnel": {"offenders": "offenders", "reoffenders": "reoffenders", "rate": "rate"},
    "reoffending_trend": {"offenders": "offenders", "reoffenders": "reoffenders", "rate": "rate",
                          "predicted_rate": "predicted_rate", "difference": "difference"},
    "spc": {"rate": "rate"},
}
_BINOMIAL_TEST = "n*p*(1-p)"  # the z statistic is (O - E)/sqrt(n p (1 - p)) only under this method


def read_csv(path: Path, ctx: Context, name: str | None = None) -> list[Observation]:
    """Observations of one export CSV; a blank cell is withheld when its `suppressed` column says so."""
    name = name or path.name
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    if not rows or not {"area_id"} <= set(rows[0]):
        return []
    columns = set(rows[0])
    out: list[Observation] = []
    for n, row in enumerate(rows, start=2):
        listed = set(filter(None, (row.get("suppressed") or "").split(";")))
        wanted: list[tuple[str | None, str, str]] = []
        if path.stem == "ni30_progress":
            wanted = [(row.get("baseline_cohort"), "offenders", "offenders"),
                      (row.get("baseline_cohort"), "baseline_reoffences", "reoffences"),
                      (row.get("latest_cohort"), "latest_reoffences", "reoffences")]
        elif "cohort" in columns:
            for column, quantity in CSV_COLUMNS.get(path.stem, _CSV_COMMON).items():
                if quantity == "z_binomial" and _BINOMIAL_TEST not in (row.get("test_method") or ""):
                    continue
                wanted.append((row["cohort"], column, quantity))
            if path.stem == "reoffending_trend":
                wanted.append((row.get("baseline_cohort"), "baseline_rate", "rate"))
        for cohort, column, quantity in wanted:
            if cohort is None or column not in row or months(cohort) is None:
                continue
            cell = Cell(row["area_id"].strip(), (row.get("measure") or "").strip(), cohort.strip())
            raw = row[column]
            # A blank is withheld where the file's `suppressed` column lists it; a file without that
            # column cannot say, and its blanks count as withheld (they are unknown either way).
            withheld = column in listed if "suppressed" in columns else raw.strip() == ""
            out.append(_observation(cell, quantity, raw, name, f"row {n} {column}", path.stem, withheld))
    return out


# ---------------------------------------------------------------------------------------------
# Tables with headings in words (XLSX, HTML, PDF)

HEADINGS = {
    "offenders": "offenders", "reoffenders": "reoffenders", "rate (%)": "rate",
    "predicted rate (%)": "predicted_rate", "actual minus predicted (points)": "difference",
    "re-offences": "reoffences", "re-offences per 100 offenders": "frequency",
    "serious re-offences": "serious_reoffences", "expected reoffenders": "expected_reoffenders",
    "published expected": "published_expected", "published expected reoffenders": "published_expected",
    "target reoffenders": "target_reoffenders", "target rate (%)": "target_rate",
    # The NI 18 table as the plan prints it (issue 13): re-offenders, the rate needed to meet it.
    "expected re-offenders": "expected_reoffenders", "target re-offenders": "target_reoffenders",
    "rate needed (%)": "target_rate",
    # Frequency and severity, beside the rates (issue 13).
    "re-offences per re-offender": "reoffences_per_reoffender",
    "serious re-offences per 100 offenders": "severity",
}
NI30_HEADINGS = {"offenders": ("baseline cohort", "offenders"),
                 "baseline re-offences": ("baseline cohort", "reoffences"),
                 "latest re-offences": ("latest cohort", "reoffences")}


# The NI 30 table's short headings (explained in its note), read as the longer ones they stand for.
_SHORT_HEADINGS = {"baseline": "baseline cohort", "ppos": "offenders"}


def heading(text: object) -> str:
    """A column heading, normalised: lower case, single spaces, no note references."""
    text = re.sub(r"\[note \d+\]", "", str(text or ""))
    text = re.sub(r"-\s+", "-", " ".join(text.split())).strip().lower()
    return _SHORT_HEADINGS.get(text, text)


def table_observations(headers: Sequence[str], rows: Iterable[tuple[str | None, Sequence[object]]], *,
                       ctx: Context, file: str, table: str, area: str | None,
                       measure_hint: str | None = None) -> list[Observation]:
    """Observations of a table with headings in words; each row is (group heading or None, cells)."""
    heads = [heading(h) for h in headers]
    col = {h: i for i, h in enumerate(heads)}
    ni30 = "baseline cohort" in col
    cohort_col = "baseline cohort" if ni30 else "cohort"
    if cohort_col not in col:
        return []
    mapped = {h: q for h, q in HEADINGS.items() if h in col}
    if "target rate (%)" in col and "change needed (%)" in col:
        mapped["change needed (%)"] = "change_pct"
    if "rate needed (%)" in col and "change (%)" in col:
        mapped["change (%)"] = "change_pct"
    if ni30:
        mapped = {}
    if not mapped and not ni30:
        return []
    out: list[Observation] = []
    for n, (group, cells) in enumerate(rows, start=1):
        if len(cells) != len(heads):
            continue
        where = f"{table} row {n}"
        if "area id" in col:
            row_area = ctx.area(cells[col["area id"]])
        elif "area" in col:
            row_area = ctx.area(cells[col["area"]])
        else:
            row_area = area
        measure = None
        if "measure" in col:
            measure = ctx.measure(cells[col["measure"]])
        elif group:
            measure = ctx.measure(group)
        elif measure_hint:
            measure = measure_hint
        predicted = None
        if "predicted rate (%)" in col:
            status, value, half = parse_figure(cells[col["predicted rate (%)"]], "predicted_rate")
            predicted = (value, half) if status == "value" else None
        cohort = cells[col[cohort_col]]
        if ni30 and measure is None:
            measure = "ni30" if "ni30" in ctx.truth.measures and row_area is not None and \
                Cell(row_area, "ni30", str(cohort).strip()) in ctx.truth.values else None
        cell = ctx.cell(row_area, cohort, measure, predicted, where=f"{file} {where}")
        if cell is None:
            continue
        for head, quantity in mapped.items():
            out.append(_observation(cell, quantity, cells[col[head]], file, f"{where} {head}", table))
        if ni30:
            for head, (which, quantity) in NI30_HEADINGS.items():
                if head not in col or which not in col:
                    continue
                target = ctx.cell(row_area, cells[col[which]], cell.measure)
                if target is not None:
                    out.append(_observation(target, quantity, cells[col[head]], file, f"{where} {head}",
                                            table))
    return out


def _stamp(path: Path) -> tuple[str, int, int]:
    """A file's identity for caching: a changed or copied file is read afresh."""
    stat = path.stat()
    return str(path.resolve()), stat.st_mtime_ns, stat.st_size


@functools.lru_cache(maxsize=512)
def _workbook(stamp: tuple[str, int, int]) -> tuple[list[tuple[str, list[list[object]]]], str]:
    """(sheet title, rows of each table) and every cell's text of an XLSX file, read once."""
    wb = openpyxl.load_workbook(stamp[0])
    tables = [(ws.title, [[c.value for c in row] for row in ws[table.ref]])
              for ws in wb.worksheets for table in ws.tables.values()]
    text = "\n".join(str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row
                     if c.value is not None)
    return tables, text


def read_workbook(path: Path, ctx: Context, area: str | None, name: str | None = None) -> list[Observation]:
    """Every table on every sheet of an XLSX workbook ([c] cells are withheld)."""
    name = name or path.name
    out: list[Observation] = []
    for title, rows in _workbook(_stamp(path))[0]:
        if rows:
            out += table_observations([str(h) for h in rows[0]], [(None, r) for r in rows[1:]], ctx=ctx,
                                      file=name, table=title, area=area)
    return out


def workbook_text(path: Path) -> str:
    return _workbook(_stamp(path))[1]


# ---------------------------------------------------------------------------------------------
# HTML


@dataclass
class HtmlTable:
    title: str = ""
    subtitle: str = ""
    headers: list[str] = field(default_factory=list)
    rows: list[tuple[str | None, list[str]]] = field(default_factory=list)


class _Html(HTMLParser):
    """Tables (title, subtitle, column headings, row groups, rows) and all text, alt text included."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[HtmlTable] = []
        self.text: list[str] = []
        self.alts: list[str] = []
        self._stack: list[HtmlTable] = []
        self._row: list[tuple[str, dict[str, str]]] | None = None
        self._cell: list[str] | None = None
        self._attrs: dict[str, str] = {}
        self._group: str | None = None
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag in ("style", "script"):
            self._skip += 1
        for attribute in ("alt", "aria-label", "title"):
            if found.get(attribute) and tag != "table":
                self.alts.append(found[attribute])
        if tag == "table":
            self._stack.append(HtmlTable())
            self._group = None
        elif tag == "tr" and self._stack:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell, self._attrs = [], found

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script") and self._skip:
            self._skip -= 1
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append((" ".join("".join(self._cell).split()), {**self._attrs, "tag": tag}))
            self._cell = None
        elif tag == "tr" and self._row is not None and self._stack:
            self._end_row(self._stack[-1], self._row)
            self._row = None
        elif tag == "table" and self._stack:
            self.tables.append(self._stack.pop())

    def _end_row(self, table: HtmlTable, row: list[tuple[str, dict[str, str]]]) -> None:
        classes = " ".join(a.get("class", "") for _, a in row)
        if "gt_title" in classes:
            table.title = row[0][0]
        elif "gt_subtitle" in classes:
            table.subtitle = row[0][0]
        elif len(row) == 1 and ("gt_group_heading" in classes or row[0][1].get("scope") == "colgroup"):
            self._group = row[0][0]
        elif all(a["tag"] == "th" for _, a in row) and not table.rows and len(row) > 1:
            table.headers = [t for t, _ in row]  # the last heading row wins (spanners come first)
        elif table.headers:
            table.rows.append((self._group, [t for t, _ in row]))

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def parse_html(source: str) -> _Html:
    parser = _Html()
    parser.feed(source)
    parser.close()
    return parser


def html_text(source: str) -> str:
    parsed = parse_html(source)
    return " ".join(" ".join(parsed.text + parsed.alts).split())


def read_html(path: Path, ctx: Context, area: str | None, name: str | None = None,
              source: str | None = None) -> list[Observation]:
    """The tables of an HTML report, and the figures its summary sentences and chart descriptions quote."""
    name = name or path.name
    parsed = parse_html(source if source is not None else path.read_text(encoding="utf-8"))
    out: list[Observation] = []
    for n, table in enumerate(parsed.tables, start=1):
        label = table.title or f"table {n}"
        out += table_observations(table.headers, table.rows, ctx=ctx, file=name, table=label, area=area,
                                  measure_hint=ctx.measure_in(table.subtitle) if table.subtitle else None)
        out += _glance(table, ctx, name, label)
    text = " ".join(" ".join(parsed.text).split())
    out += sentence_observations(text, ctx, name, area)
    for alt in parsed.alts:
        out += alt_observations(" ".join(alt.split()), ctx, name, area)
    return out


_GLANCE = re.compile(r"^(?P<rate>\d+(?:\.\d+)?)% against (?P<pred>\d+(?:\.\d+)?)% predicted "
                     r"\((?P<cohort>[^)]+)\)")


def _glance(table: HtmlTable, ctx: Context, file: str, label: str) -> list[Observation]:
    """An overview row's 'Reoffending' cell: '29.1% against 26.2% predicted (2015-Q4)'."""
    heads = [heading(h) for h in table.headers]
    if "reoffending" not in heads or "area" not in heads:
        return []
    out = []
    for n, (_, cells) in enumerate(table.rows, start=1):
        if len(cells) != len(heads):
            continue
        m = _GLANCE.match(cells[heads.index("reoffending")])
        if not m:
            continue
        predicted = parse_figure(m["pred"], "predicted_rate")
        cell = ctx.cell(ctx.area(cells[heads.index("area")]), m["cohort"], None, predicted[1:],
                        where=f"{file} {label} row {n}")
        if cell is not None:
            out.append(_observation(cell, "rate", m["rate"], file, f"{label} row {n} reoffending", label))
    return out


_SUMMARY_RATE = re.compile(r"Reoffending: (?P<rate>\d+(?:\.\d+)?)% \((?P<measure>[a-z0-9-]+), cohort "
                           r"(?P<cohort>\S+?)\)(?: against (?P<pred>\d+(?:\.\d+)?)% predicted)?")
_SUMMARY_NI18 = re.compile(r"NI 18 target: at most (?P<target>[\d,]+) re-offenders "
                           r"\((?P<trate>\d+(?:\.\d+)?)%\) from a cohort of (?P<n>[\d,]+) "
                           r"predicted at (?P<pred>\d+(?:\.\d+)?)%")


def sentence_observations(text: str, ctx: Context, file: str, area: str | None) -> list[Observation]:
    """Figures an area summary quotes in words (best effort: the summary's two reoffending sentences)."""
    out: list[Observation] = []
    for m in _SUMMARY_RATE.finditer(text):
        cell = ctx.cell(area, m["cohort"], ctx.measure(m["measure"]))
        if cell is not None:
            out.append(_observation(cell, "rate", m["rate"], file, "summary", "summary"))
            if m["pred"]:
                out.append(_observation(cell, "predicted_rate", m["pred"], file, "summary", "summary"))
    for m in _SUMMARY_NI18.finditer(text):
        predicted = parse_figure(m["pred"], "predicted_rate")
        candidates = [c for c, v in ctx.truth.values.items() if c.area == area
                      and abs(v.get("predicted_rate", math.inf) - predicted[1]) <= predicted[2] + 1e-9]
        if len(candidates) != 1:
            continue
        cell = candidates[0]
        for quantity, raw in (("target_reoffenders", m["target"]), ("target_rate", m["trate"]),
                              ("offenders", m["n"]), ("predicted_rate", m["pred"])):
            out.append(_observation(cell, quantity, raw, file, "summary NI 18 sentence", "summary"))
    return out


_ALT_FUNNEL = re.compile(r"Funnel plot of .*? (?P<measure>[a-z][a-z0-9 ]*?) reoffending rates for cohort "
                         r"(?P<cohort>\S+) against cohort size")
_ALT_FUNNEL_AREA = re.compile(r"(?:^|[.;] )(?P<area>[A-Z][^:.;]*?): (?P<rate>\d+(?:\.\d+)?)% of "
                              r"(?P<n>[\d,]+) offenders")
_ALT_TREND = re.compile(r"Line chart of the (?P<measure>[a-z][a-z0-9 ]*?) reoffending rate for "
                        r"(?P<area>[^,]+),")
_ALT_TREND_RATE = re.compile(r"(?P<rate>\d+(?:\.\d+)?)% in (?P<cohort>\d{4}(?:-Q[1-4]|/\d{2})?)\b")


def alt_observations(alt: str, ctx: Context, file: str, area: str | None) -> list[Observation]:
    """Figures a chart's description quotes (best effort: the funnel plot and the rate trend)."""
    out: list[Observation] = []
    if m := _ALT_FUNNEL.search(alt):
        measure = ctx.measure(m["measure"])
        for a in _ALT_FUNNEL_AREA.finditer(alt):
            cell = ctx.cell(ctx.area(a["area"]), m["cohort"], measure)
            if cell is not None:
                out.append(_observation(cell, "rate", a["rate"], file, "funnel chart description", "chart"))
                out.append(_observation(cell, "offenders", a["n"], file, "funnel chart description", "chart"))
    if m := _ALT_TREND.search(alt):
        measure = ctx.measure(m["measure"])
        rates = alt[m.end():].split("(95% interval")[0]
        for r in _ALT_TREND_RATE.finditer(rates.split("against")[0]):
            cell = ctx.cell(ctx.area(m["area"]) or area, r["cohort"], measure)
            if cell is not None:
                out.append(_observation(cell, "rate", r["rate"], file, "rate chart description", "chart"))
    return out


# ---------------------------------------------------------------------------------------------
# PDF text

PDF_HEADINGS = sorted(
    ["area id", "area", "measure", "cohort", "baseline cohort", "latest cohort", "offenders", "reoffenders",
     "rate (%)", "95% confidence interval", "predicted rate (%)", "actual minus predicted (points)",
     "significant (5%)", "against predicted", "expected reoffenders", "published expected",
     "target reoffenders",
     "target rate (%)", "change needed (%)", "baseline re-offences", "ceiling", "target",
     "latest re-offences", "change so far (%)", "status", "re-offences", "re-offences per 100 offenders",
     "serious re-offences", "baseline", "ppos", "months on scheme", "stretch target (%)",
     "ratio target", "agreed or calculated", "target change (%)", "expected re-offenders",
     "target re-offenders", "rate needed (%)", "change (%)", "re-offences per re-offender",
     "serious re-offences per 100 offenders"], key=len, reverse=True)
_PDF_HEADER_START = re.compile(r"^(?:Area |Measure )*(?:Cohort|Baseline)\b")
_FIGURE = re.compile(r"^(?:[-+\u2212]?[\d,]+(?:\.\d+)?|\[c\]|\u2013|\[x\])$")
_TEXT_COLUMNS = {"significant (5%)", "against predicted", "status"}


@functools.lru_cache(maxsize=512)
def _pdf_text(stamp: tuple[str, int, int]) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(stamp[0]).pages)


def pdf_text(path: Path) -> str:
    """The text of a PDF, page by page (pypdf), read once per file."""
    return _pdf_text(_stamp(path))


def _pdf_headings(text: str) -> list[str] | None:
    """Split a table's heading text into known column headings; None if a word is not one.

    Hyphens are ignored in the match: a narrow heading may be hyphenated where it wraps
    ("re-of-" / "fences"), and a hyphen the heading has may end a line ("re-" / "offenders").
    """
    text = heading(text).replace("-", "")
    found = []
    while text:
        for h in PDF_HEADINGS:
            bare = h.replace("-", "")
            if text.startswith(bare) and (len(text) == len(bare) or text[len(bare)] == " "):
                found.append(_SHORT_HEADINGS.get(h, h))
                text = text[len(bare):].strip()
                break
        else:
            return None
    return found


def _pdf_row(tokens: list[str], heads: list[str]) -> list[str] | None:
    """The cells of a PDF table row from its words, or None if the words do not fit the headings."""
    start = 0
    ni18 = "predicted rate (%)" in heads  # its Target column says agreed or calculated, in words
    first = heads.index("cohort") if "cohort" in heads else heads.index("baseline cohort")
    k = next((i for i, t in enumerate(tokens) if COHORT.fullmatch(t)), None)
    if k is None:
        return None
    if first == 0 and k != 0:
        return None
    cells = [" ".join(tokens[:k])] if first == 1 else []
    if first > 1:
        return None
    start = k
    for h in heads[first:]:
        if start >= len(tokens):
            return None
        if h in ("status", "against predicted") or (h == "target" and ni18):  # words, to the end
            cells.append(" ".join(tokens[start:]))
            start = len(tokens)
            continue
        if h == "95% confidence interval" and start + 2 < len(tokens) and tokens[start + 1] == "to":
            cells.append(" ".join(tokens[start:start + 3]))
            start += 3
            continue
        token = tokens[start]
        if h in ("cohort", "baseline cohort", "latest cohort"):
            if not (COHORT.fullmatch(token) or token == "\u2013"):
                return None
        elif h not in _TEXT_COLUMNS and not _FIGURE.match(token):
            return None
        cells.append(token)
        start += 1
    return cells if start == len(tokens) else None


def _join_hyphenated_areas(lines: list[str], ctx: Context) -> list[str]:
    """Lines with an area's name hyphenated over two ("Northampton-" / "shire") joined again."""
    out: list[str] = []
    for line in lines:
        if out and out[-1].endswith("-") and line:
            words, first = out[-1].split(), line.split()[0]
            if ctx.area(words[-1][:-1] + first) is not None:
                out[-1] = f"{out[-1][:-1]}{line}"
                continue
        out.append(line)
    return out


def _starts_row(tokens: list[str], heads: list[str], ctx: Context) -> bool:
    """Whether the words begin a table row: its cohort first, or an area's name then its cohort."""
    k = next((i for i, t in enumerate(tokens) if COHORT.fullmatch(t)), None)
    if k is None:
        return False
    return k == 0 if heads[0] in ("cohort", "baseline cohort") else \
        k > 0 and ctx.area(" ".join(tokens[:k])) is not None


def _pdf_wrapped_row(lines: list[str], i: int, heads: list[str], ctx: Context,
                     most: int = 8) -> tuple[list[str] | None, int]:
    """The cells of the row at line i, and how many lines it takes.

    A cell too long for its column wraps, and the text then holds the row's words over several
    lines in cell order ("... 2015-" / "Q3" / "[c] [c] Ceiling" / "target" / "met"). A row that
    does not fit the headings on its own line takes the lines after it, one at a time, until it
    fits; a line that ends in a hyphen joins the next without a space.
    """
    joined = lines[i]
    cells = _pdf_row(joined.split(), heads)
    # A row starts with its cohort, or its area and cohort, or its area alone (the area's
    # name wraps, so the cohort comes on the next line).
    alone = heads[0] in ("area", "area id") and ctx.area(joined) is not None
    if cells is not None or not (alone or _starts_row(joined.split(), heads, ctx)):
        return cells, 1
    for j in range(i + 1, min(i + most, len(lines))):
        nxt = lines[j]
        if nxt.startswith("Source:") or _PDF_HEADER_START.match(nxt) or \
                (ctx.measure(nxt) is not None and not COHORT.search(nxt)):
            break
        joined = joined + nxt if joined.endswith("-") else f"{joined} {nxt}"
        cells = _pdf_row(joined.split(), heads)
        if cells is not None:
            return cells, j - i + 1
    return None, 1


def _pdf_table_name(heads: list[str]) -> str:
    if "baseline cohort" in heads:
        return "PDF NI 30 progress"
    if {"target reoffenders", "target re-offenders", "target rate (%)", "rate needed (%)"} & set(heads):
        return "PDF NI 18 targets"
    return "PDF reoffending rates"


def pdf_observations(text: str, ctx: Context, file: str, area: str | None) -> list[Observation]:
    """Best effort: table rows of a PDF's text (a heading line, then rows starting with a cohort label)."""
    # A cohort printed in words is several words, perhaps over lines ("1st 4 cohorts" /
    # "(baseline)"); read it as the one cohort it stands for.
    for label, cohort in sorted(ctx.printed_cohorts().items(), key=lambda lc: -len(lc[0])):
        text = re.sub(r"\s+".join(map(re.escape, label.split())), cohort, text)
    lines = _join_hyphenated_areas([" ".join(line.split()) for line in text.splitlines()], ctx)
    out: list[Observation] = []
    heads: list[str] | None = None
    hint: str | None = None
    group: str | None = None
    rows: list[tuple[str | None, list[str]]] = []

    def flush() -> None:
        nonlocal rows
        if heads and rows:
            out.extend(table_observations(heads, rows, ctx=ctx, file=file, table=_pdf_table_name(heads),
                                          area=area, measure_hint=hint))
        rows = []

    i = 0
    while i < len(lines):
        line = lines[i]
        if _PDF_HEADER_START.match(line):
            flush()
            previous = lines[i - 1] if i else ""
            header, j = line, i + 1
            # A heading wraps over several lines; it ends where a row or a row group begins.
            while j < len(lines) and j < i + 40 and not COHORT.search(lines[j]) \
                    and ctx.measure(lines[j]) is None and not lines[j].startswith("Source:"):
                header, j = header + " " + lines[j], j + 1
            parsed = _pdf_headings(header)
            if parsed and {"offenders", "rate (%)", "latest re-offences"} & set(parsed):
                if parsed != heads:
                    group = None
                    hint = ctx.measure_in(previous)
                heads = parsed
            else:
                heads = None
            i = j
            continue
        if heads is None:
            i += 1
            continue
        if line.startswith("Source:"):
            flush()
            heads = None
            i += 1
            continue
        if ctx.measure(line) is not None and not COHORT.search(line):
            group = line
            i += 1
            continue
        cells, used = _pdf_wrapped_row(lines, i, heads, ctx)
        if cells is not None:
            rows.append((group, cells))
        i += used
    flush()
    out += sentence_observations(" ".join(lines), ctx, file, area)
    return out


# ---------------------------------------------------------------------------------------------
# A folder of published files


def report_area(path: Path, ctx: Context) -> str | None:
    """The area a report or workbook is about, from its file name (None: overview or index)."""
    stem = path.stem.removesuffix("-tables")
    return stem if stem in ctx.truth.names else None


def published_files(root: Path) -> list[Path]:
    kinds = (".csv", ".xlsx", ".html", ".pdf")
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in kinds
                  and not any(part.startswith(("_", ".")) for part in p.relative_to(root).parts))


def read_file(path: Path, ctx: Context, root: Path) -> list[Observation]:
    name = path.relative_to(root).as_posix()
    area = report_area(path, ctx)
    if path.suffix == ".csv":
        return read_csv(path, ctx, name)
    if path.suffix == ".xlsx":
        return read_workbook(path, ctx, area, name)
    if path.suffix == ".html":
        return read_html(path, ctx, area, name)
    if path.suffix == ".pdf":
        return pdf_observations(pdf_text(path), ctx, name, area)
    return []


def read_published(roots: Sequence[Path], ctx: Context) -> list[Observation]:
    """Every figure in every published file under the given folders."""
    out: list[Observation] = []
    for root in roots:
        for path in published_files(root):
            out += read_file(path, ctx, root)
    return out


def file_text(path: Path) -> str:
    """All the words a published file shows (for checking what its notes say)."""
    if path.suffix == ".csv":
        return path.read_text(encoding="utf-8-sig")
    if path.suffix == ".xlsx":
        return workbook_text(path)
    if path.suffix == ".html":
        return html_text(path.read_text(encoding="utf-8"))
    if path.suffix == ".pdf":
        return " ".join(pdf_text(path).split())
    return ""


# ---------------------------------------------------------------------------------------------
# What the attacker knows


@dataclass(frozen=True)
class Known:
    """A quantity known to lie in [lo, hi] (a count: integers lo..hi), and how it was found."""

    lo: float
    hi: float
    how: str
    files: frozenset[str]

    @property
    def exact(self) -> bool:
        return self.lo == self.hi

    def text(self) -> str:
        if self.exact:
            return f"{self.lo:g}"
        return f"{self.lo:g}..{self.hi:g}"


@dataclass(frozen=True)
class Leak:
    """A small count that a reader of the published files can see or work out."""

    kind: str  # "published", "recovered" (exactly), "narrowed" (to a range inside 1..t-1), "residual"
    relation: str
    target: str
    value: str
    files: tuple[str, ...]
    detail: str

    def __str__(self) -> str:
        return (f"{self.kind}: {self.target} = {self.value} by {self.relation} "
                f"[{files_text(self.files)}]: {self.detail}")


@dataclass
class Attack:
    leaks: list[Leak]
    known: dict[Var, Known]
    published: set[Var]
    residuals: list[tuple[tuple[Var, ...], int, str, frozenset[str]]]
    conflicts: list[str]
    observations: list[Observation]

    def recovered(self) -> dict[Var, Known]:
        """Counts the attacker worked out that no file published."""
        return {v: k for v, k in self.known.items() if v[1] in COUNTS and v not in self.published}


class Knowledge:
    def __init__(self) -> None:
        self.known: dict[Var, Known] = {}
        self.published: set[Var] = set()
        self.conflicts: list[str] = []

    def exact(self, var: Var) -> int | None:
        k = self.known.get(var)
        if k is None or not k.exact or var[1] not in INTEGER_QUANTITIES:
            return None
        return int(k.lo)

    def add(self, var: Var, lo: float, hi: float, how: str, files: Iterable[str]) -> bool:
        """Narrow what is known about var to [lo, hi]; True if that is new."""
        if var[1] in INTEGER_QUANTITIES:
            lo, hi = max(0, math.ceil(lo - 0.05)), math.floor(hi + 0.05)
        old = self.known.get(var)
        if old is not None:
            lo, hi = max(lo, old.lo), min(hi, old.hi)
            if lo > hi + 1e-9:
                self.conflicts.append(f"{describe(var)}: {how} disagrees with {old.how}")
                return False
            if lo <= old.lo + 1e-12 and hi >= old.hi - 1e-12:
                return False
        if lo > hi + 1e-9:
            self.conflicts.append(f"{describe(var)}: {how} gives no integer")
            return False
        self.known[var] = Known(lo, hi, how, frozenset(files) | (old.files if old else frozenset()))
        return True


def files_text(files: Iterable[str], limit: int = 3) -> str:
    """A few file names, then how many more ('a.csv, b.xlsx +4 more')."""
    names = sorted(files)
    more = f" +{len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def _show(var: Var, know: Knowledge) -> str:
    k = know.known[var]
    if k.how.startswith("published"):
        return f"{describe(var)} {k.text()} [{files_text(k.files)}]"
    return f"{describe(var)} {k.text()} (worked out by {k.how.split(':')[0]} from {files_text(k.files)})"


# Relations (c) and (d), each solved for each of its terms.
@dataclass(frozen=True)
class Derivation:
    name: str
    output: str
    inputs: tuple[str, ...]
    fn: Callable[..., float]
    positive: tuple[int, ...] = ()  # inputs that must be above 0 (denominators)
    percent: tuple[int, ...] = ()  # inputs that must be strictly between 0 and 100


def _z_reoffenders(n: float, p: float, z: float) -> float:
    q = p / 100
    return n * q + z * math.sqrt(n * q * (1 - q))


DERIVATIONS: tuple[Derivation, ...] = (
    Derivation("rate x offenders", "reoffenders", ("rate", "offenders"), lambda r, n: r * n / 100),
    Derivation("reoffenders / rate", "offenders", ("reoffenders", "rate"), lambda o, r: o * 100 / r, (1,)),
    Derivation("reoffenders / offenders", "rate", ("reoffenders", "offenders"),
               lambda o, n: o * 100 / n, (1,)),
    Derivation("expected reoffenders / predicted rate", "offenders",
               ("expected_reoffenders", "predicted_rate"), lambda e, p: e * 100 / p, (1,)),
    Derivation("predicted rate x offenders", "expected_reoffenders", ("predicted_rate", "offenders"),
               lambda p, n: p * n / 100),
    Derivation("expected reoffenders / offenders", "predicted_rate", ("expected_reoffenders", "offenders"),
               lambda e, n: e * 100 / n, (1,)),
    Derivation("published expected reoffenders / predicted rate", "offenders",
               ("published_expected", "predicted_rate"), lambda e, p: e * 100 / p, (1,)),
    Derivation("NI 18 target reoffenders / target rate", "offenders", ("target_reoffenders", "target_rate"),
               lambda t, r: t * 100 / r, (1,)),
    Derivation("NI 18 target rate x offenders", "target_reoffenders", ("target_rate", "offenders"),
               lambda r, n: r * n / 100),
    Derivation("frequency x offenders", "reoffences", ("frequency", "offenders"), lambda f, n: f * n / 100),
    Derivation("re-offences / frequency", "offenders", ("reoffences", "frequency"),
               lambda x, f: x * 100 / f, (1,)),
    Derivation("severity x offenders", "serious_reoffences", ("severity", "offenders"),
               lambda s, n: s * n / 100),
    Derivation("serious re-offences / severity", "offenders", ("serious_reoffences", "severity"),
               lambda x, s: x * 100 / s, (1,)),
    Derivation("re-offences per reoffender x reoffenders", "reoffences",
               ("reoffences_per_reoffender", "reoffenders"), lambda k, o: k * o),
    Derivation("re-offences / re-offences per reoffender", "reoffenders",
               ("reoffences", "reoffences_per_reoffender"), lambda x, k: x / k, (1,)),
    Derivation("predicted rate + difference", "rate", ("predicted_rate", "difference"), lambda p, d: p + d),
    Derivation("rate - difference", "predicted_rate", ("rate", "difference"), lambda r, d: r - d),
    Derivation("predicted rate x (1 + difference %)", "rate", ("predicted_rate", "difference_pct"),
               lambda p, d: p * (1 + d / 100)),
    Derivation("predicted rate x (1 + NI 18 change %)", "target_rate", ("predicted_rate", "change_pct"),
               lambda p, c: p * (1 + c / 100)),
    Derivation("expected + z x sqrt(n p (1 - p))", "reoffenders",
               ("offenders", "predicted_rate", "z_binomial"), _z_reoffenders, (0,), (1,)),
)


def _derive(know: Knowledge) -> bool:
    changed = False
    cells = {v[0] for v in know.known}
    for cell in sorted(cells):
        for d in DERIVATIONS:
            out_var = (cell, d.output)
            old = know.known.get(out_var)
            if old is not None and old.exact:
                continue
            ins = [know.known.get((cell, q)) for q in d.inputs]
            if any(k is None for k in ins):
                continue
            if any(ins[i].lo <= 0 for i in d.positive):
                continue
            if any(ins[i].lo <= 0 or ins[i].hi >= 100 for i in d.percent):
                continue
            values = [d.fn(*corner) for corner in product(*[(k.lo, k.hi) for k in ins])]
            how = f"{d.name}: " + "; ".join(_show((cell, q), know) for q in d.inputs)
            files = frozenset().union(*(k.files for k in ins))
            changed |= know.add(out_var, min(values), max(values), how, files)
    return changed


def _equation_text(eq: Equation, solved: Var, know: Knowledge) -> str:
    coef = dict(eq.terms)[solved]
    parts = []
    for var, c in eq.terms:
        if var == solved:
            continue
        sign = "-" if -c / coef < 0 else "+"
        parts.append(f"{sign} {_show(var, know)}")
    text = " ".join(parts).removeprefix("+ ")
    return f"{eq.label}: {text}"


def _propagate(equations: Sequence[Equation], know: Knowledge) -> bool:
    """Each relation with exactly one unknown count gives that count."""
    changed = False
    for eq in equations:
        unknown = [v for v, _ in eq.terms if know.exact(v) is None]
        if len(unknown) != 1:
            continue
        var = unknown[0]
        coef = dict(eq.terms)[var]
        rest = sum(c * know.exact(v) for v, c in eq.terms if v != var)
        numerator = eq.const - rest
        if numerator % coef:
            know.conflicts.append(f"{eq.label} for {describe(var)} gives {numerator}/{coef}")
            continue
        value = numerator // coef
        files = frozenset().union(*(know.known[v].files for v, _ in eq.terms if v != var))
        changed |= know.add(var, value, value, _equation_text(eq, var, know), files)
    return changed


@dataclass
class _Row:
    terms: dict[Var, Fraction]
    const: Fraction
    combo: dict[int, Fraction]


def _reduce(equations: Sequence[Equation], know: Knowledge) -> list[_Row]:
    """Exact Gaussian elimination over the unknown counts (reduced row echelon form)."""
    pivots: dict[Var, _Row] = {}
    for i, eq in enumerate(equations):
        terms: dict[Var, Fraction] = {}
        const = Fraction(eq.const)
        for var, c in eq.terms:
            x = know.exact(var)
            if x is None:
                terms[var] = terms.get(var, Fraction(0)) + c
            else:
                const -= c * x
        row = _Row({v: c for v, c in terms.items() if c}, const, {i: Fraction(1)})
        for var in [v for v in row.terms if v in pivots]:
            _subtract(row, pivots[var], row.terms[var])
        if not row.terms:
            continue
        pivot = min(row.terms)
        _scale(row, 1 / row.terms[pivot])
        for other in pivots.values():
            if pivot in other.terms:
                _subtract(other, row, other.terms[pivot])
        pivots[pivot] = row
    return list(pivots.values())


def _subtract_terms(terms: dict, other: dict, factor: Fraction) -> None:
    """terms -= factor * other, dropping the coefficients that become zero."""
    for v, c in other.items():
        value = terms.get(v, Fraction(0)) - factor * c
        if value:
            terms[v] = value
        else:
            terms.pop(v, None)


def _subtract(row: _Row, other: _Row, factor: Fraction) -> None:
    _subtract_terms(row.terms, other.terms, factor)
    row.const -= factor * other.const
    _subtract_terms(row.combo, other.combo, factor)


def _scale(row: _Row, factor: Fraction) -> None:
    row.terms = {v: c * factor for v, c in row.terms.items()}
    row.const *= factor
    row.combo = {i: c * factor for i, c in row.combo.items()}


def _combination_text(row: _Row, equations: Sequence[Equation]) -> str:
    used = []
    for i in sorted(row.combo):
        eq = equations[i]
        used.append(f"{eq.label} ({', '.join(describe(v) for v, _ in eq.terms)})")
    return f"a combination of {len(used)} relations: " + "; ".join(used)


def _row_files(row: _Row, equations: Sequence[Equation], know: Knowledge) -> frozenset[str]:
    files: set[str] = set()
    for i in row.combo:
        for var, _ in equations[i].terms:
            if var in know.known and know.exact(var) is not None:
                files |= know.known[var].files
    return frozenset(files)


def _solve(equations: Sequence[Equation], know: Knowledge) -> bool:
    changed = False
    for row in _reduce(equations, know):
        if len(row.terms) != 1:
            continue
        (var, coef), = row.terms.items()
        value = row.const / coef
        if value.denominator != 1:
            know.conflicts.append(f"{describe(var)}: linear combination gives {value}")
            continue
        how = _combination_text(row, equations)
        changed |= know.add(var, int(value), int(value), how, _row_files(row, equations, know))
    return changed


def _is_partition(variables: tuple[Var, ...]) -> bool:
    """reoffenders + non-reoffenders of one cell: that sum is its offenders, reported as such."""
    return len(variables) == 2 and variables[0][0] == variables[1][0] and \
        {q for _, q in variables} == {"reoffenders", "non_reoffenders"}


def _residuals(equations: Sequence[Equation], know: Knowledge
               ) -> list[tuple[tuple[Var, ...], int, str, frozenset[str]]]:
    """Sums of two or more unknown counts that the relations pin down (all coefficients alike)."""
    found: dict[tuple[Var, ...], tuple[tuple[Var, ...], int, str, frozenset[str]]] = {}
    for eq in equations:
        unknown = {v: c for v, c in eq.terms if know.exact(v) is None}
        if len(unknown) < 2 or len(set(unknown.values())) != 1:
            continue
        c = next(iter(unknown.values()))
        rest = sum(coef * know.exact(v) for v, coef in eq.terms if v not in unknown)
        value = Fraction(eq.const - rest, c)
        if value.denominator != 1:
            continue
        known_vars = [v for v, _ in eq.terms if v not in unknown]
        how = f"{eq.label}: " + "; ".join(_show(v, know) for v in known_vars)
        files = frozenset().union(*(know.known[v].files for v in known_vars)) if known_vars else frozenset()
        key_ = tuple(sorted(unknown))
        if _is_partition(key_):
            continue
        found.setdefault(key_, (key_, int(value), how, files))
    for row in _reduce(equations, know):
        if len(row.terms) < 2 or len(set(row.terms.values())) != 1:
            continue
        value = row.const / next(iter(row.terms.values()))
        if value.denominator != 1:
            continue
        key_ = tuple(sorted(row.terms))
        if _is_partition(key_):
            continue
        found.setdefault(key_, (key_, int(value), _combination_text(row, equations),
                                _row_files(row, equations, know)))
    return list(found.values())


def knowledge(observations: Iterable[Observation]) -> Knowledge:
    """What the published files show, combined: each figure narrowed by every file that prints it."""
    know = Knowledge()
    shown: dict[Var, list[Observation]] = defaultdict(list)
    for obs in observations:
        if obs.status == "value" and obs.value is not None:
            shown[(obs.cell, obs.quantity)].append(obs)
    for var, seen in shown.items():
        if var[1] in COUNTS:
            know.published.add(var)
        for obs in sorted(seen, key=lambda o: o.half):
            know.add(var, obs.value - obs.half, obs.value + obs.half,
                     f"published {obs.text} in {obs.source()}", {obs.file})
        k = know.known.get(var)
        if k is not None:  # every file that shows it, so a leak names them all
            know.known[var] = Known(k.lo, k.hi, k.how, frozenset(o.file for o in seen))
    return know


def attack(observations: Sequence[Observation], truth: Truth, threshold: int) -> Attack:
    """Try every relation on what the files publish; return every small count seen or worked out."""
    know = knowledge(observations)
    equations = truth.equations()
    for _ in range(100):
        changed = False
        for _ in range(100):
            if not _propagate(equations, know) | _derive(know):
                break
            changed = True
        if _solve(equations, know):
            changed = True
        if not changed:
            break
    small = range(1, threshold)
    leaks: list[Leak] = []
    for obs in observations:
        if obs.status == "value" and obs.quantity in PUBLISHED_COUNTS and obs.value in small:
            leaks.append(Leak("published", "a published count", f"{obs.cell} {obs.quantity}", obs.text,
                              (obs.file,), f"shown in {obs.source()}"))
    for var, k in sorted(know.known.items()):
        if var[1] not in COUNTS or var in know.published:
            continue
        if k.lo >= 1 and k.hi <= threshold - 1:
            relation = k.how.split(":")[0]
            leaks.append(Leak("recovered" if k.exact else "narrowed", relation, describe(var), k.text(),
                              tuple(sorted(k.files)), k.how))
    residuals = _residuals(equations, know)
    for variables, value, how, files in residuals:
        if value in small:
            leaks.append(Leak("residual", how.split(":")[0],
                              "sum of " + " + ".join(describe(v) for v in variables), str(value),
                              tuple(sorted(files)), how))
    return Attack(leaks, know.known, know.published, residuals, know.conflicts, list(observations))


def unsound(result: Attack, truth: Truth) -> list[str]:
    """Everything the attacker claims that the input data contradict (should be nothing)."""
    wrong = []
    for obs in result.observations:
        true = truth.value((obs.cell, obs.quantity))
        if obs.status == "value" and obs.quantity in COUNTS and true is not None and obs.value != true:
            wrong.append(f"{obs.source()}: {obs.cell} {obs.quantity} shows {obs.text}, the data say {true:g}")
    for var, k in result.recovered().items():
        true = truth.value(var)
        if true is not None and not k.lo <= true <= k.hi:
            wrong.append(f"{describe(var)} worked out as {k.text()}, the data say {true:g}: {k.how}")
    for variables, value, how, _ in result.residuals:
        values = [truth.value(v) for v in variables]
        if all(v is not None for v in values) and sum(values) != value:
            wrong.append(f"residual {' + '.join(map(describe, variables))} = {value}, "
                         f"the data say {sum(values):g}: {how}")
    return wrong


def summary(leaks: Sequence[Leak], limit: int = 40) -> str:
    """A failure message: how many leaks of each kind and relation, then the first `limit` of them."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for leak in leaks:
        counts[(leak.kind, leak.relation)] += 1
    head = [f"{len(leaks)} leaks:"] + [f"  {n} x {kind} by {relation}" for (kind, relation), n in
                                       sorted(counts.items(), key=lambda kv: -kv[1])]
    return "\n".join(head + [str(leak) for leak in leaks[:limit]]
                     + ([f"... and {len(leaks) - limit} more"] if len(leaks) > limit else []))
