"""The area and overview reports: each section as text, tables and charts, ready for a notebook."""

from __future__ import annotations

import html
import logging
import pickle
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from . import __version__
from .completeness import CONSEQUENCES
from .disclosure import DEFAULT_THRESHOLD, MARKER
from .labels import cell_text, long_date
from .labels import plural as _count
from .loader import DataInvalid, Dataset, load_dataset
from .pathways import PATHWAY_NAMES, SEVEN_PATHWAYS
from .periods import cohort_sort_key
from .pipeline import Results, analyse
from .progress import DUE_SOON_DAYS, RAG_RULE

log = logging.getLogger(__name__)

# What analysis.build writes once per build and the notebooks read (pickled dict: format, data_dir,
# dataset, results). Bump when the content changes so an old snapshot is refused, not misread.
SNAPSHOT_FORMAT = "reoffending-workbook-snapshot/2"  # 2: recommendations in Results

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>$])")


def text(value: object) -> str:
    """Data as literal text inside Markdown: HTML-escaped and Markdown punctuation escaped."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(str(value), quote=False))


@dataclass
class Markdown:
    """A block of report text (already escaped where it holds data)."""

    body: str


@dataclass
class Block:
    """One piece of a report section: text, a table (great-tables) or a chart."""

    kind: str  # "markdown", "table" or "chart"
    content: object


def load(data_dir: str | Path, *, as_of: str | date | None = None, threshold: int = DEFAULT_THRESHOLD,
         snapshot: str | Path = "") -> tuple[Dataset, Results]:
    """Load, validate and analyse a data folder for a report; DataInvalid on any problem.

    With ``snapshot`` (the file `workbook build` writes once per build, see analysis.build) the
    validated tables and results are read from it instead, so a notebook run by the build neither
    re-validates nor re-analyses the whole dataset. The snapshot must be for the same data folder,
    as-of date and threshold (ValueError otherwise), so parameters and figures cannot disagree.
    """
    when = date.fromisoformat(as_of) if isinstance(as_of, str) else as_of
    if snapshot:
        return _from_snapshot(Path(snapshot), data_dir, when, threshold)
    dataset = load_dataset(Path(data_dir))
    if dataset.errors:
        raise DataInvalid(dataset.errors)
    return dataset, analyse(dataset, as_of=when, threshold=threshold)


def _from_snapshot(path: Path, data_dir: str | Path, as_of: date | None,
                   threshold: int) -> tuple[Dataset, Results]:
    """The dataset and results from a build's snapshot, checked against the notebook's parameters.

    The snapshot is a pickle, which runs code when read: only ever pass the path a build wrote
    itself (in its private working folder in the temp dir, see analysis.workspace), never a file
    from elsewhere.
    """
    with open(path, "rb") as file:
        content = pickle.load(file)  # trusted: written by this package's build, see above
    if not isinstance(content, dict) or content.get("format") != SNAPSHOT_FORMAT:
        raise ValueError(f"{path} is not a snapshot in format {SNAPSHOT_FORMAT}")
    results: Results = content["results"]
    wanted = {"data_dir": str(Path(data_dir).resolve()), "as_of": as_of or results.as_of,
              "threshold": int(threshold)}
    held = {"data_dir": content["data_dir"], "as_of": results.as_of, "threshold": results.threshold}
    differ = [f"{k} {held[k]} (snapshot) vs {wanted[k]}" for k in wanted if held[k] != wanted[k]]
    if differ:
        raise ValueError(f"snapshot {path} does not match the parameters: {'; '.join(differ)}")
    return content["dataset"], results


def parameters_note(**params: object) -> Markdown:
    """The parameters and package version that made the report (deterministic: no clock), and
    the accessible spreadsheet `workbook build` publishes beside it."""
    from .spreadsheets import OVERVIEW_FILE, area_workbook_name

    shown = ", ".join(f"{k} = {text(Path(v).name if k == 'data_dir' and v else v)}"
                      for k, v in params.items() if k != "snapshot")
    # area_id is a validated slug, so the file name is safe in a link.
    workbook = area_workbook_name(str(params["area_id"])) if params.get("area_id") else OVERVIEW_FILE
    return Markdown(f"Every table behind this report's charts is published beside it as an accessible "
                    f"spreadsheet: [{workbook}]({workbook}).\n\n"
                    f"Made by reoffending-workbook {__version__} with {shown}.")


def _pct(value: float) -> str:
    return "no figure" if pd.isna(value) else f"{value:.1f}%"


def _reoffending(rates: pd.DataFrame, ni18: pd.DataFrame,
                 ni30: pd.DataFrame) -> list[tuple[str, str, str]]:
    """What an area's reoffending figures say: (label, sentence, brief) for the latest cohort rate
    (else the NI 18 target) and for the NI 30 target. The sentence is Markdown, the brief plain
    text for a table cell. Only published figures are quoted: small cohorts are already withheld
    from the rates and targets tables."""
    facts = []
    with_rate = rates[rates["rate"].notna()]
    ni18 = ni18.dropna(subset=["offenders", "target_reoffenders"])
    if not with_rate.empty:
        cohorts = with_rate["cohort"].tolist()
        latest = with_rate.iloc[max(range(len(cohorts)), key=lambda i: cohort_sort_key(cohorts[i]))]
        predicted = latest["predicted_rate"]
        versus = f" against {predicted:.1f}% predicted" if pd.notna(predicted) else ""
        facts.append(("Reoffending", f"{latest['rate']:.1f}% ({text(latest['measure'])}, cohort "
                      f"{text(latest['cohort'])}){versus}",
                      f"{latest['rate']:.1f}%{versus} ({cell_text(latest['cohort'])})"))
    elif not ni18.empty:
        row = ni18.iloc[0]
        facts.append(("NI 18 target", f"at most {row['target_reoffenders']} re-offenders "
                      f"({row['target_rate']:.2f}%) from a cohort of {int(row['offenders']):,} "
                      f"predicted at {row['predicted_rate']:.2f}%",
                      f"NI 18 target {row['target_rate']:.1f}% (predicted {row['predicted_rate']:.1f}%)"))
    for row in ni30[ni30["target_reoffences"].notna()].itertuples():
        latest = (f"; latest {row.latest_reoffences:,.0f} ({text(row.latest_cohort)}): {row.status}"
                  if pd.notna(row.latest_reoffences) else "")
        ceiling = (f", ceiling {row.ceiling_reoffences:,.0f}" if pd.notna(row.ceiling_reoffences) else "")
        facts.append(("NI 30 target", f"at most {row.target_reoffences:,.0f} re-offences by the "
                      f"prolific and other priority offender cohort{ceiling}, from a baseline of "
                      f"{row.baseline_reoffences:,.0f} ({text(row.baseline_cohort)}){latest}",
                      f"NI 30 target {row.target_reoffences:,.0f} re-offences (baseline "
                      f"{row.baseline_reoffences:,.0f})"))
    return facts


def headline(recommendation_status_frame: pd.DataFrame) -> str:
    """The sentence a board member can repeat: how many recommendations the plan answers, how many
    of those are on track, and how many are unanswered or late (plain text, not yet escaped)."""
    s = recommendation_status_frame
    if s.empty:
        return "No inspection recommendations are recorded."
    n = len(s)
    counts = s["state"].value_counts()
    answered = int(counts.get("answered and on track", 0) + counts.get("answered but behind", 0))
    closed = int(counts.get("implemented", 0) + counts.get("superseded", 0))
    unanswered = int(counts.get("not answered", 0))
    inspections = s["inspection_id"].nunique()
    parts = [f"Of {_count(n, 'recommendation')} from {_count(inspections, 'inspection')}, "
             f"{answered} {'has' if answered == 1 else 'have'} a strand of the action plan behind "
             f"{'it' if answered == 1 else 'them'}"]
    if answered:
        parts[-1] += (f" ({int(counts.get('answered and on track', 0))} on track, "
                      f"{int(counts.get('answered but behind', 0))} behind)")
    if closed:
        parts.append(f"{closed} {'is' if closed == 1 else 'are'} implemented or superseded")
    parts.append(f"{unanswered} {'has' if unanswered == 1 else 'have'} no strand at all"
                 if unanswered else "none is left without a strand")
    sentence = ", ".join(parts[:-1]) + " and " + parts[-1] + "." if len(parts) > 1 else parts[0] + "."
    late = s[s["late"]]
    if not late.empty:
        sentence += (f" {_count(len(late), 'recommendation')} {'is' if len(late) == 1 else 'are'} "
                     f"past {'its' if len(late) == 1 else 'their'} implementation date"
                     f" (the earliest was due {long_date(late['due'].min())}).")
    elif unanswered and s["response_overdue"].any():
        first = s.loc[s["response_overdue"], "response_due"].min()
        sentence += f" The response to the unanswered ones was due by {long_date(first)}."
    return sentence



def _ni18_chart(ni18: pd.DataFrame) -> Block:
    """The NI 18 chart, or why there is none when every target is withheld."""
    from . import charts

    chart = charts.ni18_chart(ni18)
    if chart is None and ni18["suppressed"].str.contains("target_rate").any():
        return Block("markdown", Markdown(
            f"No NI 18 target can be drawn: each one here is withheld ({text(MARKER)}) to protect "
            "confidentiality."))
    return Block("chart", chart)


@dataclass
class AreaReport:
    """One area's report: the derived tables cut to the area, and the sections built from them."""

    dataset: Dataset
    results: Results
    area_id: str

    @classmethod
    def build(cls, data_dir: str | Path, area_id: str, as_of: str | date | None = None,
              threshold: int = DEFAULT_THRESHOLD, snapshot: str | Path = "") -> AreaReport:
        """Load the data (from a build's snapshot when given) and cut the report to one area."""
        dataset, results = load(data_dir, as_of=as_of, threshold=threshold, snapshot=snapshot)
        if area_id not in set(dataset.table("areas")["area_id"]):
            raise ValueError(f"area_id {area_id!r} is not in areas.csv")
        return cls(dataset, results, area_id)

    @property
    def area(self) -> pd.Series:
        areas = self.dataset.table("areas")
        return areas[areas["area_id"] == self.area_id].iloc[0]

    @property
    def t(self) -> dict[str, pd.DataFrame]:
        return self.results.for_area(self.area_id)

    def missing(self, table: str) -> Markdown:
        """The sentence a section shows when its data is missing: what, and what it prevents."""
        return Markdown(f"**No {table} data for {text(self.area['name'])}.** "
                        f"{CONSEQUENCES[table].capitalize()}.")

    # -- Summary ---------------------------------------------------------------------------
    def summary(self) -> list[Block]:
        """The few figures a board member needs first."""
        t, area = self.t, self.area
        lines = [f"**{text(area['name'])}** ({text(str(area['area_type']).replace('_', ' '))})"
                 f", as of {long_date(self.results.as_of)}."]
        strands, ms = t["strands_summary"], t["milestones_status"]
        if not strands.empty:
            rag = strands["rag"].value_counts()
            no_rag = int(strands["rag"].isna().sum())
            rags = (f"RAG {rag.get('green', 0)} green, {rag.get('amber', 0)} amber, "
                    f"{rag.get('red', 0)} red" + (f", {no_rag} without a RAG" if no_rag else ""))
            milestones = (f"{_count(int((ms['state'] == 'overdue').sum()), 'milestone')} overdue of "
                          f"{len(ms)}, {int((ms['state'] == 'complete').sum())} complete"
                          if len(ms) else "no milestones set")
            lines.append(f"- **Action plan:** {_count(len(strands), 'strand')}; {rags}; {milestones}.")
            gaps = t["plan_gaps"]
            missing = [PATHWAY_NAMES[c] for g in gaps["pathway_gaps"] for c in g.split(";") if c]
            lines.append("- **Pathways without a strand:** "
                         + (text(", ".join(missing)) if missing else "none of the seven") + ".")
            lines.append(f"- **SMART:** strands meet {strands['smart_score'].mean():.1f} of 5 "
                         "criteria on average.")
        else:
            lines.append("- **Action plan:** none given.")
        sections = t["inspection_sections"]
        overall = sections[sections["section"] == "overall"]
        if not overall.empty:
            row = overall.iloc[-1]
            lines.append(f"- **Inspection:** overall score {row['score']:.0f}% "
                         f"({text(row['inspection_id'])}).")
        else:
            lines.append("- **Inspection:** no scored inspection.")
        recs = t["recommendations_status"]
        if not recs.empty:
            unanswered = int((recs["state"] == "not answered").sum())
            lines.append(f"- **Recommendations:** {unanswered} of {len(recs)} without a strand of "
                         f"the action plan; {int(recs['late'].sum())} past their due date.")
        facts = _reoffending(t["reoffending_rates"], t["ni18_targets"], t["ni30_progress"])
        lines += [f"- **{label}:** {sentence}." for label, sentence, _ in facts]
        if not facts:
            lines.append("- **Reoffending:** no figures.")
        ind = t["indicators_status"]
        if not ind.empty:
            met = int((ind["status"] == "met").sum())
            targeted = int((ind["status"] != "no target").sum())
            lines.append(f"- **Indicators:** {met} of {targeted} targets met." if targeted else
                         f"- **Indicators:** {_count(len(ind), 'value')}, none with a target.")
        gaps = t["completeness"]
        n_gaps = int((gaps["status"] != "present").sum())
        lines.append(f"- **Data gaps:** {n_gaps} (see Data completeness).")
        return [Block("markdown", Markdown("\n".join(lines)))]

    # -- Pathway progress --------------------------------------------------------------------
    def progress(self) -> list[Block]:
        from . import charts, tables

        t = self.t
        if t["strands_summary"].empty:
            return [Block("markdown", self.missing("plans"))]
        ms = t["milestones_status"]
        blocks = [Block("markdown", Markdown(
            f"Milestones are *overdue* when their due date has passed without completion, and "
            f"*due soon* within {DUE_SOON_DAYS} days of the as-of date. {RAG_RULE}"))]
        if ms.empty:
            blocks.append(Block("markdown", self.missing("milestones")))
        else:
            blocks.append(Block("chart", charts.milestone_timeline(ms, self.results.as_of,
                                                                  plans=self.dataset.table("plans"))))
        blocks.append(Block("table", tables.strands_table(t["strands_summary"])))
        blocks.append(Block("table", tables.smart_audit_table(t["strands_summary"])))
        gaps = t["plan_gaps"]
        for rec in gaps.itertuples():
            seven = [PATHWAY_NAMES[c] for c in rec.pathway_gaps.split(";") if c]
            themes = [PATHWAY_NAMES[c] for c in rec.theme_gaps.split(";") if c]
            covered = len(SEVEN_PATHWAYS) - len(seven)
            sentence = f"**Coverage of {text(rec.plan_id)}:** {covered} of the seven pathways have a strand"
            if seven:
                sentence += f"; no strand for {text(', '.join(seven))}"
            sentence += (f". Cross-cutting themes without a strand: {text(', '.join(themes))}."
                         if themes else ".")
            blocks.append(Block("markdown", Markdown(sentence)))
        blocks.append(Block("chart", charts.lead_load_chart(t["lead_load"])))
        blocks.append(Block("table", tables.lead_load_table(t["lead_load"])))
        return blocks

    # -- Inspection --------------------------------------------------------------------------
    def inspection(self) -> list[Block]:
        from . import charts, tables

        t = self.t
        if t["inspection_sections"].empty and t["inspection_criteria"].empty:
            return [Block("markdown", self.missing("inspections"))]
        inspections = self.dataset.table("inspections")
        blocks = [Block("markdown", Markdown(
            "Section scores are recomputed from the criterion scores with the framework's "
            "weights (a critical criterion weighs twice an important one; overall = 30% "
            "assessment, 40% interventions, 30% initial outcomes) and set beside the family "
            "group's and all areas' means where the data hold enough areas; the check against the "
            "printed sheet is in the appendix."))]
        blocks.append(Block("table", tables.sections_table(t["inspection_sections"])))
        # The latest full inspection (the one compared with other areas), else the first.
        family = t["inspection_family"]
        latest = str(family["inspection_id"].iloc[0]) if not family.empty else None
        blocks.append(Block("chart", charts.section_comparison_chart(
            t["inspection_sections"], family, inspection_id=latest, inspections=inspections)))
        # Other areas' criteria give each criterion a comparison mean where any exist.
        blocks.append(Block("chart", charts.criterion_scores_chart(
            t["inspection_criteria"], self.results.inspection_criteria, inspection_id=latest,
            inspections=inspections)))
        blocks.append(Block("table", tables.criteria_table(t["inspection_criteria"])))
        if not t["inspection_change"].empty:
            blocks.append(Block("table", tables.change_table(t["inspection_change"])))
        return blocks

    def inspection_check(self) -> list[Block]:
        """The analyst's appendix: each inspection's recalculated section scores beside the
        printed ones (a check of the data and the method, not a board's reading)."""
        from . import charts

        sections = self.t["inspection_sections"]
        if sections.empty:
            return [Block("markdown", Markdown("No scored inspection to check."))]
        return [Block("chart", charts.section_scores_chart(sections, inspection_id=str(i)))
                for i in pd.unique(sections["inspection_id"])]

    # -- Recommendations ---------------------------------------------------------------------
    def recommendations(self) -> list[Block]:
        """Which inspection recommendations the action plan answers, and whether on time."""
        from . import tables

        t = self.t
        recs = t["recommendations_status"]
        inspections = self.dataset.table("inspections")
        if inspections[inspections["area_id"] == self.area_id].empty:
            return [Block("markdown", Markdown(
                f"**No inspection of {text(self.area['name'])} is recorded**, so there are no "
                "recommendations to track against the action plan."))]
        if recs.empty:
            return [Block("markdown", self.missing("recommendations"))]
        blocks = [Block("markdown", Markdown(f"**{text(headline(recs))}**"))]
        # Every area's strands: a region's plan may answer the area's recommendations.
        blocks.append(Block("table", tables.recommendations_table(
            recs, self.results.strands_summary, inspections)))
        return blocks

    # -- Reoffending -------------------------------------------------------------------------
    def reoffending(self) -> list[Block]:
        from . import charts, tables

        t = self.t
        rates = t["reoffending_rates"]
        if rates.empty:
            return [Block("markdown", self.missing("reoffending"))]
        blocks = [Block("markdown", Markdown(
            "Rates are proven reoffending rates with 95% Wilson intervals. Actual against "
            "predicted uses a one-sample z-test; a rate printed without counts cannot be "
            f"tested. Cells marked {text(MARKER)} are withheld because they rest on fewer than "
            f"{self.results.threshold} people, or would let such a count be worked out from the "
            "figures beside them."))]
        threshold = self.results.threshold
        blocks.append(Block("table", tables.rates_table(rates, threshold=threshold)))
        for _measure, group in rates.groupby("measure"):
            if group["rate"].notna().sum() >= 2:
                blocks.append(Block("chart", charts.rate_trend(group, threshold=threshold)))
                blocks.append(Block("chart", charts.difference_chart(group, threshold=threshold)))
        spc = t["spc"]
        for _measure, group in spc.groupby("measure"):
            blocks.append(Block("chart", charts.xmr_chart(group)))
        funnel = self.results.funnel
        mine = funnel[funnel["area_id"] == self.area_id]
        if not mine.empty:
            latest = max(mine["cohort"], key=cohort_sort_key)
            measure, kind = mine["measure"].iloc[0], mine["area_type"].iloc[0]
            rows = funnel[(funnel["cohort"] == latest) & (funnel["measure"] == measure)
                          & (funnel["area_type"] == kind)]
            blocks.append(Block("chart", charts.funnel_plot(rows, self.area_id)))
        if not t["ni18_targets"].empty:
            blocks.append(_ni18_chart(t["ni18_targets"]))
            blocks.append(Block("table", tables.ni18_table(t["ni18_targets"], threshold=threshold)))
        if not t["ni30_progress"].empty:
            blocks.append(Block("chart", charts.ni30_chart(t["ni30_progress"])))
            blocks.append(Block("table", tables.ni30_table(t["ni30_progress"], threshold=threshold)))
        return blocks

    # -- Indicators and completeness ---------------------------------------------------------
    def indicators(self) -> list[Block]:
        from . import charts, tables

        ind = self.t["indicators_status"]
        if ind.empty:
            return [Block("markdown", self.missing("indicators"))]
        chart = charts.indicator_chart(ind)  # None when no indicator has a target: said in words
        first = (Block("chart", chart) if chart is not None
                 else Block("markdown", Markdown(text(charts.indicator_sentence(ind)
                                                      or "No indicator has a value to show."))))
        return [first, Block("table", tables.indicators_table(ind))]

    def completeness(self) -> list[Block]:
        from . import tables

        return [Block("table", tables.completeness_table(self.t["completeness"]))]


