"""Inspection charts' data and words: scores against comparators, criteria, family groups, the check."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ...labels import cell_text, join, plural
from ..words import Words, area_name, empty, fmt, pick

#: A group is ranked or given a mean to compare against only with at least this many areas.
MIN_GROUP = 3
_NO_COMPARATOR = ("No other area's inspection under this framework is in the data, so there is no "
                  "family group or national comparison.")


def _inspection_words(inspections: pd.DataFrame | None, inspection_id: str) -> tuple[str, str]:
    """(title, 'published Month YYYY') of an inspection from the inspections table, if given."""
    if empty(inspections) or "inspection_id" not in inspections:
        return "", ""
    row = inspections[inspections["inspection_id"] == inspection_id]
    if row.empty:
        return "", ""
    published = pd.to_datetime(row["published"].iloc[0]) if "published" in row else pd.NaT
    when = f"published {published:%B %Y}" if pd.notna(published) else ""
    return cell_text(row["title"].iloc[0]) if "title" in row else "", when


def _section_label(section: str, title: str) -> str:
    return "Overall" if section == "overall" else f"{section}: {cell_text(title)}"


# --------------------------------------------------------------------------- against comparators


@dataclass(frozen=True)
class Comparison:
    """One inspection's section scores beside its family group's and all areas' means."""

    sections: pd.DataFrame  # section, label, score, family_mean, family_size, all_mean, all_size
    area: str
    title: str  # the inspection's title, '' when not known
    published: str
    family: bool  # a family mean to show (a group of MIN_GROUP or more)
    national: bool  # an all-areas mean to show (MIN_GROUP or more areas)


def prepare_comparison(inspection_sections: pd.DataFrame, inspection_family: pd.DataFrame | None,
                       inspection_id: str | None = None,
                       inspections: pd.DataFrame | None = None) -> Comparison | None:
    """Section scores (0-100) of one inspection with the comparators the data can give.

    The family mean and the all-areas mean (analysis.inspection.family_comparison: unweighted
    means of the areas' latest full inspections) are shown only when MIN_GROUP or more areas
    make them, so no area is set against a mean of itself and one other. None with no score.
    """
    if empty(inspection_sections):
        return None
    sec, insp = pick(inspection_sections, "inspection_id", inspection_id, "comparison")
    sec = sec[sec["score"].notna()].reset_index(drop=True)
    if sec.empty:
        return None
    columns = ["family_mean", "family_size", "all_mean", "all_size"]
    if not empty(inspection_family) and set(columns) <= set(inspection_family.columns):
        fam = inspection_family[inspection_family["inspection_id"] == insp][["section", *columns]]
        sec = sec.merge(fam, on="section", how="left")
    else:
        sec = sec.assign(**{c: float("nan") for c in columns})
    for mean, size in (("family_mean", "family_size"), ("all_mean", "all_size")):
        sec.loc[~(pd.to_numeric(sec[size]) >= MIN_GROUP), mean] = float("nan")
    sec["label"] = [_section_label(s, t) for s, t in zip(sec["section"], sec["title"], strict=True)]
    area = area_name(sec, str(sec["area_id"].iloc[0])) if "area_id" in sec else ""
    title, published = _inspection_words(inspections, insp)
    return Comparison(sections=sec[["section", "label", "score", *columns]], area=area, title=title,
                      published=published, family=bool(sec["family_mean"].notna().any()),
                      national=bool(sec["all_mean"].notna().any()))


def describe_comparison(c: Comparison) -> Words:
    """Title, caption and alt text of the scores against comparators."""
    s = c.sections
    which = f"{c.area}'s inspection" if c.area else "The inspection"
    when = f" ({c.published})" if c.published else ""
    parts = [f"{r.label} {fmt(r.score, 0)}" for r in s.itertuples()]
    alt = (f"Bar chart of {plural(len(s), 'section score')} out of 100 for {which}{when}: "
           f"{join(parts)}.")
    for flag, column, words in ((c.family, "family_mean", "Family group mean"),
                                (c.national, "all_mean", "Mean of all areas inspected")):
        if flag:
            shown = s[s[column].notna()]
            alt += f" {words}: " + join([f"{r.label} {fmt(getattr(r, column), 0)}"
                                         for r in shown.itertuples()]) + "."
    caption = "Bars are the share of sampled cases meeting the section's criteria, out of 100."
    if c.family or c.national:
        caption += (" Diamonds are the mean of the area's family group (areas of similar size and "
                    "density), ticks the mean of all areas inspected, each shown where at least "
                    f"{MIN_GROUP} areas make it.")
    else:
        caption += " " + _NO_COMPARATOR
    if c.title:
        caption += f" Inspection: {c.title}."
    title = f"Inspection scores, {c.area}" if c.area else "Inspection scores"
    return Words(title, caption, alt)


