"""The area and overview reports: each section as text, tables and charts, ready for a notebook."""

from __future__ import annotations

import functools
import html
import logging
import pickle
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from . import __version__, asof
from .completeness import CONSEQUENCES
from .contract import today
from .disclosure import DEFAULT_THRESHOLD, MARKER
from .glossary import terms_for, terms_used, texts_of
from .headlines import indicator_headline, inspection_headline, plan_headline
from .labels import cell_text, long_date, measure_label
from .labels import plural as _count
from .loader import DataInvalid, Dataset, load_dataset
from .pathways import PATHWAY_NAMES, SEVEN_PATHWAYS
from .periods import cohort_sort_key
from .pipeline import Results, analyse, analyse_at_own_dates
from .progress import DUE_SOON_DAYS, NO_RETURN, NOT_REPORTED, RAG_RULE

log = logging.getLogger(__name__)

# What analysis.build writes once per build and the notebooks read (pickled dict: format, data_dir,
# dataset, results: {as-of date: Results}). Bump when the content changes so an old snapshot is
# refused, not misread.
SNAPSHOT_FORMAT = "reoffending-workbook-snapshot/3"  # 2: recommendations in Results; 3: results by as-of date

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
         snapshot: str | Path = "", resolve: Callable[[Dataset], date] | None = None,
         ) -> tuple[Dataset, Results]:
    """Load, validate and analyse a data folder for a report; DataInvalid on any problem.

    An ``as_of`` of "" or None means the date ``resolve`` finds in the validated data (the
    report's own date, see analysis.asof), or today without ``resolve``.
    With ``snapshot`` (the file `workbook build` writes once per build, see analysis.build) the
    validated tables and results are read from it instead, so a notebook run by the build neither
    re-validates nor re-analyses the whole dataset. The snapshot must be for the same data folder
    and threshold and hold results as of the date (ValueError otherwise), so parameters and
    figures cannot disagree.
    """
    when = date.fromisoformat(as_of) if isinstance(as_of, str) and as_of else as_of or None
    if snapshot:
        return _from_snapshot(Path(snapshot), data_dir, when, threshold, resolve)
    dataset = load_dataset(Path(data_dir))
    if dataset.errors:
        raise DataInvalid(dataset.errors)
    if when is None and resolve is not None:
        when = resolve(dataset)
    return dataset, analyse(dataset, as_of=when, threshold=threshold)


def _read_snapshot(path: Path, data_dir: str | Path, threshold: int) -> dict:
    """A build's snapshot, checked against the notebook's data folder and threshold.

    The snapshot holds one Results per as-of date the build's reports need, and the overview's
    (each area as of its own date). It is a pickle, which runs code when read: only ever pass the
    path a build wrote itself (in its private working folder in the temp dir, see
    analysis.workspace), never a file from elsewhere.
    """
    with open(path, "rb") as file:
        content = pickle.load(file)  # trusted: written by this package's build, see above
    if not isinstance(content, dict) or content.get("format") != SNAPSHOT_FORMAT:
        raise ValueError(f"{path} is not a snapshot in format {SNAPSHOT_FORMAT}")
    wanted = {"data_dir": str(Path(data_dir).resolve()), "threshold": int(threshold)}
    held = {"data_dir": content["data_dir"], "threshold": content["threshold"]}
    differ = [f"{k} {held[k]} (snapshot) vs {wanted[k]}" for k in wanted if held[k] != wanted[k]]
    if differ:
        raise ValueError(f"snapshot {path} does not match the parameters: {'; '.join(differ)}")
    return content


def _from_snapshot(path: Path, data_dir: str | Path, as_of: date | None, threshold: int,
                   resolve: Callable[[Dataset], date] | None = None) -> tuple[Dataset, Results]:
    """The dataset and the results as of the report's date from a build's snapshot."""
    content = _read_snapshot(path, data_dir, threshold)
    dataset: Dataset = content["dataset"]
    by_date: dict[date, Results] = content["results"]
    if as_of is None and resolve is not None:
        as_of = resolve(dataset)
    if as_of is None and len(by_date) == 1:
        as_of = next(iter(by_date))
    results = by_date.get(as_of)
    if results is None:
        held = ", ".join(when.isoformat() for when in sorted(by_date))
        raise ValueError(f"snapshot {path} does not match the parameters: it holds results as_of "
                         f"{held}, not {as_of}")
    return dataset, results


