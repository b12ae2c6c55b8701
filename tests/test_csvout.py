"""Published CSVs: a text cell a spreadsheet would run as a formula is written as text."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from analysis.csvout import neutralise, write_csv


@pytest.mark.parametrize(("cell", "written"), [
    ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
    ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
    ("-2+3", "'-2+3"),
    ("+44 20 7946 0000", "'+44 20 7946 0000"),
    ("\tTAB", "'\tTAB"),
    ("\rCR", "'\rCR"),
    ("Derby", "Derby"),
    ("a=b", "a=b"),  # only a leading sign starts a formula
])
def test_formula_starts_are_neutralised(cell, written):
    assert neutralise(cell) == written


def test_numbers_are_data_not_formulas(tmp_path: Path):
    frame = pd.DataFrame({"change": [-2.5, 3.0], "name": ["=1+1", "Leicester"],
                          "count": pd.array([-4, None], dtype="Int64")})
    path = write_csv(frame, tmp_path / "t.csv")
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows == [["change", "name", "count"], ["-2.5", "'=1+1", "-4"], ["3.0", "Leicester", ""]]
    assert list(tmp_path.iterdir()) == [path]  # written atomically: no temporary file left
