"""Reoffending charts' data and words: rate trend, actual against predicted, XmR, funnel plot."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...disclosure import MARKER, withheld_words
from ...funnel import DEFAULT_LEVELS
from ...labels import cell_text, join, level_percent, plural
from ...periods import period_bounds
from ...significance import interval_words, test_words
from ..words import (
    Words,
    area_name,
    empty,
    flags,
    fmt,
    measure_name,
    num,
    pick,
    series,
    signed,
    suppressed,
)

SPC_RULES = {
    "1": "a point outside the limits",
    "2": "7 points in a row on one side of the mean",
    "3": "7 points in a row rising or falling",
    "4": "2 of 3 points beyond two-thirds of the way to a limit",
}
# A funnel compares areas of one kind; its title says which.
_PEERS = {"probation_area": "probation areas", "local_authority": "local authorities",
          "community_safety_partnership": "community safety partnerships", "region": "regions",
          "nation": "nations"}


@dataclass(frozen=True)
class Cohorts:
    """One area's series of one measure, cohort by cohort (columns as Results gives them)."""

    frame: pd.DataFrame  # cohort, rate, ci_low, ci_high, predicted, difference, significant,
    # interval_method, significance_test, hidden
    area: str  # the area's name
    measure: str  # the measure in words
    threshold: int
    benchmark: str = ""  # the benchmark area's name, when the frame has its rate per cohort


def _withheld(threshold: int) -> str:
    return (f"withheld to protect confidentiality (counts of people {withheld_words(threshold)}, or "
            "figures that would reveal one)")


def prepare_cohorts(rates: pd.DataFrame, threshold: int, area_id: str | None = None,
                    measure: str | None = None, column: str = "rate",
                    benchmark: pd.DataFrame | None = None, benchmark_name: str = "") -> Cohorts | None:
    """One series of Results.reoffending_rates in cohort order; `hidden` marks rows whose
    ``column`` the disclosure layer withheld. With ``benchmark`` (Results.benchmark), its
    ``benchmark_rate`` per cohort as the column ``benchmark``. None when the series is empty."""
    if empty(rates):
        return None
    frame, area, meas = series(rates, area_id, measure, "reoffending chart")
    if frame.empty:
        return None
    n = len(frame)
    blank = np.full(n, np.nan)
    out = pd.DataFrame({
        "cohort": [str(c) for c in frame["cohort"]],
        "rate": num(frame["rate"]) if "rate" in frame else blank,
        "ci_low": num(frame["ci_low"]) if "ci_low" in frame else blank,
        "ci_high": num(frame["ci_high"]) if "ci_high" in frame else blank,
        "predicted": num(frame["predicted_rate"]) if "predicted_rate" in frame else blank,
        "difference": num(frame["difference"]) if "difference" in frame else blank,
        "significant": flags(frame["significant"]) if "significant" in frame else np.zeros(n, bool),
        # The interval and test each cohort got (issue 15), for the captions to name.
        "interval_method": frame.get("interval_method", pd.Series(pd.NA, index=frame.index)).to_numpy(),
        "significance_test": frame.get("significance_test", pd.Series(pd.NA, index=frame.index)).to_numpy(),
        "hidden": suppressed(frame, column)})
    out["significant"] &= ~np.isnan(out["difference"].to_numpy())
    named = ""
    if benchmark is not None and not benchmark.empty:
        mine = benchmark[(benchmark["area_id"] == area) & (benchmark["measure"] == meas)]
        by_cohort = dict(zip(mine["cohort"].astype(str), num(mine["benchmark_rate"]), strict=True))
        out["benchmark"] = [by_cohort.get(c, np.nan) for c in out["cohort"]]
        named = benchmark_name if out["benchmark"].notna().any() else ""
    return Cohorts(frame=out, area=area_name(frame, area), measure=measure_name(meas), threshold=threshold,
                   benchmark=named)


