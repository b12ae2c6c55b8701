"""The glossary: the field's terms a report uses, from the shipped list and the data's own table."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from functools import cache
from importlib import resources

import pandas as pd

from .labels import cell_text, markdown_plain

__all__ = ["COLUMNS", "shipped_terms", "terms_for", "terms_used", "texts_of"]

COLUMNS = ["term", "meaning", "source"]

# Markdown as analysis.blocks.text() escapes it: a backslash before punctuation, HTML entities.
# A link's target is not read: only its words are.
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")


@cache
def _shipped() -> pd.DataFrame:
    with resources.files("analysis").joinpath("glossary_terms.csv").open(encoding="utf-8") as file:
        return pd.read_csv(file, dtype=str, keep_default_na=False)


def shipped_terms() -> pd.DataFrame:
    """The curated list shipped with the package: term, meaning, source and whether the source
    documents spell the term out (`confirmed`: yes or no). A new frame each call."""
    return _shipped().copy()


def terms_for(glossary: pd.DataFrame | None, area_ids: Iterable[str]) -> pd.DataFrame:
    """The glossary a report draws on: the shipped terms, plus the data's `glossary` rows that
    belong to no area or to one of ``area_ids``. A data row replaces a shipped term of the same
    spelling (the area knows what it means by it); among data rows, an area's own row replaces
    a row for no area. Columns term, meaning, source."""
    shipped = shipped_terms()[COLUMNS]
    if glossary is None or glossary.empty:
        return shipped.reset_index(drop=True)
    wanted = set(area_ids)
    area = glossary["area_id"] if "area_id" in glossary else pd.Series(pd.NA, index=glossary.index)
    general = area.isna() | (area.astype("string").fillna("") == "")
    local = glossary[general | area.isin(wanted)].assign(
        source="this report's data", _own=~general[general | area.isin(wanted)])
    local = (local.sort_values("_own", kind="stable").drop_duplicates("term", keep="last")
             [COLUMNS])
    local = local.assign(term=local["term"].map(cell_text).str.strip(),
                         meaning=local["meaning"].map(cell_text).str.strip())
    kept = shipped[~shipped["term"].isin(set(local["term"]))]
    return pd.concat([kept, local], ignore_index=True)


def _pattern(term: str) -> re.Pattern[str]:
    """Whole word, case-sensitive: not inside a longer word or number (so NI 18 is not found in
    NI 180, nor RAG in RAGGED); a space in the term matches any run of white space (a line
    break); a term ending in a letter is also found in its plural with "s" (PPOs, PSRs, LAs),
    which is how the field writes plurals and is what a reader needs explained."""
    body = r"\s+".join(re.escape(part) for part in term.split())
    plural = "s?" if term[-1:].isalpha() else ""
    return re.compile(rf"(?<!\w){body}{plural}(?!\w)")


def terms_used(texts: Iterable[str], glossary: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``glossary`` (term, meaning, ...) whose term appears as a whole word,
    case-sensitive, in any of ``texts`` (see `_pattern` for what a whole word is), in
    alphabetical order ignoring case. Pure: a new frame, the input untouched."""
    joined = "\n".join(cell_text(t) for t in texts)
    terms = glossary["term"].map(cell_text)
    found = [bool(term.strip()) and bool(_pattern(term.strip()).search(joined)) for term in terms]
    used = glossary[found]
    terms = [cell_text(t) for t in used["term"]]
    order = sorted(range(len(terms)), key=lambda i: (terms[i].casefold(), terms[i]))
    return used.iloc[order].reset_index(drop=True)


def _markdown_text(body: str) -> str:
    """The words a reader sees in report Markdown: escapes undone, link targets dropped."""
    return markdown_plain(_MD_LINK.sub(r"\1", body))


# A cell given as HTML: a link to another report (analysis.links), its name escaped inside.
_HTML_LINK = re.compile(r'^<a href="[^"<>]*">(.*)</a>$', re.S)


def _cell_words(cell: str) -> str:
    """A cell as a reader sees it: a link's name, not its address; any other cell as given."""
    link = _HTML_LINK.match(cell)
    return html.unescape(link.group(1)) if link else cell


def _gt_texts(gt: object) -> list[str]:
    """Every piece of text a great-tables table prints: heading, column and spanner labels,
    cells, source notes and footnotes."""
    out: list[str] = []
    heading = getattr(gt, "_heading", None)
    out += [cell_text(getattr(heading, part, None)) for part in ("title", "subtitle")]
    out += [cell_text(column.column_label) for column in getattr(gt, "_boxhead", [])]
    out += [cell_text(spanner.spanner_label) for spanner in getattr(gt, "_spanners", [])]
    body = getattr(gt, "_tbl_data", None)  # the cells as given, row group labels among them
    if isinstance(body, pd.DataFrame):
        out += [_cell_words(cell_text(v)) for column in body.columns for v in body[column]]
    out += [cell_text(note) for note in getattr(gt, "_source_notes", [])]
    for note in getattr(gt, "_footnotes", []):
        texts = getattr(note, "footnotes", note)
        out += [cell_text(t) for t in (texts if isinstance(texts, list) else [texts])]
    return [t for t in out if t]


def texts_of(content: object) -> list[str]:
    """The text a report block shows a reader, as plain text: a Markdown body (an object with
    ``body``) unescaped, a table's every label, cell and note, a chart's title, caption, alt
    text and source. None (an empty chart or table) has none."""
    if content is None:
        return []
    if isinstance(content, str):
        return [content]
    if isinstance(getattr(content, "body", None), str):
        return [_markdown_text(content.body)]
    if all(hasattr(content, part) for part in ("title", "caption", "alt")):  # a chart
        return [cell_text(getattr(content, part, None))
                for part in ("title", "caption", "alt", "source")]
    return _gt_texts(content)
