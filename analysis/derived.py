"""Declared derived tables: every table of `Results` with its columns, kinds and blanks, checked."""

from __future__ import annotations

import sys
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

import pandas as pd
import pandera.pandas as pa
from pandas.api import types

__all__ = ["DERIVED", "DerivedTableError", "check", "empty", "markdown", "passed_through", "problems",
           "schema"]


class DerivedTableError(ValueError):
    """A derived table lacks a declared column, has an undeclared one, or a column of another kind."""


def _empty_or(accepts: Callable[[pd.Series], bool]) -> Callable[[pd.Series], bool]:
    # An empty frame has no values to type: pandas gives its columns object (or float) dtype.
    return lambda s: len(s) == 0 or accepts(s)


def _is_flag(s: pd.Series) -> bool:
    if types.is_bool_dtype(s.dtype):
        return True
    # True, False or <NA> in an object column (as a comparison that can be unknown leaves it).
    return s.dtype == object and s.dropna().map(type).isin([bool]).all()


@dataclass(frozen=True)
class Kind:
    """What a column holds: its name, its wording, and the check on the column's dtype."""

    name: str
    text: str
    accepts: Callable[[pd.Series], bool]


TEXT = Kind("text", "text (str, string or object dtype)",
            _empty_or(lambda s: s.dtype == object or isinstance(s.dtype, pd.StringDtype)))
INTEGER = Kind("integer", "whole numbers (int64, or Int64 where a value may be blank)",
               _empty_or(lambda s: types.is_integer_dtype(s.dtype)))
NUMBER = Kind("number", "numbers (float64, or an integer dtype)",
              _empty_or(lambda s: types.is_numeric_dtype(s.dtype) and not types.is_bool_dtype(s.dtype)))
FLAG = Kind("flag", "true or false (bool, or boolean/object where a value may be unknown)",
            _empty_or(_is_flag))
DATE = Kind("date", "dates (datetime64, any unit)", _empty_or(lambda s: types.is_datetime64_dtype(s.dtype)))


@dataclass(frozen=True)
class Column:
    """A column of a derived table: its kind, meaning, and whether a cell may be blank."""

    name: str
    kind: Kind
    description: str
    nullable: bool = True
    required: bool = True  # False: present only when the data gives what it needs


@dataclass(frozen=True)
class Derived:
    """A derived table: its columns; ``passes_through`` names the input table whose extra
    columns it carries after its own (an analyst's columns the contract does not declare)."""

    name: str
    description: str
    columns: tuple[Column, ...]
    passes_through: str = ""


def _key(name: str, what: str) -> Column:
    return Column(name, TEXT, what, nullable=False)


def _t(name: str, what: str) -> Column:
    return Column(name, TEXT, what)


def _n(name: str, what: str) -> Column:
    return Column(name, NUMBER, what)


def _i(name: str, what: str, *, nullable: bool = True) -> Column:
    return Column(name, INTEGER, what, nullable=nullable)


def _count(name: str, what: str) -> Column:
    return Column(name, INTEGER, what, nullable=False)


def _d(name: str, what: str, *, nullable: bool = True) -> Column:
    return Column(name, DATE, what, nullable=nullable)


def _f(name: str, what: str, *, nullable: bool = True) -> Column:
    return Column(name, FLAG, what, nullable=nullable)


_AREA = _key("area_id", "area the row belongs to")
_PLAN = _key("plan_id", "plan")
_MEASURE = _key("measure", "reoffending measure")
_COHORT = _key("cohort", "cohort (YYYY-Qn, YYYY, YYYY/YY or YYYY-MM/YYYY-MM)")
# The cohort a rate is of, and the counts it is made from (as published): the key of every
# table that sets an area's rate against others'.
_COUNTED = (_AREA, _MEASURE, _COHORT, _i("offenders", "offenders"), _i("reoffenders", "reoffenders"))
_SUPPRESSED = _t("suppressed", "columns withheld on this row by disclosure control, separated by ;")
# The source the row's input names (contract.source_columns), carried through so that each
# table and chart cites what its own rows name (analysis.sources).
_SOURCES = (_t("source_publisher", "publisher of the source document the row's input names"),
            _t("source_title", "its title"), _t("source_date", "its date as printed"))

