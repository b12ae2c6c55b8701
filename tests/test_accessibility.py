"""Accessibility of the built reports: document structure (WCAG 2.2 AA, GOV.UK practice) and chart colours.

One example build (three areas and the overview) is shared with the other output tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest

from analysis import charts

from .report_builds import ENGINES, example_build

# A URL that would fetch something: http(s) or protocol-relative, in a resource attribute or CSS.
_REMOTE = re.compile(r"^\s*(?:https?:)?//", re.IGNORECASE)
_RESOURCE_ATTRS = {"src", "srcset", "href", "data", "poster", "action", "formaction"}


@dataclass
class Page:
    """What the accessibility checks need from one HTML page."""

    lang: str | None = None
    headings: list[tuple[int, str]] = field(default_factory=list)
    images: list[dict[str, str | None]] = field(default_factory=list)
    tables: list[dict[str, int]] = field(default_factory=list)
    remote: list[str] = field(default_factory=list)


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self._heading: tuple[int, list[str]] | None = None
        self._tables: list[dict[str, int]] = []
        self._style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "html":
            self.page.lang = values.get("lang")
        elif re.fullmatch(r"h[1-6]", tag):
            self._heading = (int(tag[1]), [])
        elif tag == "img":
            self.page.images.append(values)
        elif tag == "table":
            self._tables.append({"th": 0, "td": 0})
        elif tag in ("th", "td") and self._tables:
            self._tables[-1][tag] += 1
        elif tag == "style":
            self._style = True
        for name, value in attrs:
            # A link (<a href>) to another site is not a resource the page loads.
            if tag != "a" and name in _RESOURCE_ATTRS and value and _REMOTE.match(value):
                self.page.remote.append(f"<{tag} {name}={value[:80]}>")
            if name == "style" and value and re.search(r"url\(\s*['\"]?\s*(?:https?:)?//", value):
                self.page.remote.append(f"<{tag} style=... url(...)>")

    def handle_endtag(self, tag: str) -> None:
        if self._heading and tag == f"h{self._heading[0]}":
            level, words = self._heading
            self.page.headings.append((level, " ".join("".join(words).split())))
            self._heading = None
        elif tag == "table" and self._tables:
            self.page.tables.append(self._tables.pop())
        elif tag == "style":
            self._style = False

    def handle_data(self, data: str) -> None:
        if self._heading:
            self._heading[1].append(data)
        if self._style and re.search(r"url\(\s*['\"]?\s*(?:https?:)?//|@import", data, re.IGNORECASE):
            self.page.remote.append("<style> with a remote url() or @import")


def parse(path: Path) -> Page:
    parser = _Parser()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return parser.page


@pytest.fixture(scope="module", params=ENGINES)
def built(tmp_path_factory, request):
    result = example_build(tmp_path_factory, request.param)
    assert result.ok, [r.error for r in result.reports if not r.ok]
    return result


@pytest.fixture(scope="module")
def pages(built) -> dict[str, Page]:
    """Every HTML page of the build, by name relative to the output folder."""
    found = {path.relative_to(built.out_dir).as_posix(): parse(path)
             for path in sorted(built.out_dir.rglob("*.html"))}
    assert "index.html" in found
    assert {f"{a}/{a}.html" for a in ("gloucestershire", "derby", "plymouth", "overview")} <= set(found)
    return found


def test_every_page_declares_british_english(pages):
    assert {name: page.lang for name, page in pages.items() if page.lang != "en-GB"} == {}


def test_every_page_has_exactly_one_h1(pages):
    counts = {name: sum(1 for level, _ in page.headings if level == 1) for name, page in pages.items()}
    assert {name: n for name, n in counts.items() if n != 1} == {}


def test_headings_start_at_h1_and_never_skip_a_level(pages):
    problems = []
    for name, page in pages.items():
        levels = [level for level, _ in page.headings]
        if not levels or levels[0] != 1:
            problems.append((name, "does not start with h1", levels[:3]))
        for (before, _), (after, text) in zip(page.headings, page.headings[1:], strict=False):
            if after > before + 1:
                problems.append((name, f"h{before} -> h{after}", text))
    assert problems == []


def test_headings_have_text(pages):
    assert [(name, level) for name, page in pages.items() for level, text in page.headings if not text] == []


def test_every_image_has_alt_text(pages):
    missing = [(name, (img.get("src") or "")[:40]) for name, page in pages.items()
               for img in page.images if not (img.get("alt") or "").strip()]
    assert missing == []
    # The area reports do show charts (so the check above is not vacuous).
    assert all(pages[f"{a}/{a}.html"].images for a in ("gloucestershire", "overview"))


def test_every_table_has_header_cells(pages):
    headless = [(name, i) for name, page in pages.items() for i, table in enumerate(page.tables)
                if table["th"] == 0]
    assert headless == []
    assert pages["gloucestershire/gloucestershire.html"].tables  # tables were found


def test_no_page_loads_anything_from_the_network(pages):
    assert {name: page.remote for name, page in pages.items() if page.remote} == {}


def test_index_lists_each_report_in_a_captioned_table(built):
    text = built.index.read_text(encoding="utf-8")
    page = parse(built.index)
    assert [level for level, _ in page.headings][0] == 1
    assert "<caption>" in text and 'scope="col"' in text and 'scope="row"' in text
    for area in ("gloucestershire", "derby", "plymouth"):
        assert f'href="{area}/{area}.html"' in text


# ---------------------------------------------------------------------------------------------
# Chart colours against the white background: WCAG 2.2 SC 1.4.11 non-text contrast >= 3:1


def relative_luminance(colour: str) -> float:
    """WCAG relative luminance of an sRGB hex colour."""
    value = colour.lstrip("#")
    channels = [int(value[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str = "#FFFFFF") -> float:
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_contrast_formula_matches_known_values():
    assert contrast("#000000") == pytest.approx(21.0)
    assert contrast("#FFFFFF") == pytest.approx(1.0)
    assert contrast("#767676") == pytest.approx(4.54, abs=0.01)


# Colours charts.py uses for data marks on their own: bars, lines, points.
MAIN_COLOURS = {
    "dark blue": charts._DARK_BLUE,
    "turquoise": charts._TURQUOISE,
    "dark pink": charts._DARK_PINK,
    "orange": charts._ORANGE,
    "dark grey": charts._DARK_GREY,
    "purple": charts._PURPLE,
}


@pytest.mark.parametrize("name", sorted(MAIN_COLOURS))
def test_data_colours_reach_3_to_1_against_white(name):
    colour = MAIN_COLOURS[name]
    assert contrast(colour) >= 3.0, f"{name} {colour}: {contrast(colour):.2f}:1"


def test_colours_below_3_to_1_are_only_ever_a_second_encoding():
    """These fail 3:1 against white and are known; each is used only with a second encoding.

    - focus grey #BFBFBF (1.84:1): the "(no lead)" bar (its count is printed beside it), the
      XmR line joining points (the points are dark grey), other areas' funnel points (dark
      grey edge), the NI 18 predicted-target range (end points dark blue and orange) and the
      no-target indicator bar (hatched, value and "No target" printed);
    - the two lightest sequential blues (#6BACE6 2.42:1, #ADD1F1 1.59:1): coverage heatmap
      cells, each labelled with its number of strands (gaps hatched and labelled "gap").
    Should any of them become a main data colour, move it into MAIN_COLOURS and this fails.
    """
    weak = {"focus grey": charts._GREY, **{f"sequential {c}": c for c in charts._SEQUENTIAL
                                            if contrast(c) < 3.0}}
    assert {name: round(contrast(c), 2) for name, c in weak.items()} == {
        "focus grey": 1.84, "sequential #6BACE6": 2.42, "sequential #ADD1F1": 1.59}
    assert not set(weak.values()) & set(MAIN_COLOURS.values())
