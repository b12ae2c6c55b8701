"""Reoffending tables: rates, frequency, NI 18 and NI 30 targets and progress, as the plans print them."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd
from great_tables import GT

from .agreed import AGREED, CALCULATED
from .disclosure import MARKER
from .disclosure import note as withheld_note
from .labels import area_label as _area_label
from .labels import cell_text as _text
from .labels import measure_label
from .significance import EXACT_BELOW, interval_words, test_words
from .sources import source_line
from .tablekit import MISSING
from .tablekit import area_subtitle as _area_subtitle
from .tablekit import build as _build
from .tablekit import column as _column
from .tablekit import empty as _empty
from .tablekit import first_upper as _first_upper
from .tablekit import hidden as _hidden
from .tablekit import labelled as _labelled
from .tablekit import number as _number
from .tablekit import shown as _shown
from .trajectory import ON_TRACK_RULE

__all__ = ["benchmark_table", "frequency_table", "group_table", "ni18_check_table", "ni18_progress_table",
           "ni18_table", "ni30_no_progress", "ni30_progress_table", "ni30_table", "rates_table"]


# --------------------------------------------------------------------------- reoffending


def rates_table(reoffending_rates: pd.DataFrame, *, threshold: int,
                source: str | None = None, exact_below: float = EXACT_BELOW) -> GT | None:
    """Reoffending by cohort: offenders, reoffenders, rate, 95% CI, predicted, difference, significance.

    Takes Results.reoffending_rates (disclosure control applied) and the build's `threshold`;
    the note names the interval and the test the rows used (``interval_method``,
    ``significance_test``) and, where both kinds appear, the rule with ``exact_below`` (the
    option reoffending_rates was given).
    Withheld cells show "[c]" with a note saying the threshold; missing figures show "–".
    Several areas add an Area column; several measures become row groups. None if empty.
    """
    if _empty(reoffending_rates):
        return None
    frame = reoffending_rates.reset_index(drop=True)
    hidden = _hidden(frame)

    def cells(column: str, fmt: Callable[[object], str]) -> Callable[[pd.DataFrame], list[str]]:
        return _shown(hidden, column, fmt)

    def interval(f: pd.DataFrame) -> list[str]:
        out = []
        for lo, hi, h in zip(_column(f, "ci_low"), _column(f, "ci_high"), hidden, strict=True):
            if "ci_low" in h or "ci_high" in h:
                out.append(MARKER)
            elif pd.isna(lo) or pd.isna(hi):
                out.append(MISSING)
            else:
                out.append(f"{_number(lo)} to {_number(hi)}")
        return out

    def significant(v: object) -> str:
        return MISSING if v is None or pd.isna(v) else ("Yes" if bool(v) else "No")

    def verdict(f: pd.DataFrame) -> list[str]:
        """Actual against predicted in words; the source's own words marked as printed."""
        out = []
        for words, whose, h in zip(_column(f, "verdict"), _column(f, "verdict_source"), hidden, strict=True):
            if "significant" in h:
                out.append(MARKER)
            elif words is None or pd.isna(words):
                out.append(MISSING)
            else:
                out.append(_text(words) + (" (as printed)" if _text(whose) == "as printed" else ""))
        return out

    in_words = "verdict" in frame

    several_areas = frame["area_id"].nunique() > 1 if "area_id" in frame else False
    several_measures = frame["measure"].nunique() > 1 if "measure" in frame else False
    columns: dict[str, Callable[[pd.DataFrame], Sequence[object]]] = {}
    if several_measures:
        columns["Measure"] = lambda f: [_first_upper(measure_label(m)) for m in f["measure"]]
    if several_areas:
        columns["Area"] = lambda f: [_area_label(a) for a in f["area_id"]]
    columns.update(
        {
            # As the source prints it ("1st 4 cohorts (baseline)"); the key only orders rows.
            "Cohort": lambda f: _as_printed(f, "cohort_as_printed", "cohort"),
            "Offenders": cells("offenders", lambda v: _number(v, 0)),
            "Reoffenders": cells("reoffenders", lambda v: _number(v, 0)),
            "Rate (%)": cells("rate", lambda v: _number(v, 1)),
            "95% confidence interval": interval,
            "Predicted rate (%)": cells("predicted_rate", lambda v: _number(v, 1)),
            "Actual minus predicted (points)": cells("difference", lambda v: _number(v, 1, signed=True)),
            **({"Against predicted": verdict} if in_words else
               {"Significant (5%)": cells("significant", significant)}),
        }
    )
    body = _labelled(frame, columns)
    notes = [
        "Rates are the percentage of the cohort proven to reoffend; the interval is "
        f"{interval_words(_column(frame, 'interval_method'), exact_below)}; significance is "
        f"{test_words(_column(frame, 'significance_test'), exact_below)} of actual against predicted."
        + (" Against predicted: by that test at 5%; (as printed): the source's own words, for a "
           "rate printed without counts." if in_words else "")
    ]
    notes += _flag_notes(frame, several_measures)
    subtitle = _area_subtitle(frame)
    if not several_measures and "measure" in frame and len(frame):
        measure = measure_label(frame["measure"].iloc[0])
        subtitle = f"{subtitle}: {measure}" if subtitle else _first_upper(measure)
    gt = _build(
        body,
        title="Proven reoffending by cohort",
        subtitle=subtitle,
        source=source or source_line(frame),
        group="Measure" if several_measures else None,
        notes=notes,
        right=[
            "Offenders",
            "Reoffenders",
            "Rate (%)",
            "95% confidence interval",
            "Predicted rate (%)",
            "Actual minus predicted (points)",
            "Significant (5%)",
        ],
    )
    if any(hidden):
        gt = gt.tab_footnote(withheld_note(threshold))
    return gt


