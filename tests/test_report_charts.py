"""Where the report places the inspection and indicator charts: comparators first, the check last."""

from __future__ import annotations

import pytest

from analysis.overview import OverviewReport
from analysis.report import AreaReport

from .conftest import EXAMPLE
from .report_builds import EXAMPLE_AS_OF


@pytest.fixture(scope="module")
def glos() -> AreaReport:
    return AreaReport.build(EXAMPLE, "gloucestershire", EXAMPLE_AS_OF)


def test_inspection_section_compares_and_leaves_the_check_to_the_appendix(glos):
    charts = [b.content for b in glos.inspection() if b.kind == "chart"]
    assert [c.title for c in charts] == [
        "Inspection scores, Gloucestershire",
        "Criterion scores, Gloucestershire (inspection published January 2005)"]
    assert all(c.figure.axes[0].get_xlim() == (0.0, 100.0) for c in charts)
    check = [b.content for b in glos.inspection_check()]
    # one check per inspection: the full inspection and its accommodation thematic
    assert [c.title for c in check] == ["Analyst's check: recalculated and printed section scores, "
                                        "Gloucestershire (inspection published January 2005)"] * 2
    # both published in January 2005: each caption names its inspection by its printed title
    assert "Inspection: Effective Supervision Inspection of the National" in check[0].caption
    assert "Inspection: Effective Supervision Inspection thematic element" in check[1].caption
    assert "4 of 4 agree within rounding" in check[0].alt and "3 of 3 agree" in check[1].alt


def test_an_indicator_without_a_target_is_a_sentence():
    nation = AreaReport.build(EXAMPLE, "england-and-wales", EXAMPLE_AS_OF)
    table, first = nation.indicators()
    assert (first.kind, table.kind) == ("markdown", "table")
    assert first.content.plain.startswith("England and Wales, 2004 (no target set): ")
    assert first.content.plain.endswith(", 5.8%.")


def test_indicators_with_targets_are_charted(glos):
    _table, chart = glos.indicators()
    assert chart.kind == "chart" and chart.content.title == "Performance indicators against target, 2003/04"


def test_a_family_of_one_is_said_not_ranked():
    overview = OverviewReport.build(EXAMPLE, EXAMPLE_AS_OF)
    blocks = overview.inspections()
    assert [b.kind for b in blocks[:2]] == ["table", "markdown"]
    assert "Only Gloucestershire has a scored inspection" in blocks[1].content.body
