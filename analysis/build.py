"""Build every area's report: validate and analyse once, execute the notebooks in parallel, render, index.

The build validates and analyses the data once and hands every notebook a snapshot of the result
(see `_write_snapshot`), skips reports whose inputs have not changed since their last successful
build (see `_fingerprints`), and runs the notebooks in local worker processes or on an existing
Dask cluster (`executor`). What --out may be, its lock, the private working folder and the tie of
workers and kernels to the build are analysis.workspace's.
"""

from __future__ import annotations

import ast
import dataclasses
import glob
import hashlib
import importlib.util
import json
import logging
import math
import multiprocessing
import os
import pickle
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from importlib.metadata import PackageNotFoundError, requires, version
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from . import asof, contract, workspace
from .disclosure import DEFAULT_THRESHOLD
from .files import atomic_path, atomic_write_text
from .index import AreaStates, area_states, index_page
from .labels import long_date
from .loader import DataInvalid, Dataset, load_dataset
from .methods import Methods, parse_methods
from .pipeline import Results, analyse, analyse_at_own_dates, method_warnings
from .snapshot import SNAPSHOT_FORMAT
from .summary import area_column

__all__ = [
    "AREA_NOTEBOOK",
    "ENGINES",
    "EXECUTORS",
    "FORMATS",
    "OVERVIEW_NOTEBOOK",
    "AreaResult",
    "BuildResult",
    "DataInvalid",
    "NotebookError",
    "build",
    "summary_table",
]

log = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parent.parent
AREA_NOTEBOOK = REPO / "notebooks" / "area.ipynb"
OVERVIEW_NOTEBOOK = REPO / "notebooks" / "overview.ipynb"
ENGINES = ("auto", "builtin", "quarto")
EXECUTORS = ("local", "dask")
FORMATS = ("html", "pdf")
OVERVIEW = "overview"
EXECUTED_DIR = "_executed"
FAILED_DIR = "_failed"
AREA_PARAMETERS = ("data_dir", "area_id", "as_of")
OVERVIEW_PARAMETERS = ("data_dir", "as_of")
PACKAGE = workspace.PACKAGE
# Bump when what goes into a fingerprint changes, so every report rebuilds once.
FINGERPRINT_SCHEME = "1"
PACKAGE_DIR = Path(__file__).resolve().parent

_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
_QUARTO_FORMAT = {"html": "html", "pdf": "typst"}
_MARKER_TAGS = {"injected-parameters", "papermill-error-cell-tag"}
# A kernel that could not start: its ports taken (TCP only), or it died or hung before answering.
_KERNEL_START = ("Address already in use", "Kernel died before replying to kernel_info",
                 "Kernel didn't respond in")
# Workers fork from a clean server process that has imported this module once (fast start, no
# inherited threads or locks); "spawn" where there is no forkserver. Tests may use "fork".
_START_METHOD = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
_GRACE = 5.0  # seconds to let a worker or kernel exit before it is killed
_CONNECT_TIMEOUT = "20s"  # to reach a Dask scheduler


@dataclass(frozen=True)
class NotebookError:
    """Why a report failed: the stage, the error and (when known) the failing notebook cell.

    ``cell`` is the 0-based index of the cell in the notebook as written (papermill's injected
    parameters cell not counted); ``execution_count`` is the ``In [n]`` number.
    """

    stage: str  # "setup", "execute", "timeout", "worker", "write", "render" or "engine"
    ename: str
    evalue: str
    cell: int | None = None
    execution_count: int | None = None

    def summary(self) -> str:
        where = f" in cell {self.cell}" if self.cell is not None else ""
        text = f"{self.ename}{where}: {self.evalue}" if self.evalue else f"{self.ename}{where}"
        return f"{self.stage} failed: {text}"


@dataclass
class AreaResult:
    """One report (an area's or the overview's): built, or failed with the reason."""

    area_id: str
    name: str
    status: str  # "built", "unchanged" (skipped: its outputs are current) or "failed"
    engine: str
    seconds: float
    outputs: dict[str, Path] = field(default_factory=dict)
    executed: Path | None = None
    error: NotebookError | None = None
    fingerprint: str | None = None  # sha256 of every input (see _fingerprints)
    inputs: dict[str, str] = field(default_factory=dict)  # the fingerprint's parts, to say what changed
    made: dict[str, str] = field(default_factory=dict)  # version, commit and time of the build that made it
    as_of: date | None = None  # the date the report is as of (see analysis.asof)
    warnings: list[str] = field(default_factory=list)  # what the renderer warned of (Quarto's messages)

    @property
    def ok(self) -> bool:
        return self.status in ("built", "unchanged")


@dataclass
class BuildResult:
    """Everything one build did: the reports, the settings and where the files went.

    ``as_of`` is the date given (--as-of) for every report, or None when each report is as of the
    date its own data speak for (AreaResult.as_of).
    """

    out_dir: Path
    data_dir: Path
    as_of: date | None
    engine: str
    formats: tuple[str, ...]
    areas: list[AreaResult]
    overview: AreaResult | None
    version: str
    commit: str
    started: datetime
    finished: datetime
    threshold: int = DEFAULT_THRESHOLD
    executor: str = "local"
    engine_version: str | None = None  # `quarto --version` when the engine is Quarto
    methods: str = ""  # the statistical methods other than the defaults (analysis.methods), "" for none

    @property
    def reports(self) -> list[AreaResult]:
        return self.areas + ([self.overview] if self.overview is not None else [])

    @property
    def ok(self) -> bool:
        return all(report.ok for report in self.reports)

    @property
    def index(self) -> Path:
        return self.out_dir / "index.html"

    @property
    def manifest(self) -> Path:
        return self.out_dir / "build.json"


@dataclass(frozen=True)
class _Job:
    """One notebook to execute and render, with every path decided by the parent process."""

    key: str
    name: str
    notebook: Path
    parameters: dict[str, Any]
    scratch: Path  # papermill writes here while it runs; the partial notebook on failure
    executed: Path
    failed: Path
    outputs: dict[str, Path]  # format -> final path
    stale: tuple[Path, ...]  # every output this report could have: removed unless built now
    engine: str
    title: str
    subtitle: str
    stamp: str
    timeout: float
    snapshot: Path | None = None  # the validated data and results; the spreadsheet comes from it
    workdir: Path | None = None  # the build's working folder: kernels' sockets, workers' TMPDIR
    out: Path | None = None  # --out: nothing is written through a link below it


