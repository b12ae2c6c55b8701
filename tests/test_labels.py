"""Labels: dates and counts as the reports write them."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from analysis.labels import long_date, plural, short_date


def test_dates_have_no_leading_zero_in_the_day():
    assert long_date(date(2005, 12, 5)) == "5 December 2005"
    assert long_date(pd.Timestamp("2006-01-31")) == "31 January 2006"
    assert short_date(date(2005, 3, 1)) == "1 Mar 2005"
    assert short_date(pd.Timestamp("2006-10-12")) == "12 Oct 2006"


def test_plural():
    assert plural(1, "strand") == "1 strand"
    assert plural(0, "strand") == "0 strands"
    assert plural(3, "cohort is", "cohorts are") == "3 cohorts are"


def test_measures_in_words_never_codes():
    from analysis.labels import measure_label

    # The ESI's own words for its reconviction measure; the National Indicators as the East
    # Midlands plan names them; an unknown code read word by word.
    assert measure_label("community-order-reconviction-2yr") == \
        "two-year reconviction rate for community orders"
    assert measure_label("NI18").startswith("NI 18, adult reoffending")
    assert measure_label("adult-proven-2yr") == "adult proven two-year"
    assert measure_label("ni40") == "NI 40"
    assert measure_label(None) == ""


def test_inspections_by_kind_and_month():
    from analysis.labels import inspection_when

    full = pd.Series({"kind": "full", "published": pd.Timestamp("2005-01-01"),
                      "published_as_printed": None})
    assert inspection_when(full) == "full inspection, January 2005"
    printed = full.copy()
    printed["kind"], printed["published_as_printed"] = "thematic", "Spring 2005"
    assert inspection_when(printed) == "thematic inspection, Spring 2005"


# What data has held or could hold: markup of each kind the reports' readers know.
_HOSTILE_TEXT = [
    r"\textbf{x} #set page(width: 1cm) $x^2$ @ref <label>",
    "<script>alert(1)</script> **bold** [link](http://x) ~sub~ ^sup^ ==mark== [@cite]",
    "O'Brien said \"hi\" & 1. not a list - nor this | a | table | {#id .class} :::",
    "5 * 3 = 15 < 20 > 10 _under_ `code` ![img](x.png) <http://auto.link> &amp; &#64;",
    "::: {.callout-warning} a fenced div :::",
    ": a definition",
]


def _html_text(markup: str) -> str:
    from html.parser import HTMLParser

    class _Text(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.parts: list[str] = []
            self.tags: list[str] = []

        def handle_starttag(self, tag, attrs):
            self.tags.append(tag)

        def handle_data(self, data):
            self.parts.append(data)

    parser = _Text()
    parser.feed(markup)
    return " ".join("".join(parser.parts).split()), [t for t in parser.tags if t != "p"]


@pytest.mark.parametrize("value", _HOSTILE_TEXT)
def test_markdown_text_reads_back_as_the_data_in_both_engines_readers(value):
    import pypandoc
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    from analysis.labels import markdown_text

    escaped = markdown_text(value)
    # The built-in engine's reader (nbconvert's mistune, with its TeX-math rule) ...
    assert _html_text(markdown2html_mistune(escaped)) == (value, [])
    # ... and Quarto's (Pandoc's own Markdown, every default extension on: citations, TeX math).
    pandoc = pypandoc.convert_text(escaped, "html", format="markdown", extra_args=["--wrap=none"])
    assert _html_text(pandoc) == (value, [])


def test_markdown_text_flattens_whitespace_and_keeps_missing_empty():
    from analysis.labels import markdown_text

    assert markdown_text("a\n\n- b\n# c") == r"a \- b \# c"
    assert markdown_text(None) == "" and markdown_text(float("nan")) == ""
    assert markdown_text(12) == "12"


def test_a_rolling_cohort_is_said_as_the_moj_prints_it_and_other_keys_are_left_alone():
    from analysis.labels import cohort_words

    assert cohort_words("2022-07/2023-06") == "Jul 2022 to Jun 2023"
    assert [cohort_words(k) for k in ("2009-Q1", "2009/10", "2009", "2020-Q5")] == [
        "2009-Q1", "2009/10", "2009", "2020-Q5"]
