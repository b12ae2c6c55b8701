"""A report's as-of date, from the date its data speak for, and how old each kind of its figures is."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

import pandas as pd

from .labels import cohort_words, long_date, plural
from .periods import parse_period

__all__ = [
    "ABOVE",
    "BELOW",
    "BUILD",
    "GIVEN",
    "OVERVIEW",
    "OWN",
    "STALE_AFTER_YEARS",
    "AsOf",
    "ages_sentence",
    "area_as_of",
    "as_of_sentence",
    "data_ages",
    "dates_summary",
    "overview_as_of",
    "report_dates",
    "stale_sentence",
]

# A figure is flagged as old when the date it speaks for is more than this many years before the
# report's as-of date (issue 12: "default three years").
STALE_AFTER_YEARS = 3
# The key of the overview among a build's reports; the contract reserves it as an area id.
OVERVIEW = "overview"
# Areas that group others: their reports speak for their areas as much as for their own plan.
_GROUPS = ("region", "nation")

# How the date was found (AsOf.rule).
GIVEN, OWN, ABOVE, BELOW, BUILD = "given", "own plan", "area above", "areas below", "build date"


@dataclass(frozen=True)
class AsOf:
    """A report's as-of date, the rule that chose it and the area whose plan gave it (if any)."""

    date: date
    rule: str  # GIVEN, OWN, ABOVE, BELOW or BUILD
    area_id: str | None = None


class _Tree:
    """The areas' parent links and each area's latest plan reporting date, read once."""

    def __init__(self, areas: pd.DataFrame, plans: pd.DataFrame):
        ids = [str(a) for a in areas["area_id"]]
        parents = [None if pd.isna(p) else str(p) for p in areas["parent_id"]]
        self.parent = dict(zip(ids, parents, strict=True))
        self.kind = dict(zip(ids, map(str, areas["area_type"]), strict=True))
        self.children: dict[str, list[str]] = {}
        for child, parent in self.parent.items():
            if parent is not None:
                self.children.setdefault(parent, []).append(child)
        self.reported: dict[str, date] = {}
        if "reported_on" in plans:  # a plans table from before reporting dates has none
            dated = plans.dropna(subset=["reported_on"])
            latest = pd.to_datetime(dated["reported_on"]).groupby(dated["area_id"].astype(str)).max()
            self.reported = {str(a): when.date() for a, when in latest.items()}

    def own(self, area_id: str) -> AsOf | None:
        when = self.reported.get(area_id)
        return None if when is None else AsOf(when, OWN, area_id)

    def above(self, area_id: str) -> AsOf | None:
        """The nearest area up the parent_id chain with a reporting date (the contract has no cycles)."""
        current = self.parent.get(area_id)
        while current is not None:
            if current in self.reported:
                return AsOf(self.reported[current], ABOVE, current)
            current = self.parent.get(current)
        return None

    def below(self, roots: Iterable[str]) -> AsOf | None:
        """The latest reporting date of any area below the roots (not the roots themselves)."""
        found: list[tuple[date, str]] = []
        stack = [child for root in roots for child in self.children.get(root, [])]
        while stack:
            area = stack.pop()
            if area in self.reported:
                found.append((self.reported[area], area))
            stack.extend(self.children.get(area, []))
        if not found:
            return None
        when, area = max(found, key=lambda pair: (pair[0], pair[1]))
        return AsOf(when, BELOW, area)

    def area(self, area_id: str) -> AsOf | None:
        """An area's own date; a region's or nation's, else its areas' latest; else the area above's."""
        if (own := self.own(area_id)) is not None:
            return own
        if self.kind.get(area_id) in _GROUPS and (below := self.below([area_id])) is not None:
            return below
        return self.above(area_id)

    def overview(self, region: str | None) -> AsOf | None:
        """A region's overview is dated as the region; the overview of all areas by the top areas'
        own plans (those with no parent: the nation), else the latest date of any area."""
        if region:
            if (own := self.own(region)) is not None:
                return own
            return self.below([region]) or self.above(region)
        roots = [a for a, parent in self.parent.items() if parent is None]
        tops = [self.own(a) for a in roots if a in self.reported]
        if tops:
            return max(tops, key=lambda found: (found.date, found.area_id or ""))
        return self.below(roots)


def area_as_of(areas: pd.DataFrame, plans: pd.DataFrame, area_id: str, *, build_date: date,
               given: date | None = None) -> AsOf:
    """An area report's as-of date (issue 12's rule).

    ``given`` (--as-of) wins. Otherwise the latest ``reported_on`` of the area's own plans; for a
    region or the nation, else the latest ``reported_on`` of any area below it; else that of
    the nearest area above it (following parent_id) with one; else ``build_date``.
    """
    if given is not None:
        return AsOf(given, GIVEN)
    return _Tree(areas, plans).area(area_id) or AsOf(build_date, BUILD)


