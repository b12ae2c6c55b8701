"""The build never loses or exposes anything: what --out may be, its lock, no writes through links,
working files outside --out and gone on every way out, children that die with the build, clear
errors for an unwritable or full --out (analysis.workspace, as analysis.build uses it)."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import psutil
import pytest
from typer.testing import CliRunner

from analysis import build as build_module
from analysis import render, workspace
from analysis.build import build
from analysis.cli import app
from analysis.workspace import LOCK_NAME, TEMP_PREFIX, BuildRunning, OutRefused

from .conftest import DATA, ROOT

TOY = DATA / "build"
VALID = DATA / "valid"
AS_OF = date(2025, 3, 31)
# Generous bounds for the OS to do what it was asked (start a kernel on a busy machine, reap a
# killed process): waits that end as soon as the thing happens, never a measure of speed.
START_BOUND = 300
REAP_BOUND = 60  # a bound on a busy machine, not a measure: CI ran past 120 s once at 30


def _build(out: Path, notebook: str = "area.ipynb", **options) -> build_module.BuildResult:
    settings = {
        "areas": ["area-a"],
        "as_of": AS_OF,
        "formats": ("html",),
        "overview_notebook": None,
        "progress": False,
        **options,
    }
    return build(VALID, out, area_notebook=TOY / notebook, **settings)


@pytest.fixture
def temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temp dir of this test's own, so what it sweeps or leaves is its own (`make test` twice at once)."""
    folder = tmp_path / "temp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def _folders(temp: Path) -> set[Path]:
    return set(temp.glob(f"{TEMP_PREFIX}*"))


def _exposed(out: Path) -> list[Path]:
    """A snapshot, working folder or temp file inside --out: never there after a build, however it ended."""
    return [
        p
        for p in out.rglob("*")
        if p.suffix in (".pkl", ".tmp")
        or p.name.startswith(("_snapshot", ".build-", ".quarto-", TEMP_PREFIX, "scratch"))
    ]


# ---------------------------------------------------------------------------------------------
# What --out may be: refused before anything is written


def test_a_foreign_folder_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    out = tmp_path / "site"
    out.mkdir()
    (out / "index.html").write_text("my own page", encoding="utf-8")
    with pytest.raises(OutRefused, match="not empty and not a previous build"):
        _build(out)
    assert [p.name for p in out.iterdir()] == ["index.html"]  # not even a lock file
    assert (out / "index.html").read_text(encoding="utf-8") == "my own page"


def test_a_build_json_of_another_program_does_not_make_a_folder_ours(tmp_path: Path) -> None:
    out = tmp_path / "site"
    out.mkdir()
    (out / "build.json").write_text(json.dumps({"package": "something-else"}), encoding="utf-8")
    with pytest.raises(OutRefused):
        _build(out)


@pytest.mark.parametrize("where", ["home", "parent of home"])
def test_the_home_folder_and_its_parents_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    home = tmp_path / "users" / "me"
    home.mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    out = home if where == "home" else home.parent
    with pytest.raises(OutRefused, match="home folder"):
        _build(out)
    assert not (out / LOCK_NAME).exists()


def test_a_literal_tilde_means_the_home_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(OutRefused, match="home folder"):
        _build(Path("~"))
    assert not (tmp_path / "~").exists()


def test_the_root_of_the_file_system_is_refused() -> None:
    with pytest.raises(OutRefused, match="root of the file system"):
        _build(Path("/"))


def test_the_data_folder_inside_it_or_around_it_is_refused(valid_copy: Path) -> None:
    for out, reason in (
        (valid_copy, "is the data folder"),
        (valid_copy / "reports", "inside the data folder"),
        (valid_copy.parent, "holds the data"),
    ):
        with pytest.raises(OutRefused, match=reason):
            build(valid_copy, out, area_notebook=TOY / "area.ipynb", overview_notebook=None, progress=False)
    assert not (valid_copy / "reports").exists() and not (valid_copy / LOCK_NAME).exists()


def test_a_file_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    out.write_text("not a folder", encoding="utf-8")
    with pytest.raises(OutRefused, match="is a file"):
        _build(out)
    assert out.read_text(encoding="utf-8") == "not a folder"


def test_the_projects_reports_folder_as_committed_is_built_into_and_its_readme_kept(tmp_path: Path) -> None:
    readme = ROOT / "reports" / "README.md"
    out = tmp_path / "reports"
    out.mkdir()
    shutil.copy(readme, out / "README.md")
    assert _build(out).ok
    assert (out / "README.md").read_bytes() == readme.read_bytes()
    (out / "README.md").write_text("# my notes\n", encoding="utf-8")  # another README is the user's
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(out / "README.md", other / "README.md")
    with pytest.raises(OutRefused):
        _build(other)