# --------------------------------------------------------------------------- criteria


@dataclass(frozen=True)
class Criteria:
    """Scored criteria grouped by section, with any comparison means, and rated criteria."""

    rows: pd.DataFrame  # kind (header/bar), section, label, score, critical, criterion_mean
    scored: pd.DataFrame
    rated: pd.DataFrame
    section_means: dict[str, float]
    criterion_means: dict[str, float]
    label: str  # what the comparison is
    compared: bool  # a comparison frame was given
    area: str
    title: str
    published: str


def _comparison_means(comparison: pd.DataFrame | None, scored: pd.DataFrame, insp: str,
                      label: str | None) -> tuple[dict[str, float], dict[str, float], str]:
    """Section means of a family of MIN_GROUP or more, or criterion means of other inspections."""
    if empty(comparison):
        return {}, {}, label or ""
    area = cell_text(scored["area_id"].iloc[0]) if "area_id" in scored else ""
    if "family_mean" in comparison:
        fam = comparison
        if area and "area_id" in fam:
            fam = fam[fam["area_id"] == area]
        if "inspection_id" in fam:
            fam = fam[fam["inspection_id"] == insp]
        if "family_size" in fam:
            fam = fam[pd.to_numeric(fam["family_size"]) >= MIN_GROUP]
        means = {str(r.section): float(r.family_mean) for r in fam.itertuples() if pd.notna(r.family_mean)}
        size = int(fam["family_size"].iloc[0]) if len(fam) and "family_size" in fam else 0
        words = f"Family group mean ({plural(size, 'area')})" if size else "Family group mean"
        return means, {}, label or words
    other = comparison[comparison["scoring"] == "scored"]
    if "framework" in scored and "framework" in other:
        other = other[other["framework"] == scored["framework"].iloc[0]]
    other = other[other["inspection_id"] != insp] if "inspection_id" in other else other
    n_other = other["inspection_id"].nunique() if "inspection_id" in other else 0
    if n_other < MIN_GROUP - 1:  # with this one, fewer than MIN_GROUP inspections: no mean
        return {}, {}, label or ""
    means = other.groupby("criterion")["score"].mean()
    return {}, {str(k): float(v) for k, v in means.items() if pd.notna(v)}, (
        label or f"Mean of {plural(n_other, 'other inspection')}")


def prepare_criteria(inspection_criteria: pd.DataFrame, comparison: pd.DataFrame | None = None,
                     inspection_id: str | None = None, comparison_label: str | None = None,
                     inspections: pd.DataFrame | None = None) -> Criteria | None:
    """One inspection's scored criteria in section order, a header row before each section.

    Comparison: Results.inspection_family (each section's family mean, from a family of
    MIN_GROUP or more areas) or other areas' inspection_criteria (each criterion's mean over
    the other inspections, when at least MIN_GROUP - 1 of them). None when nothing is scored.
    """
    if empty(inspection_criteria):
        return None
    crit, insp = pick(inspection_criteria, "inspection_id", inspection_id, "criterion_scores_chart")
    scored = crit[(crit["scoring"] == "scored") & crit["score"].notna()].reset_index(drop=True)
    if scored.empty:
        return None
    sections, cmeans, label = _comparison_means(comparison, scored, insp, comparison_label)
    rows = []
    for sec in pd.unique(scored["section"]):
        mine = scored[scored["section"] == sec]
        rows.append({"kind": "header", "section": str(sec), "score": float("nan"), "critical": False,
                     "label": f"{sec}: {cell_text(mine['section_title'].iloc[0])}", "criterion": ""})
        rows += [{"kind": "bar", "section": str(sec), "score": float(r.score), "criterion": str(r.criterion),
                  "critical": cell_text(getattr(r, "importance", "")) == "critical",
                  "label": f"{r.criterion} {cell_text(r.title)}"} for r in mine.itertuples()]
    frame = pd.DataFrame(rows)
    frame["criterion_mean"] = frame["criterion"].map(cmeans)
    area = area_name(scored, str(scored["area_id"].iloc[0])) if "area_id" in scored else ""
    return Criteria(rows=frame, scored=scored, rated=crit[crit["scoring"] == "rated"],
                    section_means=sections, criterion_means=cmeans, label=label,
                    compared=not empty(comparison), area=area,
                    title=_inspection_words(inspections, insp)[0],
                    published=_inspection_words(inspections, insp)[1])


