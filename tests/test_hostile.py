"""Hostile text in the data renders as literal text in every output (HTML, PDF, XLSX).

tests/data/hostile is tests/data/valid with its text fields replaced by HTML, Markdown,
LaTeX/Typst markup, quotes, emoji, right-to-left text, a spreadsheet formula and a
10,000-character string (the constants below; the CSVs hold exactly these).
"""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser

import openpyxl
import pytest
from pypdf import PdfReader

from analysis.loader import load_dataset
from analysis.report import load
from analysis.spreadsheets import write_area_workbook

from .conftest import DATA, overlay
from .report_builds import ENGINES, shared_build

HOSTILE = DATA / "hostile"
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
MARKDOWN = "**bold** [link](http://x)"
TYPST = r"\textbf{x} #set page(width: 1cm) $x^2$ @ref <label>"
QUOTES = "O'Brien said \"hi\" & \u2018curly\u2019 \u201cquotes\u201d"
EMOJI = "Housing \U0001f3e0 support \U0001f44d"
# Arabic then Hebrew
RTL = "\u0633\u0643\u0646 \u0622\u0645\u0646 \u05d3\u05d9\u05d5\u05e8 \u05d1\u05d8\u05d5\u05d7"
FORMULA = '=HYPERLINK("http://evil","x")'
FORMULA_LIKE = "+1 -2 @SUM(A1)"
LONG = "".join(f"long{i:05d} " for i in range(1000))[:9999] + "!"  # no trailing space (trimmed)
NOTE_REF = "$$c$$"  # gptables' note-reference syntax

# Where each string is in the data and so in the area reports (area-a holds the plan).
IN_AREA_A = {"script": SCRIPT, "img": IMG, "markdown": MARKDOWN, "typst": TYPST, "quotes": QUOTES,
             "emoji": EMOJI, "rtl": RTL, "formula": FORMULA, "formula-like": FORMULA_LIKE,
             "long": LONG}
IN_AREA_B = {"typst": TYPST, "quotes": QUOTES}  # its name


def test_the_dataset_holds_the_hostile_strings():
    dataset = load_dataset(HOSTILE)
    # Its README explains the folder; the loader says it did not read it, and nothing else.
    assert [(p.file, p.rule, p.severity) for p in dataset.problems] == [
        ("README.md", "not-read", "warning")]
    text = "\n".join(str(v) for name in ("areas", "strands", "milestones", "indicators")
                     for v in dataset.table(name).astype(str).to_numpy().ravel())
    for name, value in {**IN_AREA_A, "note": NOTE_REF}.items():
        assert value in text, name
    assert len(LONG) == 10_000 and LONG in set(dataset.table("strands")["title"])


@pytest.fixture(scope="module", params=ENGINES)
def built(tmp_path_factory, request):
    from datetime import date

    result = shared_build(tmp_path_factory, "hostile", HOSTILE, engine=request.param,
                          areas=["area-a", "area-b"], as_of=date(2005, 12, 31), formats=("html", "pdf"),
                          jobs=2)
    return result


def test_build_succeeds(built):
    assert built.ok, [(r.area_id, r.error) for r in built.reports if not r.ok]
    for report in built.reports:
        assert set(report.outputs) == {"html", "pdf", "xlsx"}


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.scripts: list[str] = []  # the body of each <script>
        self.in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self.scripts.append("")
            self.in_script = True

    def handle_endtag(self, tag):
        if tag == "script":
            self.in_script = False

    def handle_data(self, data):
        if self.in_script:
            self.scripts[-1] += data
        else:
            self.text.append(data)


def _html(built, area: str) -> tuple[str, _Page]:
    source = (built.out_dir / area / f"{area}.html").read_text(encoding="utf-8")
    page = _Page()
    page.feed(source)
    return source, page


