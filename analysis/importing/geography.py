"""Which area a published geography name or code is: by ONS code, by name, or by a geography alias."""

from __future__ import annotations

import re
from collections import defaultdict

import pandas as pd

from ..contract import GEOGRAPHY
from ..organisations import alias_map, normalise

__all__ = ["match_geographies", "name_key"]

_CODE = re.compile(r"[EWSNK]\d{8}")
# Words publishers add to or drop from an area's name: "Plymouth Community Safety Partnership"
# is the CSP the MoJ tool calls "Plymouth"; "Derby UA" is the council reports call "Derby".
_SUFFIXES = re.compile(r"\s+(?:community safety partnership|csp|probation area|probation trust|"
                       r"ua|unitary authority|county council|city council|council)$")


def name_key(name: object) -> str:
    """A name's matching key: organisations.normalise (case, spacing, dashes, '&'), then without a
    trailing kind of area ("Community Safety Partnership", "UA", "County Council")."""
    return _SUFFIXES.sub("", normalise(str(name)))


def match_geographies(names: pd.Series, areas: pd.DataFrame,
                      aliases: pd.DataFrame | None = None) -> pd.DataFrame:
    """A new frame, one row per distinct name: ``geography``, ``area_id`` and ``how`` it matched.

    In order: an ONS code (``E06000023``) equal to an area's ``code``; an area_id written out; a
    geography alias (aliases kind ``geography``, its canonical an area's name or area_id); the
    area's name by `name_key`. ``status`` is "matched", "unmatched" or "ambiguous" (two areas
    share the key; ``candidates`` names them), and no guess is made for either of the last two.
    """
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
        if _CODE.fullmatch(text.upper()) and text.upper() in codes:
            found, how = codes[text.upper()], "ONS code"
        elif text in ids:
            found, how = {text}, "area_id"
        elif normalise(text) in spelt:
            canonical = spelt[normalise(text)]
            found = {canonical} if canonical in ids else by_name.get(name_key(canonical), set())
            how = "geography alias"
        else:
            found, how = by_name.get(name_key(text), set()), "name"
        status = "matched" if len(found) == 1 else "ambiguous" if found else "unmatched"
        rows.append({"geography": name, "area_id": next(iter(found)) if status == "matched" else None,
                     "how": how if found else "", "status": status,
                     "candidates": ", ".join(sorted(found)) if status == "ambiguous" else ""})
    return pd.DataFrame(rows, columns=["geography", "area_id", "how", "status", "candidates"])
