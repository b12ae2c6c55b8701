"""Shared fixtures: paths to the scenario data and a copy of the valid dataset."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# No test may depend on how fast the machine is: CI runs while the machine is busy, and a
# Hypothesis deadline (200 ms by default) then fails at random. One profile for every run.
settings.register_profile("ci", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci")

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).parent.parent
EXAMPLE = ROOT / "data" / "example"


@pytest.fixture
def valid_copy(tmp_path: Path) -> Path:
    """A writable copy of tests/data/valid, the smallest dataset that uses every table."""
    target = tmp_path / "data"
    shutil.copytree(DATA / "valid", target)
    return target


CASE_FILES = ("expected.csv", "values.csv")  # what a corpus case expects, not data


def _special(base: Path, line: str) -> None:
    """Put what git cannot hold under a table's name: `folder NAME`, `fifo NAME`, `symlink NAME TARGET`."""
    kind, name, *target = line.split()
    path = base / name
    path.unlink(missing_ok=True)
    if kind == "folder":
        path.mkdir()
        (path / "inside.csv").write_text("a,b\n1,2\n")
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "symlink":
        path.symlink_to(target[0])
    else:
        raise ValueError(f"unknown special file kind {kind!r}")


def overlay(base: Path, case: Path) -> Path:
    """Apply a corpus case on top of a copy of the valid dataset.

    A case's files replace the dataset's; REMOVE lists files to delete and SPECIAL lists
    folders, FIFOs or symlinks to put in place of a file.
    """
    for item in case.iterdir():
        if item.name in CASE_FILES:
            continue
        if item.name == "REMOVE":
            for name in item.read_text().split():
                (base / name).unlink()
            continue
        if item.name == "SPECIAL":
            for line in item.read_text().splitlines():
                if line.strip():
                    _special(base, line)
            continue
        shutil.copy(item, base / item.name)
    return base
