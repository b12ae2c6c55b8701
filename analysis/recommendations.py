"""Inspection recommendations tracked against the action plan: answered, on track, late."""

from __future__ import annotations

import logging
from datetime import date

import pandas as pd

log = logging.getLogger(__name__)

# HM Inspectorate of Probation, Effective Supervision Inspection reports (e.g. Gloucestershire
# 2005, "Next steps"): the Board responds with an action plan within three months of publication,
# and recommendations are normally implemented within twelve.
RESPONSE_MONTHS = 3
IMPLEMENTATION_MONTHS = 12

# Unanswered first: the order a board reads them in.
STATES = ("not answered", "answered but behind", "answered and on track", "implemented", "superseded")

STATE_RULE = (
    "A recommendation is answered when a strand of an action plan that has started by the as-of "
    "date names it. Answered and on track: every such strand is green. Answered but behind: a "
    "strand is red, amber or not reported (its milestones are past due with no return), or has "
    "neither milestones nor a progress return to show progress. "
    "Implemented and superseded are as the data records them. The response was due three months "
    "after the inspection was published; implementation is due on the date given, or else twelve "
    "months after publication. Days late count from that due date for a recommendation neither "
    "implemented nor superseded."
)

COLUMNS = ["recommendation_id", "inspection_id", "area_id", "state", "addressed_by", "due",
           "days_late", "number", "text", "status", "published", "response_due", "due_source",
           "late", "response_overdue", "answered_by", "strand_states", "reason", "as_of"]


def _split(value: object) -> list[str]:
    if not isinstance(value, str):
        return []
    return list(dict.fromkeys(p.strip() for p in value.split(";") if p.strip()))


def _strand_state(strand_id: str, strand: pd.Series) -> str:
    """One strand's state in a few words: its RAG and why."""
    rag = strand["rag"]
    if not isinstance(rag, str):
        return f"{strand_id} has no milestones or progress return"
    source = str(strand["rag_source"])
    if source.startswith("progress return"):
        return f"{strand_id} {rag} ({source})"
    why = []
    if strand.get("missed", 0):
        why.append(f"{strand['missed']} of {strand['milestones']} milestones missed")
    overdue = strand["overdue"] - strand.get("missed", 0)  # `overdue` counts missed ones too
    if overdue:
        why.append(f"{overdue} of {strand['milestones']} milestones overdue")
    if strand.get("no_return", 0):
        why.append(f"{strand['no_return']} of {strand['milestones']} milestones past due with "
                   "no return")
    if rag != "green" and strand["undated"] == strand["milestones"] - strand["dropped"]:
        why.append("no milestone has a readable date")
    return f"{strand_id} {rag}" + (f" ({'; '.join(why)})" if why else "")


def _judge(named: list[str], status: str, wanted: set[str], begins: dict, rag: dict,
           described: dict, today: pd.Timestamp) -> tuple[str, str, list[str], list[str]]:
    """One recommendation's state, the reason, the strands answering it and their states."""
    # A strand counts from the day its plan starts: before then nothing answered the report.
    in_force = [s for s in named if s in wanted and begins[s] <= today]
    states = [described[s] for s in in_force]
    if status in ("implemented", "superseded"):
        return status, f"recorded as {status}", in_force, states
    if not in_force:
        return ("not answered", "no strand of an action plan answers it" if not named else
                "its strands' plans start after the as-of date", in_force, states)
    behind = [d for s, d in zip(in_force, states, strict=True) if rag[s] != "green"]
    if behind:
        return "answered but behind", "; ".join(behind), in_force, states
    return "answered and on track", "; ".join(states), in_force, states


def _number_key(value: object) -> tuple[int, str]:
    text = str(value) if isinstance(value, str) else ""
    return (int(text), "") if text.isdigit() else (10**9, text)