def build(
    data_dir: Path,
    out_dir: Path,
    *,
    areas: list[str] | None = None,
    as_of: date | None = None,
    formats: Sequence[str] = FORMATS,
    jobs: int = 1,
    engine: str = "auto",
    timeout: float = 600,
    threshold: int = DEFAULT_THRESHOLD,
    force: bool = False,
    executor: str = "local",
    scheduler: str | None = None,
    area_notebook: Path = AREA_NOTEBOOK,
    overview_notebook: Path | None = OVERVIEW_NOTEBOOK,
    progress: bool | None = None,
    stale_after_years: int = asof.STALE_AFTER_YEARS,
    methods: Methods | str | None = None,
) -> BuildResult:
    """Validate the data once, analyse it once per as-of date, execute and render each report that
    changed, index them.

    Each report is as of ``as_of`` when given, else of the date its data speak for
    (`asof.report_dates`: its plan's reporting date, an area above's or below's, else today).
    ``stale_after_years`` goes to notebooks that take it: figures older than that are flagged.
    ``methods`` (analysis.methods; a `Methods` or its text) chooses the statistical methods of
    every report; a notebook must take the ``methods`` parameter for any but the defaults.

    A report is skipped (status "unchanged", previous files kept) when its fingerprint matches
    the one build.json records for its last successful build and its files are all present;
    ``force`` rebuilds everything. ``executor`` "local" runs ``jobs`` worker processes here;
    "dask" sends each report to the Dask cluster at ``scheduler`` (which must see the same file
    system). Raises DataInvalid (nothing written) when the data break the contract, ValueError
    for unknown areas, bad settings or an unreachable scheduler, workspace.OutRefused (a
    ValueError: nothing written) for an --out that is not ours to write (see
    `workspace.check_out`) or that another build holds (BuildRunning), FileNotFoundError for a
    missing notebook, OSError when build.json cannot be written (a full disk), and
    workspace.Stopped on SIGTERM, after cleaning up as on Ctrl-C. A failing area is recorded in
    the result, index.html and build.json while the other areas carry on. The snapshot and every
    working file live in a private folder in the temp dir (`workspace.workspace`), never in --out.
    """
    started = datetime.now(UTC)
    methods = parse_methods(methods)
    formats = _check_settings(formats, jobs, engine, timeout, executor, scheduler, threshold,
                              stale_after_years)
    data_dir, out_dir = Path(data_dir).expanduser().resolve(), Path(out_dir).expanduser().resolve()
    workspace.check_out(out_dir, data_dir)
    dataset = _validate(data_dir)
    names = _area_names(dataset)
    selected = _select_areas(names, areas, overview=overview_notebook is not None)
    declared = {"area": _check_notebook(area_notebook, AREA_PARAMETERS)}
    if overview_notebook is not None:
        declared["overview"] = _check_notebook(overview_notebook, OVERVIEW_PARAMETERS)
    if methods.spec():
        for kind, notebook in (("area", area_notebook), ("overview", overview_notebook)):
            if kind in declared and "methods" not in declared[kind]:
                raise ValueError(f"{notebook} has no 'methods' parameter, so it cannot show figures "
                                 f"made with methods other than the defaults ({methods.spec()})")
    chosen = _engine_available() if engine == "auto" else engine
    engine_version = _engine_version(chosen)
    _report_options()  # a mistake in _quarto.yml stops the build here, not in every report
    version_, commit = _package_version(), _git_commit()

    reports = [(area_id, names[area_id], Path(area_notebook), "area") for area_id in selected]
    if overview_notebook is not None:
        reports.append((OVERVIEW, "Overview", Path(overview_notebook), "overview"))
    found = asof.report_dates(dataset.table("areas"), dataset.table("plans"), [key for key, *_ in reports],
                              build_date=contract.today(), given=as_of)
    dates = {key: when.date for key, when in found.items()}
    for warning in method_warnings(dataset, methods):
        log.warning("Methods: %s", warning)
    # One analysis per distinct date: reports sharing a date share its results.
    analysed = {when: analyse(dataset, as_of=when, threshold=threshold, methods=methods)
                for when in sorted(set(dates.values()))}
    overview = None
    parents = {str(p) for p in dataset.table("areas")["parent_id"].dropna()}
    # The overview, and a region's or nation's roll-up of the areas within it, count every area
    # as of its own report's date, as the area reports do.
    if OVERVIEW in dates or parents & set(dates):
        area_dates = {key: when.date for key, when in asof.report_dates(
            dataset.table("areas"), dataset.table("plans"), list(names), build_date=contract.today(),
            given=as_of).items()}
        whole = dates.get(OVERVIEW) or asof.overview_as_of(
            dataset.table("areas"), dataset.table("plans"), build_date=contract.today(), given=as_of).date
        overview = analyse_at_own_dates(dataset, area_dates, whole, threshold=threshold,
                                        analysed=analysed, methods=methods)
    extra = {kind: {name: value for name, value in (("threshold", threshold),
                                                    ("stale_after_years", stale_after_years),
                                                    ("methods", methods.spec()))
                    if name in declared[kind]} for kind in declared}
    inputs = _fingerprints(dataset, analysed, overview, found, {
        kind: {"notebook": notebook, "data_dir": str(data_dir), "threshold": threshold,
               "formats": list(formats), "engine": chosen, **extra[kind]}
        for _, _, notebook, kind in reports}, engine_version=engine_version)
    # Connected before anything is written, so an unreachable scheduler leaves no trace.
    client = _dask_client(scheduler) if executor == "dask" else None
    try:
        with workspace.stop_on_sigterm(), workspace.lock_out(out_dir), workspace.workspace(out_dir) as work:
            jobs_ = [_job(key, name, notebook, data_dir, out_dir, work.scratch, dates[key], formats, chosen,
                          timeout, version_, commit, extra=extra[kind])
                     for key, name, notebook, kind in reports]
            workspace.refuse_links(out_dir, [out_dir / "index.html", out_dir / "build.json", *(
                path for job in jobs_ for path in (job.executed, job.failed, *job.stale))])
            workspace.remove_legacy(out_dir)
            previous = {} if force else _previous_entries(out_dir)
            todo: list[_Job] = []
            done: dict[str, AreaResult] = {}
            for job in jobs_:
                unchanged = _unchanged(job, previous.get(job.key), inputs[job.key])
                if unchanged is not None:
                    done[job.key] = unchanged
                else:
                    todo.append(dataclasses.replace(job, workdir=work.root))
            log.info("Building %d of %d reports as of %s with the %s engine (%s executor, %d jobs); "
                     "%d unchanged", len(todo), len(reports), asof.dates_summary(dates), chosen, executor,
                     jobs, len(done))
            if todo:
                needed = {when: analysed[when] for when in sorted({dates[job.key] for job in todo})}
                done.update(_snapshot_and_run(todo, work.snapshot, data_dir, dataset, needed, overview,
                                              declared,
                                              jobs=jobs, timeout=timeout, progress=progress, client=client))
            finished = datetime.now(UTC)
            for key, report in done.items():
                report.fingerprint, report.inputs = inputs[key]["fingerprint"], inputs[key]
                report.as_of = dates[key]
                if report.status == "built":
                    report.made = {"version": version_, "commit": commit,
                                   "finished": finished.isoformat(timespec="seconds")}
            result = BuildResult(
                out_dir=out_dir, data_dir=data_dir, as_of=as_of, engine=chosen, formats=formats,
                areas=[done[area_id] for area_id in selected],
                overview=done.get(OVERVIEW) if overview_notebook is not None else None,
                version=version_, commit=commit, started=started, finished=finished,
                threshold=threshold, executor=executor, engine_version=engine_version,
                methods=methods.spec(),
            )
            _record(result, jobs=jobs, timeout=timeout, states=area_states(dataset, analysed, dates))
    finally:
        if client is not None:
            client.close()
    log.info("%d of %d reports built, %d unchanged, in %s", sum(r.status == "built" for r in result.reports),
             len(result.reports), sum(r.status == "unchanged" for r in result.reports), out_dir)
    return result


def _snapshot_and_run(todo: list[_Job], snapshot: Path, data_dir: Path, dataset: Dataset,
                      results: dict[date, Results], overview: Results | None,
                      declared: dict[str, set[str]], *, jobs: int,
                      timeout: float, progress: bool | None, client: Any) -> dict[str, AreaResult]:
    """Write the snapshot (notebooks that take it skip re-validating; every spreadsheet comes from it),
    then run the jobs; a snapshot that cannot be written fails them all."""
    try:
        _write_snapshot(snapshot, data_dir, dataset, results, overview)
    except OSError as exc:  # a full temp dir: each report fails with the reason, build.json says so
        log.error("Could not write the data snapshot %s: %s", snapshot, exc)
        error = NotebookError("setup", type(exc).__name__, f"could not write the data snapshot: {exc}")
        return {job.key: _fail(job, error, time.perf_counter()) for job in todo}
    todo = [_with_snapshot(job, snapshot, declared) for job in todo]
    return _execute_and_render(todo, jobs=jobs, timeout=timeout, progress=progress, client=client)