def _overlapping(cohorts: pd.Series) -> bool:
    """Whether any two cohorts' periods share a day (a year and a rolling year inside it do)."""
    try:
        spans = sorted(period_bounds(c) for c in cohorts)
    except ValueError:  # labels that are no period: nothing to say about them
        return False
    return any(later[0] <= earlier[1] for earlier, later in zip(spans, spans[1:], strict=False))


def describe_trend(c: Cohorts) -> Words:
    """Title, caption and alt text of the rate trend: first and latest rate, interval, prediction."""
    f = c.frame
    cohorts = f["cohort"].tolist()
    alt = f"Line chart of the {c.measure} rate for {c.area}, " + (
        f"{len(f)} cohorts from {cohorts[0]} to {cohorts[-1]}." if len(f) > 1 else f"cohort {cohorts[0]}.")
    shown = np.flatnonzero(f["rate"].notna().to_numpy())
    if len(shown):
        first, last = f.iloc[shown[0]], f.iloc[shown[-1]]
        alt += f" Actual rate {fmt(first['rate'])}% in {first['cohort']}"
        alt += f", {fmt(last['rate'])}% in {last['cohort']}" if shown[-1] != shown[0] else ""
        if pd.notna(last["ci_low"]):
            alt += f" (95% interval {fmt(last['ci_low'])}% to {fmt(last['ci_high'])}%)"
        if pd.notna(last["predicted"]):
            alt += f" against a predicted {fmt(last['predicted'])}%"
        if c.benchmark and pd.notna(last.get("benchmark")):
            alt += f"; {c.benchmark} {fmt(last['benchmark'])}%"
        alt += "."
    hidden = f[f["hidden"]]
    if len(hidden):
        alt += f" {plural(len(hidden), 'cohort is', 'cohorts are')} suppressed."
    caption = f"The band is {interval_words(f['interval_method'], None)} of the actual rate"
    if f["predicted"].notna().any():
        caption += "; the dashed line is the rate predicted from offender characteristics"
    if c.benchmark:
        caption += f"; the dotted line is the {c.benchmark} rate for the same cohort"
    caption += "."
    if _overlapping(f["cohort"]):
        caption += (" Some cohorts overlap in time (as rolling twelve months do): points that "
                    "overlap share offenders, so they move together more than separate cohorts would.")
    if len(hidden):
        caption += (f" Cohorts marked {MARKER} ({join(hidden['cohort'].tolist())}) are "
                    f"{_withheld(c.threshold)}.")
    return Words(f"Reoffending rate by cohort, {c.area}", caption, alt)


def describe_difference(c: Cohorts) -> Words:
    """Title, caption and alt text of actual minus predicted: range, significant cohorts."""
    f = c.frame
    diff = f["difference"].to_numpy(dtype=float)
    alt = (f"Bar chart of actual minus predicted {c.measure} rate for {c.area} across "
           f"{plural(len(f), 'cohort')}")
    if not np.isnan(diff).all():
        alt += (f": differences from {signed(float(np.nanmin(diff)))} to {signed(float(np.nanmax(diff)))} "
                "percentage points")
    alt += "."
    sig = f[f["significant"]]
    alt += (" Significant: " + join([f"{r.cohort} ({signed(r.difference)})" for r in sig.itertuples()]) + "."
            if len(sig) else " None is significant at the 5% level.")
    if f["hidden"].any():
        alt += f" {plural(int(f['hidden'].sum()), 'cohort is', 'cohorts are')} suppressed."
    test = test_words(f["significance_test"], None)
    caption = ("Bars above zero mean more people reoffended than the prediction for that cohort; "
               f"starred, hatched bars differ significantly by {test} at 5%.")
    if f["hidden"].any():
        caption += f" {MARKER}: {_withheld(c.threshold)}."
    return Words(f"Actual against predicted reoffending, {c.area}", caption, alt)


@dataclass(frozen=True)
class Spc:
    """An XmR series: rate, mean, limits and each point's variation."""

    frame: pd.DataFrame  # cohort, rate, centre, lower, upper, special, variation, rules
    area: str
    measure: str
    trial: bool


