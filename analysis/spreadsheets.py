"""Publication spreadsheets (gptables): every table behind an area's report, one table per sheet.

Each workbook follows the Government Statistical Service (GSS) guidance on releasing statistics
in spreadsheets, as gptables implements it: a cover sheet (title, area, as-of date, source; no
contact details), a contents sheet, a notes sheet (the shorthand, each method in one line, the
units) and one table per sheet with a title, notes, source and units in the column headings.

Only published tables are written: reoffending figures after disclosure control, with each
withheld cell showing the GSS shorthand "[c]" (never a blank), and a whitelist of public
columns per table, so record-level data and intermediate columns (``predicted_variance``,
``source_row``, ...) never reach a workbook.

Text from the data is written as literal text whatever it holds: the workbook is opened with
``strings_to_formulas``, ``strings_to_urls`` and ``strings_to_numbers`` off (a cell reading
``=HYPERLINK(...)`` stays a string, not a formula), and gptables' own parsing of text is
switched off for data: Markdown links (``[text](url)``) never become hyperlinks and ``$$...$$``
never becomes a note reference. Files are written atomically and byte-for-byte reproducibly
(the workbook's creation date is the as-of date).

Relies on gptables 2.0 internals (``GPWorksheet``/``GPWorkbook``), subclassed below.
"""

from __future__ import annotations

import io
import logging
import math
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

import numpy as np
import pandas as pd
from gptables import Cover, GPTable
from gptables.core.wrappers import GPWorkbook, GPWorksheet

from . import __version__
from .disclosure import MARKER, marked, note
from .files import atomic_write_bytes
from .frameworks import load_framework
from .labels import long_date as _as_of_text
from .loader import Dataset
from .pathways import PATHWAY_NAMES
from .pipeline import Results
from .progress import DUE_SOON_DAYS
from .recommendations import STATE_RULE
from .sources import SOURCE_COLUMNS, rows_named, source_line
from .trajectory import ON_TRACK_RULE

__all__ = [
    "MISSING",
    "OVERVIEW_FILE",
    "SHEETS",
    "WORKBOOK_OPTIONS",
    "area_workbook_name",
    "write_area_workbook",
    "write_overview_workbook",
]

log = logging.getLogger(__name__)

MISSING = "[x]"  # GSS shorthand: not available (no figure or text was given, or none applies)
OVERVIEW_FILE = "overview-tables.xlsx"
EXCEL_MAX_CHARS = 32_767  # Excel's limit on the characters in one cell
_TRUNCATED = " [truncated: the text is longer than an Excel cell holds]"
# xlsxwriter would turn text starting "=" into a formula, "http://..." into a link and "1.5"
# into a number: data text must stay text.
WORKBOOK_OPTIONS = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "nan_inf_to_errors": False,
}
_MAX_COLUMN_PIXELS = 500  # long text wraps inside a column this wide instead of widening it

_SOURCE_PLAN = "Source: area reducing reoffending action plan; workbook analysis."
_SOURCE_COMPLETENESS = "Source: workbook data checks."

