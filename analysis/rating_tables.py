"""Rated inspection tables: standards and key questions, change, comparison, and the bands."""

from __future__ import annotations

import pandas as pd
from great_tables import GT, loc, style

from .frameworks import load_framework
from .labels import area_label as _area_label
from .labels import cell_text as _text
from .labels import short_date
from .sources import source_line
from .tablekit import MISSING
from .tablekit import area_subtitle as _area_subtitle
from .tablekit import build as _build
from .tablekit import empty as _empty
from .tablekit import labelled as _labelled
from .tablekit import number as _number

__all__ = ["band_check_table", "bands_table", "rated_comparison_table", "standards_table"]

_BELOW_GOOD = ("Requires improvement", "Inadequate")


def _result(scoring: object, rating: object, percent: object) -> str:
    if _text(scoring) == "scored":
        return MISSING if pd.isna(percent) else f"{_number(percent, 0)}% sufficient"
    return _text(rating) or "not given"


def standards_table(inspection_standards: pd.DataFrame, rating_change: pd.DataFrame | None = None,
                    rating_comparison: pd.DataFrame | None = None, *, inspection_id: str,
                    title: str = "Ratings by standard", area_name: str | None = None) -> GT | None:
    """One inspection's standards (rating, points) and key questions (% of cases sufficient),
    grouped by domain, beside the previous inspection's and the other areas' under the same
    framework. Takes Results.inspection_standards, rating_change and rating_comparison."""
    if _empty(inspection_standards):
        return None
    frame = inspection_standards[inspection_standards["inspection_id"] == inspection_id]
    given = frame["rating"].notna() | frame["percent_sufficient"].notna()
    if not given.any():
        return None  # only the overall rating is recorded: the headline says it
    # Codes the data do not give are named in a note, not listed row by row as blanks.
    absent = list(frame.loc[~given, "criterion"])
    frame = frame[given].reset_index(drop=True)
    framework = load_framework(str(frame["framework"].iloc[0]))
    banded = bool(framework.bands)
    change = (rating_change[rating_change["inspection_id"] == inspection_id].set_index("criterion")
              if not _empty(rating_change) else pd.DataFrame())
    peers = (rating_comparison[rating_comparison["inspection_id"] == inspection_id]
             .set_index("criterion") if not _empty(rating_comparison) else pd.DataFrame())

    applies = {(i, c): a for i, c, a in zip(inspection_standards["inspection_id"],
                                           inspection_standards["criterion"],
                                           inspection_standards["applies"], strict=True)}

    def previous(f: pd.DataFrame) -> list[str]:
        out = []
        for code, scoring in zip(f["criterion"], f["scoring"], strict=True):
            if code not in change.index:
                out.append(MISSING)
                continue
            c = change.loc[code]
            if not applies.get((c["previous_inspection"], code), True):
                since = framework.since[code]
                out.append(f"not rated then (added {since})")
                continue
            was = _result(scoring, c["previous_rating"], c["previous_percent"])
            if scoring == "scored" and not pd.isna(c["change_points"]):
                moved = float(c["change_points"])
                was += (" (no change)" if moved == 0 else
                        f" ({'up' if moved > 0 else 'down'} {_number(abs(moved), 0)} percentage "
                        f"point{'' if abs(moved) == 1 else 's'})")
            elif _text(c["change"]) in ("improved", "declined"):
                was += f" ({c['change']} since)"
            out.append(was)
        return out

    def others(f: pd.DataFrame) -> list[str]:
        """The other areas only: a mean or a count including this one would compare it with
        itself (with one other area, that area's figure)."""
        out = []
        for code, scoring, own_rating, own_percent in zip(
                f["criterion"], f["scoring"], f["rating"], f["percent_sufficient"], strict=True):
            if code not in peers.index or int(peers.loc[code, "areas"]) < 2:
                out.append(MISSING)  # the only area under the framework has no one to compare with
                continue
            p = peers.loc[code]
            n = int(p["areas"]) - 1
            if scoring == "scored":
                mean = (float(p["mean_percent"]) * (n + 1) - float(own_percent)) / n
                out.append(f"the other area: {_number(mean, 0)}%" if n == 1 else
                           f"mean of the {n} others: {_number(mean, 1)}%")
            else:
                good = int(p["good_or_better"]) - int(_text(own_rating) in ("Outstanding", "Good"))
                out.append(f"the other area: {'Good or better' if good else 'below Good'}" if n == 1
                           else f"{good} of the {n} others Good or better")
        return out

    result = ("Rating or cases sufficient" if (frame["scoring"] == "scored").any() else "Rating")
    columns = {
        "Domain": lambda f: [f"{_text(s)}. {_text(t)}" for s, t in zip(f["section"], f["section_title"],
                                                                       strict=True)],
        "Code": lambda f: [_text(c) for c in f["criterion"]],
        "Standard or key question": lambda f: [
            ("\u2003" if _text(s) == "scored" else "") + _text(t)
            + (" (not counted in the overall rating)" if banded and _text(s) == "rated" and not c else "")
            for t, s, c in zip(f["title"], f["scoring"], f["counts"], strict=True)],
        result: lambda f: [
            _result(s, r, p) for s, r, p in zip(f["scoring"], f["rating"], f["percent_sufficient"],
                                                strict=True)],
    }
    if banded:
        columns["Points"] = lambda f: [_number(v, 0) if _text(s) == "rated" and c else MISSING
                                       for v, s, c in zip(f["points"], f["scoring"], f["counts"],
                                                          strict=True)]
    if not change.empty:
        columns["Previous inspection"] = previous
    if not peers.empty and (peers["areas"] >= 2).any():
        columns["Other areas under the framework"] = others
    body = _labelled(frame, columns)
    notes = ["A standard is rated Outstanding, Good, Requires improvement or Inadequate"
             + ("; a key question gives the percentage of cases inspected whose work was found "
                "sufficient." if (frame["scoring"] == "scored").any() else ".")]
    if absent:
        notes.append("Not given in the data: " + _codes(absent) + ".")
    if not banded:
        notes.append("Ratings as printed: the inspectorate's rule from key questions to a "
                     "standard's rating, and from standards to the overall rating, is not applied.")
    if banded:
        notes.append("Points: Outstanding 3, Good 2, Requires improvement 1, Inadequate 0; the "
                     f"overall rating bands the total of the {len(framework.counted)} counted standards.")
    gt = _build(body, title=title, subtitle=area_name or _area_subtitle(frame), source=source_line(frame),
                right=["Points"], group="Domain", notes=notes)
    low = [i for i, r in enumerate(frame["rating"]) if _text(r) in _BELOW_GOOD]
    if low:
        gt = gt.tab_style(style=style.text(weight="bold"),
                          locations=loc.body(columns=result, rows=low))
    return gt


