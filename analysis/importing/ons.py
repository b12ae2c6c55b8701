"""`workbook import ons-geography`: an ONS council to partnership to police force lookup, into areas."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from ..contract import GSS_CODE, RESERVED
from ..published import table_rows
from .csvfile import CsvTable, Merge, merge_rows, read_table, render, validate_as_written, write_tables
from .geography import name_key

__all__ = ["LookupShapeError", "OnsImport", "UnknownParent", "import_ons_geography", "read_lookup"]

_COLUMN = re.compile(r"^(LAD|CSP|PFA)(\d{2})(CD|NM)$", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
POLICE_FORCE_AREA = "police force area"


class LookupShapeError(ValueError):
    """The file is not an ONS LAD to CSP to PFA lookup; the message says what was expected."""


class UnknownParent(LookupShapeError):
    """The --parent given is no area of the folder: a usage error, not the lookup's."""


@dataclass
class OnsImport:
    """What a lookup import found and did; ``written`` is False when nothing changed on disk."""

    file: str
    added: list[str] = field(default_factory=list)
    codes_filled: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    groupings: Merge | None = None
    problems: list[str] = field(default_factory=list)
    written: bool = False


def read_lookup(path: str | Path) -> list[dict[str, str]]:
    """The lookup's rows as dicts with keys LADCD, LADNM, CSPCD, CSPNM, PFACD, PFANM (year dropped).

    The header is the first row; columns are matched as ``LADyyCD``, ``LADyyNM``, ``CSPyyCD``,
    ``CSPyyNM``, ``PFAyyCD``, ``PFAyyNM`` in any case and order, other columns (Welsh names, FID)
    ignored. Raises LookupShapeError naming the missing columns, a column given for two years, a
    row without a code or name, a name holding control characters, a code not of the GSS form,
    or a council or partnership in two places.
    """
    path = Path(path)
    rows = [["" if v is None else str(v) for v in row]
            for row in table_rows(path, LookupShapeError, expected="the ONS lookup as .csv or .xlsx")[1]]
    if not rows:
        raise LookupShapeError(f"{path.name}: the file is empty")
    where: dict[str, int] = {}
    for i, name in enumerate(rows[0]):
        if m := _COLUMN.match(name.strip()):
            key = f"{m[1].upper()}{m[3].upper()}"
            if key in where:
                raise LookupShapeError(f"{path.name}: two {key[:3]}yy{key[3:]} columns "
                                       f"({rows[0][where[key]]}, {name}): give one year's lookup")
            where[key] = i
    missing = [c for c in ("LADCD", "LADNM", "CSPCD", "CSPNM", "PFACD", "PFANM") if c not in where]
    if missing:
        raise LookupShapeError(
            f"{path.name}: an ONS LAD to CSP to PFA lookup has the columns LADyyCD, LADyyNM, "
            f"CSPyyCD, CSPyyNM, PFAyyCD and PFAyyNM (yy the year); no column for "
            f"{', '.join(c[:3] + 'yy' + c[3:] for c in missing)}")
    out = []
    for n, row in enumerate(rows[1:], start=2):
        if not any(v.strip() for v in row):
            continue
        rec = {k: " ".join(row[i].split()) if i < len(row) else "" for k, i in where.items()}
        blank = [k for k, v in rec.items() if not v]
        if blank:
            raise LookupShapeError(f"{path.name} row {n}: blank {', '.join(blank)}")
        for k, v in rec.items():
            if _CONTROL.search(v):
                raise LookupShapeError(f"{path.name} row {n}, column {k}: {v!r} holds control characters")
            if k.endswith("CD") and not GSS_CODE.fullmatch(v.upper()):
                raise LookupShapeError(f"{path.name} row {n}, column {k}: {v!r} is not a GSS code "
                                       "(a letter E, W, S, N or K and eight digits)")
        rec |= {k: v.upper() for k, v in rec.items() if k.endswith("CD")}
        out.append((n, rec))
    _one_place(path.name, out, "LADCD", "CSPCD", "council", "partnerships")
    _one_place(path.name, out, "LADCD", "PFACD", "council", "police force areas")
    _one_place(path.name, out, "CSPCD", "PFACD", "partnership", "police force areas")
    return [rec for _, rec in out]


def _one_place(file: str, rows: list[tuple[int, dict[str, str]]], code: str, within: str, what: str,
               places: str) -> None:
    seen: dict[str, tuple[int, str]] = {}
    for n, rec in rows:
        first = seen.setdefault(rec[code], (n, rec[within]))
        if first[1] != rec[within]:
            raise LookupShapeError(f"{file} rows {first[0]} and {n}: {what} {rec[code]} "
                                   f"({rec[code[:3] + 'NM']}) is in two {places}, {first[1]} and "
                                   f"{rec[within]}")


def _slug(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower().replace("&", " and ")).strip("-")[:60].strip("-")
    return slug if slug and slug not in RESERVED else f"area-{slug}".strip("-")


