"""What a report's sections are made of: escaped text, blocks, the section record and the display."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from . import __version__, asof
from .disclosure import DEFAULT_THRESHOLD, MARKER
from .glossary import terms_used, texts_of
from .labels import long_date, markdown_plain, markdown_text
from .loader import Dataset
from .methods import Methods

__all__ = ["Block", "Markdown", "ages_blocks", "area_names", "glossary_blocks", "methods_note",
           "parameters_note", "section", "show", "text", "texts"]

def text(value: object) -> str:
    """Data as literal text inside Markdown, for either engine's reader (``labels.markdown_text``)."""
    return markdown_text(value)


@dataclass
class Markdown:
    """A block of report text (already escaped where it holds data)."""

    body: str

    @property
    def plain(self) -> str:
        """The body as its reader sees the words: backslash escapes and HTML entities undone."""
        return markdown_plain(self.body)


@dataclass
class Block:
    """One piece of a report section: text, a table (great-tables) or a chart."""

    kind: str  # "markdown", "table" or "chart"
    content: object


def parameters_note(*, data_dir: str | Path = "", as_of: str | date | None = None,
                    threshold: int = DEFAULT_THRESHOLD, area_id: str = "", area_name: str = "",
                    region: str = "", region_name: str = "", snapshot: str | Path = "",
                    area_dates: bool = False) -> Markdown:
    """What made the report, in words: its as-of date, what it covers, the disclosure threshold,
    the data folder and the package version (deterministic: no clock), and the accessible
    spreadsheet `workbook build` publishes beside it. No parameter is named: a board member
    reads what each one means. ``snapshot`` is where the figures were read from, not what they
    are, so it is not mentioned."""
    from .spreadsheets import OVERVIEW_FILE, area_workbook_name

    when = date.fromisoformat(as_of) if isinstance(as_of, str) and as_of else as_of
    sentences = [f"Figures are as of {long_date(when)}" if when else
                 "Figures are as of the day the report was built"]
    if area_id:
        sentences[-1] += f", for {text(area_name)}" if area_name else ""
    elif region:
        sentences[-1] += f", for {text(region_name or 'one region')} and the areas in it"
    else:
        sentences[-1] += ", for every area in the data"
    if area_dates:
        sentences[-1] = sentences[-1].replace("Figures are", "The overview is", 1)
        sentences.append("Each area's figures in it are as of that area's own report's date (the "
                         "date its action plan's progress speaks for), so they match its report")
    sentences.append(f"Counts of fewer than {int(threshold)} people, and figures that would let "
                     f"such a count be worked out, are withheld and marked {text(MARKER)}")
    made = f"made by reoffending-workbook {text(__version__)}"
    sentences.append(f"Data folder \u2018{text(Path(data_dir).name)}\u2019; {made}" if data_dir
                     else made.capitalize())
    # area_id is a validated slug, so the file name is safe in a link; the link's words say what
    # it is, not the file's name.
    workbook = area_workbook_name(str(area_id)) if area_id else OVERVIEW_FILE
    return Markdown(". ".join(sentences) + ".\n\nEvery table behind this report's charts is "
                    "published beside it as an accessible spreadsheet: "
                    f"[the report's tables (Excel)]({workbook}).")


def methods_note(methods: Methods, shown: set[str] | None = None) -> list[Block]:
    """The report's method note: each kind of figure the statistical options decide that the
    report shows (``shown``: names from `Methods.describe`; None: all), the method that made it
    and its source (analysis.methods), so a reader can check it against the peer. Nothing when
    the report shows none of them."""
    items = "\n".join(f"- **{text(figure)}:** {text(words)}" for figure, words in methods.describe()
                      if shown is None or figure in shown)
    if not items:
        return []
    return [Block("markdown", Markdown("**How the figures are worked out.** Each method below is "
                                       f"named with the published package or paper it follows.\n\n{items}"))]


def area_names(dataset: Dataset) -> dict[str, str]:
    areas = dataset.table("areas")
    return {str(a): str(n) for a, n in zip(areas["area_id"], areas["name"], strict=True)}


def ages_blocks(ages: pd.DataFrame, found: asof.AsOf, as_of: date, names: dict[str, str],
                 stale_after_years: int) -> list[Block]:
    """The data-ages text: the report's date and its source with the ages, then the stale flag
    in bold (words, not colour), or that no figure is that old."""
    blocks = [Block("markdown", Markdown(f"{text(asof.as_of_sentence(found, as_of, names))} "
                                         f"{text(asof.ages_sentence(ages))}"))]
    flag = asof.stale_sentence(ages, as_of, stale_after_years)
    if flag:
        stale = bool(ages["stale"].any())
        blocks.append(Block("markdown", Markdown(f"**{text(flag)}**" if stale else text(flag))))
    return blocks


def section(method: Callable[..., list[Block]]) -> Callable[..., list[Block]]:
    """Mark a report method as a section: its blocks are returned unchanged and the text they
    show a reader (Markdown, every table cell and label, chart titles, captions and alt text) is
    recorded on the report, so its glossary lists the terms the report actually used."""

    @functools.wraps(method)
    def recorded(self: Any, *args: object, **kwargs: object) -> list[Block]:
        blocks = method(self, *args, **kwargs)
        self.record(blocks)
        return blocks

    return recorded


def texts(blocks: list[Block | Markdown]) -> list[str]:
    return [t for b in blocks for t in texts_of(b.content if isinstance(b, Block) else b)]


def glossary_blocks(shown: list[str], glossary: pd.DataFrame) -> list[Block]:
    """The glossary section: each term the report's text used, with its meaning."""
    used = terms_used(shown, glossary)
    if used.empty:
        return [Block("markdown", Markdown(
            "This report uses none of the abbreviations or terms of the field that the workbook "
            "explains."))]
    lines = [f"- **{text(term)}**: {text(meaning)}"
             for term, meaning in zip(used["term"], used["meaning"], strict=True)]
    # The notebook's heading and sentence introduce the list: the section is the list alone.
    return [Block("markdown", Markdown("\n".join(lines)))]


def show(blocks: list[Block | Markdown]) -> None:
    """Display a section's blocks in a notebook: text, then tables and charts with alt text."""
    from IPython.display import Markdown as IPyMarkdown
    from IPython.display import display

    from .charts import show as show_chart
    from .tables import show_table

    for block in blocks:
        if isinstance(block, Markdown):
            block = Block("markdown", block)
        if block.content is None:
            display(IPyMarkdown("*No data for this chart or table.*"))
        elif block.kind == "markdown":
            display(IPyMarkdown(block.content.body))
        elif block.kind == "chart":
            show_chart(block.content)
        else:
            show_table(block.content)
