"""Page one's headlines: one plain-English sentence per section of an area's report."""

from __future__ import annotations

import pandas as pd

from .labels import join
from .labels import plural as _count
from .pathways import PATHWAY_NAMES
from .progress import NO_RETURN, NOT_REPORTED

__all__ = ["indicator_headline", "inspection_headline", "plan_headline", "standard_name"]


def plan_headline(strands: pd.DataFrame, ms: pd.DataFrame, gaps: pd.DataFrame) -> str:
    """Strands by RAG (not reported counted apart, by RAG_RULE), milestones by state (past due
    with no return apart from overdue and missed), the pathways without a strand, and the
    strands with no named lead."""
    rag = strands["rag"].value_counts()
    no_rag = int(strands["rag"].isna().sum())
    if no_rag == len(strands):
        return (f"{_count(len(strands), 'strand')}, none with milestones or a progress return "
                "to rate it by." + _unowned(strands))
    sentence = (f"{_count(len(strands), 'strand')}: {rag.get('red', 0)} red, "
                f"{rag.get('amber', 0)} amber, {rag.get('green', 0)} green and "
                f"{rag.get(NOT_REPORTED, 0)} not reported"
                + (f"; {_count(no_rag, 'strand')} without milestones or a return" if no_rag else "")
                + ".")
    if len(ms):
        state = ms["state"].value_counts()
        sentence += (f" Of {_count(len(ms), 'milestone')}, {state.get('complete', 0)} "
                     f"{'is' if state.get('complete', 0) == 1 else 'are'} complete, "
                     f"{state.get('missed', 0)} missed, {state.get('overdue', 0)} overdue and "
                     f"{_count(int(state.get(NO_RETURN, 0)), 'milestone')} past due with no "
                     "return.")
    missing = [PATHWAY_NAMES[c] for g in gaps["pathway_gaps"] for c in g.split(";") if c]
    sentence += (f" No strand for {', '.join(missing)}." if missing else
                 " Each of the seven pathways has a strand.")
    return sentence + _unowned(strands)


def _unowned(strands: pd.DataFrame) -> str:
    """' 5 of 8 strands have no named lead.': a strand nobody owns is a board's question."""
    if "lead" not in strands:
        return ""
    blank = int(strands["lead"].map(lambda v: not (isinstance(v, str) and v.strip())).sum())
    if not blank:
        return ""
    return f" {blank} of {_count(len(strands), 'strand')} {'has' if blank == 1 else 'have'} no named lead."


def inspection_headline(sections: pd.DataFrame, inspections: pd.DataFrame,
                        ratings: pd.DataFrame | None = None, standards: pd.DataFrame | None = None,
                        change: pd.DataFrame | None = None) -> str | None:
    """The latest inspection's overall result, named by its title and month of publication: a
    rated inspection's overall rating (``ratings``, Results.inspection_ratings) with the standards
    below Good and the change since the previous inspection, or a scored one's overall score;
    None when no inspection has either."""
    meta = inspections[["inspection_id", "title", "published"]].rename(
        columns={"published": "published_on", "title": "inspection_title"})
    overall = sections[sections["section"] == "overall"].merge(meta, on="inspection_id", how="left")
    rated = (ratings.merge(meta, on="inspection_id", how="left")
             if ratings is not None and not ratings.empty else None)
    latest_scored = overall.sort_values("published_on").iloc[-1] if not overall.empty else None
    if rated is not None and "kind" in rated and (rated["kind"] != "thematic").any():
        rated = rated[rated["kind"] != "thematic"]  # a thematic rates part of the work
    latest_rated = (rated.sort_values(["published_on", "inspection_id"]).iloc[-1]
                    if rated is not None else None)
    if latest_rated is not None and (latest_scored is None
                                     or latest_rated["published_on"] >= latest_scored["published_on"]):
        return _rating_sentence(latest_rated, standards, change)
    if latest_scored is None:
        return None
    row = latest_scored
    title, published = _named(row)
    if pd.isna(row["score"]):
        # The overall score weighs every section: one unscored section leaves it unknown.
        return (f"No overall score for {title}, published {published}: not every section it "
                "weighs has a score.")
    return f"Overall score {row['score']:.0f}% in {title}, published {published}."


def _named(row: pd.Series) -> tuple[str, str]:
    title = row["inspection_title"]
    title = title if isinstance(title, str) and title.strip() else "the inspection"
    return title, f"{pd.Timestamp(row['published_on']):%B %Y}"


def standard_name(title: object, domain: object) -> str:
    """A standard as a reader names it: 'Assessment (court disposals)'."""
    domain = str(domain).strip() if isinstance(domain, str) else ""
    if not domain or domain.lower().rstrip("s") in str(title).lower():
        return str(title)  # 'Resettlement policy and provision' names its domain already
    return f"{title} ({domain[:1].lower() + domain[1:]})"