def prepare_spc(spc: pd.DataFrame, area_id: str | None = None, measure: str | None = None) -> Spc | None:
    """One series of Results.spc in cohort order. None when it has no rate."""
    if empty(spc):
        return None
    frame, area, meas = series(spc, area_id, measure, "xmr_chart")
    rate = num(frame["rate"]) if len(frame) else np.array([])
    if rate.size == 0 or np.isnan(rate).all():
        return None
    out = pd.DataFrame({
        "cohort": [str(c) for c in frame["cohort"]], "rate": rate, "centre": num(frame["centre"]),
        "lower": num(frame["lower"]), "upper": num(frame["upper"]), "special": flags(frame["special_cause"]),
        "variation": [cell_text(v) for v in frame["variation"]],
        "rules": [cell_text(r) for r in frame["rules"]] if "rules" in frame else [""] * len(frame)})
    trial = bool(flags(frame["trial_limits"]).any()) if "trial_limits" in frame else False
    return Spc(frame=out, area=area_name(frame, area), measure=measure_name(meas), trial=trial)


def describe_spc(s: Spc) -> Words:
    """Title, caption (rules broken, trial limits) and alt text of the XmR chart."""
    f = s.frame
    cohorts = f["cohort"].tolist()
    # Rebased limits differ by segment: the latest segment's are the ones the process runs at now.
    rebased = f["centre"].dropna().nunique() > 1
    means = [float(f[c].dropna().iloc[-1]) if rebased and f[c].notna().any() else
             float(np.nanmean(f[c])) if f[c].notna().any() else np.nan for c in ("centre", "lower", "upper")]
    latest = "latest segment's " if rebased else ""
    alt = (f"XmR chart of the {s.measure} rate for {s.area} over {plural(len(f), 'cohort')} "
           f"({cohorts[0]} to {cohorts[-1]}): {latest}mean {fmt(means[0])}%, process limits {fmt(means[1])}% "
           f"to {fmt(means[2])}%.")
    special = f[f["special"]]
    alt += (" Special-cause points: " + join([f"{r.cohort} {fmt(r.rate)}% ({r.variation})"
                                              for r in special.itertuples()]) + "."
            if len(special) else " Common-cause variation only: no special-cause point.")
    caption = "Limits are the mean \u00b1 2.66 \u00d7 the mean moving range (NHS Making Data Count)"
    caption += ", recalculated where the process was rebased. " if rebased else ". "
    if len(special):
        caption += "Special causes: " + "; ".join(
            f"{r.cohort}, {join([SPC_RULES.get(k, 'rule ' + k) for k in r.rules.split(';') if k])}"
            for r in special.itertuples()) + "."
    else:
        caption += "No special cause: the variation is consistent with a stable process."
    if s.trial:
        caption += f" With {len(f)} points the limits are trial limits; treat signals with caution."
    return Words(f"Statistical process control chart, {s.area}", caption, alt)


@dataclass(frozen=True)
class Funnel:
    """Areas' rates for one measure and cohort against their size, one area singled out."""

    frame: pd.DataFrame  # area_id, offenders, rate, position, ok, mine
    measure: str
    cohort: str
    target: float
    tau2: float
    name: str
    peers: str
    method: str = "arcsine"  # funnel.funnel_curve's method for the limits the table holds
    levels: tuple[float, float] = DEFAULT_LEVELS  # the inner and outer limits' confidence levels

    @property
    def level_words(self) -> tuple[str, str]:
        """The two levels as the chart names them: ("95%", "99.8%") by default."""
        return level_percent(self.levels[0]), level_percent(self.levels[1])