def _flag_notes(frame: pd.DataFrame, several_measures: bool) -> list[str]:
    """Where a count is blank because the publisher printed a symbol, what it printed and why
    ("Apr 2022 to Mar 2023: reoffenders * (withheld by the publisher)"), from flags_as_printed."""
    flagged = [(m, c, f) for m, c, f in zip(_column(frame, "measure"), _as_printed(frame, "cohort_as_printed",
                                                                                 "cohort"),
                                            _column(frame, "flags_as_printed"), strict=True)
               if _text(f).strip()]
    if not flagged:
        return []
    said = "; ".join((f"{measure_label(m)}, " if several_measures else "") + f"{c}: {_text(f)}"
                     for m, c, f in flagged)
    return [f"Blank because the source printed a symbol in place of the count: {said}."]


def frequency_table(reoffending_rates: pd.DataFrame, *, threshold: int,
                    source: str | None = None) -> GT | None:
    """How often and how seriously the cohort re-offended, where the data give re-offences:
    re-offences per 100 offenders (frequency), per re-offender, and serious re-offences per
    100 offenders (severity), as the Ministry of Justice publishes them.

    Takes Results.reoffending_rates (disclosure control applied: a withheld count withholds
    every figure made from it) and the build's `threshold`. Its own table beside the rates,
    so that each fits an A4 page. None when no row gives re-offences.
    """
    if _empty(reoffending_rates):
        return None
    frame = reoffending_rates.reset_index(drop=True)
    # NI 30's re-offence counts are its own tables' (targets and progress), not repeated here.
    given = (_column(frame, "reoffences").notna()
             | pd.Series(["reoffences" in h for h in _hidden(frame)], index=frame.index))
    frame = frame[given & (frame["measure"].astype(str).str.strip().str.lower() != "ni30")]
    if frame.empty:
        return None
    frame = frame.reset_index(drop=True)
    hidden = _hidden(frame)
    several_areas = frame["area_id"].nunique() > 1
    several_measures = frame["measure"].nunique() > 1
    columns: dict[str, Callable[[pd.DataFrame], Sequence[object]]] = {}
    if several_measures:
        columns["Measure"] = lambda f: [_first_upper(measure_label(m)) for m in f["measure"]]
    if several_areas:
        columns["Area"] = lambda f: [_area_label(a) for a in f["area_id"]]
    columns |= {
        "Cohort": lambda f: _as_printed(f, "cohort_as_printed", "cohort"),
        "Offenders": _shown(hidden, "offenders", lambda v: _number(v, 0)),
        "Re-offences": _shown(hidden, "reoffences", lambda v: _number(v, 0)),
        "Re-offences per 100 offenders": _shown(hidden, "frequency", lambda v: _number(v, 1)),
        "Re-offences per re-offender": _shown(hidden, "reoffences_per_reoffender", lambda v: _number(v, 2)),
    }
    if _column(frame, "serious_reoffences").notna().any() or any("serious_reoffences" in h for h in hidden):
        columns |= {
            "Serious re-offences": _shown(hidden, "serious_reoffences", lambda v: _number(v, 0)),
            "Serious re-offences per 100 offenders": _shown(hidden, "severity", lambda v: _number(v, 1)),
        }
    body = _labelled(frame, columns)
    subtitle = _area_subtitle(frame)
    if not several_measures and len(frame):
        measure = measure_label(frame["measure"].iloc[0])
        subtitle = f"{subtitle}: {measure}" if subtitle else _first_upper(measure)
    gt = _build(body, title="Frequency and severity of proven re-offending", subtitle=subtitle,
                source=source or source_line(frame), group="Measure" if several_measures else None,
                notes=["Frequency: proven re-offences per 100 offenders in the cohort; per "
                       "re-offender: re-offences over those who re-offended; severity: serious "
                       "proven re-offences per 100 offenders (Ministry of Justice measures)."],
                right=[c for c in body.columns if c not in ("Measure", "Area", "Cohort")])
    return gt.tab_footnote(withheld_note(threshold)) if any(hidden) else gt