@dataclass
class OverviewReport:
    """All areas (or one region's) side by side."""

    dataset: Dataset
    results: Results
    region: str | None = None

    @classmethod
    def build(cls, data_dir: str | Path, as_of: str | date | None = None, region: str | None = None,
              threshold: int = DEFAULT_THRESHOLD, snapshot: str | Path = "") -> OverviewReport:
        """Load the data (from a build's snapshot when given) for every area or one region's."""
        dataset, results = load(data_dir, as_of=as_of, threshold=threshold, snapshot=snapshot)
        return cls(dataset, results, region or None)

    @property
    def area_ids(self) -> list[str]:
        areas = self.dataset.table("areas")
        if not self.region:
            return list(areas["area_id"])
        return list(areas.loc[(areas["parent_id"] == self.region) | (areas["area_id"] == self.region),
                              "area_id"])

    def _cut(self, frame: pd.DataFrame) -> pd.DataFrame:
        return frame[frame["area_id"].isin(self.area_ids)] if "area_id" in frame else frame

    def summary(self) -> list[Block]:
        from . import tables

        areas = self.dataset.table("areas")
        areas = areas[areas["area_id"].isin(self.area_ids)]
        r = self.results
        lines = [f"{_count(len(areas), 'area')} as of {long_date(r.as_of)}"
                 + (f", region {text(self.region)}" if self.region else "") + ":",
                 f"- {_count(self._cut(r.strands_summary)['plan_id'].nunique(), 'plan')} with "
                 f"{_count(len(self._cut(r.strands_summary)), 'strand')};",
                 f"- {_count(self._cut(r.inspection_sections)['inspection_id'].nunique(), 'inspection')};",
                 f"- {_count(len(self._cut(r.reoffending_rates)), 'reoffending cohort row')};",
                 f"- {_count(len(self._cut(r.indicators_status)), 'indicator value')}."]
        return [Block("markdown", Markdown("\n".join(lines))),
                Block("table", tables.glance_table(self.glance()))]

    def glance(self) -> pd.DataFrame:
        """One row per area: its plan's state, latest inspection score, recommendations and
        what its reoffending figures say (the summary's sentence, briefly)."""
        r = self.results
        areas = self.dataset.table("areas")
        frame = areas.loc[areas["area_id"].isin(self.area_ids), ["area_id", "name"]]
        strands = r.strands_summary
        plan = (strands.assign(behind=strands["rag"].isin(["red", "amber"]))
                .groupby("area_id").agg(strands=("strand_id", "count"), behind=("behind", "sum"))
                if not strands.empty else pd.DataFrame(columns=["strands", "behind"]))
        ms = r.milestones_status
        overdue = ms[ms["state"] == "overdue"].groupby("area_id").size()
        overall = r.inspection_sections[r.inspection_sections["section"] == "overall"].merge(
            self.dataset.table("inspections")[["inspection_id", "published"]]
            .rename(columns={"published": "published_on"}), on="inspection_id")
        latest = overall.sort_values("published_on").groupby("area_id")["score"].last()
        reoffending = (r.reoffending_rates, r.ni18_targets, r.ni30_progress)
        recs = r.recommendations_status
        rec_counts = (recs.assign(unanswered=recs["state"] == "not answered")
                      .groupby("area_id").agg(recommendations=("recommendation_id", "count"),
                                              unanswered=("unanswered", "sum"), late=("late", "sum"))
                      if not recs.empty else pd.DataFrame(columns=["recommendations", "unanswered",
                                                                   "late"]))
        out = frame.assign(
            strands=frame["area_id"].map(plan["strands"]),
            behind=frame["area_id"].map(plan["behind"]),
            overdue_milestones=frame["area_id"].map(overdue),
            overall_score=frame["area_id"].map(latest),
            recommendations=frame["area_id"].map(rec_counts["recommendations"]),
            unanswered=frame["area_id"].map(rec_counts["unanswered"]),
            late=frame["area_id"].map(rec_counts["late"]),
        )
        # Each table split by area once, not filtered once per area (2 s at 500 areas).
        by_area = [(dict(tuple(table.groupby("area_id", sort=False))), table.iloc[0:0])
                   for table in reoffending]
        out["reoffending"] = [
            "; ".join(brief for *_, brief in _reoffending(*(groups.get(area_id, none)
                                                            for groups, none in by_area)))
            or None for area_id in out["area_id"]]
        has_plan = out["strands"].notna()
        out.loc[has_plan, "overdue_milestones"] = out.loc[has_plan, "overdue_milestones"].fillna(0)
        return out.reset_index(drop=True)

    def coverage(self) -> list[Block]:
        from . import charts

        cov = self._cut(self.results.pathway_coverage)
        if cov.empty:
            return [Block("markdown", Markdown("**No action plans** in these areas: coverage of "
                                               "the pathways cannot be compared."))]
        return [Block("chart", charts.coverage_heatmap(cov))]

    def inspections(self) -> list[Block]:
        from . import charts, tables

        family = self._cut(self.results.inspection_family)
        if family.empty:
            blocks = [Block("markdown", Markdown("**No scored inspections**: areas cannot be "
                                                 "compared with their family groups."))]
        else:
            chart = charts.family_chart(family)  # None for one area: nothing to compare or rank
            blocks = [Block("table", tables.family_table(family)),
                      Block("chart", chart) if chart is not None
                      else Block("markdown", Markdown(text(charts.family_sentence(family))))]
        responses = self._cut(self.results.inspection_responses)
        if not responses.empty:
            blocks.append(Block("table", tables.inspection_responses_table(responses)))
        return blocks

    def funnels(self) -> list[Block]:
        from . import charts

        funnel = self._cut(self.results.funnel)
        if funnel.empty:
            return [Block("markdown", Markdown(
                "**No funnel plot:** it needs counted cohorts (offenders and reoffenders) for at "
                "least three areas in the same measure and cohort."))]
        blocks = []
        for (measure, cohort, kind), rows in funnel.groupby(["measure", "cohort", "area_type"]):
            peers = funnel[(funnel["measure"] == measure) & (funnel["area_type"] == kind)]
            if cohort == max(peers["cohort"], key=cohort_sort_key):
                blocks.append(Block("chart", charts.funnel_plot(rows, None)))  # no area singled out
        return blocks

    def targets(self) -> list[Block]:
        from . import charts, tables

        blocks = []
        threshold = self.results.threshold
        ni18 = self._cut(self.results.ni18_targets)
        if not ni18.empty:
            blocks += [_ni18_chart(ni18), Block("table", tables.ni18_table(ni18, threshold=threshold))]
        ni30 = self._cut(self.results.ni30_progress)
        if not ni30.empty:
            blocks += [Block("chart", charts.ni30_chart(ni30)),
                       Block("table", tables.ni30_table(ni30, threshold=threshold))]
        ind = self._cut(self.results.indicators_status)
        if not ind.empty:
            blocks.append(Block("table", tables.indicator_summary_table(ind)))
        return blocks or [Block("markdown", Markdown("**No targets or indicators** in these areas."))]


def show(blocks: list[Block | Markdown]) -> None:
    """Display a section's blocks in a notebook: text, then tables and charts with alt text."""
    from IPython.display import Markdown as IPyMarkdown
    from IPython.display import display

    from .charts import show as show_chart
    from .tables import show_table

    for block in blocks:
        if isinstance(block, Markdown):
            block = Block("markdown", block)
        if block.content is None:
            display(IPyMarkdown("*No data for this chart or table.*"))
        elif block.kind == "markdown":
            display(IPyMarkdown(block.content.body))
        elif block.kind == "chart":
            show_chart(block.content)
        else:
            show_table(block.content)