def describe_criteria(c: Criteria) -> Words:
    """Title, caption (rated criteria listed) and alt text: highest, lowest, comparison."""
    hi = c.scored.loc[c.scored["score"].idxmax()]
    lo = c.scored.loc[c.scored["score"].idxmin()]
    n_sections = c.scored["section"].nunique()
    alt = (f"Bar chart of {plural(len(c.scored), 'scored criterion', 'scored criteria')} in "
           f"{plural(n_sections, 'section')} of {c.area + chr(39) + 's' if c.area else 'the'} inspection. "
           f"Highest {hi['criterion']} {cell_text(hi['title'])} ({fmt(hi['score'], 0)}), lowest "
           f"{lo['criterion']} {cell_text(lo['title'])} ({fmt(lo['score'], 0)}).")
    if c.section_means:
        alt += f" {c.label}: " + join([f"section {s} {fmt(v)}" for s, v in c.section_means.items()]) + "."
    if c.criterion_means:
        below = [str(r.criterion) for r in c.scored.itertuples()
                 if str(r.criterion) in c.criterion_means and r.score < c.criterion_means[str(r.criterion)]]
        alt += f" Below the comparison mean: {join(below) if below else 'none'}."
    caption = "Bars are the share of sampled cases meeting each criterion, out of 100."
    if len(c.rated):
        caption += (" Rated on the six-point scale, not scored: "
                    + "; ".join(f"{r.criterion} {cell_text(r.rating) or 'no rating'}"
                                for r in c.rated.itertuples()) + ".")
    if c.compared and not (c.section_means or c.criterion_means):
        caption += " " + _NO_COMPARATOR
    if c.title:
        caption += f" Inspection: {c.title}."
    title = f"Criterion scores, {c.area}" if c.area else "Criterion scores"
    title += f" (inspection {c.published})" if c.published else ""
    return Words(title, caption, alt)


# --------------------------------------------------------------------------- analyst's check


@dataclass(frozen=True)
class Check:
    """Section scores as the workbook recalculates them beside those printed on the sheet."""

    sections: pd.DataFrame  # section, label, score, published, agrees
    area: str
    published: str = ""  # "published January 2005", when the inspections table is given
    inspection: str = ""  # the inspection's title, as printed


def prepare_check(inspection_sections: pd.DataFrame, inspection_id: str | None = None,
                  inspections: pd.DataFrame | None = None) -> Check | None:
    """One inspection's recalculated and printed section scores. None when neither exists."""
    if empty(inspection_sections):
        return None
    sec, insp = pick(inspection_sections, "inspection_id", inspection_id, "section_scores_chart")
    sec = sec[sec["score"].notna() | sec["published"].notna()].reset_index(drop=True)
    if sec.empty:
        return None
    agrees = sec["agrees"] if "agrees" in sec else pd.Series([pd.NA] * len(sec))
    out = pd.DataFrame({"section": sec["section"].astype(str),
                        "label": [_section_label(s, t)
                                  for s, t in zip(sec["section"], sec["title"], strict=True)],
                        "score": pd.to_numeric(sec["score"]), "published": pd.to_numeric(sec["published"]),
                        "agrees": [None if pd.isna(a) else bool(a) for a in agrees]})
    area = area_name(sec, str(sec["area_id"].iloc[0])) if "area_id" in sec else ""
    title, published = _inspection_words(inspections, insp)
    return Check(sections=out, area=area, published=published, inspection=title)


