"""Build every area's report: validate once, execute the notebooks in parallel, render, index."""

from __future__ import annotations

import glob
import html
import json
import logging
import math
import multiprocessing
import os
import re
import shutil
import signal
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from importlib.metadata import PackageNotFoundError, version
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

import nbformat
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from . import contract, render
from .files import atomic_path, atomic_write_text
from .loader import DataInvalid, load_dataset

__all__ = [
    "AREA_NOTEBOOK",
    "ENGINES",
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
FORMATS = ("html", "pdf")
OVERVIEW = "overview"
EXECUTED_DIR = "_executed"
FAILED_DIR = "_failed"
AREA_PARAMETERS = ("data_dir", "area_id", "as_of")
OVERVIEW_PARAMETERS = ("data_dir", "as_of")
PACKAGE = "reoffending-workbook"

_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
_QUARTO_FORMAT = {"html": "html", "pdf": "typst"}
_MARKER_TAGS = {"injected-parameters", "papermill-error-cell-tag"}
_PORT_RACE = ("Address already in use", "Kernel died before replying to kernel_info")
# Workers fork from a clean server process that has imported this module once (fast start, no
# inherited threads or locks); "spawn" where there is no forkserver. Tests may use "fork".
_START_METHOD = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
_GRACE = 5.0  # seconds to let a worker or kernel exit before it is killed


@dataclass(frozen=True)
class NotebookError:
    """Why a report failed: the stage, the error and (when known) the failing notebook cell.

    ``cell`` is the 0-based index of the cell in the notebook as written (papermill's injected
    parameters cell not counted); ``execution_count`` is the ``In [n]`` number.
    """

    stage: str  # "execute", "timeout", "worker", "render" or "engine"
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
    status: str  # "built" or "failed"
    engine: str
    seconds: float
    outputs: dict[str, Path] = field(default_factory=dict)
    executed: Path | None = None
    error: NotebookError | None = None

    @property
    def ok(self) -> bool:
        return self.status == "built"


@dataclass
class BuildResult:
    """Everything one build did: the reports, the settings and where the files went."""

    out_dir: Path
    data_dir: Path
    as_of: date
    engine: str
    formats: tuple[str, ...]
    areas: list[AreaResult]
    overview: AreaResult | None
    version: str
    commit: str
    started: datetime
    finished: datetime

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
    parameters: dict[str, str]
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
    area_notebook: Path = AREA_NOTEBOOK,
    overview_notebook: Path | None = OVERVIEW_NOTEBOOK,
    progress: bool | None = None,
) -> BuildResult:
    """Validate the data once, execute and render one report per area plus the overview, index them.

    Raises DataInvalid (nothing written) when the data break the contract, ValueError for unknown
    areas or bad settings and FileNotFoundError for a missing notebook. A failing area is recorded
    in the result, index.html and build.json while the other areas carry on.
    """
    started = datetime.now(UTC)
    formats = _check_settings(formats, jobs, engine, timeout)
    data_dir, out_dir = Path(data_dir).resolve(), Path(out_dir).resolve()
    as_of = as_of or contract.today()
    names = _validate(data_dir)
    selected = _select_areas(names, areas, overview=overview_notebook is not None)
    _check_notebook(area_notebook, AREA_PARAMETERS)
    if overview_notebook is not None:
        _check_notebook(overview_notebook, OVERVIEW_PARAMETERS)
    chosen = render.engine_available() if engine == "auto" else engine
    version_, commit = _package_version(), _git_commit()
    log.info("Building %d area reports as of %s with the %s engine, %d jobs", len(selected),
             as_of.isoformat(), chosen, jobs)

    out_dir.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".build-", dir=out_dir))
    try:
        todo = [
            _job(area_id, names[area_id], area_notebook, data_dir, out_dir, scratch, as_of, formats,
                 chosen, timeout, version_, commit)
            for area_id in selected
        ]
        if overview_notebook is not None:
            todo.append(_job(OVERVIEW, "Overview", overview_notebook, data_dir, out_dir, scratch,
                             as_of, formats, chosen, timeout, version_, commit))
        done = _execute_and_render(todo, jobs=jobs, timeout=timeout, progress=progress)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    result = BuildResult(
        out_dir=out_dir, data_dir=data_dir, as_of=as_of, engine=chosen, formats=formats,
        areas=[done[area_id] for area_id in selected],
        overview=done.get(OVERVIEW) if overview_notebook is not None else None,
        version=version_, commit=commit, started=started, finished=datetime.now(UTC),
    )
    _write_index(result)
    _write_manifest(result, jobs=jobs, timeout=timeout)
    log.info("Built %d of %d reports in %s", sum(r.ok for r in result.reports), len(result.reports),
             out_dir)
    return result


