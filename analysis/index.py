"""The build's index page: areas nation → region → area, each one's headline state and its reports."""

from __future__ import annotations

import html
import logging
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import pandas as pd

from .labels import cell_text, long_date, plural
from .periods import period_bounds
from .pipeline import at_own_dates

if TYPE_CHECKING:  # only for type hints: build imports this module
    from .build import AreaResult, BuildResult
    from .loader import Dataset
    from .pipeline import Results

__all__ = ["AreaStates", "area_states", "area_tree", "data_dates", "headline", "headline_counts",
           "index_page"]

log = logging.getLogger(__name__)

# Siblings read nations first, then regions, then every other kind of area, each kind by name.
_KIND_RANK = {"nation": 0, "region": 1}
_COUNT_COLUMNS = ["area_id", "noun", "state", "count"]
_DATE_COLUMNS = ["area_id", "what", "on"]


class AreaStates(NamedTuple):
    """What the index shows beside each area: the areas table, tidy headline counts and data dates."""

    areas: pd.DataFrame  # area_id, name, area_type, parent_id
    counts: pd.DataFrame  # area_id, noun, state, count (see headline_counts)
    dates: pd.DataFrame  # area_id, what, on (see data_dates)


def area_tree(areas: pd.DataFrame) -> pd.DataFrame:
    """The areas in reading order, each straight after the area it belongs to (``parent_id``).

    Method: a depth-first walk from the top. An area with no parent, or whose parent is not in
    the table, is at the top (depth 0); a parent's areas follow it one level deeper. Among
    siblings nations come first, then regions, then every other kind (``area_type``), each kind
    in name order (case ignored). An area on a loop of parents (which the loader refuses) is
    placed at the top rather than lost. Returns area_id, name, area_type, parent_id and depth.
    """
    columns = ["area_id", "name", "area_type", "parent_id"]
    frame = areas.reindex(columns=columns).copy()
    for column in columns:
        frame[column] = [cell_text(v) for v in frame[column]]
    ids = set(frame["area_id"])
    frame["parent_id"] = [p if p in ids and p != a else "" for a, p in
                          zip(frame["area_id"], frame["parent_id"], strict=True)]
    frame["_rank"] = [_KIND_RANK.get(kind, 2) for kind in frame["area_type"]]
    frame["_name"] = frame["name"].str.casefold()
    frame = frame.sort_values(["_rank", "_name", "area_id"], kind="stable")
    children: dict[str, list[str]] = {}
    for area_id, parent in zip(frame["area_id"], frame["parent_id"], strict=True):
        children.setdefault(parent, []).append(area_id)
    order: list[tuple[str, int]] = []
    seen: set[str] = set()

    def walk(area_id: str, depth: int) -> None:
        # Iterative over a stack: a deep hierarchy cannot overflow the recursion limit.
        stack = [(area_id, depth)]
        while stack:
            current, level = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            order.append((current, level))
            stack.extend((child, level + 1) for child in reversed(children.get(current, [])))

    for root in children.get("", []):
        walk(root, 0)
    for area_id in frame["area_id"]:  # only areas on a loop of parents are left
        if area_id not in seen:
            walk(area_id, 0)
    rows = frame.set_index("area_id")
    return pd.DataFrame({
        "area_id": [a for a, _ in order],
        "name": [rows.at[a, "name"] or a for a, _ in order],
        "area_type": [rows.at[a, "area_type"] for a, _ in order],
        "parent_id": [rows.at[a, "parent_id"] for a, _ in order],
        "depth": [d for _, d in order],
    })


