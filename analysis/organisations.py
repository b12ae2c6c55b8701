"""Organisations, not strings: lead and partner spellings normalised, split and resolved by aliases."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

import pandas as pd

__all__ = [
    "ORGANISATION",
    "SPLIT_RULE",
    "alias_map",
    "near_duplicates",
    "normalise",
    "organisations",
    "resolve",
    "split_names",
]

ORGANISATION = "organisation"

# Printed in docs/data.md (contract) and quoted by the report's notes: it must say what the code does.
SPLIT_RULE = (
    "A lead or partners cell is split into organisations at ';'. A piece is split again at "
    "'/', '&', ' and ' or ',' outside brackets only when it is not itself a spelling in aliases "
    "and every part is a known name (an aliases spelling or canonical name, or a name some "
    "cell gives between ';'): 'NTA/JCP' splits when NTA and JCP are known, but 'Dorset, Devon "
    "and Cornwall Community Rehabilitation Company' and 'NOMS (Prisons and Probation)' stay "
    "whole."
)

_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"), "-")
_APOSTROPHES = dict.fromkeys(map(ord, "\u2018\u2019\u02bc`\u00b4"), "'")
_SECOND = re.compile(r"\s*/\s*|\s*&\s*|\s+and\s+|\s*,\s*", re.IGNORECASE)
_SMALL_WORDS = {"of", "for", "the", "and", "in", "on", "to"}


def normalise(spelling: str) -> str:
    """The matching key of a spelling: case, spacing, dashes, '&' and spaces by brackets ignored.

    NFKC, casefold, every dash (en, em, minus, ...) read as '-', curly apostrophes as "'", '&'
    as 'and', runs of spaces as one, and no space next to punctuation, so "NOMS(Probation)",
    "NOMS (Probation)" and "NOMS ( Probation )" are one key, and so are "DH – East Mids" and
    "DH - East Mids". Letters and words are kept: "NOMS Probation" is another key.
    """
    text = unicodedata.normalize("NFKC", spelling).translate(_DASHES).translate(_APOSTROPHES)
    text = text.casefold().replace("&", " and ")
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"\s*([^\w\s'])\s*", r"\1", text)  # no space around punctuation
    return text.strip(" .")


def _outside_brackets(text: str, pattern: re.Pattern[str]) -> list[str]:
    """``text`` split at ``pattern`` where no bracket is open ('NOMS (A, B)' is one piece)."""
    depth, start, parts, i = 0, 0, [], 0
    while i < len(text):
        ch = text[i]
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        elif depth == 0:
            m = pattern.match(text, i)
            if m and m.end() > i:
                parts.append(text[start:i])
                start = i = m.end()
                continue
        i += 1
    parts.append(text[start:])
    return [p.strip() for p in parts]


_FIRST = re.compile(r"\s*;\s*")


def split_names(text: object, known: Iterable[str] = (), aliases: Iterable[str] = ()) -> list[str]:
    """The organisations a lead or partners cell names, as spelt, in order (rule: SPLIT_RULE).

    ``aliases`` holds normalised alias spellings, which are never split; ``known`` the normalised
    names a part may be (alias spellings and canonicals, names cells give between ';'). A piece
    is split at a second separator only into parts that are all known, so a name that itself
    holds 'and' or a comma is kept whole. Blank text names none.
    """
    if not isinstance(text, str) or not text.strip():
        return []
    keys, whole = set(known), set(aliases)
    names: list[str] = []
    for piece in _outside_brackets(text, _FIRST):
        if not piece:
            continue
        parts = [p for p in _outside_brackets(piece, _SECOND) if p]
        if normalise(piece) not in whole and len(parts) > 1 and all(normalise(p) in keys for p in parts):
            names.extend(parts)
        else:
            names.append(piece)
    return names


def alias_map(aliases: pd.DataFrame | None, kind: str = ORGANISATION) -> dict[str, str]:
    """Normalised spelling -> canonical name for one kind of alias (the contract's aliases table).

    A canonical name is also a spelling of itself, so data that writes it out resolves to it.
    The loader has refused a spelling mapped to two canonicals; should one reach here, the
    first row wins.
    """
    if aliases is None or aliases.empty or not {"kind", "spelling", "canonical"} <= set(aliases):
        return {}
    rows = aliases[aliases["kind"].astype(str).str.strip().str.lower() == kind]
    pairs = [(s, c.strip()) for s, c in zip(rows["spelling"], rows["canonical"], strict=True)
             if isinstance(s, str) and s.strip() and isinstance(c, str) and c.strip()]
    mapping = {}
    for _, canonical in pairs:
        mapping.setdefault(normalise(canonical), canonical)
    spelt: dict[str, str] = {}
    for spelling, canonical in pairs:
        spelt.setdefault(normalise(spelling), canonical)
    mapping.update(spelt)  # a spelling's own row wins over a canonical of the same key
    return mapping


def _known(cells: pd.Series, mapping: dict[str, str]) -> set[str]:
    """Keys a second split may produce: alias spellings and names a cell gives whole at ';'."""
    whole = {normalise(p) for cell in cells.dropna() if isinstance(cell, str)
             for p in _outside_brackets(cell, _FIRST) if p}
    return set(mapping) | whole


def resolve(cells: pd.Series, aliases: pd.DataFrame | None = None,
            kind: str = ORGANISATION) -> pd.Series:
    """Each cell's organisations: a tuple of canonical names, each once, in the order named.

    A cell is split by split_names; each name resolves through the aliases (by its normalised
    spelling), and a name no alias knows is one organisation per normalised spelling, shown as
    its most frequent spelling in ``cells`` (ties: the first met). Blank cells give ().
    """
    mapping = alias_map(aliases, kind)
    known = _known(cells, mapping)
    split = cells.map(lambda v: split_names(v, known, mapping))
    spelt = [name for names in split for name in names]
    counts = pd.Series(spelt, dtype=object).value_counts(sort=False) if spelt else pd.Series(dtype=int)
    display: dict[str, str] = {}
    best: dict[str, int] = {}
    for name in dict.fromkeys(spelt):  # first-met order, so ties keep the first spelling
        key = normalise(name)
        if key in mapping:
            continue
        if counts[name] > best.get(key, 0):
            best[key], display[key] = int(counts[name]), re.sub(r"\s+", " ", name)
    return split.map(lambda names: tuple(dict.fromkeys(
        mapping.get(normalise(n), display.get(normalise(n), n)) for n in names)))


def organisations(cells: pd.Series, aliases: pd.DataFrame | None = None) -> pd.Series:
    """The organisations of each cell as one ';'-separated string (for tables that print text)."""
    return resolve(cells, aliases).map("; ".join)


def _words(spelling: str) -> list[str]:
    return re.findall(r"\w+", normalise(spelling))


def _initials(words: list[str]) -> set[str]:
    with_all = "".join(w[0] for w in words)
    without = "".join(w[0] for w in words if w not in _SMALL_WORDS)
    return {with_all, without}


def _why_alike(a: str, b: str) -> str | None:
    """Why two spellings look like one organisation, or None: same letters, word prefix, acronym."""
    wa, wb = _words(a), _words(b)
    if not wa or not wb:
        return None
    if "".join(wa) == "".join(wb):
        return "the same letters"
    short, long_ = (wa, wb) if len(wa) <= len(wb) else (wb, wa)
    if len(short) < len(long_) and long_[:len(short)] == short:
        return "one begins with the other"
    if len(short) == 1 and len(short[0]) >= 2 and len(long_) >= 2 and short[0] in _initials(long_):
        return "one is the initials of the other"
    return None


def near_duplicates(cells: pd.Series, aliases: pd.DataFrame | None = None) -> pd.DataFrame:
    """Spellings that look alike but resolve to different organisations, for validate to warn of.

    Two spellings look alike when they have the same letters ignoring case, spaces and
    punctuation ('NOMS Probation', 'NOMS(Probation)'), the words of one begin the other's
    ('HMP', 'HMP Glos'), or one word is the initials of the other's words, small words such as
    'of' and 'for' counted or not ('GOEM', 'Government Office for the East Midlands'). One row
    per pair of organisations, naming the first spelling of each and the cell (index of
    ``cells``) where the later-met spelling first appears.
    """
    columns = ["index", "spelling", "organisation", "other_spelling", "other_organisation", "reason"]
    mapping = alias_map(aliases)
    known = _known(cells, mapping)
    first: dict[str, tuple[object, str, str]] = {}  # key -> (cell index, spelling, organisation)
    resolved = resolve(cells, aliases)
    for idx, cell in cells.items():
        names = split_names(cell, known, mapping)
        orgs = resolved.at[idx]
        for name in names:
            key = normalise(name)
            org = mapping.get(key)
            if org is None:  # the display spelling resolve() chose for this key
                org = next(o for o in orgs if normalise(o) == key)
            first.setdefault(key, (idx, name.strip(), org))
    entries = list(first.values())
    rows, seen = [], set()
    for i, (_, a, org_a) in enumerate(entries):
        for idx_b, b, org_b in entries[i + 1:]:
            pair = frozenset((org_a, org_b))
            if org_a == org_b or pair in seen:
                continue
            reason = _why_alike(a, b)
            if reason is not None:
                seen.add(pair)
                rows.append({"index": idx_b, "spelling": b, "organisation": org_b,
                             "other_spelling": a, "other_organisation": org_a, "reason": reason})
    return pd.DataFrame(rows, columns=columns)