DERIVED: dict[str, Derived] = {d.name: d for d in (
    Derived("milestones_status", "Each milestone's state as of the date (progress.milestone_status).", (
        _key("milestone_id", "milestone"), _key("strand_id", "strand"), _AREA, _PLAN,
        _t("pathway", "main pathway of the strand"), _t("description", "what is to be achieved"),
        _t("due", "due date as the plan wrote it"), _d("due_date", "due date read (blank: no date)"),
        _t("due_precision", "day, month, quarter, year or none"), _t("status", "status as returned"),
        _d("completed_on", "date completed"), _key("state", "state as of the date"),
        _i("days_overdue", "days past due (overdue or past due with no return)"),
        _f("met_on_time", "complete by its due date", nullable=False),
        _n("target", "target of a quantitative milestone"), _n("actual", "value achieved"),
        _t("quantity", "met, behind, no return or in progress (quantitative only)"),
        _d("returned_on", "the strand's latest progress return by the date"),
        _d("as_of", "the date", nullable=False),
    )),
    Derived("strands_summary", "Each strand's milestones, RAG and SMART audit (progress.strand_summary).", (
        _key("strand_id", "strand"), _PLAN, _AREA, _t("pathway", "main pathway"),
        _t("pathways", "pathways served, separated by ;"), _t("title", "the strand's title"),
        _t("lead", "lead as the plan names it"),
        *(_count(c, f"milestones: {c.replace('_', ' ')}") for c in (
            "milestones", "complete", "met_on_time", "missed", "overdue", "no_return", "due_soon",
            "undated", "dropped")),
        _t("rag", "red, amber, not reported or green (blank: no milestones)"),
        _key("rag_source", "where the RAG comes from"), _count("smart_score", "SMART checks met"),
        _t("smart_met", "SMART checks met"), _t("smart_missing", "SMART checks missed, with reasons"),
    )),
    Derived("pathway_coverage", "Each plan's strands per pathway and theme (progress.pathway_coverage).", (
        _AREA, _PLAN, _key("pathway", "pathway or theme code"), _t("pathway_name", "its name"),
        _t("kind", "pathway or cross-cutting theme"), _count("strands", "strands serving it"),
        _count("main_strands", "strands whose main pathway it is"),
        _count("milestones", "milestones of those strands"), _f("gap", "no strand serves it", nullable=False),
    )),
    Derived("plan_gaps", "Each plan's pathways and themes with no strand (progress.plan_gaps).", (
        _AREA, _PLAN, _t("pathway_gaps", "pathway codes with no strand, separated by ;"),
        _t("theme_gaps", "cross-cutting theme codes with no strand, separated by ;"),
    )),
    Derived("lead_load", "Strands and open milestones per organisation leading them in each plan "
            "(progress.lead_load).", (
        _AREA, _PLAN, _key("lead", "organisation, as aliases name it ('(no lead)' for strands without one)"),
        _count("strands", "strands led"),
        _count("open_milestones", "milestones neither complete nor dropped"),
        _count("overdue", "milestones missed or overdue"), _n("share", "percentage of the plan's strands"),
        _count("plan_strands", "strands in the plan: share's denominator (a joint lead counts for each)"),
    )),
    Derived("inspection_criteria", "Every criterion of each inspection (inspection.criterion_scores).", (
        _key("inspection_id", "inspection"), _AREA, _key("framework", "framework"),
        _key("criterion", "criterion code"), _t("section", "section letter"),
        _t("section_title", "section's title"), _t("title", "criterion's title"),
        _t("scoring", "scored or rated"), _t("importance", "critical or important"),
        _n("weight", "weight in its section score"), _n("score", "percentage (scored criteria)"),
        _t("rating", "rating (rated criteria)"), _i("rating_rank", "1 = very well met ... 6 = poor"),
        *_SOURCES,
    )),
    Derived("inspection_sections", "Section and overall scores beside the printed ones "
            "(inspection.section_scores).", (
        _key("inspection_id", "inspection"), _AREA, _key("framework", "framework"),
        _key("section", "section letter or overall"), _t("title", "its title"),
        _n("score", "score to one decimal"), _n("score_exact", "score unrounded"),
        _n("published", "score as printed"), _f("agrees", "our rounding agrees with the printed score"),
        _count("criteria_scored", "criteria with a score"), _count("criteria_expected", "criteria scored"),
        _f("complete", "every criterion has a score", nullable=False), *_SOURCES,
    )),
    Derived("inspection_family", "Latest full inspection beside its family group "
            "(inspection.family_comparison).", (
        _AREA, _t("family_group", "family group"), _key("inspection_id", "inspection"),
        _key("framework", "framework"), _key("section", "section"), _n("score", "score"),
        _n("family_mean", "mean score of the family group"),
        _i("family_size", "areas in the mean (blank: no family group)"),
        _i("rank_in_family", "rank in the family, 1 = highest"), _n("vs_family", "score - family mean"),
        _n("all_mean", "mean of all areas"), _count("all_size", "areas in that mean"), *_SOURCES,
    )),
    Derived("inspection_change", "Change in section scores between consecutive inspections "
            "(inspection.inspection_change).", (
        _AREA, _key("framework", "framework"), _key("section", "section"),
        _key("previous_inspection", "earlier inspection"), _n("previous_score", "its score"),
        _key("inspection_id", "later inspection"), _t("kind", "its kind"), _n("score", "its score"),
        _n("change", "later - earlier score, points"),
    )),
    Derived("inspection_standards", "Every standard and key question of each inspection under a "
            "rated framework: hmip-yj-2018, hmip-pdu (ratings.standard_ratings).", (
        _key("inspection_id", "inspection"), _AREA, _key("framework", "framework"),
        _key("criterion", "standard (2.1) or key question (2.1.1)"), _t("section", "domain number"),
        _t("section_title", "domain's title"), _t("title", "standard's name or key question"),
        _t("short", "a key question in a few words (the framework file's), for a chart"),
        _t("scoring", "rated (standard) or scored (key question)"),
        _t("parent", "the standard a key question belongs to"),
        _f("counts", "the standard's points add to the total", nullable=False),
        _f("applies", "the framework had the code when the inspection was published", nullable=False),
        _t("rating", "Outstanding, Good, Requires improvement or Inadequate (standards)"),
        _i("rating_rank", "1 = Outstanding ... 4 = Inadequate"),
        _i("points", "points for the rating where the framework sums them (3, 2, 1, 0)"),
        _n("percent_sufficient", "percentage of cases inspected sufficient (key questions)"),
        *_SOURCES,
    )),
    Derived("inspection_ratings", "Each rated inspection's overall rating: printed, and where the "
            "framework sums points, its total and band (ratings.overall_ratings).", (
        _key("inspection_id", "inspection"), _AREA, _key("framework", "framework"),
        _d("published", "date published"), _t("kind", "full, follow-up or thematic"),
        _i("standards_rated", "counted standards with a rating"),
        _i("standards_counted", "standards that count towards the total"),
        _i("total", "sum of the counted standards' points (blank unless every one is rated)"),
        _i("max_total", "most points the counted standards give"),
        _t("band", "the framework's band for the total"), _i("band_low", "band's lowest total"),
        _i("band_high", "band's highest total"),
        _t("band_status", "verified, or provisional where no published total yet confirms the edge"),
        _t("band_note", "why a band is provisional"),
        _i("printed_total", "total as printed"), _t("printed_rating", "overall rating as printed"),
        _t("rating", "overall rating shown: printed, else the band"),
        _t("rating_basis", "printed or banded from the total"),
        _f("agrees", "the band agrees with the printed rating"),
        _f("total_agrees", "our total agrees with the printed total"), *_SOURCES,
    )),
    Derived("rating_change", "Each standard, key question and overall rating beside the same "
            "area's previous inspection under the framework (ratings.rating_change).", (
        _AREA, _key("framework", "framework"), _key("criterion", "code, or overall"),
        _t("title", "its name"), _key("previous_inspection", "earlier inspection"),
        _t("previous_rating", "its rating"), _n("previous_percent", "its percentage sufficient"),
        _i("previous_total", "its total points (overall, where summed)"),
        _key("inspection_id", "later inspection"), _t("rating", "its rating"),
        _n("percent_sufficient", "its percentage sufficient"),
        _i("total", "its total points (overall, where summed)"),
        _i("steps", "steps up the four-point scale (negative: down)"),
        _t("change", "improved, declined or unchanged"),
        _n("change_points", "percentage sufficient now - then, points"),
        _i("change_total", "total points now - then (overall)"),
    )),
    Derived("rating_comparison", "Each area's latest rated inspection beside every area's latest "
            "under the same framework (ratings.rating_comparison).", (
        _AREA, _key("inspection_id", "inspection"), _key("framework", "framework"),
        _key("criterion", "code, or overall"), _t("title", "its name"), _t("rating", "rating"),
        _i("total", "total points (overall, where summed)"),
        _n("percent_sufficient", "percentage sufficient (key questions)"),
        _count("areas", "areas whose latest inspection gives this code"),
        _i("good_or_better", "of them, rated Outstanding or Good (blank for key questions)"),
        _n("mean_percent", "mean percentage sufficient of those areas"),
        _i("rank", "1 = best among them"), *_SOURCES,
    )),
    Derived("recommendations_status", "Each recommendation against the strands answering it "
            "(recommendations.recommendation_status).", (
        _key("recommendation_id", "recommendation"), _key("inspection_id", "inspection"), _AREA,
        _key("state", "not answered, answered but behind, answered and on track, implemented or "
             "superseded"),
        _t("addressed_by", "strands named, separated by ;"), _d("due", "date due"),
        _i("days_late", "days past due while open"), _t("number", "number as printed"),
        _t("text", "the recommendation"), _t("status", "status as given"),
        _d("published", "inspection published"), _d("response_due", "action plan due"),
        _t("due_source", "where the due date comes from"),
        _f("late", "open past its due date", nullable=False),
        _f("response_overdue", "not answered after the plan was due", nullable=False),
        _t("answered_by", "strands answering it, separated by ;"), _t("strand_states", "their states"),
        _t("reason", "why it has its state"), _d("as_of", "the date", nullable=False),
    )),
    Derived("inspection_responses", "Each inspection's recommendations by state "
            "(recommendations.inspection_responses).", (
        _key("inspection_id", "inspection"), _AREA, _d("published", "published"),
        _d("response_due", "action plan due"), _count("recommendations", "recommendations"),
        *(_count(c, f"recommendations {c.replace('_', ' ')}") for c in (
            "not_answered", "behind", "on_track", "implemented", "superseded", "late",
            "response_overdue", "unanswered_or_late")),
        _d("as_of", "the date", nullable=False),
    )),
    Derived("reoffending_rates", "Rates, intervals and actual against predicted per cohort "
            "(reoffending.reoffending_rates, disclosure applied).", (
        *_COUNTED, _n("rate", "rate, percent"), _t("rate_source", "counts or published"),
        _n("published_rate", "rate as published"), _n("ci_low", "95% lower limit (interval_method)"),
        _n("ci_high", "95% upper limit (interval_method)"),
        _t("interval_method", "'Wilson' or 'Clopper-Pearson' (exact, where n x p x (1 - p) < 10)"),
        _n("predicted_rate", "predicted rate, percent"),
        _n("expected_reoffenders", "n x predicted"), _n("difference", "rate - predicted, points"),
        _n("difference_pct", "difference / predicted x 100"), _n("z", "z statistic"),
        _n("p_value", "two-sided p value"), _f("significant", "p < 0.05"),
        _t("test_method", "the test used"),
        _t("significance_test", "'z-test' or 'exact binomial' (where n x p x (1 - p) < 10)"),
        _i("reoffences", "proven re-offences"),
        _n("frequency", "re-offences per 100 offenders"),
        _n("reoffences_per_reoffender", "re-offences per reoffender"),
        _i("serious_reoffences", "serious re-offences"),
        _n("severity", "serious re-offences per 100 offenders"),
        Column("predicted_variance", NUMBER, "sum of p(1-p) from record-level data", required=False),
        _t("verdict", "actual against predicted in words (verdicts.with_verdicts)"),
        _t("verdict_source", "'test' (from the counts) or 'as printed' (the source's words)"),
        _t("comparator_area_id", "nearest area above with a rate for the measure and cohort"),
        _n("comparator_rate", "its rate, percent"),
        _n("comparator_predicted_rate", "its predicted rate, percent"),
        *_SOURCES, _SUPPRESSED,
    ), passes_through="reoffending"),
    Derived("reoffending_trend", "Change against the baseline cohort (reoffending.trend).", (
        _AREA, _MEASURE, _COHORT, _t("baseline_cohort", "baseline cohort"),
        _i("offenders", "offenders"), _i("reoffenders", "reoffenders"), _n("rate", "rate, percent"),
        _n("baseline_rate", "baseline rate"), _n("change", "rate - baseline, points"),
        _n("change_pct", "change / baseline x 100"), _n("predicted_rate", "predicted rate"),
        _n("difference", "rate - predicted"), _n("difference_change", "change in the difference"),
        _n("z", "two-proportion z"), _n("p_value", "two-sided p value"), _f("significant", "p < 0.05"),
        _t("test_method", "the test used"), *_SOURCES, _SUPPRESSED,
    )),
    Derived("ni18_targets", "NI 18 targets: agreed as printed, else by the workbook's method "
            "(reoffending.ni18_targets).", (
        _AREA, _MEASURE, _COHORT, _i("offenders", "offenders"),
        _n("expected_reoffenders", "n x predicted"), _n("predicted_rate", "predicted rate"),
        _i("target_reoffenders", "largest count that is a significant fall"),
        _n("target_rate", "target / offenders x 100"), _n("change_pct", "target against predicted, %"),
        _t("target_source", "'agreed' where the data gives the printed target, else the workbook's "
                            "calculation (agreed.py)"),
        _i("computed_target_reoffenders", "the workbook's target: largest significant fall"),
        _n("computed_target_rate", "the workbook's target / offenders x 100"),
        _n("computed_change_pct", "the workbook's target against predicted, %"),
        _t("method", "the method"),
        Column("published_expected_reoffenders", NUMBER, "expected re-offenders as printed",
               required=False),
        Column("cohort_as_printed", TEXT, "the baseline as the plan printed it", required=False),
        *_SOURCES, _SUPPRESSED,
    )),
    Derived("ni30_progress", "NI 30 baseline, targets and progress (reoffending.ni30_progress).", (
        _AREA, _MEASURE, _t("baseline_cohort", "baseline cohort"), _i("offenders", "offenders"),
        _i("baseline_reoffences", "baseline re-offences"), _n("ceiling_reoffences", "ceiling"),
        _n("target_reoffences", "improvement target"), _n("change_needed", "target - baseline"),
        _n("change_needed_pct", "as % of baseline"), _n("ceiling_change", "ceiling - baseline"),
        _n("ceiling_change_pct", "as % of baseline"), _t("latest_cohort", "latest cohort after the baseline"),
        _i("latest_reoffences", "its re-offences"), _n("change_so_far", "latest - baseline"),
        _n("change_so_far_pct", "as % of baseline"), _t("status", "against target and ceiling"),
        Column("baseline_as_printed", TEXT, "the baseline as the plan printed it", required=False),
        Column("months_on_scheme", NUMBER, "months on the scheme, as printed", required=False),
        Column("improvement_target_pct", NUMBER, "stretch: the target's fall, %, as printed",
               required=False),
        Column("ratio_target", NUMBER, "target ratio, as printed", required=False),
        _t("target_by", "the period by whose end the target is to be met"),
        _n("trajectory_reoffences", "the straight line from baseline to target, at the latest cohort "
                                    "(trajectory.with_ni30_trajectory)"),
        Column("on_track", FLAG, "latest re-offences at or below the trajectory"),
        *_SOURCES, _SUPPRESSED,
    )),
    Derived("ni18_progress", "NI 18 against the agreed target, each cohort after the baseline "
            "(trajectory.ni18_progress).", (
        _AREA, _MEASURE, _t("baseline_cohort", "the agreed target's baseline cohort"),
        _t("target_by", "the period by whose end the target is to be met"),
        _n("target_change_pct", "the agreed change from predicted, %"), _COHORT,
        _n("rate", "actual rate, percent"), _n("predicted_rate", "predicted rate, percent"),
        _n("actual_change_pct", "(rate - predicted) / predicted x 100"),
        _n("trajectory_change_pct", "agreed change x share of the time to the target date"),
        Column("on_track", FLAG, "actual change at or below the trajectory"),
        Column("target_met", FLAG, "actual change at or below the agreed change"),
        _t("status", "target met, on track, off track, target missed or no target date"),
        _t("cohort_as_printed", "the baseline as the plan printed it"),
        *_SOURCES, _SUPPRESSED,
    )),
    Derived("funnel", "Funnel limits per measure, cohort and kind of area (funnel.funnel_limits).", (
        *_COUNTED, _n("rate", "rate, percent"), _n("target", "pooled rate"),
        _n("z", "z score against the limits used"),
        _n("z_unadjusted", "z score before any overdispersion adjustment (FunnelPlotR's)"),
        _n("lower_inner", "lower limit at the inner level (level_inner; 95% by default)"),
        _n("upper_inner", "upper limit at the inner level"),
        _n("lower_outer", "lower limit at the outer level (level_outer; 99.8% by default)"),
        _n("upper_outer", "upper limit at the outer level"),
        _t("position", "where the area falls"), _n("phi", "overdispersion factor"),
        _n("tau2", "random-effects variance applied to the limits (0 when not applied)"),
        _f("overdispersion_applied", "limits widened for overdispersion", nullable=False),
        _t("limits_method", "limit form: arcsine, wilson or legacy-arcsine"),
        _n("level_inner", "confidence level of the inner limits"),
        _n("level_outer", "confidence level of the outer limits"),
        _t("method", "the method"),
        _t("area_type", "kind of area compared"), *_SOURCES, _SUPPRESSED,
    )),
    Derived("benchmark", "Each rate against the benchmark area's for the same measure and cohort, "
            "as OHID Fingertips compares them (benchmark.benchmark_comparison).", (
        *_COUNTED, _n("rate", "rate, percent"), _key("benchmark_area_id", "the area compared with"),
        _n("benchmark_rate", "its rate for the same measure and cohort, percent"),
        _key("polarity", "lower-is-better, higher-is-better or none"),
        _n("level_inner", "the first comparison level (0.95)"),
        _n("lower_inner", "lower Wilson score limit at level_inner, percent"),
        _n("upper_inner", "upper Wilson score limit at level_inner, percent"),
        _t("comparison", "better, similar or worse (lower, similar or higher without polarity) at "
           "level_inner"),
        _n("level_outer", "the second, stricter level (0.998)"),
        _n("lower_outer", "lower Wilson score limit at level_outer, percent"),
        _n("upper_outer", "upper Wilson score limit at level_outer, percent"),
        _t("comparison_outer", "the comparison at level_outer"),
        _t("comparison_note", "why a row is not compared"),
        _t("cohort_as_printed", "the cohort as its source prints it"), *_SOURCES, _SUPPRESSED,
    )),
    Derived("spc", "XmR control chart of quarterly rates (spc.xmr).", (
        _AREA, _MEASURE, _COHORT, _n("rate", "rate, percent"), _n("moving_range", "moving range"),
        _f("moving_range_used", "the moving range entered the mean moving range (not screened out, "
           "within the baseline)", nullable=False),
        _i("segment", "segment of the chart (a new one at each rebase), from 1", nullable=False),
        _n("centre", "centre line"), _n("lower", "lower process limit"), _n("upper", "upper process limit"),
        _f("special_cause", "a rule fires"), _t("rules", "rules firing, separated by ;"),
        _t("signal", "the rule deciding the point's direction (precedence 1, 3, 4, 2)"),
        _t("special_cause_type", "NHSRplotthedots' label, e.g. Above UCL, 7 Point Trend (Increasing)"),
        _t("variation", "improvement, concern or common cause"),
        _f("trial_limits", "fewer than 12 points in the segment", nullable=False), *_SOURCES, _SUPPRESSED,
    )),
    Derived("indicators_status", "Indicators against targets and comparators "
            "(indicators.indicator_status).", (
        _AREA, _key("period", "period"), _key("indicator", "indicator"), _n("value", "value"),
        _n("target", "target"), _n("comparator", "comparator"), _t("comparator_label", "what it is"),
        _t("unit", "unit"), _t("better", "higher or lower"), _key("status", "met, not met or no target"),
        _n("gap", "value - target"), _key("vs_comparator", "better, worse, same or no comparator"),
        *_SOURCES,
    )),
    Derived("completeness", "What each area's data has and lacks (completeness.completeness).", (
        _AREA, _key("item", "what is checked"), _key("status", "present, partial or missing"),
        _t("detail", "what was found"), _t("consequence", "what a gap prevents"),
    )),
)}