def describe_check(c: Check) -> Words:
    """Title, caption and alt text of the analyst's check: how many sections agree, which differ."""
    s = c.sections
    n_agree = sum(1 for a in s["agrees"] if a is True)
    differ = [r.section for r in s.itertuples() if r.agrees is False]
    alt = (f"Paired bar chart of {plural(len(s), 'section score')}"
           f"{' for ' + c.area if c.area else ''}, the workbook's calculation beside the printed "
           f"score: {n_agree} of {len(s)} agree within rounding")
    alt += f"; differing: {join(differ)}." if differ else "."
    overall = s[s["section"] == "overall"]
    if len(overall):
        o = overall.iloc[0]
        alt += f" Overall {fmt(o['score'])} calculated, {fmt(o['published'], 0)} printed."
    caption = ("An analyst's check: the workbook recalculates each section from the criterion scores "
               "(critical criteria count twice; overall = 30% B + 40% C + 30% D) and sets it beside the "
               "score printed on the inspection's sheet.")
    if differ:
        caption += f" Sections marked \u2260 differ from the printed score: {join(differ)}."
    if c.inspection:  # an area inspected twice has two checks: each names its inspection
        caption += f" Inspection: {c.inspection}."
    title = f"Analyst's check: recalculated and printed section scores{', ' + c.area if c.area else ''}"
    return Words(title + (f" (inspection {c.published})" if c.published else ""), caption, alt)


# --------------------------------------------------------------------------- family groups


@dataclass(frozen=True)
class Family:
    """Each area's latest score in one section, grouped by family; which groups may be ranked."""

    areas: pd.DataFrame  # area, family, score, family_mean (NaN in a group under MIN_GROUP), ranked
    section: str
    small: pd.DataFrame  # family, members: groups too small to rank


def prepare_family(inspection_family: pd.DataFrame, section: str = "overall") -> Family | None:
    """Areas' latest scores in ``section`` (else the first scored one), by family group.

    A family group of MIN_GROUP or more areas is ranked (highest first) with its mean drawn; a
    smaller one is listed by name with no mean, since ranking one or two areas says nothing.
    None when fewer than two areas are scored (one bar compares nothing).
    """
    if empty(inspection_family):
        return None
    frame = inspection_family[inspection_family["section"] == section]
    if frame.empty or frame["score"].isna().all():
        scored = inspection_family[inspection_family["score"].notna()]
        if scored.empty:
            return None
        section = str(scored["section"].iloc[0])
        frame = inspection_family[inspection_family["section"] == section]
    frame = frame[frame["score"].notna()]
    if frame["area_id"].nunique() < 2:
        return None
    out = pd.DataFrame({"area": [area_name(frame, a) for a in frame["area_id"]],
                        "family": frame["family_group"].fillna("(no family group)").astype(str).to_numpy(),
                        "score": pd.to_numeric(frame["score"]).to_numpy(),
                        "family_mean": pd.to_numeric(frame["family_mean"]).to_numpy()})
    members = out.groupby("family")["area"].transform("count")
    out["ranked"] = members >= MIN_GROUP
    out.loc[~out["ranked"], "family_mean"] = float("nan")
    out["order"] = out["score"].where(out["ranked"], float("nan"))
    out = (out.sort_values(["family", "order", "area"], ascending=[True, False, True], na_position="last")
           .drop(columns="order").reset_index(drop=True))
    small = (out[~out["ranked"]].groupby("family", as_index=False)["area"].count()
             .rename(columns={"area": "members"}))
    return Family(areas=out, section=section, small=small)


def describe_family(f: Family) -> Words:
    """Title, caption (small groups named, not ranked) and alt text of the family chart."""
    a = f.areas
    best = a.loc[a["score"].idxmax()]
    alt = (f"Horizontal bars of the latest {f.section} inspection score out of 100 for "
           f"{plural(len(a), 'area')}, grouped by family group; highest {best['area']} at "
           f"{fmt(best['score'])}.")
    caption = "Bars are each area's latest full inspection."
    if a["ranked"].any():
        caption += " In family groups of three or more areas, the orange tick is the group's mean."
    if len(f.small):
        groups = join([f"{r.family} ({plural(int(r.members), 'area')})" for r in f.small.itertuples()])
        caption += (f" Not ranked, with fewer than {MIN_GROUP} areas inspected: {groups}; their areas "
                    "are listed by name.")
        alt += f" Family groups too small to rank: {groups}."
    return Words(f"Inspection scores by family group ({f.section})", caption, alt)


def family_sentence(inspection_family: pd.DataFrame) -> str:
    """What to print instead of the family chart when there is none (one area or no score)."""
    if empty(inspection_family) or inspection_family["score"].isna().all():
        return "No scored inspection: areas cannot be compared with their family groups."
    scored = inspection_family[inspection_family["score"].notna()]
    name = area_name(scored, str(scored["area_id"].iloc[0]))
    return (f"Only {name} has a scored inspection in these data, so no area can be compared or "
            f"ranked within a family group (a group needs at least {MIN_GROUP} areas inspected).")