def _codes(codes: list[str]) -> str:
    """The codes listed, or for more than 13 the first, the last and how many."""
    return (f"{len(codes)} codes from {codes[0]} to {codes[-1]}" if len(codes) > 13
            else ", ".join(codes))


def rated_comparison_table(rating_comparison: pd.DataFrame, inspections: pd.DataFrame,
                           ratings: pd.DataFrame, *,
                           framework_id: str, area_id: str | None = None,
                           names: dict[str, str] | None = None) -> GT | None:
    """Every area's latest overall rating under one framework, best first (with the total where
    the framework sums points, and whether the rating is printed or the band for the total);
    ``area_id``'s row in bold. Takes Results.rating_comparison and inspection_ratings (every
    area's). None with fewer than two areas."""
    if _empty(rating_comparison):
        return None
    rows = rating_comparison[(rating_comparison["framework"] == framework_id)
                             & (rating_comparison["criterion"] == "overall")]
    if len(rows) < 2:
        return None
    rows = rows.reset_index(drop=True)
    published = dict(zip(inspections["inspection_id"], inspections["published"], strict=False))
    basis = {i: ("printed" if b == "printed" else f"band for the total ({st})" if isinstance(b, str)
                 else MISSING)
             for i, b, st in zip(ratings["inspection_id"], ratings["rating_basis"],
                                 ratings["band_status"], strict=True)}
    banded = bool(load_framework(framework_id).bands)
    columns = {
        "Rank": lambda f: [_number(v, 0) for v in f["rank"]],
        "Area": lambda f: [_text((names or {}).get(v)) or _area_label(v) for v in f["area_id"]],
        "Published": lambda f: [short_date(published[i]) if i in published and not pd.isna(published[i])
                                else MISSING for i in f["inspection_id"]],
        "Overall rating": lambda f: [_text(v) or "not given" for v in f["rating"]],
        "Rating from": lambda f: [basis.get(i, MISSING) for i in f["inspection_id"]],
    }
    if banded:
        columns["Total (of 36)" if load_framework(framework_id).max_total == 36 else "Total"] = (
            lambda f: [_number(v, 0) for v in f["total"]])
    body = _labelled(rows, columns)
    services = (load_framework(framework_id).about or {}).get("services", "areas")
    gt = _build(body, title=f"Overall ratings of the {services} inspected under the same framework",
                subtitle=None, source=source_line(rows), right=["Rank", "Total (of 36)", "Total"],
                notes=["Each area's latest inspection under the framework. Rank 1 = the best "
                       "rating" + (", then the highest total." if banded else ".")])
    mine = [i for i, a in enumerate(rows["area_id"]) if a == area_id]
    if mine:
        gt = gt.tab_style(style=style.text(weight="bold"), locations=loc.body(rows=mine))
    return gt