def recommendation_status(recommendations: pd.DataFrame, inspections: pd.DataFrame,
                          strands_summary: pd.DataFrame, plans: pd.DataFrame,
                          as_of: date | None = None) -> pd.DataFrame:
    """Each recommendation's state and deadlines as of a date, unanswered ones first.

    Method (STATE_RULE): a strand answers a recommendation from the day its plan starts; the
    recommendation's state follows the strands' RAG from pathway progress (strand_summary).
    response_due = published + 3 months and, unless a due date is given, due = published + 12
    months, the inspectorate's expectations printed in every Effective Supervision Inspection
    report. days_late = as_of - due for a recommendation still open, 0 before the due date.
    Recommendations of inspections published after as_of had not been made yet and are left out.
    """
    today = pd.Timestamp(as_of or date.today()).normalize()
    if recommendations.empty:
        return pd.DataFrame(columns=COLUMNS)
    insp = inspections.set_index("inspection_id")
    published = pd.to_datetime(recommendations["inspection_id"].map(insp["published"]))
    made = published <= today
    if (~made).any():
        log.info("%d recommendations are from inspections published after %s: left out",
                 int((~made).sum()), today.date())
    recs = recommendations[made].reset_index(drop=True)
    published = published[made].reset_index(drop=True)
    starts = pd.to_datetime(plans.set_index("plan_id")["starts"])
    strands = (strands_summary.set_index("strand_id") if "strand_id" in strands_summary
               else pd.DataFrame(columns=["plan_id", "rag"]))
    named_by = recs["addressed_by"].map(_split)
    wanted = {s for names in named_by for s in names} & set(strands.index)
    # Once per strand, not once per recommendation naming it.
    begins = {s: starts.get(strands.at[s, "plan_id"], today) for s in wanted}
    rag = {s: strands.at[s, "rag"] for s in wanted}
    described = {s: _strand_state(s, strands.loc[s]) for s in wanted}
    status = recs["status"].where(recs["status"].isin(["open", "implemented", "superseded"]))
    judged = [_judge(named, str(given) if isinstance(given, str) else "", wanted, begins, rag,
                     described, today) for named, given in zip(named_by, status, strict=True)]
    state = pd.Series([j[0] for j in judged], index=recs.index, dtype="object")
    given_due = pd.to_datetime(recs["due"])
    due = given_due.fillna(published + pd.DateOffset(months=IMPLEMENTATION_MONTHS))
    response_due = published + pd.DateOffset(months=RESPONSE_MONTHS)
    still_open = ~state.isin(["implemented", "superseded"])
    days_late = (today - due).dt.days.clip(lower=0).astype("Int64").where(still_open, pd.NA)

    def joined(values: list[list[str]], sep: str) -> list[object]:
        return [sep.join(v) if v else pd.NA for v in values]

    out = pd.DataFrame({
        "recommendation_id": recs["recommendation_id"],
        "inspection_id": recs["inspection_id"],
        "area_id": recs["inspection_id"].map(insp["area_id"]),
        "state": state,
        "addressed_by": joined(list(named_by), ";"),
        "due": due,
        "days_late": days_late,
        "number": recs["number"],
        "text": recs["text"],
        "status": status,
        "published": published,
        "response_due": response_due,
        "due_source": given_due.notna().map(
            {True: "given", False: f"{IMPLEMENTATION_MONTHS} months after publication"}),
        "late": (still_open & (days_late.fillna(0) > 0)).astype(bool),
        "response_overdue": ((state == "not answered") & (response_due < today)).astype(bool),
        "answered_by": joined([j[2] for j in judged], ";"),
        "strand_states": joined([j[3] for j in judged], "; "),
        "reason": [j[1] for j in judged],
        "as_of": today,
    }, columns=COLUMNS)
    order = out["state"].map(STATES.index)
    number = out["number"].map(_number_key)
    # Within a state, oldest inspection first: its recommendations have waited longest.
    out = out.assign(_order=order, _number=number).sort_values(
        ["_order", "area_id", "published", "inspection_id", "_number"], kind="stable")
    return out.drop(columns=["_order", "_number"]).reset_index(drop=True)


def inspection_responses(recommendation_status_frame: pd.DataFrame) -> pd.DataFrame:
    """For each inspection: its recommendations by state, how many are late, and the deadlines.

    unanswered_or_late counts a recommendation once if it is not answered, past its due date
    while open, or both: the figure a follow-up inspection asks about first.
    """
    columns = ["inspection_id", "area_id", "published", "response_due", "recommendations",
               "not_answered", "behind", "on_track", "implemented", "superseded", "late",
               "response_overdue", "unanswered_or_late", "as_of"]
    s = recommendation_status_frame
    if s.empty:
        return pd.DataFrame(columns=columns)
    grouped = s.assign(
        not_answered=s["state"] == "not answered",
        behind=s["state"] == "answered but behind",
        on_track=s["state"] == "answered and on track",
        implemented=s["state"] == "implemented",
        superseded=s["state"] == "superseded",
        unanswered_or_late=(s["state"] == "not answered") | s["late"],
    ).groupby(["inspection_id", "area_id"], as_index=False, sort=False)
    out = grouped.agg(published=("published", "first"), response_due=("response_due", "first"),
                      recommendations=("recommendation_id", "count"),
                      not_answered=("not_answered", "sum"), behind=("behind", "sum"),
                      on_track=("on_track", "sum"), implemented=("implemented", "sum"),
                      superseded=("superseded", "sum"), late=("late", "sum"),
                      response_overdue=("response_overdue", "sum"),
                      unanswered_or_late=("unanswered_or_late", "sum"), as_of=("as_of", "first"))
    return out.sort_values(["area_id", "published", "inspection_id"], ignore_index=True)[columns]