def load_overview(data_dir: str | Path, *, as_of: str | date | None = None, region: str | None = None,
                  threshold: int = DEFAULT_THRESHOLD, snapshot: str | Path = "") -> tuple[Dataset, Results]:
    """Load, validate and analyse a data folder for an overview; DataInvalid on any problem.

    With ``as_of`` every area is as of that date (--as-of). With "" or None the overview is as
    of its own date (analysis.asof.overview_as_of) and each area in it as of its own report's
    date (`pipeline.at_own_dates`), so the overview counts what the area reports count. With
    ``snapshot`` the overview's results are the build's (which it made by the same rule) and
    must be as of ``as_of`` when one is given.
    """
    when = date.fromisoformat(as_of) if isinstance(as_of, str) and as_of else as_of or None
    if snapshot:
        content = _read_snapshot(Path(snapshot), data_dir, threshold)
        results = content.get("overview")
        if results is None or (when is not None and results.as_of != when):
            raise ValueError(f"snapshot {snapshot} holds no overview as of {when or 'its own date'}")
        return content["dataset"], results
    dataset = load_dataset(Path(data_dir))
    if dataset.errors:
        raise DataInvalid(dataset.errors)
    if when is not None:
        return dataset, analyse(dataset, as_of=when, threshold=threshold)
    areas, plans = dataset.table("areas"), dataset.table("plans")
    own = asof.overview_as_of(areas, plans, region or None, build_date=today()).date
    dates = {key: found.date for key, found in asof.report_dates(
        areas, plans, [str(a) for a in areas["area_id"]], build_date=today()).items()}
    return dataset, analyse_at_own_dates(dataset, dates, own, threshold=threshold)