def bands_table(framework_id: str) -> GT | None:
    """The framework's bands: points, the published totals seen in each, and whether the edge
    below each band is confirmed by published ratings or provisional. None without bands."""
    framework = load_framework(framework_id)
    if not framework.bands:
        return None
    bands = pd.DataFrame([b.__dict__ for b in framework.bands])
    body = _labelled(bands, {
        "Overall rating": lambda f: list(f["rating"]),
        "Total (points)": lambda f: [f"{lo} to {hi}" for lo, hi in zip(f["low"], f["high"], strict=True)],
        "Published totals seen": lambda f: [f"{lo} to {hi}" for lo, hi in
                                            zip(f["observed_low"], f["observed_high"], strict=True)],
        "Edge below": lambda f: [e.capitalize() if e else "(lowest band)" for e in f["lower_edge"]],
        "Evidence": lambda f: list(f["evidence"]),
    })
    about = framework.about or {}
    return _build(body, title="How a youth justice total becomes an overall rating", subtitle=None,
                  source="Source: " + about.get("evidence", "the framework file"),
                  notes=[n for n in (about.get("rule"), about.get("rule_status")) if n])



def band_check_table(inspection_ratings: pd.DataFrame, inspections: pd.DataFrame) -> GT | None:
    """The analyst's check: each youth justice inspection's total (the sum of its counted
    standards' points) and band beside the total and rating it prints. Takes
    Results.inspection_ratings; None without a framework that sums points."""
    if _empty(inspection_ratings):
        return None
    rows = inspection_ratings[inspection_ratings["max_total"].notna()].reset_index(drop=True)
    if rows.empty:
        return None
    titles = inspections["title"] if "title" in inspections else [""] * len(inspections)
    names = {i: _text(t) or (f"Inspection published {short_date(p)}" if not pd.isna(p) else "")
             for i, t, p in zip(inspections["inspection_id"], titles, inspections["published"],
                                strict=True)}

    def agrees(flag: object) -> str:
        return MISSING if flag is None or pd.isna(flag) else "Yes" if flag else "\u2260 No: check"

    body = _labelled(rows, {
        "Inspection": lambda f: [names.get(i, "inspection (no title given)") for i in f["inspection_id"]],
        "Standards rated": lambda f: [f"{int(a)} of {int(b)}" for a, b in
                                      zip(f["standards_rated"], f["standards_counted"], strict=True)],
        "Workbook total": lambda f: [_number(v, 0) for v in f["total"]],
        "Printed total": lambda f: [_number(v, 0) for v in f["printed_total"]],
        "Totals agree": lambda f: [agrees(v) for v in f["total_agrees"]],
        "Band for the total": lambda f: [
            (_text(b) + (" (provisional)" if _text(st) == "provisional" else "")) or MISSING
            for b, st in zip(f["band"], f["band_status"], strict=True)],
        "Printed rating": lambda f: [_text(v) or MISSING for v in f["printed_rating"]],
        "Band agrees": lambda f: [agrees(v) for v in f["agrees"]],
    })
    return _build(body, title="Youth justice totals and bands beside the printed ones",
                  subtitle=_area_subtitle(rows), source=source_line(rows),
                  right=["Standards rated", "Workbook total", "Printed total"],
                  notes=["Workbook total: the sum of the counted standards' points, known only when "
                         "every one is rated. A band marked provisional rests on an edge no "
                         "published rating yet confirms."])
