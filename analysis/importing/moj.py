"""`workbook import moj-reoffending`: MoJ proven reoffending figures into reoffending.csv, sources named."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..loader import load_dataset
from ..moj import FLAGS, MojShapeError, read_moj
from .csvfile import (
    CsvTable,
    Merge,
    merge_rows,
    read_table,
    render,
    table_file,
    validate_as_written,
    write_tables,
)
from .geography import area_type_of, match_geographies

__all__ = ["MEASURES", "MojImport", "import_moj", "moj_rows"]

log = logging.getLogger(__name__)

PUBLISHER = "Ministry of Justice"
MEASURES = {"adult": "adult-proven-1yr", "juvenile": "juvenile-proven-1yr", "all": "proven-1yr"}
"""The reoffending measure each ``Adult / Juvenile`` value is kept as: adults and juveniles apart."""
_AGES = {"adult": "adult", "adults": "adult", "juvenile": "juvenile", "juveniles": "juvenile",
         "youth": "juvenile", "young people": "juvenile", "all": "all", "total": "all",
         "adult and juvenile": "all", "adults and juveniles": "all", "all offenders": "all"}
_KEY = ("area_id", "measure", "cohort")
_FIGURES = ("offenders", "reoffenders", "reoffences")
_WRITTEN = (*_FIGURES, "cohort_as_printed", "flags_as_printed")


@dataclass
class MojImport:
    """What an import found and did; ``written`` is False when nothing was changed on disk."""

    file: str
    geographies: pd.DataFrame
    merge: Merge | None = None
    not_taken: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    written: bool = False


def _age(value: object, where: str) -> str:
    text = " ".join(str(value or "").casefold().replace("/", " and ").split())
    if text in _AGES:
        return _AGES[text]
    raise MojShapeError(f"{where}, column adult_juvenile: {value!r} is not Adult, Juvenile or a total "
                        f"of both (one of {', '.join(sorted(_AGES))})")


def _flags(text: object) -> str:
    if text is None or text is pd.NA:
        return ""
    return "; ".join(f"{part} ({FLAGS[part.split(': ')[1]]})" for part in str(text).split("; "))


def moj_rows(table: pd.DataFrame, matches: pd.DataFrame, *, title: str, published: str,
             origins: dict[tuple[str, ...], str] | None = None) -> tuple[list[dict[str, str]], list[str]]:
    """The reoffending rows an MoJ table gives (as text), and the printed rows not taken, each with why.

    Taken: the aggregate rows ("total" in Category: "UTLA total", "National total") of matched
    geographies, one measure per Adult / Juvenile value (`MEASURES`). A key the file gives twice
    with the same figures is one row; with different figures neither is taken. A row whose every
    count is a flag has no figure the contract can hold and is not taken. ``origins``, when
    given, is filled with the printed row each taken key came from ("tool.xlsx[Data] row 7").
    """
    matched = matches[matches["status"] == "matched"]
    where = dict(zip(matched["geography"], matched["area_id"], strict=True))
    taken: dict[tuple[str, str, str], dict[str, str]] = {}
    printed_at: dict[tuple[str, str, str], list[int]] = {}
    not_taken, clashing = [], set()
    for rec in table.itertuples(index=False):
        category = "" if pd.isna(rec.category) else str(rec.category)
        if "total" not in category.casefold():
            continue
        area_id = where.get(rec.geography)
        if area_id is None:
            continue  # listed with the geographies
        measure = MEASURES[_age(rec.adult_juvenile, f"{rec.file} row {rec.row}")]
        counts = {c: "" if pd.isna(getattr(rec, c)) else str(int(getattr(rec, c))) for c in _FIGURES}
        if not any(counts.values()):
            not_taken.append(f"{rec.file} row {rec.row} ({rec.geography}, {rec.cohort_as_printed}): "
                             f"no count to take, only flags ({_flags(rec.flags)})")
            continue
        key = (area_id, measure, str(rec.cohort))
        row = {"area_id": area_id, "cohort": str(rec.cohort), "measure": measure, **counts,
               "cohort_as_printed": str(rec.cohort_as_printed), "flags_as_printed": _flags(rec.flags),
               "source_publisher": PUBLISHER, "source_title": title, "source_date": published}
        printed_at.setdefault(key, []).append(int(rec.row))
        if key in taken and any(taken[key][c] != row[c] for c in _FIGURES):
            clashing.add(key)
        taken.setdefault(key, row)
    for key in sorted(clashing):
        rows = ", ".join(map(str, printed_at[key]))
        not_taken.append(f"{table['file'].iat[0]} rows {rows}: different figures for {' / '.join(key)}; "
                         "neither is taken")
    if origins is not None:
        origins.update({k: f"{table['file'].iat[0]} row {rows[0]}" for k, rows in printed_at.items()})
    return [r for k, r in taken.items() if k not in clashing], not_taken


def _check(areas: Path, table: CsvTable, merge: Merge, origins: dict[tuple[str, ...], str]) -> list[str]:
    """Contract problems in the rows the import adds or changes, checked before anything is written:
    the merged table is validated beside the areas table (csvfile.validate_as_written), and each
    problem names the imported file's row it came from."""
    dataset = validate_as_written({"areas.csv": areas.read_bytes(),
                                   "reoffending.csv": render(table, merge.header, merge.rows)})
    changed = {i + 2: merge.rows[i] for i in merge.changed}
    found = []
    for p in dataset.errors:
        if p.table != "reoffending" or not (p.row in changed or p.row is None):
            continue
        row = changed.get(p.row)
        came = origins.get(tuple((row.get(k) or "").strip() for k in _KEY), "") if row else ""
        found.append(f"{came or table.path.name}: {p.column} {p.value!r}: {p.rule}: {p.message}")
    return found


