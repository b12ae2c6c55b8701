"""The area report: each section as text, tables and charts, ready for a notebook.

The overview of many areas is analysis.overview; both build on analysis.blocks (text, blocks,
the section record, display) and analysis.snapshot (loading a folder or a build's snapshot).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from . import asof
from .agreed import AGREED
from .blocks import (
    Block,
    Markdown,
    ages_blocks,
    area_names,
    glossary_blocks,
    methods_note,
    parameters_note,
    section,
    show,
    text,
    texts,
)
from .comparisons import benchmark_clause, benchmark_tables, group_tables
from .completeness import CONSEQUENCES
from .contract import today
from .disclosure import DEFAULT_THRESHOLD, MARKER
from .glossary import terms_for
from .headlines import indicator_headline, inspection_headline, plan_headline
from .labels import cell_text, cohort_printed, join, long_date, measure_label
from .labels import plural as _count
from .loader import Dataset
from .pathways import PATHWAY_NAMES, SEVEN_PATHWAYS
from .periods import cohort_sort_key
from .pipeline import Results
from .progress import DUE_SOON_DAYS, NO_RETURN, NOT_REPORTED, RAG_RULE
from .significance import interval_words, test_words
from .snapshot import SNAPSHOT_FORMAT, load, load_own_dates
from .sources import plan_source

# Notebooks and tests import these from here: the report's public API.
__all__ = ["SNAPSHOT_FORMAT", "AreaReport", "Block", "Markdown", "areas_below", "glance",
           "headline", "load", "ni18_block",
           "parameters_note", "reoffending_facts", "show", "text"]

log = logging.getLogger(__name__)


def _sentence_case(words: str) -> str:
    """The first letter upper case, the rest as written (str.capitalize lowers 'SMART')."""
    return words[:1].upper() + words[1:]


def _pct(value: float) -> str:
    return "no figure" if pd.isna(value) else f"{value:.1f}%"


def reoffending_facts(rates: pd.DataFrame, ni18: pd.DataFrame, ni30: pd.DataFrame,
                      names: Mapping[str, str] | None = None,
                      ni18_progress: pd.DataFrame | None = None,
                      benchmark: pd.DataFrame | None = None) -> list[tuple[str, str, str]]:
    """What an area's reoffending figures say: (label, sentence, brief) for the latest cohort rate
    (else the NI 18 target) and for the NI 30 target. The sentence is Markdown, the brief plain
    text for a table cell. A rate's verdict against its prediction is said in words
    (analysis.verdicts; the source's own words marked as the source's) and the rate of the area
    above it (``names`` names that area) follows; with ``ni18_progress``, the latest cohort's
    verdict against the line to the agreed NI 18 target (analysis.trajectory); with ``benchmark``
    (Results.benchmark), the latest rate against the benchmark area's, as Fingertips compares
    them. Only published figures are quoted: small cohorts are already withheld from the rates
    and targets tables."""
    facts = []
    with_rate = rates[rates["rate"].notna()]
    ni18 = ni18.dropna(subset=["offenders", "target_reoffenders"])
    if not with_rate.empty:
        cohorts = with_rate["cohort"].tolist()
        latest = with_rate.iloc[max(range(len(cohorts)), key=lambda i: cohort_sort_key(cohorts[i]))]
        predicted = latest["predicted_rate"]
        versus = f" against {predicted:.1f}% predicted" if pd.notna(predicted) else ""
        measure = text(measure_label(latest["measure"]))
        verdict = cell_text(latest.get("verdict"))
        printed = cell_text(latest.get("verdict_source")) == "as printed"
        whose = ", as the source printed it" if printed else ""
        said = f": {verdict}{whose}" if verdict else ""
        beside = ""
        if pd.notna(latest.get("comparator_rate")):
            above = cell_text(latest["comparator_area_id"])
            beside = (f"; {(names or {}).get(above, above)} {latest['comparator_rate']:.1f}%"
                      + (f" against {latest['comparator_predicted_rate']:.1f}% predicted"
                         if pd.notna(latest.get("comparator_predicted_rate")) else ""))
        compared = benchmark_clause(benchmark, latest, names or {})
        if compared and pd.notna(latest.get("comparator_rate")) \
                and cell_text(latest["comparator_area_id"]) == compared[0]:
            beside = ""  # the benchmark clause names that area's rate itself
        clause = f"; {compared[1]}" if compared else ""
        cohort = cohort_printed(latest, "cohort")
        # The table cell keeps the 95% reading only: "28.0% (2022/23); worse than England and Wales".
        short = f"; {compared[2]}" if compared else ""
        facts.append(("Reoffending", f"{latest['rate']:.1f}% ({measure}, cohort "
                      f"{text(cohort)}){versus}{text(said)}{text(beside)}{text(clause)}",
                      f"{latest['rate']:.1f}%{versus}{said} ({cohort}){short}"))
    elif not ni18.empty:
        row = ni18.iloc[0]
        agreed = row.get("target_source") == AGREED
        whose = "" if agreed else " by the workbook's calculation (no agreed target is given)"
        # "11.06% below the predicted 7.57%": a signed "-11.06% on" read as points to some.
        change = (f"{abs(row['change_pct']):.2f}% {'below' if row['change_pct'] < 0 else 'above'}"
                  if pd.notna(row["change_pct"]) else "against")
        facts.append(("NI 18 agreed target" if agreed else "NI 18 target",
                      f"at most {row['target_reoffenders']:,} re-offenders "
                      f"({row['target_rate']:.2f}%, {change} the predicted "
                      f"{row['predicted_rate']:.2f}%){whose}, from a cohort of "
                      f"{int(row['offenders']):,} offenders \u2014 {text(cohort_printed(row, 'cohort'))}",
                      f"{'Agreed ' if agreed else ''}NI 18 target {row['target_rate']:.2f}% "
                      f"(predicted {row['predicted_rate']:.2f}%)"))
    facts += _ni18_progress_facts(ni18_progress)
    for row in ni30[ni30["target_reoffences"].notna()].itertuples():
        line = (f" (the line to the target by {text(row.target_by)} is at "
                f"{row.trajectory_reoffences:,.1f})"
                if pd.notna(getattr(row, "trajectory_reoffences", None)) else "")
        latest = (f"; latest {row.latest_reoffences:,.0f} ({text(row.latest_cohort)}): "
                  f"{text(row.status)}{line}" if pd.notna(row.latest_reoffences) else "")
        # The plan's own terms: an improvement target end point and a performance ceiling.
        ceiling = (f" (performance ceiling {row.ceiling_reoffences:,.0f})"
                   if pd.notna(row.ceiling_reoffences) else "")
        facts.append(("NI 30 target", f"improvement target end point {row.target_reoffences:,.0f} "
                      f"proven re-offences by the prolific and other priority offender "
                      f"cohort{ceiling}, from a baseline of {row.baseline_reoffences:,.0f} "
                      f"({text(cohort_printed(row._asdict(), 'baseline_cohort'))}){latest}",
                      f"NI 30 target {row.target_reoffences:,.0f} re-offences (baseline "
                      f"{row.baseline_reoffences:,.0f})"))
    return facts


def _ni18_progress_facts(progress: pd.DataFrame | None) -> list[tuple[str, str, str]]:
    """Each area's latest cohort against the line to its agreed NI 18 target, in words."""
    if progress is None or progress.empty:
        return []
    facts = []
    for _, rows in progress.groupby(["area_id", "measure"], sort=False):
        row = max((r for _, r in rows.iterrows()), key=lambda r: cohort_sort_key(r["cohort"]))
        if pd.isna(row["status"]):
            continue  # withheld with the cohort's counts
        change = f"{row['actual_change_pct']:+.2f}".replace("-", "\u2212")
        agreed = f"{row['target_change_pct']:+.2f}".replace("-", "\u2212")
        line = (f", against {row['trajectory_change_pct']:+.2f}% on the line to it".replace("-", "\u2212")
                if pd.notna(row["trajectory_change_pct"]) else "")
        by = f" by {text(row['target_by'])}" if pd.notna(row["target_by"]) else ""
        facts.append(("NI 18 progress",
                      f"{text(row['status'])}: {change}% on the predicted rate in "
                      f"{text(row['cohort'])}{line}, for an agreed {agreed}%{by}",
                      f"NI 18 {row['status']} ({row['cohort']})"))
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
    sentence = join(parts) + "."
    late = s[s["late"]]
    if not late.empty:
        sentence += (f" {_count(len(late), 'recommendation')} {'is' if len(late) == 1 else 'are'} "
                     f"past {'its' if len(late) == 1 else 'their'} implementation date"
                     f" (the earliest was due {long_date(late['due'].min())}).")
    elif unanswered and s["response_overdue"].any():
        first = s.loc[s["response_overdue"], "response_due"].min()
        sentence += f" The response to the unanswered ones was due by {long_date(first)}."
    return sentence



