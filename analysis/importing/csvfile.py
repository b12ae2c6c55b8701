"""An input CSV read as the analyst wrote it, merged with imported rows, written back whole or not at all."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..files import atomic_write_bytes, atomic_write_text
from ..loader import Dataset, load_dataset
from ..published import file_bytes
from ..reading import normalise_header, table_of

__all__ = ["CsvTable", "Merge", "TableShapeError", "merge_rows", "read_table", "render", "table_file",
           "validate_as_written", "write_tables"]

_BOM = "\ufeff"


class TableShapeError(ValueError):
    """An input table the import cannot rewrite without changing what it holds."""


@dataclass
class CsvTable:
    """One input table's file: its path, its header as written, and its rows keyed by the
    contract's column names (the header normalised as the loader reads it)."""

    path: Path
    header: list[str]  # the contract's names, in the file's order
    spelt: dict[str, str]  # contract name -> the header as the file writes it
    rows: list[dict[str, str]]
    original: bytes | None = None  # the file's bytes, to put back if a later write fails


def _refuse(path: Path, why: str) -> TableShapeError:
    return TableShapeError(f"{path.name}: {why}. The import rewrites the whole file, and would change "
                           "what it holds, so nothing was written: fix it (`workbook validate` lists "
                           "what it finds), or save it as CSV UTF-8, comma-separated, and import again")


def table_file(folder: Path, table: str) -> Path:
    """The file the loader reads as ``table`` (Re-offending.csv is reoffending), else table.csv."""
    found = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".csv" and table_of(p.stem) == table)
    if len(found) > 1:
        raise TableShapeError(f"{', '.join(p.name for p in found)} all name the {table} table: keep one, "
                              "and import again")
    return found[0] if found else folder / f"{table}.csv"


def read_table(folder: Path, table: str) -> CsvTable:
    """The folder's file of ``table`` as text, exactly as written (no file: no rows).

    Refused (TableShapeError) where a rewrite could not keep it: a symbolic link, a read-only
    file, text that is not UTF-8, another separator than ',' (or a sep= line), a quote left
    open, a header cell without a name or a name twice, a row with more values than the header.
    """
    path = table_file(folder, table)
    if path.is_symlink():
        raise _refuse(path, "it is a symbolic link, and the import replaces only a regular file")
    if not path.exists():
        return CsvTable(path, [], {}, [])
    if not os.access(path, os.W_OK):
        raise _refuse(path, "it is read-only")
    data = file_bytes(path, TableShapeError)
    try:
        text = data.decode("utf-8").lstrip(_BOM)
    except UnicodeDecodeError as exc:
        raise _refuse(path, f"it is not UTF-8 text (byte {exc.start})") from None
    first = text.split("\n", 1)[0]
    if first.lower().startswith("sep=") or max(first.count(";"), first.count("\t")) > first.count(","):
        raise _refuse(path, "it is not separated by commas")
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as exc:
        raise _refuse(path, f"a quote is left open ({exc})") from None
    if not records:
        return CsvTable(path, [], {}, [], data)
    spelt_as = records[0]
    names = [normalise_header(h) for h in spelt_as]
    if "" in names:
        raise _refuse(path, f"column {names.index('') + 1} of its header has no name")
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise _refuse(path, f"its header names {', '.join(twice)} twice")
    rows = []
    for number, cells in enumerate(records[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(names) and any(c.strip() for c in cells[len(names):]):
            raise _refuse(path, f"row {number} has {len(cells)} values where the header names {len(names)}")
        rows.append(dict(zip(names, cells + [""] * (len(names) - len(cells)), strict=False)))
    return CsvTable(path, names, dict(zip(names, spelt_as, strict=True)), rows, data)


@dataclass
class Merge:
    """What merging imported rows into a table did: rows added, the same, in conflict, replaced."""

    header: list[str]
    rows: list[dict[str, str]]
    added: int = 0
    same: int = 0
    replaced: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    changed: list[int] = field(default_factory=list)  # positions in rows of those added or replaced


def _key(row: dict[str, str], key: Sequence[str]) -> tuple[str, ...]:
    return tuple((row.get(k) or "").strip() for k in key)


def merge_rows(header: list[str], rows: list[dict[str, str]], new: list[dict[str, str]], *,
               key: Sequence[str], compared: Sequence[str], clear_on_replace: Sequence[str] = (),
               replace: bool = False) -> Merge:
    """The table with ``new`` rows merged in by ``key``; the analyst's rows are never lost.

    A new key is appended. A row already there whose ``compared`` columns equal the new row's
    (as numbers where both are numbers: "1,234" is 1234) is left as it is. One that differs is a
    conflict, listed and left as it is; with ``replace`` the new values are written into it
    (``clear_on_replace`` columns blanked, as a printed rate the new counts would contradict),
    every other column the analyst filled kept, and it is listed as replaced.
    """
    names = list(dict.fromkeys([*header, *(c for r in new for c in r)]))
    merged = [dict(r) for r in rows]
    where = {_key(r, key): i for i, r in enumerate(merged)}
    out = Merge(names, merged)
    for row in new:
        k = _key(row, key)
        if k not in where:
            where[k] = len(merged)
            merged.append(dict(row))
            out.changed.append(where[k])
            out.added += 1
            continue
        old = merged[where[k]]
        differ = [c for c in compared if not _equal(old.get(c), row.get(c))]
        if not differ:
            out.same += 1
            continue
        said = "; ".join(f"{c} {old.get(c) or 'blank'} here, {row.get(c) or 'blank'} imported"
                         for c in differ)
        label = f"{' / '.join(k)}: {said}"
        if replace:
            old.update({c: "" for c in clear_on_replace})
            old.update(row)
            out.replaced.append(label)
            out.changed.append(where[k])
        else:
            out.conflicts.append(label)
    return out


def _equal(a: str | None, b: str | None) -> bool:
    a, b = (a or "").strip(), (b or "").strip()
    if a == b:
        return True
    try:
        return float(a.replace(",", "")) == float(b.replace(",", ""))
    except ValueError:
        return False


def render(table: CsvTable, header: list[str], rows: list[dict[str, str]]) -> str:
    """The table as CSV text: the file's own header spellings, the contract's for new columns."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([table.spelt.get(c, c) for c in header])
    writer.writerows([r.get(c, "") for c in header] for r in rows)
    return buffer.getvalue()


def validate_as_written(files: Mapping[str, str | bytes]) -> Dataset:
    """The dataset the given files (name -> text or bytes) would make, validated by the loader in
    a scratch folder, removed after: the check an import makes before it writes anything."""
    with tempfile.TemporaryDirectory(prefix="workbook-import-") as scratch:
        for name, content in files.items():
            target = Path(scratch) / name
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, encoding="utf-8")
        return load_dataset(Path(scratch))


def write_tables(changes: Sequence[tuple[CsvTable, list[str], list[dict[str, str]]]]) -> None:
    """Write each (table, header, rows) atomically (files.atomic_write_text), keeping each file's
    permissions; if one write fails, the files already written get their old bytes back (a new
    file is removed), so the folder holds all of the import or none of it."""
    done: list[CsvTable] = []
    try:
        for table, header, rows in changes:
            mode = table.path.stat().st_mode & 0o777 if table.path.exists() else 0o644
            atomic_write_text(table.path, render(table, header, rows), mode)
            done.append(table)
    except BaseException:
        for table in done:
            if table.original is None:
                table.path.unlink(missing_ok=True)
            else:
                atomic_write_bytes(table.path, table.original, table.path.stat().st_mode & 0o777)
        raise