def overview_as_of(areas: pd.DataFrame, plans: pd.DataFrame, region: str | None = None, *,
                   build_date: date, given: date | None = None) -> AsOf:
    """The overview's as-of date: ``given``; else its own plan's (the region's, or for all areas the
    plans of the areas at the top, which have no parent); else the latest of its areas' (any area
    below); for a region, else the nearest area above it with one; else ``build_date``."""
    if given is not None:
        return AsOf(given, GIVEN)
    return _Tree(areas, plans).overview(region or None) or AsOf(build_date, BUILD)


def report_dates(areas: pd.DataFrame, plans: pd.DataFrame, keys: Iterable[str], *, build_date: date,
                 given: date | None = None) -> dict[str, AsOf]:
    """Each report's as-of date, by key: area ids and OVERVIEW (all areas), the tree read once."""
    tree = _Tree(areas, plans)
    out = {}
    for key in keys:
        if given is not None:
            out[key] = AsOf(given, GIVEN)
        else:
            found = tree.overview(None) if key == OVERVIEW else tree.area(key)
            out[key] = found or AsOf(build_date, BUILD)
    return out


def own_dates_sentence(dates: Mapping[str, date], names: Mapping[str, str], *, listed: int = 4) -> str:
    """'as of 30 September 2014' when every area shares a date; else each date, latest first,
    with the areas as of it: 'each as of its own report's date: 30 September 2014 for Plymouth
    and South West; 31 December 2005 for Gloucestershire'. At most ``listed`` names a date."""
    by_date: dict[date, list[str]] = {}
    for area, day in dates.items():
        by_date.setdefault(day, []).append(names.get(area, area))
    if len(by_date) <= 1:
        return f"as of {long_date(next(iter(by_date)))}" if by_date else "with no areas"
    parts = []
    for day in sorted(by_date, reverse=True):
        shown = sorted(by_date[day], key=str.casefold)
        more = len(shown) - listed
        who = (", ".join(shown[:listed]) + f" and {plural(more, 'other')}" if more > 0
               else " and ".join([", ".join(shown[:-1]), shown[-1]]) if len(shown) > 1 else shown[0])
        parts.append(f"{long_date(day)} for {who}")
    return "each as of its own report's date: " + "; ".join(parts)


def dates_summary(dates: Mapping[str, date]) -> str:
    """'2005-12-31 (1 report), 2014-09-30 (2 reports)': the dates a build's reports are as of."""
    counts = Counter(dates.values())
    return ", ".join(f"{when.isoformat()} ({plural(counts[when], 'report')})" for when in sorted(counts))


def as_of_sentence(found: AsOf, report_date: date, names: Mapping[str, str]) -> str:
    """Plain text saying what the report's date is and where it comes from (``names``: area names).

    ``found`` is the date the data give (see area_as_of); a report made as of another date was
    given that date (--as-of, or a notebook's parameter).
    """
    when = long_date(report_date)
    if found.date != report_date or found.rule == GIVEN:
        return f"This report is as of {when}, the date it was asked to report for."
    name = names.get(found.area_id or "", found.area_id or "")
    if found.rule == OWN:
        return f"This report is as of {when}, the date up to which the plan of {name} reports progress."
    if found.rule == ABOVE:
        return (f"This report is as of {when}, the date up to which the plan of {name}, which this "
                "area is part of, reports progress.")
    if found.rule == BELOW:
        return (f"This report is as of {when}, the latest date up to which a plan of its areas "
                f"reports progress (that of {name}).")
    return (f"This report is as of {when}, the day it was made: no plan here or in the areas "
            "around it gives the date up to which it reports progress.")


# ---------------------------------------------------------------------------------------------
# Data ages: how old each kind of figure in a report is

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_AGE_COLUMNS = ["kind", "what", "period", "speaks_for", "age_months", "stale", "later"]


def _period(label: str) -> tuple[str, date]:
    """A cohort or indicator period as a reader writes it, and its last day.

    '1999-Q1' -> '1999 Q1'; a financial year '2003/04' and a year '2004' as written; an
    indicator month '2003-04' -> 'April 2003'.
    """
    text = str(label).strip()
    if m := _MONTH.match(text):
        first = pd.Timestamp(int(m.group(1)), int(m.group(2)), 1)
        return f"{first:%B %Y}", (first + pd.offsets.MonthEnd(0)).date()
    period = parse_period(text)
    return cohort_words(text).replace("-Q", " Q"), period.end


