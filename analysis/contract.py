"""The data contract v1: every table's columns and rules, as pandera schemas and as documentation."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date

import pandera.pandas as pa

from .dates import EARLIEST, LATEST, in_range, parse_iso_date
from .organisations import ORGANISATION, SPLIT_RULE
from .pathways import PATHWAYS, resolve_pathways
from .periods import parse_period

SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
PERIOD = re.compile(r"\d{4}(?:-Q[1-4]|/\d{2}|-\d{2})?")
COHORT = re.compile(r"\d{4}(?:-Q[1-4]|/\d{2}|-\d{2}/\d{4}-\d{2})?")

AREA_TYPES = ("probation_area", "local_authority", "community_safety_partnership", "region", "nation")
MILESTONE_STATUSES = ("not_started", "in_progress", "complete", "missed", "dropped")
RAGS = ("red", "amber", "green")
INSPECTION_KINDS = ("full", "follow-up", "thematic")
RATINGS = ("very well met", "well met", "satisfactorily met", "partly met", "not met", "poor")
STANDARD_RATINGS = ("outstanding", "good", "requires improvement", "inadequate")
RECOMMENDATION_STATUSES = ("open", "implemented", "superseded")
UNITS = ("percent", "count", "days", "ratio", "rate")
# The report's sections, in order: an analyst's commentary is placed at the start of its section.
COMMENTARY_SECTIONS = ("summary", "pathways", "inspection", "recommendations", "reoffending",
                       "indicators", "completeness")
BETTER = ("higher", "lower")
# Kinds of name the aliases table maps; geographies are to follow.
GEOGRAPHY = "geography"  # another spelling of an area's name, as a publisher writes it
ALIAS_KINDS = (ORGANISATION, GEOGRAPHY)


# Ids become file and folder names. Windows reserves its device names; the build writes its own
# outputs beside the area folders (overview/, index.html). A leading _ or . is refused by SLUG.
RESERVED = ({"con", "prn", "aux", "nul"} | {f"{d}{i}" for d in ("com", "lpt") for i in range(10)}
            | {"overview", "index"})

# Commas only between groups of three digits: "1,234,567". A bare comma elsewhere ("3,1",
# "1,2,3") is a typo or a decimal comma, and deleting it would misread the number.
_DIGITS = r"(?:\d{1,3}(?:,\d{3})+|\d+)"
_INTEGER = re.compile(rf"[+-]?{_DIGITS}")
_NUMBER = re.compile(rf"[+-]?(?:{_DIGITS}(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*%?")
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def _is_slug(v: str) -> bool:
    return SLUG.fullmatch(v) is not None and v not in RESERVED


def to_number(v: str) -> float:
    """Read a number as analysts type it: thousands groups and a trailing % allowed.

    Raises ValueError for anything else, including NaN, infinity and values too large for a
    float (1e309): float() alone accepts those, and "5_0", which it reads as 50.
    """
    text = v.strip()
    if _NUMBER.fullmatch(text) is None:
        raise ValueError(f"not a number: {v!r}")
    value = float(text.rstrip("%").rstrip().replace(",", ""))
    if not math.isfinite(value):
        raise ValueError(f"too large for a number: {v!r}")
    return value


def to_int(v: str) -> int:
    """Read a whole number exactly (not through a float), refusing one that does not fit int64."""
    text = v.strip()
    if _INTEGER.fullmatch(text) is None:
        raise ValueError(f"not a whole number: {v!r}")
    value = int(text.replace(",", ""))
    if not INT64_MIN <= value <= INT64_MAX:
        raise ValueError(f"too large for a count: {v!r}")
    return value


def _is_int(v: str) -> bool:
    try:
        to_int(v)
    except ValueError:
        return False
    return True


def _is_number(v: str) -> bool:
    try:
        to_number(v)
    except ValueError:
        return False
    return True


def _is_date(v: str) -> bool:
    try:
        parse_iso_date(v)
    except ValueError:
        return False
    return True


def date_in_range(v: str) -> bool:
    """An ISO date between EARLIEST and LATEST; True for text that is no ISO date (another rule)."""
    return not _is_date(v) or in_range(parse_iso_date(v))


@dataclass(frozen=True)
class Rule:
    """One rule of the contract: an identifier, its wording, and the check that enforces it."""

    rule: str
    text: str
    check: object = None  # callable(str) -> bool on a non-blank value, or None (cross-table)
    # callable(str) -> str | None: why a value that fails is wrong, where the text alone would
    # not say (a cohort 2009/11 has the shape of a key; parse_period says what is wrong with it)
    explain: object = None


def _slug_rule() -> Rule:
    return Rule(
        "slug",
        "lowercase letters, digits and hyphens, 1-64 characters, starting with a letter or digit, "
        "not a device name such as con or nul, nor overview or index (names of the build's own "
        "outputs)",
        _is_slug,
    )


def _enum(values: tuple[str, ...]) -> Rule:
    return Rule("one-of", "one of: " + ", ".join(values), lambda v: v.strip().lower() in values)


_WHOLE = (f"a whole number (commas only between groups of three digits, as in 1,234,567) that fits "
          f"a 64-bit integer, at most {INT64_MAX:,}")
INTEGER = Rule("integer", _WHOLE, _is_int)
NON_NEGATIVE = Rule("non-negative", f"{_WHOLE}, 0 or more", lambda v: _is_int(v) and to_int(v) >= 0)
POSITIVE = Rule("positive", f"{_WHOLE}, above 0", lambda v: _is_int(v) and to_int(v) > 0)
NUMBER = Rule(
    "number",
    "a finite number: digits with an optional decimal point and %, commas only between groups of "
    "three digits (1,234,567.5); not NaN or infinity",
    _is_number,
)
PERCENT = Rule(
    "percentage", "a percentage from 0 to 100", lambda v: _is_number(v) and 0 <= to_number(v) <= 100
)
ISO_DATE = Rule("iso-date", "a date written YYYY-MM-DD", _is_date)
NUMERIC_RULES = {"integer", "non-negative", "positive", "number", "percentage"}
DATE_RANGE = Rule(
    "date-range",
    f"a date from {EARLIEST.isoformat()} to {LATEST.isoformat()}: a date outside, such as the "
    "9999-12-31 some systems write for 'no date', is refused here as this date is required",
    date_in_range,
)
# An optional date outside the range is read as blank, with a warning (loader).
OUT_OF_RANGE_DATE = Rule(
    "date-range",
    f"an optional date before {EARLIEST.isoformat()} or after {LATEST.isoformat()} (such as "
    "9999-12-31 for 'no date') is read as blank, and what blank means for its column applies",
)
PATHWAY = Rule(
    "pathway",
    "a pathway code, name or alias (several separated by ;)",
    lambda v: bool(resolve_pathways(v)[0]) and not resolve_pathways(v)[1],
)
GSS_CODE = re.compile(r"[EWSNK]\d{8}")  # an ONS (GSS) code, as areas.code, groupings and lookups hold it
ONS_CODE = Rule("ons-code", "a GSS code: a letter E, W, S, N or K and eight digits, e.g. E06000026",
                lambda v: GSS_CODE.fullmatch(v.strip()) is not None)
COHORT_FORMS = "YYYY-Qn, YYYY, YYYY/YY or YYYY-MM/YYYY-MM (a rolling twelve months)"


def _why_not_cohort(v: str) -> str | None:
    """parse_period's reason a label of a key's shape is no period (2009/11, or a rolling year
    that is a calendar year); None for a label of another shape, or a good one."""
    if COHORT.fullmatch(v.strip()) is None:
        return None
    try:
        parse_period(v)
    except ValueError as exc:
        return str(exc)
    return None


def _is_cohort(v: str) -> bool:
    return COHORT.fullmatch(v.strip()) is not None and _why_not_cohort(v) is None


COHORT_RULE = Rule("cohort", COHORT_FORMS, _is_cohort, _why_not_cohort)
PERIOD_RULE = Rule(
    "period",
    "YYYY, YYYY/YY, YYYY-Qn or YYYY-MM",
    lambda v: PERIOD.fullmatch(v.strip()) is not None,
)
SLUG_LIST = Rule(
    "slug-list",
    "identifiers separated by ;",
    lambda v: all(_is_slug(p.strip()) for p in v.split(";") if p.strip()),
)


@dataclass(frozen=True)
class Col:
    """A column of a table: whether the file must have it, may leave it blank, and its rules."""

    name: str
    description: str
    rules: tuple[Rule, ...] = ()
    required: bool = True  # the column must be in the file
    nullable: bool = False  # a cell may be blank
    unique: bool = False
    numeric_text: bool = False  # text that may hold a number (a score's value), read like one

    @property
    def numeric(self) -> bool:
        """Whether the column holds numbers, so a decimal comma may be read in it."""
        return self.numeric_text or any(r.rule in NUMERIC_RULES for r in self.rules)

    @property
    def optional_date(self) -> bool:
        """An ISO date that may be blank: one outside the date range is read as blank."""
        return self.nullable and ISO_DATE in self.rules


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: tuple[Col, ...]
    key: tuple[str, ...] = ()  # columns that together identify a row (besides unique ids)
    cross_rules: tuple[Rule, ...] = field(default=())
    warning_rules: tuple[Rule, ...] = field(default=())  # reported; the row still loads

    def column(self, name: str) -> Col:
        return next(c for c in self.columns if c.name == name)


def _id(name: str, what: str, *, unique: bool = True) -> Col:
    return Col(name, what, (_slug_rule(),), unique=unique)


def _text(name: str, what: str, *, required: bool = True, nullable: bool = False) -> Col:
    return Col(name, what, (), required=required, nullable=nullable)


def _opt(name: str, what: str, *rules: Rule) -> Col:
    return Col(name, what, tuple(rules), required=False, nullable=True)


# Where a row's figures come from: the one definition every table that carries figures from a
# published document reuses (reoffending, indicators, inspections; importers to follow).
SOURCE_COLUMNS = ("source_publisher", "source_title", "source_date")


def source_columns() -> tuple[Col, Col, Col]:
    """The three optional columns naming a row's source document: publisher, title, date.

    The date is text as the document prints it ("2005", "January 2005"): sources print a year
    or a month far more often than a day, and a date read into a day would claim a precision
    the document does not give. Blank when the document prints none; reports then cite the
    publisher and title alone. A row naming none is reported as naming no source.
    """
    publisher, title, when = SOURCE_COLUMNS
    return (
        _opt(publisher, "who published the document the row's figures come from, e.g. HM "
             "Inspectorate of Probation; tables and charts name it as the row's source (a row "
             "naming no source is shown as not named, never as anyone's)"),
        _opt(title, "the title of that document, as it prints it"),
        _opt(when, "its publication date as it prints it, e.g. 2005 or January 2005 (text, not "
             "read as a date); blank when the document prints none"),
    )


def _exists(table: str, column: str, target: str | None = None) -> Rule:
    if target is None:
        return Rule("exists", f"must be the {column} of a row in {table}")
    return Rule("exists", f"each id in {column} must be the {target} of a row in {table}")


TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "areas",
            "Probation areas, local authorities, partnerships, regions and the nation.",
            (
                _id("area_id", "identifier of the area"),
                _text("name", "the area's name"),
                Col("area_type", "kind of area", (_enum(AREA_TYPES),)),
                Col("parent_id", "the area this one sits in", (_slug_rule(),), False, True),
                _opt("family_group", "areas compared with each other, e.g. small size, low density"),
                _opt("population", "resident population", POSITIVE),
                _opt("code", "the area's ONS (GSS) code, e.g. E06000026 or E22000046; imports "
                     "match published figures to the area by it", ONS_CODE),
            ),
            cross_rules=(
                Rule("exists", "parent_id must be another area's area_id"),
                Rule("no-cycle", "following parent_id must never lead back to the same area"),
            ),
        ),
        Table(
            "plans",
            "Action plans and delivery plans.",
            (
                _id("plan_id", "identifier of the plan"),
                Col("area_id", "area the plan belongs to", (_slug_rule(),)),
                _text("title", "the plan's title"),
                Col("starts", "first day the plan covers", (ISO_DATE, DATE_RANGE)),
                Col("ends", "last day the plan covers", (ISO_DATE, DATE_RANGE)),
                _opt("reported_on", "the date the plan's progress speaks for: the as-of date of "
                     "the reports of its area and of the areas below it that have none of their "
                     "own; blank, they take the date from the area above, or the build's date",
                     ISO_DATE),
                _opt("published_as_printed", "when the plan was published, as it prints it (e.g. "
                     "July 2009); reports name the plan with it"),
            ),
            cross_rules=(
                _exists("areas", "area_id"),
                Rule("ends-after-starts", "ends must not be before starts"),
            ),
            warning_rules=(OUT_OF_RANGE_DATE,),
        ),
        Table(
            "strands",
            "Key strands or objectives of a plan.",
            (
                _id("strand_id", "identifier of the strand"),
                Col("plan_id", "plan the strand belongs to", (_slug_rule(),)),
                Col("pathway", "pathway(s) served; the first is the main one", (PATHWAY,)),
                _text("title", "short description of the strand"),
                _opt("aim", "the aim or outcome"),
                _opt("measure", "measure of success"),
                _opt("actions", "planned actions"),
                _opt("lead", "lead officer's role or lead agency, joint leads separated by ; (a "
                     "strand without one is flagged); counted per organisation, see aliases"),
                _opt("partners", "partner organisations, separated by ;"),
                _opt("pathway_as_printed", "the pathway or pathway code as the plan prints it "
                     "(e.g. ATB, E&D); reports print it beside the pathway"),
                _opt("priority_no", "the plan's number of the priority the strand serves, as "
                     "printed (e.g. 2.7)"),
                _opt("objective_no", "the plan's number of the strand itself, as printed (e.g. "
                     "2.7.2)"),
                _opt("performance_data", "what performance data the strand has or lacks, in the "
                     "source's words (e.g. a partnership's gap analysis)"),
            ),
            cross_rules=(_exists("plans", "plan_id"),),
            warning_rules=(Rule("no-lead", "a strand names no lead: it is counted as '(no lead)' "
                                "and fails the owned check of the SMART audit"),
                           Rule("near-duplicate", "two lead or partner names that look like one "
                                "organisation (the same letters ignoring case, spaces and "
                                "punctuation; the words of one beginning the other; or one the "
                                "initials of the other) but resolve to two: add an aliases row if "
                                "they are one")),
        ),
        Table(
            "milestones",
            "Milestones of a strand, dated as plans write them.",
            (
                _id("milestone_id", "identifier of the milestone"),
                Col("strand_id", "strand the milestone belongs to", (_slug_rule(),)),
                _text("description", "what is to be achieved"),
                Col(
                    "due",
                    "due date: ISO, 31/03/06, 31/3/2006, October 2005, Oct 2005, By March 2010, "
                    "end of June 2010, Q3 2009/10 (financial-year quarter) or 2009/10; a month, "
                    "quarter or year means its last day; unreadable text, or a date before "
                    f"{EARLIEST.year} or after {LATEST.year} (31/12/9999), is kept and shown as "
                    "no date",
                    (),
                    required=True,
                    nullable=True,
                ),
                _opt("status", "progress of the milestone", _enum(MILESTONE_STATUSES)),
                _opt("completed_on", "date the milestone was completed", ISO_DATE),
                _opt("target", "target value of a quantitative milestone", NUMBER),
                _opt("actual", "value achieved so far", NUMBER),
            ),
            cross_rules=(_exists("strands", "strand_id"),),
            warning_rules=(
                Rule("undated", "due has no readable date, or one outside "
                     f"{EARLIEST.year}-{LATEST.year}: the milestone is shown as undated and "
                     "counted against the SMART audit's time-bound check"),
                OUT_OF_RANGE_DATE,
            ),
        ),
        Table(
            "progress",
            "Progress returns: a RAG rating of a strand on a date.",
            (
                Col("strand_id", "strand reported on", (_slug_rule(),)),
                Col("reported_on", "date of the return", (ISO_DATE, DATE_RANGE)),
                Col("rag", "red, amber or green", (_enum(RAGS),)),
                _opt("comment", "what the return says: the reason for the rating"),
                _opt("action", "the action being taken"),
                _opt("decision", "the decision asked of the board"),
            ),
            key=("strand_id", "reported_on"),
            cross_rules=(_exists("strands", "strand_id"),),
        ),
        Table(
            "inspections",
            "Inspections of an area under a framework the workbook knows.",
            (
                _id("inspection_id", "identifier of the inspection"),
                Col("area_id", "area inspected", (_slug_rule(),)),
                Col("framework", "inspection framework: esi-2003, esi-2003-accommodation, hmip-yj-2018 "
                    "(youth justice services) or hmip-pdu (probation delivery units)", (_slug_rule(),)),
                Col("published", "date the report was published", (ISO_DATE, DATE_RANGE)),
                Col("kind", "full, follow-up or thematic", (_enum(INSPECTION_KINDS),)),
                _opt("title", "the report's title"),
                _opt("published_as_printed", "when the report was published, as it prints it"),
                *source_columns(),
            ),
            cross_rules=(
                _exists("areas", "area_id"),
                Rule("known-framework", "framework must be one shipped with the workbook"),
                Rule("one-a-day", "an area's inspections under one framework are published on "
                     "different days, so the previous one is known (a warning)"),
            ),
        ),
        Table(
            "inspection_scores",
            "Criterion scores and ratings from an inspection's scoring sheet.",
            (
                Col("inspection_id", "inspection scored", (_slug_rule(),)),
                _text("criterion", "code of the framework: a criterion, standard (2.1) or key "
                      "question (2.1.1), a section letter, overall, or total"),
                Col("value", "percentage for scored criteria and key questions (% of cases "
                    "sufficient), rating for rated criteria, standards and a rated framework's "
                    "overall, whole points for a total", (), numeric_text=True),
            ),
            key=("inspection_id", "criterion"),
            cross_rules=(
                _exists("inspections", "inspection_id"),
                Rule("known-criterion", "criterion must be a code, section, 'overall' or (where "
                     "the framework sums points) 'total' of the inspection's framework"),
                Rule("rating", "a rated criterion takes one of: " + ", ".join(RATINGS)
                     + "; a standard, and the overall rating of hmip-yj-2018 or hmip-pdu, one of: "
                     + ", ".join(STANDARD_RATINGS)),
                Rule("percentage", "a scored criterion or key question, section or ESI overall "
                     "takes a percentage from 0 to 100"),
                Rule("total", "a total takes whole points from 0 to the most the framework's "
                     "counted standards give (hmip-yj-2018: 12 standards x 3 = 36)"),
                Rule("total-agrees", "a printed total should be the sum of the counted standards' "
                     "points (a warning)"),
                Rule("band-agrees", "a printed overall rating should be the band of the total "
                     "(a warning)"),
            ),
        ),
        Table(
            "recommendations",
            "Recommendations of an inspection and the strands that answer them.",
            (
                _id("recommendation_id", "identifier of the recommendation"),
                Col("inspection_id", "inspection that made it", (_slug_rule(),)),
                _opt("number", "number as printed"),
                _text("text", "short paraphrase"),
                _opt("addressed_by", "strand ids separated by ;", SLUG_LIST),
                _opt("due", "date due; blank means 12 months after publication", ISO_DATE),
                _opt("status", "open, implemented or superseded", _enum(RECOMMENDATION_STATUSES)),
            ),
            cross_rules=(
                _exists("inspections", "inspection_id"),
                _exists("strands", "addressed_by", "strand_id"),
                Rule("unique-number", "no two recommendations of one inspection share a number"),
                Rule("due-after-published", "due must not be before the inspection was published"),
            ),
            warning_rules=(
                Rule("other-area", "a strand in addressed_by belongs to a plan of an area that is "
                     "neither the inspected area nor one above or below it"),
                OUT_OF_RANGE_DATE,
            ),
        ),
        Table(
            "indicators",
            "Performance indicators against targets and comparators.",
            (
                Col("area_id", "area measured", (_slug_rule(),)),
                Col("period", "period measured", (PERIOD_RULE,)),
                _text("indicator", "indicator name or code"),
                Col("value", "value achieved", (NUMBER,)),
                _opt("target", "target value", NUMBER),
                _opt("comparator", "comparator value, e.g. England and Wales average", NUMBER),
                _opt("comparator_label", "what the comparator is"),
                Col("unit", "unit of value, target and comparator", (_enum(UNITS),)),
                Col("better", "whether higher or lower is better", (_enum(BETTER),)),
                _opt("target_note", "what the target is, in the source's words (e.g. target for "
                     "the South-West Region)"),
                _opt("baseline_period", "the period a change is measured from, for an indicator "
                     "that is a change (e.g. 2000 for a reduction since 2000)", PERIOD_RULE),
                *source_columns(),
            ),
            key=("area_id", "period", "indicator"),
            cross_rules=(_exists("areas", "area_id"),),
        ),
        Table(
            "reoffending",
            "Cohort outcomes: proven reoffending, actual and predicted.",
            (
                Col("area_id", "area of the cohort", (_slug_rule(),)),
                Col("cohort", "the cohort's period: a quarter, a calendar or financial year, or "
                    "the twelve months of an MoJ rolling cohort (which overlap, and are never "
                    "added together)", (COHORT_RULE,)),
                Col("measure", "measure, e.g. adult-proven-1yr, ni18, ppo", (_slug_rule(),)),
                _opt("offenders", "offenders in the cohort", NON_NEGATIVE),
                _opt("reoffenders", "offenders who reoffended", NON_NEGATIVE),
                _opt("rate", "published actual rate, percent", PERCENT),
                _opt("reoffences", "proven re-offences", NON_NEGATIVE),
                _opt("predicted_rate", "predicted rate, percent", PERCENT),
                _opt("serious_reoffences", "serious proven re-offences", NON_NEGATIVE),
                _opt("flags_as_printed", "the publisher's symbols that stood where a count is "
                     "blank, with what each means, e.g. reoffenders: * (withheld by the publisher); "
                     "an import writes it"),
                _opt("verdict_as_printed", "actual against predicted in the source's own words, for "
                     "a rate printed without counts to test, e.g. statistically slightly higher than "
                     "predicted; reports show it as the source's"),
                _opt("cohort_as_printed", "the cohort or baseline period as the source prints it, "
                     "e.g. 1st 4 cohorts (baseline) or Oct 07 - Sept 08; reports print it, the "
                     "cohort key only orders the rows"),
                _opt("expected_reoffenders", "NI 18: expected number of re-offenders as printed "
                     "(offenders times predicted rate); shown as published, the workbook's own "
                     "n times p is kept for the check", NUMBER),
                _opt("target_reoffenders", "NI 18: the agreed target number of re-offenders, as "
                     "the plan prints it; reports show it in place of the workbook's calculation",
                     NON_NEGATIVE),
                _opt("target_rate", "NI 18: the agreed rate of re-offending needed, percent, as "
                     "printed; blank: the agreed count over offenders", PERCENT),
                _opt("target_change_pct", "NI 18: the agreed % change from the predicted rate, as "
                     "printed (negative is a fall); blank: worked out from the target rate", NUMBER),
                _opt("months_on_scheme", "NI 30: average months the cohort's prolific and priority "
                     "offenders have been on the scheme, as printed", NUMBER),
                _opt("improvement_target_pct", "NI 30: improvement target (stretch), percent fall "
                     "in proven re-offences from the baseline, as printed", NUMBER),
                _opt("ratio_target", "NI 30: proposed ratio target over two years, as printed",
                     NUMBER),
                _opt("ceiling_reoffences", "NI 30: performance ceiling target end point, proven "
                     "re-offences, on the baseline row", NON_NEGATIVE),
                _opt("target_reoffences", "NI 30: improvement target end point, proven "
                     "re-offences, on the baseline row (its reoffences is the baseline count)",
                     NON_NEGATIVE),
                _opt("target_by", "NI 18 and NI 30: the period by whose end the agreed target is "
                     "to be met, on the baseline row, as the plan says it (e.g. 2011 for the East "
                     "Midlands NI 18 targets); later cohorts are then read against a straight "
                     "line from the baseline to the target at that date", COHORT_RULE),
                *source_columns(),
            ),
            key=("area_id", "measure", "cohort"),
            cross_rules=(
                _exists("areas", "area_id"),
                Rule("reoffenders-within-offenders", "reoffenders must not exceed offenders"),
                Rule("reoffences-cover-reoffenders", "reoffences must not be fewer than reoffenders"),
                Rule("serious-within-reoffences", "serious_reoffences must not exceed reoffences"),
                Rule("rate-agrees", "rate must agree with reoffenders/offenders to its printed "
                     "precision"),
                Rule("has-figures", "a row needs counts, a rate or a predicted rate"),
                Rule("no-future-cohort", "a cohort cannot start after today"),
            ),
        ),
        Table(
            "glossary",
            "Local abbreviations and terms, explained in the glossary of each report that uses "
            "them (beside the workbook's own list of the field's terms, which a row with the same "
            "term replaces).",
            (
                _text("term", "the term as the documents write it, e.g. GPA"),
                _text("meaning", "what it stands for or means"),
                _opt("area_id", "the area whose reports use this meaning (its own, the areas "
                     "above it and below it); blank for every report", _slug_rule()),
            ),
            key=("term", "area_id"),
            cross_rules=(_exists("areas", "area_id"),),
        ),
        Table(
            "aliases",
            "Other spellings, acronyms and sub-units of one name, mapped to the name reports show. "
            "Lead and partner names are matched ignoring case, spacing, dashes, '&' for 'and' and "
            "spaces by brackets ('NOMS(Probation)' is 'NOMS ( Probation )'); a canonical name is "
            "also a spelling of itself; a name no row maps is its own organisation. "
            f"{SPLIT_RULE} Lead load counts a strand once for each organisation of its lead. "
            "A geography alias is another name a publisher gives an area (e.g. Plymouth UA for "
            "the Plymouth partnership); its canonical is the area's name or area_id, and imports "
            "match published figures by it.",
            (
                Col("kind", "what the name is: organisation (a lead or partner) or geography (an "
                    "area as a publisher names it)", (_enum(ALIAS_KINDS),)),
                _text("spelling", "a spelling as the data writes it, e.g. NOMS (DOM Office)"),
                _text("canonical", "the organisation it belongs to, as reports name it, e.g. "
                      "National Offender Management Service; for a geography, the area's name or "
                      "area_id"),
            ),
            cross_rules=(Rule("one-canonical", "no spelling of a kind (matched as above) maps to "
                              "two canonical names"),),
        ),
        Table(
            "groupings",
            "Groups an area belongs to besides its parent_id, e.g. its police force area or "
            "probation region, as an ONS lookup gives them. Reports roll figures up along "
            "parent_id only: a grouping names comparison groups and adds nothing up.",
            (
                Col("area_id", "the area in the group", (_slug_rule(),)),
                _text("grouping", "what kind of group, e.g. police force area"),
                _text("group", "the group's name, e.g. Devon and Cornwall"),
                _opt("group_code", "the group's ONS (GSS) code, e.g. E23000035", ONS_CODE),
            ),
            key=("area_id", "grouping"),
            cross_rules=(_exists("areas", "area_id"),),
        ),
        Table(
            "commentary",
            "The analyst's words on a section of an area's report. A report shows, for each "
            "section, the latest commentary dated on or before its as-of date and after its "
            "previous reporting date, at the start of the section.",
            (
                Col("area_id", "area the commentary is about", (_slug_rule(),)),
                Col("section", "section of the report it belongs to",
                    (_enum(COMMENTARY_SECTIONS),)),
                Col("as_of", "date the commentary speaks for", (ISO_DATE, DATE_RANGE)),
                _text("text", "the commentary, as it is to be printed"),
            ),
            key=("area_id", "section", "as_of"),
            cross_rules=(_exists("areas", "area_id"),),
        ),
    )
}

OFFENDERS = Table(
    "offenders",
    "Record-level cohort members (pseudonymised), aggregated with DuckDB; never published.",
    (
        Col("area_id", "area of the cohort", (_slug_rule(),)),
        Col("cohort", "period the cohort starts", (COHORT_RULE,)),
        Col("measure", "measure", (_slug_rule(),)),
        Col("reoffended", "0 or 1", ()),
        Col("reoffences", "proven re-offences, 0 or more, above 0 exactly when reoffended", ()),
        Col("predicted", "predicted probability of reoffending, 0 to 1", ()),
        _opt("serious", "0 or 1: a serious re-offence"),
    ),
    cross_rules=(
        _exists("areas", "area_id"),
        Rule("binary", "reoffended and serious are 0 or 1"),
        Rule("reoffences-match", "reoffences is above 0 exactly when reoffended is 1"),
        Rule("probability", "predicted is a probability from 0 to 1"),
    ),
)

REQUIRED_TABLES = ("areas",)


def schema(table: Table) -> pa.DataFrameSchema:
    """The pandera schema of a table as read from a file: every cell is text or missing."""
    columns = {}
    for col in table.columns:
        checks = [
            pa.Check(rule.check, element_wise=True, name=rule.rule, error=f"{rule.rule}: {rule.text}")
            for rule in col.rules
            if rule.check is not None
        ]
        columns[col.name] = pa.Column(
            None,
            checks=checks,
            nullable=col.nullable,
            unique=col.unique,
            required=col.required,
            description=col.description,
        )
    unique = list(table.key) if table.key else None
    return pa.DataFrameSchema(columns, strict=False, unique=unique, name=table.name)


def markdown() -> str:
    """The contract as Markdown, generated from the schemas so the documentation cannot drift."""
    lines = [
        "# The data contract",
        "",
        "<!-- Generated by `workbook contract > docs/data.md` from analysis/contract.py; "
        "a test fails if the two differ. -->",
        "",
        "An analyst hands the workbook a folder of CSV files, or one Excel workbook with a sheet "
        "per table named like the file. Only `areas` is required; a report section whose table "
        "is missing says so instead of failing.",
        "",
        "- Column names are matched ignoring case, surrounding spaces, and spaces or hyphens "
        "inside (`Area ID` is `area_id`). Extra columns are kept and passed through.",
        "- Rows are numbered as a spreadsheet shows them: the header is row 1.",
        "- Every problem is listed at once, with file, row, column, value and rule. A row is "
        "either loaded or named in an error; nothing is dropped silently.",
        "- A file or sheet is read as a table when its name, ignoring case, spaces, hyphens and "
        "underscores, is the table's: `Reoffending.csv`, `Inspection Scores.csv` and a sheet "
        "`Re-offending` are read. Two files or sheets naming one table are an error "
        "(`duplicate-table`) and neither is read. Every other file, folder or sheet is listed "
        "as a warning (`not-read`), and so is a hidden sheet, which is never read. Only regular "
        "files are read: a folder, pipe or device under a table's name is an error (`not-a-file`).",
        "- CSV files should be UTF-8; byte-order marks are ignored, however many. A file that is "
        "not UTF-8 is read as Windows-1252 with a warning. A file separated by `;` or by tabs is "
        "read with a warning (`separator`); a first line `sep=;` (as Excel writes it) names the "
        "separator and is not counted, so the header is row 1 as Excel shows it. A quote "
        "left open is an error naming the row where it opened (`unclosed-quote`); a quoted "
        "value over several lines that holds the separator is warned of (`line-break`).",
        "- Numbers are finite (not NaN or infinity) and use commas only between groups of "
        "three digits (`1,234,567`); counts must fit a 64-bit integer. In a file separated by "
        "`;` a decimal comma is read as a decimal point with a warning (`decimal-comma`: `3,5` is "
        "3.5), except one comma before exactly three digits (`1,234`), which is refused as "
        "ambiguous (`ambiguous-comma`).",
        "- Excel: a cell formatted as a percentage is read as shown (0.385 shown as 38.5% is "
        "38.5); every cell of a merged range is read as its top-left value, with a warning "
        "(`merged-cells`); a formula with no saved value is an error (`formula-no-value`).",
        f"- Dates run from {EARLIEST.isoformat()} to {LATEST.isoformat()}; outside them a date is "
        "a placeholder such as 31/12/9999 or a typo. A required date outside is an error "
        "(`date-range`); an optional one is read as blank with a warning; a milestone's `due` "
        "outside is shown as no date (`undated`).",
        "",
    ]
    for table in (*TABLES.values(), OFFENDERS):
        req = " (required)" if table.name in REQUIRED_TABLES else ""
        fname = "offenders.csv or offenders.parquet" if table is OFFENDERS else f"{table.name}.csv"
        lines += [f"## {fname}{req}", "", table.description, ""]
        lines += ["| column | must be present | may be blank | rules |", "| --- | --- | --- | --- |"]
        for col in table.columns:
            rules = [f"`{r.rule}`: {r.text}" for r in col.rules]
            if col.unique:
                rules.append("`unique`: no two rows share it")
            rules.insert(0, col.description)
            lines.append(
                f"| {col.name} | {'yes' if col.required else 'no'} | "
                f"{'yes' if col.nullable else 'no'} | {'; '.join(rules)} |"
            )
        lines.append("")
        if table.key:
            lines += [f"No two rows share the same {', '.join(table.key)}.", ""]
        if table.cross_rules:
            lines += ["Rules across rows and tables:", ""]
            lines += [f"- `{r.rule}`: {r.text}" for r in table.cross_rules]
            lines.append("")
        if table.warning_rules:
            lines += ["Warnings (reported; the row still loads):", ""]
            lines += [f"- `{r.rule}`: {r.text}" for r in table.warning_rules]
            lines.append("")
    lines += ["## Pathways", "", "| code | name | kind | aliases |", "| --- | --- | --- | --- |"]
    for p in PATHWAYS:
        lines.append(f"| {p.code} | {p.name} | {p.kind} | {'; '.join(p.aliases)} |")
    lines.append("")
    return "\n".join(lines)


def today() -> date:
    """Today's date; a function so tests can see the same value the checks use."""
    return date.today()