def ni18_block(ni18: pd.DataFrame) -> Block:
    """The NI 18 chart, or why there is none when every target is withheld."""
    from . import charts

    chart = charts.ni18_chart(ni18)
    if chart is None and ni18["suppressed"].str.contains("target_rate").any():
        return Block("markdown", Markdown(
            f"No NI 18 target can be drawn: each one here is withheld ({text(MARKER)}) to protect "
            "confidentiality."))
    return Block("chart", chart)


def ni18_progress_blocks(ni18: pd.DataFrame, progress: pd.DataFrame, threshold: int) -> list[Block]:
    """NI 18 progress against the agreed targets, or why there is none where targets are agreed."""
    from . import tables

    if not progress.empty:
        return [Block("table", tables.ni18_progress_table(progress, threshold=threshold))]
    if "target_source" in ni18 and (ni18["target_source"] == AGREED).any():
        return [Block("markdown", Markdown(
            "No NI 18 progress yet: the data have no cohort after the agreed baseline, so the "
            "actual rate cannot yet be set against the agreed targets."))]
    return []


def ni18_check_blocks(ni18: pd.DataFrame, names: Mapping[str, str]) -> list[Block]:
    """The analyst's check of the agreed NI 18 targets: the workbook's calculation beside each
    ("Nottingham: our method gives 786; agreed 784"), the widest gap, and the table."""
    from . import tables

    agreed = (ni18[ni18["target_source"] == AGREED].dropna(
                  subset=["target_reoffenders", "computed_target_reoffenders"])
              if "target_source" in ni18 else ni18.iloc[0:0])
    if agreed.empty:
        return [Block("markdown", Markdown("No agreed NI 18 target to check."))]
    said = [f"{text(names.get(r.area_id, r.area_id))}: our method gives "
            f"{r.computed_target_reoffenders:,}; agreed {r.target_reoffenders:,}"
            for r in agreed.itertuples()]
    apart = ((agreed["computed_target_reoffenders"] - agreed["target_reoffenders"]).abs()
             / agreed["target_reoffenders"] * 100).astype("float64")
    widest = agreed["area_id"].iloc[int(apart.to_numpy().argmax())]
    said_gap = (f"The widest gap is {apart.max():.1f}% of the agreed count "
                f"({text(names.get(widest, widest))})." if apart.max() > 0 else
                "Our method gives every agreed count.")
    return [Block("markdown", Markdown("; ".join(said) + ". " + said_gap)),
            Block("table", tables.ni18_check_table(ni18))]