def _words(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("area", ["area-a", "area-b", "overview"])
def test_html_has_no_live_markup_from_the_data(built, area):
    source, page = _html(built, area)
    assert not [t for t, _ in page.tags if t in ("iframe", "object", "embed")]
    scripts = [attrs for t, attrs in page.tags if t == "script"]
    if built.engine == "builtin":
        assert scripts == []  # the built-in engine writes none, and removes any an output holds
    else:
        # Quarto's own scripts (its page behaviours, embedded): none from the data, no MathJax
        # (data text read as TeX math), no citation (data text read as "@key").
        assert all((attrs.get("src") or "data:").startswith("data:") for attrs in scripts)
        assert not [body for body in page.scripts if "alert(1)" in body or "x^2" in body]
        assert "mathjax" not in source.lower() and "data-cites" not in source
    handlers = [(t, k) for t, attrs in page.tags for k in attrs if k.lower().startswith("on")]
    assert handlers == []
    images = [attrs.get("src") or "" for t, attrs in page.tags if t == "img"]
    assert all(src.startswith("data:image/") for src in images)
    links = [attrs.get("href") or "" for t, attrs in page.tags if t == "a"]
    assert "http://x" not in links and "http://evil" not in links  # Markdown/formula links stay text
    assert not re.search(r"<(?:strong|b)>bold</", source)  # **bold** was not rendered bold
    assert "alert(1)</script>" not in source


@pytest.mark.parametrize(("area", "strings"), [("area-a", IN_AREA_A), ("area-b", IN_AREA_B)])
def test_html_shows_every_string_as_literal_text(built, area, strings):
    source, page = _html(built, area)
    text = _words("".join(page.text))
    missing = [name for name, value in strings.items() if _words(value) not in text]
    assert missing == []
    if area == "area-a":
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in source


def _pdf_text(built, area: str) -> str:
    reader = PdfReader(built.out_dir / area / f"{area}.pdf")
    text = " ".join(page.extract_text() or "" for page in reader.pages)
    # pypdf reads a typographic closing single quote back as "'"; compare quotes loosely.
    return _words(text.replace("\u2019", "'"))


# Glyphs the bundled Typst fonts lack (the PDF engine ignores system fonts for reproducibility).
PDF_NO_GLYPHS = {"emoji"}
# Typst typesets a hyphen-minus before a digit as a minus sign (U+2212): "-2" prints "−2".
PDF_ALTERED = {"formula-like"}


@pytest.mark.parametrize("name", sorted(set(IN_AREA_A) - PDF_NO_GLYPHS - PDF_ALTERED - {"rtl", "long"}))
def test_pdf_shows_the_string_literally(built, name):
    assert _words(IN_AREA_A[name]).replace("\u2019", "'") in _pdf_text(built, "area-a")


def test_pdf_shows_right_to_left_words(built):
    # Text extraction returns RTL runs in visual order: check each word is there.
    text = _pdf_text(built, "area-a")
    assert [word for word in RTL.split() if word not in text] == []


def test_pdf_shows_the_visible_part_of_the_long_string(built):
    text = _pdf_text(built, "area-a")
    assert LONG[:200] in text
    assert "long00999!" in text  # the whole table cell is typeset, over several pages


def test_pdf_shows_area_b_name(built):
    text = _pdf_text(built, "area-b")
    assert _words(TYPST) in text and _words(QUOTES).replace("\u2019", "'") in text


@pytest.mark.xfail(strict=True, reason="the bundled Typst fonts have no emoji glyphs: the PDF "
                                       "shows tofu for them (rendering limitation, not a leak)")
def test_pdf_shows_emoji(built):
    assert _words(EMOJI) in _pdf_text(built, "area-a")


def test_pdf_keeps_hyphen_before_a_digit(built):
    # Typst once set '-2' as a minus sign; since issue 12's PDF template the data text is
    # found as typed (this was a strict expected failure, and began to pass).
    assert FORMULA_LIKE in _pdf_text(built, "area-a")


def test_hostile_text_stays_text_in_the_workbook(tmp_path):
    dataset, results = load(HOSTILE, as_of="2005-12-31")
    path = write_area_workbook(results, dataset, "area-a", tmp_path)
    wb = openpyxl.load_workbook(path)
    cells = [(ws.title, c) for ws in wb.worksheets for row in ws.iter_rows() for c in row
             if c.value is not None]
    assert not [c.coordinate for _, c in cells if c.data_type == "f"]
    assert not [(t, c.coordinate) for t, c in cells if c.hyperlink is not None and t != "Contents"]
    text = {c.value for _, c in cells if isinstance(c.value, str)}
    assert FORMULA in text and LONG in text and FORMULA_LIKE in text
    assert f"Treatment {SCRIPT} {IMG} {EMOJI} {NOTE_REF}" in text  # no note reference made of it
    assert any(RTL in v for v in text) and any(MARKDOWN in v for v in text)
    cover = " ".join(str(c.value) for _, c in cells if _ == "Cover")
    assert f"Area {SCRIPT} {IMG}" in cover


@pytest.mark.parametrize("case", ["bad-slug-dotdot", "bad-slug-slash", "bad-slug-device",
                                  "bad-slug-lower-device", "bad-slug-leading-dot"])
def test_ids_unsafe_as_file_names_are_refused(tmp_path, case):
    data = tmp_path / "data"
    shutil.copytree(HOSTILE, data)
    overlay(data, DATA / "bad" / case)
    dataset = load_dataset(data)
    assert [(p.file, p.column, p.rule) for p in dataset.errors] == [("areas.csv", "area_id", "slug")]
