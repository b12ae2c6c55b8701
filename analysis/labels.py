"""Plain-text labels shared by charts and tables: missing values and readable area names."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from datetime import date

import pandas as pd

from .periods import parse_period

_SMALL_WORDS = {"and", "of", "the", "upon", "on", "in"}

# Reoffending measures by the code the data gives them, in the words of the documents that
# define them: the ESI's "two year reconviction rate for community orders", the National
# Indicators as the East Midlands plan names them, the MoJ's proven reoffending measure.
_MEASURES = {
    "community-order-reconviction-2yr": "two-year reconviction rate for community orders",
    "ni18": "NI 18, adult reoffending under probation supervision",
    "ni19": "NI 19, young offenders' reoffending",
    "ni30": "NI 30, reoffending by prolific and other priority offenders",
    "ppo": "reoffending by prolific and other priority offenders",
    "adult-proven-1yr": "one-year proven reoffending rate for adults",
    "juvenile-proven-1yr": "one-year proven reoffending rate for juveniles",
    "proven-1yr": "one-year proven reoffending rate, adults and juveniles",
}
_NUMBERS = {"1": "one", "2": "two", "3": "three"}


def cell_text(value: object) -> str:
    """A cell as text: '' for None, NaN and NA, otherwise str(value)."""
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


# Every ASCII punctuation character but the three that become HTML entities: CommonMark and
# Pandoc let a backslash make any of them literal, and between them they give most a meaning
# (Pandoc: '@' a citation, '$' TeX math, '^' '~' super/subscript, quotes made curly, a leading
# ':' a fenced div; nbconvert: "http:" starts a bare link). Escaping all is the one safe rule.
_MARKDOWN_PUNCTUATION = re.compile(r"([!-%'-/:;=?@\[-`{-~])")
_HTML_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def markdown_text(value: object) -> str:
    """Data as literal text in Markdown, read alike by nbconvert (CommonMark) and Pandoc (Quarto).

    Whitespace runs become one space (a newline in data must not start a list or heading); '&',
    '<' and '>' become HTML entities; every other ASCII punctuation character is backslash-escaped.
    """
    flat = " ".join(cell_text(value).split())
    escaped = _MARKDOWN_PUNCTUATION.sub(r"\\\1", flat)
    return re.sub(r"[&<>]", lambda match: _HTML_ESCAPES[match.group()], escaped)


_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")


def markdown_plain(markdown: str) -> str:
    """The words a reader sees in Markdown written with `markdown_text`: escapes and entities undone."""
    return html.unescape(_ESCAPED.sub(r"\1", markdown))


def level_percent(level: float) -> str:
    """A confidence level as a percentage: 0.95 -> "95%", 0.998 -> "99.8%"."""
    return f"{level * 100:g}%"


def plural(n: int, word: str, plural_form: str | None = None) -> str:
    """'1 strand', '2 strands' ('3 cohorts are' with plural_form for irregular phrases)."""
    return f"{n} {word if n == 1 else (plural_form or word + 's')}"


def long_date(value: date | pd.Timestamp) -> str:
    """'5 December 2005': the day without a leading zero, as GOV.UK style writes dates."""
    stamp = pd.Timestamp(value)
    return f"{stamp.day} {stamp:%B %Y}"


def short_date(value: date | pd.Timestamp) -> str:
    """'5 Dec 2005', for table cells (the day without "%-d", which Windows' strftime lacks)."""
    stamp = pd.Timestamp(value)
    return f"{stamp.day} {stamp:%b %Y}"


def area_label(area_id: object) -> str:
    """'east-midlands' -> 'East Midlands' (a readable name when no area name is given)."""
    text = cell_text(area_id).replace("-", " ").replace("_", " ").strip()
    return " ".join(
        w if w.isupper() or (k and w in _SMALL_WORDS) else w.capitalize()
        for k, w in enumerate(text.split())
    )


def _measure_word(word: str) -> str:
    years = re.fullmatch(r"(\d+)yrs?", word)
    if years:
        return f"{_NUMBERS.get(years[1], years[1])}-year"
    indicator = re.fullmatch(r"ni(\d+)", word)
    return f"NI {indicator[1]}" if indicator else word


def cohort_words(cohort: object) -> str:
    """A cohort key as a reader says it where the key is not itself plain: a rolling twelve
    months '2022-07/2023-06' -> 'Jul 2022 to Jun 2023' (as the MoJ prints it); every other key
    ('2009-Q1', '2009/10', '2009') and any label that is no period, unchanged."""
    text = cell_text(cohort).strip()
    try:
        period = parse_period(text)
    except ValueError:
        return text
    return f"{period.start:%b %Y} to {period.end:%b %Y}" if period.kind == "12_months" else text


def cohort_printed(row: Mapping[str, object], key: str = "cohort") -> str:
    """A row's cohort as its source prints it (cohort_as_printed; baseline_as_printed for the key
    baseline_cohort), else its key as a reader says it (`cohort_words`)."""
    printed = row.get("baseline_as_printed" if key == "baseline_cohort" else "cohort_as_printed")
    return printed if isinstance(printed, str) and printed.strip() else cohort_words(row.get(key))


def measure_label(measure: object) -> str:
    """A reoffending measure in words, never its code: 'ni18' -> 'NI 18, adult reoffending
    under probation supervision'; a code not known here is read word by word
    ('adult-proven-2yr' -> 'adult proven two-year', 'ni40' -> 'NI 40')."""
    code = cell_text(measure).strip()
    known = _MEASURES.get(code.lower())
    if known:
        return known
    return " ".join(_measure_word(w) for w in re.split(r"[-_\s]+", code) if w)


def inspection_when(inspection: object) -> str:
    """An inspection as a reader knows it, short enough for a table cell or a bracket: its kind
    and when it was published ('full inspection, January 2005'), never its id. Takes a row of
    the inspections table (kind, published, published_as_printed)."""
    kind = cell_text(getattr(inspection, "kind", "")) or "an"
    when = cell_text(getattr(inspection, "published_as_printed", ""))
    published = getattr(inspection, "published", None)
    if not when and published is not None and not pd.isna(published):
        when = f"{pd.Timestamp(published):%B %Y}"
    return f"{kind} inspection" + (f", {when}" if when else "")


def join(items: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c' (empty items dropped)."""
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