def summary_table(result: BuildResult) -> Table:
    """A rich table of the reports: status, engine, seconds and outputs or the error."""
    built = sum(report.status == "built" for report in result.reports)
    unchanged = sum(report.status == "unchanged" for report in result.reports)
    # Names, paths and errors are Text, not markup: an area named "[/]" must not crash rich.
    when = (f" as of {result.as_of.isoformat()}" if result.as_of is not None
            else ", each as of the date its data speak for,")
    table = Table(title=Text(f"{built} of {len(result.reports)} reports built"
                             + (f", {unchanged} unchanged" if unchanged else "")
                             + f"{when} in {result.out_dir}"),
                  title_justify="left")
    table.add_column("report")
    table.add_column("name")
    table.add_column("as of")
    table.add_column("status")
    table.add_column("engine")
    table.add_column("seconds", justify="right")
    table.add_column("outputs or error", overflow="fold")
    for report in result.reports:
        if report.ok:
            folders = {_relative(path.parent, result.out_dir) for path in report.outputs.values()}
            detail = f"{', '.join(report.outputs)} in {', '.join(sorted(folders))}/"
            status = "[green]built[/]" if report.status == "built" else "[cyan]unchanged[/]"
        else:
            detail = report.error.summary() if report.error else "failed"
            status = "[red]failed[/]"
        table.add_row(Text(report.area_id), Text(report.name),
                      report.as_of.isoformat() if report.as_of else "", status, report.engine,
                      f"{report.seconds:.1f}", Text(detail))
    return table


# ---------------------------------------------------------------------------------------------
# Checks before anything is written


def _check_settings(formats: Sequence[str], jobs: int, engine: str, timeout: float, executor: str = "local",
                    scheduler: str | None = None, threshold: int = DEFAULT_THRESHOLD,
                    stale_after_years: int = asof.STALE_AFTER_YEARS) -> tuple[str, ...]:
    """Refuse bad settings before anything is read or written; return the formats, deduplicated."""
    chosen = tuple(dict.fromkeys([formats] if isinstance(formats, str) else formats))
    if not chosen or any(fmt not in FORMATS for fmt in chosen):
        raise ValueError(f"formats must be a non-empty selection of {list(FORMATS)}, not {list(formats)}")
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {list(ENGINES)}, not {engine!r}")
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, not {jobs}")
    if not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds, not {timeout}")
    if threshold < 1:
        raise ValueError(f"threshold must be at least 1, not {threshold}")
    if stale_after_years < 1:
        raise ValueError(f"stale_after_years must be at least 1, not {stale_after_years}")
    if executor not in EXECUTORS:
        raise ValueError(f"executor must be one of {list(EXECUTORS)}, not {executor!r}")
    if executor == "dask":
        if not scheduler:
            raise ValueError("executor 'dask' needs the address of a Dask scheduler (--scheduler)")
        if importlib.util.find_spec("distributed") is None:
            raise ValueError("executor 'dask' needs dask[distributed]: pip install -e '.[dask]'")
    elif scheduler:
        raise ValueError("--scheduler is only used with executor 'dask'")
    return chosen


def _validate(data_dir: Path) -> Dataset:
    """Load and check the data once; return the validated dataset, or raise DataInvalid.

    Future cohorts are checked against today, not the report's as-of date (as `validate` does).
    """
    dataset = load_dataset(data_dir)
    if dataset.errors:
        raise DataInvalid(dataset.errors)
    return dataset


def _area_names(dataset: Dataset) -> dict[str, str]:
    """Area id -> name, in the order of the areas table."""
    table = dataset.table("areas")
    return {str(area_id): str(name) for area_id, name in zip(table["area_id"], table["name"], strict=True)}


def _select_areas(names: dict[str, str], areas: list[str] | None, *, overview: bool) -> list[str]:
    selected = list(dict.fromkeys(areas)) if areas is not None else list(names)
    unknown = [area_id for area_id in selected if area_id not in names]
    if unknown:
        raise ValueError(f"unknown area id(s): {', '.join(map(repr, unknown))}; "
                         f"the areas table has {', '.join(names) or 'no areas'}")
    unsafe = [area_id for area_id in selected if not _SLUG.fullmatch(area_id)]
    if unsafe:
        raise ValueError(f"area id(s) not usable in a file name: {', '.join(map(repr, unsafe))}")
    if overview and OVERVIEW in selected:
        raise ValueError(f"area id {OVERVIEW!r} clashes with the overview report's folder")
    if not selected:
        raise ValueError("no areas to build")
    return selected


def _check_notebook(notebook: Path, required: Sequence[str]) -> set[str]:
    """The notebook exists and its `parameters` cell declares every parameter we must pass.

    Returns every parameter it declares, so optional ones (threshold, snapshot) are passed only
    to notebooks that take them: papermill merely warns about an unknown name.
    """
    if not Path(notebook).is_file():
        raise FileNotFoundError(f"notebook {notebook} does not exist")
    declared = _declared_parameters(Path(notebook))
    missing = [name for name in required if name not in declared]
    if missing:
        raise ValueError(f"{notebook} has no `parameters` cell setting {', '.join(missing)}")
    return set(declared)


def _declared_parameters(notebook: Path) -> set[str]:
    """Names the notebook's `parameters` cell assigns, read with json and ast.

    Not papermill.inspect_notebook: importing papermill (nbformat, jsonschema) costs seconds,
    which a build where every report is unchanged would otherwise spend for nothing.
    """
    cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
    for cell in cells:
        if cell.get("cell_type") == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            source = cell.get("source", "")
            tree = ast.parse(source if isinstance(source, str) else "".join(source))
            names = set()
            for node in tree.body:
                targets = node.targets if isinstance(node, ast.Assign) else (
                    [node.target] if isinstance(node, ast.AnnAssign) else [])
                names |= {t.id for t in targets if isinstance(t, ast.Name)}
            return names
    return set()


def _report_options() -> None:
    """Check the report options (_quarto.yml) that every render reads (analysis.report_options)."""
    from .report_options import read_options

    read_options()


def _engine_available() -> str:
    """quarto.engine_available without importing analysis.quarto (and nbconvert) in this process."""
    return "quarto" if shutil.which("quarto") else "builtin"