# Notes sheet: (reference, text). Tables cite them as $$reference$$ in their titles; the first,
# "c", says the build's threshold (`_notes`).
_NOTES: tuple[tuple[str, str], ...] = (
    ("x", f"{MISSING} = not available: the data gave no figure or text, or none applies."),
    ("units", "Units: counts are numbers of people unless the heading says re-offences, "
              "milestones, strands or recommendations; (%) is a percentage; (points) is a "
              "difference between two percentages in percentage points; days are calendar days."),
    ("progress", "Milestone state: overdue when the due date has passed and a return records it "
                 "not done; past due, no return when nothing records whether it was done; due "
                 f"soon within {DUE_SOON_DAYS} days of the as-of date. RAG: the latest progress "
                 "return, else derived from the milestones (not reported when the only problems "
                 "are milestones past due with no return)."),
    ("smart", "SMART audit: specific (an aim is stated), measurable (a measure, a figure in the "
              "aim or a milestone target), time-bound (every milestone has a readable date), "
              "owned (a lead is named), partnered (partners are named); score = criteria met of 5."),
    ("inspection", "Inspection scores: percentage of sampled cases meeting each criterion; section "
                   "scores weight critical criteria twice important ones; overall = 30% assessment, "
                   "40% interventions, 30% initial outcomes (HMI Probation ESI 2003-06)."),
    ("ratings", "Inspection ratings since 2018 (HMI Probation): each standard rated Outstanding, "
                "Good, Requires improvement or Inadequate; key questions give the percentage of "
                "cases inspected found sufficient. Youth justice (hmip-yj-2018): Outstanding 3, "
                "Good 2, Requires improvement 1, Inadequate 0 points over the 12 standards of "
                "organisational delivery, court and out-of-court work (resettlement does not "
                "count), total out of 36 banded 0-6 "
                "Inadequate, 7-18 Requires improvement, 19-30 Good, 31-36 Outstanding; the bands "
                "are inferred from published ratings and a total of 6, 7 or 30 is banded "
                "provisionally. Probation delivery units (hmip-pdu): ratings as printed, no rule "
                "applied."),
    ("recommendations", STATE_RULE),
    ("rates", "Proven reoffending rate = reoffenders / offenders; 95% interval: Wilson score, or "
              "exact (Clopper-Pearson) where the Interval column says so; actual against predicted "
              "two-sided at 5% by the test the Test column names: exact binomial (for small "
              "cohorts, where n x p x (1 - p) is below 10 by default) or one-sample z-test."),
    ("ni18", "NI 18 target: the agreed target as the plan printed it where the data gives one "
             "(Target set by: agreed), else the workbook's calculation, floor(E - 1.96 x "
             "sqrt(n x p x (1 - p))), where E is the expected number of reoffenders and p the "
             "predicted rate; the calculation is in the Calculated columns for every row."),
    ("ni30", "NI 30: re-offences by prolific and other priority offenders against the baseline "
             "cohort's count, its ceiling and its target."),
    ("trajectory", f"Trajectory: {ON_TRACK_RULE}. NI 18 change = (actual rate - predicted rate) / "
                   "predicted rate x 100, a fall negative; NI 30: fewer re-offences is better."),
    ("funnel", "Funnel limits around the pooled rate at the levels the Inner and Outer level "
               "columns give (95% and 99.8% unless the build chose others), by the method the Method "
               "column names with its source: by default arcsine limits (Spiegelhalter 2005) as "
               "NHS-R FunnelPlotR 0.6.0, widened for overdispersion when phi > 1; Wilson score "
               "limits (PHEindicatormethods 2.1.0) when the build chose them."),
    ("benchmark", "Against the benchmark: each rate with counts against the benchmark area's rate "
                  "for the same measure and cohort, as OHID Fingertips compares an area with "
                  "England: worse or better where the whole Wilson score interval of the area's "
                  "rate (at the Level columns' confidence, 95% and 99.8%) lies above or below the "
                  "benchmark rate, similar where it holds it; a lower reoffending rate is better."),
    ("spc", "XmR control chart limits = mean +/- 2.66 x mean moving range, per segment where the "
            "limits were rebased, with the NHS Making Data Count rules for special cause "
            "variation as NHS-R NHSRplotthedots 0.2.2 applies them (moving ranges above 3.267 x "
            "their mean left out unless the build turned screening off)."),
    ("indicators", "Indicators: met when the value is on the better side of (or equal to) the "
                   "target."),
    ("completeness", "Completeness: which tables the report had for the area, and what a gap "
                     "prevents."),
)
_NOTE_IDS = frozenset({"c"} | {ref for ref, _ in _NOTES})


# ---------------------------------------------------------------------------------------------
# gptables with data text kept literal


class _Table(GPTable):
    """A GPTable whose note references are only the workbook's own ($$c$$, ...), never data text."""

    @staticmethod
    def _get_references(string: str) -> list[str]:
        found = re.findall(r"\$\$(.*?)\$\$", string) if isinstance(string, str) else []
        return [ref for ref in found if ref in _NOTE_IDS]


class _Worksheet(GPWorksheet):
    """GPWorksheet that writes data text as given: no Markdown links, no stray note references."""

    def _parse_urls(self, sheet: object) -> None:
        return None  # "[text](url)" in data must not become a live link

    @staticmethod
    def _replace_reference(string: str, reference_order: list) -> str:
        refs = [ref for ref in re.findall(r"\$\$(.*?)\$\$", string)
                if ref in _NOTE_IDS and ref in reference_order]
        for ref in refs:
            string = string.replace(f"$${ref}$$", "")
        return string.rstrip() + "".join(f" [note {reference_order.index(r) + 1}]" for r in refs)

    def _set_column_widths(self, widths: list) -> None:
        for col, width in enumerate(widths):
            self.set_column_pixels(col, col, min(width, _MAX_COLUMN_PIXELS))

    def _write_table_elements(self, pos: list, gptable: GPTable, auto_width: bool) -> list:
        """gptables' own method without the checks that reject legitimate text.

        gptables refuses a cell holding no ASCII letter or digit (Arabic or Hebrew text, an
        emoji, a dash); the writer never passes a blank cell (missing values read "[x]").
        """
        theme = self.theme
        pos = [gptable.data_range[0], 0]
        index_levels = gptable.index_levels
        index_columns = list(gptable.index_columns.values())
        body = pd.DataFrame(gptable.table, copy=True).astype(object)
        header = pd.DataFrame([list(body.columns)], columns=body.columns, dtype=object)
        data = pd.concat([header, body], ignore_index=True)
        formats = pd.DataFrame().reindex_like(data).astype(object)
        for row in range(formats.shape[0]):
            formats.iloc[row] = [{} for _ in range(formats.shape[1])]
        self._apply_format(formats.iloc[0, 0:], theme.column_heading_format)
        self._apply_format(formats.iloc[1:, index_levels:], theme.data_format)
        level_formats = [theme.index_1_format, theme.index_2_format, theme.index_3_format]
        for level, col in gptable.index_columns.items():
            self._apply_format(formats.iloc[1:, col], level_formats[level - 1])
        with warnings.catch_warnings():  # gptables 2.0 under pandas 3: deprecations, not errors
            warnings.simplefilter("ignore", FutureWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            self._apply_column_alignments(data, formats, index_columns)
        self._apply_additional_formatting(formats, gptable.additional_formatting, index_levels)
        pos = self._write_array(pos, data, formats)
        if auto_width:
            self._set_column_widths(self._calculate_column_widths(data, formats))
        self._mark_data_as_worksheet_table(gptable, formats)
        return pos


class _Workbook(GPWorkbook):
    def add_worksheet(self, name: str | None = None, gridlines: str = "hide_all") -> _Worksheet:
        worksheet = super(GPWorkbook, self).add_worksheet(name, _Worksheet)
        worksheet.theme = self.theme
        worksheet._workbook = self
        worksheet.hide_gridlines({"show_all": 0, "hide_printed": 1, "hide_all": 2}[gridlines])
        return worksheet


# ---------------------------------------------------------------------------------------------
# Cell values


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float | np.floating):
        return not math.isfinite(float(value))
    return False