def headline_counts(results: Results) -> pd.DataFrame:
    """Each area's headline counts as tidy rows: area_id, noun, state, count.

    Strands red and amber (their RAG), milestones overdue (their state on the as-of date),
    recommendations late (past their due date), and the latest rated inspection of each
    framework below Good with its standards rated Inadequate and Requires improvement, each
    counted only for an area that has such
    things, so a 0 means "none" and a missing row "nothing to count". Other counts (exceptions,
    say) join as more rows of the same shape; `headline` words them in the order given.
    """
    rows: list[tuple[str, str, str, int]] = []
    strands = results.strands_summary
    for area_id, group in strands.groupby("area_id", sort=False):
        rag = group["rag"].astype("string").str.lower()
        rows += [(str(area_id), "strand", "red", int((rag == "red").sum())),
                 (str(area_id), "strand", "amber", int((rag == "amber").sum()))]
    milestones = results.milestones_status
    for area_id, group in milestones.groupby("area_id", sort=False):
        rows.append((str(area_id), "milestone", "overdue", int((group["state"] == "overdue").sum())))
    recommendations = results.recommendations_status
    for area_id, group in recommendations.groupby("area_id", sort=False):
        late = group["late"].astype("boolean").fillna(False)
        rows.append((str(area_id), "recommendation", "late", int(late.sum())))
    # Each area's latest rated inspection per framework (oldest first, so the last): below Good
    # overall, and its standards rated Inadequate or Requires improvement.
    ratings = results.inspection_ratings
    ratings = ratings[ratings["kind"] != "thematic"] if "kind" in ratings else ratings
    latest = ratings.groupby(["area_id", "framework"], sort=False).tail(1)
    standards = results.inspection_standards
    for area_id, group in latest.groupby("area_id", sort=False):
        below = group["rating"].isin(["Requires improvement", "Inadequate"])
        rows.append((str(area_id), "inspection", "rated below Good", int(below.sum())))
        mine = standards[standards["inspection_id"].isin(set(group["inspection_id"]))
                         & (standards["scoring"] == "rated")]
        rows += [(str(area_id), "standard", f"rated {rating}", int((mine["rating"] == rating).sum()))
                 for rating in ("Inadequate", "Requires improvement")]
    return pd.DataFrame(rows, columns=_COUNT_COLUMNS)


def data_dates(dataset: Dataset, results: Results) -> pd.DataFrame:
    """The date each kind of an area's data speaks for, as tidy rows: area_id, what, on.

    A progress return: its ``reported_on``; a plan with a reporting date: that date; an
    inspection: its publication date; a reoffending cohort or an indicator period: its last day
    (analysis.periods). A label that is not a period is left out (logged).
    """
    rows: list[tuple[str, str, date]] = []
    progress = dataset.table("progress")
    if not progress.empty:
        owner = results.strands_summary.set_index("strand_id")["area_id"]
        for strand_id, on in zip(progress["strand_id"], progress["reported_on"], strict=True):
            if strand_id in owner.index and not pd.isna(on):
                rows.append((str(owner[strand_id]), "progress return", pd.Timestamp(on).date()))
    plans = dataset.table("plans")
    if "reported_on" in plans:
        rows += [(str(a), "plan report", pd.Timestamp(on).date())
                 for a, on in zip(plans["area_id"], plans["reported_on"], strict=True) if not pd.isna(on)]
    inspections = dataset.table("inspections")
    rows += [(str(a), "inspection", pd.Timestamp(on).date())
             for a, on in zip(inspections["area_id"], inspections["published"], strict=True)
             if not pd.isna(on)]
    for frame, column, what in ((results.reoffending_rates, "cohort", "reoffending cohort"),
                                (dataset.table("indicators"), "period", "indicators")):
        for area_id, label in frame[["area_id", column]].drop_duplicates().itertuples(index=False):
            try:
                rows.append((str(area_id), what, period_bounds(label)[1]))
            except ValueError:
                log.info("%s %r of %s is not a period: left out of its data dates", what, label, area_id)
    return pd.DataFrame(rows, columns=_DATE_COLUMNS)


def area_states(dataset: Dataset, analysed: Mapping[date, Results], dates: Mapping[str, date]) -> AreaStates:
    """The index's inputs: each area's counts as of its own report's date (``dates``, see
    analysis.asof), an area shown only to group others as of the latest date analysed."""
    latest = max(analysed)
    return AreaStates(dataset.table("areas"), headline_counts(at_own_dates(analysed, dates, latest)),
                      data_dates(dataset, analysed[latest]))


