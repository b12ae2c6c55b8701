"""Tests for analysis.charts as a package: print size, structure (prepare without matplotlib), wording."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import matplotlib
import pandas as pd

from analysis import charts
from analysis.charts import base
from analysis.charts.words import fmt, measure_name, pathway_name, signed

matplotlib.use("Agg")

PACKAGE = Path(charts.__file__).parent
TYPST = PACKAGE.parent / "templates" / "typst" / "workbook.typ"


def test_charts_are_drawn_at_the_pdf_text_width() -> None:
    # A4 is 210 mm wide; the template's side margins are read from it, so the two cannot drift.
    margin = re.search(r"margin:\s*\(x:\s*([\d.]+)cm", TYPST.read_text()).group(1)
    assert 'paper: "a4"' in TYPST.read_text()
    assert base.TEXT_WIDTH_MM == 210 - 2 * 10 * float(margin) == 170
    assert base.WIDTH * 25.4 == 170


def test_text_is_at_least_8_pt_at_print_size() -> None:
    frame = pd.DataFrame({"area_id": "t", "plan_id": "p", "lead": ["A lead with a long name", "B"],
                          "strands": [3, 1], "open_milestones": 0, "overdue": [1, 0]})
    chart = charts.lead_load_chart(frame)
    width = chart.figure.get_size_inches()[0]
    sizes = [t.get_fontsize() * base.WIDTH / width for t in chart.figure.findobj(matplotlib.text.Text)
             if t.get_text() and t.get_visible()]
    assert sizes and min(sizes) >= base.MIN_FONT_PT == 8


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_no_function_over_80_lines_and_no_module_over_600() -> None:
    for path in _modules():
        source = path.read_text()
        assert len(source.splitlines()) <= 600, path
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                assert node.end_lineno - node.lineno + 1 <= 80, f"{path.name}: {node.name}"


def _absolute(path: Path, node: ast.ImportFrom) -> str:
    """The module an import names, resolved from the file's place in the package."""
    parts = ["analysis", *path.relative_to(PACKAGE.parent).with_suffix("").parts][:-node.level]
    return ".".join(parts + ([node.module] if node.module else []))


def test_prepare_and_describe_never_import_matplotlib() -> None:
    pure = [PACKAGE / "words.py", *sorted((PACKAGE / "prepare").glob("*.py"))]
    assert len(pure) == 8
    for path in pure:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                assert not [a.name for a in node.names if a.name.startswith("matplotlib")], path
            elif isinstance(node, ast.ImportFrom):
                module = node.module if node.level == 0 else _absolute(path, node)
                assert not module.startswith("matplotlib"), path
                # within the package only words and prepare modules: nothing that draws
                if module.startswith("analysis.charts"):
                    assert module == "analysis.charts.words" or module.startswith(
                        "analysis.charts.prepare"), f"{path.name}: {module}"


def test_figures_are_rounded_half_up() -> None:
    assert fmt(0.25) == "0.3"  # f"{0.25:.1f}" gives 0.2
    assert fmt(62.5, 0) == "63" and fmt(-2.5, 0) == "\u22123"
    assert fmt(1234.55) == "1,234.6"
    assert signed(0.04) == "0.0" and signed(0.05) == "+0.1"


def test_reader_names_not_codes() -> None:
    assert pathway_name("DRUGS_ALCOHOL") == "Drugs and alcohol"
    assert pathway_name("HEALTH") == "Mental and physical health"
    assert measure_name("community-order-reconviction-2yr") == (
        "two-year reconviction of people on community orders")
    assert measure_name("adult-proven-1yr") == "adult proven 1yr reoffending"


def test_public_names_are_kept() -> None:
    for name in ("Chart", "show", "to_png", "milestone_timeline", "lead_load_chart", "coverage_heatmap",
                 "criterion_scores_chart", "section_scores_chart", "rate_trend", "difference_chart",
                 "xmr_chart", "funnel_plot", "ni18_chart", "ni30_chart", "indicator_chart", "family_chart"):
        assert callable(getattr(charts, name)), name
