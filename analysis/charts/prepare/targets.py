"""NI 18 and NI 30 target charts' data and words."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...agreed import AGREED
from ...disclosure import MARKER
from ...labels import cell_text, plural
from ...periods import cohort_sort_key
from ..words import Words, area_name, empty, fmt, num, signed, suppressed


@dataclass(frozen=True)
class Ni18:
    """Per area: predicted rate, the target rate a significant fall needs, the change."""

    frame: pd.DataFrame  # area, predicted, target, published, change
    cohort: str | None
    withheld: int
    method: str
    agreed: int = 0  # areas whose target is the agreed one (the rest: the workbook's calculation)


def prepare_ni18(ni18_targets: pd.DataFrame, cohort: str | None = None) -> Ni18 | None:
    """The latest cohort with a target the disclosure layer lets us show (or ``cohort``).

    A cohort whose every target is withheld would leave an empty chart where an earlier one has
    something to say, so the default is the latest cohort with one shown target. Areas in name
    order; published expected rate = published expected reoffenders / offenders × 100. None
    when no target can be shown.
    """
    if empty(ni18_targets):
        return None
    frame = ni18_targets[ni18_targets["predicted_rate"].notna()]
    # A cohort too small for any significant fall has no target at all: it is not the one to draw.
    shown = frame[~suppressed(frame, "target_rate") & frame["target_rate"].notna()]
    if cohort is None and "cohort" in frame and shown["cohort"].notna().any():
        cohort = str(max(shown["cohort"].dropna().astype(str), key=cohort_sort_key))
    if cohort is not None and "cohort" in frame:
        frame = frame[frame["cohort"].astype(str) == cohort]
    frame = frame.reset_index(drop=True)
    withheld = suppressed(frame, "target_rate")
    frame = frame[~withheld].reset_index(drop=True)
    if frame.empty:
        return None
    offenders = num(frame["offenders"])
    published = (num(frame["published_expected_reoffenders"]) / offenders * 100
                 if "published_expected_reoffenders" in frame else np.full(len(frame), np.nan))
    agreed = (frame["target_source"] == AGREED).to_numpy(dtype=bool) \
        if "target_source" in frame else np.zeros(len(frame), dtype=bool)
    # With some targets agreed, the others are marked as the workbook's own calculation.
    names = [area_name(frame, a) + (" (calculated)" if agreed.any() and not own else "")
             for a, own in zip(frame["area_id"], agreed, strict=True)]
    out = pd.DataFrame({"area": names,
                        "predicted": num(frame["predicted_rate"]), "target": num(frame["target_rate"]),
                        "published": published, "change": num(frame["change_pct"])})
    out = out.sort_values("area", kind="stable").reset_index(drop=True)
    method = cell_text(frame["method"].iloc[0]) if "method" in frame else ""
    return Ni18(frame=out, cohort=cohort, withheld=int(withheld.sum()), method=method,
                agreed=int(agreed.sum()))


def describe_ni18(d: Ni18) -> Words:
    """Title, caption and alt text: the range of falls the targets need, one area's example."""
    f = d.frame
    alt = (f"Dot chart of predicted and NI 18 target reoffending rates for {plural(len(f), 'area')}"
           f"{', cohort ' + d.cohort if d.cohort else ''}. ")
    if f["change"].notna().any():  # no target (too small a cohort for a significant fall) anywhere
        least, most = f.loc[f["change"].idxmax()], f.loc[f["change"].idxmin()]
        alt += (f"Targets need falls from {fmt(-least['change'], 2)}% ({least['area']}) to "
                f"{fmt(-most['change'], 2)}% ({most['area']}); ")
    with_target = f[f["target"].notna()]
    first = with_target.iloc[0] if not with_target.empty else f.iloc[0]
    alt += (f"e.g. {first['area']} predicted {fmt(first['predicted'], 2)}%, target "
            f"{fmt(first['target'], 2)}%." if pd.notna(first["target"]) else
            f"e.g. {first['area']} predicted {fmt(first['predicted'], 2)}%, no target.")
    if len(with_target) < len(f):
        alt += (f" {plural(len(f) - len(with_target), 'area')} can have no target: too few people "
                "for a significant fall.")
    # The formula is the analyst's: it is in the table's note, not in the board's caption.
    if d.agreed == len(f):
        caption = ("Each target is the one agreed in the plan, as printed: a statistically "
                   "significant fall below the predicted rate; the workbook's own calculation "
                   "of it is checked in the appendix.")
    elif d.agreed:
        caption = ("Targets are the agreed ones, as printed; those marked calculated are the "
                   "workbook's own: the largest rate that would be a statistically significant "
                   "fall below the predicted rate (at 95%), worked out as the table below says.")
    else:
        caption = ("The target is the workbook's calculation: the largest reoffending rate that "
                   "would be a statistically significant fall below the predicted rate (at "
                   "95%); the table below says how it is worked out.")
    if d.withheld:
        caption += f" {plural(d.withheld, 'area')} not shown: {MARKER}, withheld to protect confidentiality."
    return Words("NI 18 targets: predicted against target rate", caption, alt)


