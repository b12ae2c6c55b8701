"""Which area a published geography name or code is: by ONS code, by name, or by a geography alias."""

from __future__ import annotations

import re
from collections import defaultdict

import pandas as pd

from ..contract import GEOGRAPHY, GSS_CODE
from ..organisations import alias_map, normalise

__all__ = ["area_type_of", "match_geographies", "name_key"]

# Words publishers add to or drop from an area's name: "Plymouth Community Safety Partnership"
# is the CSP the MoJ tool calls "Plymouth"; "Derby UA" is the council reports call "Derby".
_SUFFIXES = re.compile(r"\s+(?:community safety partnership|csp|probation area|probation trust|"
                       r"ua|unitary authority|county council|city council|council)$")


# The kind of area an MoJ aggregate row is about, from its Category ("UTLA total").
_CATEGORY_KINDS = (
    (re.compile(r"\b(?:utla|ltla|la|lad|local authority|council)\b"), "local_authority"),
    (re.compile(r"\b(?:csp|community safety partnership)\b"), "community_safety_partnership"),
    (re.compile(r"\b(?:region|regional)\b"), "region"),
    (re.compile(r"\b(?:national|nation|england and wales)\b"), "nation"),
    (re.compile(r"\b(?:probation area|pdu|probation delivery unit)\b"), "probation_area"),
)


def area_type_of(category: object) -> str | None:
    """The workbook's area_type an MoJ aggregate row's Category names ("UTLA total" is a local
    authority), or None when it names none the workbook knows."""
    text = str(category or "").casefold()
    return next((kind for pattern, kind in _CATEGORY_KINDS if pattern.search(text)), None)


def name_key(name: object) -> str:
    """A name's matching key: organisations.normalise (case, spacing, dashes, '&'), then without a
    trailing kind of area ("Community Safety Partnership", "UA", "County Council")."""
    return _SUFFIXES.sub("", normalise(str(name)))


def match_geographies(names: pd.Series, areas: pd.DataFrame,
                      aliases: pd.DataFrame | None = None,
                      kinds: dict[str, str] | None = None) -> pd.DataFrame:
    """A new frame, one row per distinct name: ``geography``, ``area_id`` and ``how`` it matched.

    In order: an ONS code (``E06000023``) equal to an area's ``code``; an area_id written out; a
    geography alias (aliases kind ``geography``, its canonical an area's name or area_id); the
    area's name by `name_key`. Where two areas share a code or name, the one of the kind
    ``kinds`` gives for the name (from the row's Category, `area_type_of`) is taken. ``status``
    is "matched", "unmatched" or "ambiguous" (``candidates`` names them), and no guess is made
    for either of the last two.
    """
    kind_of = dict(zip(areas["area_id"].astype(str), areas["area_type"].astype(str), strict=True))
    codes: dict[str, set[str]] = defaultdict(set)
    for area_id, code in zip(areas["area_id"], areas.get("code", pd.Series(index=areas.index)), strict=True):
        if isinstance(code, str) and code.strip():
            codes[code.strip().upper()].add(str(area_id))
    ids = {str(a) for a in areas["area_id"]}
    by_name: dict[str, set[str]] = defaultdict(set)
    for area_id, name in zip(areas["area_id"], areas["name"], strict=True):
        by_name[name_key(name)].add(str(area_id))
    spelt = alias_map(aliases, GEOGRAPHY)
    rows = []
    for name in pd.unique(names.dropna().astype(str)):
        text = " ".join(name.split())
        found, how = set(), ""
        if GSS_CODE.fullmatch(text.upper()) and text.upper() in codes:
            found, how = codes[text.upper()], "ONS code"
        elif text in ids:
            found, how = {text}, "area_id"
        elif normalise(text) in spelt:
            canonical = spelt[normalise(text)]
            found = {canonical} if canonical in ids else by_name.get(name_key(canonical), set())
            how = "geography alias"
        else:
            found, how = by_name.get(name_key(text), set()), "name"
        if len(found) > 1 and (kinds or {}).get(name):
            same_kind = {a for a in found if kind_of.get(a) == kinds[name]}
            if len(same_kind) == 1:
                found, how = same_kind, f"{how}, {kinds[name].replace('_', ' ')}"
        status = "matched" if len(found) == 1 else "ambiguous" if found else "unmatched"
        rows.append({"geography": name, "area_id": next(iter(found)) if status == "matched" else "",
                     "how": how if found else "", "status": status,
                     "candidates": ", ".join(sorted(found)) if status == "ambiguous" else ""})
    return pd.DataFrame(rows, columns=["geography", "area_id", "how", "status", "candidates"])
