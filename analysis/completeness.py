"""Data completeness per area: what each area has, what is missing, and what that prevents."""

from __future__ import annotations

import pandas as pd

from .frameworks import load_framework
from .labels import cohort_words, inspection_when, measure_label, plural
from .periods import cohort_sort_key
from .summary import area_column

# What the report cannot say without each table (shown beside each gap).
CONSEQUENCES = {
    "plans": "no pathway progress: the report cannot say which pathways the area is working on",
    "milestones": "no milestones: progress, overdue work and time-bound SMART checks are unknown",
    "progress": "no progress returns: strand RAG ratings are derived from milestones only",
    "inspections": "no inspection: scores cannot be compared with the family group",
    "recommendations": "no recommendations: the report cannot say which of the inspection's "
                       "recommendations the action plan answers",
    "reoffending": "no reoffending figures: rates, trends and actual-against-predicted are unknown",
    "indicators": "no indicators: performance against targets cannot be shown",
}


def _quarters_between(first: str, last: str) -> list[str]:
    year, quarter = int(first[:4]), int(first[-1])
    out = []
    while (year, quarter) <= (int(last[:4]), int(last[-1])):
        out.append(f"{year}-Q{quarter}")
        year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    return out


def missing_quarters(reoffending: pd.DataFrame) -> pd.DataFrame:
    """Quarterly cohorts absent between an area's first and last quarter, per measure."""
    q = reoffending[reoffending["cohort"].str.fullmatch(r"\d{4}-Q[1-4]", na=False)]
    records = []
    for (area, measure), group in q.groupby(["area_id", "measure"]):
        cohorts = sorted(group["cohort"], key=cohort_sort_key)
        expected = _quarters_between(cohorts[0], cohorts[-1])
        gaps = [c for c in expected if c not in set(cohorts)]
        records.append({"area_id": area, "measure": measure, "first": cohorts[0],
                        "last": cohorts[-1], "quarters": len(cohorts),
                        "missing": ";".join(gaps)})
    return pd.DataFrame(records, columns=["area_id", "measure", "first", "last", "quarters",
                                          "missing"])


def completeness(dataset, milestones_status: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per area and item: present, partial or missing, with detail and consequence.

    Items: each optional table; reoffending periods covered and missing quarters (a spike
    cannot be told from a gap, as the Plymouth briefing warns); undated milestones; criteria
    of an inspection's framework without a score or rating.
    """
    areas = dataset.table("areas")
    counts = {name: area_column(dataset, name).value_counts()
              for name in CONSEQUENCES if dataset.has(name) or name in dataset.tables}
    quarters = missing_quarters(dataset.table("reoffending"))
    records = []

    def add(area, item, status, detail, consequence=""):
        records.append({"area_id": area, "item": item, "status": status, "detail": detail,
                        "consequence": consequence if status != "present" else ""})

    for area in areas["area_id"]:
        inspected = bool(int(counts.get("inspections", pd.Series(dtype=int)).get(area, 0)))
        for name, consequence in CONSEQUENCES.items():
            if name == "recommendations" and not inspected:
                continue  # an area never inspected has no recommendations to answer
            n = int(counts.get(name, pd.Series(dtype=int)).get(area, 0))
            add(area, name, "present" if n else "missing", f"{n} row" + ("" if n == 1 else "s"),
                consequence)
        reo = dataset.table("reoffending")
        mine = reo[reo["area_id"] == area]
        if not mine.empty:
            cohorts = sorted(mine["cohort"].unique(), key=cohort_sort_key)
            add(area, "reoffending periods", "present",
                f"{cohort_words(cohorts[0])} to {cohort_words(cohorts[-1])} "
                f"({plural(len(cohorts), 'cohort')})")
            counted = mine["offenders"].notna() & mine["reoffenders"].notna()
            if not counted.all():
                add(area, "reoffending counts", "partial",
                    f"{int((~counted).sum())} of {len(mine)} rows have a rate or prediction "
                    "but no counts",
                    "no confidence interval or significance test for those cohorts")
        for rec in quarters[quarters["area_id"] == area].itertuples():
            if rec.missing:
                add(area, f"quarters ({measure_label(rec.measure)})", "partial",
                    f"missing {rec.missing.replace(';', ', ')}",
                    "trend and control limits skip these quarters; a spike cannot be told "
                    "from a gap")
        if milestones_status is not None and not milestones_status.empty:
            ms = milestones_status[milestones_status["area_id"] == area]
            undated = int((ms["state"] == "undated").sum())
            if len(ms):
                add(area, "milestone dates", "partial" if undated else "present",
                    f"{undated} of {len(ms)} milestones have no readable due date",
                    "those milestones cannot be overdue or on time; strands lose time-bound")
        insp = dataset.table("inspections")
        scores = dataset.table("inspection_scores")
        for rec in insp[insp["area_id"] == area].itertuples():
            framework = load_framework(rec.framework)
            codes = set(framework.codes)
            have = set(scores.loc[scores["inspection_id"] == rec.inspection_id, "criterion"])
            absent = sorted(codes - have)
            if framework.scheme == "scored":
                add(area, f"criteria ({inspection_when(rec)})", "partial" if absent else "present",
                    f"missing {', '.join(absent)}" if absent else f"all {len(codes)} criteria",
                    "section scores use only the criteria given")
                continue
            absent = [c for c in absent if framework.applies(c, rec.published)]
            uncounted = [c for c in framework.counted if c not in have]
            add(area, f"standards ({inspection_when(rec)})", "partial" if absent else "present",
                f"missing {', '.join(absent)}" if absent else
                f"all {len(codes)} standards and key questions",
                "no total or band: not every counted standard is rated" if uncounted else
                "the report shows those as not given")
    return pd.DataFrame(records, columns=["area_id", "item", "status", "detail", "consequence"])