def _engine_version(engine: str) -> str | None:
    """What ``quarto --version`` prints when the engine is Quarto (a new Quarto can render the same
    notebook differently, so it is part of each report's fingerprint); None for the built-in engine,
    whose pandoc and Typst are package dependencies, or when no quarto answers."""
    quarto = shutil.which("quarto") if engine == "quarto" else None
    if quarto is None:
        return None
    try:
        done = subprocess.run([quarto, "--version"], capture_output=True, text=True, timeout=120,
                              env={**os.environ, "NO_COLOR": "1"}, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    found = done.stdout.strip().splitlines()
    return found[-1].strip() if done.returncode == 0 and found else None


def _package_version() -> str:
    try:
        return version(PACKAGE)
    except PackageNotFoundError:
        return "unknown"


def _git_commit(root: Path = REPO) -> str:
    """Short SHA of the checked-out commit, read from .git without running git; else "unknown"."""
    try:
        git = root / ".git"
        if git.is_file():  # a worktree: ".git" holds "gitdir: <path>"
            git = (root / git.read_text(encoding="utf-8").split(":", 1)[1].strip()).resolve()
        common = git / (git / "commondir").read_text().strip() if (git / "commondir").is_file() else git
        head = (git / "HEAD").read_text(encoding="utf-8").strip()
        sha = head
        if head.startswith("ref:"):
            ref = head[4:].strip()
            sha = next(((base / ref).read_text().strip() for base in (git, common)
                        if (base / ref).is_file()), "")
            if not sha and (common / "packed-refs").is_file():
                for line in (common / "packed-refs").read_text().splitlines():
                    parts = line.split()
                    if len(parts) == 2 and parts[1] == ref:
                        sha = parts[0]
        return sha[:7] if re.fullmatch(r"[0-9a-f]{40}([0-9a-f]{24})?", sha) else "unknown"
    except (OSError, IndexError, ValueError):
        return "unknown"


def _job(key: str, name: str, notebook: Path, data_dir: Path, out_dir: Path, scratch: Path,
         as_of: date, formats: tuple[str, ...], engine: str, timeout: float, version_: str,
         commit: str, *, extra: dict[str, Any] | None = None) -> _Job:
    if not _SLUG.fullmatch(key):  # never a path from an unchecked id
        raise ValueError(f"{key!r} is not usable in a file name")
    parameters: dict[str, Any] = {"data_dir": str(data_dir), "as_of": as_of.isoformat(), **(extra or {})}
    if key != OVERVIEW:
        parameters["area_id"] = key
    folder = out_dir / key
    return _Job(
        key=key,
        name=name,
        notebook=Path(notebook).resolve(),
        parameters=parameters,
        scratch=scratch / f"{key}.ipynb",
        out=out_dir,
        executed=out_dir / EXECUTED_DIR / f"{key}.ipynb",
        failed=out_dir / FAILED_DIR / f"{key}.ipynb",
        outputs={**{fmt: folder / f"{key}.{fmt}" for fmt in formats},
                 "xlsx": folder / _tables_name(key)},
        stale=(*(folder / f"{key}.{fmt}" for fmt in FORMATS), folder / _tables_name(key)),
        engine=engine,
        title=f"{name} – reducing reoffending report",
        subtitle=f"As of {long_date(as_of)}",
        stamp=f"{name} · as of {long_date(as_of)} · data folder {data_dir.name} · "
              f"reoffending-workbook {version_} · commit {commit}",
        timeout=timeout,
    )


# ---------------------------------------------------------------------------------------------
# The snapshot: the validated dataset and its results, written once and read by every notebook


def _write_snapshot(path: Path, data_dir: Path, dataset: Dataset, results: dict[date, Results],
                    overview: Results | None = None) -> Path:
    """Pickle the validated dataset and its results by as-of date to ``path`` (in the build's working
    folder), atomically; each area's notebook reads the results for its own as-of date, the
    overview's the overview's results (each area as of its own date, `pipeline.at_own_dates`).

    Pickle (protocol 5) is the fastest thing to read back and returns exactly the objects
    `analyse` made (dtypes, nullable integers, dates and all), so a notebook shows the same
    figures as one that loads the folder itself. Unpickling runs code, which is acceptable only
    because this build wrote the file into a private folder (mode 700) of its own in the temp
    dir, removed when it finishes: the notebooks read nothing else. It holds unsuppressed counts,
    so it never goes near --out.
    """
    thresholds = {r.threshold for r in (*results.values(), *([overview] if overview else []))}
    if len(thresholds) != 1:
        raise ValueError(f"a snapshot holds results at one threshold, not {sorted(thresholds)}")
    specs = {r.methods.spec() for r in (*results.values(), *([overview] if overview else []))}
    if len(specs) != 1:
        raise ValueError(f"a snapshot holds results made with one choice of methods, not {sorted(specs)}")
    content = {"format": SNAPSHOT_FORMAT, "data_dir": str(data_dir), "dataset": dataset,
               "threshold": thresholds.pop(), "methods": specs.pop(), "results": results,
               "overview": overview}
    started = time.perf_counter()
    with atomic_path(path) as tmp, open(tmp, "wb") as file:
        pickle.dump(content, file, protocol=5)
    log.info("Snapshot of the validated data written in %.2f s (%.1f MB)", time.perf_counter() - started,
             path.stat().st_size / 1e6)
    return path


def _with_snapshot(job: _Job, snapshot: Path, declared: dict[str, set[str]]) -> _Job:
    """The job with the snapshot's path, and as a parameter if its notebook takes one."""
    job = dataclasses.replace(job, snapshot=snapshot)
    if "snapshot" not in declared["overview" if job.key == OVERVIEW else "area"]:
        return job
    return dataclasses.replace(job, parameters={**job.parameters, "snapshot": str(snapshot)})


# ---------------------------------------------------------------------------------------------
# Fingerprints: what each report is made from, to skip the reports whose inputs did not change

# Where a spreadsheet row sits is not shown in any report: inserting a row for one area must not
# shift every other area's fingerprint.
_UNHASHED = ("source_row",)


class _Rows:
    """One table's row hashes, computed once, and which rows belong to which area.

    Rows are hashed with pandas' vectorised ``hash_pandas_object`` (values only, column names
    and dtypes hashed separately), so a build fingerprints a large dataset in one pass per table
    instead of one pass per area.
    """

    def __init__(self, name: str, frame: pd.DataFrame, owner: pd.Series | None):
        frame = frame.drop(columns=[c for c in _UNHASHED if c in frame.columns]).reset_index(drop=True)
        self.name = name
        self.frame = frame
        self.header = json.dumps([[str(c), str(t)] for c, t in frame.dtypes.items()]).encode()
        self.hashes = (pd.util.hash_pandas_object(frame, index=False).to_numpy() if len(frame)
                       else np.zeros(0, dtype="uint64"))
        self.by_area: dict[str, np.ndarray] | None = None
        if owner is not None:
            owner = owner.reset_index(drop=True).astype("string").fillna("")
            self.by_area = {str(k): v for k, v in owner.groupby(owner, sort=False).indices.items()}

    def digest(self, rows: np.ndarray | None = None) -> bytes:
        """sha256 of the header and the given rows (default all), in table order."""
        chosen = self.hashes if rows is None else self.hashes[np.sort(rows)]
        return hashlib.sha256(self.name.encode() + b"\0" + self.header + b"\0" + chosen.tobytes()).digest()

    def area(self, area_id: str) -> bytes:
        """The area's rows, or the whole table when rows cannot be tied to areas (conservative)."""
        if self.by_area is None:
            return self.digest()
        return self.digest(self.by_area.get(area_id, np.zeros(0, dtype="int64")))

    def groups(self, columns: list[str]) -> tuple[dict[tuple, bytes], dict[str, set[tuple]]]:
        """Digest of each group of rows sharing ``columns``, and the groups each area has rows in."""
        if self.frame.empty or any(c not in self.frame for c in columns) or "area_id" not in self.frame:
            return {}, {}
        keyed = self.frame[columns].astype("string").fillna("")
        digests, members = {}, {}
        for key, rows in keyed.groupby(columns, sort=True).indices.items():
            key = key if isinstance(key, tuple) else (key,)
            digests[key] = self.digest(rows)
            for area_id in pd.unique(self.frame["area_id"].iloc[rows]):
                members.setdefault(str(area_id), set()).add(key)
        return digests, members


def _fingerprints(dataset: Dataset, analysed: dict[date, Results], overview: Results | None,
                  dates: dict[str, asof.AsOf],
                  settings: dict[str, dict[str, Any]], *,
                  engine_version: str | None = None) -> dict[str, dict[str, str]]:
    """Each report's fingerprint (sha256) and its parts: data, notebook, code, environment, parameters.

    Data, for an area's report:
      - its rows in every raw table: areas, plans, inspections, indicators and reoffending by
        area_id; strands through their plan; milestones and progress through their strand;
        inspection scores and recommendations through their inspection;
      - its rows in every derived table (the Results as of its date, ``dates[key].date``), which also
        catches anything computed from the dataset as a whole (completeness says whether a table
        was given at all);
      - what its report shows about other areas: every funnel (measure, cohort) group the area
        is in (other areas' counts move the limits and the dots), every area's criterion scores
        under the frameworks it was inspected against (the comparison means on its criterion
        chart), every area's latest rating and comparison rows under each rated framework it was
        inspected against (its ranking among them), and its family groups' rows of the family
        comparison (carried by Results.for_area, though the area report does not show it today);
        and the strands that answer its recommendations, which may be in a region's plan (their
        titles and RAG).
    The overview's data is every row of every raw and derived table: it shows all areas.
    Row positions (source_row) are left out. Code is analysis/**.py, templates and frameworks;
    environment is the package version, Python, the installed versions of the package's
    dependencies and ``engine_version`` (Quarto's, when it renders); parameters are the report's
    as-of date (and the name of the other area whose plan gave it, which the report names) and the
    ``settings`` of its kind of report (threshold, formats, engine, data folder). A change to what
    the area report shows about other areas must be matched here.
    """
    tables = dataset.tables
    # Each raw row belongs to the area its plan, strand or inspection belongs to.
    raw = [_Rows(name, tables[name], area_column(dataset, name)) for name in sorted(tables)]
    views = {when: _derived_rows(results) for when, results in analysed.items()}
    overview_rows = _derived_rows(overview)[0] if overview is not None else {}
    within = _descendants(dataset.table("areas")) if overview is not None else {}
    code, environment = _code_digest(), _environment_digest(engine_version)
    notebooks: dict[Path, str] = {}
    out: dict[str, dict[str, str]] = {}
    names = _area_names(dataset)
    for key, found in dates.items():
        derived, shared, answering = views[found.date]
        data = hashlib.sha256()
        if key == OVERVIEW:
            for rows in (*raw, *overview_rows.values()):
                data.update(rows.digest())
        else:
            for rows in (*raw, *derived.values()):
                data.update(rows.area(key))
            for digests, members in shared:
                for group in sorted(members.get(key, ())):
                    data.update(digests[group])
            if key in answering:
                data.update(derived["strands_summary"].digest(answering[key]))
            for below in within.get(key, ()):  # its roll-up: each area within it at its own date
                for rows in (*raw, *overview_rows.values()):
                    data.update(rows.area(below))
        params = {**settings[OVERVIEW if key == OVERVIEW else "area"], "as_of": found.date.isoformat()}
        if found.area_id is not None and found.area_id != key:
            params["as_of_from"] = names.get(found.area_id, found.area_id)
        if key == OVERVIEW and overview is not None:  # the overview shows each area's own date
            params["area_dates"] = {area: day.isoformat()
                                    for area, day in sorted(overview.area_dates.items())}
        notebook = Path(params.pop("notebook"))
        if notebook not in notebooks:
            notebooks[notebook] = hashlib.sha256(notebook.read_bytes()).hexdigest()
        parts = {"data": data.hexdigest(), "notebook": notebooks[notebook], "code": code,
                 "environment": environment,
                 "parameters": hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()}
        whole = json.dumps({"scheme": FINGERPRINT_SCHEME, "report": key, **parts}, sort_keys=True)
        out[key] = {"fingerprint": hashlib.sha256(whole.encode()).hexdigest(), **parts}
    return out


def _descendants(areas: pd.DataFrame) -> dict[str, list[str]]:
    """Each area with areas below it -> all of them, sorted (report.areas_below)."""
    from .report import areas_below

    parents = {str(p) for p in areas["parent_id"].dropna() if str(p)}
    return {top: sorted(found) for top in parents if (found := areas_below(areas, top))}


def _derived_rows(results: Results) -> tuple[dict[str, _Rows], list, dict[str, np.ndarray]]:
    """One as-of date's derived tables hashed by area, the groups of rows areas share (funnels,
    frameworks, family groups) and the strands answering each area's recommendations."""
    derived = {name: _Rows(f"results.{name}", frame, frame["area_id"] if "area_id" in frame else None)
               for name, frame in results.tables().items()}
    shared = [derived["funnel"].groups(["measure", "cohort"]),
              derived["inspection_criteria"].groups(["framework"]),
              # A rated inspection's report ranks it among every area under its framework.
              derived["rating_comparison"].groups(["framework"]),
              derived["inspection_ratings"].groups(["framework"]),
              derived["inspection_family"].groups(["family_group"])]
    return derived, shared, _answering_strands(results)


def _answering_strands(results: Results) -> dict[str, np.ndarray]:
    """Positions in strands_summary of the strands answering each area's recommendations."""
    recs, strands = results.recommendations_status, results.strands_summary
    if recs.empty or strands.empty:
        return {}
    position = {s: i for i, s in enumerate(strands["strand_id"])}
    out: dict[str, np.ndarray] = {}
    for area_id, answered in recs.dropna(subset=["answered_by"]).groupby("area_id")["answered_by"]:
        ids = {s for value in answered for s in value.split(";")}
        out[str(area_id)] = np.array(sorted(position[s] for s in ids if s in position), dtype="int64")
    return out


def _code_digest(root: Path = PACKAGE_DIR) -> str:
    """sha256 over the package's Python sources, report templates and inspection frameworks."""
    digest = hashlib.sha256()
    files = sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                   and (p.suffix == ".py" or {"templates", "frameworks"} & set(p.relative_to(root).parts)))
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _environment_digest(engine_version: str | None = None) -> str:
    """sha256 of the package version, Python's, each installed dependency's version and, when Quarto
    renders, Quarto's."""
    found = {"python": sys.version, PACKAGE: _package_version()}
    if engine_version is not None:
        found["quarto"] = engine_version
    try:
        wanted = [r for r in requires(PACKAGE) or [] if "extra ==" not in r]
    except PackageNotFoundError:
        wanted = []
    for requirement in wanted:
        name = re.match(r"[A-Za-z0-9._-]+", requirement)
        if name:
            try:
                found[name.group(0).lower()] = version(name.group(0))
            except PackageNotFoundError:
                found[name.group(0).lower()] = "missing"
    return hashlib.sha256(json.dumps(found, sort_keys=True).encode()).hexdigest()