def schema(table: Derived, passed: Collection[str] = ()) -> pa.DataFrameSchema:
    """The pandera schema of a derived table: each column's kind is a check on its dtype.

    Strict: a column neither declared nor in ``passed`` (the extra input columns a table
    passing them through carries, `passed_through`) fails, so a renamed column fails twice.
    """
    columns = {c.name: pa.Column(None, checks=[pa.Check(c.kind.accepts, name=c.kind.name,
                                                        error=f"{c.kind.name}: {c.kind.text}")],
                                 nullable=c.nullable, required=c.required, description=c.description)
               for c in table.columns}
    for name in passed:
        columns.setdefault(name, pa.Column(None, required=False, nullable=True))
    return pa.DataFrameSchema(columns, strict=True, name=table.name)


def passed_through(dataset: object) -> dict[str, set[str]]:
    """Per derived table, the input columns it may carry beyond its own (a `loader.Dataset`)."""
    out = {}
    for table in DERIVED.values():
        if table.passes_through:
            out[table.name] = {str(c).strip().lower() for c in dataset.table(table.passes_through).columns}
    return out


def _table_problems(table: Derived, frame: pd.DataFrame, passed: Collection[str]) -> list[str]:
    # The schema's rules checked directly on the dtypes (and one isna per never-blank column):
    # pandera's own validation took 0.3-1 s for the nineteen tables, longer than the analysis.
    name, found = table.name, []
    for c in table.columns:
        if c.name not in frame.columns:
            if c.required:
                found.append(f"{name}: column {c.name} missing (declared in analysis/derived.py)")
            continue
        column = frame[c.name]
        if isinstance(column, pd.DataFrame):
            found.append(f"{name}: column {c.name} appears {column.shape[1]} times")
        elif not c.kind.accepts(column):
            found.append(f"{name}: column {c.name} expected {c.kind.text}, found {column.dtype}")
        elif not c.nullable and column.isna().any():
            found.append(f"{name}: column {c.name} has blanks, declared never blank")
    declared = {c.name for c in table.columns} | set(passed)
    found += [f"{name}: column {extra} is not declared (declare it in analysis/derived.py)"
              for extra in frame.columns if extra not in declared]
    return found


