"""Every column the workbook reads is declared in the data contract (and so in docs/data.md)."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pandas as pd
import pytest

from analysis.contract import TABLES
from analysis.loader import load_dataset
from analysis.pipeline import analyse
from analysis.report import AreaReport

from .conftest import EXAMPLE
from .report_builds import EXAMPLE_AS_OF


def _header(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return next(csv.reader(handle))


def test_every_column_of_the_example_data_is_declared():
    # An analyst learns what to supply from docs/data.md: a column the example data holds but
    # the contract does not declare is one they cannot learn about.
    undeclared = {}
    for path in sorted(EXAMPLE.glob("*.csv")):
        declared = {col.name for col in TABLES[path.stem].columns}
        extra = [c for c in _header(path) if c not in declared]
        if extra:
            undeclared[path.name] = extra
    assert undeclared == {}


def _declared_only(tmp: Path) -> Path:
    """A copy of the example data with every undeclared column dropped."""
    copy = tmp / "declared"
    shutil.copytree(EXAMPLE, copy)
    for path in copy.glob("*.csv"):
        declared = {col.name for col in TABLES[path.stem].columns}
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        frame[[c for c in frame.columns if c in declared]].to_csv(path, index=False)
    return copy


@pytest.mark.integration
def test_the_declared_columns_alone_give_the_same_derived_tables_and_reports(tmp_path):
    copy = _declared_only(tmp_path)
    ours, theirs = (analyse(load_dataset(d), as_of=EXAMPLE_AS_OF) for d in (EXAMPLE, copy))
    for name, table in ours.tables().items():
        pd.testing.assert_frame_equal(theirs.tables()[name], table, obj=name)
    # Each example report reads the data beyond the derived tables too (names as printed, ...).
    for area in pd.read_csv(EXAMPLE / "areas.csv")["area_id"]:
        texts = [" ".join(str(b.content.body) for b in AreaReport.build(d, area).summary()
                          if b.kind == "markdown") for d in (EXAMPLE, copy)]
        assert texts[0] == texts[1], area