def test_the_cli_refuses_in_one_line_with_exit_2(tmp_path: Path) -> None:
    out = tmp_path / "site"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    result = CliRunner().invoke(app, ["build", str(VALID), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "not empty and not a previous build" in result.output and "Traceback" not in result.output
    assert result.output.strip().startswith("error:")


# ---------------------------------------------------------------------------------------------
# One build at a time per --out


def test_a_second_build_into_the_same_out_is_refused_naming_the_first(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    with workspace.lock_out(out):  # as a running build holds it
        with pytest.raises(BuildRunning, match=f"another build \\(pid {os.getpid()}\\) is writing"):
            _build(out)
        result = subprocess.run(
            [sys.executable, "-m", "analysis.cli", "build", str(VALID), "--out", str(out)],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
    assert result.returncode == 2
    assert f"another build (pid {os.getpid()}) is writing" in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr
    assert not (out / "build.json").exists()


def test_a_killed_build_leaves_no_stale_lock(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\nfrom pathlib import Path\n"
            "from analysis.workspace import lock_out\n"
            "with lock_out(Path(sys.argv[1])):\n    print('locked', flush=True)\n"
            "    time.sleep(3600)\n",
            str(out),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(BuildRunning):
            _build(out)
    finally:
        holder.kill()
        holder.wait()
    assert _build(out).ok  # the OS dropped the dead build's lock: nothing to clear by hand


# ---------------------------------------------------------------------------------------------
# Never through a link


@pytest.fixture(scope="module")
def previous(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished build, copied by each test that needs one (one build, not one per test)."""
    out = tmp_path_factory.mktemp("previous") / "reports"
    assert _build(out).ok
    return out


@pytest.mark.parametrize(
    "link", ["area-a", "_executed", "_failed", "area-a/area-a.html", "index.html", "build.json"]
)
def test_a_link_where_the_build_writes_is_refused_and_nothing_outside_is_touched(
    tmp_path: Path, link: str, previous: Path
) -> None:
    out, outside = tmp_path / "reports", tmp_path / "outside"
    shutil.copytree(previous, out, symlinks=True)  # a previous build
    outside.mkdir()
    (outside / "area-a.html").write_text("someone else's", encoding="utf-8")
    (outside / "area-a.ipynb").write_text("someone else's", encoding="utf-8")
    target = out / link
    if "." not in link:  # a folder
        shutil.rmtree(target, ignore_errors=True)
        target.symlink_to(outside, target_is_directory=True)
    else:
        target.unlink()
        target.symlink_to(outside / "area-a.html")
    with pytest.raises(OutRefused, match=f"symbolic link at {link}"):
        _build(out, force=True)
    assert sorted(p.name for p in outside.iterdir()) == ["area-a.html", "area-a.ipynb"]
    assert {p.read_text(encoding="utf-8") for p in outside.iterdir()} == {"someone else's"}
    assert target.is_symlink()  # the user's link is theirs: refused, not replaced


def test_a_link_made_while_the_build_runs_fails_that_report_without_writing_through_it(
    tmp_path: Path,
) -> None:
    out, outside = tmp_path / "reports", tmp_path / "outside"
    outside.mkdir()
    job = build_module._job(
        "area-a",
        "Area A",
        TOY / "area.ipynb",
        VALID,
        out,
        tmp_path / "s",
        AS_OF,
        ("html",),
        "builtin",
        60,
        "0",
        "unknown",
    )
    (out / "_executed").parent.mkdir(parents=True)
    (out / "_executed").symlink_to(outside, target_is_directory=True)
    job.scratch.parent.mkdir()
    job.scratch.write_text("{}", encoding="utf-8")
    with pytest.raises(OutRefused):
        build_module._publish(job.scratch, job.executed, out)
    result = build_module._fail(job, build_module.NotebookError("execute", "X", "y"), time.perf_counter())
    assert result.status == "failed" and list(outside.iterdir()) == []


# ---------------------------------------------------------------------------------------------
# Working files outside --out, removed on every way out, swept after a kill


def test_a_build_leaves_nothing_in_the_temp_dir_or_out(tmp_path: Path, temp: Path) -> None:
    out = tmp_path / "reports"
    assert _build(out, areas=["area-a", "area-b"], jobs=2).ok
    assert _folders(temp) == set() and _exposed(out) == []


@pytest.mark.parametrize("failure", [RuntimeError("boom"), KeyboardInterrupt(), workspace.Stopped(15)])
def test_working_folder_goes_on_an_exception_ctrl_c_or_sigterm(
    tmp_path: Path, temp: Path, monkeypatch: pytest.MonkeyPatch, failure: BaseException
) -> None:
    seen: list[Path] = []

    def interrupted(todo: list, **_: object) -> dict:
        seen.extend(_folders(temp))
        assert all((folder / "snapshot.pkl").is_file() for folder in seen)
        raise failure

    monkeypatch.setattr(build_module, "_execute_and_render", interrupted)
    out = tmp_path / "reports"
    with pytest.raises(type(failure)):
        _build(out)
    assert len(seen) == 1 and _folders(temp) == set() and _exposed(out) == []
    with workspace.lock_out(out):  # and the lock went with it: a next build may take it at once
        pass


def test_a_sweep_removes_dead_builds_folders_and_never_a_running_ones(temp: Path) -> None:
    with workspace.workspace() as running:
        dead = subprocess.run(
            [
                sys.executable,
                "-c",
                "import os, tempfile\nfrom pathlib import Path\n"
                "from analysis import workspace\n"
                "w = workspace._create(Path(tempfile.gettempdir()), None)\n"
                "w.snapshot.write_bytes(b'raw counts')\nprint(w.root)\nos._exit(9)",
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={**os.environ, "TMPDIR": str(temp)},
        )
        gone = Path(dead.stdout.strip())
        assert gone.is_dir() and (gone / "snapshot.pkl").is_file()  # what kill -9 leaves
        not_ours = temp / f"{TEMP_PREFIX}manual"  # no lock file: never guessed at
        not_ours.mkdir()
        assert workspace.sweep(temp) == [gone]
        assert running.root.is_dir() and not_ours.is_dir()
        # The running build's folder survives a sweep from another process too (another checkout).
        subprocess.run(
            [sys.executable, "-c", "from analysis import workspace; workspace.sweep()"],
            check=True,
            cwd=ROOT,
            env={**os.environ, "TMPDIR": str(temp)},
        )
        assert running.root.is_dir() and running.snapshot.parent.is_dir()
    assert not running.root.exists()


def test_sigterm_becomes_an_orderly_stop_and_the_handler_is_restored() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(workspace.Stopped) as stopped, workspace.stop_on_sigterm():
        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(10**6):  # Python runs the handler at the next instruction
            pass
        pytest.fail("SIGTERM did not stop the build")
    assert stopped.value.signum == signal.SIGTERM and str(stopped.value) == "stopped by SIGTERM"
    assert signal.getsignal(signal.SIGTERM) is before


def test_sigterm_to_a_test_run_building_in_process_ends_the_run(tmp_path: Path) -> None:
    # Seen when stopping a `make test`: SIGTERM to pytest mid-build was counted as one failed
    # test and the next test started another build. Stopped is a KeyboardInterrupt, so a
    # runner that stops for Ctrl-C stops for it.
    marker = tmp_path / "second-test-ran"
    (tmp_path / "test_stop.py").write_text(
        "import os, signal\n"
        "from analysis import workspace\n"
        "def test_first():\n"
        "    with workspace.stop_on_sigterm():\n"
        "        os.kill(os.getpid(), signal.SIGTERM)\n"
        "        for _ in range(10**6):\n"
        "            pass\n"
        "def test_second():\n"
        f"    open({str(marker)!r}, 'w').close()\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
         str(tmp_path / "test_stop.py")],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
        timeout=300,
    )
    assert done.returncode == 2, done.stdout + done.stderr  # pytest's "interrupted"
    assert not marker.exists()


# ---------------------------------------------------------------------------------------------
# Children die with the build, however it ends


def _alive(processes: list[psutil.Process]) -> list[psutil.Process]:
    """Processes still running: a killed orphan may stay a zombie till init reaps it: not running."""
    running = []
    for process in processes:
        try:
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                running.append(process)
        except psutil.NoSuchProcess:
            pass
    return running


def _wait_for(condition, bound: float, what: str) -> None:
    """Poll until condition() holds; fail after `bound` seconds (a bound, not a measure)."""
    end = time.monotonic() + bound
    while not condition():
        if time.monotonic() > end:
            pytest.fail(f"{what} did not happen within {bound} s")
        time.sleep(0.1)


_SPAWNED: list[psutil.Process] = []


@pytest.fixture
def child_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The environment for a child build; whatever it started is killed after the test, pass or fail."""
    temp = tmp_path / "temp"
    temp.mkdir()
    yield {**os.environ, "TMPDIR": str(temp), "WORKBOOK_TEST_MARKER": str(tmp_path / "marker")}
    left = []
    for process in _SPAWNED:
        left.append(process)
        with contextlib.suppress(psutil.NoSuchProcess):
            left.extend(process.children(recursive=True))
    _SPAWNED.clear()
    for process in _alive(left):
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()


def _spawn(command: list[str], env: dict[str, str], **options) -> subprocess.Popen:
    proc = subprocess.Popen(command, cwd=ROOT, env=env, **options)
    _SPAWNED.append(psutil.Process(proc.pid))
    return proc


def _cmdline(process: psutil.Process) -> list[str]:
    try:
        return process.cmdline()
    except psutil.Error:  # area-a's kernel may end at any moment: it finishes
        return []


def _kernel(marker: Path) -> int:
    """The pid of the kernel running area_slow.ipynb's endless cell, which wrote `marker`.

    Its own report of its parent-death signal proves it is tied to its worker: ipykernel's parent
    poller would also end it, but only within a second, which no test can tell apart by timing.
    """
    written = json.loads(marker.read_text())
    if sys.platform.startswith("linux"):
        assert written["pdeathsig"] == signal.SIGKILL
    return written["pid"]


def _start(out: Path, env: dict[str, str], *args: str) -> tuple[subprocess.Popen, list[psutil.Process]]:
    """A real build (the CLI, the never-ending toy notebook for area-b), once area-b's cell runs.

    Returns the process and every process it started by then: forkserver, workers, kernels.
    """
    command = [
        sys.executable,
        "-m",
        "tests.build_child",
        "area_slow.ipynb",
        "build",
        str(VALID),
        "--out",
        str(out),
        "--areas",
        "area-a,area-b",
        "--as-of",
        "2025-03-31",
        "--formats",
        "html",
        "--jobs",
        "2",
        *args,
    ]
    proc = _spawn(command, env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    marker = Path(env["WORKBOOK_TEST_MARKER"])
    _wait_for(lambda: marker.is_file() or proc.poll() is not None, START_BOUND, "area-b's kernel starting")
    assert proc.poll() is None, proc.communicate()
    kernel = _kernel(marker)
    family = psutil.Process(proc.pid).children(recursive=True)
    _SPAWNED.extend(family)  # killed after the test should it fail before they end
    assert kernel in {p.pid for p in family}
    assert any("forkserver" in " ".join(_cmdline(p)) for p in family)  # the server must die too
    return proc, family


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT], ids=lambda s: s.name)
def test_a_killed_or_stopped_build_leaves_no_process_no_raw_data_and_rebuilds_complete(
    tmp_path: Path, child_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, how: signal.Signals
) -> None:
    out, temp = tmp_path / "reports", Path(child_env["TMPDIR"])
    proc, family = _start(out, child_env)
    working = _folders(temp)
    assert len(working) == 1 and (next(iter(working)) / "snapshot.pkl").is_file()
    os.kill(proc.pid, how)
    _, stderr = proc.communicate(timeout=REAP_BOUND * 4)
    _wait_for(lambda: not _alive(family), REAP_BOUND, "every process of the build ending")
    assert _exposed(out) == []  # the snapshot was never in --out, nor any working file
    assert not list(out.rglob("area-b.*"))  # the endless report never looks built
    if how == signal.SIGKILL:
        assert proc.returncode == -signal.SIGKILL
        assert _folders(temp) == working  # what only the next build can sweep
    else:
        assert proc.returncode == 128 + how, stderr
        assert (
            "Traceback" not in stderr
            and ("stopped by SIGTERM" if how == signal.SIGTERM else "interrupted") in stderr
        )
        assert _folders(temp) == set()  # it cleaned up after itself
    if how == signal.SIGINT:
        return  # Ctrl-C takes SIGTERM's way out, whose rebuild is tested beside it
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    again = _build(out, areas=["area-a", "area-b"])  # the next build: a notebook that finishes
    assert again.ok and _folders(temp) == set()
    manifest = json.loads((out / "build.json").read_text(encoding="utf-8"))
    assert manifest["ok"] and [a["status"] for a in manifest["areas"]] == ["built", "built"]
    for area in ("area-a", "area-b"):
        assert (out / area / f"{area}.html").is_file() and (out / area / f"{area}-tables.xlsx").is_file()


def test_a_running_builds_folder_is_not_swept_by_a_build_beside_it(
    tmp_path: Path, child_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    temp = Path(child_env["TMPDIR"])
    proc, family = _start(tmp_path / "first", child_env)
    try:
        [working] = _folders(temp)
        monkeypatch.setattr(tempfile, "tempdir", str(temp))
        assert _build(tmp_path / "second").ok  # same temp dir, another --out: both run
        assert working.is_dir() and (working / "snapshot.pkl").is_file()
        assert proc.poll() is None
    finally:
        proc.kill()
        proc.communicate()
    _wait_for(lambda: not _alive(family), REAP_BOUND, "every process of the build ending")


def test_a_dask_tasks_subprocess_and_its_kernel_die_with_the_dask_worker(
    tmp_path: Path, child_env: dict[str, str]
) -> None:
    # What a Dask worker runs for a report (`_run_isolated`), in a process killed as a lost worker is.
    task = _spawn(
        [
            sys.executable,
            "-m",
            "tests.build_child",
            "area_slow.ipynb",
            "isolated",
            str(VALID),
            str(tmp_path / "reports"),
            "area-b",
        ],
        child_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    marker = Path(child_env["WORKBOOK_TEST_MARKER"])
    _wait_for(lambda: marker.is_file() or task.poll() is not None, START_BOUND, "the task's kernel starting")
    family = psutil.Process(task.pid).children(recursive=True)
    _SPAWNED.extend(family)
    assert _kernel(marker) in {p.pid for p in family} and len(family) >= 2  # subprocess and kernel
    task.kill()
    task.wait()
    _wait_for(lambda: not _alive(family), REAP_BOUND, "the task's subprocess and kernel ending")


# ---------------------------------------------------------------------------------------------
# Unwritable or full --out: a clear message, never a traceback


def _no_space(path: object) -> OSError:
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))


def test_a_report_that_fails_for_lack_of_space_is_a_failed_report_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full_disk(notebook: Path, out: Path, **_: str) -> Path:
        if out.name == "area-b.html":
            raise _no_space(out)
        return real(notebook, out, **_)

    real = render.render_html
    monkeypatch.setattr(build_module, "_START_METHOD", "fork")  # the worker sees the patch
    monkeypatch.setattr(render, "render_html", full_disk)
    out = tmp_path / "reports"
    result = _build(out, areas=["area-a", "area-b"])
    by_id = {a.area_id: a for a in result.areas}
    assert by_id["area-a"].ok and not by_id["area-b"].ok
    assert by_id["area-b"].error.summary() == (
        f"render failed: OSError: [Errno 28] No space left on device: "
        f"'{out.resolve() / 'area-b' / 'area-b.html'}'"
    )
    entry = json.loads((out / "build.json").read_text(encoding="utf-8"))["areas"][1]
    assert entry["status"] == "failed" and "No space left on device" in entry["error"]["evalue"]
    assert not (out / "area-b" / "area-b.html").exists() and _exposed(out) == []


def test_an_executed_notebook_that_cannot_be_written_fails_its_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = build_module.atomic_path

    def full_disk(path: Path):
        if path.parent.name == "_executed":
            raise _no_space(path)
        return real(path)

    monkeypatch.setattr(build_module, "_START_METHOD", "fork")
    monkeypatch.setattr(build_module, "atomic_path", full_disk)
    out = tmp_path / "reports"
    [area] = _build(out).areas
    assert area.error is not None and area.error.stage == "write" and "No space left" in area.error.evalue
    assert (
        json.loads((out / "build.json").read_text(encoding="utf-8"))["areas"][0]["error"]["stage"] == "write"
    )


def test_a_snapshot_that_cannot_be_written_fails_every_report_and_build_json_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full_temp(path: Path, *args: object) -> Path:
        raise _no_space(path)

    monkeypatch.setattr(build_module, "_write_snapshot", full_temp)
    out = tmp_path / "reports"
    result = _build(out, areas=["area-a", "area-b"])
    assert [a.error.stage for a in result.areas] == ["setup", "setup"]
    manifest = json.loads((out / "build.json").read_text(encoding="utf-8"))
    assert (
        not manifest["ok"] and "could not write the data snapshot" in manifest["areas"][0]["error"]["evalue"]
    )


def test_build_json_on_a_full_disk_is_one_clear_error_exit_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full_disk(path: Path, text: str) -> None:
        raise _no_space(path)

    monkeypatch.setattr(build_module, "atomic_write_text", full_disk)
    monkeypatch.setitem(build_module.build.__kwdefaults__, "area_notebook", TOY / "area.ipynb")
    monkeypatch.setitem(build_module.build.__kwdefaults__, "overview_notebook", None)
    out = tmp_path / "reports"
    result = CliRunner().invoke(
        app, ["build", str(VALID), "--out", str(out), "--areas", "area-a", "--formats", "html"]
    )
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert f"could not write {out.resolve() / 'build.json'}: No space left on device" in " ".join(
        result.output.split()
    )
    assert "Traceback" not in result.output


def test_an_out_below_a_file_is_unwritable_exit_2(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    result = CliRunner().invoke(app, ["build", str(VALID), "--out", str(tmp_path / "notes.txt" / "reports")])
    assert (
        result.exit_code == 2
        and "cannot write to --out" in result.output
        and "Traceback" not in result.output
    )


@pytest.fixture
def mount(tmp_path: Path) -> Iterator:
    """mount(options) -> a fresh tmpfs; skipped where this user may not mount (not root, a container)."""
    mounted: list[Path] = []

    def make(options: str) -> Path:
        point = tmp_path / f"mnt{len(mounted)}"
        point.mkdir()
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)], capture_output=True
        )
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
        mounted.append(point)
        return point

    yield make
    for point in mounted:
        subprocess.run(["umount", "-l", str(point)], check=False)


def _cli(out: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.build_child",
            "area.ipynb",
            "build",
            str(VALID),
            "--out",
            str(out),
            "--areas",
            "area-a",
            "--formats",
            "html",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX mounts")
def test_a_read_only_out_is_one_clear_error_exit_2(mount, child_env: dict[str, str]) -> None:
    read_only = mount("ro,size=1m")
    for out in (read_only, read_only / "reports"):
        done = _cli(out, child_env)
        assert done.returncode == 2, done.stderr
        assert "cannot write to --out" in done.stderr and "Read-only file system" in done.stderr
        assert "Traceback" not in done.stderr + done.stdout


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX mounts")
def test_a_full_out_is_one_clear_error_exit_1_and_nothing_half_written(
    mount, child_env: dict[str, str]
) -> None:
    disk = mount("size=256k")
    out = disk / "reports"
    out.mkdir()
    with open(disk / "filler", "wb", buffering=0) as filler:  # every block: the build's first write fails
        with pytest.raises(OSError) as full:
            while True:
                filler.write(b"\0" * 4096)
        assert full.value.errno == errno.ENOSPC
    done = _cli(out, child_env)
    assert done.returncode == 1, done.stderr
    assert "No space left on device" in done.stderr and "Traceback" not in done.stderr + done.stdout
    assert [p for p in out.rglob("*") if p.is_file() and p.name != LOCK_NAME] == []  # nothing half-written
    assert not list(Path(child_env["TMPDIR"]).glob(f"{TEMP_PREFIX}*"))


def test_every_kernel_of_a_worker_shares_one_zmq_context_that_is_never_collected() -> None:
    # A context per kernel, left to the garbage collector with a socket still open, hung a
    # worker in Context.term() at the start of its next job (seen in a full run: ten minutes
    # until the build's timeout). One context per process cannot be collected mid-run.
    import zmq.asyncio

    manager = workspace.kernel_manager_class()()
    client = manager.client()
    assert manager.context is client.context is zmq.asyncio.Context.instance()
    assert not manager._created_context and not client._created_context  # so neither destroys it


def test_a_kernels_own_output_goes_to_its_log_not_the_builds_stderr(tmp_path: Path) -> None:
    # ipykernel and tornado print tracebacks of their own to the kernel process's stderr (a
    # shutdown race as a failing build stopped its kernel failed CI's "no traceback" check);
    # the kernel's cell output still comes over ZMQ, as before.
    import asyncio

    import nbformat
    from nbclient import NotebookClient

    log = tmp_path / "area.kernel.log"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import os, sys; os.write(2, b'kernel fd 2\\n'); print('cell output')")])
    client = NotebookClient(nb, kernel_name="python3", timeout=60,
                            kernel_manager_class=workspace.kernel_manager_class(),
                            **workspace.kernel_config(None, 1, log))
    asyncio.run(client.async_execute())
    assert nb.cells[0].outputs[0]["text"] == "cell output\n"
    assert "kernel fd 2" in log.read_text()
    assert workspace.kernel_config(None, 1) == {}  # no log asked for: inherited, as before
