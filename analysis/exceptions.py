"""Exceptions a board reads first: what is off track, who owns it, and what changed since."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import pandas as pd

from .labels import long_date, short_date
from .labels import plural as _count
from .periods import period_bounds
from .progress import NO_RETURN, NOT_REPORTED, milestone_status, strand_summary
from .recommendations import recommendation_status

__all__ = [
    "CHANGE_COLUMNS",
    "EXCEPTION_COLUMNS",
    "EXCEPTION_RULE",
    "States",
    "area_tables",
    "board_lines",
    "change_sentences",
    "changes",
    "exceptions",
    "previous_quarter_end",
    "states",
]

EXCEPTION_RULE = (
    "Exceptions: every strand a progress return rates red or amber; every milestone recorded "
    "missed, overdue (past due and recorded as not done), behind its quantitative target, or "
    "past due with no return saying whether it was done (its strand is not reported when "
    "that is its only problem: the return is missing, which is not failed delivery); and every "
    "inspection recommendation no strand answers or past its due date while open. Reds "
    "first, then the rest, then what is not reported; oldest due date first. Reason, action and "
    "decision are from the strand's latest progress return. The data record no revised dates."
)

EXCEPTION_COLUMNS = ["area_id", "kind", "item_id", "strand_id", "inspection_id", "item", "strand",
                     "state", "strand_state", "severity", "owner", "due", "days_past_due",
                     "reported_on", "reason", "action", "decision", "detail"]
CHANGE_COLUMNS = ["area_id", "change", "kind", "item_id", "item", "before", "after", "direction",
                  "detail"]

_KIND_ORDER = {"strand": 0, "milestone": 1, "recommendation": 2}
# Better or worse between two RAG ratings; 'not reported' and no RAG are neither.
_RAG_RANK = {"green": 0, "amber": 1, "red": 2}
_STATUS_WORDS = {"in_progress": "in progress", "not_started": "not started"}


def previous_quarter_end(as_of: date) -> date:
    """The last quarter end (31 March, 30 June, 30 September, 31 December) before as_of.

    The previous reporting date of a quarterly exception report, as the East Midlands plan
    asks of its board; a report as of a quarter end looks back to the one before.
    """
    first_of_quarter = date(as_of.year, 3 * ((as_of.month - 1) // 3) + 1, 1)
    # The day before the quarter as_of falls in: strictly before as_of, even on a quarter end.
    return (pd.Timestamp(first_of_quarter) - pd.Timedelta(days=1)).date()


def _latest_returns(progress: pd.DataFrame | None, today: pd.Timestamp) -> pd.DataFrame:
    """Each strand's latest progress return on or before the as-of date (indexed by strand)."""
    columns = ["reported_on", "rag", "comment", "action", "decision"]
    if progress is None or progress.empty:
        return pd.DataFrame(columns=columns, index=pd.Index([], name="strand_id"))
    p = progress.assign(reported_on=pd.to_datetime(progress["reported_on"]))
    p = p[p["reported_on"] <= today]
    for column in columns:
        if column not in p:
            p = p.assign(**{column: pd.NA})
    return p.sort_values("reported_on").groupby("strand_id")[columns].last()


def _text(value: object) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _milestone_detail(row: pd.Series, state: str) -> str:
    days = row["days_overdue"]
    late = f"{_count(int(days), 'day')} past due" if pd.notna(days) else ""
    if state == "missed":
        return "recorded as missed"
    if state == "behind target":
        return (f"{_number(row['actual'])} against a target of {_number(row['target'])}"
                + (f", {late}" if late else ""))
    if state == "overdue":
        status = _text(row["status"])
        if status in _STATUS_WORDS:
            return f"{late}; recorded as {_STATUS_WORDS[status]}"
        return f"{late}; the return of {long_date(row['returned_on'])} does not record it done"
    return f"{late}; no return says whether it was done"