def parameters_note(*, data_dir: str | Path = "", as_of: str | date | None = None,
                    threshold: int = DEFAULT_THRESHOLD, area_id: str = "", area_name: str = "",
                    region: str = "", region_name: str = "", snapshot: str | Path = "",
                    area_dates: bool = False) -> Markdown:
    """What made the report, in words: its as-of date, what it covers, the disclosure threshold,
    the data folder and the package version (deterministic: no clock), and the accessible
    spreadsheet `workbook build` publishes beside it. No parameter is named: a board member
    reads what each one means. ``snapshot`` is where the figures were read from, not what they
    are, so it is not mentioned."""
    from .spreadsheets import OVERVIEW_FILE, area_workbook_name

    when = date.fromisoformat(as_of) if isinstance(as_of, str) and as_of else as_of
    sentences = [f"Figures are as of {long_date(when)}" if when else
                 "Figures are as of the day the report was built"]
    if area_id:
        sentences[-1] += f", for {text(area_name)}" if area_name else ""
    elif region:
        sentences[-1] += f", for {text(region_name or 'one region')} and the areas in it"
    else:
        sentences[-1] += ", for every area in the data"
    if area_dates:
        sentences[-1] = sentences[-1].replace("Figures are", "The overview is", 1)
        sentences.append("Each area's figures in it are as of that area's own report's date (the "
                         "date its action plan's progress speaks for), so they match its report")
    sentences.append(f"Counts of fewer than {int(threshold)} people, and figures that would let "
                     f"such a count be worked out, are withheld and marked {text(MARKER)}")
    made = f"made by reoffending-workbook {text(__version__)}"
    sentences.append(f"Data folder \u2018{text(Path(data_dir).name)}\u2019; {made}" if data_dir
                     else made.capitalize())
    # area_id is a validated slug, so the file name is safe in a link; the link's words say what
    # it is, not the file's name.
    workbook = area_workbook_name(str(area_id)) if area_id else OVERVIEW_FILE
    return Markdown(". ".join(sentences) + ".\n\nEvery table behind this report's charts is "
                    "published beside it as an accessible spreadsheet: "
                    f"[the report's tables (Excel)]({workbook}).")


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
        measure = text(measure_label(latest["measure"]))
        facts.append(("Reoffending", f"{latest['rate']:.1f}% ({measure}, cohort "
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


def _names(dataset: Dataset) -> dict[str, str]:
    areas = dataset.table("areas")
    return {str(a): str(n) for a, n in zip(areas["area_id"], areas["name"], strict=True)}


def _ages_blocks(ages: pd.DataFrame, found: asof.AsOf, as_of: date, names: dict[str, str],
                 stale_after_years: int) -> list[Block]:
    """The data-ages text: the report's date and its source with the ages, then the stale flag
    in bold (words, not colour), or that no figure is that old."""
    blocks = [Block("markdown", Markdown(f"{text(asof.as_of_sentence(found, as_of, names))} "
                                         f"{text(asof.ages_sentence(ages))}"))]
    flag = asof.stale_sentence(ages, as_of, stale_after_years)
    if flag:
        stale = bool(ages["stale"].any())
        blocks.append(Block("markdown", Markdown(f"**{text(flag)}**" if stale else text(flag))))
    return blocks


def _as_printed(strands_summary: pd.DataFrame, strands: pd.DataFrame) -> pd.DataFrame:
    """The strands summary with each strand's pathway as its plan prints it (a new frame)."""
    if "pathway_as_printed" not in strands or strands_summary.empty:
        return strands_summary
    printed = dict(zip(strands["strand_id"], strands["pathway_as_printed"], strict=True))
    return strands_summary.assign(pathway_as_printed=strands_summary["strand_id"].map(printed))


def section(method: Callable[..., list[Block]]) -> Callable[..., list[Block]]:
    """Mark a report method as a section: its blocks are returned unchanged and the text they
    show a reader (Markdown, every table cell and label, chart titles, captions and alt text) is
    recorded on the report, so its glossary lists the terms the report actually used."""

    @functools.wraps(method)
    def recorded(self: AreaReport | OverviewReport, *args: object, **kwargs: object) -> list[Block]:
        blocks = method(self, *args, **kwargs)
        self.record(blocks)
        return blocks

    return recorded


def _texts(blocks: list[Block | Markdown]) -> list[str]:
    return [t for b in blocks for t in texts_of(b.content if isinstance(b, Block) else b)]


def _glossary(shown: list[str], glossary: pd.DataFrame) -> list[Block]:
    """The glossary section: each term the report's text used, with its meaning."""
    used = terms_used(shown, glossary)
    if used.empty:
        return [Block("markdown", Markdown(
            "This report uses none of the abbreviations or terms of the field that the workbook "
            "explains."))]
    lines = [f"- **{text(term)}**: {text(meaning)}"
             for term, meaning in zip(used["term"], used["meaning"], strict=True)]
    # The notebook's heading and sentence introduce the list: the section is the list alone.
    return [Block("markdown", Markdown("\n".join(lines)))]


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


@dataclass
class AreaReport:
    """One area's report: the derived tables cut to the area, and the sections built from them."""

    dataset: Dataset
    results: Results
    area_id: str
    # The text of every section shown so far, for the glossary (see `section`).
    shown: list[str] = field(default_factory=list, init=False, repr=False, compare=False)
    since: date | None = None  # previous reporting date; None: the quarter end before as_of

    @classmethod
    def build(cls, data_dir: str | Path, area_id: str, as_of: str | date | None = None,
              threshold: int = DEFAULT_THRESHOLD, snapshot: str | Path = "",
              since: str | date | None = "") -> AreaReport:
        """Load the data (from a build's snapshot when given) and cut the report to one area.

        ``as_of`` "" or None: the area's own date (analysis.asof.area_as_of), as `workbook build`
        dates it when no --as-of is given. ``since`` is the previous reporting date "What
        changed" compares with ("" or None: the last quarter end before the as-of date).
        """
        def resolve(dataset: Dataset) -> date:
            if area_id not in set(dataset.table("areas")["area_id"]):
                raise ValueError(f"area_id {area_id!r} is not in areas.csv")
            return asof.area_as_of(dataset.table("areas"), dataset.table("plans"), area_id,
                                   build_date=today()).date

        dataset, results = load(data_dir, as_of=as_of, threshold=threshold, snapshot=snapshot,
                                resolve=resolve)
        if area_id not in set(dataset.table("areas")["area_id"]):
            raise ValueError(f"area_id {area_id!r} is not in areas.csv")
        when = date.fromisoformat(since) if isinstance(since, str) and since else since or None
        return cls(dataset, results, area_id, when)

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
        self.shown.extend(_texts(blocks))

    def missing(self, table: str) -> Markdown:
        """The sentence a section shows when its data is missing: what, and what it prevents."""
        return Markdown(f"**No {table} data for {text(self.area['name'])}.** "
                        f"{CONSEQUENCES[table].capitalize()}.")

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
        scored = inspection_headline(t["inspection_sections"], inspections)
        lines.append("- **Inspection:** " + (text(scored) if scored else
                                             "no scored inspection is recorded."))
        recs = t["recommendations_status"]
        lines.append("- **Recommendations:** " + (text(headline(recs)) if not recs.empty else
                                                  "no inspection recommendations are recorded."))
        facts = _reoffending(t["reoffending_rates"], t["ni18_targets"], t["ni30_progress"])
        said = [sentence if label == "Reoffending" else f"{label}: {sentence}"
                for label, sentence, _ in facts]
        lines.append("- **Reoffending:** " + ("; ".join(said) + "." if said else
                                              "no published figures."))
        ind = t["indicators_status"]
        lines.append("- **Indicators:** " + (text(indicator_headline(ind)) if not ind.empty else
                                             "none recorded."))
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
        # Sub-headings, not bold lead-ins: a heading is kept with what follows it in the PDF,
        # and a bold "What changed" line was left alone at the foot of page one.
        blocks.append(Block("markdown", Markdown(f"### Exceptions\n\n{text(count)}")))
        if len(found):
            titles = dict(zip(inspections["inspection_id"], inspections["title"], strict=False))
            numbers = self.dataset.table("recommendations").set_index("recommendation_id")["number"]
            blocks.append(Block("table", tables.exceptions_table(
                exc.board_lines(found, inspection_titles=titles, numbers=numbers))))

        since = self.previous
        changed = exc.changes(mine, as_of, since, cohorts=t["reoffending_rates"])
        changed = changed[changed["area_id"] == self.area_id]
        sentences = exc.change_sentences(changed)
        blocks.append(Block("markdown", Markdown(
            f"### What changed since {long_date(since)}\n\n"
            + ("\n".join(f"- {text(s)}" for s in sentences) if sentences else
               "Nothing: no strand moved, no milestone was completed, no exception is new or "
               "resolved and no newer cohort is recorded."))))
        return blocks + self.commentary("summary")

    # -- How old the figures are ------------------------------------------------------------
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
        return _ages_blocks(ages, found, self.results.as_of, _names(ds), stale_after_years)

    # -- Pathway progress --------------------------------------------------------------------
    @section
    @_with_commentary("pathways")
    def progress(self) -> list[Block]:
        from . import charts, tables

        t = self.t
        if t["strands_summary"].empty:
            return [Block("markdown", self.missing("plans"))]
        ms = t["milestones_status"]
        # The rules follow the chart: ahead of it they would push it to the next page.
        blocks = [Block("markdown", Markdown(
            f"Where each strand of the plan stands as of {long_date(self.results.as_of)}, and its "
            "milestones along the plan period; how each state is decided follows the chart."))]
        if ms.empty:
            blocks.append(Block("markdown", self.missing("milestones")))
        else:
            blocks.append(Block("chart", charts.milestone_timeline(ms, self.results.as_of,
                                                                  plans=self.dataset.table("plans"))))
            blocks.append(Block("markdown", Markdown(
                f"**How the states are decided.** Milestones are *overdue* when their due date has "
                f"passed and a return records them as not done, *past due, no return* when nothing "
                f"records whether they were done, and *due soon* within {DUE_SOON_DAYS} days of the "
                f"as-of date. {RAG_RULE}")))
        blocks.append(Block("table", tables.strands_table(
            _as_printed(t["strands_summary"], self.dataset.table("strands")))))
        blocks.append(Block("table", tables.smart_audit_table(t["strands_summary"])))
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
        blocks.append(Block("chart", charts.lead_load_chart(t["lead_load"])))
        blocks.append(Block("table", tables.lead_load_table(t["lead_load"])))
        return blocks

    # -- Inspection --------------------------------------------------------------------------
    @section
    @_with_commentary("inspection")
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

    @section
    def inspection_check(self) -> list[Block]:
        """The analyst's appendix: each inspection's recalculated section scores beside the
        printed ones (a check of the data and the method, not a board's reading)."""
        from . import charts

        sections = self.t["inspection_sections"]
        if sections.empty:
            return [Block("markdown", Markdown("No scored inspection to check."))]
        return [Block("chart", charts.section_scores_chart(
                    sections, inspection_id=str(i), inspections=self.dataset.table("inspections")))
                for i in pd.unique(sections["inspection_id"])]

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
        return [first, Block("table", tables.indicators_table(ind))]

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
            area_name=str(self.area["name"])))]

    def glossary(self) -> list[Block]:
        """The terms of the field (shipped list and the data's glossary table for this area, the
        areas above it and below it) used as whole words in the sections shown before it."""
        family = _family(self.dataset.table("areas"), self.area_id)
        return _glossary(self.shown, terms_for(self.dataset.table("glossary"), family))


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
              threshold: int = DEFAULT_THRESHOLD, snapshot: str | Path = "") -> OverviewReport:
        """Load the data (from a build's snapshot when given) for every area or one region's.

        ``as_of`` "" or None: the overview's own date (analysis.asof.overview_as_of), as
        `workbook build` dates it when no --as-of is given.
        """
        dataset, results = load_overview(data_dir, as_of=as_of, region=region or None,
                                         threshold=threshold, snapshot=snapshot)
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
        self.shown.extend(_texts(blocks))

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
        hidden = rates["suppressed"].fillna("").str.contains("significant") \
            if "suppressed" in rates else pd.Series(False, index=rates.index)
        tested = rates[rates["significant"].notna() & ~hidden]
        above = tested[tested["significant"].astype(bool) & (tested["difference"] > 0)]
        lines.append("- **Reoffending:** " + (
            "no cohort has the counts needed to test actual against predicted reoffending."
            if tested.empty else text(
                f"of {_count(len(tested), 'cohort')} tested against its prediction, "
                + where(above, "cohort") + " significantly above it.")))
        targeted = ind[ind["status"] != "no target"]
        lines.append("- **Indicators:** " + (
            "none with a target." if targeted.empty else text(
                f"of {_count(len(targeted), 'target')}, " + where(
                    targeted[targeted["status"] == "not met"], "target") + " not met.")))
        return [Block("markdown", Markdown("\n".join(lines))),
                Block("table", tables.glance_table(self.glance()))]

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
        return _ages_blocks(ages, found, r.as_of, _names(ds), stale_after_years)

    def glance(self) -> pd.DataFrame:
        """One row per area: its plan's state, latest inspection score, recommendations and
        what its reoffending figures say (the summary's sentence, briefly)."""
        r = self.results
        areas = self.dataset.table("areas")
        frame = areas.loc[areas["area_id"].isin(self.area_ids), ["area_id", "name"]]
        strands = r.strands_summary
        plan = (strands.assign(behind=strands["rag"].isin(["red", "amber"]),
                               unreported=strands["rag"] == NOT_REPORTED)
                .groupby("area_id").agg(strands=("strand_id", "count"), behind=("behind", "sum"),
                                        not_reported=("unreported", "sum"))
                if not strands.empty else pd.DataFrame(columns=["strands", "behind", "not_reported"]))
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
            not_reported=frame["area_id"].map(plan["not_reported"]),
            overdue_milestones=frame["area_id"].map(overdue),
            overall_score=frame["area_id"].map(latest),
            recommendations=frame["area_id"].map(rec_counts["recommendations"]),
            unanswered=frame["area_id"].map(rec_counts["unanswered"]),
            late=frame["area_id"].map(rec_counts["late"]),
        )
        out["as_of"] = [r.area_dates.get(area_id, r.as_of) for area_id in out["area_id"]]
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

    @section
    def coverage(self) -> list[Block]:
        from . import charts

        cov = self._cut(self.results.pathway_coverage)
        if cov.empty:
            return [Block("markdown", Markdown("**No action plans** in these areas: coverage of "
                                               "the pathways cannot be compared."))]
        return [Block("chart", charts.coverage_heatmap(cov))]

    @section
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
                "least three areas in the same measure and cohort."))]
        blocks = []
        for (measure, cohort, kind), rows in funnel.groupby(["measure", "cohort", "area_type"]):
            peers = funnel[(funnel["measure"] == measure) & (funnel["area_type"] == kind)]
            if cohort == max(peers["cohort"], key=cohort_sort_key):
                blocks.append(Block("chart", charts.funnel_plot(rows, None)))  # no area singled out
        return blocks

    @section
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

    @section
    def about(self) -> list[Block]:
        """How the overview was made, in words: as-of date, the areas it covers, threshold,
        data folder, version."""
        return [Block("markdown", parameters_note(
            data_dir=self.dataset.source, as_of=self.results.as_of,
            threshold=self.results.threshold, region=self.region or "",
            region_name=self.region_name, area_dates=bool(self.results.area_dates)))]

    def glossary(self) -> list[Block]:
        """The terms of the field (shipped list and the data's glossary table for the areas
        covered) used as whole words in the sections shown before it."""
        return _glossary(self.shown, terms_for(self.dataset.table("glossary"), self.area_ids))


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
