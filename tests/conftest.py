"""Shared fixtures: paths to the scenario data and a copy of the valid dataset."""

from __future__ import annotations

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


def overlay(base: Path, case: Path) -> Path:
    """Apply a bad-corpus case on top of a copy of the valid dataset."""
    for item in case.iterdir():
        if item.name == "expected.csv":
            continue
        if item.name == "REMOVE":
            for name in item.read_text().split():
                (base / name).unlink()
            continue
        shutil.copy(item, base / item.name)
    return base
