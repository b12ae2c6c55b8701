"""The reducing-reoffending pathways and cross-cutting themes, with the names and aliases plans use."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .labels import cell_text


@dataclass(frozen=True)
class Pathway:
    code: str
    name: str
    kind: str  # "pathway" (one of the seven) or "cross-cutting"
    aliases: tuple[str, ...] = ()


# The seven pathways of the 2004 National Reducing Re-offending Action Plan, then the
# cross-cutting themes regional plans add (NOMS East Midlands Delivery Plan 2009-10).
PATHWAYS: tuple[Pathway, ...] = (
    Pathway("ACCM", "accommodation", "pathway", ("accommodation and support",)),
    Pathway(
        "ETE",
        "employment, training and education",
        "pathway",
        ("els", "employment, learning and skills", "skills and employment"),
    ),
    Pathway("HEALTH", "mental and physical health", "pathway", ("health",)),
    Pathway("DRUGS_ALCOHOL", "drugs and alcohol", "pathway", ("drugs", "alcohol")),
    Pathway("FBD", "finance, benefit and debt", "pathway"),
    Pathway("CF", "children and families", "pathway", ("c&f", "children and families of offenders")),
    Pathway("ATB", "attitudes, thinking and behaviour", "pathway"),
    Pathway("PP", "public protection", "cross-cutting"),
    Pathway(
        "PPO",
        "prolific and other priority offenders",
        "cross-cutting",
        ("ppos", "prolific and priority offenders"),
    ),
    Pathway("OM", "offender management", "cross-cutting"),
    Pathway("ED", "equality and diversity", "cross-cutting", ("e&d",)),
    Pathway("TSF", "third sector and faith", "cross-cutting", ("third sector",)),
)

SEVEN_PATHWAYS: tuple[str, ...] = tuple(p.code for p in PATHWAYS if p.kind == "pathway")
CROSS_CUTTING: tuple[str, ...] = tuple(p.code for p in PATHWAYS if p.kind == "cross-cutting")
PATHWAY_NAMES: dict[str, str] = {p.code: p.name for p in PATHWAYS}


def _key(text: str) -> str:
    # Plans write "Drugs & Alcohol", "drugs  and alcohol", "Drugs_Alcohol": compare on a
    # folded form so each spelling resolves to one code.
    folded = text.strip().lower().replace("_", " ")
    folded = re.sub(r"\s*&\s*", " and ", folded) if not re.fullmatch(r"\w&\w", folded) else folded
    return re.sub(r"\s+", " ", folded)


def _lookup() -> dict[str, str]:
    table: dict[str, str] = {}
    for p in PATHWAYS:
        for spelling in (p.code, p.name, *p.aliases):
            table[_key(spelling)] = p.code
    return table


_LOOKUP = _lookup()


def resolve_pathway(text: str) -> str | None:
    """Return the pathway code for a code, name or alias (any case), or None if unknown."""
    return _LOOKUP.get(_key(text))


def resolve_pathways(text: str) -> tuple[list[str], list[str]]:
    """Split a `;`-separated pathway cell; return (codes, unknown spellings), main pathway first."""
    codes: list[str] = []
    unknown: list[str] = []
    for part in text.split(";"):
        if not part.strip():
            continue
        code = resolve_pathway(part)
        if code is None:
            unknown.append(part.strip())
        elif code not in codes:
            codes.append(code)
    return codes, unknown


def pathway_label(codes: object, printed: object = "") -> str:
    """A strand's pathway as a reader sees it: as the plan prints it when the data says so
    (strands.pathway_as_printed, e.g. 'Drugs; ELS'), else the name of each pathway code
    ('DRUGS_ALCOHOL;ETE' -> 'Drugs and alcohol; employment, training and education'),
    first letter capitalised. A code the workbook does not know is shown as the data gives it."""
    shown = cell_text(printed).strip()
    if shown:
        return "; ".join(p.strip() for p in shown.split(";") if p.strip())
    text = cell_text(codes)
    names = [PATHWAY_NAMES.get(c.strip(), c.strip()) for c in text.split(";") if c.strip()]
    label = "; ".join(names)
    return label[:1].upper() + label[1:]