#: NI 30 series: (column, label, colour name, hatch).
NI30_SERIES = (("baseline_reoffences", "Baseline", "dark blue", None),
               ("ceiling_reoffences", "Ceiling", "turquoise", "\\\\"),
               ("target_reoffences", "Target", "orange", "//"),
               ("latest_reoffences", "Latest", "dark pink", ".."))


@dataclass(frozen=True)
class Ni30:
    """Per area and series (baseline, ceiling, target, latest): re-offences, withheld or not."""

    frame: pd.DataFrame  # area, series, label, value, withheld, text, change_needed
    areas: list[str]
    series: list[str]


def prepare_ni30(ni30_progress: pd.DataFrame) -> Ni30 | None:
    """A tidy frame, one row per area and series (latest only when some area has one). None
    when every value is missing."""
    if empty(ni30_progress):
        return None
    frame = ni30_progress.assign(_area=[area_name(ni30_progress, a) for a in ni30_progress["area_id"]])
    frame = frame.sort_values("_area", kind="stable").reset_index(drop=True)
    chosen = [s for s in NI30_SERIES[:3]]
    if "latest_reoffences" in frame and frame["latest_reoffences"].notna().any():
        chosen.append(NI30_SERIES[3])
    rows = []
    for col, label, _colour, _hatch in chosen:
        values, hidden = num(frame[col]), suppressed(frame, col)
        for i, area in enumerate(frame["_area"]):
            text = MARKER if hidden[i] else (fmt(values[i], 0) if not np.isnan(values[i]) else "no data")
            change = frame["change_needed_pct"].iloc[i] if "change_needed_pct" in frame else np.nan
            rows.append({"area": area, "series": col, "label": label, "value": values[i],
                         "withheld": bool(hidden[i]), "text": text, "change_needed": change})
    out = pd.DataFrame(rows)
    if out["value"].isna().all():
        return None
    return Ni30(frame=out, areas=list(frame["_area"]), series=[c[0] for c in chosen])


def describe_ni30(d: Ni30) -> Words:
    """Title, caption and alt text: each area's baseline, ceiling, target (and latest)."""
    f = d.frame
    parts = []
    for area in d.areas:
        mine = f[f["area"] == area].set_index("series")
        part = (f"{area}: baseline {mine.at['baseline_reoffences', 'text']}, ceiling "
                f"{mine.at['ceiling_reoffences', 'text']}, target {mine.at['target_reoffences', 'text']}")
        change = mine["change_needed"].iloc[0]
        if pd.notna(change):
            part += f" ({signed(float(change))}%)"
        if "latest_reoffences" in mine.index and mine.at["latest_reoffences", "text"] != "no data":
            part += f", latest {mine.at['latest_reoffences', 'text']}"
        parts.append(part)
    alt = (f"Grouped bar chart of NI 30 re-offences for {plural(len(d.areas), 'area')}. "
           + "; ".join(parts) + ".")
    caption = ("NI 30 counts proven re-offences by the prolific and other priority offender cohort. "
               "The plan sets two end points below the baseline: the performance ceiling, the "
               "most re-offences it accepts, and the improvement target (the stretch) below it.")
    if f["withheld"].any():
        caption += f" {MARKER}: withheld to protect confidentiality."
    return Words("NI 30: baseline, ceiling and target re-offences", caption, alt)
