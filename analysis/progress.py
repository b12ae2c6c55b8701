"""Pathway progress as of a date: milestone states, strand RAG and SMART audit, plan coverage."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from .organisations import resolve
from .pathways import CROSS_CUTTING, PATHWAY_NAMES, PATHWAYS, SEVEN_PATHWAYS

DUE_SOON_DAYS = 90
NO_LEAD = "(no lead)"
# Printed beside lead load where a plan has joint leads: it must say how they are counted.
JOINT_LEADS = ("Leads are counted as organisations: a strand led jointly counts once for each of "
               "its lead organisations, so shares add up to more than 100%.")

# "past due, no return": its due date has passed and no return says whether it was done. Missing
# reporting is not failed delivery, so it is a state of its own, never counted as overdue.
NO_RETURN = "past due, no return"
MILESTONE_STATES = ("complete", "missed", "overdue", NO_RETURN, "due soon", "not yet due", "undated",
                    "dropped")
# A strand whose only problems are milestones past due with no return has this RAG-like state.
NOT_REPORTED = "not reported"
RAGS = ("red", "amber", NOT_REPORTED, "green")

# How a strand's RAG is found (printed in the report, so it must say what the code does).
RAG_RULE = (
    "A progress return dated on or before the as-of date gives the strand's RAG. Without one it "
    "is derived from the milestones. Red: a milestone is recorded as missed. Amber: a milestone "
    "is overdue (past its due date and recorded as not done, by its status or by a progress "
    "return made after it fell due), a quantitative milestone is behind its target, or no "
    "milestone has a readable date. Not reported: the only problems are milestones past their "
    "due date with no return saying whether they were done; missing reporting is not read as "
    "failed delivery. Green: every dated milestone is complete or not yet due. A strand with "
    "no milestones has no RAG."
)


def _as_timestamp(as_of: date | None) -> pd.Timestamp:
    return pd.Timestamp(as_of or date.today()).normalize()


def _latest_returns(progress: pd.DataFrame | None, today: pd.Timestamp) -> pd.Series:
    """Each strand's latest progress return date on or before the as-of date."""
    if progress is None or progress.empty:
        return pd.Series(dtype="datetime64[ns]")
    reported = pd.to_datetime(progress["reported_on"])
    return reported[reported <= today].groupby(progress["strand_id"]).max()