def _areas(into: Path) -> Path:
    """The folder's areas file (the one the loader reads as areas); every import is matched against it."""
    path = table_file(into, "areas")  # only read here: the loader's reading of it is the one that counts
    if not path.is_file():
        raise MojShapeError(f"{into} has no areas.csv: import into a data folder that names its areas")
    return path


def import_moj(path: str | Path, into: str | Path, *, replace: bool = False, title: str | None = None,
               published: str = "", geography: str = "England and Wales") -> MojImport:
    """Read an MoJ proven reoffending table and merge its rows into ``into``/reoffending.csv.

    The file's geographies are matched to the folder's areas (`geography.match_geographies`); a
    file without a Geography column (the CSV bundle) is ``geography``'s. Rows already in the
    table are never silently replaced (`csvfile.merge_rows`; ``replace`` takes the imported
    figures). Nothing is written when the merged rows would break the data contract, or when
    there is nothing new. Raises MojShapeError for a file of any other shape, or a folder whose
    areas table has errors; csvfile.TableShapeError for a reoffending.csv it cannot rewrite.
    """
    path, into = Path(path), Path(into)
    areas_file = _areas(into)
    table = read_moj(path)
    if table.empty:
        raise MojShapeError(f"{path.name}: the header is there but no row follows it")
    table["geography"] = table["geography"].fillna(geography)
    dataset = load_dataset(into)
    bad = [p for p in dataset.errors if p.table == "areas"]
    if bad:
        shown = "; ".join(f"row {p.row}, {p.column or 'file'}: {p.message}" for p in bad[:3])
        raise MojShapeError(f"{areas_file.name} has {len(bad)} problem(s) ({shown}): the import matches "
                            "geographies to its areas, so fix it first (`workbook validate` lists them)")
    totals = table[table["category"].fillna("").str.casefold().str.contains("total")]
    kinds = {g: k for g, c in zip(totals["geography"], totals["category"], strict=True)
             if (k := area_type_of(c))}
    matches = match_geographies(table["geography"], dataset.table("areas"), dataset.table("aliases"), kinds)
    matches = matches.merge(table.groupby("geography").size().rename("rows").reset_index(), on="geography")
    title = title or f"Proven reoffending statistics ({path.name})"
    origins: dict[tuple[str, ...], str] = {}
    new, not_taken = moj_rows(table, matches, title=title, published=published, origins=origins)
    result = MojImport(path.name, matches, not_taken=not_taken)
    existing = read_table(into, "reoffending")
    merge = merge_rows(existing.header, existing.rows, new, key=_KEY, compared=_FIGURES,
                       clear_on_replace=("rate",), replace=replace)
    result.merge = merge
    if not merge.changed:
        return result
    result.problems = _check(areas_file, existing, merge, origins)
    if result.problems:
        return result
    write_tables([(existing, merge.header, merge.rows)])
    result.written = True
    log.info("imported %d rows from %s into %s", merge.added + len(merge.replaced), path.name, into)
    return result