def benchmark_table(benchmark: pd.DataFrame, benchmark_name: str, *, threshold: int,
                    source: str | None = None) -> GT | None:
    """Each rate against the benchmark area's, as OHID Fingertips shows it: the rate, its 95%
    Wilson interval, the benchmark's rate and the comparison at 95% and at 99.8%.

    Takes Results.benchmark (computed from the published rates only, so a withheld count has no
    interval and is not compared) and the benchmark area's name. A row that is not compared says
    why in a note. None if empty.
    """
    if _empty(benchmark):
        return None
    frame = benchmark.reset_index(drop=True)
    hidden = _hidden(frame)
    several_measures = frame["measure"].nunique() > 1

    def interval(f: pd.DataFrame) -> list[str]:
        """The limits to one place, or two where one place would make a limit look equal to the
        benchmark's rate (25.48 against 25.50 is 'similar', though both read 25.5)."""
        out = []
        limits = zip(_column(f, "lower_inner"), _column(f, "upper_inner"), _column(f, "benchmark_rate"),
                     strict=True)
        for lo, hi, b in limits:
            if pd.isna(lo) or pd.isna(hi):
                out.append(MISSING)
                continue
            tie = pd.notna(b) and _number(b) in (_number(lo), _number(hi))
            places = 2 if tie else 1
            out.append(f"{_number(lo, places)} to {_number(hi, places)}")
        return out

    def words(column: str) -> Callable[[pd.DataFrame], list[str]]:
        return lambda f: ["Not compared" if pd.isna(w) else _first_upper(str(w)) for w in f[column]]

    inner, outer = (f"{100 * frame[c].iloc[0]:g}%" for c in ("level_inner", "level_outer"))
    columns: dict[str, Callable[[pd.DataFrame], Sequence[object]]] = {}
    if several_measures:
        columns["Measure"] = lambda f: [_first_upper(measure_label(m)) for m in f["measure"]]
    columns |= {
        "Cohort": lambda f: _as_printed(f, "cohort_as_printed", "cohort"),
        "Offenders": _shown(hidden, "offenders", lambda v: _number(v, 0)),
        "Rate (%)": _shown(hidden, "rate", lambda v: _number(v, 1)),
        f"{inner} confidence interval": interval,
        f"{benchmark_name} (%)": lambda f: [_number(v, 1) for v in f["benchmark_rate"]],
        f"Compared at {inner}": words("comparison"),
        f"Compared at {outer}": words("comparison_outer"),
    }
    body = _labelled(frame, columns)
    polarity = frame["polarity"].iloc[0]
    better = {"lower-is-better": "a lower rate is better", "higher-is-better": "a higher rate is better",
              "none": "lower, similar or higher, as the measure has no better direction"}[polarity]
    notes = [f"As OHID Fingertips compares an area with England: worse or better where the whole "
             f"Wilson score interval of the area's rate lies above or below the {benchmark_name} rate, "
             f"similar where the interval includes it; at {inner} and, stricter, at {outer}; {better}."]
    notes += [f"Not compared: {why}." for why in pd.unique(frame["comparison_note"].dropna())]
    subtitle = _area_subtitle(frame)
    if not several_measures:
        measure = measure_label(frame["measure"].iloc[0])
        subtitle = f"{subtitle}: {measure}" if subtitle else _first_upper(measure)
    gt = _build(body, title=f"Against {benchmark_name}", subtitle=subtitle,
                source=source or source_line(frame), group="Measure" if several_measures else None,
                notes=notes, right=[c for c in body.columns if c not in ("Measure", "Cohort")])
    return gt.tab_footnote(withheld_note(threshold)) if any(hidden) else gt