def ni30_blocks(ni30: pd.DataFrame, threshold: int) -> list[Block]:
    """The NI 30 chart, the targets table, and the progress table or why there is none."""
    from . import charts, tables

    chart = charts.ni30_chart(ni30)
    if chart is None and ni30["suppressed"].fillna("").str.contains("reoffences").any():
        blocks = [Block("markdown", Markdown(
            f"No NI 30 chart can be drawn: its re-offence counts are withheld ({text(MARKER)}) "
            "to protect confidentiality."))]
    else:
        blocks = [Block("chart", chart)]
    blocks.append(Block("table", tables.ni30_table(ni30, threshold=threshold)))
    if (none_yet := tables.ni30_no_progress(ni30)) is not None:
        return blocks + [Block("markdown", Markdown(none_yet))]
    return blocks + [Block("table", tables.ni30_progress_table(ni30, threshold=threshold))]


def _as_printed(strands_summary: pd.DataFrame, strands: pd.DataFrame) -> pd.DataFrame:
    """The strands summary with each strand's pathway as its plan prints it (a new frame)."""
    if "pathway_as_printed" not in strands or strands_summary.empty:
        return strands_summary
    printed = dict(zip(strands["strand_id"], strands["pathway_as_printed"], strict=True))
    return strands_summary.assign(pathway_as_printed=strands_summary["strand_id"].map(printed))


def _family(areas: pd.DataFrame, area_id: str) -> set[str]:
    """The area, every area above it and every area below it (parent_id links)."""
    parent = dict(zip(areas["area_id"], areas["parent_id"], strict=True))
    line, current = {area_id}, parent.get(area_id)
    while isinstance(current, str) and current and current not in line:
        line.add(current)
        current = parent.get(current)
    below, frontier = set(), {area_id}
    while frontier:
        frontier = set(areas.loc[areas["parent_id"].isin(frontier), "area_id"]) - below - line
        below |= frontier
    return line | below


def _with_commentary(section: str):
    """A section method's blocks after the analyst's commentary for that section, if any."""
    def wrap(method):
        def section_blocks(self: AreaReport) -> list[Block]:
            return self.commentary(section) + method(self)
        section_blocks.__name__, section_blocks.__doc__ = method.__name__, method.__doc__
        return section_blocks
    return wrap


def areas_below(areas: pd.DataFrame, area_id: str) -> list[str]:
    """Every area below this one (its children, theirs, ...), each straight after its parent,
    siblings in the areas table's order: a nation's regions, each followed by its areas."""
    children: dict[str, list[str]] = {}
    for child, parent in zip(areas["area_id"].astype(str), areas["parent_id"], strict=True):
        if isinstance(parent, str) and parent and parent != child:
            children.setdefault(parent, []).append(child)
    order: list[str] = []
    seen = {area_id}
    stack = list(reversed(children.get(area_id, [])))
    while stack:  # the contract refuses loops of parents; `seen` guards all the same
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        order.append(current)
        stack.extend(reversed(children.get(current, [])))
    return order


