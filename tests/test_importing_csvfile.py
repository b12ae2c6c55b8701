"""An analyst's table is rewritten by an import only where the rewrite keeps everything it holds."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from analysis.importing.csvfile import TableShapeError, merge_rows, read_table, write_tables

HEADER = "area_id,cohort,measure,offenders,reoffenders\n"
ROW = "torbay,2022/23,adult-proven-1yr,600,140\n"
NEW = {"area_id": "bristol", "cohort": "2022/23", "measure": "adult-proven-1yr", "offenders": "2000",
       "reoffenders": "440"}


def _import(folder: Path) -> None:
    table = read_table(folder, "reoffending")
    merge = merge_rows(table.header, table.rows, [NEW], key=("area_id", "measure", "cohort"),
                       compared=("offenders", "reoffenders"))
    write_tables([(table, merge.header, merge.rows)])


@pytest.mark.parametrize(("text", "why"), [
    (HEADER.replace(",", ";") + ROW.replace(",", ";"), "not separated by commas"),
    ("sep=;\n" + HEADER.replace(",", ";") + ROW.replace(",", ";"), "not separated by commas"),
    (HEADER.rstrip("\n") + ",,\n" + ROW.rstrip("\n") + ",,\n", "column 6 of its header has no name"),
    (HEADER.rstrip("\n") + ",note,note\n" + ROW.rstrip("\n") + ",a,b\n", "names note twice"),
    (HEADER + ROW.rstrip("\n") + ",EXTRA1,EXTRA2\n", "row 2 has 7 values where the header names 5"),
    (HEADER + 'torbay,2022/23,"adult-proven-1yr,600,140\nbristol,2022/23,x,1,1\n', "a quote is left open"),
    ((HEADER + ROW).encode("cp1252").decode("latin-1") + "caf\xe9\n", None),  # written as cp1252 below
])
def test_a_table_the_rewrite_would_change_is_refused_and_left_as_it_was(tmp_path: Path, text: str, why):
    path = tmp_path / "reoffending.csv"
    if why is None:
        path.write_bytes(text.encode("cp1252"))
        why = "not UTF-8 text"
    else:
        path.write_text(text, encoding="utf-8", newline="")
    before = path.read_bytes()
    with pytest.raises(TableShapeError, match=why):
        _import(tmp_path)
    assert path.read_bytes() == before


def test_the_file_the_loader_reads_is_the_one_written_with_its_own_header(tmp_path: Path):
    # Re-offending.csv is the reoffending table to the loader, and its header may be in words.
    path = tmp_path / "Re-offending.csv"
    path.write_text("Area ID,Cohort,Measure,Offenders,Reoffenders,My note\n"
                    "torbay,2022/23,adult-proven-1yr,600,140,\"kept, as written\"\n", encoding="utf-8")
    _import(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Re-offending.csv"]
    assert path.read_text(encoding="utf-8") == (
        "Area ID,Cohort,Measure,Offenders,Reoffenders,My note\n"
        "torbay,2022/23,adult-proven-1yr,600,140,\"kept, as written\"\n"
        "bristol,2022/23,adult-proven-1yr,2000,440,\n")


def test_its_permissions_are_kept_and_a_link_or_a_read_only_file_is_not_replaced(tmp_path: Path):
    path = tmp_path / "reoffending.csv"
    path.write_text(HEADER + ROW, encoding="utf-8")
    os.chmod(path, 0o640)
    _import(tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    os.chmod(path, 0o444)
    if os.access(path, os.W_OK):
        pytest.skip("running as a user who can write a read-only file")
    with pytest.raises(TableShapeError, match="read-only"):
        _import(tmp_path)


def test_a_symbolic_link_is_not_replaced(tmp_path: Path):
    target = tmp_path / "elsewhere.txt"
    target.write_text(HEADER + ROW, encoding="utf-8")
    (tmp_path / "reoffending.csv").symlink_to(target)
    with pytest.raises(TableShapeError, match="symbolic link"):
        _import(tmp_path)
    assert target.read_text(encoding="utf-8") == HEADER + ROW