def summary_table(result: BuildResult) -> Table:
    """A rich table of the reports: status, engine, seconds and outputs or the error."""
    built = sum(report.ok for report in result.reports)
    table = Table(title=f"{built} of {len(result.reports)} reports built as of "
                        f"{result.as_of.isoformat()} in {result.out_dir}", title_justify="left")
    table.add_column("report")
    table.add_column("name")
    table.add_column("status")
    table.add_column("engine")
    table.add_column("seconds", justify="right")
    table.add_column("outputs or error", overflow="fold")
    for report in result.reports:
        if report.ok:
            folders = {_relative(path.parent, result.out_dir) for path in report.outputs.values()}
            detail = f"{', '.join(report.outputs)} in {', '.join(sorted(folders))}/"
            status = "[green]built[/]"
        else:
            detail = report.error.summary() if report.error else "failed"
            status = "[red]failed[/]"
        table.add_row(report.area_id, report.name, status, report.engine, f"{report.seconds:.1f}",
                      detail)
    return table


# ---------------------------------------------------------------------------------------------
# Checks before anything is written


def _check_settings(formats: Sequence[str], jobs: int, engine: str, timeout: float) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys([formats] if isinstance(formats, str) else formats))
    if not chosen or any(fmt not in FORMATS for fmt in chosen):
        raise ValueError(f"formats must be a non-empty selection of {list(FORMATS)}, not {list(formats)}")
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {list(ENGINES)}, not {engine!r}")
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, not {jobs}")
    if not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds, not {timeout}")
    return chosen


def _validate(data_dir: Path) -> dict[str, str]:
    """Load and check the data once; return area id -> name, or raise DataInvalid.

    Future cohorts are checked against today, not the report's as-of date (as `validate` does).
    """
    dataset = load_dataset(data_dir)
    if dataset.errors:
        raise DataInvalid(dataset.errors)
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


def _check_notebook(notebook: Path, required: Sequence[str]) -> None:
    """The notebook exists and its `parameters` cell declares every parameter we pass."""
    import papermill

    if not Path(notebook).is_file():
        raise FileNotFoundError(f"notebook {notebook} does not exist")
    declared = papermill.inspect_notebook(str(notebook))
    missing = [name for name in required if name not in declared]
    if missing:
        raise ValueError(f"{notebook} has no `parameters` cell setting {', '.join(missing)}")


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
         commit: str) -> _Job:
    if not _SLUG.fullmatch(key):  # never a path from an unchecked id
        raise ValueError(f"{key!r} is not usable in a file name")
    parameters = {"data_dir": str(data_dir), "as_of": as_of.isoformat()}
    if key != OVERVIEW:
        parameters["area_id"] = key
    folder = out_dir / key
    what = f"area {key}" if key != OVERVIEW else OVERVIEW
    return _Job(
        key=key,
        name=name,
        notebook=Path(notebook).resolve(),
        parameters=parameters,
        scratch=scratch / f"{key}.ipynb",
        executed=out_dir / EXECUTED_DIR / f"{key}.ipynb",
        failed=out_dir / FAILED_DIR / f"{key}.ipynb",
        outputs={fmt: folder / f"{key}.{fmt}" for fmt in formats},
        stale=tuple(folder / f"{key}.{fmt}" for fmt in FORMATS),
        engine=engine,
        title=f"{name} – reducing reoffending report",
        subtitle=f"As of {as_of.day} {as_of:%B %Y}",
        stamp=f"reoffending-workbook {version_} · commit {commit} · {what} · as of "
              f"{as_of.isoformat()} · data {data_dir.name}",
        timeout=timeout,
    )


# ---------------------------------------------------------------------------------------------
# Parallel execution: worker processes, each job under a wall-clock deadline


def _execute_and_render(todo: list[_Job], *, jobs: int, timeout: float,
                        progress: bool | None) -> dict[str, AreaResult]:
    """Run every job; an unavailable engine fails its reports at once, without executing."""
    results: dict[str, AreaResult] = {}
    with _reporter(len(todo), progress) as report:
        runnable = []
        for job in todo:
            if job.engine == "quarto" and render.engine_available() != "quarto":
                error = NotebookError("engine", "EngineUnavailable",
                                      "engine 'quarto' was asked for but quarto is not on PATH; "
                                      "install Quarto or use engine 'builtin' or 'auto'")
                results[job.key] = _fail(job, error, time.perf_counter())
                report(results[job.key])
            else:
                runnable.append(job)
        if runnable:
            results.update(_run_pool(runnable, workers=min(jobs, len(runnable)), timeout=timeout,
                                     report=report))
    return results