class _Areas:
    """The areas table as written, with the ways the import finds an area in it (kept as indexes,
    so a lookup of thousands of councils is not a search of every row for each)."""

    def __init__(self, table: CsvTable) -> None:
        self.table = table
        self.header = list(dict.fromkeys([*table.header, "code"])) if table.header else [
            "area_id", "name", "area_type", "parent_id", "code"]
        self.rows = table.rows
        self.ids = {r.get("area_id", "").strip() for r in self.rows}
        self.touched: set[str] = set()
        self._by_code: dict[tuple[str, str], dict[str, str]] = {}
        self._by_name: dict[tuple[str, str], list[dict[str, str]]] = {}
        for row in self.rows:
            self._index(row)

    def _index(self, row: dict[str, str]) -> None:
        kind = row.get("area_type", "")
        if code := (row.get("code") or "").strip().upper():
            self._by_code.setdefault((kind, code), row)
        self._by_name.setdefault((kind, name_key(row.get("name", ""))), []).append(row)

    def find(self, code: str, name: str, area_type: str) -> dict[str, str] | None:
        """The row of this kind with this code, else the one of this kind with this name and no
        code (a row with another code is another place: Newport, Gwent is not Newport Pagnell)."""
        if (row := self._by_code.get((area_type, code))) is not None:
            return row
        same = [r for r in self._by_name.get((area_type, name_key(name)), [])
                if not (r.get("code") or "").strip()]
        return same[0] if len(same) == 1 else None

    def fill_code(self, row: dict[str, str], code: str) -> None:
        row["code"] = code
        self._by_code.setdefault((row.get("area_type", ""), code), row)
        self.touched.add(row["area_id"])

    def add(self, row: dict[str, str]) -> None:
        self.rows.append(row)
        self.ids.add(row["area_id"])
        self.touched.add(row["area_id"])
        self._index(row)

    def new_id(self, name: str, kind: str) -> str:
        base = _slug(name)
        for candidate in (base, f"{base}-{kind}", *(f"{base}-{kind}-{i}" for i in range(2, 1000))):
            if candidate not in self.ids:
                return candidate
        raise LookupShapeError(f"no free area_id for {name!r}")


def _place(areas: _Areas, result: OnsImport, code: str, name: str, area_type: str, kind: str,
           parent: str) -> str:
    """The area_id of a council or partnership: the row already there (its code filled in when
    blank, nothing else changed), or a new row appended."""
    row = areas.find(code, name, area_type)
    if row is not None:
        if not (row.get("code") or "").strip():
            areas.fill_code(row, code)
            result.codes_filled.append(f"{row['area_id']}: code {code}")
        if parent and (row.get("parent_id") or "") != parent:
            result.notes.append(f"{row['area_id']} keeps its parent_id {row.get('parent_id') or 'blank'}; "
                                f"the lookup puts it in {parent}")
        return row["area_id"]
    area_id = areas.new_id(name, kind)
    areas.add({"area_id": area_id, "name": name, "area_type": area_type, "parent_id": parent, "code": code})
    result.added.append(f"{area_id} ({name}, {area_type.replace('_', ' ')}, {code})")
    return area_id


def _check(areas: _Areas, groupings: CsvTable, merge: Merge) -> list[str]:
    """Contract problems in the rows the import adds or fills in, found before anything is written."""
    touched = {i + 2 for i, r in enumerate(areas.rows) if r["area_id"] in areas.touched}
    changed = {i + 2 for i in merge.changed}
    dataset = validate_as_written({"areas.csv": render(areas.table, areas.header, areas.rows),
                                   "groupings.csv": render(groupings, merge.header, merge.rows)})
    return [f"{p.file} row {p.row}, column {p.column}, value {p.value!r}: {p.rule}: {p.message}"
            for p in dataset.errors
            if p.row is None or (p.table == "areas" and p.row in touched)
            or (p.table == "groupings" and p.row in changed)]


def import_ons_geography(path: str | Path, into: str | Path, *, parent: str = "",
                         replace: bool = False) -> OnsImport:
    """Councils and community safety partnerships from an ONS lookup into ``into``/areas.csv, and
    each one's police force area into groupings.csv.

    An area already there (by ONS code within its kind, else by name and kind where it has no
    code) is kept as it is, its blank code filled in; a new partnership's parent_id is ``parent``
    (an area_id, e.g. a region), a new council's its partnership's. Grouping rows merge as
    `csvfile.merge_rows` does (conflicts listed; ``replace`` takes the lookup's). Both files are
    written, or neither: nothing is written when the result would break the data contract.
    Raises LookupShapeError for a file of another shape (UnknownParent for a ``parent`` that is
    no area), csvfile.TableShapeError for an areas or groupings file it cannot rewrite.
    """
    path, into = Path(path), Path(into)
    lookup = read_lookup(path)
    result = OnsImport(path.name)
    areas = _Areas(read_table(into, "areas"))
    if parent and parent not in areas.ids:
        raise UnknownParent(f"--parent {parent!r} is not an area_id in {areas.table.path.name}")
    members = []
    for rec in lookup:
        csp = _place(areas, result, rec["CSPCD"], rec["CSPNM"], "community_safety_partnership", "csp", parent)
        lad = _place(areas, result, rec["LADCD"], rec["LADNM"], "local_authority", "council", csp)
        for area_id in (csp, lad):
            members.append({"area_id": area_id, "grouping": POLICE_FORCE_AREA, "group": rec["PFANM"],
                            "group_code": rec["PFACD"]})
    members = list({m["area_id"]: m for m in members}.values())
    groupings = read_table(into, "groupings")
    merge = merge_rows(groupings.header or ["area_id", "grouping", "group", "group_code"], groupings.rows,
                       members, key=("area_id", "grouping"), compared=("group", "group_code"),
                       replace=replace)
    result.groupings = merge
    if not (result.added or result.codes_filled or merge.changed):
        return result
    result.problems = _check(areas, groupings, merge)
    if result.problems:
        return result
    write_tables([(groupings, merge.header, merge.rows), (areas.table, areas.header, areas.rows)])
    result.written = True
    return result
