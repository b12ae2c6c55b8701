"""Inspection frameworks shipped as data: criteria, sections, weights, rated or scored."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import pandas as pd

# Within a section a critical criterion weighs twice an important one (HMI Probation,
# Effective Supervision Inspection scoring approach, 2003-06).
IMPORTANCE_WEIGHTS = {"critical": 2.0, "important": 1.0}

RATING_SCALE = (
    "Very well met",
    "Well met",
    "Satisfactorily met",
    "Partly met",
    "Not met",
    "Poor",
)


@dataclass(frozen=True)
class Framework:
    """An inspection framework: one row per criterion and one per section."""

    framework_id: str
    criteria: pd.DataFrame  # criterion, section, section_title, title, scoring, importance, weight
    sections: pd.DataFrame  # section, title, overall_weight

    @property
    def codes(self) -> set[str]:
        return set(self.criteria["criterion"])

    def scoring_of(self, code: str) -> str | None:
        """'rated', 'scored', 'section' or 'overall' for a code of this framework, else None."""
        upper = code.strip().upper()
        if upper in self.codes:
            return str(self.criteria.set_index("criterion").at[upper, "scoring"])
        if upper in set(self.sections["section"]):
            return "section"
        if code.strip().lower() == "overall":
            return "overall"
        return None


def _read(name: str) -> pd.DataFrame:
    path = resources.files("analysis") / "frameworks" / name
    with path.open(encoding="utf-8") as handle:
        return pd.read_csv(handle, dtype=str, keep_default_na=False)


@cache
def available() -> tuple[str, ...]:
    """Identifiers of the frameworks shipped in analysis/frameworks/."""
    folder = resources.files("analysis") / "frameworks"
    names = [p.name for p in folder.iterdir() if p.name.endswith(".csv")]
    return tuple(sorted(n[: -len(".csv")] for n in names if not n.endswith(".sections.csv")))


@cache
def load_framework(framework_id: str) -> Framework:
    """Load a framework by identifier; KeyError if the workbook does not ship it."""
    if framework_id not in available():
        raise KeyError(framework_id)
    criteria = _read(f"{framework_id}.csv")
    criteria["weight"] = criteria["importance"].map(IMPORTANCE_WEIGHTS)
    sections = _read(f"{framework_id}.sections.csv")
    sections["overall_weight"] = pd.to_numeric(sections["overall_weight"].replace("", None))
    return Framework(framework_id, criteria, sections)


def canonical_rating(text: str) -> str | None:
    """The rating as the inspectorate prints it ('PARTLY MET' -> 'Partly met'), or None."""
    folded = " ".join(text.split()).lower()
    return next((r for r in RATING_SCALE if r.lower() == folded), None)