class _Worker:
    """A worker process fed jobs through a pipe; killed with its kernel when a job overruns."""

    def __init__(self, context: Any):
        self.conn, child = context.Pipe()
        level = logging.getLogger().getEffectiveLevel()
        self.process = context.Process(target=_worker_main, args=(child, level, dict(os.environ)),
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
        _kill_tree(self.process)
        self.conn.close()


def _run_pool(todo: list[_Job], *, workers: int, timeout: float,
              report: Callable[[AreaResult], None]) -> dict[str, AreaResult]:
    context = multiprocessing.get_context(_START_METHOD)
    if _START_METHOD == "forkserver":
        context.set_forkserver_preload([__name__])
    queue = deque(todo)
    results: dict[str, AreaResult] = {}
    pool = [_Worker(context) for _ in range(workers)]

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
                    pool.append(_Worker(context))
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


def _kill_tree(process: Any) -> None:
    """Kill a worker and every process it started (a kernel runs in its own session)."""
    import psutil

    try:
        children = psutil.Process(process.pid).children(recursive=True)
    except (psutil.NoSuchProcess, ValueError, TypeError):
        children = []
    if process.is_alive():
        process.kill()
    for child in children:
        try:
            child.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(children, timeout=_GRACE)
    process.join(_GRACE)


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
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and kills us
    os.environ.clear()  # the caller's environment now (PATH finds quarto), not the server's
    os.environ.update(environ)
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
    _publish(job.scratch, job.executed)
    job.failed.unlink(missing_ok=True)
    notify("render")
    try:
        _render(job)
    except Exception as exc:  # noqa: BLE001
        log.warning("%s: rendering failed: %s: %s", job.key, type(exc).__name__, exc)
        return _fail(job, NotebookError("render", type(exc).__name__, str(exc)), started)
    for path in job.stale:
        if path not in job.outputs.values():
            path.unlink(missing_ok=True)
    return AreaResult(job.key, job.name, "built", job.engine, time.perf_counter() - started,
                      outputs=dict(job.outputs), executed=job.executed)


def _execute(job: _Job, execute: Callable[..., Any] | None = None) -> None:
    """Run the notebook with papermill into the scratch path; retry once on a kernel port race."""
    if execute is None:
        import papermill

        execute = papermill.execute_notebook
    for attempt in (1, 2):
        job.scratch.unlink(missing_ok=True)
        try:
            execute(
                str(job.notebook),
                str(job.scratch),
                parameters=job.parameters,
                kernel_name="python3",
                execution_timeout=job.timeout,
                cwd=str(job.notebook.parent),
                progress_bar=False,
                log_output=False,
                # The kernel's own log ("running over TCP without encryption", the harmless
                # KeyboardInterrupt at shutdown) would scatter over the progress bar; cell errors
                # are still captured in the notebook and reported.
                extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
            )
            return
        except Exception as exc:
            if attempt == 1 and _is_port_race(exc):
                log.warning("%s: kernel start failed (%s); retrying once", job.key, exc)
                continue
            raise


def _is_port_race(exc: BaseException) -> bool:
    """A ZMQ 'address already in use' (or the kernel dying before it answered) at kernel start."""
    seen: BaseException | None = exc
    while seen is not None:
        if type(seen).__name__ == "ZMQError" or any(text in str(seen) for text in _PORT_RACE):
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


def _render(job: _Job) -> None:
    meta = {"title": job.title, "subtitle": job.subtitle, "stamp": job.stamp}
    for fmt, out in job.outputs.items():
        if job.engine == "quarto":
            render.render_with_quarto(job.executed, out, _QUARTO_FORMAT[fmt], timeout=job.timeout, **meta)
        elif fmt == "html":
            render.render_html(job.executed, out, **meta)
        else:
            render.render_pdf(job.executed, out, **meta)


def _publish(source: Path, target: Path) -> None:
    """Copy a finished file onto its final name atomically."""
    with atomic_path(target) as tmp:
        shutil.copyfile(source, tmp)


def _fail(job: _Job, error: NotebookError, started: float) -> AreaResult:
    """Keep the partial notebook under _failed/ and remove every output that would look current."""
    executed: Path | None = None
    if error.stage == "render":
        executed = job.executed  # the notebook ran; only its reports are missing
    else:
        job.executed.unlink(missing_ok=True)
        if job.scratch.is_file():
            _publish(job.scratch, job.failed)
            job.scratch.unlink(missing_ok=True)
            log.warning("%s: partial notebook kept in %s", job.key, job.failed)
        else:
            job.failed.unlink(missing_ok=True)
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
def _reporter(total: int, progress: bool | None) -> Iterator[Callable[[AreaResult], None]]:
    """A rich progress bar on a terminal, else a log line per finished report."""
    if progress is None:
        progress = sys.stdout.isatty()

    def line(result: AreaResult) -> str:
        if result.ok:
            return f"{result.area_id}: built in {result.seconds:.1f} s"
        return f"{result.area_id}: FAILED after {result.seconds:.1f} s - {result.error.summary()}"

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
            bar.console.print(("[green]" if result.ok else "[red]") + line(result), markup=True,
                              highlight=False)
            bar.advance(task)

        yield advance


def _relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


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
        "as_of": result.as_of.isoformat(),
        "data_dir": str(result.data_dir),
        "engine": result.engine,
        "formats": list(result.formats),
        "jobs": jobs,
        "timeout_seconds": timeout,
        "started": result.started.isoformat(timespec="seconds"),
        "finished": result.finished.isoformat(timespec="seconds"),
        "ok": result.ok,
        "note": "A failed report's HTML and PDF are removed, so any report present is complete "
                "and from this build; a failed notebook's partial run is in _failed/.",
        "areas": [entry(report) for report in result.areas],
        "overview": entry(result.overview) if result.overview is not None else None,
    }
    atomic_write_text(result.manifest, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")


_INDEX_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:2rem auto;
max-width:60rem;padding:0 1rem;color:#1b1b1b;line-height:1.5}
table{border-collapse:collapse;width:100%}caption{text-align:left;font-weight:600;padding:.5rem 0}
th,td{border-bottom:1px solid #ccc;padding:.4rem .6rem;text-align:left;vertical-align:top}
.built{color:#16722f}.failed{color:#a3161a;font-weight:600}footer{margin-top:2rem;color:#555;
font-size:.9rem}a{color:#12436d}a:focus{outline:3px solid #f9a800}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);
white-space:nowrap}
""".strip()


def _links(report: AreaResult, root: Path) -> str:
    if not report.ok:
        return "none"
    return " ".join(
        f'<a href="{html.escape(_relative(path, root), quote=True)}">{fmt.upper()}'
        f'<span class="visually-hidden"> report for {html.escape(report.name)}</span></a>'
        for fmt, path in report.outputs.items()
    )


def _status(report: AreaResult) -> str:
    if report.ok:
        return '<span class="built">built</span>'
    summary = report.error.summary() if report.error else "failed"
    return f'<span class="failed">failed</span>: {html.escape(summary)}'


def _write_index(result: BuildResult) -> None:
    """index.html: one self-contained page linking every report, with what failed and why."""
    esc = html.escape
    root = result.out_dir
    rows = "\n".join(
        f"<tr><th scope=\"row\">{esc(r.name)}</th><td>{esc(r.area_id)}</td><td>{_status(r)}</td>"
        f"<td>{_links(r, root)}</td></tr>"
        for r in result.areas
    )
    overview = ""
    if result.overview is not None:
        ov = result.overview
        overview = (f"<h2>Overview</h2>\n<p>All areas: {_links(ov, root)}"
                    f"{'' if ov.ok else ' (' + _status(ov) + ')'}</p>")
    built = sum(r.ok for r in result.areas)
    as_of = f"{result.as_of.day} {result.as_of:%B %Y}"
    page = f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Reducing reoffending reports as of {esc(as_of)}</title>
<style>{_INDEX_CSS}</style>
</head>
<body>
<main>
<h1>Reducing reoffending reports</h1>
<p>As of {esc(as_of)}. Data: {esc(result.data_dir.name)}. {built} of {len(result.areas)} area reports
built{'' if result.ok else '; failed reports have no HTML or PDF until they build'}.</p>
{overview}
<h2>Area reports</h2>
<table>
<caption>Area reports, their status and their files</caption>
<thead><tr><th scope="col">Area</th><th scope="col">ID</th><th scope="col">Status</th>
<th scope="col">Reports</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>
</main>
<footer><p>reoffending-workbook {esc(result.version)} · commit {esc(result.commit)} ·
engine {esc(result.engine)} · as of {esc(result.as_of.isoformat())} ·
finished {esc(result.finished.isoformat(timespec="seconds"))} · details in
<a href="build.json">build.json</a></p></footer>
</body>
</html>
"""
    atomic_write_text(result.index, page)
