"""What every chart shares: the Chart, the afcharts style at print size, display and PNG output."""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import matplotlib as mpl
import matplotlib.pyplot as plt
from afcharts.af_colours import get_af_colours
from matplotlib.figure import Figure
from matplotlib.text import Text

from ..figures import figure_bundle
from ..labels import cohort_words
from ..labels import markdown_text as _md
from .words import Words

__all__ = ["DPI", "HEIGHT", "MAX_HEIGHT", "MIN_FONT_PT", "TEXT_WIDTH_MM", "WIDTH", "Chart", "show", "to_png"]

# Analysis Function categorical palette (colour-blind safe in this order) and the focus grey.
DARK_BLUE, TURQUOISE, DARK_PINK, ORANGE, DARK_GREY, PURPLE = get_af_colours("categorical")
GREY = get_af_colours("focus")[1]
SEQUENTIAL = get_af_colours("sequential", number_of_colours=5)

#: The PDF's text width: A4 (210 mm) less its 2 cm side margins (templates/typst/workbook.typ).
#: A chart drawn this wide is printed at its own size, so a 9 pt label prints at 9 pt.
TEXT_WIDTH_MM = 170.0
WIDTH = TEXT_WIDTH_MM / 25.4  # inches
HEIGHT = 4.0
#: The tallest chart: with its title, caption and source it fits on a page below a heading and
#: a long introduction (a page's text is 250 mm, 9.8 in, high), so the three stay together.
MAX_HEIGHT = 6.2
DPI = 150
#: The smallest text a chart may print (at the PDF's text width).
MIN_FONT_PT = 8.0
_RC = {
    "font.size": 10,
    "axes.titlesize": 10,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "figure.dpi": 100,
    "savefig.dpi": DPI,
    "text.parse_math": False,  # data text with "$" must print as written
    "hatch.linewidth": 0.8,
    "svg.hashsalt": "workbook",
}
#: Annotation text inside a chart (values beside bars, notes).
NOTE_PT = 9


@dataclass(frozen=True)
class Chart:
    """A finished chart: the figure plus the words a report prints around it."""

    figure: Figure
    title: str
    caption: str
    alt: str
    source: str


@contextmanager
def style() -> Iterator[None]:
    """afcharts style with print-sized fonts, for this block only (global rcParams untouched)."""
    with plt.style.context("afcharts.afcharts"), mpl.rc_context(_RC):
        yield


def figure(height: float = HEIGHT, width: float = WIDTH) -> Figure:
    """A bare Figure, the PDF's text width wide and at most MAX_HEIGHT high."""
    # A bare Figure is not registered with pyplot: nothing to close, no inline auto-display.
    return Figure(figsize=(width, min(height, MAX_HEIGHT)), layout="constrained")


def finish(fig: Figure, words: Words, source: str) -> Chart:
    """Lay the figure out inside the style and make every text literal (no mathtext)."""
    with style():
        fig.draw_without_rendering()
    for text in fig.findobj(Text):
        text.set_parse_math(False)
    return Chart(figure=fig, title=words.title, caption=words.caption, alt=words.alt, source=source)


def score_axis(ax: mpl.axes.Axes, label: str) -> None:
    """A 0-100 x axis gridded every 20: every inspection score and percentage on one scale."""
    ax.set_xlim(0, 100)
    ax.set_xticks(range(0, 101, 20))
    ax.set_xlabel(label)
    grid_x(ax)


def grid_x(ax: mpl.axes.Axes) -> None:
    """Vertical grid lines only, with the left spine as the bars' base line."""
    ax.grid(False)
    ax.grid(True, axis="x")
    ax.spines["left"].set_visible(True)
    ax.spines["bottom"].set_visible(False)


def xticks_cohorts(ax: mpl.axes.Axes, labels: Sequence[str]) -> None:
    """Cohort labels on the x axis, as a reader says them (labels.cohort_words), slanted when
    there are many."""
    labels = [cohort_words(label) for label in labels]
    ax.set_xticks(range(len(labels)), labels)
    if len(labels) > 6:
        ax.tick_params(axis="x", labelrotation=45)
        for label in ax.get_xticklabels():
            label.set_horizontalalignment("right")
            label.set_rotation_mode("anchor")


# --------------------------------------------------------------------------- notebook display


def to_png(chart: Chart, dpi: int = DPI) -> bytes:
    """The chart as PNG bytes, drawn in the chart style, with no timestamp or software tag."""
    buffer = io.BytesIO()
    with style():
        chart.figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


def show(chart: Chart | None, *, empty: str = "There are no data for this chart.") -> None:
    """Display a chart in a notebook: title and caption, the PNG with its alt text, the source.

    The SVG and PNG go out with ``metadata={mime: {"alt": ...}}`` (analysis.figures),
    its text/plain form is the alt text itself, and the figure is closed, so no
    ``<Figure size ...>`` text appears and every text output is deterministic (nbval).
    ``None`` (a chart function's answer to empty input) prints the ``empty`` sentence.
    """
    from IPython.display import Markdown, display

    if chart is None:
        display(Markdown(_md(empty)))
        return
    display(Markdown(f"**{_md(chart.title)}**\n\n{_md(chart.caption)}"))
    with style():  # SVG (for the PDF) beside the PNG (for the HTML), alt text on both
        data, metadata = figure_bundle(chart.figure, chart.alt, dpi=DPI)
    display(data, raw=True, metadata=metadata)
    display(Markdown(f"*{_md(chart.source)}*"))
    plt.close(chart.figure)
