"""A report's data: the folder loaded, validated and analysed, or read from a build's snapshot."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pandas as pd

from . import asof, derived
from .contract import today
from .disclosure import DEFAULT_THRESHOLD
from .loader import DataInvalid, Dataset, load_dataset
from .methods import Methods, parse_methods
from .pipeline import Results, analyse, analyse_at_own_dates

__all__ = ["SNAPSHOT_FORMAT", "load", "load_own_dates", "load_overview", "read_snapshot"]

# What analysis.build writes once per build and the notebooks read (pickled dict: format, data_dir,
# dataset, results: {as-of date: Results}). Bump when the content changes so an old snapshot is
# refused, not misread.
# 2: recommendations in Results; 3: results by as-of date; 4: the statistical methods (analysis.methods)
SNAPSHOT_FORMAT = "reoffending-workbook-snapshot/4"

def load(data_dir: str | Path, *, as_of: str | date | None = None, threshold: int = DEFAULT_THRESHOLD,
         snapshot: str | Path = "", resolve: Callable[[Dataset], date] | None = None,
         methods: str | Methods = "") -> tuple[Dataset, Results]:
    """Load, validate and analyse a data folder for a report; DataInvalid on any problem.

    An ``as_of`` of "" or None means the date ``resolve`` finds in the validated data (the
    report's own date, see analysis.asof), or today without ``resolve``.
    With ``snapshot`` (the file `workbook build` writes once per build, see analysis.build) the
    validated tables and results are read from it instead, so a notebook run by the build neither
    re-validates nor re-analyses the whole dataset. The snapshot must be for the same data folder
    and threshold and hold results as of the date (ValueError otherwise), so parameters and
    figures cannot disagree. ``methods``: the statistical methods (`methods.parse_methods`).
    """
    when = date.fromisoformat(as_of) if isinstance(as_of, str) and as_of else as_of or None
    chosen = parse_methods(methods)
    if snapshot:
        return _from_snapshot(Path(snapshot), data_dir, when, threshold, resolve, chosen)
    dataset = load_dataset(Path(data_dir))
    if dataset.errors:
        raise DataInvalid(dataset.errors)
    if when is None and resolve is not None:
        when = resolve(dataset)
    return dataset, analyse(dataset, as_of=when, threshold=threshold, methods=chosen)


def read_snapshot(path: Path, data_dir: str | Path, threshold: int, methods: str | Methods = "") -> dict:
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
    wanted = {"data_dir": str(Path(data_dir).resolve()), "threshold": int(threshold),
              "methods": parse_methods(methods).spec() or "the defaults"}
    held = {"data_dir": content["data_dir"], "threshold": content["threshold"],
            "methods": content.get("methods") or "the defaults"}
    differ = [f"{k} {held[k]} (snapshot) vs {wanted[k]}" for k in wanted if held[k] != wanted[k]]
    if differ:
        raise ValueError(f"snapshot {path} does not match the parameters: {'; '.join(differ)}")
    _check_tables(path, content)
    return content


def _check_tables(path: Path, content: dict) -> None:
    """Refuse a snapshot whose derived tables are not the declared ones (another code version)."""
    passed = derived.passed_through(content["dataset"])
    held = [*content["results"].values(), *([content["overview"]] if content.get("overview") else [])]
    for results in held:
        # The pickled instance's own tables: one from another version may lack a field.
        tables = {k: v for k, v in vars(results).items() if isinstance(v, pd.DataFrame)}
        found = derived.problems(tables, passed)
        if found:
            raise ValueError(f"snapshot {path} was written by another version of the workbook: its "
                             f"tables as of {results.as_of} differ from analysis/derived.py: "
                             + "; ".join(found) + ". Rebuild with this version.")


def _from_snapshot(path: Path, data_dir: str | Path, as_of: date | None, threshold: int,
                   resolve: Callable[[Dataset], date] | None = None,
                   methods: Methods | None = None) -> tuple[Dataset, Results]:
    """The dataset and the results as of the report's date from a build's snapshot."""
    content = read_snapshot(path, data_dir, threshold, methods or Methods())
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
                  threshold: int = DEFAULT_THRESHOLD, snapshot: str | Path = "",
                  methods: str | Methods = "") -> tuple[Dataset, Results]:
    """Load, validate and analyse a data folder for an overview; DataInvalid on any problem.

    With ``as_of`` every area is as of that date (--as-of). With "" or None the overview is as
    of its own date (analysis.asof.overview_as_of) and each area in it as of its own report's
    date (`pipeline.at_own_dates`), so the overview counts what the area reports count. With
    ``snapshot`` the overview's results are the build's (which it made by the same rule) and
    must be as of ``as_of`` when one is given.
    """
    when = date.fromisoformat(as_of) if isinstance(as_of, str) and as_of else as_of or None
    chosen = parse_methods(methods)
    if snapshot:
        content = read_snapshot(Path(snapshot), data_dir, threshold, chosen)
        results = content.get("overview")
        if results is None or (when is not None and results.as_of != when):
            raise ValueError(f"snapshot {snapshot} holds no overview as of {when or 'its own date'}")
        return content["dataset"], results
    dataset = load_dataset(Path(data_dir))
    if dataset.errors:
        raise DataInvalid(dataset.errors)
    if when is not None:
        return dataset, analyse(dataset, as_of=when, threshold=threshold, methods=chosen)
    areas, plans = dataset.table("areas"), dataset.table("plans")
    own = asof.overview_as_of(areas, plans, region or None, build_date=today()).date
    dates = {key: found.date for key, found in asof.report_dates(
        areas, plans, [str(a) for a in areas["area_id"]], build_date=today()).items()}
    return dataset, analyse_at_own_dates(dataset, dates, own, threshold=threshold, methods=chosen)




def load_own_dates(data_dir: str | Path, *, as_of: str | date | None = None,
                   threshold: int = DEFAULT_THRESHOLD, snapshot: str | Path = "",
                   methods: str | Methods = "") -> Results:
    """Every area as of its own report's date (`pipeline.at_own_dates`), for a region's roll-up
    of the areas within it: from a build's snapshot, the build's (made by the same rule, or at
    its --as-of); else, with ``as_of`` given, every area as of it; else each at its own date."""
    if snapshot:
        content = read_snapshot(Path(snapshot), data_dir, threshold, methods)
        if content.get("overview") is None:
            raise ValueError(f"snapshot {snapshot} holds no results by each area's own date")
        return content["overview"]
    when = date.fromisoformat(as_of) if isinstance(as_of, str) and as_of else as_of or None
    return load_overview(data_dir, as_of=when, threshold=threshold, methods=methods)[1]