def group_table(peers: pd.DataFrame, names: dict[str, str], *, threshold: int,
                source: str | None = None) -> GT | None:
    """One group's areas side by side (groupings.group_peers for one grouping and group): each
    area's published rate for the cohort, lowest first, and how it compares with the benchmark
    area at 95%; the report's own area marked. Each figure is an area's own: no group total is
    shown. None if empty."""
    if _empty(peers):
        return None
    frame = peers.reset_index(drop=True)
    hidden = _hidden(frame)
    benchmark = next((names.get(str(b), str(b)) for b in frame["benchmark_area_id"].dropna()), "")
    columns: dict[str, Callable[[pd.DataFrame], Sequence[object]]] = {
        "Area": lambda f: [names.get(a, a) + (" (this report)" if s else "")
                           for a, s in zip(f["area_id"], f["is_self"], strict=True)],
        "Offenders": _shown(hidden, "offenders", lambda v: _number(v, 0)),
        "Rate (%)": _shown(hidden, "rate", lambda v: _number(v, 1)),
    }
    if benchmark:
        columns[f"Against {benchmark} (95%)"] = lambda f: [
            "Not compared" if pd.isna(w) else _first_upper(str(w)) for w in f["comparison"]]
    body = _labelled(frame, columns)
    row = frame.iloc[0]
    cohort = _as_printed(frame.iloc[:1], "cohort_as_printed", "cohort")[0]
    gt = _build(body, title=f"{_first_upper(str(row['grouping']))}: {row['group']}",
                subtitle=f"{_first_upper(measure_label(row['measure']))}, cohort {cohort}",
                source=source or source_line(frame),
                notes=["The areas of this kind in the group, each with its own published rate, "
                       "lowest first, for the latest cohort that another of them also has. No figure "
                       "for the group as a whole is shown: the group is for comparison only."],
                right=[c for c in body.columns if c != "Area"])
    return gt.tab_footnote(withheld_note(threshold)) if any(hidden) else gt


def _as_printed(frame: pd.DataFrame, printed: str, key: str) -> list[str]:
    """Each row's cohort as its source prints it, else the cohort key (which only orders rows)."""
    return [_text(p) or _text(k) or MISSING
            for p, k in zip(_column(frame, printed), _column(frame, key), strict=True)]


def _expected(frame: pd.DataFrame, withheld: list[set[str]]) -> list[str]:
    """The expected re-offenders as published where given, else offenders times predicted rate."""
    published = _column(frame, "published_expected_reoffenders")
    return [MARKER if "expected_reoffenders" in h else
            _number(p, 0) if pd.notna(p) else _number(e, 1)
            for p, e, h in zip(published, frame["expected_reoffenders"], withheld, strict=True)]