def glance(results: Results, dataset: Dataset, area_ids: list[str]) -> pd.DataFrame:
    """One row per area, in the areas table's order: its as-of date, its plan's strands (red or
    amber, not reported), latest overall inspection score and rating, recommendations (without a strand,
    late) and what its reoffending figures say (`reoffending_facts`, briefly). Counts are None
    where the area has nothing to count. The overview's glance and a region's roll-up."""
    r = results
    areas = dataset.table("areas")
    frame = areas.loc[areas["area_id"].isin(area_ids), ["area_id", "name"]]
    strands = r.strands_summary
    plan = (strands.assign(behind=strands["rag"].isin(["red", "amber"]),
                           unreported=strands["rag"] == NOT_REPORTED)
            .groupby("area_id").agg(strands=("strand_id", "count"), behind=("behind", "sum"),
                                    not_reported=("unreported", "sum"))
            if not strands.empty else pd.DataFrame(columns=["strands", "behind", "not_reported"]))
    ms = r.milestones_status
    overdue = ms[ms["state"] == "overdue"].groupby("area_id").size()
    overall = r.inspection_sections[r.inspection_sections["section"] == "overall"].merge(
        dataset.table("inspections")[["inspection_id", "published"]]
        .rename(columns={"published": "published_on"}), on="inspection_id")
    latest = overall.sort_values("published_on").groupby("area_id")["score"].last()
    rated = r.inspection_ratings.groupby("area_id")["rating"].last()  # oldest first: the latest
    reoffending = (r.reoffending_rates, r.ni18_targets, r.ni30_progress, r.benchmark)
    names = area_names(dataset)
    recs = r.recommendations_status
    rec_counts = (recs.assign(unanswered=recs["state"] == "not answered")
                  .groupby("area_id").agg(recommendations=("recommendation_id", "count"),
                                          unanswered=("unanswered", "sum"), late=("late", "sum"))
                  if not recs.empty else pd.DataFrame(columns=["recommendations", "unanswered",
                                                               "late"]))
    out = frame.assign(
        strands=frame["area_id"].map(plan["strands"]),
        behind=frame["area_id"].map(plan["behind"]),
        not_reported=frame["area_id"].map(plan["not_reported"]),
        overdue_milestones=frame["area_id"].map(overdue),
        overall_score=frame["area_id"].map(latest),
        overall_rating=frame["area_id"].map(rated),
        recommendations=frame["area_id"].map(rec_counts["recommendations"]),
        unanswered=frame["area_id"].map(rec_counts["unanswered"]),
        late=frame["area_id"].map(rec_counts["late"]),
    )
    out["as_of"] = [r.area_dates.get(area_id, r.as_of) for area_id in out["area_id"]]
    # Each table split by area once, not filtered once per area (2 s at 500 areas).
    by_area = [(dict(tuple(table.groupby("area_id", sort=False))), table.iloc[0:0])
               for table in reoffending]
    out["reoffending"] = [
        "; ".join(brief for *_, brief in reoffending_facts(
            *(groups.get(area_id, none) for groups, none in by_area[:3]), names,
            benchmark=by_area[3][0].get(area_id, by_area[3][1])))
        or None for area_id in out["area_id"]]
    has_plan = out["strands"].notna()
    out.loc[has_plan, "overdue_milestones"] = out.loc[has_plan, "overdue_milestones"].fillna(0)
    return out.reset_index(drop=True)



