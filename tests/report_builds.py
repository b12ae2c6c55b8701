"""Report builds shared by the output tests (accessibility, disclosure, hostile input).

A build costs seconds per report, so each distinct build runs once per test session: the first
test module that asks for it builds into pytest's session temp folder, later ones reuse it.
Builds use the built-in engine unless asked otherwise; ``ENGINES`` parametrises a fixture over
both engines, the Quarto one skipped where no ``quarto`` is on PATH, so Quarto's reports meet the
same checks wherever Quarto is installed.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from analysis.build import BuildResult, build

from .conftest import EXAMPLE

EXAMPLE_AS_OF = date(2005, 12, 31)  # Gloucestershire's, as the committed notebooks
EXAMPLE_AREAS = ["gloucestershire", "east-midlands", "derby", "plymouth"]

needs_quarto = pytest.mark.skipif(shutil.which("quarto") is None,
                                  reason="no quarto on PATH: Quarto's reports are checked where it is")

#: Fixture params: the built-in engine always, Quarto where it is installed.
ENGINES = [pytest.param("builtin", id="builtin"),
           pytest.param("quarto", id="quarto", marks=[needs_quarto, pytest.mark.integration])]

_BUILDS: dict[str, BuildResult] = {}


def shared_build(factory: pytest.TempPathFactory, key: str, data_dir: Path, *, engine: str = "builtin",
                 **options: Any) -> BuildResult:
    """Build once per session under `key` and `engine`; the same key must always mean the same options."""
    name = key if engine == "builtin" else f"{key}-{engine}"
    if name not in _BUILDS:
        out = factory.mktemp(name) / "reports"
        _BUILDS[name] = build(data_dir, out, progress=False, engine=engine, **options)
    return _BUILDS[name]


def example_build(factory: pytest.TempPathFactory, engine: str = "builtin") -> BuildResult:
    """Four example areas and the overview, HTML and PDF, each as of its data's date (no --as-of,
    as `make reports` builds them)."""
    return shared_build(factory, "example", EXAMPLE, engine=engine, areas=EXAMPLE_AREAS,
                        formats=("html", "pdf"), jobs=2)