def _as_given(value: object) -> str:
    """A whole number without decimals (a 15% stretch), else to one decimal."""
    whole = pd.notna(value) and float(value) == round(float(value))  # type: ignore[arg-type]
    return _number(value, 0 if whole else 1)


def ni18_table(ni18_targets: pd.DataFrame, *, threshold: int,
               source: str | None = None) -> GT | None:
    """NI 18 targets per area as the plan prints them: cohort, expected re-offenders, predicted
    rate, target re-offenders, rate needed and % change (rates to two decimals, as printed).

    Takes Results.ni18_targets (disclosure control applied) and the build's `threshold`. The
    target shown is the agreed one where the data gives it, else the workbook's calculation,
    and the Target column says which; the calculation's method is a note. None if empty.
    """
    if _empty(ni18_targets):
        return None
    frame = ni18_targets.reset_index(drop=True)
    withheld = _hidden(frame)

    def hidden(fmt: Callable[[object], str], column: str) -> Callable[[pd.DataFrame], list[str]]:
        return _shown(withheld, column, fmt)

    sources = [_text(s) for s in _column(frame, "target_source")]
    body = _labelled(frame, {
        "Area": lambda f: [_area_label(a) for a in f["area_id"]],
        "Cohort": lambda f: _as_printed(f, "cohort_as_printed", "cohort"),
        "Offenders": hidden(lambda v: _number(v, 0), "offenders"),
        "Expected re-offenders": lambda f: _expected(f, withheld),
        "Predicted rate (%)": lambda f: [_number(v, 2) for v in f["predicted_rate"]],
        "Target re-offenders": hidden(lambda v: _number(v, 0), "target_reoffenders"),
        "Rate needed (%)": hidden(lambda v: _number(v, 2), "target_rate"),
        "Change (%)": hidden(lambda v: _number(v, 2, signed=True), "change_pct"),
        "Target": lambda f: [s.capitalize() or MISSING for s in sources],
    })
    notes = []
    if AGREED in sources:
        notes.append("Agreed: the target as the plan printed it; the workbook's own calculation "
                     "of it is an analyst's check in the appendix.")
    if CALCULATED in sources:
        methods = pd.unique(frame.loc[[s != AGREED for s in sources], "method"].dropna()) \
            if "method" in frame else []
        notes += [f"Workbook calculation: {_text(m)}." for m in methods if _text(m)]
    gt = _build(
        body,
        title="NI 18 reoffending targets",
        subtitle=None,
        source=source or source_line(frame),
        notes=notes,
        right=[c for c in body.columns if c not in ("Area", "Cohort", "Target")],
    )
    return gt.tab_footnote(withheld_note(threshold)) if any(withheld) else gt


def ni18_check_table(ni18_targets: pd.DataFrame) -> GT | None:
    """The analyst's check of the agreed NI 18 targets: the workbook's calculation beside each.

    Takes Results.ni18_targets (disclosure control applied): rows with an agreed target only;
    difference = (calculated − agreed) / agreed · 100 for the count. None when no row has one.
    """
    if _empty(ni18_targets) or "target_source" not in ni18_targets:
        return None
    frame = ni18_targets[ni18_targets["target_source"] == AGREED].reset_index(drop=True)
    if frame.empty:
        return None
    withheld = _hidden(frame)
    agreed = frame["target_reoffenders"].astype("Float64")
    ours = frame["computed_target_reoffenders"].astype("Float64")
    gap = ((ours - agreed) / agreed * 100).astype("float64")

    def hidden(fmt: Callable[[object], str], column: str) -> Callable[[pd.DataFrame], list[str]]:
        return _shown(withheld, column, fmt)

    body = _labelled(frame, {
        "Area": lambda f: [_area_label(a) for a in f["area_id"]],
        "Agreed re-offenders": hidden(lambda v: _number(v, 0), "target_reoffenders"),
        "Our method": hidden(lambda v: _number(v, 0), "computed_target_reoffenders"),
        "Difference (%)": lambda f: [MARKER if "computed_target_reoffenders" in h else
                                     _number(g, 1, signed=True)
                                     for g, h in zip(gap, withheld, strict=True)],
        "Agreed rate (%)": hidden(lambda v: _number(v, 2), "target_rate"),
        "Our rate (%)": hidden(lambda v: _number(v, 2), "computed_target_rate"),
        "Agreed change (%)": hidden(lambda v: _number(v, 2, signed=True), "change_pct"),
        "Our change (%)": hidden(lambda v: _number(v, 2, signed=True), "computed_change_pct"),
    })
    methods = [_text(m) for m in pd.unique(_column(frame, "method").dropna()) if _text(m)]
    return _build(body, title="NI 18 targets: agreed and recalculated", subtitle=None,
                  source=source_line(frame),
                  notes=[f"Our method: {m}." for m in methods],
                  right=[c for c in body.columns if c != "Area"])


