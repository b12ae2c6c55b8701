"""Page layout of the example PDFs as a board member turns the pages (issue 12, part 5).

No page but the last is less than a third full, and no page ends with a heading whose section
starts overleaf. A page's fill is how far down its text area (A4 less the template's 22 mm top
and 25 mm bottom margins, the footer outside it) the lowest mark reaches, measured on the page
drawn by poppler's pdftoppm at low resolution.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pypdf
import pytest
from PIL import Image

from .report_builds import EXAMPLE_AREAS, example_build

A4_HEIGHT_MM, TOP_MM, BOTTOM_MM = 297.0, 22.0, 25.0  # templates/typst/workbook.typ
DPI = 24
INK = 200  # a grey darker than this is a mark (table rules are lighter than text)
REPORTS = [*EXAMPLE_AREAS, "overview"]


def page_fills(pdf: Path, work: Path) -> list[float]:
    """How far down its text area each page's lowest mark is: 0 (blank) to 1 (full)."""
    subprocess.run(["pdftoppm", "-gray", "-r", str(DPI), "-png", str(pdf), str(work / "page")], check=True)
    fills = []
    for png in sorted(work.glob("page-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1])):
        with Image.open(png) as image:
            grey = image.convert("L")
        width, height = grey.size
        top = round(height * TOP_MM / A4_HEIGHT_MM)
        bottom = round(height * (A4_HEIGHT_MM - BOTTOM_MM) / A4_HEIGHT_MM)
        marks = grey.crop((0, top, width, bottom)).point(lambda v: 255 if v < INK else 0).getbbox()
        fills.append(0.0 if marks is None else marks[3] / (bottom - top))
    return fills


def headings_ending_pages(pdf: Path) -> list[tuple[int, str]]:
    """(page number, heading) for every outline heading that is the last line of its page."""
    reader = pypdf.PdfReader(pdf)
    entries: list[tuple[int, str]] = []

    def walk(items: list) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                entries.append((reader.get_destination_page_number(item), str(item.title).strip()))

    walk(reader.outline)
    ending = []
    for number, title in entries:
        lines = [line.strip() for line in reader.pages[number].extract_text().splitlines() if line.strip()]
        body = [line for line in lines if not line.endswith(f"of {len(reader.pages)}")]  # the footer
        if body and body[-1] == title:
            ending.append((number + 1, title))
    return ending


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    if shutil.which("pdftoppm") is None:
        pytest.skip("poppler's pdftoppm is not installed (Debian: poppler-utils)")
    result = example_build(tmp_path_factory)
    assert result.ok
    return result.out_dir


@pytest.mark.parametrize("report", REPORTS)
def test_no_page_but_the_last_is_less_than_a_third_full(built: Path, report: str, tmp_path: Path) -> None:
    fills = page_fills(built / report / f"{report}.pdf", tmp_path)
    thin = {page: round(fill, 2) for page, fill in enumerate(fills[:-1], start=1) if fill < 1 / 3}
    assert thin == {}, f"{report}: pages less than a third full: {thin}"


@pytest.mark.parametrize("report", REPORTS)
def test_no_page_ends_with_a_heading(built: Path, report: str) -> None:
    assert headings_ending_pages(built / report / f"{report}.pdf") == []


def test_the_fill_measure_sees_a_blank_and_a_full_page(tmp_path: Path) -> None:
    # Hand-made pages: white, then one with a black band ending halfway down the text area.
    if shutil.which("pdftoppm") is None:
        pytest.skip("poppler's pdftoppm is not installed (Debian: poppler-utils)")
    width, height = 595, 842  # A4 in points
    blank = Image.new("L", (width, height), 255)
    half = blank.copy()
    top = round(height * TOP_MM / A4_HEIGHT_MM)
    middle = top + round(height * (A4_HEIGHT_MM - TOP_MM - BOTTOM_MM) / A4_HEIGHT_MM / 2)
    half.paste(0, (100, top + 10, 400, middle))
    pdf = tmp_path / "pages.pdf"
    blank.save(pdf, save_all=True, append_images=[half], resolution=72)
    work = tmp_path / "work"
    work.mkdir()
    fills = page_fills(pdf, work)
    assert fills[0] == 0.0
    assert fills[1] == pytest.approx(0.5, abs=0.03)
