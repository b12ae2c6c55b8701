"""Load an analyst's folder of CSVs or Excel workbook, check every contract rule, type the tables."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from . import contract
from .contract import TABLES, Table, to_int, to_number
from .dates import EARLIEST, LATEST, parse_due
from .frameworks import available, canonical_rating
from .inspection_rules import check_rated, check_scores, criterion_code
from .organisations import near_duplicates, normalise
from .pathways import resolve_pathways
from .periods import period_bounds
from .problems import Problem
from .reading import Raw as _Raw
from .reading import cell_of as _get
from .reading import read_source

log = logging.getLogger(__name__)

@dataclass
class Dataset:
    """The validated, typed tables of one data folder, with every problem found in it."""

    source: Path
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    rows_read: dict[str, int] = field(default_factory=dict)
    rows_rejected: dict[str, set[int]] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    records: Path | None = None  # record-level offenders file, kept out of `tables` on purpose

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def has(self, name: str) -> bool:
        return name in self.tables and not self.tables[name].empty

    def table(self, name: str) -> pd.DataFrame:
        """A loaded table, or an empty one with the contract's columns when it was not given."""
        if name in self.tables:
            return self.tables[name]
        columns = [c.name for c in TABLES[name].columns] + ["source_row"]
        # Derived columns too (a milestone's due_date, a score's rating), so analyses of a
        # dataset without this file see the same columns as with an empty one.
        return _derive(name, pd.DataFrame(columns=columns), self.tables)