def _ni30_helpers(frame: pd.DataFrame) -> tuple[list[set[str]], Callable, Callable]:
    withheld = _hidden(frame)

    def count(column: str) -> Callable[[pd.DataFrame], list[str]]:
        return _shown(withheld, column, lambda v: _number(v, 0))

    def change(column: str) -> Callable[[pd.DataFrame], list[str]]:
        return _shown(withheld, column, lambda v: _number(v, 1, signed=True))

    return withheld, count, change


def ni30_table(ni30_progress: pd.DataFrame, *, threshold: int,
               source: str | None = None) -> GT | None:
    """NI 30 targets per area as the plan prints them: baseline cohort, PPOs, months on scheme,
    stretch %, ratio target, baseline, ceiling and target re-offences, and the change needed.

    Takes Results.ni30_progress (disclosure control applied) and the build's `threshold`:
    withheld cells show "[c]" with the note. Progress since the baseline is its own table
    (ni30_progress_table), so that each fits an A4 page without hyphenating names. None if empty.
    """
    if _empty(ni30_progress):
        return None
    frame = ni30_progress.reset_index(drop=True)
    withheld, count, change = _ni30_helpers(frame)
    body = _labelled(
        frame,
        {
            "Area": lambda f: [_area_label(a) for a in f["area_id"]],
            "Baseline": lambda f: _as_printed(f, "baseline_as_printed", "baseline_cohort"),
            "PPOs": count("offenders"),
            "Months on scheme": lambda f: [_number(v, 1) for v in _column(f, "months_on_scheme")],
            "Stretch target (%)": _shown(withheld, "improvement_target_pct", _as_given),
            "Ratio target": _shown(withheld, "ratio_target", lambda v: _number(v, 2)),
            "Baseline re-offences": count("baseline_reoffences"),
            "Ceiling": count("ceiling_reoffences"),
            "Target": count("target_reoffences"),
            "Change needed (%)": change("change_needed_pct"),
        },
    )
    gt = _build(
        body,
        title="NI 30 targets",
        subtitle=None,
        source=source or source_line(frame),
        notes=["PPOs: prolific and other priority offenders in the cohort; months on scheme: "
               "their average time on the scheme; stretch target: the improvement target's fall "
               "from the baseline; ratio target: the plan's proposed two-year ratio; change "
               "needed: from the baseline re-offences to the target."],
        right=[c for c in body.columns if c not in ("Area", "Baseline")],
    )
    return gt.tab_footnote(withheld_note(threshold)) if any(withheld) else gt


