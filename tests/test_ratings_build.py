"""A youth justice and a PDU inspection build into their reports and spreadsheets (end to end).

tests/data/ratings holds three youth justice services and two PDUs; the expected figures are
the hand sums of tests/test_ratings.py.
"""

from __future__ import annotations

import html
import re
from datetime import date

import openpyxl
import pytest

from .conftest import DATA
from .report_builds import shared_build
from .test_spreadsheets import table_rows

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    result = shared_build(tmp_path_factory, "ratings", DATA / "ratings", areas=["yjs-b", "pdu-a"],
                          formats=("html", "pdf"), as_of=date(2025, 1, 1))
    return result.out_dir


def _text(path) -> str:
    page = path.read_text(encoding="utf-8")
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_every_report_of_the_rated_scenario_builds(built):
    for area in ("yjs-b", "pdu-a", "overview"):
        assert (built / area / f"{area}.html").is_file() and (built / area / f"{area}.pdf").is_file()


def test_youth_report_gives_the_band_and_labels_it_provisional(built):
    page = _text(built / "yjs-b" / "yjs-b.html")
    # Six Outstanding and six Good: 18 + 12 = 30, banded Good with no published 30 to confirm it.
    assert ("Good overall, the workbook's band for the 30 of 36 points of An inspection of youth "
            "justice services in Youth Service B") in page
    assert "The band is provisional" in page
    assert "How a youth justice total becomes an overall rating" in page
    assert "Provisional" in page and "Verified" in page


def test_youth_spreadsheet_carries_total_band_and_its_status(built):
    wb = openpyxl.load_workbook(built / "yjs-b" / "yjs-b-tables.xlsx")
    rated = table_rows(wb["Inspection_ratings"]).iloc[0]
    assert rated["Workbook total (rating points)"] == 30 and rated["Overall rating"] == "Good"
    assert rated["Band for this total"] == "provisional"
    assert rated["Overall rating from"] == "banded from the total"
    standards = table_rows(wb["Inspection_standards"]).set_index("Standard or key question")
    assert standards.loc["1.1", "Rating"] == "Outstanding" and standards.loc["1.1", "Rating points"] == 3
    assert standards.loc["4.1", "Counts towards total"] == "No"


def test_pdu_report_and_spreadsheet_show_ratings_and_cases_sufficient(built):
    page = _text(built / "pdu-a" / "pdu-a.html")
    assert "Rated Requires improvement overall" in page and "Up from Inadequate" in page
    # 2.1.1 in 2024: 72% sufficient, 62% in 2022 (+10 points).
    assert "72% sufficient" in page and "62% sufficient (up 10 percentage points)" in page
    assert "Cases sufficient by key question" in page
    wb = openpyxl.load_workbook(built / "pdu-a" / "pdu-a-tables.xlsx")
    standards = table_rows(wb["Inspection_standards"])
    latest = standards[standards["Inspection ID"] == "pdu-a-2024"].set_index("Standard or key question")
    assert latest.loc["2.1.1", "Cases sufficient (%)"] == 72
    assert latest.loc["2.2", "Rating"] == "Good"
    change = table_rows(wb["Rating_change"]).set_index("Standard or key question")
    assert change.loc["2.4.3", "Change (percentage points)"] == 17  # 30% to 47%


def test_overview_names_the_areas_below_good(built):
    page = _text(built / "overview" / "overview.html")
    assert "Inspection ratings:" in page
    assert "Delivery Unit A (Requires improvement)" in page


def test_rated_reports_keep_the_accessibility_structure(built):
    from .test_accessibility import parse

    pages = {p.relative_to(built).as_posix(): parse(p) for p in sorted(built.rglob("*.html"))}
    problems = []
    for name, page in pages.items():
        levels = [level for level, _ in page.headings]
        if page.lang != "en-GB" or levels.count(1) != 1 or not levels or levels[0] != 1:
            problems.append((name, page.lang, levels[:3]))
        problems += [(name, f"h{a} -> h{b}") for a, b in zip(levels, levels[1:], strict=False) if b > a + 1]
        problems += [(name, "image without alt") for img in page.images if not (img.get("alt") or "").strip()]
        problems += [(name, "table without th") for table in page.tables if table["th"] == 0]
        problems += [(name, "remote", url) for url in page.remote]
    assert problems == []
    # The PDU's key-question chart is an image with its alt text.
    assert any("key question" in (img.get("alt") or "") for img in pages["pdu-a/pdu-a.html"].images)


def test_a_youth_report_has_no_empty_chart_placeholder(built):
    # A youth justice inspection has no key-question figures: no chart, and no "No data" line.
    page = _text(built / "yjs-b" / "yjs-b.html")
    start = page.index("Ratings by standard")
    inspection = page[start:page.index("Inspection recommendations", start)]
    assert "How a youth justice total becomes an overall rating" in inspection
    assert "No data for this chart or table" not in inspection


def test_an_inspection_with_only_its_overall_rating_says_so(tmp_path):
    import shutil

    from analysis.build import build

    data = tmp_path / "data"
    shutil.copytree(DATA / "ratings", data)
    scores = data / "inspection_scores.csv"
    lines = scores.read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if not line.startswith("pdu-b-2024,") or ",overall," in line]
    scores.write_text("\n".join(kept) + "\n", encoding="utf-8")
    result = build(data, tmp_path / "out", areas=["pdu-b"], formats=("html",), progress=False,
                   as_of=date(2025, 1, 1))
    assert result.ok
    page = _text(tmp_path / "out" / "pdu-b" / "pdu-b.html")
    assert "The data give this inspection's overall rating only, not its standards' ratings." in page
    start = page.index("The data give this inspection's overall rating only")
    section = page[start:page.index("Inspection recommendations", start)]
    assert "No data for this chart or table" not in section
