"""An input CSV read as the analyst wrote it, merged with imported rows, written back whole or not at all."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..files import atomic_write_text
from ..problems import Problem
from ..reading import read_regular

__all__ = ["Merge", "merge_rows", "read_rows", "write_rows"]


def read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """The header and rows of a CSV file as text, exactly as written (no file: no rows)."""
    if not path.exists():
        return [], []
    problems: list[Problem] = []
    data = read_regular(path, problems)
    if data is None:
        raise ValueError("; ".join(p.message for p in problems))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path.name} is not UTF-8 text (byte {exc.start}); save it as CSV UTF-8 "
                         "and import again") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows = [{k: v for k, v in row.items() if k is not None} for row in reader]
    return list(reader.fieldnames or []), rows


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
    names = list(header) + [c for r in new for c in r if c not in header]
    names = list(dict.fromkeys(names))
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
            old.update({c: v for c, v in row.items()})
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


def write_rows(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    """Write the table to ``path`` atomically (files.atomic_write_text): a complete new file
    replaces the old, or nothing changes."""
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n", extrasaction="raise")
    writer.writeheader()
    writer.writerows({c: r.get(c, "") for c in header} for r in rows)
    atomic_write_text(path, buffer.getvalue())