def problems(tables: Mapping[str, pd.DataFrame],
             passed: Mapping[str, Collection[str]] | None = None) -> list[str]:
    """Every way the tables differ from their declarations, naming table, column, expected and found.

    The rules of `schema`: each declared column present (unless it is present only when the data
    gives it), of its kind, without blanks where it is declared never blank; no column neither
    declared nor passed through (``passed``, see `passed_through`).
    """
    passed = passed or {}
    found = [f"{name}: not a declared derived table" for name in tables if name not in DERIVED]
    for name, table in DERIVED.items():
        if name not in tables:
            found.append(f"{name}: table missing")
        else:
            found += _table_problems(table, tables[name], passed.get(name, ()))
    return found


def check(tables: Mapping[str, pd.DataFrame], passed: Mapping[str, Collection[str]] | None = None) -> None:
    """`problems`, raised at once as one DerivedTableError listing every one."""
    found = problems(tables, passed)
    if found:
        raise DerivedTableError("derived tables differ from their declared columns:\n  "
                                + "\n  ".join(found))


_DTYPES = {"text": "object", "integer": "Int64", "number": "float64", "flag": "boolean",
           "date": "datetime64[ns]"}


def empty(name: str) -> pd.DataFrame:
    """A derived table with no rows: its declared columns (present ones always), typed by kind."""
    return pd.DataFrame({c.name: pd.Series(dtype=_DTYPES[c.kind.name])
                         for c in DERIVED[name].columns if c.required})