def ni30_progress_table(ni30_progress: pd.DataFrame, *, threshold: int,
                        source: str | None = None) -> GT | None:
    """NI 30 progress per area: the latest cohort after the baseline against the target.

    Takes Results.ni30_progress (disclosure control applied) and the build's `threshold`;
    change so far = (latest − baseline) / baseline · 100 re-offences; where the plan gives the
    target's date, the trajectory (analysis.trajectory.with_ni30_trajectory) and the status
    against it, with the rule in a note. None if empty or if no area has a cohort after its
    baseline yet (there is no progress to show; see ni30_no_progress).
    """
    if _empty(ni30_progress) or not _column(ni30_progress, "latest_cohort").notna().any():
        return None
    frame = ni30_progress.reset_index(drop=True)
    withheld, count, change = _ni30_helpers(frame)
    dated = _column(frame, "target_by").notna().any()
    columns: dict[str, Callable[[pd.DataFrame], Sequence[object]]] = {
        "Area": lambda f: [_area_label(a) for a in f["area_id"]],
        "Baseline": lambda f: _as_printed(f, "baseline_as_printed", "baseline_cohort"),
        "Baseline re-offences": count("baseline_reoffences"),
        "Target": count("target_reoffences"),
    }
    if dated:
        columns["Target by"] = lambda f: [_text(b) or MISSING for b in _column(f, "target_by")]
    columns |= {
        "Latest cohort": lambda f: [_text(c) or MISSING for c in _column(f, "latest_cohort")],
        "Latest re-offences": count("latest_reoffences"),
    }
    if dated:
        columns["Trajectory"] = _shown(withheld, "trajectory_reoffences", lambda v: _number(v, 1))
    columns |= {
        "Change so far (%)": change("change_so_far_pct"),
        "Status": _shown(withheld, "status", lambda s: _text(s).capitalize() or MISSING),
    }
    body = _labelled(frame, columns)
    notes = [f"Trajectory: {ON_TRACK_RULE}; fewer re-offences is better."] if dated else []
    gt = _build(body, title="NI 30 progress", subtitle=None, source=source or source_line(frame),
                notes=notes,
                right=["Baseline re-offences", "Target", "Latest re-offences", "Trajectory",
                       "Change so far (%)"])
    return gt.tab_footnote(withheld_note(threshold)) if any(withheld) else gt


def ni18_progress_table(ni18_progress: pd.DataFrame, *, threshold: int,
                        source: str | None = None) -> GT | None:
    """NI 18 against the agreed target: each cohort after the baseline, its change from the
    predicted rate against the agreed change and the straight line to it.

    Takes Results.ni18_progress (analysis.trajectory.ni18_progress, disclosure control
    applied) and the build's `threshold`; the rule in a note. None if empty.
    """
    if _empty(ni18_progress):
        return None
    frame = ni18_progress.reset_index(drop=True)
    withheld = _hidden(frame)

    def signed(column: str) -> Callable[[pd.DataFrame], list[str]]:
        return _shown(withheld, column, lambda v: _number(v, 2, signed=True))

    body = _labelled(frame, {
        "Area": lambda f: [_area_label(a) for a in f["area_id"]],
        "Baseline": lambda f: _as_printed(f, "cohort_as_printed", "baseline_cohort"),
        "Agreed change (%)": signed("target_change_pct"),
        "Target by": lambda f: [_text(b) or MISSING for b in _column(f, "target_by")],
        "Cohort": lambda f: [_text(c) for c in f["cohort"]],
        "Rate (%)": _shown(withheld, "rate", lambda v: _number(v, 2)),
        "Predicted rate (%)": lambda f: [_number(v, 2) for v in f["predicted_rate"]],
        "Change (%)": signed("actual_change_pct"),
        "Trajectory (%)": signed("trajectory_change_pct"),
        "Status": _shown(withheld, "status", lambda s: _text(s).capitalize() or MISSING),
    })
    notes = ["Change: the actual rate against the predicted rate, (actual − predicted) / "
             f"predicted × 100; a fall is negative. Trajectory: {ON_TRACK_RULE}."]
    gt = _build(body, title="NI 18 progress against the agreed targets", subtitle=None,
                source=source or source_line(frame), notes=notes,
                right=["Agreed change (%)", "Rate (%)", "Predicted rate (%)", "Change (%)",
                       "Trajectory (%)"])
    return gt.tab_footnote(withheld_note(threshold)) if any(withheld) else gt


def ni30_no_progress(ni30_progress: pd.DataFrame) -> str | None:
    """The sentence that stands for the progress table when no area has a cohort after its
    baseline: what is missing and what it stops the report from saying. None otherwise."""
    if _empty(ni30_progress) or _column(ni30_progress, "latest_cohort").notna().any():
        return None
    return ("No NI 30 progress yet: the data have no cohort after the baseline, so re-offences "
            "cannot yet be set against the targets.")