def _previous_entries(out_dir: Path) -> dict[str, dict[str, Any]]:
    """Report key -> its entry in the last build.json; empty when there is none or it is unreadable.

    Each entry also gets ``_written``, build.json's modification time (ns): a report file newer
    than that was written by a later build that never finished, so the entry does not vouch for it.
    """
    path = out_dir / "build.json"
    try:
        written = path.stat().st_mtime_ns
        manifest = json.loads(path.read_text(encoding="utf-8"))
        entries = [*manifest.get("areas", []), manifest.get("overview")]
        return {entry["area_id"]: {**entry, "_written": written} for entry in entries
                if isinstance(entry, dict)}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return {}


def _unchanged(job: _Job, entry: dict[str, Any] | None, inputs: dict[str, str]) -> AreaResult | None:
    """An "unchanged" result when the last build made this report from the same inputs and all
    its files are still there; None when it must be built (changed, failed last time, or missing).
    """
    if not entry or entry.get("status") not in ("built", "unchanged"):
        return None
    if entry.get("fingerprint") != inputs["fingerprint"]:
        old = entry.get("inputs") or {}
        changed = [part for part, value in inputs.items() if part != "fingerprint" and old.get(part) != value]
        log.info("%s: rebuilding, changed since the last build: %s", job.key, ", ".join(changed) or "all")
        return None
    files = (*job.outputs.values(), job.executed)
    missing = [path for path in files if not path.is_file()]
    if missing:
        log.info("%s: rebuilding, %s is missing", job.key, missing[0])
        return None
    newer = [path for path in files if path.stat().st_mtime_ns > entry.get("_written", 0)]
    if newer:
        log.info("%s: rebuilding, %s was written after build.json (an unfinished build)", job.key, newer[0])
        return None
    return AreaResult(job.key, job.name, "unchanged", job.engine, 0.0, outputs=dict(job.outputs),
                      executed=job.executed, made=dict(entry.get("made") or {}))


# ---------------------------------------------------------------------------------------------
# Parallel execution: worker processes, each job under a wall-clock deadline


def _execute_and_render(todo: list[_Job], *, jobs: int, timeout: float, progress: bool | None,
                        client: Any = None) -> dict[str, AreaResult]:
    """Run every job, here or (with a Dask ``client``) on the cluster.

    An unavailable engine fails its reports at once, without executing.
    """
    results: dict[str, AreaResult] = {}
    dates = {job.key: str(job.parameters.get("as_of", "")) for job in todo}
    with _reporter(len(todo), progress, dates) as report:
        runnable = []
        for job in todo:
            if job.engine == "quarto" and _engine_available() != "quarto":
                error = NotebookError("engine", "EngineUnavailable",
                                      "engine 'quarto' was asked for but quarto is not on PATH; "
                                      "install Quarto or use engine 'builtin' or 'auto'")
                results[job.key] = _fail(job, error, time.perf_counter())
                report(results[job.key])
            else:
                runnable.append(job)
        if runnable and client is not None:
            results.update(_run_dask(client, runnable, timeout=timeout, report=report))
        elif runnable:
            results.update(_run_pool(runnable, workers=min(jobs, len(runnable)), timeout=timeout,
                                     report=report))
    return results


# ---------------------------------------------------------------------------------------------
# The Dask executor: one task per report, each run like the local pool runs it


