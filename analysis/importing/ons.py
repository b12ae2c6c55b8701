"""`workbook import ons-geography`: an ONS council to partnership to police force lookup, into areas."""

from __future__ import annotations

import csv
import io
import re
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import load_workbook

from ..contract import RESERVED
from ..loader import load_dataset
from ..problems import Problem
from ..reading import read_regular
from .csvfile import Merge, merge_rows, read_rows, write_rows
from .geography import name_key

__all__ = ["LookupShapeError", "OnsImport", "import_ons_geography", "read_lookup"]

_COLUMN = re.compile(r"^(LAD|CSP|PFA)(\d{2})(CD|NM)$", re.IGNORECASE)
POLICE_FORCE_AREA = "police force area"


class LookupShapeError(ValueError):
    """The file is not an ONS LAD to CSP to PFA lookup; the message says what was expected."""


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


def _cells(path: Path) -> list[list[str]]:
    problems: list[Problem] = []
    data = read_regular(path, problems)
    if data is None:
        raise LookupShapeError("; ".join(p.message for p in problems))
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            rows = book.worksheets[0].iter_rows(values_only=True)
            return [["" if v is None else str(v) for v in r] for r in rows]
        finally:
            book.close()
    if path.suffix.lower() == ".csv":
        return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    raise LookupShapeError(f"{path.name}: expected the ONS lookup as .csv or .xlsx")


def read_lookup(path: str | Path) -> list[dict[str, str]]:
    """The lookup's rows as dicts with keys LADCD, LADNM, CSPCD, CSPNM, PFACD, PFANM (year dropped).

    The header is the first row; columns are matched as ``LADyyCD``, ``LADyyNM``, ``CSPyyCD``,
    ``CSPyyNM``, ``PFAyyCD``, ``PFAyyNM`` in any case and order, other columns (Welsh names, FID)
    ignored. Raises LookupShapeError naming the missing columns, or a row without a code or name.
    """
    path = Path(path)
    rows = _cells(path)
    if not rows:
        raise LookupShapeError(f"{path.name}: the file is empty")
    where = {}
    for i, name in enumerate(rows[0]):
        if m := _COLUMN.match(name.strip()):
            where[f"{m[1].upper()}{m[3].upper()}"] = i
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
        out.append(rec)
    seen: dict[str, str] = {}
    for rec in out:
        if seen.setdefault(rec["LADCD"], rec["CSPCD"]) != rec["CSPCD"]:
            raise LookupShapeError(f"{path.name}: council {rec['LADCD']} ({rec['LADNM']}) is in two "
                                   f"partnerships, {seen[rec['LADCD']]} and {rec['CSPCD']}")
    return out


def _slug(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower().replace("&", " and ")).strip("-")[:60].strip("-")
    return slug if slug and slug not in RESERVED else f"area-{slug}".strip("-")


class _Areas:
    """The areas table as written, with the ways the import finds an area in it."""

    def __init__(self, header: list[str], rows: list[dict[str, str]]) -> None:
        self.header = list(dict.fromkeys([*header, "code"])) if rows else [
            "area_id", "name", "area_type", "parent_id", "code"]
        self.rows = rows
        self.ids = {r.get("area_id", "").strip() for r in rows}
        self.touched: set[str] = set()

    def find(self, code: str, name: str, area_type: str) -> dict[str, str] | None:
        """The one row of this kind with this code, else the one of this kind with this name."""
        kind = [r for r in self.rows if r.get("area_type") == area_type]
        for row in kind:
            if (row.get("code") or "").strip().upper() == code:
                return row
        same = [r for r in kind if name_key(r.get("name", "")) == name_key(name)]
        return same[0] if len(same) == 1 else None

    def new_id(self, name: str, kind: str) -> str:
        base = _slug(name)
        for candidate in (base, f"{base}-{kind}", *(f"{base}-{kind}-{i}" for i in range(2, 100))):
            if candidate not in self.ids:
                self.ids.add(candidate)
                return candidate
        raise LookupShapeError(f"no free area_id for {name!r}")


