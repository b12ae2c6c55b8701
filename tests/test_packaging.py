"""The package as pyproject.toml ships it: every subpackage and data file is in a wheel."""

from __future__ import annotations

import tomllib
from pathlib import Path

from setuptools import find_packages

ROOT = Path(__file__).resolve().parent.parent


def test_every_subpackage_of_analysis_is_shipped() -> None:
    # `packages = ["analysis"]` shipped analysis/ alone: analysis.charts and analysis.disclosure
    # were missing from a wheel, and only the editable install (make setup) could import them.
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    shipped = set(find_packages(where=str(ROOT), **config["packages"]["find"]))
    on_disk = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "analysis").rglob("__init__.py")}
    assert {"analysis", "analysis.charts", "analysis.charts.prepare", "analysis.disclosure"} <= on_disk
    assert shipped == on_disk