def _dask_client(address: str | None) -> Any:
    """A client of the Dask scheduler at ``address``; ValueError when it cannot be reached."""
    from distributed import Client

    try:
        return Client(address, set_as_default=False, timeout=_CONNECT_TIMEOUT)
    except (OSError, TimeoutError) as exc:
        raise ValueError(f"cannot reach the Dask scheduler at {address}: {exc}") from exc


def _run_dask(client: Any, todo: list[_Job], *, timeout: float,
              report: Callable[[AreaResult], None]) -> dict[str, AreaResult]:
    """Submit every job to the cluster and collect the results as they finish.

    Each task runs its job in a fresh subprocess under the same deadline as the local pool
    (`_run_isolated`), so a notebook's error, timeout or crash comes back as that area's failed
    result; a task that fails in Dask itself (its worker lost, the package missing there) fails
    only its own area. The workers must see the same file system as this process, the temp dir
    (TMPDIR) included: the snapshot is in the build's working folder there. Tasks not yet started
    when the build stops are cancelled; Dask cannot stop one that runs.
    """
    from distributed import as_completed

    submitted = time.perf_counter()
    futures = {client.submit(_run_isolated, job, timeout, key=f"workbook-{job.key}-{time.time_ns()}",
                             pure=False, retries=0): job for job in todo}
    results: dict[str, AreaResult] = {}
    try:
        for future in as_completed(futures, loop=client.loop):
            job = futures[future]
            try:
                result = future.result()
            except Exception as exc:  # noqa: BLE001 - recorded, and the other areas carry on
                log.warning("%s: the Dask task failed: %s: %s", job.key, type(exc).__name__, exc)
                result = _fail(job, NotebookError("worker", type(exc).__name__, str(exc)), submitted)
            results[job.key] = result
            report(result)
    finally:  # Ctrl-C, SIGTERM: no report starts writing into --out after the build has gone
        client.cancel([future for future in futures if not future.done()])
    return results


def _run_isolated(job: _Job, timeout: float) -> AreaResult:
    """Run one job on a Dask worker: in a child process with its deadline, as the local pool does.

    Dask workers are daemon processes, which multiprocessing will not let start children, so the
    child is started with subprocess (`_SubprocessContext`); the kernel it starts dies with it on
    a timeout, and a notebook that kills its parent kills the child, not the Dask worker.
    """
    results = _run_pool([job], workers=1, timeout=timeout, report=lambda result: None,
                        context=_SubprocessContext())
    return results[job.key]


class _SubprocessContext:
    """The parts of a multiprocessing context `_Worker` uses, with a plain subprocess as the process."""

    @staticmethod
    def Pipe() -> tuple[Connection, Connection]:  # noqa: N802 - the multiprocessing name
        ours, theirs = socket.socketpair()
        return Connection(ours.detach()), Connection(theirs.detach())

    @staticmethod
    def Process(target: Callable[..., None], args: tuple, name: str, daemon: bool) -> _Subprocess:  # noqa: N802
        return _Subprocess(*args)


class _Subprocess:
    """`python -c` running `_worker_main` over an inherited socket; quacks like multiprocessing.Process."""

    def __init__(self, conn: Connection, level: int, environ: dict[str, str]):
        self._conn, self._level, self._environ = conn, level, environ
        self._popen: subprocess.Popen | None = None
        self.sentinel = -1
        self.pid: int | None = None

    def start(self) -> None:
        fd = self._conn.fileno()
        # A pipe whose write end only the child holds: readable (EOF) once the child has exited.
        self.sentinel, write_end = os.pipe()
        code = "from analysis.build import _subprocess_main; _subprocess_main()"
        try:
            self._popen = subprocess.Popen([sys.executable, "-c", code, str(fd), str(self._level),
                                            str(os.getpid())], pass_fds=(fd, write_end), env=self._environ)
        finally:
            os.close(write_end)
        self.pid = self._popen.pid

    @property
    def exitcode(self) -> int | None:
        return None if self._popen is None else self._popen.poll()

    def is_alive(self) -> bool:
        return self._popen is not None and self._popen.poll() is None

    def kill(self) -> None:
        if self.is_alive():
            self._popen.kill()

    def join(self, timeout: float | None = None) -> None:
        if self._popen is None:
            return
        try:
            self._popen.wait(timeout)
        except subprocess.TimeoutExpired:
            return
        if self.sentinel >= 0:
            os.close(self.sentinel)
            self.sentinel = -1


def _subprocess_main() -> None:
    """Entry point of a `_Subprocess`: argv holds the socket's descriptor, the log level and our parent.

    Tied to the Dask worker's thread that started it, which waits for it: a Dask worker that
    dies (or is killed) takes this process and its kernel with it.
    """
    parent = int(sys.argv[3])
    workspace.die_with_parent(lambda: os.getppid() == parent)
    import papermill  # noqa: F401 - imported before reporting ready, as the forkserver preloads it

    from . import render  # noqa: F401
    _worker_main(Connection(int(sys.argv[1])), int(sys.argv[2]), dict(os.environ))


class _Worker:
    """A worker process fed jobs through a pipe; killed with its kernel when a job overruns."""

    def __init__(self, context: Any, workdir: Path | None = None):
        self.conn, child = context.Pipe()
        level = logging.getLogger().getEffectiveLevel()
        environ = workspace.worker_environ(workdir)
        self.process = context.Process(target=_worker_main, args=(child, level, environ),
                                       name="workbook-build", daemon=True)
        self.process.start()
        child.close()
        self.ready = False
        self.job: _Job | None = None
        self.phase = ""
        self.started = 0.0
        self.deadline = math.inf

    def start(self, job: _Job, timeout: float) -> None:
        self.conn.send(job)
        self.job, self.phase = job, "execute"
        self.started = time.perf_counter()
        self.deadline = time.monotonic() + timeout

    def finish(self) -> None:
        self.job, self.phase, self.deadline = None, "", math.inf

    def ask_to_stop(self) -> None:
        if self.job is None and self.process.is_alive():
            try:
                self.conn.send(None)
            except OSError:
                pass

    def stop(self) -> None:
        """Wait for a worker asked to stop; kill it (and anything it started) if it will not."""
        if self.job is None:
            self.process.join(_GRACE)
        self.kill()

    def kill(self) -> None:
        workspace.kill_tree(self.process, grace=_GRACE)
        self.conn.close()


def _run_pool(todo: list[_Job], *, workers: int, timeout: float, report: Callable[[AreaResult], None],
              context: Any = None) -> dict[str, AreaResult]:
    """Run jobs on ``workers`` worker processes, each job under a wall-clock deadline."""
    if context is None:
        context = multiprocessing.get_context(_START_METHOD)
        if _START_METHOD == "forkserver":
            # Import what every job needs once in the server, not once per worker; first, the
            # module that ties the server's life to ours (see analysis/_forkserver.py).
            context.set_forkserver_preload(["analysis._forkserver", __name__, "papermill", "analysis.render"])
    queue = deque(todo)
    results: dict[str, AreaResult] = {}
    workdir = todo[0].workdir if todo else None
    pool = [_Worker(context, workdir) for _ in range(workers)]

    def record(worker: _Worker, result: AreaResult) -> None:
        results[result.area_id] = result
        worker.finish()
        report(result)

    try:
        while len(results) < len(todo):
            for worker in pool:
                if worker.ready and worker.job is None and queue:
                    worker.start(queue.popleft(), timeout)
            busy = [w.deadline for w in pool if w.job is not None]
            wait_for = max(0.0, min(busy) - time.monotonic()) if busy else None
            wait([w.conn for w in pool] + [w.process.sentinel for w in pool], timeout=wait_for)
            for worker in list(pool):
                if _drain(worker, timeout, record) and not _overran(worker, timeout, record):
                    continue
                if worker.job is not None:  # it died mid-job: a crash, or killed from outside
                    job = worker.job
                    worker.kill()
                    code = worker.process.exitcode
                    how = f"was killed by signal {-code}" if code and code < 0 else f"exited ({code})"
                    error = NotebookError("worker", "WorkerDied",
                                          f"the worker process {how} while running the notebook",
                                          *_failing_cell(job.scratch))
                    record(worker, _fail(job, error, worker.started))
                elif not worker.ready:
                    raise RuntimeError(f"a build worker could not start (exit code "
                                       f"{worker.process.exitcode}); see the messages above")
                worker.kill()
                pool.remove(worker)
                if queue:
                    pool.append(_Worker(context, workdir))
    finally:
        for worker in pool:
            worker.ask_to_stop()
        for worker in pool:
            worker.stop()
    return results