def _place(areas: _Areas, result: OnsImport, code: str, name: str, area_type: str, kind: str,
           parent: str) -> str:
    """The area_id of a council or partnership: the row already there (its code filled in when
    blank, nothing else changed), or a new row appended."""
    row = areas.find(code, name, area_type)
    if row is not None:
        if not (row.get("code") or "").strip():
            row["code"] = code
            areas.touched.add(row["area_id"])
            result.codes_filled.append(f"{row['area_id']}: code {code}")
        if parent and (row.get("parent_id") or "") != parent:
            result.notes.append(f"{row['area_id']} keeps its parent_id {row.get('parent_id') or 'blank'}; "
                                f"the lookup puts it in {parent}")
        return row["area_id"]
    area_id = areas.new_id(name, kind)
    areas.touched.add(area_id)
    areas.rows.append({"area_id": area_id, "name": name, "area_type": area_type, "parent_id": parent,
                       "code": code})
    result.added.append(f"{area_id} ({name}, {area_type.replace('_', ' ')}, {code})")
    return area_id


def _check(into: Path, areas: _Areas, groupings: Merge, changed: set[int]) -> list[str]:
    """Contract problems in the rows the import adds or fills in, found before anything is written."""
    touched = {i + 2 for i, r in enumerate(areas.rows) if r["area_id"] in areas.touched}
    with tempfile.TemporaryDirectory(prefix="workbook-import-") as scratch:
        write_rows(Path(scratch) / "areas.csv", areas.header, areas.rows)
        write_rows(Path(scratch) / "groupings.csv", groupings.header, groupings.rows)
        dataset = load_dataset(Path(scratch))
    return [f"{p.file} row {p.row}, column {p.column}, value {p.value!r}: {p.rule}: {p.message}"
            for p in dataset.errors
            if p.row is None or (p.table == "areas" and p.row in touched)
            or (p.table == "groupings" and p.row in changed)]


def import_ons_geography(path: str | Path, into: str | Path, *, parent: str = "",
                         replace: bool = False) -> OnsImport:
    """Councils and community safety partnerships from an ONS lookup into ``into``/areas.csv, and
    each one's police force area into groupings.csv.

    An area already there (by ONS code, else by name and kind) is kept as it is, its blank code
    filled in; a new partnership's parent_id is ``parent`` (an area_id, e.g. a region), a new
    council's its partnership's. Grouping rows merge as `csvfile.merge_rows` does (conflicts
    listed; ``replace`` takes the lookup's). Nothing is written when the result would break the
    data contract. Raises LookupShapeError for a file of another shape.
    """
    path, into = Path(path), Path(into)
    lookup = read_lookup(path)
    result = OnsImport(path.name)
    header, rows = read_rows(into / "areas.csv")
    areas = _Areas(header, rows)
    if parent and parent not in areas.ids:
        raise LookupShapeError(f"--parent {parent!r} is not an area_id in {into / 'areas.csv'}")
    members = []
    for rec in lookup:
        csp = _place(areas, result, rec["CSPCD"], rec["CSPNM"], "community_safety_partnership", "csp", parent)
        lad = _place(areas, result, rec["LADCD"], rec["LADNM"], "local_authority", "council", csp)
        for area_id in (csp, lad):
            members.append({"area_id": area_id, "grouping": POLICE_FORCE_AREA, "group": rec["PFANM"],
                            "group_code": rec["PFACD"]})
    members = list({m["area_id"]: m for m in members}.values())
    g_header, g_rows = read_rows(into / "groupings.csv")
    groupings = merge_rows(g_header or ["area_id", "grouping", "group", "group_code"], g_rows, members,
                           key=("area_id", "grouping"), compared=("group", "group_code"), replace=replace)
    result.groupings = groupings
    if not (result.added or result.codes_filled or groupings.changed):
        return result
    result.problems = _check(into, areas, groupings, {i + 2 for i in groupings.changed})
    if result.problems:
        return result
    write_rows(into / "areas.csv", areas.header, areas.rows)
    write_rows(into / "groupings.csv", groupings.header, groupings.rows)
    result.written = True
    return result
