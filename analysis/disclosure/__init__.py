"""Disclosure control: one layer decides every suppression, for every published output.

`protect` decides, once per analysis and at the build's threshold, which counts of each cohort
are withheld (primary and complementary suppression across every published sum); `withhold`
applies that decision to each derived table through what its columns reveal (`RATES`, `NI18`,
`NI30`); `marked` shows withheld cells as "[c]"; `note` is the sentence that explains them;
`audit` tries to recover a small count from the tables as published, and the pipeline refuses
to publish when it can. Tables computed from already-withheld tables (trend, funnel, control
chart) see only published figures. Nothing else decides what is withheld.
"""

from .audit import DisclosureError, audit
from .cells import protect
from .publish import NI18, NI18_PROGRESS, NI30, RATES, Published, Reveals, marked, withhold
from .relations import Relation, relations
from .rules import COUNTS, DEFAULT_THRESHOLD, MARKER, METHOD, check_threshold, note, small, withheld_words

__all__ = [
    "COUNTS",
    "DEFAULT_THRESHOLD",
    "MARKER",
    "METHOD",
    "NI18",
    "NI18_PROGRESS",
    "NI30",
    "RATES",
    "DisclosureError",
    "Published",
    "Relation",
    "Reveals",
    "audit",
    "check_threshold",
    "marked",
    "note",
    "protect",
    "relations",
    "small",
    "withheld_words",
    "withhold",
]