def prepare_funnel(funnel: pd.DataFrame, area_id: str | None, measure: str | None = None,
                   cohort: str | None = None, label: str | None = None) -> Funnel | None:
    """Results.funnel cut to one measure and cohort (default: the latest with a rate). None when
    no area has a rate."""
    if empty(funnel):
        return None
    frame, meas = pick(funnel, "measure", measure, "funnel_plot")
    if frame.empty:
        return None
    if cohort is None:
        with_rate = frame[frame["rate"].notna()]
        cohort = str(max(with_rate["cohort"].astype(str))) if len(with_rate) else str(max(frame["cohort"]))
    frame = frame[frame["cohort"].astype(str) == str(cohort)].reset_index(drop=True)
    n, rate = num(frame["offenders"]), num(frame["rate"])
    ok = ~np.isnan(n) & ~np.isnan(rate) & (n > 0)
    if not ok.any():
        return None
    out = pd.DataFrame({"area_id": frame["area_id"], "offenders": n, "rate": rate, "ok": ok,
                        "position": [cell_text(p) for p in frame["position"]] if "position" in frame else "",
                        "mine": (frame["area_id"] == area_id).to_numpy() & ok})
    kinds = frame["area_type"].dropna().unique() if "area_type" in frame else []
    name = label or (area_name(frame, area_id) if area_id else "")
    return Funnel(frame=out, measure=measure_name(meas), cohort=str(cohort),
                  target=float(num(frame["target"])[ok][0]),
                  tau2=float(np.nan_to_num(num(frame["tau2"])[ok][0])) if "tau2" in frame else 0.0,
                  name=name, peers=_PEERS.get(str(kinds[0]), "areas") if len(kinds) == 1 else "areas",
                  method=_curve_method(frame["limits_method"][ok].iloc[0]) if "limits_method" in frame
                  else "arcsine",
                  levels=_levels(frame[ok]) if "level_inner" in frame else DEFAULT_LEVELS)


def _levels(rows: pd.DataFrame) -> tuple[float, float]:
    """The levels the table's limits were drawn at (one build draws every funnel at the same two)."""
    return float(rows["level_inner"].iloc[0]), float(rows["level_outer"].iloc[0])


def _curve_method(limits_method: object) -> str:
    """The funnel table's limits_method -> the method its curve is drawn with."""
    return {"wilson": "wilson", "legacy-arcsine": "legacy"}.get(str(limits_method), "arcsine")


def describe_funnel(f: Funnel) -> Words:
    """Title, caption and alt text: how many areas lie outside the limits, where the area lies."""
    ok = f.frame[f.frame["ok"]]
    outside_inner = int(((ok["position"] != "") & (ok["position"] != "within")).sum())
    inner, outer = f.level_words
    outside_outer = int(ok["position"].isin([f"above {outer}", f"below {outer}"]).sum())
    alt = (f"Funnel plot of {plural(len(ok), 'area')}' {f.measure} rates for cohort {f.cohort} against "
           f"cohort size, pooled rate {fmt(f.target)}%. {outside_inner} outside the {inner} limits, "
           f"{outside_outer} outside the {outer} limits.")
    mine = f.frame[f.frame["mine"]]
    if len(mine):
        r = mine.iloc[0]
        where = r["position"] or "not assessed"
        alt += (f" {f.name}: {fmt(r['rate'])}% of {int(r['offenders']):,} offenders, "
                f"{f'within the {inner} limits' if where == 'within' else where + ' limit'}.")
    elif f.name:
        alt += f" {f.name} has no published rate for this cohort."
    source = "Wilson score limits as PHEindicatormethods" if f.method == "wilson" else "Spiegelhalter 2005"
    caption = (f"Each dot is an area's rate for cohort {f.cohort}; areas outside the funnel differ from the "
               f"pooled rate by more than chance would explain ({source}).")
    if f.tau2 > 0:
        caption += " Limits are widened for overdispersion between areas."
    missing = int((~f.frame["ok"]).sum())
    if missing:
        caption += f" {plural(missing, 'area')} without a publishable rate (suppressed or missing) not shown."
    if not len(mine) and f.name:
        caption += f" {f.name} is not shown: no rate for this cohort."
    return Words(f"Reoffending rates of {f.peers}, cohort {f.cohort}", caption, alt)
