"""Indicator chart's data and words: every indicator on one scale, percent of its target."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...labels import cell_text, plural
from ..words import Words, area_name, empty, fmt, num, pick

_UNIT_SUFFIX = {"percent": "%", "days": " days"}
_STATUS = {"met": "\u2713 Met", "not met": "\u2717 Not met"}


@dataclass(frozen=True)
class Indicators:
    """One area's indicators for one period: those with a target on % of target, the rest in words."""

    targeted: pd.DataFrame  # indicator, value, target, comparator, unit, better, status, pct, comparator_pct
    untargeted: pd.DataFrame  # indicator, value, comparator, comparator_label, unit
    area: str
    period: str
    comparator_label: str


def value_text(value: float, unit: str) -> str:
    """An indicator value in its unit, rounded half-up: whole numbers bare, others to one place."""
    if pd.isna(value):
        return "n/a"
    decimals = 0 if float(value).is_integer() else 1
    return f"{fmt(value, decimals)}{_UNIT_SUFFIX.get(cell_text(unit), '')}"


def prepare_indicators(indicators_status: pd.DataFrame, period: str | None = None) -> Indicators | None:
    """Results.indicators_status cut to one area (the first) and period (default the latest).

    pct = value / target × 100 and comparator_pct = comparator / target × 100: one scale for
    indicators in different units, 100 being the target. An indicator with no target (or a
    target of 0, which no percentage can be taken of) is kept aside to be said in words. None
    when the period has no value.
    """
    if empty(indicators_status):
        return None
    frame, area_id = pick(indicators_status, "area_id", None, "indicator_chart")
    if period is None and frame["period"].notna().any():
        period = str(max(frame["period"].dropna().astype(str)))
    frame = frame[(frame["period"].astype(str) == str(period)) & frame["value"].notna()]
    frame = frame.reset_index(drop=True)
    if frame.empty:
        return None
    value, target, comparator = num(frame["value"]), num(frame["target"]), num(frame["comparator"])
    has_target = ~np.isnan(target) & (target != 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        pct, comparator_pct = value / target * 100, comparator / target * 100
    out = frame.assign(value=value, target=target, comparator=comparator, pct=pct,
                       comparator_pct=comparator_pct)
    labels = [cell_text(c) for c in frame.get("comparator_label", pd.Series(dtype=object)) if cell_text(c)]
    return Indicators(targeted=out[has_target].reset_index(drop=True),
                      untargeted=out[~has_target].reset_index(drop=True), area=area_name(frame, area_id),
                      period=str(period), comparator_label=labels[0] if labels else "comparator")


def status_text(row: pd.Series) -> str:
    """'40% against a target of 90%: ✗ Not met' (lower is better said where it is)."""
    mark = _STATUS.get(cell_text(row["status"]), cell_text(row["status"]).capitalize())
    lower = " (lower is better)" if cell_text(row.get("better")) == "lower" else ""
    return (f"{value_text(row['value'], row['unit'])} against {value_text(row['target'], row['unit'])}"
            f"{lower}: {mark}")


def _untargeted_words(rows: pd.DataFrame) -> list[str]:
    words = []
    for _, r in rows.iterrows():
        text = f"{cell_text(r['indicator'])}, {value_text(r['value'], r['unit'])}"
        if pd.notna(r["comparator"]):
            label = cell_text(r.get("comparator_label")) or "the comparator"
            text += f" (against {value_text(r['comparator'], r['unit'])}, {label})"
        words.append(text)
    return words


def indicator_sentence(d: Indicators) -> str:
    """The indicators without a target, in words (what the report prints instead of a bar each)."""
    if d.untargeted.empty:
        return ""
    return f"{d.area}, {d.period} (no target set): " + "; ".join(_untargeted_words(d.untargeted)) + "."


def describe_indicators(d: Indicators) -> Words:
    """Title, caption (the one scale explained; indicators without a target in words) and alt text."""
    t = d.targeted
    met, notmet = t[t["status"] == "met"], t[t["status"] == "not met"]
    alt = (f"Bar chart of {plural(len(t), 'performance indicator')} for {d.area}, {d.period}, each as a "
           f"percentage of its target: {len(met)} met their target, {len(notmet)} did not.")
    if len(notmet):
        worst = notmet.reindex((notmet["pct"] - 100).abs().sort_values(ascending=False).index).head(3)
        alt += " Furthest from target: " + "; ".join(
            f"{cell_text(r['indicator'])} {status_text(r).split(':')[0]} ({fmt(r['pct'], 0)}% of target)"
            for _, r in worst.iterrows()) + "."
    caption = (f"One scale for every indicator: each bar is the area's {d.period} value as a percentage of "
               "its target, so the line at 100 is the target; where lower is better, a bar beyond 100 "
               f"misses it. Diamonds are the {d.comparator_label} on the same scale.")
    if len(d.untargeted):
        caption += " Without a target, not drawn: " + "; ".join(_untargeted_words(d.untargeted)) + "."
    return Words(f"Performance indicators against target, {d.period}", caption, alt)
