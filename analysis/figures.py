"""A finished matplotlib figure as a notebook display bundle: SVG for print, PNG for screen, alt text."""

from __future__ import annotations

import base64
import io
import warnings
from typing import Any

import matplotlib as mpl
from matplotlib.figure import Figure

from .alttext import alt_text_metadata

__all__ = ["PRINT_FONT", "SVG", "PNG", "figure_bundle"]

PNG = "image/png"
SVG = "image/svg+xml"
#: The PDF's body font (analysis/templates/typst/workbook.typ). SVG text names it first, so Typst
#: sets chart text in the body's family.
PRINT_FONT = "Libertinus Serif"
#: matplotlib lacks the print font, so the SVG is laid out with the metrics of one it ships whose
#: widths are close (a Times design, as Libertinus): a line of several, placed by its left end,
#: then ends within a few per cent of where matplotlib meant it to.
_METRIC_FONT = "STIXGeneral"


def figure_bundle(figure: Figure, alt: str, *, dpi: int = 150) -> tuple[dict[str, str], dict[str, Any]]:
    """(data, metadata) for ``display(data, raw=True, metadata=metadata)``: the figure as SVG and PNG.

    The SVG keeps text as text (``svg.fonttype = "none"``), naming `PRINT_FONT` first, so the
    PDF shows charts as vectors in the body's font; the PNG (for the one-file HTML) is drawn at
    ``dpi``. Neither carries a date or software tag, and the SVG's ids are salted by a fixed
    ``svg.hashsalt`` (the style's, else this module's), so the same figure gives the same bytes.
    Both mime types carry the alt text in their metadata (analysis.alttext); ``text/plain`` is
    the alt text itself. Call it inside the chart style's rc context: the figure is saved with
    the rcParams in force.
    """
    png = io.BytesIO()
    figure.savefig(png, format="png", dpi=dpi, metadata={"Software": None})
    svg = io.BytesIO()
    # A generic family (sans-serif in the afcharts style) is expanded at draw time, so the figure
    # is laid out again (constrained layout) with the metric font alone: the same layout on every
    # machine, whatever fonts it has (nbval compares SVG outputs). The print font is then named
    # before it, for Typst to use.
    rc = {"svg.fonttype": "none", "font.sans-serif": [_METRIC_FONT], "font.serif": [_METRIC_FONT],
          # ids in the SVG are hashes salted with this: fixed, the same figure gives the same text
          "svg.hashsalt": mpl.rcParams["svg.hashsalt"] or "analysis.figures"}
    with mpl.rc_context(rc), warnings.catch_warnings():
        # A sign the metric font lacks (the ✗ of "not met") is only measured with another's
        # widths here; the text stays text, and Typst sets it from a font that has it. The
        # warning was printed into the published report.
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font", category=UserWarning)
        figure.savefig(svg, format="svg", metadata={"Date": None, "Creator": None})
    named = svg.getvalue().decode("utf-8").replace(
        f"font-family: '{_METRIC_FONT}'", f"font-family: '{PRINT_FONT}', '{_METRIC_FONT}'")
    data = {
        SVG: named,
        PNG: base64.b64encode(png.getvalue()).decode("ascii"),
        "text/plain": f"[Chart: {alt}]",
    }
    metadata = {**alt_text_metadata(alt, SVG), **alt_text_metadata(alt, PNG)}
    return data, metadata