def _latest_period(labels: pd.Series) -> tuple[str, date] | None:
    """The latest of the periods, by last day; labels naming no real period (2003-13, 2003/05,
    which the contract's pattern lets through) are left out."""
    read = []
    for label in labels.dropna().unique():
        try:
            read.append(_period(label))
        except ValueError:
            continue
    return max(read, key=lambda pair: (pair[1], pair[0])) if read else None


def _months(earlier: date, later: date) -> int:
    """Whole calendar months from one date to another (negative when 'later' is earlier)."""
    if later < earlier:
        return -_months(later, earlier)
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    return months - (later.day < earlier.day)


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year - years, day=28)


def data_ages(plans: pd.DataFrame, inspections: pd.DataFrame, cohorts: pd.DataFrame,
              indicators: pd.DataFrame, *, as_of: date,
              stale_after_years: int = STALE_AFTER_YEARS) -> pd.DataFrame:
    """How old each kind of figure in a report is, one row per kind the report has.

    Inputs are cut to the report's areas. Kinds, in this order: plan (the latest ``reported_on``
    of its plans), inspection (the latest ``published``, shown as month and year), reoffending
    (the latest cohort, by its last day) and indicators (the latest period, by its last day).
    ``speaks_for`` is that date; ``age_months`` the whole months from it to ``as_of``; a figure is
    ``stale`` when it speaks for a day more than ``stale_after_years`` years before ``as_of``
    (exactly that many years old is not stale); ``later`` when it speaks for a day after ``as_of``.
    """
    if stale_after_years < 1:
        raise ValueError(f"stale_after_years must be at least 1, not {stale_after_years}")
    rows: list[tuple[str, str, str, date]] = []
    reported = pd.to_datetime(plans["reported_on"]).dropna() if "reported_on" in plans else []
    if len(reported):
        latest = reported.max().date()
        rows.append(("plan", "plan progress as at", long_date(latest), latest))
    published = pd.to_datetime(inspections["published"]).dropna()
    if len(published):
        latest = published.max()
        rows.append(("inspection", "inspection published", f"{latest:%B %Y}", latest.date()))
    if (cohort := _latest_period(cohorts["cohort"])) is not None:
        rows.append(("reoffending", "latest reoffending cohort", *cohort))
    if (period := _latest_period(indicators["period"])) is not None:
        rows.append(("indicators", "latest indicator period", *period))
    cutoff = _years_before(as_of, stale_after_years)
    return pd.DataFrame(
        [(kind, what, shown, day, _months(day, as_of), day < cutoff, day > as_of)
         for kind, what, shown, day in rows], columns=_AGE_COLUMNS
    ).astype({"age_months": "int64", "stale": "bool", "later": "bool"})


def _age(months: int) -> str:
    years, rest = divmod(months, 12)
    parts = ([plural(years, "year")] if years else []) + ([plural(rest, "month")] if rest else [])
    return " ".join(parts) or "less than a month"


def _over(speaks_for: date, months: int, as_of: date) -> str:
    """'over ' when the age is more than its whole months (3 years and a day is over 3 years)."""
    return "over " if (pd.Timestamp(speaks_for) + pd.DateOffset(months=months)).date() < as_of else ""


def ages_sentence(ages: pd.DataFrame) -> str:
    """'Plan progress as at 31 December 2005; inspection published January 2005; latest
    reoffending cohort 1999 Q1.' (plain text), then any figure later than the report's date."""
    if ages.empty:
        return "The report has no dated figures."
    sentence = "; ".join(f"{row.what} {row.period}" for row in ages.itertuples())
    sentence = sentence[0].upper() + sentence[1:] + "."
    later = ages[ages["later"]]
    if not later.empty:
        sentence += (" Later than the report's date: "
                     + "; ".join(f"{row.what} {row.period}" for row in later.itertuples()) + ".")
    return sentence


_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def stale_sentence(ages: pd.DataFrame, as_of: date, stale_after_years: int = STALE_AFTER_YEARS) -> str:
    """The flag: which figures are older than the stale age at the report's date (plain text);
    "" when the report has no dated figures."""
    n = stale_after_years
    years = f"{_WORDS[n] if n < len(_WORDS) else n} year{'' if n == 1 else 's'}"
    old = ages[ages["stale"]]
    if old.empty:
        return f"No figure here is more than {years} older than the report's date." if len(ages) else ""
    listed = "; ".join(f"{row.what} {row.period}, {_over(row.speaks_for, row.age_months, as_of)}"
                       f"{_age(row.age_months)} old" for row in old.itertuples())
    return (f"Old figures: {plural(len(old), 'figure is', 'figures are')} more than {years} older "
            f"than the report's date ({long_date(as_of)}): {listed}.")
