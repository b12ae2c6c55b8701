"""Inspection frameworks shipped as data: criteria or standards, sections, rating scales, bands."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, cached_property
from importlib import resources

import pandas as pd

# Within a section a critical criterion weighs twice an important one (HMI Probation,
# Effective Supervision Inspection scoring approach, 2003-06).
IMPORTANCE_WEIGHTS = {"critical": 2.0, "important": 1.0}

#: The 2003 Effective Supervision scheme's six-point scale for rated criteria, best first.
RATING_SCALE = (
    "Very well met",
    "Well met",
    "Satisfactorily met",
    "Partly met",
    "Not met",
    "Poor",
)

#: HMI Probation's four-point scale since 2018, best first (youth justice and probation alike).
STANDARD_SCALE = ("Outstanding", "Good", "Requires improvement", "Inadequate")

#: The edge below a band: the scale's floor, or an edge some published rating confirms or not.
EDGE_STATES = ("verified", "provisional")


@dataclass(frozen=True)
class Band:
    """Totals from ``low`` to ``high`` (inclusive) make this overall rating."""

    rating: str
    low: int
    high: int
    lower_edge: str  # "" for the scale's floor, else "verified" or "provisional"
    observed_low: int  # the lowest and highest totals published ratings show in the band
    observed_high: int
    evidence: str


@dataclass(frozen=True)
class Framework:
    """An inspection framework: one row per criterion (or standard and key question), one per
    section (or domain), its rating scale and, where the framework sums points, its bands."""

    framework_id: str
    criteria: pd.DataFrame  # criterion, section, section_title, title, scoring, importance, weight,
    #                         parent, counts, since (the year a standard was added, blank: always),
    #                         short (a key question in a few words, for a chart's axis)
    sections: pd.DataFrame  # section, title, overall_weight
    ratings: pd.DataFrame  # rating, points, rank (1 = best)
    bands: tuple[Band, ...] = ()
    about: dict[str, str] | None = None

    @cached_property
    def codes(self) -> set[str]:
        return set(self.criteria["criterion"])

    @cached_property
    def scheme(self) -> str:
        """'scored' (criteria scored in percentages and weighted into sections: ESI 2003) or
        'rated' (standards rated on the four-point scale, the overall rating given or banded)."""
        return "rated" if set(self.ratings["rating"]) == set(STANDARD_SCALE) else "scored"

    @cached_property
    def scale(self) -> tuple[str, ...]:
        return tuple(self.ratings["rating"])

    @cached_property
    def points(self) -> dict[str, int]:
        """Points per rating where the framework sums them (youth justice: 3, 2, 1, 0)."""
        have = self.ratings.dropna(subset=["points"])
        return {r: int(p) for r, p in zip(have["rating"], have["points"], strict=True)}

    @cached_property
    def counted(self) -> list[str]:
        """The standards whose points make the total, in the framework's order."""
        rows = self.criteria[(self.criteria["scoring"] == "rated") & (self.criteria["counts"] == "yes")]
        return list(rows["criterion"])

    @cached_property
    def max_total(self) -> int | None:
        return len(self.counted) * max(self.points.values()) if self.bands and self.points else None

    @cached_property
    def since(self) -> dict[str, int]:
        """The year each code added after the framework began was added (4.1 resettlement: 2021)."""
        return {c: int(y) for c, y in zip(self.criteria["criterion"], self.criteria["since"], strict=True)
                if y}

    def applies(self, code: str, published: object) -> bool:
        """Whether an inspection published then rates the code: a standard added later (youth
        justice resettlement, 2021) is not missing from an earlier inspection."""
        since = self.since.get(code)
        return since is None or pd.isna(published) or pd.Timestamp(published).year >= since

    def band_of(self, total: int) -> Band | None:
        """The band a total falls in, or None outside every band."""
        return next((b for b in self.bands if b.low <= total <= b.high), None)

    def provisional(self, total: int) -> str | None:
        """Why a total's band is provisional, or None: the total lies between the highest
        published total of one band and the lowest of the next, where no published rating yet
        shows which side of the edge it falls (youth justice: 6, 7 and 30)."""
        for below, above in zip(self.bands, self.bands[1:], strict=False):
            if below.observed_high < total < above.observed_low:
                return (f"no published inspection yet has a total between {below.observed_high} "
                        f"({below.rating}) and {above.observed_low} ({above.rating})")
        return None

    def scoring_of(self, code: str) -> str | None:
        """'rated', 'scored', 'section', 'overall' or 'total' for a code of this framework, else
        None. A rated framework's domains take no value; only a banded one takes a total."""
        upper = code.strip().upper()
        if upper in self.codes:
            return str(self.criteria.set_index("criterion").at[upper, "scoring"])
        if self.scheme == "scored" and upper in set(self.sections["section"]):
            return "section"
        lower = code.strip().lower()
        if lower == "overall":
            return "overall"
        if lower == "total" and self.bands:
            return "total"
        return None


def _read(name: str) -> pd.DataFrame:
    path = resources.files("analysis") / "frameworks" / name
    with path.open(encoding="utf-8") as handle:
        return pd.read_csv(handle, dtype=str, keep_default_na=False)


def _exists(name: str) -> bool:
    return (resources.files("analysis") / "frameworks" / name).is_file()


_PARTS = (".sections.csv", ".ratings.csv", ".bands.csv", ".about.csv")


@cache
def available() -> tuple[str, ...]:
    """Identifiers of the frameworks shipped in analysis/frameworks/."""
    folder = resources.files("analysis") / "frameworks"
    names = [p.name for p in folder.iterdir() if p.name.endswith(".csv")]
    return tuple(sorted(n[: -len(".csv")] for n in names if not n.endswith(_PARTS)))


@cache
def load_framework(framework_id: str) -> Framework:
    """Load a framework by identifier; KeyError if the workbook does not ship it."""
    if framework_id not in available():
        raise KeyError(framework_id)
    criteria = _read(f"{framework_id}.csv")
    for column in ("parent", "counts", "since", "short"):
        if column not in criteria:
            criteria[column] = ""
    criteria["weight"] = criteria["importance"].map(IMPORTANCE_WEIGHTS)
    sections = _read(f"{framework_id}.sections.csv")
    sections["overall_weight"] = pd.to_numeric(sections["overall_weight"].replace("", None))
    ratings = _read(f"{framework_id}.ratings.csv")
    ratings["points"] = pd.to_numeric(ratings["points"].replace("", None)).astype("Int64")
    ratings["rank"] = range(1, len(ratings) + 1)
    bands: tuple[Band, ...] = ()
    if _exists(f"{framework_id}.bands.csv"):
        bands = tuple(Band(r["band"], int(r["low"]), int(r["high"]), r["lower_edge"],
                           int(r["observed_low"]), int(r["observed_high"]), r["evidence"])
                      for _, r in _read(f"{framework_id}.bands.csv").iterrows())
    about = None
    if _exists(f"{framework_id}.about.csv"):
        facts = _read(f"{framework_id}.about.csv")
        about = dict(zip(facts["key"], facts["value"], strict=True))
    return Framework(framework_id, criteria, sections, ratings, bands, about)


def canonical_rating(text: str, scale: tuple[str, ...] | None = None) -> str | None:
    """The rating as the inspectorate prints it ('PARTLY MET' -> 'Partly met', 'good' ->
    'Good'), on ``scale`` or on either scale the workbook knows; else None."""
    folded = " ".join(text.split()).lower()
    return next((r for r in (scale or RATING_SCALE + STANDARD_SCALE) if r.lower() == folded), None)