def _drain(worker: _Worker, timeout: float, record: Callable[[_Worker, AreaResult], None]) -> bool:
    """Handle every message waiting from a worker; False when the worker has gone."""
    if worker.conn.closed:
        return False
    try:
        while worker.conn.poll():
            message = worker.conn.recv()
            if message[0] == "ready":
                worker.ready = True
            elif message[0] == "render" and worker.job is not None:
                worker.phase, worker.deadline = "render", time.monotonic() + timeout
            elif message[0] == "done":
                record(worker, message[1])
    except (EOFError, OSError):
        return False
    return worker.process.is_alive()


def _overran(worker: _Worker, timeout: float, record: Callable[[_Worker, AreaResult], None]) -> bool:
    """Kill a worker whose job is past its deadline (with its kernel) and record the timeout."""
    if worker.job is None or time.monotonic() <= worker.deadline:
        return False
    job, phase = worker.job, worker.phase
    log.warning("%s: %s did not finish within %g s; killing its worker and kernel", job.key,
                "rendering" if phase == "render" else "the notebook", timeout)
    worker.kill()
    record(worker, _fail(job, _timeout_error(job, phase, timeout), worker.started))
    return True


def _timeout_error(job: _Job, phase: str, timeout: float) -> NotebookError:
    if phase == "render":
        return NotebookError("timeout", "TimeoutError", f"rendering took longer than {timeout:g} s")
    return NotebookError("timeout", "TimeoutError",
                         f"the notebook did not finish within {timeout:g} s and was stopped",
                         *_failing_cell(job.scratch))


# ---------------------------------------------------------------------------------------------
# In the worker process: execute with papermill, then render


