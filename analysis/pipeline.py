"""The method statement: load, validate, compute every derived table, and export them."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from pathlib import Path

import pandas as pd

from . import completeness as completeness_mod
from . import (
    derived,
    disclosure,
    indicators,
    inspection,
    offenders,
    progress,
    ratings,
    recommendations,
    reoffending,
    trajectory,
    verdicts,
)
from .benchmark import benchmark_comparison
from .csvout import write_csv
from .funnel import funnel_limits
from .loader import Dataset
from .methods import Methods
from .periods import cohort_sort_key
from .sources import SOURCE_COLUMNS, carry_sources
from .spc import xmr

log = logging.getLogger(__name__)


@dataclass
class Results:
    """Every derived table of one dataset as of one date. Published tables are suppressed."""

    as_of: date
    threshold: int
    milestones_status: pd.DataFrame
    strands_summary: pd.DataFrame
    pathway_coverage: pd.DataFrame
    plan_gaps: pd.DataFrame
    lead_load: pd.DataFrame
    inspection_criteria: pd.DataFrame
    inspection_sections: pd.DataFrame
    inspection_family: pd.DataFrame
    inspection_change: pd.DataFrame
    inspection_standards: pd.DataFrame
    inspection_ratings: pd.DataFrame
    rating_change: pd.DataFrame
    rating_comparison: pd.DataFrame
    recommendations_status: pd.DataFrame
    inspection_responses: pd.DataFrame
    reoffending_rates: pd.DataFrame
    reoffending_trend: pd.DataFrame
    ni18_targets: pd.DataFrame
    ni30_progress: pd.DataFrame
    ni18_progress: pd.DataFrame
    funnel: pd.DataFrame
    benchmark: pd.DataFrame
    spc: pd.DataFrame
    indicators_status: pd.DataFrame
    completeness: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    # Each area's own as-of date where it differs from ``as_of`` (see `at_own_dates`); an area
    # not listed is as of ``as_of``.
    area_dates: dict[str, date] = field(default_factory=dict)
    # The statistical methods the funnel, SPC and rates tables were computed with (analysis.methods).
    methods: Methods = field(default_factory=Methods)

    def tables(self) -> dict[str, pd.DataFrame]:
        return {f.name: getattr(self, f.name) for f in fields(self)
                if isinstance(getattr(self, f.name), pd.DataFrame)}

    def for_area(self, area_id: str) -> dict[str, pd.DataFrame]:
        """Each table cut to one area (tables comparing areas keep every area)."""
        keep_all = {"inspection_family", "rating_comparison", "funnel"}
        return {name: t if name in keep_all or "area_id" not in t else
                t[t["area_id"] == area_id].reset_index(drop=True)
                for name, t in self.tables().items()}


def at_own_dates(analysed: Mapping[date, Results], dates: Mapping[str, date], as_of: date) -> Results:
    """One Results in which each area's rows are its rows as of its own date.

    ``analysed`` holds the results as of every date in ``dates`` (area id -> its report's date,
    analysis.asof) and as of ``as_of``, the date of the whole (an overview's). An area's rows in
    each area-keyed table come from the results as of its date, so an overview counts each area
    as its own report does; an area not in ``dates`` is as of ``as_of``. Tables comparing areas
    (funnel, family comparison, ...) do not depend on the date and are the same in every Results.
    Rows keep the order of the results as of ``as_of``, area by area.
    """
    base = analysed[as_of]
    when = {area: day for area, day in dates.items() if day != as_of}
    if not when:
        return base
    combined: dict[str, pd.DataFrame] = {}
    for name, frame in base.tables().items():
        if "area_id" not in frame or frame.empty:
            combined[name] = frame
            continue
        parts = [frame[~frame["area_id"].isin(when)]]
        for day in sorted(set(when.values())):
            other = analysed[day].tables()[name]
            parts.append(other[other["area_id"].map(when).eq(day)])
        # An empty part would turn the typed columns of the others into object in the concat.
        parts = [part for part in parts if len(part)] or parts[:1]
        rank = {area: i for i, area in enumerate(pd.unique(frame["area_id"]))}
        whole = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
        order = whole["area_id"].map(rank).fillna(len(rank)).sort_values(kind="stable").index
        combined[name] = whole.loc[order].reset_index(drop=True)
    return dataclasses.replace(base, **combined, area_dates=dict(when))


def analyse_at_own_dates(dataset: Dataset, dates: Mapping[str, date], as_of: date, *,
                         threshold: int = disclosure.DEFAULT_THRESHOLD,
                         analysed: Mapping[date, Results] | None = None,
                         methods: Methods | None = None) -> Results:
    """`analyse` once per distinct date (reusing ``analysed``), then `at_own_dates`."""
    done = dict(analysed or {})
    for day in sorted({as_of, *dates.values()} - set(done)):
        done[day] = analyse(dataset, as_of=day, threshold=threshold, methods=methods)
    return at_own_dates(done, dates, as_of)


def cohort_table(dataset: Dataset) -> pd.DataFrame:
    """The aggregate reoffending table, with record-level offenders aggregated by DuckDB.

    A cohort given both ways must agree; the record-level aggregate is used for cohorts the
    aggregate table lacks (and carries the exact prediction variance Σp(1-p)).
    """
    table = dataset.table("reoffending")
    if dataset.records is None:
        return table
    records = offenders.aggregate_offenders(dataset.records)
    key = ["area_id", "measure", "cohort"]
    known = table.set_index(key).index
    new = records[~records.set_index(key).index.isin(known)]
    log.info("record-level file adds %d cohorts", len(new))
    return pd.concat([table, new], ignore_index=True)


def _funnels(rates: pd.DataFrame, areas: pd.DataFrame, methods: Methods) -> pd.DataFrame:
    """Funnel limits per measure, cohort and kind of area: a funnel compares like with like.

    A nation, its regions and its local authorities in one funnel would pool each person up to
    three times and set an authority against the nation it is part of, so each funnel holds one
    area_type (three areas at least, or it says nothing).
    """
    kinds = dict(zip(areas["area_id"], areas["area_type"], strict=False))
    rates = rates.assign(area_type=rates["area_id"].map(kinds))
    counted = rates[rates["offenders"].notna() & rates["reoffenders"].notna()]
    frames = []
    for (measure, cohort, kind), group in counted.groupby(["measure", "cohort", "area_type"]):
        if group["area_id"].nunique() >= 3:
            peers = rates[rates["area_type"] == kind]
            frames.append(funnel_limits(peers, measure=measure, cohort=cohort,
                                        **methods.funnel_options()).assign(area_type=kind))
    return pd.concat(frames, ignore_index=True) if frames else derived.empty("funnel")


def _benchmark(rates: pd.DataFrame, areas: pd.DataFrame, methods: Methods) -> pd.DataFrame:
    """Every published rate against the benchmark area's (Methods.benchmark_for), as Fingertips
    compares them (benchmark.benchmark_comparison); a reoffending rate is better lower."""
    area = methods.benchmark_for(areas)
    rated = rates[rates["rate"].notna()]
    if area is None or not (rated["area_id"] == area).any():
        return derived.empty("benchmark")
    compared = benchmark_comparison(rated, area, polarity="lower-is-better")
    printed = rated[["area_id", "measure", "cohort", "cohort_as_printed"]] if "cohort_as_printed" in rated \
        else rated[["area_id", "measure", "cohort"]].assign(cohort_as_printed=pd.NA)
    return compared.merge(printed.drop_duplicates(["area_id", "measure", "cohort"]),
                          on=["area_id", "measure", "cohort"], how="left")


_QUARTER = r"\d{4}-Q[1-4]"


def method_warnings(dataset: Dataset, methods: Methods) -> list[str]:
    """What in ``methods`` the data cannot honour, said once per build (not once per as-of date,
    where a rebase quarter later than the date is expected to be missing): each ``spc_rebase``
    quarter that no quarterly series in the reoffending data holds."""
    if not methods.spc_rebase:
        return []  # nothing asked of the data: no need to assemble the cohorts
    cohorts = set(cohort_table(dataset)["cohort"].astype(str))
    unused = sorted(p for p in methods.spc_rebase if p not in cohorts)
    if not unused:
        return []
    which = "that quarter" if len(unused) == 1 else "those quarters"
    return [f"spc_rebase={' '.join(unused)}: no quarterly series in the reoffending data holds "
            f"{which}, so no control chart is rebased there"]


def _spc(rates: pd.DataFrame, methods: Methods) -> pd.DataFrame:
    """An XmR chart of each area's quarterly rates per measure (spc.xmr, with ``methods``).

    A quarter whose rate is missing or withheld stays in the series as a gap, which breaks runs
    and trends (NHSRplotthedots), unless the legacy rules bridge it.
    """
    frames = []
    quarterly = rates[rates["cohort"].str.fullmatch(_QUARTER, na=False)]
    for (area_id, measure), group in quarterly.groupby(["area_id", "measure"]):
        if group["rate"].notna().sum() < 2:
            continue
        chart = xmr(group[["cohort", "rate"]], value_col="rate", period_col="cohort",
                    better="lower", **methods.spc_options(set(group["cohort"])))
        chart.insert(0, "area_id", area_id)
        chart.insert(1, "measure", measure)
        frames.append(chart)
    return pd.concat(frames, ignore_index=True) if frames else derived.empty("spc")


def analyse(dataset: Dataset, *, as_of: date | None = None,
            threshold: int = disclosure.DEFAULT_THRESHOLD, methods: Methods | None = None) -> Results:
    """Compute every derived table from a validated dataset, as of a date.

    Stages: pathway progress (milestones → strands → coverage → leads); inspection scores
    (criteria → sections → family → change); recommendations against the strands' progress
    (each recommendation → each inspection); reoffending (cohort table → rates → disclosure
    control → trend, funnel, SPC, NI 18, NI 30, progress against the agreed targets);
    indicators; completeness. Disclosure control
    decides once which counts are withheld (`disclosure.protect`, at ``threshold``); the rates,
    NI 18 and NI 30 tables apply it, and trend, funnel and SPC are computed from the rates as
    published, so nothing withheld reaches them. ``methods`` (analysis.methods, default: the
    peers' defaults) chooses the funnel, control-chart and significance methods.
    """
    threshold = disclosure.check_threshold(threshold)
    methods = methods or Methods()
    as_of = as_of or date.today()
    t = dataset.table
    ms = progress.milestone_status(t("milestones"), t("strands"), t("plans"), as_of, t("progress"))
    strands = progress.strand_summary(t("strands"), t("plans"), ms, t("progress"), as_of)
    coverage = progress.pathway_coverage(t("plans"), t("strands"), t("milestones"))
    sections = inspection.section_scores(t("inspection_scores"), t("inspections"))
    standards = ratings.standard_ratings(t("inspection_scores"), t("inspections"))
    overall = ratings.overall_ratings(t("inspection_scores"), t("inspections"), standards)
    answered = recommendations.recommendation_status(t("recommendations"), t("inspections"),
                                                     strands, t("plans"), as_of)
    cohorts = cohort_table(dataset)
    protection = disclosure.protect(cohorts, t("areas"), threshold=threshold)
    rates = disclosure.withhold(reoffending.reoffending_rates(cohorts, **methods.rate_options()),
                                protection, disclosure.RATES)
    # In words and beside the area above, from the published figures only.
    rates = verdicts.with_comparators(verdicts.with_verdicts(rates), t("areas"))
    results = Results(
        as_of=as_of,
        threshold=threshold,
        methods=methods,
        milestones_status=ms,
        strands_summary=strands,
        pathway_coverage=coverage,
        plan_gaps=progress.plan_gaps(coverage),
        lead_load=progress.lead_load(strands, t("aliases")),
        inspection_criteria=inspection.criterion_scores(t("inspection_scores"), t("inspections")),
        inspection_sections=sections,
        inspection_family=inspection.family_comparison(sections, t("inspections"), t("areas")),
        inspection_change=inspection.inspection_change(sections, t("inspections")),
        inspection_standards=standards,
        inspection_ratings=overall,
        rating_change=ratings.rating_change(standards, overall, t("inspections")),
        rating_comparison=ratings.rating_comparison(standards, overall, t("inspections")),
        recommendations_status=answered,
        inspection_responses=recommendations.inspection_responses(answered),
        reoffending_rates=rates,
        reoffending_trend=_published_from(_trend(rates), rates),
        ni18_targets=disclosure.withhold(reoffending.ni18_targets(cohorts), protection,
                                         disclosure.NI18),
        ni30_progress=disclosure.withhold(trajectory.with_ni30_trajectory(reoffending.ni30_progress(cohorts)),
                                          protection, disclosure.NI30),
        ni18_progress=disclosure.withhold(trajectory.ni18_progress(cohorts), protection,
                                          disclosure.NI18_PROGRESS),
        funnel=_published_from(_funnels(rates, t("areas"), methods), rates),
        benchmark=_published_from(_benchmark(rates, t("areas"), methods), rates),
        spc=_published_from(_spc(rates, methods), rates),
        indicators_status=indicators.indicator_status(t("indicators")),
        completeness=completeness_mod.completeness(dataset, ms),
    )
    # Every table against its declared columns (analysis.derived), all problems at once.
    derived.check(results.tables(), derived.passed_through(dataset))
    _check(results, cohorts, t("areas"))
    return results


def _published_from(derived: pd.DataFrame, rates: pd.DataFrame) -> pd.DataFrame:
    """A table computed from the published rates, with their withheld cells listed in `suppressed`.

    It holds only published figures already; the list lets its tables mark them "[c]". Each
    row also keeps the source its cohort's row names (analysis.sources).
    """
    key = ["area_id", "measure", "cohort"]
    named = [c for c in SOURCE_COLUMNS if c in rates]
    matched = derived[key].merge(rates[key + ["suppressed", *named]], on=key, how="left")
    listed = matched["suppressed"]
    columns = set(derived.columns)
    return carry_sources(derived.assign(suppressed=[
        ";".join(c for c in str(s).split(";") if c in columns) if isinstance(s, str) else ""
        for s in listed]), matched)


def _trend(rates: pd.DataFrame) -> pd.DataFrame:
    counted = rates[rates["reoffenders"].notna()]
    if counted.empty:
        return reoffending.trend(rates.iloc[0:0])
    return reoffending.trend(counted)


def _check(results: Results, cohorts: pd.DataFrame, areas: pd.DataFrame) -> None:
    """Checks after the compute stage: no published table gives a small count away."""
    found = disclosure.audit(cohorts, areas, results.tables(), threshold=results.threshold)
    if found:
        shown = "; ".join(found[:5]) + (f"; and {len(found) - 5} more" if len(found) > 5 else "")
        raise disclosure.DisclosureError(f"disclosure control failed: {shown}")


# Columns of each exported file: the public interface of `workbook export` (more may follow).
EXPORTS = {
    "inspection_sections": ["inspection_id", "area_id", "section", "score", "published"],
    "reoffending_rates": ["area_id", "measure", "cohort", "offenders", "reoffenders", "rate",
                          "ci_low", "ci_high", "predicted_rate", "difference", "significant",
                          "reoffences", "frequency", "suppressed"],
    "ni18_targets": ["area_id", "measure", "cohort", "offenders", "expected_reoffenders",
                     "predicted_rate", "target_reoffenders", "target_rate", "change_pct"],
    "milestones_status": ["milestone_id", "strand_id", "area_id", "pathway", "due_date", "state",
                          "days_overdue"],
    "strands_summary": ["strand_id", "area_id", "pathway", "lead", "rag", "smart_score",
                        "smart_missing"],
    "pathway_coverage": ["area_id", "plan_id", "pathway", "strands", "milestones", "gap"],
    "indicators_status": ["area_id", "period", "indicator", "value", "target", "status"],
    "funnel": ["area_id", "measure", "cohort", "offenders", "reoffenders", "rate", "target",
               "level_inner", "lower_inner", "upper_inner", "level_outer", "lower_outer", "upper_outer",
               "position"],
    "spc": ["area_id", "measure", "cohort", "rate", "centre", "lower", "upper", "special_cause",
            "variation"],
    "completeness": ["area_id", "item", "status", "detail", "consequence"],
    "lead_load": ["area_id", "plan_id", "lead", "strands", "open_milestones", "share"],
    "plan_gaps": ["area_id", "plan_id", "pathway_gaps", "theme_gaps"],
    "inspection_family": ["area_id", "family_group", "section", "score", "family_mean"],
    "inspection_change": ["area_id", "section", "previous_score", "score", "change"],
    "inspection_standards": ["inspection_id", "area_id", "framework", "criterion", "rating",
                             "points", "percent_sufficient"],
    "inspection_ratings": ["inspection_id", "area_id", "framework", "rating", "rating_basis",
                           "total", "band", "band_status"],
    "rating_change": ["area_id", "framework", "criterion", "previous_rating", "rating", "change"],
    "ni30_progress": ["area_id", "measure", "baseline_reoffences", "target_reoffences"],
    "ni18_progress": ["area_id", "measure", "baseline_cohort", "target_by", "cohort", "rate",
                      "predicted_rate", "actual_change_pct", "trajectory_change_pct", "status"],
    "reoffending_trend": ["area_id", "measure", "cohort", "rate", "change"],
    "recommendations_status": ["recommendation_id", "inspection_id", "area_id", "state",
                               "addressed_by", "due", "days_late"],
    "inspection_responses": ["inspection_id", "area_id", "recommendations", "not_answered",
                             "late", "unanswered_or_late"],
}

# Record-level and intermediate columns never leave the analysis.
_NEVER_EXPORTED = {"predicted_variance", "source_row"}


def _ordered(frame: pd.DataFrame, first: list[str]) -> pd.DataFrame:
    missing = [c for c in first if c not in frame]
    if missing:
        raise KeyError(f"derived table lacks public columns {missing}")
    rest = [c for c in frame.columns if c not in first and c not in _NEVER_EXPORTED]
    return frame[first + rest]


def export(results: Results, out_dir: Path) -> list[Path]:
    """Write each derived table as CSV (UTF-8, ISO dates), atomically, into out_dir.

    Cells the disclosure layer withheld read "[c]" (the `suppressed` column names them), and
    text that a spreadsheet would run as a formula starts with an apostrophe (`csvout`).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, first in EXPORTS.items():
        frame = _ordered(getattr(results, name), first)
        floats = frame.select_dtypes("float").columns
        frame = frame.assign(**{c: frame[c].round(4) for c in floats})
        if name == "reoffending_rates" or name == "funnel":
            frame = frame.sort_values(["area_id", "measure", "cohort"],
                                      key=lambda s: s.map(cohort_sort_key) if s.name == "cohort"
                                      else s)
        if "suppressed" in frame:
            frame = disclosure.marked(frame.reset_index(drop=True))
        written.append(write_csv(frame, out_dir / f"{name}.csv"))
    return written
