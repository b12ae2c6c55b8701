"""Rated inspections' chart data and words: each key question's cases sufficient, then and now."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ...labels import cell_text, join, plural
from ..words import Words, empty, fmt

#: Other areas' mean is drawn only when at least this many areas make it, the area among them.
MIN_AREAS = 3


@dataclass(frozen=True)
class KeyQuestions:
    """One inspection's key questions: percentage sufficient, the previous inspection's, the mean
    of the areas inspected under the same framework."""

    rows: pd.DataFrame  # criterion, label, short, standard, percent, previous, mean, areas
    area: str
    previous: bool  # a previous inspection gives percentages
    compared: bool  # a mean of MIN_AREAS or more areas


def prepare_key_questions(inspection_standards: pd.DataFrame, rating_change: pd.DataFrame | None,
                          rating_comparison: pd.DataFrame | None, inspection_id: str,
                          area: str = "") -> KeyQuestions | None:
    """The key questions of one inspection that give a percentage, in the framework's order,
    with the previous inspection's percentage (Results.rating_change) and the mean of the areas'
    latest inspections under the framework (Results.rating_comparison, shown from MIN_AREAS
    areas). None when no key question has a percentage."""
    if empty(inspection_standards):
        return None
    rows = inspection_standards[(inspection_standards["inspection_id"] == inspection_id)
                                & (inspection_standards["scoring"] == "scored")
                                & inspection_standards["percent_sufficient"].notna()]
    if rows.empty:
        return None
    titles = dict(zip(inspection_standards["criterion"], inspection_standards["title"], strict=False))
    out = pd.DataFrame({
        "criterion": rows["criterion"].to_numpy(),
        "label": [f"{c} {cell_text(t)}" for c, t in zip(rows["criterion"], rows["title"], strict=True)],
        "standard": [cell_text(titles.get(p, p)) for p in rows["parent"]],
        "percent": rows["percent_sufficient"].astype(float).to_numpy(),
    })
    previous = (rating_change[rating_change["inspection_id"] == inspection_id]
                .set_index("criterion")["previous_percent"] if not empty(rating_change) else pd.Series())
    # The framework file's few words where it gives them: twelve full questions overflow the axis.
    out["short"] = [f"{c} {cell_text(sh) or cell_text(t)}" for c, sh, t in
                    zip(rows["criterion"], rows["short"], rows["title"], strict=True)]
    out["previous"] = out["criterion"].map(previous).astype(float)
    peers = (rating_comparison[rating_comparison["inspection_id"] == inspection_id].set_index("criterion")
             if not empty(rating_comparison) else pd.DataFrame(columns=["mean_percent", "areas"]))
    out["areas"] = out["criterion"].map(peers["areas"]).fillna(0).astype(int)
    out["mean"] = out["criterion"].map(peers["mean_percent"]).astype(float)
    out.loc[out["areas"] < MIN_AREAS, "mean"] = float("nan")
    return KeyQuestions(out, area, bool(out["previous"].notna().any()), bool(out["mean"].notna().any()))


def describe_key_questions(k: KeyQuestions) -> Words:
    """Title, caption and alt text: the lowest key questions first, as a board asks."""
    r = k.rows
    lowest = r.sort_values("percent", kind="stable").head(3)
    alt = (f"Bar chart of {plural(len(r), 'key question')}, the percentage of cases inspected "
           f"found sufficient{' for ' + k.area if k.area else ''}: "
           + join([f"{row.label} {fmt(row.percent, 0)}%" for row in r.itertuples()]) + ".")
    if k.previous:
        alt += " Previous inspection: " + join([f"{row.criterion} {fmt(row.previous, 0)}%"
                                                 for row in r.itertuples() if pd.notna(row.previous)]) + "."
    if k.compared:
        alt += " Mean of the areas inspected under the same framework: " + join(
            [f"{row.criterion} {fmt(row.mean, 0)}%" for row in r.itertuples() if pd.notna(row.mean)]) + "."
    caption = ("Bars are the percentage of cases inspected whose work on the key question was "
               "found sufficient. Lowest: " + join([f"{row.criterion} ({fmt(row.percent, 0)}%)"
                                                      for row in lowest.itertuples()]) + ".")
    if k.previous:
        caption += " Circles are the previous inspection's percentages."
    if k.compared:
        caption += (" Ticks are the mean of the areas' latest inspections under the same framework, "
                    f"shown where at least {MIN_AREAS} areas make it.")
    title = f"Cases sufficient by key question, {k.area}" if k.area else "Cases sufficient by key question"
    return Words(title, caption, alt)