def _worker_main(conn: Connection, level: int, environ: dict[str, str]) -> None:
    """Worker loop: report ready, then run each job sent until told to stop (None)."""
    # Killed by the OS when the build (or the forkserver, which dies with the build) does.
    workspace.die_with_parent(workspace.parent_alive)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and kills us
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the build's handler, inherited under "fork"
    os.environ.clear()  # the caller's environment now (PATH finds quarto), not the server's
    os.environ.update(environ)
    tempfile.tempdir = None  # gettempdir() reads TMPDIR again: the build's working folder
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    for noisy in ("papermill", "traitlets", "nbconvert"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    conn.send(("ready",))
    while True:
        try:
            job = conn.recv()
        except EOFError:
            return
        if job is None:
            return
        conn.send(("done", _run_job(job, lambda phase: conn.send((phase,)))))


def _run_job(job: _Job, notify: Callable[[str], None] = lambda phase: None) -> AreaResult:
    """Execute the notebook then render it; every failure becomes a failed AreaResult."""
    started = time.perf_counter()
    try:
        _execute(job)
    except Exception as exc:  # noqa: BLE001 - recorded, and the other areas carry on
        return _fail(job, _execution_error(exc, job.scratch), started)
    try:
        _publish(job.scratch, job.executed, job.out)
    except (OSError, ValueError) as exc:  # a full disk, or a link put in our way
        reason = f"could not write {job.executed}: {exc.strerror}" if isinstance(exc, OSError) else str(exc)
        return _fail(job, NotebookError("write", type(exc).__name__, reason), started)
    job.failed.unlink(missing_ok=True)
    notify("render")
    try:
        if job.out is not None:
            workspace.refuse_links(job.out, job.outputs.values())
        warnings = _render(job)
    except Exception as exc:  # noqa: BLE001
        log.warning("%s: rendering failed: %s: %s", job.key, type(exc).__name__, exc)
        return _fail(job, NotebookError("render", type(exc).__name__, str(exc)), started)
    for path in job.stale:
        if path not in job.outputs.values():
            path.unlink(missing_ok=True)
    return AreaResult(job.key, job.name, "built", job.engine, time.perf_counter() - started,
                      outputs=dict(job.outputs), executed=job.executed, warnings=warnings)


def _execute(job: _Job, execute: Callable[..., Any] | None = None) -> None:
    """Run the notebook with papermill into the scratch path; retry once if the kernel fails to start."""
    if execute is None:
        import papermill

        execute = papermill.execute_notebook
    root = job.workdir if job.workdir is not None and job.workdir.is_dir() else None
    kernel_log = job.scratch.with_suffix(".kernel.log")
    with workspace.kernel_sockets(root) as sockets:
        for attempt in (1, 2):
            job.scratch.unlink(missing_ok=True)
            kernel_log.unlink(missing_ok=True)
            try:
                execute(
                    str(job.notebook),
                    str(job.scratch),
                    parameters=job.parameters,
                    kernel_name="python3",
                    execution_timeout=math.ceil(job.timeout),  # an int; our deadline is exact
                    cwd=str(job.notebook.parent),
                    progress_bar=False,
                    log_output=False,
                    # The kernel's own log ("running over TCP without encryption", the harmless
                    # KeyboardInterrupt at shutdown) would scatter over the progress bar; cell
                    # errors are still captured in the notebook and reported.
                    extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
                    kernel_manager_class=workspace.kernel_manager_class(),  # its kernel dies with us
                    **workspace.kernel_config(sockets, attempt, kernel_log),
                )
                return
            except Exception as exc:
                said = _kernel_said(kernel_log) if _is_kernel_death(exc) else ""
                if attempt == 1 and _is_kernel_start_failure(exc):
                    log.warning("%s: kernel failed to start (%s); retrying once%s", job.key,
                                " ".join(str(exc).split())[:200], said)
                    continue
                if said:
                    log.warning("%s: the kernel died%s", job.key, said)
                raise
            finally:
                kernel_log.unlink(missing_ok=True)


def _is_kernel_death(exc: BaseException) -> bool:
    return _is_kernel_start_failure(exc) or type(exc).__name__ == "DeadKernelError"


def _kernel_said(kernel_log: Path, lines: int = 20) -> str:
    """The end of a kernel's own output, to say why it died ("" when it said nothing)."""
    try:
        text = kernel_log.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return ""
    return "; it wrote:\n  " + "\n  ".join(text.splitlines()[-lines:]) if text else ""


def _is_kernel_start_failure(exc: BaseException) -> bool:
    """A ZMQ error, or the kernel dying or not answering before the first cell ran."""
    seen: BaseException | None = exc
    while seen is not None:
        if type(seen).__name__ == "ZMQError" or any(text in str(seen) for text in _KERNEL_START):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _execution_error(exc: Exception, partial: Path) -> NotebookError:
    cell, count = _failing_cell(partial)
    ename, evalue = getattr(exc, "ename", None), getattr(exc, "evalue", None)
    if ename is None:
        ename, evalue = type(exc).__name__, " ".join(str(exc).split())[:2000]
    return NotebookError("execute", str(ename), str(evalue), cell, count)


def _failing_cell(partial: Path) -> tuple[int | None, int | None]:
    """(index in the notebook as written, execution count) of the cell that failed or was running."""
    import nbformat

    try:
        nb = nbformat.read(partial, as_version=4)
    except Exception:  # noqa: BLE001 - missing, or cut off mid-write when its kernel was killed
        return None, None
    cells = [c for c in nb.cells if not _MARKER_TAGS & set(c.get("metadata", {}).get("tags", []))]
    started = None  # a dead kernel leaves no error: then the last cell that started is the one
    for index, cell in enumerate(cells):
        state = cell.get("metadata", {}).get("papermill", {})
        has_error = any(out.get("output_type") == "error" for out in cell.get("outputs", []))
        if has_error or state.get("exception") or state.get("status") in ("failed", "running"):
            return index, cell.get("execution_count")
        if state.get("start_time"):
            started = index, cell.get("execution_count")
    return started or (None, None)


def _tables_name(key: str) -> str:
    from .spreadsheets import OVERVIEW_FILE, area_workbook_name

    return OVERVIEW_FILE if key == OVERVIEW else area_workbook_name(key)


def _write_tables(job: _Job) -> None:
    """The accessible spreadsheet of every table behind the report (gptables), from the snapshot."""
    from .spreadsheets import write_area_workbook, write_overview_workbook

    if job.snapshot is None:
        raise RuntimeError("no snapshot to write the report's tables from")
    with open(job.snapshot, "rb") as file:
        content = pickle.load(file)  # written by this build into a folder it owns
    dataset = content["dataset"]
    if job.key == OVERVIEW:
        write_overview_workbook(content["overview"], dataset, job.outputs["xlsx"])
    else:
        results = content["results"][date.fromisoformat(job.parameters["as_of"])]
        write_area_workbook(results, dataset, job.key, job.outputs["xlsx"])


def _render(job: _Job) -> list[str]:
    """Write the job's outputs; return the renderer's warnings (Quarto's, kept for build.json)."""
    from . import quarto, render
    from .report_options import read_options

    options = read_options()
    meta = {"title": job.title, "subtitle": job.subtitle, "stamp": job.stamp, "options": options}
    warnings: list[str] = []
    for fmt, out in job.outputs.items():
        if fmt == "xlsx":
            _write_tables(job)
        elif job.engine == "quarto":
            done = quarto.render_with_quarto(job.executed, out, _QUARTO_FORMAT[fmt], timeout=job.timeout,
                                             date=job.parameters.get("as_of"), **meta)
            warnings += [f"{fmt}: {warning}" for warning in done.warnings]
        elif fmt == "html":
            render.render_html(job.executed, out, **meta)
        else:
            render.render_pdf(job.executed, out, **meta)
    return warnings


def _publish(source: Path, target: Path, root: Path | None = None) -> None:
    """Copy a finished file onto its final name atomically, never through a link below ``root``."""
    if root is not None:
        workspace.refuse_links(root, [target])
    with atomic_path(target) as tmp:
        shutil.copyfile(source, tmp)


def _fail(job: _Job, error: NotebookError, started: float) -> AreaResult:
    """Keep the partial notebook under _failed/ and remove every output that would look current.

    Best effort on a full disk (the failure is recorded all the same), and nothing at all below
    a link in --out: a removal through it would delete someone else's file.
    """
    if job.out is not None and workspace.linked(job.out, [job.executed, job.failed, *job.stale]):
        return AreaResult(job.key, job.name, "failed", job.engine, time.perf_counter() - started, error=error)
    executed = job.executed if error.stage == "render" and job.executed.is_file() else None
    if error.stage != "render":  # else the notebook ran; only its reports are missing
        job.executed.unlink(missing_ok=True)
        try:
            if job.scratch.is_file():
                _publish(job.scratch, job.failed)
                log.warning("%s: partial notebook kept in %s", job.key, job.failed)
            else:
                job.failed.unlink(missing_ok=True)
        except OSError as exc:
            log.warning("%s: could not keep the partial notebook: %s", job.key, exc)
        job.scratch.unlink(missing_ok=True)
    for path in job.stale:
        path.unlink(missing_ok=True)
    _remove_temps(job)
    return AreaResult(job.key, job.name, "failed", job.engine, time.perf_counter() - started,
                      executed=executed, error=error)


def _remove_temps(job: _Job) -> None:
    """Temp files a killed worker could not clean up: atomic writes and Quarto's work folders."""
    for path in (*job.stale, job.executed, job.failed):
        for tmp in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
            tmp.unlink(missing_ok=True)
    folder = job.stale[0].parent
    for work in folder.glob(".quarto-*") if folder.is_dir() else ():
        shutil.rmtree(work, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# Progress, index.html and build.json


@contextmanager
def _reporter(total: int, progress: bool | None,
              dates: dict[str, str] | None = None) -> Iterator[Callable[[AreaResult], None]]:
    """A rich progress bar on a terminal, else a log line per finished report (with its as-of date
    from ``dates``, report key -> ISO date)."""
    if progress is None:
        progress = sys.stdout.isatty()

    def line(result: AreaResult) -> str:
        when = f" as of {dates[result.area_id]}" if dates and result.area_id in dates else ""
        if result.ok:
            return f"{result.area_id}: built{when} in {result.seconds:.1f} s"
        return f"{result.area_id}: FAILED{when} after {result.seconds:.1f} s - {result.error.summary()}"

    if not progress:
        def log_line(result: AreaResult) -> None:
            (log.info if result.ok else log.warning)("%s", line(result))

        yield log_line
        return
    columns = (TextColumn("[progress.description]{task.description}"), BarColumn(),
               MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns) as bar:
        task = bar.add_task("Building reports", total=total)

        def advance(result: AreaResult) -> None:
            bar.console.print(("[green]" if result.ok else "[red]") + escape(line(result)),
                              markup=True, highlight=False)
            bar.advance(task)

        yield advance


def _relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def _record(result: BuildResult, *, jobs: int, timeout: float, states: AreaStates | None = None) -> None:
    """build.json, then index.html; an OSError (a full disk) names the file, after trying both."""
    failure: OSError | None = None
    for path, write in ((result.manifest, lambda: _write_manifest(result, jobs=jobs, timeout=timeout)),
                        (result.index, lambda: _write_index(result, states))):
        try:
            write()
        except OSError as exc:
            failure = failure or OSError(exc.errno, f"could not write {path}: {exc.strerror or exc}")
    if failure is not None:
        raise failure


def _write_manifest(result: BuildResult, *, jobs: int, timeout: float) -> None:
    def entry(report: AreaResult) -> dict[str, Any]:
        error = report.error
        return {
            "area_id": report.area_id,
            "name": report.name,
            "status": report.status,
            "engine": report.engine,
            "seconds": round(report.seconds, 2),
            "executed": _relative(report.executed, result.out_dir) if report.executed else None,
            "outputs": {fmt: _relative(path, result.out_dir) for fmt, path in report.outputs.items()},
            "fingerprint": report.fingerprint,
            "inputs": {k: v for k, v in report.inputs.items() if k != "fingerprint"},
            "made": report.made or None,
            "as_of": report.as_of.isoformat() if report.as_of else None,
            "warnings": report.warnings,
            "error": None if error is None else {
                "stage": error.stage, "ename": error.ename, "evalue": error.evalue,
                "cell": error.cell, "execution_count": error.execution_count,
                "partial_notebook": f"{FAILED_DIR}/{report.area_id}.ipynb"
                if (result.out_dir / FAILED_DIR / f"{report.area_id}.ipynb").is_file() else None,
            },
        }

    manifest = {
        "package": PACKAGE,
        "version": result.version,
        "commit": result.commit,
        # The date given for every report (--as-of); null: each report's own, in its entry.
        "as_of": result.as_of.isoformat() if result.as_of is not None else None,
        "data_dir": str(result.data_dir),
        "engine": result.engine,
        "engine_version": result.engine_version,
        "formats": list(result.formats),
        "threshold": result.threshold,
        # The statistical methods other than the defaults ("" for none), as --method gave them.
        "methods": result.methods,
        "executor": result.executor,
        "jobs": jobs,
        "timeout_seconds": timeout,
        "started": result.started.isoformat(timespec="seconds"),
        "finished": result.finished.isoformat(timespec="seconds"),
        "ok": result.ok,
        "note": "A failed report's HTML and PDF are removed, so any report present is complete; "
                "a failed notebook's partial run is in _failed/. A report whose fingerprint (data, "
                "notebook, code, environment, parameters) matches its last successful build is "
                "skipped: status 'unchanged', its files and 'made' from that build.",
        "areas": [entry(report) for report in result.areas],
        "overview": entry(result.overview) if result.overview is not None else None,
    }
    atomic_write_text(result.manifest, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")


def _write_index(result: BuildResult, states: AreaStates | None = None) -> None:
    """index.html (analysis.index): every report grouped nation -> region -> area, what failed and why."""
    atomic_write_text(result.index, index_page(result, states))
