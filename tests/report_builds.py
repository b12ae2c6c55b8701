"""Report builds shared by the output tests (accessibility, disclosure, hostile input).

A build costs seconds per report, so each distinct build runs once per test session: the first
test module that asks for it builds into pytest's session temp folder, later ones reuse it.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from analysis.build import BuildResult, build

from .conftest import EXAMPLE

EXAMPLE_AS_OF = date(2005, 12, 31)  # Gloucestershire's, as the committed notebooks
EXAMPLE_AREAS = ["gloucestershire", "east-midlands", "derby", "plymouth"]

_BUILDS: dict[str, BuildResult] = {}


def shared_build(factory: pytest.TempPathFactory, key: str, data_dir: Path, **options: Any) -> BuildResult:
    """Build once per session under `key`; the same key must always mean the same options."""
    if key not in _BUILDS:
        out = factory.mktemp(key) / "reports"
        _BUILDS[key] = build(data_dir, out, progress=False, **options)
    return _BUILDS[key]


def example_build(factory: pytest.TempPathFactory) -> BuildResult:
    """Four example areas and the overview, HTML and PDF, each as of its data's date (no --as-of,
    as `make reports` builds them)."""
    return shared_build(factory, "example", EXAMPLE, areas=EXAMPLE_AREAS, formats=("html", "pdf"), jobs=2)