def _milestone_rows(ms: pd.DataFrame, strands: pd.DataFrame,
                    returns: pd.DataFrame) -> list[dict]:
    behind = ms["quantity"].eq("behind").fillna(False).astype(bool)
    problem = ms["state"].isin(["missed", "overdue", NO_RETURN]) | (behind & (ms["state"] != "dropped"))
    rows = []
    for i, m in ms[problem].iterrows():
        state = ("missed" if m["state"] == "missed" else "behind target" if behind[i]
                 else "overdue" if m["state"] == "overdue" else NO_RETURN)
        sid = m["strand_id"]
        strand = strands.loc[sid] if sid in strands.index else pd.Series(dtype=object)
        ret = returns.loc[sid] if sid in returns.index else pd.Series(dtype=object)
        rows.append({
            "area_id": m["area_id"], "kind": "milestone", "item_id": m["milestone_id"],
            "strand_id": sid, "inspection_id": pd.NA, "item": m["description"],
            "strand": strand.get("title", pd.NA), "state": state,
            "strand_state": strand.get("rag", pd.NA),
            "severity": 0 if state == "missed" else 2 if state == NO_RETURN else 1,
            "owner": strand.get("lead", pd.NA), "due": m["due_date"],
            "days_past_due": m["days_overdue"], "reported_on": ret.get("reported_on", pd.NaT),
            "reason": ret.get("comment", pd.NA), "action": ret.get("action", pd.NA),
            "decision": ret.get("decision", pd.NA), "detail": _milestone_detail(m, state),
        })
    return rows


def _strand_rows(strands: pd.DataFrame, returns: pd.DataFrame) -> list[dict]:
    rows = []
    for sid, s in strands.iterrows():
        if sid not in returns.index or s["rag"] not in ("red", "amber"):
            continue
        ret = returns.loc[sid]
        rows.append({
            "area_id": s["area_id"], "kind": "strand", "item_id": sid, "strand_id": sid,
            "inspection_id": pd.NA, "item": s["title"], "strand": s["title"], "state": s["rag"],
            "strand_state": s["rag"], "severity": 0 if s["rag"] == "red" else 1,
            "owner": s.get("lead", pd.NA), "due": pd.NaT, "days_past_due": pd.NA,
            "reported_on": ret["reported_on"], "reason": ret["comment"], "action": ret["action"],
            "decision": ret["decision"],
            "detail": f"the progress return of {long_date(ret['reported_on'])} rates it {s['rag']}",
        })
    return rows


def _recommendation_rows(recs: pd.DataFrame, strands: pd.DataFrame) -> list[dict]:
    rows = []
    for _, r in recs.iterrows():
        unanswered, late = r["state"] == "not answered", bool(r["late"])
        if not (unanswered or late):
            continue
        named = [s for s in _text(r.get("answered_by")).split(";") if s]
        leads = list(dict.fromkeys(_text(strands.at[s, "lead"]) for s in named
                                   if s in strands.index and _text(strands.at[s, "lead"])))
        if unanswered:
            # The reason in words, never the strand ids recommendation_status names.
            detail = ("its strands' plans start after the as-of date" if named or
                      _text(r.get("addressed_by")) else "no strand of an action plan answers it")
            if bool(r["response_overdue"]):
                detail += f"; the response was due {long_date(r['response_due'])}"
        else:
            detail = (f"{_count(int(r['days_late']), 'day')} past due; answered by " + "; ".join(
                f"{_text(strands.at[s, 'title'])} ({_text(strands.at[s, 'rag']) or 'no RAG'})"
                for s in named if s in strands.index))
        rows.append({
            "area_id": r["area_id"], "kind": "recommendation", "item_id": r["recommendation_id"],
            "strand_id": pd.NA, "inspection_id": r["inspection_id"], "item": r["text"],
            "strand": pd.NA,
            "state": "not answered and late" if unanswered and late else
                     "not answered" if unanswered else "late",
            "strand_state": pd.NA, "severity": 1, "owner": "; ".join(leads) or pd.NA,
            # Not answered and not yet late: what is overdue is the response, so its date shows.
            "due": r["response_due"] if unanswered and not late and bool(r["response_overdue"])
                   else r["due"],
            "days_past_due": r["days_late"] if late else pd.NA,
            "reported_on": pd.NaT, "reason": pd.NA, "action": pd.NA, "decision": pd.NA,
            "detail": detail,
        })
    return rows