def headline(counts: pd.DataFrame) -> dict[str, str]:
    """Area id -> its headline in words, from tidy counts (area_id, noun, state, count).

    Each non-zero count reads "3 strands red", in the order of the rows; a noun's further states
    drop the noun ("3 strands red, 1 amber"); an area whose counts are all 0 reads "Nothing
    off track"; an area with no rows is absent (nothing to count).
    """
    words: dict[str, str] = {}
    for area_id, group in counts.groupby("area_id", sort=False):
        parts: list[str] = []
        for noun, by_noun in group.groupby("noun", sort=False):
            shown = [(state, int(n)) for state, n in zip(by_noun["state"], by_noun["count"], strict=True)
                     if int(n) > 0]
            if shown:
                first, *rest = shown
                parts.append(", ".join([f"{plural(first[1], str(noun))} {first[0]}",
                                        *(f"{n} {state}" for state, n in rest)]))
        words[str(area_id)] = "; ".join(parts) if parts else "Nothing off track"
    return words


# ---------------------------------------------------------------------------------------------
# The page

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:2rem auto;
max-width:72rem;padding:0 1rem;color:#1b1b1b;line-height:1.5}
table{border-collapse:collapse;width:100%}caption{text-align:left;font-weight:600;padding:.5rem 0}
th,td{border-bottom:1px solid #ccc;padding:.4rem .6rem;text-align:left;vertical-align:top}
tbody th{font-weight:normal}tr.depth-0 th,tr.depth-1 th{font-weight:600}
tr.depth-0{background:#f3f2f1}
.built,.unchanged{color:#16722f}.failed{color:#a3161a;font-weight:600}footer{margin-top:2rem;color:#555;
font-size:.9rem}a{color:#12436d}a:focus{outline:3px solid #f9a800}.muted{color:#555}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);
white-space:nowrap}
""".strip()
_FORMAT_LABEL = {"html": "HTML", "pdf": "PDF", "xlsx": "Spreadsheet"}


def _relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def _links(report: AreaResult, root: Path) -> str:
    if not report.ok:
        return "none"
    return " ".join(
        f'<a href="{html.escape(_relative(path, root), quote=True)}">'
        f'{_FORMAT_LABEL.get(fmt, fmt.upper())}'
        f'<span class="visually-hidden"> report for {html.escape(report.name)}</span></a>'
        for fmt, path in report.outputs.items()
    )


def _status(report: AreaResult) -> str:
    if report.status == "built":
        return '<span class="built">built</span>'
    if report.status == "unchanged":
        when = (report.made or {}).get("finished", "")[:10]
        since = f" since {html.escape(when)}" if when else ""
        return f'<span class="unchanged">unchanged</span>{since}'
    summary = report.error.summary() if report.error else "failed"
    return f'<span class="failed">failed</span>: {html.escape(summary)}'


def _shown_tree(reports: Sequence[AreaResult], states: AreaStates | None) -> pd.DataFrame:
    """The areas with a report in this build, under the areas they belong to (for grouping)."""
    if states is None:
        return pd.DataFrame({"area_id": [r.area_id for r in reports], "name": [r.name for r in reports],
                             "area_type": "", "parent_id": "", "depth": 0})
    tree = area_tree(states.areas)
    parent = dict(zip(tree["area_id"], tree["parent_id"], strict=True))
    keep: set[str] = set()
    for report in reports:
        area_id = report.area_id
        while area_id and area_id not in keep:
            keep.add(area_id)
            area_id = parent.get(area_id, "")
    # An area built but missing from the areas table (a stale build.json entry) still shows.
    missing = [r for r in reports if r.area_id not in parent]
    extra = pd.DataFrame({"area_id": [r.area_id for r in missing], "name": [r.name for r in missing],
                          "area_type": "", "parent_id": "", "depth": 0})
    return pd.concat([tree[tree["area_id"].isin(keep)], extra], ignore_index=True)


def _latest(dates: pd.DataFrame) -> dict[str, tuple[date, str]]:
    """Area id -> (latest date, what speaks for it; several kinds on that day are joined)."""
    out: dict[str, tuple[date, str]] = {}
    for area_id, group in dates.groupby("area_id", sort=False):
        day = max(group["on"])
        kinds = list(dict.fromkeys(str(w) for w, on in zip(group["what"], group["on"], strict=True)
                                   if on == day))
        out[str(area_id)] = (day, " and ".join(kinds))
    return out


def _row(area: Any, report: AreaResult | None, words: dict[str, str],
         latest: dict[str, tuple[date, str]], names: dict[str, str], root: Path) -> str:
    esc = html.escape
    depth = int(area.depth)
    within = (f'<span class="visually-hidden">, in {esc(names[area.parent_id])}</span>'
              if area.parent_id in names else "")
    name = f'<th scope="row" style="padding-left:{0.6 + 1.5 * min(depth, 6):.1f}rem">' \
           f'{esc(area.name)}{within}</th>'
    kind = esc(str(area.area_type).replace("_", " ").capitalize())
    state = esc(words.get(area.area_id, "")) or '<span class="muted">Nothing to track</span>'
    when = latest.get(area.area_id)
    data = (f"{esc(long_date(when[0]))} <span class=\"muted\">({esc(when[1])})</span>" if when
            else '<span class="muted">none</span>')
    if report is None:
        status, links = '<span class="muted">not in this build</span>', ""
    else:
        status, links = _status(report), _links(report, root)
    as_of = esc(long_date(report.as_of)) if report is not None and report.as_of else ""
    return (f'<tr class="depth-{min(depth, 2)}">{name}<td>{kind}</td><td>{state}</td><td>{data}</td>'
            f"<td>{as_of}</td><td>{status}</td><td>{links}</td></tr>")


def index_page(result: BuildResult, states: AreaStates | None = None) -> str:
    """index.html: every report, grouped nation → region → area, with its headline and links.

    ``states`` (see `area_states`) gives the grouping, headline and data dates; without it the
    reports are listed flat in build order. Every text from the data is escaped.
    """
    esc = html.escape
    root = result.out_dir
    tree = _shown_tree(result.areas, states)
    words = headline(states.counts) if states is not None else {}
    latest = _latest(states.dates) if states is not None else {}
    by_id = {r.area_id: r for r in result.areas}
    names = dict(zip(tree["area_id"], tree["name"], strict=True))
    rows = "\n".join(_row(area, by_id.get(area.area_id), words, latest, names, root)
                     for area in tree.itertuples(index=False))
    overview = ""
    if result.overview is not None:
        ov = result.overview
        when = f", as of {esc(long_date(ov.as_of))}" if ov.as_of else ""
        overview = (f"<h2>Overview</h2>\n<p>All areas side by side{when}: {_links(ov, root)}"
                    f"{'' if ov.ok else ' (' + _status(ov) + ')'}</p>")
    built = sum(r.ok for r in result.areas)
    unchanged = sum(r.status == "unchanged" for r in result.reports)
    skipped = f" ({unchanged} unchanged since their last build, not rebuilt)" if unchanged else ""
    as_of = (f"as of {long_date(result.as_of)}" if result.as_of is not None
             else "each as of the date its data speak for")
    return f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Reducing reoffending reports {esc(as_of)}</title>
<style>{_CSS}</style>
</head>
<body>
<main>
<h1>Reducing reoffending reports</h1>
<p>Reports {esc(as_of)}. Data: {esc(result.data_dir.name)}. {built} of {len(result.areas)} area reports
built{skipped}{'' if result.ok else '; failed reports have no HTML or PDF until they build'}.</p>
{overview}
<h2>Area reports</h2>
<table>
<caption>Areas, each under the region or nation it belongs to: what is off track, how recent its
data are, and its reports</caption>
<thead><tr><th scope="col">Area</th><th scope="col">Kind</th><th scope="col">Off track</th>
<th scope="col">Latest data</th><th scope="col">As of</th><th scope="col">Status</th>
<th scope="col">Reports</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>
</main>
<footer><p>reoffending-workbook {esc(result.version)} · commit {esc(result.commit)} ·
engine {esc(result.engine)} · {esc(as_of)} ·
finished {esc(result.finished.isoformat(timespec="seconds"))} · details in
<a href="build.json">build.json</a></p></footer>
</body>
</html>
"""