def _rating_sentence(row: pd.Series, standards: pd.DataFrame | None,
                     change: pd.DataFrame | None) -> str:
    title, published = _named(row)
    rating = row["rating"]
    if not isinstance(rating, str):
        return (f"No overall rating for {title}, published {published}: none is printed"
                + (" and not every counted standard has a rating." if pd.notna(row["max_total"])
                   else "."))
    points = (f"{row['total']} of {row['max_total']} points" if pd.notna(row["total"]) else
              f"{row['printed_total']} of {row['max_total']} points as printed"
              if pd.notna(row.get("printed_total")) else "")
    if row["rating_basis"] == "printed":
        sentence = f"Rated {rating} overall in {title}, published {published}" + (
            f" ({points})." if points else ".")
    else:
        sentence = (f"{rating} overall, the workbook's band for the {points} of {title}, published "
                    f"{published}: the inspection prints no overall rating.")
        if row["band_status"] == "provisional":
            sentence += (f" The band is provisional: {row['band_note']}, so a total of "
                         f"{row['total']} could be in either.")
    # A printed figure the standards contradict is shown as printed, with the doubt beside it.
    if pd.notna(row.get("total_agrees")) and not row["total_agrees"]:
        sentence += (f" Check the data: it prints {row['printed_total']} points, but its standards "
                     f"sum to {row['total']}.")
    if pd.notna(row.get("agrees")) and not row["agrees"]:
        sentence += (f" Check the data: {row['total']} points fall in the {row['band']} band, "
                     f"not {rating}.")
    if change is not None and not change.empty:
        was = change[(change["inspection_id"] == row["inspection_id"])
                     & (change["criterion"] == "overall")]
        if not was.empty and isinstance(was.iloc[0]["previous_rating"], str):
            step = was.iloc[0]["change"]
            sentence += (f" {'Up' if step == 'improved' else 'Down' if step == 'declined' else 'The same as'}"
                         f"{' from' if step in ('improved', 'declined') else ''} "
                         f"{was.iloc[0]['previous_rating']} at the previous inspection.")
    if standards is not None and not standards.empty:
        sentence += _standards_clause(standards[standards["inspection_id"] == row["inspection_id"]],
                                      banded=pd.notna(row["max_total"]))
    return sentence


def _names(rows: pd.DataFrame) -> str:
    return join([standard_name(t, d) for t, d in zip(rows["title"], rows["section_title"], strict=True)])


def _standards_clause(mine: pd.DataFrame, *, banded: bool) -> str:
    """' 1 of the 12 counted standards is below Good: Planning (out-of-court disposals)
    requires improvement. Resettlement, rated separately: Inadequate.' Inadequate standards are
    named first, every one; Requires improvement named up to six, else counted; a standard
    the data do not give is counted as not recorded."""
    rated = mine[mine["scoring"] == "rated"]
    counted = rated[rated["counts"]] if banded else rated
    apart = rated[~rated["counts"] & rated["rating"].notna()] if banded else rated.iloc[0:0]
    given = counted[counted["rating"].notna()]
    if given.empty:
        return ""
    what = (f"the {len(counted)} counted standards" if banded and len(given) == len(counted)
            else f"the {len(given)} standards recorded")
    below = given[~given["rating"].isin(["Outstanding", "Good"])]
    if below.empty and len(given) == 1:
        clause = f" The one standard recorded is rated {given['rating'].iloc[0]}."
    elif below.empty:
        clause = f" {'Both' if len(given) == 2 else 'All'} {what[4:]} are rated Good or better."
    else:
        inadequate = below[below["rating"] == "Inadequate"]
        improve = below[below["rating"] == "Requires improvement"]
        clause = (f" {len(below)} of {what} {'is' if len(below) == 1 else 'are'} below Good."
                  + (f" Inadequate: {_names(inadequate)}." if len(inadequate) else "")
                  + (f" Requires improvement: {_names(improve)}." if 0 < len(improve) <= 6
                     else f" {len(improve)} require improvement." if len(improve) else ""))
    for _, row in apart.iterrows():
        clause += f" {row['title']}, rated separately: {row['rating']}."
    missing = rated[rated["rating"].isna() & rated["applies"]]
    if len(missing) > 4:
        clause += f" {len(missing)} of its {len(rated)} standards are not recorded."
    elif len(missing):
        # A whole domain not recorded is named as the domain (a PDU's organisational delivery).
        parts = []
        for domain, rows in missing.groupby("section_title", sort=False):
            whole = len(rows) > 1 and len(rows) == int((rated["section_title"] == domain).sum())
            parts.append(f"the {len(rows)} {str(domain)[:1].lower() + str(domain)[1:]} standards"
                         if whole else _names(rows))
        text = " and ".join(parts)
        clause += f" {text[:1].upper() + text[1:]} {'is' if len(missing) == 1 else 'are'} not recorded."
    return clause


def indicator_headline(ind: pd.DataFrame) -> str:
    """Targets met and not met among indicators with a target (or that none has one)."""
    targeted = ind[ind["status"] != "no target"]
    if targeted.empty:
        return f"{_count(len(ind), 'value')}, none with a target."
    met = int((targeted["status"] == "met").sum())
    return (f"{met} of {_count(len(targeted), 'target')} met; "
            f"{len(targeted) - met} not met.")
