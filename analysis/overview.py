"""The overview: every area (or one region's) side by side, each as of its own report's date."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from . import asof
from .blocks import (
    Block,
    Markdown,
    ages_blocks,
    area_names,
    glossary_blocks,
    methods_note,
    parameters_note,
    section,
    text,
    texts,
)
from .disclosure import DEFAULT_THRESHOLD
from .glossary import terms_for
from .labels import plural as _count
from .loader import Dataset
from .periods import cohort_sort_key
from .pipeline import Results
from .progress import NO_RETURN, NOT_REPORTED
from .report import glance, ni18_block, ni18_check_blocks, ni18_progress_blocks, ni30_blocks
from .snapshot import load_overview

__all__ = ["OverviewReport"]


@dataclass
class OverviewReport:
    """All areas (or one region's) side by side."""

    dataset: Dataset
    results: Results
    region: str | None = None
    # The text of every section shown so far, for the glossary (see `section`).
    shown: list[str] = field(default_factory=list, init=False, repr=False, compare=False)

    @classmethod
    def build(cls, data_dir: str | Path, as_of: str | date | None = None, region: str | None = None,
              threshold: int = DEFAULT_THRESHOLD, snapshot: str | Path = "",
              methods: str = "") -> OverviewReport:
        """Load the data (from a build's snapshot when given) for every area or one region's.

        ``as_of`` "" or None: the overview's own date (analysis.asof.overview_as_of), as
        `workbook build` dates it when no --as-of is given. ``methods``: the statistical methods,
        as `analysis.methods.parse_methods` reads them.
        """
        dataset, results = load_overview(data_dir, as_of=as_of, region=region or None,
                                         threshold=threshold, snapshot=snapshot, methods=methods)
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

    def record(self, blocks: list[Block | Markdown]) -> None:
        """Record the text these blocks show a reader, for the glossary."""
        self.shown.extend(texts(blocks))

    @property
    def region_name(self) -> str:
        """The region's name as the data gives it ('' for the overview of every area)."""
        areas = self.dataset.table("areas")
        names = areas.loc[areas["area_id"] == self.region, "name"]
        return str(names.iloc[0]) if self.region and len(names) else ""

    @section
    def summary(self) -> list[Block]:
        """What is off track across the areas, in plain English: strands red, amber and not
        reported (milestones past due with no return), recommendations without a strand or
        past due, reoffending significantly above its prediction, indicators not met; each
        naming the areas, most first. Then the glance table."""
        from . import tables

        areas = self.dataset.table("areas")
        areas = areas[areas["area_id"].isin(self.area_ids)]
        names = dict(zip(areas["area_id"], areas["name"], strict=False))
        r = self.results
        strands, ms = self._cut(r.strands_summary), self._cut(r.milestones_status)
        recs, rates = self._cut(r.recommendations_status), self._cut(r.reoffending_rates)
        ind = self._cut(r.indicators_status)

        def where(flags: pd.DataFrame, what: str) -> str:
            """'12 (East Midlands 7, Gloucestershire 5)': a count and the areas holding it."""
            per = flags.groupby("area_id").size().sort_values(ascending=False, kind="stable")
            return f"{_count(int(per.sum()), what)} (" + ", ".join(
                f"{names.get(a, a)} {n}" for a, n in per.items()) + ")" if len(per) else f"no {what}s"

        head = (_count(len(areas), 'area')
                + (f" in {names.get(self.region, self.region)}" if self.region else "") + ", "
                + asof.own_dates_sentence({a: r.area_dates.get(a, r.as_of) for a in areas["area_id"]},
                                          names) + ".")
        lines = [text(head), ""]
        if strands.empty:
            lines.append("- **Action plans:** no area in this report has one.")
        else:
            planned = strands["area_id"].nunique()
            lines.append(f"- **Action plans:** {_count(planned, 'area')} with a plan, "
                         f"{_count(len(strands), 'strand')} in all. Red: "
                         + text(where(strands[strands["rag"] == "red"], "strand")) + ". Amber: "
                         + text(where(strands[strands["rag"] == "amber"], "strand")) + ".")
            lines.append("- **Not reported:** " + text(
                where(strands[strands["rag"] == NOT_REPORTED], "strand")) + ", with "
                + text(where(ms[ms["state"] == NO_RETURN], "milestone"))
                + " past due with no return: the returns are missing, which is not failed delivery.")
        if recs.empty:
            lines.append("- **Inspection recommendations:** none recorded.")
        else:
            lines.append("- **Inspection recommendations:** " + text(
                f"of {_count(len(recs), 'recommendation')}, "
                + where(recs[recs["state"] == "not answered"], "recommendation")
                + " without a strand of an action plan; "
                + where(recs[recs["late"].astype(bool)], "recommendation") + " past due."))
        rated = self._cut(r.inspection_ratings)
        if not rated.empty:
            latest = rated.groupby(
                ["area_id", "framework"], sort=False).last().reset_index()
            low = latest[latest["rating"].isin(["Requires improvement", "Inadequate"])]
            # Inadequate first: the board's first question is which service failed.
            low = low.assign(order=low["rating"] != "Inadequate").sort_values("order", kind="stable")
            named = ", ".join(f"{names.get(a, a)} ({rating})"
                              for a, rating in zip(low["area_id"], low["rating"], strict=True))
            lines.append("- **Inspection ratings:** " + text(
                f"of {_count(latest['area_id'].nunique(), 'area')} rated at their latest inspection, "
                + (f"{len(low)} below Good: {named}." if len(low) else "none below Good.")))
        # An area set with no reoffending rows has a suppressed column of no strings at all.
        hidden = rates["suppressed"].fillna("").astype(str).str.contains("significant") \
            if "suppressed" in rates else pd.Series(False, index=rates.index)
        tested = rates[rates["significant"].notna() & ~hidden]
        above = tested[tested["significant"].astype(bool) & (tested["difference"] > 0)]
        lines.append("- **Reoffending:** " + (
            "no cohort has the counts needed to test actual against predicted reoffending."
            if tested.empty else text(
                f"of {_count(len(tested), 'cohort')} tested against its prediction, "
                + where(above, "cohort") + " significantly above it.")))
        if (against := self._benchmark_line(names)) is not None:
            lines.append(against)
        targeted = ind[ind["status"] != "no target"]
        lines.append("- **Indicators:** " + (
            "none with a target." if targeted.empty else text(
                f"of {_count(len(targeted), 'target')}, " + where(
                    targeted[targeted["status"] == "not met"], "target") + " not met.")))
        return [Block("markdown", Markdown("\n".join(lines))),
                Block("table", tables.glance_table(self.glance()))]

    def _benchmark_line(self, names: dict[str, str]) -> str | None:
        """Each area's latest compared rate against the benchmark area's, counted by the 95%
        reading: "of 4 areas' latest rates, 1 worse (Plymouth); 3 similar (Torbay, ...)"."""
        bench = self._cut(self.results.benchmark)
        bench = bench[bench["comparison"].notna()]
        if bench.empty:
            return None
        latest = bench.loc[[max(rows.index, key=lambda i: cohort_sort_key(bench.at[i, "cohort"]))
                            for _, rows in bench.groupby("area_id", sort=False)]]
        other = str(latest["benchmark_area_id"].iloc[0])
        named = self.dataset.table("areas").set_index("area_id")["name"].get(other, other)
        words = []
        for word in ("worse", "similar", "better", "higher", "lower"):
            these = latest.loc[latest["comparison"] == word, "area_id"]
            if len(these):
                words.append(f"{len(these)} {word} (" + ", ".join(names.get(a, a) for a in these) + ")")
        whose = "1 area's latest rate" if len(latest) == 1 else f"{len(latest)} areas' latest rates"
        return ("- **Against " + text(str(named)) + ":** " + text(
            f"of {whose}, " + "; ".join(words)
            + ", by each rate's 95% Wilson interval (as OHID Fingertips compares areas)."))

    @section
    def data_ages(self, stale_after_years: int = asof.STALE_AFTER_YEARS) -> list[Block]:
        """The overview's date and how old the latest figure of each kind across its areas is,
        flagging those more than ``stale_after_years`` older than that date."""
        r, ds = self.results, self.dataset
        ages = asof.data_ages(self._cut(ds.table("plans")), self._cut(ds.table("inspections")),
                              self._cut(r.reoffending_rates), self._cut(r.indicators_status),
                              as_of=r.as_of, stale_after_years=stale_after_years)
        found = asof.overview_as_of(ds.table("areas"), ds.table("plans"), self.region,
                                    build_date=r.as_of)
        return ages_blocks(ages, found, r.as_of, area_names(ds), stale_after_years)

    def glance(self) -> pd.DataFrame:
        """One row per area: its plan's state, latest inspection score, recommendations and
        what its reoffending figures say (`report.glance`)."""
        return glance(self.results, self.dataset, self.area_ids)

    @section
    def coverage(self) -> list[Block]:
        from . import charts

        cov = self._cut(self.results.pathway_coverage)
        if cov.empty:
            return [Block("markdown", Markdown("**No action plans** in these areas: coverage of "
                                               "the pathways cannot be compared."))]
        # The grid's source stays the short generic line: three plan titles under it pushed the
        # chart to the next page and left page 2 a third full. Each area's report names its plan.
        return [Block("chart", charts.coverage_heatmap(cov))]

    @section
    def inspections(self) -> list[Block]:
        from . import charts, rating_tables, tables

        family = self._cut(self.results.inspection_family)
        compared = self._cut(self.results.rating_comparison)
        # Each rated framework's areas, best first: the board's league of its services.
        rated = [gt for framework_id in sorted(compared["framework"].unique())
                 if (gt := rating_tables.rated_comparison_table(
                     compared, self.dataset.table("inspections"), self.results.inspection_ratings,
                     framework_id=str(framework_id), names=area_names(self.dataset))) is not None]
        if family.empty:
            blocks = [] if rated else [Block("markdown", Markdown(
                "**No scored or rated inspections**: areas cannot be compared."))]
        else:
            chart = charts.family_chart(family)  # None for one area: nothing to compare or rank
            blocks = [Block("table", tables.family_table(family)),
                      Block("chart", chart) if chart is not None
                      else Block("markdown", Markdown(text(charts.family_sentence(family))))]
        blocks.extend(Block("table", gt) for gt in rated)
        responses = self._cut(self.results.inspection_responses)
        if not responses.empty:
            blocks.append(Block("table", tables.inspection_responses_table(
                responses, self.dataset.table("inspections"))))
        return blocks

    @section
    def funnels(self) -> list[Block]:
        from . import charts

        funnel = self._cut(self.results.funnel)
        if funnel.empty:
            return [Block("markdown", Markdown(
                "**No funnel plot:** it needs counted cohorts (offenders and reoffenders) for at "
                "least three areas of the same kind (councils, partnerships, probation areas) in the "
                "same measure and cohort."))]
        blocks = []
        for (measure, cohort, kind), rows in funnel.groupby(["measure", "cohort", "area_type"]):
            peers = funnel[(funnel["measure"] == measure) & (funnel["area_type"] == kind)]
            if cohort == max(peers["cohort"], key=cohort_sort_key):
                blocks.append(Block("chart", charts.funnel_plot(rows, None)))  # no area singled out
        return blocks

    @section
    def targets(self) -> list[Block]:
        from . import tables

        blocks = []
        threshold = self.results.threshold
        ni18 = self._cut(self.results.ni18_targets)
        if not ni18.empty:
            blocks += [ni18_block(ni18), Block("table", tables.ni18_table(ni18, threshold=threshold)),
                       *ni18_progress_blocks(ni18, self._cut(self.results.ni18_progress), threshold)]
        ni30 = self._cut(self.results.ni30_progress)
        if not ni30.empty:
            blocks += ni30_blocks(ni30, threshold)
        ind = self._cut(self.results.indicators_status)
        if not ind.empty:
            blocks.append(Block("table", tables.indicator_summary_table(ind)))
        return blocks or [Block("markdown", Markdown("**No targets or indicators** in these areas."))]

    @section
    def ni18_check(self) -> list[Block]:
        """The analyst's appendix: the workbook's calculation of each agreed NI 18 target beside
        it, as in each area's report (the overview's tables show the agreed targets)."""
        return ni18_check_blocks(self._cut(self.results.ni18_targets), area_names(self.dataset))

    @section
    def about(self) -> list[Block]:
        """How the overview was made, in words: as-of date, the areas it covers, threshold,
        data folder, version."""
        return [Block("markdown", parameters_note(
            data_dir=self.dataset.source, as_of=self.results.as_of,
            threshold=self.results.threshold, region=self.region or "",
            region_name=self.region_name, area_dates=bool(self.results.area_dates)))] + methods_note(
            self.results.methods, self._figures())

    def _figures(self) -> set[str]:
        """The kinds of figure whose method the method note names, as the overview shows them:
        funnels, and the summary's count of cohorts significantly above their prediction."""
        shown = {"Funnel plots"} if not self._cut(self.results.funnel).empty else set()
        rates = self._cut(self.results.reoffending_rates)
        if rates["significant"].notna().any() or rates["ci_low"].notna().any():
            shown.add("Actual against predicted")
        return shown

    def glossary(self) -> list[Block]:
        """The terms of the field (shipped list and the data's glossary table for the areas
        covered) used as whole words in the sections shown before it."""
        return glossary_blocks(self.shown, terms_for(self.dataset.table("glossary"), self.area_ids))