@dataclass
class AreaReport:
    """One area's report: the derived tables cut to the area, and the sections built from them."""

    dataset: Dataset
    results: Results
    area_id: str
    # The text of every section shown so far, for the glossary (see `section`).
    shown: list[str] = field(default_factory=list, init=False, repr=False, compare=False)
    since: date | None = None  # previous reporting date; None: the quarter end before as_of
    # Every area as of its own date (snapshot.load_own_dates), for the roll-up of the areas
    # within this one; None for an area with none.
    within: Results | None = field(default=None, repr=False, compare=False)

    @classmethod
    def build(cls, data_dir: str | Path, area_id: str, as_of: str | date | None = None,
              threshold: int = DEFAULT_THRESHOLD, snapshot: str | Path = "",
              since: str | date | None = "", methods: str = "") -> AreaReport:
        """Load the data (from a build's snapshot when given) and cut the report to one area.

        ``as_of`` "" or None: the area's own date (analysis.asof.area_as_of), as `workbook build`
        dates it when no --as-of is given. ``since`` is the previous reporting date "What
        changed" compares with ("" or None: the last quarter end before the as-of date).
        ``methods``: the statistical methods, as `analysis.methods.parse_methods` reads them.
        """
        def resolve(dataset: Dataset) -> date:
            if area_id not in set(dataset.table("areas")["area_id"]):
                raise ValueError(f"area_id {area_id!r} is not in areas.csv")
            return asof.area_as_of(dataset.table("areas"), dataset.table("plans"), area_id,
                                   build_date=today()).date

        dataset, results = load(data_dir, as_of=as_of, threshold=threshold, snapshot=snapshot,
                                resolve=resolve, methods=methods)
        if area_id not in set(dataset.table("areas")["area_id"]):
            raise ValueError(f"area_id {area_id!r} is not in areas.csv")
        when = date.fromisoformat(since) if isinstance(since, str) and since else since or None
        within = None
        if areas_below(dataset.table("areas"), area_id):
            within = load_own_dates(data_dir, as_of=as_of, threshold=threshold, snapshot=snapshot,
                                    methods=methods)
        return cls(dataset, results, area_id, when, within)

    @property
    def previous(self) -> date:
        """The previous reporting date: `since`, else the last quarter end before the as-of date."""
        from .exceptions import previous_quarter_end

        return self.since or previous_quarter_end(self.results.as_of)

    def commentary(self, section: str) -> list[Block]:
        """The analyst's commentary for one section of this report (escaped), or nothing."""
        from .commentary import commentary_for

        row = commentary_for(self.dataset.table("commentary"), self.area_id, section,
                             self.results.as_of, self.previous)
        if row is None:
            return []
        paragraphs = [text(p.strip()) for p in str(row["text"]).split("\n\n") if p.strip()]
        return [Block("markdown", Markdown(
            f"**Commentary ({long_date(row['as_of'])}):** " + "\n\n".join(paragraphs)))]

    @property
    def area(self) -> pd.Series:
        areas = self.dataset.table("areas")
        return areas[areas["area_id"] == self.area_id].iloc[0]

    @property
    def t(self) -> dict[str, pd.DataFrame]:
        return self.results.for_area(self.area_id)

    def record(self, blocks: list[Block | Markdown]) -> None:
        """Record the text these blocks show a reader, for the glossary."""
        self.shown.extend(texts(blocks))

    def missing(self, table: str) -> Markdown:
        """The sentence a section shows when its data is missing: what, and what it prevents."""
        return Markdown(f"**No {table} data for {text(self.area['name'])}.** "
                        f"{_sentence_case(CONSEQUENCES[table])}.")

    # -- Summary ---------------------------------------------------------------------------
    @section
    def summary(self) -> list[Block]:
        """Page one: a plain-English headline per section, the exceptions (reds first, with
        owner, due date and what the progress return says), what changed since the previous
        reporting date, and the analyst's commentary on the summary."""
        from . import exceptions as exc
        from . import tables

        t, area, as_of = self.t, self.area, self.results.as_of
        lines = [f"**{text(area['name'])}** ({text(str(area['area_type']).replace('_', ' '))})"
                 f", as of {long_date(as_of)}.", ""]
        strands = t["strands_summary"]
        lines.append("- **Pathways:** " + (
            text(plan_headline(strands, t["milestones_status"], t["plan_gaps"])) if not strands.empty
            else "no action plan is recorded."))
        inspections = self.dataset.table("inspections")
        scored = inspection_headline(t["inspection_sections"], inspections, t["inspection_ratings"],
                                     t["inspection_standards"], t["rating_change"])
        lines.append("- **Inspection:** " + (text(scored) if scored else
                                             "no scored inspection is recorded."))
        recs = t["recommendations_status"]
        lines.append("- **Recommendations:** " + (text(headline(recs)) if not recs.empty else
                                                  "no inspection recommendations are recorded."))
        facts = reoffending_facts(t["reoffending_rates"], t["ni18_targets"], t["ni30_progress"],
                                  area_names(self.dataset), t["ni18_progress"], t["benchmark"])
        said = [sentence if label == "Reoffending" else f"{label}: {sentence}"
                for label, sentence, _ in facts]
        within = self._within()
        lines.append("- **Reoffending:** " + (
            "; ".join(said) + "." if said else
            f"no figures for {text(area['name'])} itself; the areas within it have their own (below)."
            if within is not None and self._within_reoffending(within[0]) else
            "no published figures."))
        ind = t["indicators_status"]
        lines.append("- **Indicators:** " + (text(indicator_headline(ind)) if not ind.empty else
                                             "none recorded."))
        if (found := self._within()) is not None:
            lines.append(f"- **Areas within {text(self.area['name'])}:** "
                         + text(self._within_sentence(*found)))
        blocks = [Block("markdown", Markdown("\n".join(lines)))]

        names = ("plans", "strands", "milestones", "progress", "inspections", "recommendations")
        mine = exc.area_tables({n: self.dataset.table(n) for n in names}, self.area_id)
        now = exc.states(mine, as_of)
        found = now.exceptions[now.exceptions["area_id"] == self.area_id]
        red = int((found["severity"] == 0).sum())
        no_return = int((found["state"] == NO_RETURN).sum())
        count = (f"{_count(len(found), 'exception')}: {red} red, {len(found) - red - no_return} "
                 f"overdue, behind target, late or unanswered, and "
                 f"{_count(no_return, 'milestone')} past due with no "
                 "return (the return is missing, which is not failed delivery)."
                 if len(found) else f"No exceptions as of {long_date(as_of)}.")
        # An amber strand none of whose milestones is an exception is amber because no milestone
        # has a readable date (RAG_RULE): say so, or the summary's amber count goes unexplained.
        amber = strands[(strands["rag"] == "amber") & ~strands["strand_id"].isin(found["strand_id"])]
        if len(amber):
            one = len(amber) == 1
            count += (f" {_count(len(amber), 'amber strand')} {'is' if one else 'are'} not listed: "
                      f"none of {'its' if one else 'their'} milestones has a readable due date "
                      "(such as 'quarterly'), which is amber by the rule in Pathway progress.")
        # Sub-headings, not bold lead-ins: a heading is kept with what follows it in the PDF,
        # and a bold "What changed" line was left alone at the foot of page one.
        blocks.append(Block("markdown", Markdown(f"### Exceptions\n\n{text(count)}")))
        if len(found):
            titles = dict(zip(inspections["inspection_id"], inspections["title"], strict=False))
            numbers = self.dataset.table("recommendations").set_index("recommendation_id")["number"]
            blocks.append(Block("table", tables.exceptions_table(
                exc.board_lines(found, inspection_titles=titles, numbers=numbers))))

        since = self.previous
        changed = exc.changes(mine, as_of, since, cohorts=t["reoffending_rates"],
                              ratings=t["inspection_ratings"])
        changed = changed[changed["area_id"] == self.area_id]
        sentences = exc.change_sentences(changed)
        blocks.append(Block("markdown", Markdown(
            f"### What changed since {long_date(since)}\n\n"
            + ("\n".join(f"- {text(s)}" for s in sentences) if sentences else
               "Nothing: no strand moved, no milestone was completed, no exception is new or "
               "resolved, no newer cohort is recorded and no inspection was published."))))
        return blocks + self.commentary("summary")

    # -- How old the figures are ------------------------------------------------------------
    def _within(self) -> tuple[list[str], pd.DataFrame] | None:
        """The areas within this one and their glance rows, each as of its own date."""
        children = areas_below(self.dataset.table("areas"), self.area_id)
        if not children or self.within is None:
            return None
        rows = glance(self.within, self.dataset, children).set_index("area_id").loc[children]
        return children, rows.reset_index()

    def _within_reoffending(self, children: list[str]) -> bool:
        """Whether any area within this one has a published rate or an NI 18 or NI 30 target."""
        w = self.within
        return any(set(frame["area_id"]) & set(children) for frame in (
            w.reoffending_rates[w.reoffending_rates["rate"].notna()], w.ni18_targets, w.ni30_progress))

    def _within_ni18(self) -> pd.DataFrame:
        """The NI 18 targets of the areas within this one (empty when none)."""
        if (found := self._within()) is None:
            return self.t["ni18_targets"].iloc[0:0]
        theirs = self.within.ni18_targets
        return theirs[theirs["area_id"].isin(found[0])]

    def _within_sentence(self, children: list[str], rows: pd.DataFrame) -> str:
        """'9 areas: none with an action plan of its own, 6 with an NI 18 target and 2 with an
        NI 30 target.' and, where they have plans, their strands red or amber and not reported."""
        w = self.within
        planned = int(rows["strands"].notna().sum())
        ni18 = len(set(w.ni18_targets["area_id"]) & set(children))
        ni30 = len(set(w.ni30_progress["area_id"]) & set(children))
        sentence = (f"{_count(len(children), 'area')}: {planned or 'none'} with an action plan of "
                    f"{'their' if planned > 1 else 'its'} own, {ni18} with an NI 18 target and "
                    f"{ni30} with an NI 30 target.")
        if planned:
            sentence += (f" Across their plans, {int(rows['behind'].sum())} strands are red or amber "
                         f"and {int(rows['not_reported'].sum())} not reported.")
        return sentence

    @section
    def areas_within(self) -> list[Block]:
        """The roll-up of the areas within this one (a region's authorities; the nation's
        regions, each followed by its areas): one row each, as of its own report's date
        (`glance`), so each reads as its own report does; nothing for an area with none."""
        from . import tables

        found = self._within()
        if found is None:
            return []
        children, rows = found
        name = text(self.area["name"])
        return [Block("markdown", Markdown(
                    f"## Areas within {name}\n\n{text(self._within_sentence(children, rows))} Each "
                    "is counted as of its own report's date, as its own report counts it.")),
                Block("table", tables.glance_table(rows))]

    @section
    def data_ages(self, stale_after_years: int = asof.STALE_AFTER_YEARS) -> list[Block]:
        """Where the report's date comes from, how old each kind of figure is, and which figures
        are more than ``stale_after_years`` older than that date (analysis.asof.data_ages)."""
        t, ds = self.t, self.dataset
        plans, inspections = ds.table("plans"), ds.table("inspections")
        ages = asof.data_ages(plans[plans["area_id"] == self.area_id],
                              inspections[inspections["area_id"] == self.area_id],
                              t["reoffending_rates"], t["indicators_status"], as_of=self.results.as_of,
                              stale_after_years=stale_after_years)
        found = asof.area_as_of(ds.table("areas"), plans, self.area_id, build_date=self.results.as_of)
        return ages_blocks(ages, found, self.results.as_of, area_names(ds), stale_after_years)

    # -- Pathway progress --------------------------------------------------------------------
    @section
    @_with_commentary("pathways")
    def progress(self) -> list[Block]:
        from . import charts, tables

        t = self.t
        if t["strands_summary"].empty:
            return [Block("markdown", self.missing("plans"))]
        ms = t["milestones_status"]
        # Every table and chart here cites the plans its strands come from, by title.
        every_plan = self.dataset.table("plans")
        cited = plan_source(every_plan[every_plan["plan_id"].isin(t["strands_summary"]["plan_id"])])
        # The rules follow the chart: ahead of it they would push it to the next page.
        blocks = [Block("markdown", Markdown(
            f"Where each strand of the plan stands as of {long_date(self.results.as_of)}"
            + (", and its milestones along the plan period; how each state is decided follows "
               "the chart." if not ms.empty else ".")))]
        if ms.empty:
            blocks.append(Block("markdown", self.missing("milestones")))
        else:
            blocks.append(Block("chart", charts.milestone_timeline(ms, self.results.as_of,
                                                                  plans=self.dataset.table("plans"),
                                                                  source=cited.rstrip("."))))
            blocks.append(Block("markdown", Markdown(
                f"**How the states are decided.** Milestones are *overdue* when their due date has "
                f"passed and a return records them as not done, *past due, no return* when nothing "
                f"records whether they were done, and *due soon* within {DUE_SOON_DAYS} days of the "
                f"as-of date. {RAG_RULE}")))
        blocks.append(Block("table", tables.strands_table(
            _as_printed(t["strands_summary"], self.dataset.table("strands")), source=cited)))
        blocks.append(Block("table", tables.smart_audit_table(t["strands_summary"], source=cited)))
        gaps = t["plan_gaps"]
        plans = self.dataset.table("plans")
        titles = dict(zip(plans["plan_id"], plans["title"], strict=True))
        for rec in gaps.itertuples():
            seven = [PATHWAY_NAMES[c] for c in rec.pathway_gaps.split(";") if c]
            themes = [PATHWAY_NAMES[c] for c in rec.theme_gaps.split(";") if c]
            covered = len(SEVEN_PATHWAYS) - len(seven)
            # The plan as it prints its own title; a plan without one is "the action plan".
            title = cell_text(titles.get(rec.plan_id)) or "the action plan"
            sentence = f"**Coverage of {text(title)}:** {covered} of the seven pathways have a strand"
            if seven:
                sentence += f"; no strand for {text(', '.join(seven))}"
            sentence += (f". Cross-cutting themes without a strand: {text(', '.join(themes))}."
                         if themes else ".")
            blocks.append(Block("markdown", Markdown(sentence)))
        blocks.append(Block("chart", charts.lead_load_chart(t["lead_load"], source=cited.rstrip("."))))
        blocks.append(Block("table", tables.lead_load_table(t["lead_load"], source=cited)))
        # Last: a table runs over a page break, so it fills the page the lead chart leaves.
        if (figures := tables.quantitative_table(ms, t["strands_summary"], source=cited)) is not None:
            blocks.append(Block("table", figures))
        return blocks

    # -- Inspection --------------------------------------------------------------------------
    @section
    @_with_commentary("inspection")
    def inspection(self) -> list[Block]:
        from . import charts, tables

        t = self.t
        rated = self._rated_inspections()
        if t["inspection_sections"].empty and t["inspection_criteria"].empty:
            return rated or [Block("markdown", self.missing("inspections"))]
        inspections = self.dataset.table("inspections")
        blocks = [*rated, Block("markdown", Markdown(
            "Section scores are recomputed from the criterion scores with the framework's "
            "weights (a critical criterion weighs twice an important one; overall = 30% "
            "assessment, 40% interventions, 30% initial outcomes) and set beside the family "
            "group's and all areas' means where the data hold enough areas; the check against the "
            "printed sheet is in the appendix."))]
        blocks.append(Block("table", tables.sections_table(t["inspection_sections"], inspections)))
        # The latest full inspection (the one compared with other areas), else the first.
        family = t["inspection_family"]
        own = family[family["area_id"] == self.area_id] if "area_id" in family else family
        latest = str(own["inspection_id"].iloc[0]) if not own.empty else None
        blocks.append(Block("chart", charts.section_comparison_chart(
            t["inspection_sections"], family, inspection_id=latest, inspections=inspections)))
        # Other areas' criteria give each criterion a comparison mean where any exist.
        blocks.append(Block("chart", charts.criterion_scores_chart(
            t["inspection_criteria"], self.results.inspection_criteria, inspection_id=latest,
            inspections=inspections)))
        blocks.append(Block("table", tables.criteria_table(t["inspection_criteria"], inspections)))
        if not t["inspection_change"].empty:
            blocks.append(Block("table", tables.change_table(t["inspection_change"], inspections)))
        return blocks

    def _rated_inspections(self) -> list[Block]:
        """Each framework's latest rated inspection of the area: its overall rating in words, its
        standards and key questions beside the previous inspection and the other areas, the
        other areas' overall ratings, and (youth justice) how a total becomes a rating."""
        from . import charts, rating_tables

        t = self.t
        ratings = t["inspection_ratings"]
        if ratings.empty:
            return []
        inspections = self.dataset.table("inspections")
        blocks: list[Block] = []
        for framework_id, mine in ratings.groupby("framework", sort=False):  # oldest first
            full = mine[mine["kind"] != "thematic"]
            latest = (full if len(full) else mine).iloc[-1]
            one = mine[mine["inspection_id"] == latest["inspection_id"]]
            sentence = inspection_headline(t["inspection_sections"].iloc[0:0], inspections, one,
                                           t["inspection_standards"], t["rating_change"])
            blocks.append(Block("markdown", Markdown(f"**{text(sentence)}**")))
            by_standard = rating_tables.standards_table(
                t["inspection_standards"], t["rating_change"], self.results.rating_comparison,
                inspection_id=str(latest["inspection_id"]), area_name=cell_text(self.area["name"]))
            blocks.append(Block("table", by_standard) if by_standard is not None else Block(
                "markdown", Markdown("The data give this inspection's overall rating only, not "
                                     "its standards' ratings.")))
            chart = charts.key_questions_chart(
                t["inspection_standards"], t["rating_change"], self.results.rating_comparison,
                inspection_id=str(latest["inspection_id"]), area=cell_text(self.area["name"]))
            if chart is not None:  # a youth justice inspection gives no key question's figure
                blocks.append(Block("chart", chart))
            # Only what exists: with one area there is no comparison, a PDU has no bands.
            others = rating_tables.rated_comparison_table(
                self.results.rating_comparison, inspections, self.results.inspection_ratings,
                framework_id=str(framework_id), area_id=self.area_id, names=area_names(self.dataset))
            bands = rating_tables.bands_table(str(framework_id))
            blocks.extend(Block("table", gt) for gt in (others, bands) if gt is not None)
        return blocks

    @section
    def inspection_check(self) -> list[Block]:
        """The analyst's appendix: each inspection's recalculated section scores beside the
        printed ones, and each youth justice total and band beside the printed total and rating
        (a check of the data and the method, not a board's reading)."""
        from . import charts, rating_tables

        sections = self.t["inspection_sections"]
        banded = rating_tables.band_check_table(self.t["inspection_ratings"],
                                                self.dataset.table("inspections"))
        if sections.empty and banded is None:
            return [Block("markdown", Markdown("No scored inspection to check."))]
        return [*(Block("chart", charts.section_scores_chart(
                    sections, inspection_id=str(i), inspections=self.dataset.table("inspections")))
                  for i in pd.unique(sections["inspection_id"])),
                *([Block("table", banded)] if banded is not None else [])]

    @section
    def ni18_check(self) -> list[Block]:
        """The analyst's appendix: the workbook's calculation of each agreed NI 18 target beside
        it (a check of the data and the method; the reports show the agreed target)."""
        # A region's plan agrees the targets of the areas within it (East Midlands: six NI 18).
        theirs = self._within_ni18()  # one roll-up (it builds the glance rows), not two
        ni18 = self.t["ni18_targets"] if theirs.empty else pd.concat(
            [frame for frame in (self.t["ni18_targets"], theirs) if not frame.empty], ignore_index=True)
        return ni18_check_blocks(ni18, area_names(self.dataset))

    # -- Recommendations ---------------------------------------------------------------------
    @section
    @_with_commentary("recommendations")
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
    @section
    @_with_commentary("reoffending")
    def reoffending(self) -> list[Block]:
        from . import charts, tables

        t = self.t
        rates = t["reoffending_rates"]
        if rates.empty:
            return [Block("markdown", self.missing("reoffending"))]
        # The methods the rows used (issue 15: exact ones for small cohorts), not a fixed one.
        interval = interval_words(rates.get("interval_method", ()), None)
        test = test_words(rates.get("significance_test", ()), None)
        blocks = [Block("markdown", Markdown(
            f"Rates are proven reoffending rates; the interval is {interval}. Actual against "
            f"predicted uses {test}; a rate printed without counts cannot be "
            f"tested. Cells marked {text(MARKER)} are withheld because they rest on fewer than "
            f"{self.results.threshold} people, or would let such a count be worked out from the "
            "figures beside them."))]
        threshold = self.results.threshold
        blocks.append(Block("table", tables.rates_table(rates, threshold=threshold,
                                                          exact_below=self.results.methods.exact_below)))
        if (often := tables.frequency_table(rates, threshold=threshold)) is not None:
            blocks.append(Block("table", often))
        names = area_names(self.dataset)
        if (against := benchmark_tables(t["benchmark"], self.results.reoffending_rates, names,
                                        threshold=threshold)) is not None:
            blocks.append(Block("table", against))
        blocks += [Block("table", table) for table in group_tables(
            self.dataset.table("groupings"), self.dataset.table("areas"), self.results.reoffending_rates,
            self.results.benchmark, self.area_id, names, threshold=threshold)]
        against = t["benchmark"]
        named = (area_names(self.dataset).get(str(against["benchmark_area_id"].iloc[0]), "")
                 if not against.empty else "")
        for _measure, group in rates.groupby("measure"):
            if group["rate"].notna().sum() >= 2:
                blocks.append(Block("chart", charts.rate_trend(group, threshold=threshold, benchmark=against,
                                                               benchmark_name=named)))
                if group["predicted_rate"].notna().any():  # nothing to set the rate against otherwise
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
            blocks.append(ni18_block(t["ni18_targets"]))
            blocks.append(Block("table", tables.ni18_table(t["ni18_targets"], threshold=threshold)))
            blocks += ni18_progress_blocks(t["ni18_targets"], t["ni18_progress"], threshold)
        if not t["ni30_progress"].empty:
            blocks += ni30_blocks(t["ni30_progress"], threshold)
        return blocks

    # -- Indicators and completeness ---------------------------------------------------------
    @section
    @_with_commentary("indicators")
    def indicators(self) -> list[Block]:
        from . import charts, tables

        ind = self.t["indicators_status"]
        if ind.empty:
            return [Block("markdown", self.missing("indicators"))]
        chart = charts.indicator_chart(ind)  # None when no indicator has a target: said in words
        first = (Block("chart", chart) if chart is not None
                 else Block("markdown", Markdown(text(charts.indicator_sentence(ind)
                                                      or "No indicator has a value to show."))))
        # The table first: it can run over a page break, so a short section before it does not
        # leave a page two-thirds empty, as the unbreakable chart did (Gloucestershire p12).
        return [Block("table", tables.indicators_table(ind)), first]

    @section
    @_with_commentary("completeness")
    def completeness(self) -> list[Block]:
        from . import tables

        return [Block("table", tables.completeness_table(self.t["completeness"]))]

    # -- About and glossary ------------------------------------------------------------------
    @section
    def about(self) -> list[Block]:
        """How the report was made, in words: as-of date, threshold, data folder, version."""
        return [Block("markdown", parameters_note(
            data_dir=self.dataset.source, as_of=self.results.as_of,
            threshold=self.results.threshold, area_id=self.area_id,
            area_name=str(self.area["name"])))] + methods_note(self.results.methods, self._figures())

    def _figures(self) -> set[str]:
        """The kinds of figure whose method the method note names, as this report shows them."""
        t, shown = self.t, set()
        if (self.results.funnel["area_id"] == self.area_id).any():
            shown.add("Funnel plots")
        if not t["spc"].empty:
            shown.add("Control charts")
        rates = t["reoffending_rates"]
        if rates["significant"].notna().any() or rates["ci_low"].notna().any():
            shown.add("Actual against predicted")
        return shown

    def glossary(self) -> list[Block]:
        """The terms of the field (shipped list and the data's glossary table for this area, the
        areas above it and below it) used as whole words in the sections shown before it."""
        family = _family(self.dataset.table("areas"), self.area_id)
        return glossary_blocks(self.shown, terms_for(self.dataset.table("glossary"), family))