def milestone_status(milestones: pd.DataFrame, strands: pd.DataFrame, plans: pd.DataFrame,
                     as_of: date | None = None,
                     progress: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each milestone's state as of a date.

    complete (status complete, completed on or before as_of, or actual >= target); dropped;
    undated (no readable due date); missed (status missed: a return records it missed);
    overdue (due before as_of, not complete, and a return says it is not done: its status is
    not_started or in_progress, a quantitative actual is recorded, or a progress return for its
    strand is dated on or after the due date); past due, no return (due before as_of, not
    complete, and no such return); due soon (due within 90 days of as_of); not yet due.
    days_overdue = as_of - due date for overdue and past-due milestones. A quantitative
    milestone (target) is 'met' when actual >= target, 'behind' when an actual short of target
    is recorded past the due date or on completion, 'no return' when past due with no actual,
    else 'in progress'. `returned_on` is the strand's latest progress return by as_of.
    """
    today = _as_timestamp(as_of)
    m = milestones.copy()
    area = strands[["strand_id", "plan_id", "pathway"]].merge(
        plans[["plan_id", "area_id"]], on="plan_id", how="left")
    m = m.merge(area, on="strand_id", how="left")
    status = m["status"].fillna("")
    completed_on = pd.to_datetime(m["completed_on"])
    complete = (status == "complete") | (completed_on.notna() & (completed_on <= today))
    # Work completed after the as-of date had not happened yet on that date.
    complete &= ~(completed_on.notna() & (completed_on > today))
    # A quantitative milestone whose actual has reached its target is achieved.
    complete |= m["target"].notna() & m["actual"].notna() & (m["actual"] >= m["target"])
    due = pd.to_datetime(m["due_date"])
    days_to_due = (due - today).dt.days
    latest = _latest_returns(progress, today)
    returned_on = (pd.Series(pd.NaT, index=m.index, dtype="datetime64[ns]") if latest.empty
                   else pd.to_datetime(m["strand_id"].map(latest)))
    # A return that speaks for the milestone after it fell due without recording it done.
    reported_not_done = (status.isin(["not_started", "in_progress"]) | m["actual"].notna()
                         | (returned_on.notna() & due.notna() & (returned_on >= due)))
    past_due = days_to_due < 0
    state = np.select(
        [status == "dropped", complete, due.isna(), status == "missed",
         past_due & reported_not_done, past_due, days_to_due <= DUE_SOON_DAYS],
        ["dropped", "complete", "undated", "missed", "overdue", NO_RETURN, "due soon"],
        default="not yet due",
    )
    m["state"] = state
    m["days_overdue"] = (-days_to_due).where(m["state"].isin(["overdue", NO_RETURN])).astype("Int64")
    m["met_on_time"] = complete & (completed_on.isna() | due.isna() | (completed_on <= due))
    m["met_on_time"] = m["met_on_time"] & complete
    target, actual = m["target"], m["actual"]
    quantitative = target.notna()
    m["quantity"] = np.select(
        [~quantitative, actual.notna() & (actual >= target),
         actual.notna() & ((due.notna() & past_due) | complete),
         due.notna() & past_due & ~complete],
        [None, "met", "behind", "no return"],
        default="in progress",
    )
    m.loc[~quantitative, "quantity"] = pd.NA
    m["returned_on"] = returned_on
    m["as_of"] = today
    columns = ["milestone_id", "strand_id", "area_id", "plan_id", "pathway", "description", "due",
               "due_date", "due_precision", "status", "completed_on", "state", "days_overdue",
               "met_on_time", "target", "actual", "quantity", "returned_on", "as_of"]
    return m[columns].reset_index(drop=True)


def _derived_rags(ms: pd.DataFrame) -> pd.Series:
    """RAG_RULE for every strand with milestones at once (strand_id -> red, amber, not reported,
    green or None)."""
    live = ms["state"] != "dropped"
    flags = pd.DataFrame({
        "strand_id": ms["strand_id"],
        "live": live,
        "red": live & (ms["state"] == "missed"),
        "amber": live & ((ms["state"] == "overdue") | (ms["quantity"] == "behind")),
        "dated": live & (ms["state"] != "undated"),
        "no_return": live & (ms["state"] == NO_RETURN),
    }).groupby("strand_id").any()
    rag = np.select([~flags["live"], flags["red"], flags["amber"] | ~flags["dated"],
                     flags["no_return"]],
                    [None, "red", "amber", NOT_REPORTED], default="green")
    return pd.Series(rag, index=flags.index, dtype=object)


def _smart(strand: pd.Series, milestones: int, undated: int, undated_dues: list,
           quantitative: bool) -> tuple[list[str], list[str]]:
    met, missing = [], []

    def check(name: str, ok: bool, reason: str) -> None:
        (met if ok else missing).append(name if ok else f"{name}: {reason}")

    aim = strand.get("aim")
    has_aim = isinstance(aim, str) and aim.strip() != ""
    check("specific", has_aim, "no aim or outcome stated")
    measure = strand.get("measure")
    has_measure = isinstance(measure, str) and measure.strip() != ""
    aim_has_figure = has_aim and any(ch.isdigit() for ch in aim)
    check("measurable", has_measure or aim_has_figure or quantitative,
          "no measure of success, no figure in the aim and no milestone target")
    if not milestones:
        check("time-bound", False, "no milestones")
    else:
        reason = (f"{undated} of {milestones} milestones have no readable date ("
                  + ", ".join(repr(v) if isinstance(v, str) else "blank" for v in undated_dues[:3])
                  + (", ..." if undated > 3 else "") + ")")
        check("time-bound", undated == 0, reason)
    lead = strand.get("lead")
    check("owned", isinstance(lead, str) and lead.strip() != "", "no lead named")
    partners = strand.get("partners")
    check("partnered", isinstance(partners, str) and partners.strip() != "", "no partners named")
    return met, missing


_COUNTS = ("milestones", "complete", "met_on_time", "missed", "overdue", "no_return", "due_soon",
           "undated", "dropped")
STRAND_COLUMNS = ["strand_id", "plan_id", "area_id", "pathway", "pathways", "title", "lead",
                  *_COUNTS, "rag", "rag_source", "smart_score", "smart_met", "smart_missing"]


def strand_summary(strands: pd.DataFrame, plans: pd.DataFrame, milestones_status: pd.DataFrame,
                   progress: pd.DataFrame | None = None, as_of: date | None = None) -> pd.DataFrame:
    """Each strand's milestones, RAG and SMART audit as of a date.

    RAG: the latest progress return on or before as_of, otherwise derived by RAG_RULE (red,
    amber, not reported or green; none without milestones). `overdue` counts milestones missed
    or overdue, `missed` those recorded missed, `no_return` those past due with no return.
    SMART audit (after Doran 1981, as the Plymouth briefing asks measures to be): specific (an
    aim is stated), measurable (a measure, a figure in the aim, or a milestone target),
    time-bound (milestones exist and every one has a readable due date), owned (a lead) and
    partnered (partners named); smart_score counts those met, smart_missing gives each reason.
    """
    today = _as_timestamp(as_of)
    s = strands.merge(plans[["plan_id", "area_id"]], on="plan_id", how="left")
    latest = pd.DataFrame(columns=["strand_id", "rag", "reported_on", "comment"])
    if progress is not None and not progress.empty:
        p = progress[pd.to_datetime(progress["reported_on"]) <= today]
        latest = p.sort_values("reported_on").groupby("strand_id", as_index=False).last()
    latest = latest.set_index("strand_id")
    # Every per-strand figure in one pass over the milestones, not one scan per strand.
    ms = milestones_status
    state = ms["state"]
    counts = pd.DataFrame({
        "strand_id": ms["strand_id"], "milestones": 1, "complete": state == "complete",
        "met_on_time": ms["met_on_time"].astype(bool), "missed": state == "missed",
        # A missed milestone is overdue too (as tables and leads count it); `missed` says which.
        "overdue": state.isin(["missed", "overdue"]), "no_return": state == NO_RETURN,
        "due_soon": state == "due soon", "undated": state == "undated", "dropped": state == "dropped",
        "quantitative": ms["target"].notna(), "no_date": ms["due_date"].isna(),
    }).groupby("strand_id").agg({**{c: "sum" for c in _COUNTS}, "quantitative": "any", "no_date": "sum"})
    # Time-bound asks for a readable date on every milestone, complete or dropped ones included.
    undated_dues = ms.loc[ms["due_date"].isna()].groupby("strand_id")["due"].agg(lambda v: list(v[:3]))
    derived = _derived_rags(ms) if len(ms) else pd.Series(dtype=object)
    records = []
    for _, strand in s.iterrows():
        sid = strand["strand_id"]
        n = {c: int(counts.at[sid, c]) if sid in counts.index else 0 for c in _COUNTS}
        no_date = int(counts.at[sid, "no_date"]) if sid in counts.index else 0
        met, missing = _smart(strand, n["milestones"], no_date, undated_dues.get(sid, []),
                              bool(counts.at[sid, "quantitative"]) if sid in counts.index else False)
        if sid in latest.index:
            rag = latest.at[sid, "rag"]
            reported = pd.Timestamp(latest.at[sid, "reported_on"]).date()
            rag_source = f"progress return {reported}"
        else:
            rag = derived.get(sid)
            rag_source = "derived from milestones" if rag is not None else "no milestones"
        records.append({
            "strand_id": sid,
            "plan_id": strand["plan_id"],
            "area_id": strand["area_id"],
            "pathway": strand["pathway"],
            "pathways": strand.get("pathways", strand["pathway"]),
            "title": strand["title"],
            "lead": strand.get("lead"),
            **n,
            "rag": rag,
            "rag_source": rag_source,
            "smart_score": len(met),
            "smart_met": "; ".join(met),
            "smart_missing": "; ".join(missing),
        })
    return pd.DataFrame(records, columns=STRAND_COLUMNS)


def pathway_coverage(plans: pd.DataFrame, strands: pd.DataFrame,
                     milestones: pd.DataFrame) -> pd.DataFrame:
    """Coverage of the seven pathways and the cross-cutting themes by each plan.

    A strand counts for every pathway it serves (its `pathways`); `main_strands` counts only
    strands whose main pathway it is. A gap is a pathway with no strand at all (the
    completeness test of the 2004 National Reducing Re-offending Action Plan's seven pathways).
    """
    records = []
    served = strands.assign(codes=strands.get("pathways", strands["pathway"]).str.split(";"))
    served = served.explode("codes")
    per_strand = milestones.groupby("strand_id").size()
    for _, plan in plans.iterrows():
        in_plan = served[served["plan_id"] == plan["plan_id"]]
        for p in PATHWAYS:
            mine = in_plan[in_plan["codes"] == p.code]
            records.append({
                "area_id": plan["area_id"],
                "plan_id": plan["plan_id"],
                "pathway": p.code,
                "pathway_name": PATHWAY_NAMES[p.code],
                "kind": p.kind,
                "strands": int(mine["strand_id"].nunique()),
                "main_strands": int((mine["pathway"] == p.code).sum()),
                "milestones": int(per_strand.reindex(mine["strand_id"].unique()).fillna(0).sum()),
                "gap": mine.empty,
            })
    return pd.DataFrame(records, columns=["area_id", "plan_id", "pathway", "pathway_name", "kind",
                                          "strands", "main_strands", "milestones", "gap"])


def plan_gaps(coverage: pd.DataFrame) -> pd.DataFrame:
    """The gaps of each plan: pathways (of the seven) and cross-cutting themes with no strand."""
    gaps = coverage[coverage["gap"].astype(bool)]
    if gaps.empty:  # no plan, or every plan covers all twelve
        return pd.DataFrame(columns=["area_id", "plan_id", "pathway_gaps", "theme_gaps"])
    return (gaps.groupby(["area_id", "plan_id"], sort=False)
            .agg(pathway_gaps=("pathway", lambda s: ";".join(c for c in s if c in SEVEN_PATHWAYS)),
                 theme_gaps=("pathway", lambda s: ";".join(c for c in s if c in CROSS_CUTTING)))
            .reset_index())


def lead_load(strand_summary_frame: pd.DataFrame, aliases: pd.DataFrame | None = None) -> pd.DataFrame:
    """Strands and open milestones per lead organisation within each area's plans, heaviest first.

    Each lead is resolved to organisations (organisations.resolve: normalised spellings, joint
    leads split, aliases), and a strand is counted once for each organisation of its lead, so a
    joint lead counts for each. share = the organisation's strands / the plan's strands (shares
    add up to more than 100 when a plan has joint leads); plan_strands is that denominator. A
    strand with no lead is counted under '(no lead)' so the gap stays visible.
    """
    s = strand_summary_frame.assign(
        lead=resolve(strand_summary_frame["lead"], aliases).map(lambda orgs: orgs or (NO_LEAD,)),
        open_milestones=lambda f: f["milestones"] - f["complete"] - f["dropped"])
    s = s.explode("lead")
    load = (s.groupby(["area_id", "plan_id", "lead"], as_index=False)
            .agg(strands=("strand_id", "nunique"), open_milestones=("open_milestones", "sum"),
                 overdue=("overdue", "sum")))
    totals = strand_summary_frame.groupby("plan_id")["strand_id"].nunique()
    load["plan_strands"] = load["plan_id"].map(totals).astype(int)
    load["share"] = (load["strands"] / load["plan_strands"] * 100).round(1)
    return load.sort_values(["area_id", "plan_id", "strands", "lead"],
                            ascending=[True, True, False, True], ignore_index=True)