def exceptions(milestones_status: pd.DataFrame, strands_summary: pd.DataFrame,
               recommendations_status: pd.DataFrame | None = None,
               progress: pd.DataFrame | None = None, as_of: date | None = None) -> pd.DataFrame:
    """Every exception as of a date, by EXCEPTION_RULE, reds first.

    Rows: strands whose latest progress return (on or before as_of) rates them red or amber;
    milestones (not dropped) missed (severity 0), behind their quantitative target or overdue
    (1), or past due with no return (2); recommendations not answered or late (1). owner is
    the strand's lead (for a recommendation, the leads of the strands answering it); due is
    the milestone's or recommendation's due date; reason (the return's comment), action and
    decision come from the strand's latest return. Sorted by severity, then due date (oldest
    first, none last), then strand, milestone, recommendation, then id.
    """
    today = pd.Timestamp(as_of or date.today()).normalize()
    strands = strands_summary.set_index("strand_id")
    returns = _latest_returns(progress, today)
    rows = _strand_rows(strands, returns) + _milestone_rows(milestones_status, strands, returns)
    if recommendations_status is not None and not recommendations_status.empty:
        rows += _recommendation_rows(recommendations_status, strands)
    out = pd.DataFrame(rows, columns=EXCEPTION_COLUMNS)
    out["due"] = pd.to_datetime(out["due"])
    out["reported_on"] = pd.to_datetime(out["reported_on"])
    out["days_past_due"] = pd.array(out["days_past_due"].tolist(), dtype="Int64")
    out = out.assign(_kind=out["kind"].map(_KIND_ORDER)).sort_values(
        ["severity", "due", "_kind", "item_id"], na_position="last", kind="stable")
    return out.drop(columns="_kind").reset_index(drop=True)


# --------------------------------------------------------------------------- states at a date


@dataclass(frozen=True)
class States:
    """What the progress functions say on one date: milestones, strands, recommendations and
    the exceptions among them."""

    as_of: date
    milestones_status: pd.DataFrame
    strands_summary: pd.DataFrame
    recommendations_status: pd.DataFrame
    exceptions: pd.DataFrame


_TABLES = ("plans", "strands", "milestones", "progress", "inspections", "recommendations")


def area_tables(tables: Mapping[str, pd.DataFrame], area_id: str) -> dict[str, pd.DataFrame]:
    """The tables one area's states need: its plans, strands, milestones and returns, its
    inspections and their recommendations, and any other area's strand those name (a region's
    plan may answer an area's recommendation)."""
    t = {name: tables[name] for name in _TABLES}
    inspections = t["inspections"][t["inspections"]["area_id"] == area_id]
    recs = t["recommendations"][t["recommendations"]["inspection_id"].isin(inspections["inspection_id"])]
    named = {s.strip() for v in recs["addressed_by"].dropna() for s in str(v).split(";") if s.strip()}
    own_plans = set(t["plans"].loc[t["plans"]["area_id"] == area_id, "plan_id"])
    strands = t["strands"][t["strands"]["plan_id"].isin(own_plans) | t["strands"]["strand_id"].isin(named)]
    ids = set(strands["strand_id"])
    return {
        "plans": t["plans"][t["plans"]["plan_id"].isin(set(strands["plan_id"]) | own_plans)],
        "strands": strands,
        "milestones": t["milestones"][t["milestones"]["strand_id"].isin(ids)],
        "progress": t["progress"][t["progress"]["strand_id"].isin(ids)],
        "inspections": inspections,
        "recommendations": recs,
    }


def states(tables: Mapping[str, pd.DataFrame], as_of: date) -> States:
    """Run pathway progress, recommendations and exceptions as of one date (pure)."""
    t = tables
    ms = milestone_status(t["milestones"], t["strands"], t["plans"], as_of, t["progress"])
    strands = strand_summary(t["strands"], t["plans"], ms, t["progress"], as_of)
    recs = recommendation_status(t["recommendations"], t["inspections"], strands, t["plans"], as_of)
    return States(as_of, ms, strands, recs, exceptions(ms, strands, recs, t["progress"], as_of))


def _rag_words(value: object) -> str:
    text = _text(value)
    return text or "no RAG"