def _cell(value: object, decimals: int | None = 2) -> object:
    """A published cell: a number stays a number, text stays text, nothing is ever blank."""
    if _is_missing(value):
        return MISSING
    if isinstance(value, bool | np.bool_):
        return "Yes" if value else "No"
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        number = float(value)
        if decimals is None:
            return number
        number = round(number, decimals)
        return int(number) if decimals == 0 else number
    if isinstance(value, datetime | pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    if not text.strip():
        return MISSING
    if len(text) > EXCEL_MAX_CHARS:
        text = text[: EXCEL_MAX_CHARS - len(_TRUNCATED)] + _TRUNCATED
    return text


@dataclass(frozen=True)
class _Col:
    """One published column: the derived table's column, its heading and how to show it."""

    source: str
    header: str
    decimals: int | None = 2  # for floats; 0 shows a whole number
    show: Callable[[object], object] | None = None  # a transformation applied before _cell


def _yes_no(value: object) -> object:
    if _is_missing(value):
        return MISSING
    if isinstance(value, str):
        return value
    return "Yes" if bool(value) else "No"


def _pathway(value: object) -> object:
    if _is_missing(value):
        return MISSING
    return "; ".join(PATHWAY_NAMES.get(code, code).capitalize() for code in str(value).split(";") if code)


def _capitalised(value: object) -> object:
    return MISSING if _is_missing(value) else str(value).capitalize()


def _percent_level(value: object) -> object:
    """0.95 -> 95, 0.998 -> 99.8: a confidence level as the percentage its heading says."""
    return MISSING if _is_missing(value) else round(float(value) * 100, 6)


def _label(value: object) -> object:
    return MISSING if _is_missing(value) else str(value).replace("_", " ")


def _frame(table: pd.DataFrame, columns: Sequence[_Col]) -> pd.DataFrame:
    """The published frame: whitelisted columns only, headings in words, no blank cell."""
    out = {}
    for col in columns:
        if col.source not in table:
            continue
        values = table[col.source].tolist()
        out[col.header] = [
            v if isinstance(v, str) and v == MARKER else
            _cell(col.show(v) if col.show else v, col.decimals) for v in values
        ]
    return pd.DataFrame(out, columns=[c.header for c in columns if c.source in table])


# ---------------------------------------------------------------------------------------------
# The tables


_AREA = [_Col("area_name", "Area"), _Col("area_id", "Area ID")]


def _smart(frame: pd.DataFrame) -> pd.DataFrame:
    """SMART audit: one column per criterion, "Yes" or "No: reason"."""
    names = ("specific", "measurable", "time-bound", "owned", "partnered")
    out = frame.copy()
    for name in names:
        out[f"smart_{name}"] = MISSING
    for i, (met, missing) in enumerate(zip(frame["smart_met"], frame["smart_missing"], strict=True)):
        for item in filter(None, (p.strip() for p in str("" if _is_missing(met) else met).split(";"))):
            if item in names:
                out.iloc[i, out.columns.get_loc(f"smart_{item}")] = "Yes"
        text = "" if _is_missing(missing) else str(missing)
        for item in filter(None, (p.strip() for p in re.split(r";\s+(?=[a-z-]+:)", text))):
            name, _, reason = item.partition(":")
            if name.strip() in names:
                out.iloc[i, out.columns.get_loc(f"smart_{name.strip()}")] = (
                    "No" + (f": {reason.strip()}" if reason.strip() else ""))
    return out


def _no_total(frame: pd.DataFrame) -> pd.DataFrame:
    """'Counts towards total' left blank where the framework sums no total (a PDU's)."""
    summed = frame["framework"].map(lambda f: bool(load_framework(f).bands))
    return frame.assign(counts=frame["counts"].astype(object).where(summed, None))


@dataclass(frozen=True)
class _Spec:
    key: str  # the Results table
    sheet: str  # worksheet name (at most 31 characters)
    title: str  # with $$note$$ references
    source: str | None  # None: the sources the sheet's rows name
    columns: tuple[_Col, ...]
    prepare: Callable[[pd.DataFrame], pd.DataFrame] | None = None
    overview_only: bool = False


SHEETS: tuple[_Spec, ...] = (
    _Spec("strands_summary", "Strands", "Action plan strands$$progress$$$$units$$$$x$$", _SOURCE_PLAN, (
        _Col("plan_id", "Plan ID"), _Col("strand_id", "Strand ID"), _Col("title", "Strand"),
        _Col("pathway", "Pathway", show=_pathway), _Col("lead", "Lead"),
        _Col("milestones", "Milestones"), _Col("complete", "Milestones complete"),
        _Col("met_on_time", "Milestones met on time"), _Col("overdue", "Milestones overdue"),
        _Col("due_soon", "Milestones due soon"), _Col("undated", "Milestones undated"),
        _Col("dropped", "Milestones dropped"), _Col("rag", "RAG rating", show=_label),
        _Col("rag_source", "RAG from", show=_label), _Col("smart_score", "SMART score (of 5)"))),
    _Spec("strands_summary", "SMART_audit", "SMART audit of strands$$smart$$", _SOURCE_PLAN, (
        _Col("plan_id", "Plan ID"), _Col("strand_id", "Strand ID"), _Col("title", "Strand"),
        _Col("smart_score", "SMART score (of 5)"), _Col("smart_specific", "Specific"),
        _Col("smart_measurable", "Measurable"), _Col("smart_time-bound", "Time-bound"),
        _Col("smart_owned", "Owned"), _Col("smart_partnered", "Partnered")),
        prepare=_smart),
    _Spec("milestones_status", "Milestones", "Milestones and their state$$progress$$$$units$$$$x$$",
          _SOURCE_PLAN, (
              _Col("plan_id", "Plan ID"), _Col("strand_id", "Strand ID"),
              _Col("milestone_id", "Milestone ID"), _Col("pathway", "Pathway", show=_pathway),
              _Col("description", "Milestone"), _Col("due", "Due (as written)"),
              _Col("due_date", "Due date"), _Col("status", "Status given"),
              _Col("completed_on", "Completed on"), _Col("state", "State"),
              _Col("days_overdue", "Days overdue", decimals=0),
              _Col("met_on_time", "Met on time", show=_yes_no),
              _Col("target", "Target"), _Col("actual", "Actual"))),
    _Spec("pathway_coverage", "Pathway_coverage", "Coverage of the pathways by plan$$units$$$$x$$",
          _SOURCE_PLAN, (
              _Col("plan_id", "Plan ID"), _Col("pathway", "Pathway code"),
              _Col("pathway_name", "Pathway", show=lambda v: _label(v).capitalize()
                   if not _is_missing(v) else MISSING),
              _Col("kind", "Kind", show=_label), _Col("strands", "Strands"),
              _Col("main_strands", "Strands with it as main pathway"),
              _Col("milestones", "Milestones"), _Col("gap", "No strand", show=_yes_no))),
    _Spec("lead_load", "Lead_load", "Strands and open milestones per lead$$units$$$$x$$", _SOURCE_PLAN, (
        _Col("plan_id", "Plan ID"), _Col("lead", "Lead"), _Col("strands", "Strands"),
        _Col("share", "Share of strands (%)", decimals=1),
        _Col("open_milestones", "Open milestones"), _Col("overdue", "Overdue milestones"))),
    _Spec("inspection_criteria", "Inspection_criteria", "Inspection criteria$$inspection$$$$units$$$$x$$",
          None, (
              _Col("inspection_id", "Inspection ID"), _Col("framework", "Framework"),
              _Col("section", "Section"), _Col("section_title", "Section title"),
              _Col("criterion", "Criterion"), _Col("title", "Criterion title"),
              _Col("scoring", "Scoring"), _Col("importance", "Importance"),
              _Col("weight", "Weight"), _Col("score", "Score (%)", decimals=1),
              _Col("rating", "Rating"))),
    _Spec("inspection_sections", "Inspection_sections",
          "Inspection section scores$$inspection$$$$units$$$$x$$", None, (
              _Col("inspection_id", "Inspection ID"), _Col("framework", "Framework"),
              _Col("section", "Section"), _Col("title", "Section title"),
              _Col("score", "Workbook score (%)", decimals=1),
              _Col("published", "Printed score (%)", decimals=1),
              _Col("agrees", "Agrees with printed score", show=_yes_no),
              _Col("criteria_scored", "Criteria scored"),
              _Col("criteria_expected", "Criteria expected"))),
    _Spec("inspection_change", "Inspection_change", "Change between inspections$$inspection$$$$units$$$$x$$",
          None, (
              _Col("section", "Section"), _Col("previous_inspection", "Earlier inspection"),
              _Col("previous_score", "Earlier score (%)", decimals=1),
              _Col("inspection_id", "Later inspection"), _Col("score", "Later score (%)", decimals=1),
              _Col("change", "Change (points)", decimals=1))),
    _Spec("inspection_family", "Inspection_family",
          "Inspection scores by family group$$inspection$$$$units$$$$x$$", None, (
              _Col("family_group", "Family group"), _Col("inspection_id", "Inspection ID"),
              _Col("section", "Section"), _Col("score", "Score (%)", decimals=1),
              _Col("family_mean", "Family mean (%)", decimals=1),
              _Col("family_size", "Areas in family"), _Col("rank_in_family", "Rank in family"),
              _Col("all_mean", "All areas mean (%)", decimals=1)), overview_only=True),
    _Spec("inspection_ratings", "Inspection_ratings",
          "Overall inspection ratings$$ratings$$$$units$$$$x$$", None, (
              _Col("inspection_id", "Inspection ID"), _Col("framework", "Framework"),
              _Col("published", "Published"), _Col("rating", "Overall rating"),
              _Col("rating_basis", "Overall rating from"),
              _Col("printed_rating", "Printed overall rating"),
              _Col("total", "Workbook total (rating points)"), _Col("max_total", "Most rating points"),
              _Col("printed_total", "Printed total (rating points)"),
              _Col("band", "Band for the total"), _Col("band_low", "Band from (rating points)"),
              _Col("band_high", "Band to (rating points)"), _Col("band_status", "Band for this total"),
              _Col("band_note", "Why provisional"),
              _Col("agrees", "Band agrees with printed rating", show=_yes_no),
              _Col("standards_rated", "Counted standards rated"),
              _Col("standards_counted", "Standards counted"))),
    _Spec("inspection_standards", "Inspection_standards",
          "Inspection standards and key questions$$ratings$$$$units$$$$x$$", None, (
              _Col("inspection_id", "Inspection ID"), _Col("framework", "Framework"),
              _Col("section", "Domain"), _Col("section_title", "Domain title"),
              _Col("criterion", "Standard or key question"), _Col("title", "Title"),
              _Col("rating", "Rating"), _Col("points", "Rating points"),
              _Col("counts", "Counts towards total", show=_yes_no),
              _Col("percent_sufficient", "Cases sufficient (%)", decimals=0)), prepare=_no_total),
    _Spec("rating_change", "Rating_change",
          "Ratings beside the previous inspection$$ratings$$$$units$$$$x$$", None, (
              _Col("framework", "Framework"), _Col("criterion", "Standard or key question"),
              _Col("title", "Title"), _Col("previous_inspection", "Earlier inspection"),
              _Col("previous_rating", "Earlier rating"),
              _Col("previous_percent", "Earlier cases sufficient (%)", decimals=0),
              _Col("inspection_id", "Later inspection"), _Col("rating", "Later rating"),
              _Col("percent_sufficient", "Later cases sufficient (%)", decimals=0),
              _Col("change", "Change"), _Col("steps", "Steps on the four-point scale"),
              _Col("change_points", "Change (percentage points)", decimals=0),
              _Col("previous_total", "Earlier total (rating points)"),
              _Col("total", "Later total (rating points)"),
              _Col("change_total", "Change in total (rating points)"))),
    _Spec("rating_comparison", "Rating_comparison",
          "Ratings beside other areas under the same framework$$ratings$$$$units$$$$x$$", None, (
              _Col("inspection_id", "Inspection ID"), _Col("framework", "Framework"),
              _Col("criterion", "Standard or key question"), _Col("title", "Title"),
              _Col("rating", "Rating"), _Col("total", "Total (rating points)"),
              _Col("percent_sufficient", "Cases sufficient (%)", decimals=0),
              _Col("areas", "Areas compared"), _Col("good_or_better", "Areas Good or better"),
              _Col("mean_percent", "Mean cases sufficient (%)", decimals=1),
              _Col("rank", "Rank (1 = best)"))),
    _Spec("recommendations_status", "Recommendations",
          "Inspection recommendations against the action plan$$recommendations$$$$units$$$$x$$",
          None, (
              _Col("inspection_id", "Inspection ID"), _Col("recommendation_id", "Recommendation ID"),
              _Col("number", "Number"), _Col("text", "Recommendation"),
              _Col("state", "State", show=_capitalised),
              _Col("addressed_by", "Strands named"),
              _Col("answered_by", "Strands answering it by the as-of date"),
              _Col("strand_states", "Strands' state"), _Col("reason", "Why"),
              _Col("published", "Inspection published"), _Col("response_due", "Response due"),
              _Col("due", "Implementation due"), _Col("due_source", "Due date from"),
              _Col("days_late", "Days late", decimals=0),
              _Col("response_overdue", "Unanswered past the response date", show=_yes_no))),
    _Spec("inspection_responses", "Recommendations_by_inspection",
          "Inspection recommendations by inspection$$recommendations$$$$units$$", None, (
              _Col("inspection_id", "Inspection ID"), _Col("published", "Published"),
              _Col("response_due", "Response due"), _Col("recommendations", "Recommendations"),
              _Col("not_answered", "Not answered"), _Col("behind", "Answered but behind"),
              _Col("on_track", "Answered and on track"), _Col("implemented", "Implemented"),
              _Col("superseded", "Superseded"), _Col("late", "Past the implementation date"),
              _Col("response_overdue", "Unanswered past the response date"),
              _Col("unanswered_or_late", "Unanswered or late"))),
    _Spec("reoffending_rates", "Reoffending_rates",
          "Proven reoffending by cohort$$rates$$$$c$$$$units$$$$x$$", None, (
              _Col("measure", "Measure"), _Col("cohort", "Cohort"),
              _Col("offenders", "Offenders", decimals=0), _Col("reoffenders", "Reoffenders", decimals=0),
              _Col("rate", "Rate (%)", decimals=1), _Col("ci_low", "95% CI lower (%)", decimals=1),
              _Col("ci_high", "95% CI upper (%)", decimals=1), _Col("interval_method", "Interval"),
              _Col("predicted_rate", "Predicted rate (%)", decimals=1),
              _Col("difference", "Actual minus predicted (points)", decimals=1),
              _Col("significant", "Significant at 5%", show=_yes_no), _Col("significance_test", "Test"),
              _Col("reoffences", "Re-offences", decimals=0),
              _Col("frequency", "Re-offences per 100 offenders", decimals=1)),
          prepare=marked),
    _Spec("ni18_targets", "NI18_targets", "NI 18 reoffending targets$$ni18$$$$c$$$$units$$$$x$$",
          None, (
              _Col("measure", "Measure"), _Col("cohort", "Cohort"),
              _Col("cohort_as_printed", "Cohort as printed"),
              _Col("offenders", "Offenders", decimals=0),
              _Col("predicted_rate", "Predicted rate (%)", decimals=2),
              _Col("expected_reoffenders", "Expected reoffenders", decimals=1),
              _Col("published_expected_reoffenders", "Published expected reoffenders", decimals=0),
              _Col("target_reoffenders", "Target reoffenders", decimals=0),
              _Col("target_rate", "Target rate (%)", decimals=2),
              _Col("change_pct", "Change needed (%)", decimals=2),
              _Col("target_source", "Target set by"),
              _Col("computed_target_reoffenders", "Calculated target reoffenders", decimals=0),
              _Col("computed_target_rate", "Calculated target rate (%)", decimals=2),
              _Col("computed_change_pct", "Calculated change (%)", decimals=2),
              _Col("method", "Method of calculation")),
          prepare=marked),
    _Spec("ni30_progress", "NI30_progress", "NI 30 progress$$ni30$$$$c$$$$units$$$$x$$",
          None, (
        _Col("measure", "Measure"), _Col("baseline_cohort", "Baseline cohort"),
        _Col("baseline_as_printed", "Baseline as printed"),
        _Col("offenders", "Offenders", decimals=0),
        _Col("months_on_scheme", "Average months on scheme", decimals=1),
        _Col("improvement_target_pct", "Improvement target (stretch, %)", decimals=0),
        _Col("ratio_target", "Ratio target (2 years)", decimals=2),
        _Col("baseline_reoffences", "Baseline re-offences", decimals=0),
        _Col("ceiling_reoffences", "Ceiling re-offences", decimals=0),
        _Col("target_reoffences", "Target re-offences", decimals=0),
        _Col("change_needed_pct", "Change needed (%)", decimals=1),
        _Col("latest_cohort", "Latest cohort"),
        _Col("latest_reoffences", "Latest re-offences", decimals=0),
        _Col("change_so_far_pct", "Change so far (%)", decimals=1),
        _Col("target_by", "Target by"),
        _Col("trajectory_reoffences", "Trajectory re-offences", decimals=1),
        _Col("on_track", "On track", show=_yes_no), _Col("status", "Status")),
        prepare=marked),
    _Spec("ni18_progress", "NI18_progress",
          "NI 18 progress against the agreed targets$$trajectory$$$$c$$$$units$$$$x$$",
          None, (
              _Col("measure", "Measure"), _Col("baseline_cohort", "Baseline cohort"),
              _Col("cohort_as_printed", "Baseline as printed"),
              _Col("target_change_pct", "Agreed change (%)", decimals=2),
              _Col("target_by", "Target by"), _Col("cohort", "Cohort"),
              _Col("rate", "Rate (%)", decimals=2),
              _Col("predicted_rate", "Predicted rate (%)", decimals=2),
              _Col("actual_change_pct", "Change (%)", decimals=2),
              _Col("trajectory_change_pct", "Trajectory (%)", decimals=2),
              _Col("on_track", "On track", show=_yes_no),
              _Col("target_met", "Target met", show=_yes_no), _Col("status", "Status")),
          prepare=marked),
    _Spec("funnel", "Funnel", "Funnel plot of reoffending rates$$funnel$$$$units$$$$x$$",
          None, (
        _Col("area_name", "Area"), _Col("area_id", "Area ID"), _Col("measure", "Measure"),
        _Col("cohort", "Cohort"), _Col("offenders", "Offenders", decimals=0),
        _Col("reoffenders", "Reoffenders", decimals=0), _Col("rate", "Rate (%)", decimals=1),
        _Col("target", "Pooled rate (%)", decimals=2),
        _Col("level_inner", "Inner level (%)", show=_percent_level),
        _Col("lower_inner", "Lower limit, inner level (%)", decimals=2),
        _Col("upper_inner", "Upper limit, inner level (%)", decimals=2),
        _Col("level_outer", "Outer level (%)", show=_percent_level),
        _Col("lower_outer", "Lower limit, outer level (%)", decimals=2),
        _Col("upper_outer", "Upper limit, outer level (%)", decimals=2),
        _Col("position", "Position", show=_label)), prepare=marked),
    _Spec("benchmark", "Benchmark", "Reoffending rates against the benchmark area$$benchmark$$$$units$$$$x$$",
          None, (
        _Col("measure", "Measure"), _Col("cohort", "Cohort"),
        _Col("offenders", "Offenders", decimals=0), _Col("reoffenders", "Reoffenders", decimals=0),
        _Col("rate", "Rate (%)", decimals=1), _Col("benchmark_area_id", "Benchmark area ID"),
        _Col("benchmark_rate", "Benchmark rate (%)", decimals=1),
        _Col("level_inner", "Level (%)", show=_percent_level),
        _Col("lower_inner", "Lower limit (%)", decimals=2),
        _Col("upper_inner", "Upper limit (%)", decimals=2),
        _Col("comparison", "Compared", show=_label),
        _Col("level_outer", "Stricter level (%)", show=_percent_level),
        _Col("lower_outer", "Lower limit, stricter level (%)", decimals=2),
        _Col("upper_outer", "Upper limit, stricter level (%)", decimals=2),
        _Col("comparison_outer", "Compared, stricter level", show=_label),
        _Col("comparison_note", "Not compared because")), prepare=marked),
    _Spec("spc", "SPC", "Control chart of quarterly reoffending rates$$spc$$$$units$$$$x$$",
          None, (
        _Col("measure", "Measure"), _Col("cohort", "Cohort"), _Col("rate", "Rate (%)", decimals=1),
        _Col("centre", "Mean (%)", decimals=2), _Col("lower", "Lower limit (%)", decimals=2),
        _Col("upper", "Upper limit (%)", decimals=2),
        _Col("special_cause", "Special cause", show=_yes_no), _Col("rules", "Rules broken"),
        _Col("variation", "Variation", show=_label))),
    _Spec("indicators_status", "Indicators", "Performance indicators$$indicators$$$$units$$$$x$$",
          None, (
              _Col("period", "Period"), _Col("indicator", "Indicator"), _Col("unit", "Unit"),
              _Col("value", "Value"), _Col("target", "Target"), _Col("better", "Better when"),
              _Col("status", "Status"), _Col("comparator", "Comparator"),
              _Col("comparator_label", "Compared with"),
              _Col("vs_comparator", "Against comparator", show=_label))),
    _Spec("completeness", "Completeness", "Data completeness$$completeness$$", _SOURCE_COMPLETENESS, (
        _Col("item", "Data"), _Col("status", "Status"), _Col("detail", "Detail"),
        _Col("consequence", "What a gap means"))),
)


def area_workbook_name(area_id: str) -> str:
    return f"{area_id}-tables.xlsx"


# ---------------------------------------------------------------------------------------------
# Writing


def _names(dataset: Dataset) -> dict[str, str]:
    areas = dataset.table("areas")
    return {str(a): str(n) for a, n in zip(areas["area_id"], areas["name"], strict=True)}


def _with_names(frame: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    if "area_id" not in frame:
        return frame
    out = frame.copy()
    out.insert(0, "area_name", [names.get(str(a), MISSING) for a in frame["area_id"]])
    return out


def _row_source(frame: pd.DataFrame, inspections: pd.DataFrame | None) -> str:
    """The sources a sheet's rows name: their own source columns, else (recommendations and
    changes between inspections) those of the inspections they name."""
    if any(c in frame for c in SOURCE_COLUMNS) or "inspection_id" not in frame:
        return source_line(frame)
    ids = [*frame.get("previous_inspection", []), *frame["inspection_id"]]
    return source_line(rows_named(inspections, "inspection_id", ids))


def _sheets(results: Results, names: dict[str, str], area_ids: list[str] | None,
            area_id: str | None, inspections: pd.DataFrame | None = None,
            ) -> tuple[dict[str, GPTable], list[str]]:
    """The GPTables to write and the titles of tables without data (left out)."""
    tables = results.tables()
    sheets: dict[str, GPTable] = {}
    empty: list[str] = []
    for spec in SHEETS:
        if spec.overview_only and area_id is not None:
            continue
        frame = tables[spec.key]
        if area_id is not None and "area_id" in frame:
            if spec.key == "funnel":  # every area of each funnel this area is in
                peers = ["measure", "cohort", "area_type"]
                mine = frame.loc[frame["area_id"] == area_id, peers].drop_duplicates()
                frame = frame.merge(mine, on=peers)
            else:
                frame = frame[frame["area_id"] == area_id]
        elif area_ids is not None and "area_id" in frame:
            frame = frame[frame["area_id"].isin(area_ids)]
        frame = frame.reset_index(drop=True)
        title = re.sub(r"\s*\$\$.*?\$\$", "", spec.title)
        if frame.empty:
            empty.append(title)
            continue
        source = spec.source or _row_source(frame, inspections)
        if spec.prepare is not None:
            frame = spec.prepare(frame)
        columns = list(spec.columns)
        if area_id is None and "area_id" in frame and spec.key != "funnel":
            columns = _AREA + columns
        published = _frame(_with_names(frame, names), columns)
        sheets[spec.sheet] = _Table(
            table=published,
            table_name=spec.sheet.lower(),
            title=spec.title,
            subtitles=[f"{len(published)} row{'' if len(published) == 1 else 's'}. "
                       f"As of {_as_of_text(results.as_of)}."],
            instructions="This worksheet contains one table. Some cells refer to notes which can "
                         "be found in the notes worksheet.",
            source=source,
            index_columns={},
        )
    return sheets, empty


def _notes(threshold: int) -> tuple[tuple[str, str], ...]:
    return (("c", note(threshold)), *_NOTES)


def _notes_table(threshold: int) -> pd.DataFrame:
    notes = _notes(threshold)
    return pd.DataFrame({"Note reference": [r for r, _ in notes], "Note text": [t for _, t in notes]})


def _write(path: Path, *, sheets: dict[str, GPTable], cover: Cover, as_of: date, title: str,
           threshold: int) -> Path:
    buffer = io.BytesIO()
    wb = _Workbook(buffer, options={**WORKBOOK_OPTIONS, "in_memory": True})
    # A fixed creation date (the as-of date) makes two writes of the same tables byte-identical.
    wb.set_properties({"title": title, "created": datetime.combine(as_of, time(0, 0)),
                       "comments": f"reoffending-workbook {__version__}"})
    cover_ws = wb.add_worksheet(cover.cover_label, gridlines="hide_all")
    cover_ws.write_cover(cover)
    contents = wb.make_table_of_contents(sheets)
    wb._update_annotations(sheets)
    # Every note gets a number, in order of first reference, then the rest in _NOTES order.
    wb._annotations = list(dict.fromkeys([*wb._annotations, *(ref for ref, _ in _notes(threshold))]))
    notes = wb.make_notesheet(_notes_table(threshold))
    for label, gptable in {"Contents": contents, "Notes": notes, **sheets}.items():
        ws = wb.add_worksheet(label, gridlines="hide_all")
        ws.write_gptable(gptable, True, wb._annotations)
    wb.close()
    atomic_write_bytes(path, buffer.getvalue())
    log.info("wrote %s (%d tables)", path, len(sheets))
    return path


def _target(path: str | Path, name: str) -> Path:
    path = Path(path)
    return path / name if path.is_dir() or path.suffix.lower() != ".xlsx" else path


def _cover(title: str, intro: list[str], empty: list[str], dataset: Dataset, threshold: int) -> Cover:
    about = [
        "These tables hold the figures behind the report's charts and tables. Only published "
        "figures are included: no record-level data.",
        f"Counts of fewer than {threshold} people, and figures that would reveal them, are "
        f"withheld and shown as {MARKER}; {MISSING} marks a figure or text that is not available. "
        "See the Notes worksheet.",
        f"Data folder: {Path(dataset.source).name}. "
        f"Made by reoffending-workbook {__version__}.",
    ]
    if empty:
        about.append("Tables left out because there are no data for them: " + "; ".join(empty) + ".")
    return Cover(title=title, intro=intro, about=about, contact=None)


def write_area_workbook(results: Results, dataset: Dataset, area_id: str, path: str | Path) -> Path:
    """Write one area's tables to `path` (a .xlsx file, or a folder: <area_id>-tables.xlsx).

    `results` is analyse(dataset, ...) for the whole dataset (funnels compare areas). Returns
    the file written. ValueError for an area not in the areas table.
    """
    names = _names(dataset)
    if area_id not in names:
        raise ValueError(f"area_id {area_id!r} is not in the areas table")
    target = _target(path, area_workbook_name(area_id))
    sheets, empty = _sheets(results, names, None, area_id, dataset.table("inspections"))
    title = f"Reducing reoffending tables: {names[area_id]}"
    intro = [f"Area: {names[area_id]} (area ID {area_id}).",
             f"As of: {_as_of_text(results.as_of)}.",
             "Source: the area's reducing reoffending action plans, inspection scores, "
             "reoffending data and performance indicators, as supplied to the workbook, each "
             "sheet naming the sources its rows give; workbook analysis."]
    return _write(target, sheets=sheets, cover=_cover(title, intro, empty, dataset, results.threshold),
                  as_of=results.as_of, title=title, threshold=results.threshold)


def write_overview_workbook(results: Results, dataset: Dataset, path: str | Path,
                            area_ids: Sequence[str] | None = None) -> Path:
    """Write every area's tables side by side (`area_ids`, default all) to `path` (a .xlsx file,
    or a folder: overview-tables.xlsx). Returns the file written."""
    names = _names(dataset)
    chosen = list(names) if area_ids is None else list(area_ids)
    unknown = [a for a in chosen if a not in names]
    if unknown:
        raise ValueError(f"area id(s) not in the areas table: {unknown}")
    target = _target(path, OVERVIEW_FILE)
    sheets, empty = _sheets(results, names, chosen, None, dataset.table("inspections"))
    title = "Reducing reoffending tables: all areas"
    intro = [f"Areas: {len(chosen)} ({'; '.join(names[a] for a in chosen)}).",
             f"As of: {_as_of_text(results.as_of)}.",
             "Source: reducing reoffending action plans, inspection scores, reoffending data "
             "and performance indicators, as supplied to the workbook, each sheet naming the "
             "sources its rows give; workbook analysis."]
    return _write(target, sheets=sheets, cover=_cover(title, intro, empty, dataset, results.threshold),
                  as_of=results.as_of, title=title, threshold=results.threshold)