class DataInvalid(Exception):
    """The data break the contract, so nothing is analysed or built; `problems` lists every error."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        shown = "\n".join(str(p) for p in self.problems[:20])
        more = f"\n... and {len(self.problems) - 20} more" if len(self.problems) > 20 else ""
        super().__init__(f"{len(self.problems)} problems in the data:\n{shown}{more}")


# ---------------------------------------------------------------------------------------------
# Reading numbers and dates as the analyst meant them


_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+\s*%?")
_AMBIGUOUS_COMMA = re.compile(r"[+-]?\d{1,3},\d{3}\s*%?")


def _decimal_commas(raw: _Raw, table: Table, problems: list[Problem]) -> None:
    """In a ';'-separated file read "3,5" as 3.5, with a warning naming the cell.

    A file separated by ';' comes from a locale whose decimal point is a comma. One comma
    before exactly three digits ("1,234") is 1.234 there and 1234 in Britain, so it is refused
    rather than guessed.
    """
    for col in (c for c in table.columns if c.numeric and c.name in raw.frame):
        for row, value in raw.frame[col.name].dropna().items():
            text = value.strip()
            if _DECIMAL_COMMA.fullmatch(text) is None:
                continue
            if _AMBIGUOUS_COMMA.fullmatch(text):
                problems.append(Problem(raw.file, row, col.name, value, "ambiguous-comma",
                                        "in a file separated by ';' a comma may be a decimal "
                                        "point (1,234 = 1.234) or a thousands separator (1,234 "
                                        "= 1234): write 1234 or 1.234", table=raw.name))
                continue
            read = text.replace(",", ".")
            raw.frame.at[row, col.name] = read
            problems.append(Problem(raw.file, row, col.name, value, "decimal-comma",
                                    f"read as {read} (a decimal comma, in a file separated by "
                                    "';')", severity="warning", table=raw.name))


def _dates_out_of_range(raw: _Raw, table: Table, problems: list[Problem]) -> None:
    """An optional ISO date before 1990 or after 2100 (9999-12-31) is read as blank, warned."""
    for col in (c for c in table.columns if c.optional_date and c.name in raw.frame):
        for row, value in raw.frame[col.name].dropna().items():
            if contract.date_in_range(value):
                continue
            raw.frame.at[row, col.name] = None
            problems.append(Problem(raw.file, row, col.name, value, "date-range",
                                    f"outside {EARLIEST.isoformat()} to {LATEST.isoformat()}: "
                                    f"read as blank ({col.description})", severity="warning",
                                    table=raw.name))


def _read_as_meant(raw: _Raw, table: Table, problems: list[Problem]) -> None:
    if raw.decimal_comma:
        _decimal_commas(raw, table, problems)
    _dates_out_of_range(raw, table, problems)


# ---------------------------------------------------------------------------------------------
# Checking rules


def _schema_problems(raw: _Raw, table: Table) -> list[Problem]:
    try:
        contract.schema(table).validate(raw.frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        return _from_failure_cases(raw, table, exc.failure_cases)
    return []


def _from_failure_cases(raw: _Raw, table: Table, cases: pd.DataFrame) -> list[Problem]:
    found = []
    for case in cases.itertuples(index=False):
        check = str(case.check)
        row = None if pd.isna(case.index) else int(case.index)
        column = "" if case.column is None or pd.isna(case.column) else str(case.column)
        value = "" if case.failure_case is None or pd.isna(case.failure_case) else str(
            case.failure_case)
        if check == "column_in_dataframe":
            rule, message, column, row = "required-column", "the file has no such column", value, 1
        elif check == "not_nullable":
            rule, message = "required", "a value is required"
        elif check == "field_uniqueness":
            rule, message = "unique", "another row has the same value"
        elif check == "multiple_fields_uniqueness":
            column = "+".join(table.key)
            value = " / ".join(str(raw.frame.at[row, c]) for c in table.key) if row else value
            rule, message = "unique", f"another row has the same {', '.join(table.key)}"
        elif ": " in check:
            rule, message = check.split(": ", 1)
            message = _explained(table, column, rule, value) or message
        else:
            rule, message = check, check
        found.append(Problem(raw.file, row, column, value, rule, message, table=raw.name))
    return found


def _explained(table: Table, column: str, rule: str, value: str) -> str | None:
    """The column's rule's own reason for this value (contract.Rule.explain), if it has one."""
    if column not in {c.name for c in table.columns}:
        return None
    return next((r.explain(value) for r in table.column(column).rules
                 if r.rule == rule and callable(r.explain)), None)


def _ids(raws: dict[str, _Raw], table: str, column: str) -> set[str]:
    if table not in raws or column not in raws[table].frame:
        return set()
    return set(raws[table].frame[column].dropna())


def _check_exists(raws, problems, table, column, target, target_column, *, many=False):
    if table not in raws or column not in raws[table].frame:
        return
    raw = raws[table]
    known = _ids(raws, target, target_column)
    for row, value in raw.frame[column].dropna().items():
        values = [v.strip() for v in value.split(";") if v.strip()] if many else [value]
        for v in values:
            if v not in known:
                problems.append(Problem(raw.file, row, column, v, "exists",
                                        f"no row of {target} has {target_column} {v!r}",
                                        table=table))


def _check_cycles(raw: _Raw, problems: list[Problem]) -> None:
    frame = raw.frame
    if "parent_id" not in frame or "area_id" not in frame:
        return
    parent = dict(zip(frame["area_id"], frame["parent_id"], strict=False))
    for row, area in frame["area_id"].dropna().items():
        seen, current = {area}, parent.get(area)
        while current is not None and not pd.isna(current):
            if current in seen:
                problems.append(Problem(raw.file, row, "parent_id", str(parent.get(area)),
                                        "no-cycle", f"following parent_id from {area!r} leads "
                                        "back to an area already passed", table="areas"))
                break
            seen.add(current)
            current = parent.get(current)


def _number(value: object) -> float | None:
    if value is None or pd.isna(value):
        return None
    try:
        return to_number(str(value))
    except ValueError:
        return None


def _decimals(text: str) -> int:
    text = text.replace(",", "").rstrip("%").rstrip()
    return len(text.split(".", 1)[1]) if "." in text else 0


def _check_reoffending(raw: _Raw, problems: list[Problem], today: date) -> None:
    def add(row, column, value, rule, message):
        problems.append(Problem(raw.file, row, column, str(value), rule, message,
                                table="reoffending"))

    for row, rec in raw.frame.iterrows():
        n, r = _number(_get(rec, "offenders")), _number(_get(rec, "reoffenders"))
        rate, pred = _number(_get(rec, "rate")), _number(_get(rec, "predicted_rate"))
        reoffences, serious = _number(_get(rec, "reoffences")), _number(_get(rec, "serious_reoffences"))
        if n is not None and r is not None and r > n:
            add(row, "reoffenders", rec["reoffenders"], "reoffenders-within-offenders",
                f"reoffenders ({r:g}) exceed offenders ({n:g})")
        if r is not None and reoffences is not None and reoffences < r:
            add(row, "reoffences", rec["reoffences"], "reoffences-cover-reoffenders",
                f"reoffences ({reoffences:g}) are fewer than reoffenders ({r:g})")
        if serious is not None and reoffences is not None and serious > reoffences:
            add(row, "serious_reoffences", rec["serious_reoffences"], "serious-within-reoffences",
                f"serious re-offences ({serious:g}) exceed reoffences ({reoffences:g})")
        if n and r is not None and rate is not None and r <= n:
            places = _decimals(str(rec["rate"]))
            computed = round(100 * r / n, places)
            if abs(computed - rate) > 0.5 * 10 ** -places + 1e-9:
                add(row, "rate", rec["rate"], "rate-agrees",
                    f"rate {rate:g} disagrees with {r:g}/{n:g} = {computed:.{places}f}%")
        if n is None and r is None and rate is None and pred is None and reoffences is None:
            add(row, "offenders", "", "has-figures",
                "the row has no counts, no rate and no predicted rate")
        cohort = _get(rec, "cohort")
        if cohort and contract.COHORT_RULE.check(cohort):  # else the cohort rule has said why
            start, _ = period_bounds(cohort)
            if start > today:
                add(row, "cohort", cohort, "no-future-cohort",
                    f"the cohort starts on {start.isoformat()}, after today ({today.isoformat()})")


def _check_plans(raw: _Raw, problems: list[Problem]) -> None:
    frame = raw.frame
    if "starts" not in frame or "ends" not in frame:
        return
    for row, rec in frame.iterrows():
        if contract._is_date(_get(rec, "starts") or "") and contract._is_date(
            _get(rec, "ends") or ""
        ):
            if rec["ends"] < rec["starts"]:
                problems.append(Problem(raw.file, row, "ends", rec["ends"], "ends-after-starts",
                                        f"the plan ends before it starts ({rec['starts']})",
                                        table="plans"))


def _lineage(parent: dict, area: object) -> set[str]:
    """The area and every area above it (following parent_id), cycles cut."""
    seen: set[str] = set()
    while isinstance(area, str) and area not in seen:
        seen.add(area)
        area = parent.get(area)
    return seen


def _check_recommendations(raws: dict[str, _Raw], problems: list[Problem]) -> None:
    """Numbers unique per inspection, due not before publication, strands of a related area."""
    if "recommendations" not in raws:
        return
    raw = raws["recommendations"]
    insp = raws["inspections"].frame if "inspections" in raws else pd.DataFrame()
    published = dict(zip(insp.get("inspection_id", []), insp.get("published", []), strict=False))
    inspected = dict(zip(insp.get("inspection_id", []), insp.get("area_id", []), strict=False))
    plan_area = ({} if "plans" not in raws else
                 dict(zip(raws["plans"].frame.get("plan_id", []), raws["plans"].frame.get("area_id", []),
                          strict=False)))
    strand_area = ({} if "strands" not in raws else
                   {s: plan_area.get(p) for s, p in zip(raws["strands"].frame.get("strand_id", []),
                                                        raws["strands"].frame.get("plan_id", []),
                                                        strict=False)})
    areas = raws["areas"].frame if "areas" in raws else pd.DataFrame()
    parent = dict(zip(areas.get("area_id", []), areas.get("parent_id", []), strict=False))
    seen: dict[tuple[str, str], int] = {}
    for row, rec in raw.frame.iterrows():
        inspection, number = _get(rec, "inspection_id"), _get(rec, "number")
        if inspection is not None and number is not None:
            key = (inspection, number.strip())
            if key in seen:
                problems.append(Problem(raw.file, row, "number", number, "unique-number",
                                        f"recommendation {number.strip()} of {inspection} is "
                                        f"already on row {seen[key]}", table="recommendations"))
            else:
                seen[key] = row
        due, when = _get(rec, "due"), published.get(inspection)
        if (due is not None and isinstance(when, str) and contract._is_date(due)
                and contract._is_date(when) and due.strip() < when.strip()):
            problems.append(Problem(raw.file, row, "due", due, "due-after-published",
                                    f"due before {inspection} was published ({when})",
                                    table="recommendations"))
        area = inspected.get(inspection)
        related = _lineage(parent, area)
        for strand in (s.strip() for s in (_get(rec, "addressed_by") or "").split(";")):
            owner = strand_area.get(strand)
            if not strand or owner is None or not isinstance(area, str):
                continue  # unknown strands and inspections are reported by the exists rule
            if owner not in related and area not in _lineage(parent, owner):
                problems.append(Problem(raw.file, row, "addressed_by", strand, "other-area",
                                        f"strand {strand} is in a plan of {owner}, but {inspection} "
                                        f"inspected {area}", severity="warning",
                                        table="recommendations"))


def _check_frameworks(raws: dict[str, _Raw], problems: list[Problem]) -> None:
    if "inspections" not in raws or "framework" not in raws["inspections"].frame:
        return
    raw = raws["inspections"]
    for row, value in raw.frame["framework"].dropna().items():
        if value not in available():
            problems.append(Problem(raw.file, row, "framework", value, "known-framework",
                                    "the workbook ships no such framework; it knows: "
                                    + ", ".join(available()), table="inspections"))


def _check_aliases(raw: _Raw, problems: list[Problem]) -> None:
    """One canonical name per spelling and kind, spellings compared as organisations.normalise."""
    frame = raw.frame
    if not {"kind", "spelling", "canonical"} <= set(frame):
        return
    first: dict[tuple[str, str], tuple[int, str]] = {}
    for row, rec in frame.iterrows():
        kind, spelling, canonical = (_get(rec, c) for c in ("kind", "spelling", "canonical"))
        if kind is None or spelling is None or canonical is None:
            continue  # the column rules report it
        key = (kind.strip().lower(), normalise(spelling))
        if key not in first:
            first[key] = (row, canonical.strip())
        elif normalise(first[key][1]) != normalise(canonical):
            earlier, name = first[key]
            problems.append(Problem(raw.file, row, "canonical", canonical, "one-canonical",
                                    f"{spelling!r} is already mapped to {name!r} (row {earlier}); "
                                    "a spelling maps to one canonical name", table="aliases"))


def _cross_table(raws: dict[str, _Raw], problems: list[Problem], today: date) -> None:
    if "areas" in raws:
        _check_exists(raws, problems, "areas", "parent_id", "areas", "area_id")
        _check_cycles(raws["areas"], problems)
    for table in ("plans", "inspections", "indicators", "reoffending", "glossary", "commentary"):
        _check_exists(raws, problems, table, "area_id", "areas", "area_id")
    _check_exists(raws, problems, "strands", "plan_id", "plans", "plan_id")
    _check_exists(raws, problems, "milestones", "strand_id", "strands", "strand_id")
    _check_exists(raws, problems, "progress", "strand_id", "strands", "strand_id")
    _check_exists(raws, problems, "inspection_scores", "inspection_id", "inspections",
                  "inspection_id")
    _check_exists(raws, problems, "recommendations", "inspection_id", "inspections",
                  "inspection_id")
    _check_exists(raws, problems, "recommendations", "addressed_by", "strands", "strand_id",
                  many=True)
    if "plans" in raws:
        _check_plans(raws["plans"], problems)
    _check_recommendations(raws, problems)
    _check_frameworks(raws, problems)
    check_scores(raws, problems)
    check_rated(raws, problems)
    if "reoffending" in raws:
        _check_reoffending(raws["reoffending"], problems, today)
    if "aliases" in raws:
        _check_aliases(raws["aliases"], problems)


def _near_duplicates(raws: dict[str, _Raw], problems: list[Problem]) -> None:
    """Warn of lead and partner names that look like one organisation but resolve to two."""
    raw = raws["strands"]
    columns = [c for c in ("lead", "partners") if c in raw.frame]
    if not columns:
        return
    cells = pd.concat([raw.frame[c].rename(c) for c in columns], keys=columns)
    aliases = raws["aliases"].frame if "aliases" in raws else None
    for found in near_duplicates(cells, aliases).itertuples(index=False):
        column, row = found.index
        problems.append(Problem(
            raw.file, row, column, found.spelling, "near-duplicate",
            f"{found.spelling!r} looks like {found.other_spelling!r} ({found.reason}) but is "
            f"counted as another organisation; add an aliases row if they are one",
            severity="warning", table="strands"))


def _warnings(raws: dict[str, _Raw], problems: list[Problem]) -> None:
    if "strands" in raws and "lead" in raws["strands"].frame:
        raw = raws["strands"]
        for row, rec in raw.frame.iterrows():
            if _get(rec, "lead") is None:
                problems.append(Problem(raw.file, row, "lead", "", "no-lead",
                                        f"strand {_get(rec, 'strand_id')} has no lead",
                                        severity="warning", table="strands"))
    elif "strands" in raws:
        raw = raws["strands"]
        problems.append(Problem(raw.file, 1, "lead", "", "no-lead",
                                "no strand has a lead (the file has no lead column)",
                                severity="warning", table="strands"))
    if "strands" in raws:
        _near_duplicates(raws, problems)
    if "milestones" in raws and "due" in raws["milestones"].frame:
        raw = raws["milestones"]
        for row, text in raw.frame["due"].items():
            due = parse_due(text)
            if due.on is not None:
                continue
            why = ("no readable due date" if due.outside is None else
                   f"the due date {due.outside.isoformat()} is outside {EARLIEST.year}-{LATEST.year}")
            problems.append(Problem(raw.file, row, "due", text or "", "undated",
                                    f"{why}: shown as 'no date' and counted against the SMART "
                                    "score", severity="warning", table="milestones"))


# ---------------------------------------------------------------------------------------------
# Typing the tables


def _integer(value: object) -> int | None:
    # Exactly, not through a float: 2**63 - 1 as a float is 2**63, which wraps to -2**63.
    return None if value is None or pd.isna(value) else to_int(str(value))


def _typed_column(series: pd.Series, col: contract.Col) -> pd.Series:
    rules = {r.rule for r in col.rules}
    if rules & {"integer", "non-negative", "positive"}:
        return pd.Series(pd.array(series.map(_integer).tolist(), dtype="Int64"), index=series.index)
    if rules & {"number", "percentage"}:
        return series.map(_number).astype("float64")
    if "iso-date" in rules:
        return pd.to_datetime(series, format="%Y-%m-%d")
    if "one-of" in rules:
        series = series.map(lambda v: v.strip().lower() if isinstance(v, str) else v)
    return series.astype("str").where(series.notna())


def _typed(raw: _Raw, table: Table) -> pd.DataFrame:
    """The table's columns typed, extra columns as text, source_row first.

    Columns are typed apart and joined once: setting them one by one on the frame split pandas'
    block of text columns each time, which made loading quadratic in the number of columns.
    """
    frame = raw.frame
    blank = pd.Series(None, index=frame.index, dtype=object)
    typed = {col.name: _typed_column(frame[col.name] if col.name in frame else blank, col)
             for col in table.columns}
    extra = [c for c in frame.columns if c not in typed]
    # One constructor call for every extra column (blanks stay missing): twice as fast as astype.
    text = pd.DataFrame(frame[extra].to_numpy(), columns=extra, index=frame.index, dtype="str")
    typed_in_file = pd.DataFrame({c: typed[c] for c in frame.columns if c in typed}, index=frame.index)
    missing = pd.DataFrame({c: s for c, s in typed.items() if c not in frame.columns}, index=frame.index)
    source_row = pd.DataFrame({"source_row": frame.index.to_numpy()}, index=frame.index)
    joined = pd.concat([source_row, text, typed_in_file, missing], axis=1)
    # The file's column order, then the contract's columns the file left out.
    order = ["source_row", *frame.columns, *missing.columns]
    return joined[order].reset_index(drop=True)


def _derive(name: str, frame: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    frame = frame.copy()
    if name == "strands":
        codes = frame["pathway"].map(lambda v: resolve_pathways(v)[0])
        frame["pathway_text"] = frame["pathway"]
        frame["pathway"] = codes.map(lambda c: c[0])
        frame["pathways"] = codes.map(";".join)
    elif name == "milestones":
        due = frame["due"].map(lambda v: parse_due(v if isinstance(v, str) else None))
        frame["due_date"] = pd.to_datetime(due.map(lambda d: d.on))
        frame["due_precision"] = due.map(lambda d: d.precision)
    elif name == "inspection_scores":
        frame["criterion"] = frame["criterion"].map(criterion_code)
        frame["rating"] = frame["value"].map(
            lambda v: canonical_rating(v) if isinstance(v, str) else None)
        frame["score"] = frame["value"].map(
            lambda v: _number(v) if isinstance(v, str) and canonical_rating(v) is None else None
        ).astype("float64")
    return frame


def load_dataset(source: str | Path, *, today: date | None = None) -> Dataset:
    """Read, check and type every table in a data folder or workbook.

    Every rule of the data contract (analysis/contract.py, docs/data.md) is checked and every
    problem collected, not just the first. Rows with an error are left out of the typed tables
    and named in ``problems``, so rows read = rows loaded + rows named in errors.
    """
    source = Path(source)
    # Future cohorts are judged against the real date, not a report's as-of date: a report as
    # of 2005 may still be built from a dataset that also holds 2008 cohorts.
    today = today or contract.today()
    dataset = Dataset(source)
    problems: list[Problem] = []
    read = read_source(source, problems)
    raws = {raw.name: raw for raw in read.raws}
    for name in contract.REQUIRED_TABLES:
        if name not in raws and not any(p.table == name for p in problems):
            problems.append(Problem(f"{name}.csv", None, "", "", "required-table",
                                    f"the {name} table is required", table=name))
    for name, raw in raws.items():
        _read_as_meant(raw, TABLES[name], problems)
        problems.extend(_schema_problems(raw, TABLES[name]))
    _cross_table(raws, problems, today)
    _warnings(raws, problems)
    for name in TABLES:
        if name not in raws:
            continue
        raw = raws[name]
        bad_rows = {p.row for p in problems
                    if p.severity == "error" and p.table == name and p.row not in (None, 1)}
        whole_file_bad = any(p.severity == "error" and p.table == name and p.row in (None, 1)
                             and p.rule in ("required-column", "header") for p in problems)
        dataset.rows_read[name] = len(raw.frame)
        dataset.files[name] = raw.file
        if whole_file_bad:
            dataset.rows_rejected[name] = set(raw.frame.index)
            continue
        dataset.rows_rejected[name] = bad_rows & set(raw.frame.index)
        kept = _Raw(name, raw.file, raw.frame.loc[~raw.frame.index.isin(bad_rows)])
        dataset.tables[name] = _derive(name, _typed(kept, TABLES[name]), dataset.tables)
    records = read.records
    if records is not None:
        from .records import check_records

        dataset.records = records
        problems.extend(check_records(records, _ids(raws, "areas", "area_id"), today))
    dataset.problems = sorted(problems, key=lambda p: (p.file, p.row or 0, p.column, p.rule))
    log.info("loaded %s: %d tables, %d errors, %d warnings", source, len(dataset.tables),
             len(dataset.errors), len(dataset.warnings))
    return dataset
