"""Tests for analysis.figures: a figure as SVG (text as text, in the PDF's body font) and PNG."""

from __future__ import annotations

import base64
import re

import pytest

from analysis import figures, render
from analysis.alttext import ALT_KEY

ALT = "Bar chart of strands by pathway"


def _figure():
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4, 2))
    ax = fig.add_subplot()
    ax.barh(["Accommodation", "Health"], [3, 5])
    ax.set_title("Strands\nby pathway")
    return fig


def test_bundle_holds_svg_and_png_with_the_alt_text_on_both() -> None:
    data, metadata = figures.figure_bundle(_figure(), ALT, dpi=50)
    assert set(data) == {figures.SVG, figures.PNG, "text/plain"}
    assert data["text/plain"] == f"[Chart: {ALT}]"
    assert metadata == {figures.SVG: {ALT_KEY: ALT}, figures.PNG: {ALT_KEY: ALT}}
    assert base64.b64decode(data[figures.PNG]).startswith(b"\x89PNG")
    svg = data[figures.SVG]
    # Text stays text, naming the PDF's body font first; each line of a two-line title is its own.
    assert re.search(r"<text\b[^>]*>Accommodation</text>", svg)
    assert re.search(r"<text\b[^>]*>Strands</text>", svg) and re.search(r">by pathway</text>", svg)
    families = set(re.findall(r"font-family: ([^;\"]+)", svg))
    assert families and all(f.startswith(f"'{figures.PRINT_FONT}'") for f in families)
    assert "<dc:date>" not in svg


def test_bundle_is_the_same_bytes_for_the_same_figure() -> None:
    assert figures.figure_bundle(_figure(), ALT) == figures.figure_bundle(_figure(), ALT)


def test_print_font_is_the_pdf_body_font() -> None:
    template = (render._TEMPLATES / "typst" / "workbook.typ").read_text(encoding="utf-8")
    assert f'#set text(lang: "en", region: "GB", font: "{figures.PRINT_FONT}"' in template


def test_a_sign_the_metric_font_lacks_prints_no_warning_into_the_report() -> None:
    # The indicator chart's "✗ not met" made matplotlib warn "Glyph 10007 missing from font
    # STIXGeneral" while laying out the SVG, and the warning was printed in the published report.
    import warnings

    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4, 2))
    fig.add_subplot().set_title("\u2717 Not met")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data, _ = figures.figure_bundle(fig, ALT)
    assert "\u2717 Not met" in data[figures.SVG]  # kept as text, for Typst's fonts to set