def markdown() -> str:
    """The derived tables as Markdown, generated from the declarations (docs/derived.md)."""
    lines = [
        "# Derived tables",
        "",
        "<!-- Generated by `python -m analysis.derived > docs/derived.md` from analysis/derived.py; "
        "a test fails if the two differ. -->",
        "",
        "`analyse` computes these tables (`Results`) from a validated dataset and checks each "
        "against its declaration below when it is built, and again when a build's snapshot is "
        "read: a missing, renamed or undeclared column, a column of another kind, or a blank "
        "where none is allowed stops the analysis with every problem listed. A table with no rows "
        "passes whatever its dtypes (pandas gives an empty column no type).",
        "",
        "Kinds:",
        "",
        *(f"- `{k.name}`: {k.text}" for k in (TEXT, INTEGER, NUMBER, FLAG, DATE)),
        "",
    ]
    for table in DERIVED.values():
        lines += [f"## {table.name}", "", table.description, "",
                  "| column | kind | may be blank | meaning |", "| --- | --- | --- | --- |"]
        for c in table.columns:
            when = "" if c.required else " (present only when the data gives it)"
            lines.append(f"| {c.name} | {c.kind.name} | {'yes' if c.nullable else 'no'} | "
                         f"{c.description}{when} |")
        lines.append("")
        if table.passes_through:
            lines += [f"Columns of the `{table.passes_through}` input that the contract does not "
                      "declare are passed through after these.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(markdown())