def _direction(before: object, after: object) -> str:
    b, a = _RAG_RANK.get(_text(before)), _RAG_RANK.get(_text(after))
    if b is not None and a is not None:
        return "worse" if a > b else "better"
    if _text(after) == NOT_REPORTED:
        return "milestones now past due with no return"
    if _text(before) == NOT_REPORTED:
        return "no longer waiting for a return"
    return ""


def _moved(before: States, after: States) -> list[dict]:
    then = before.strands_summary.set_index("strand_id")["rag"]
    rows = []
    for _, s in after.strands_summary.iterrows():
        old, new = then.get(s["strand_id"]), s["rag"]
        if _text(old) == _text(new):
            continue
        direction = _direction(old, new)
        rows.append({"area_id": s["area_id"], "change": "strand moved", "kind": "strand",
                     "item_id": s["strand_id"], "item": s["title"], "before": _rag_words(old),
                     "after": _rag_words(new), "direction": direction,
                     "detail": f"{_rag_words(old).capitalize()} \u2192 {_rag_words(new)}"
                               + (f" ({direction})" if direction else "")})
    # Worse first: that is what the board needs to hear about.
    return sorted(rows, key=lambda r: (r["direction"] != "worse", r["item_id"]))


def _completed(before: States, after: States) -> list[dict]:
    then = before.milestones_status.set_index("milestone_id")["state"]
    ms = after.milestones_status
    rows = []
    done = (ms["state"] == "complete") & (ms["milestone_id"].map(then) != "complete")
    for _, m in ms[done].iterrows():
        on = m["completed_on"]
        rows.append({"area_id": m["area_id"], "change": "milestone completed", "kind": "milestone",
                     "item_id": m["milestone_id"], "item": m["description"],
                     "before": then.get(m["milestone_id"], ""),
                     "after": "complete", "direction": "better",
                     "detail": f"completed on {long_date(on)}" if pd.notna(on) else "recorded complete"})
    return sorted(rows, key=lambda r: r["item_id"])


def _exception_changes(before: States, after: States) -> list[dict]:
    key = ["kind", "item_id"]
    old = before.exceptions.set_index(key)
    new = after.exceptions.set_index(key)
    rows = []
    for (kind, item_id), e in new.iterrows():
        if (kind, item_id) not in old.index:
            rows.append({"change": "new exception", "before": "", "detail": e["detail"]})
        elif old.at[(kind, item_id), "state"] != e["state"]:
            was = old.at[(kind, item_id), "state"]
            rows.append({"change": "exception changed", "before": was,
                         "detail": f"{was.capitalize()} \u2192 {e['state']}"})
        else:
            continue
        rows[-1].update({"area_id": e["area_id"], "kind": kind, "item_id": item_id,
                         "item": e["item"], "after": e["state"], "direction": ""})
    now_ms = after.milestones_status.set_index("milestone_id")["state"]
    now_strands = after.strands_summary.set_index("strand_id")["rag"]
    now_recs = after.recommendations_status.set_index("recommendation_id")["state"] \
        if not after.recommendations_status.empty else pd.Series(dtype=object)
    for (kind, item_id), e in old.iterrows():
        if (kind, item_id) in new.index:
            continue
        now = {"milestone": now_ms, "strand": now_strands, "recommendation": now_recs}[kind].get(item_id)
        rows.append({"area_id": e["area_id"], "change": "resolved exception", "kind": kind,
                     "item_id": item_id, "item": e["item"], "before": e["state"],
                     "after": _text(now), "direction": "better",
                     "detail": f"{e['state'].capitalize()} \u2192 {_text(now) or 'no longer listed'}"})
    order = {"new exception": 0, "exception changed": 1, "resolved exception": 2}
    return sorted(rows, key=lambda r: (order[r["change"]], r["kind"], r["item_id"]))


def _new_cohorts(cohorts: pd.DataFrame | None, since: date, as_of: date) -> list[dict]:
    """Cohorts whose period begins after since and by as_of: the data carry no publication
    date, so a cohort is new to a report when the period it starts in is."""
    if cohorts is None or cohorts.empty:
        return []
    rows = []
    for (area, measure, cohort), _ in cohorts.groupby(["area_id", "measure", "cohort"], sort=True):
        start = period_bounds(cohort)[0]
        if since < start <= as_of:
            rows.append({"area_id": area, "change": "new cohort", "kind": "cohort",
                         "item_id": f"{measure} {cohort}", "item": measure, "before": "",
                         "after": cohort, "direction": "",
                         "detail": f"cohort starting {long_date(start)}"})
    return rows


