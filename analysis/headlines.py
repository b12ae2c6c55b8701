"""Page one's headlines: one plain-English sentence per section of an area's report."""

from __future__ import annotations

import pandas as pd

from .labels import plural as _count
from .pathways import PATHWAY_NAMES
from .progress import NO_RETURN, NOT_REPORTED

__all__ = ["indicator_headline", "inspection_headline", "plan_headline"]


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


def inspection_headline(sections: pd.DataFrame, inspections: pd.DataFrame) -> str | None:
    """The latest inspection's overall score, named by its title and month of publication;
    None when no inspection has an overall score."""
    overall = sections[sections["section"] == "overall"].merge(
        inspections[["inspection_id", "title", "published"]].rename(
            columns={"published": "published_on", "title": "inspection_title"}),
        on="inspection_id", how="left")
    if overall.empty:
        return None
    row = overall.sort_values("published_on").iloc[-1]
    title = row["inspection_title"]
    title = title if isinstance(title, str) and title.strip() else "the inspection"
    published = f"{pd.Timestamp(row['published_on']):%B %Y}"
    if pd.isna(row["score"]):
        # The overall score weighs every section: one unscored section leaves it unknown.
        return (f"No overall score for {title}, published {published}: not every section it "
                "weighs has a score.")
    return f"Overall score {row['score']:.0f}% in {title}, published {published}."


def indicator_headline(ind: pd.DataFrame) -> str:
    """Targets met and not met among indicators with a target (or that none has one)."""
    targeted = ind[ind["status"] != "no target"]
    if targeted.empty:
        return f"{_count(len(ind), 'value')}, none with a target."
    met = int((targeted["status"] == "met").sum())
    return (f"{met} of {_count(len(targeted), 'target')} met; "
            f"{len(targeted) - met} not met.")