def _new_inspections(inspections: pd.DataFrame | None, ratings: pd.DataFrame | None,
                     since: date, as_of: date) -> list[dict]:
    """Inspections published after since and by as_of, with the overall rating where rated
    (Results.inspection_ratings) and the previous rating of the same framework it replaces."""
    if inspections is None or inspections.empty:
        return []
    rated = ratings.set_index("inspection_id") if ratings is not None and not ratings.empty else None
    rows = []
    for insp in inspections.sort_values(["published", "inspection_id"]).itertuples():
        published = pd.Timestamp(insp.published).date() if not pd.isna(insp.published) else None
        if published is None or not since < published <= as_of:
            continue
        detail = f"published {long_date(published)}"
        after = ""
        if rated is not None and insp.inspection_id in rated.index:
            after = _text(rated.at[insp.inspection_id, "rating"])
            earlier = ratings[(ratings["area_id"] == insp.area_id)
                              & (ratings["framework"] == insp.framework)
                              & (pd.to_datetime(ratings["published"]).dt.date < published)]
            was = _text(earlier["rating"].iloc[-1]) if len(earlier) else ""
            detail += (f", rated {after}" if after else "") + (f" (was {was})" if was else "")
        rows.append({"area_id": insp.area_id, "change": "new inspection", "kind": "inspection",
                     "item_id": insp.inspection_id,
                     "item": _text(getattr(insp, "title", "")) or "an inspection",
                     "before": "", "after": after, "direction": "", "detail": detail})
    return rows


def changes(tables: Mapping[str, pd.DataFrame], as_of: date, since: date | None = None, *,
            cohorts: pd.DataFrame | None = None, ratings: pd.DataFrame | None = None) -> pd.DataFrame:
    """What changed between the previous reporting date and as_of.

    The previous reporting date is `since` when given, else previous_quarter_end(as_of). The
    progress and recommendation functions run at both dates (states); the rows are, in order:
    strands whose RAG moved (with the direction in words: worse, better, milestones now past
    due with no return, no longer waiting for a return; worse first), exceptions new, changed
    and resolved (by kind and id), milestones completed since, `cohorts` (area_id,
    measure, cohort) new since, and inspections published since (with their overall rating and
    the one before it, from ``ratings``, Results.inspection_ratings).
    """
    since = since or previous_quarter_end(as_of)
    if since >= as_of:
        raise ValueError(f"the previous reporting date {since} must be before the as-of date {as_of}")
    before, after = states(tables, since), states(tables, as_of)
    rows = (_moved(before, after) + _exception_changes(before, after) + _completed(before, after)
            + _new_cohorts(cohorts, since, as_of)
            + _new_inspections(tables.get("inspections"), ratings, since, as_of))
    return pd.DataFrame(rows, columns=CHANGE_COLUMNS)


# --------------------------------------------------------------------------- for page one


def _numbers(frame: pd.DataFrame, numbers: pd.Series | None) -> str:
    shown = [_text(numbers.get(i)) if numbers is not None else "" for i in frame["item_id"]]
    if all(shown):
        return "recommendations " + ", ".join(shown) if len(shown) > 1 else "recommendation " + shown[0]
    return _count(len(frame), "recommendation")


def board_lines(exceptions_frame: pd.DataFrame, *, inspection_titles: Mapping[str, str] | None = None,
                numbers: pd.Series | None = None) -> pd.DataFrame:
    """Exceptions as a board paper lists them: each red, overdue, behind or late item on its own
    line; recommendations no strand answers, one line per inspection (and lateness); milestones
    past due with
    no return, one line per owner (the action is the same for all: ask for the return).

    Columns: severity, state, what, owner, due, detail, reason, action, decision. `numbers`
    maps a recommendation id to its printed number; `inspection_titles` an inspection to its
    title. Order: severity, then the exceptions' own order.
    """
    e = exceptions_frame
    titles = inspection_titles or {}
    lines = []
    grouped_recs = (e["kind"] == "recommendation") & e["state"].str.startswith("not answered")
    no_return = e["state"] == NO_RETURN
    for _, r in e[~grouped_recs & ~no_return].iterrows():
        what = _text(r["item"])
        if r["kind"] == "milestone":
            what += f" ({_text(r['strand'])})"
        lines.append({"severity": r["severity"], "state": r["state"], "what": what,
                      "owner": _text(r["owner"]), "due": r["due"], "detail": r["detail"],
                      "reason": _text(r["reason"]), "action": _text(r["action"]),
                      "decision": _text(r["decision"])})
    for (inspection, state), group in e[grouped_recs].groupby(["inspection_id", "state"], sort=False):
        lines.append({"severity": 1, "state": state,
                      "what": f"{titles.get(inspection) or 'Inspection'}: {_numbers(group, numbers)}",
                      "owner": "", "due": group["due"].min(),
                      "detail": "no strand of an action plan answers "
                                + ("it" if len(group) == 1 else "them"),
                      "reason": "", "action": "", "decision": ""})
    for owner, group in e[no_return].groupby(e["owner"].fillna(""), sort=False):
        items = "; ".join(f"{_text(r['item'])} (due {short_date(r['due'])})" for _, r in group.iterrows())
        lines.append({"severity": 2, "state": NO_RETURN,
                      "what": f"{_count(len(group), 'milestone')} of "
                              f"{_count(group['strand_id'].nunique(), 'strand')}: {items}",
                      "owner": _text(owner), "due": group["due"].min(),
                      "detail": "no return says whether "
                                + ("it was" if len(group) == 1 else "they were") + " done",
                      "reason": "", "action": "", "decision": ""})
    out = pd.DataFrame(lines, columns=["severity", "state", "what", "owner", "due", "detail",
                                       "reason", "action", "decision"])
    return out.sort_values("severity", kind="stable").reset_index(drop=True)


_CHANGE_WORDS = {
    "strand moved": ("strand moved", "strands moved"),
    "new exception": ("new exception", "new exceptions"),
    "exception changed": ("exception changed", "exceptions changed"),
    "resolved exception": ("exception resolved", "exceptions resolved"),
    "milestone completed": ("milestone completed", "milestones completed"),
    "new cohort": ("new reoffending cohort", "new reoffending cohorts"),
    "new inspection": ("new inspection", "new inspections"),
}


def _named(items: list[str], most: int = 5) -> str:
    shown = "; ".join(items[:most])
    return shown + (f"; and {len(items) - most} more" if len(items) > most else "")


def change_sentences(changes_frame: pd.DataFrame, *, measure_labels: Mapping[str, str] | None = None,
                     ) -> list[str]:
    """The changes as a few plain-text sentences, in words and arrows (never colour): one per
    strand move (before → after, and which way), per state of new exceptions, and one each
    for exceptions changed and resolved, milestones completed and new cohorts; at most five
    items are named in each, the rest counted."""
    labels = measure_labels or {}
    out = []
    c = changes_frame
    moved = c[c["change"] == "strand moved"]
    for (before, after, direction), rows in moved.groupby(["before", "after", "direction"], sort=False):
        out.append(f"{_count(len(rows), 'strand')} moved {before} → {after}"
                   + (f" ({direction})" if direction else "") + ": " + _named(list(rows["item"])) + ".")
    new = c[c["change"] == "new exception"]
    for state, rows in new.groupby("after", sort=False):
        out.append(f"{_count(len(rows), 'new exception')}, {state}: " + _named(list(rows["item"])) + ".")
    for change, (one, many) in _CHANGE_WORDS.items():
        rows = c[c["change"] == change]
        if rows.empty or change in ("strand moved", "new exception"):
            continue
        if change == "new cohort":
            items = [f"{labels.get(r['item'], r['item'])} {r['after']}" for _, r in rows.iterrows()]
        elif change == "milestone completed":
            items = [f"{r['item']} ({r['detail']})" for _, r in rows.iterrows()]
        else:
            items = [f"{r['item']}: {r['detail'][0].lower()}{r['detail'][1:]}" for _, r in rows.iterrows()]
        out.append(f"{len(rows)} {one if len(rows) == 1 else many}: " + _named(items) + ".")
    return out
