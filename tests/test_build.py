"""Tests for analysis.build: parallel papermill runs, failures kept apart, atomic outputs, engines."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import stat
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import nbformat
import pandas as pd
import psutil
import pytest
from rich.console import Console

from analysis import build as build_module
from analysis import render
from analysis.build import (
    AreaResult,
    BuildResult,
    DataInvalid,
    NotebookError,
    build,
    summary_table,
)
from analysis.files import atomic_path

from .conftest import DATA, overlay
from .report_builds import example_build

TOY = DATA / "build"
VALID = DATA / "valid"
AS_OF = date(2025, 3, 31)
AREAS = {"nation": "Test Nation", "region-a": "Region A", "area-a": "Area A", "area-b": "Area B"}


def _path_without_quarto() -> str:
    """PATH with any folder holding a quarto executable left out."""
    return os.pathsep.join(
        d for d in os.environ.get("PATH", "").split(os.pathsep) if d and not (Path(d) / "quarto").exists()
    )


def _leftovers(root: Path) -> list[Path]:
    """Temp files, scratch folders or a snapshot (unsuppressed counts) left behind anywhere under root."""
    return [p for p in root.rglob("*")
            if p.name.endswith((".tmp", ".pkl")) or p.name.startswith((".build-", ".quarto-", "_snapshot"))]


def _previous_build(out: Path) -> None:
    """Mark `out` as the folder of an earlier build, as its build.json does."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "build.json").write_text(json.dumps({"package": "reoffending-workbook"}), encoding="utf-8")


def _manifest(out: Path) -> dict:
    return json.loads((out / "build.json").read_text(encoding="utf-8"))


def _kernels() -> list[psutil.Process]:
    """ipykernel processes started (directly or not) by this test process."""
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            if "ipykernel_launcher" in " ".join(child.cmdline()):
                found.append(child)
        except psutil.NoSuchProcess:
            pass
    return found


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    """Every area and the overview built with the builtin engine (no quarto on PATH)."""
    out = tmp_path_factory.mktemp("full") / "reports"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PATH", _path_without_quarto())
        return build(VALID, out, as_of=AS_OF, jobs=2, area_notebook=TOY / "area.ipynb",
                     overview_notebook=TOY / "overview.ipynb", progress=False)


def test_every_area_built_with_html_pdf_index_and_manifest(full: BuildResult) -> None:
    result = full
    out = result.out_dir
    assert result.ok
    assert [a.area_id for a in result.areas] == list(AREAS)
    for area_id, name in AREAS.items():
        html_file, pdf_file = out / area_id / f"{area_id}.html", out / area_id / f"{area_id}.pdf"
        assert html_file.is_file() and pdf_file.is_file()
        assert pdf_file.read_bytes().startswith(b"%PDF")
        page = html_file.read_text(encoding="utf-8")
        assert f"{name} – reducing reoffending report" in page
        assert "As of 31 March 2025" in page
        # The footer names the area by its name and the date in words (issue 12: no ids).
        assert f"{name} · as of 31 March 2025 · data folder valid" in page
        assert f"{name} as of 2025-03-31" in page  # the toy notebook's output: it ran with our parameters
        executed = nbformat.read(out / "_executed" / f"{area_id}.ipynb", as_version=4)
        injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
        assert f'area_id = "{area_id}"' in injected[0].source
        assert str(VALID.resolve()) in injected[0].source
    assert (out / "overview" / "overview.html").is_file() and (out / "overview" / "overview.pdf").is_file()
    assert not (out / "_failed").exists() or not any((out / "_failed").iterdir())
    assert _leftovers(out) == []


def test_index_links_every_report(full: BuildResult) -> None:
    result = full
    page = (result.out_dir / "index.html").read_text(encoding="utf-8")
    assert '<html lang="en-GB">' in page
    assert page.count("<h1") == 1
    for area_id, name in AREAS.items():
        assert name in page
        assert f'href="{area_id}/{area_id}.html"' in page
        assert f'href="{area_id}/{area_id}.pdf"' in page
    assert 'href="overview/overview.html"' in page and 'href="overview/overview.pdf"' in page
    assert "<script" not in page and "http://" not in page and "https://" not in page


def test_manifest_records_every_area(full: BuildResult) -> None:
    result = full
    manifest = _manifest(result.out_dir)
    assert manifest["ok"] is True
    assert manifest["as_of"] == "2025-03-31"  # given, so every report's
    assert {entry["as_of"] for entry in [*manifest["areas"], manifest["overview"]]} == {"2025-03-31"}
    assert manifest["engine"] == "builtin"
    assert manifest["version"] and manifest["commit"]
    assert [a["area_id"] for a in manifest["areas"]] == list(AREAS)
    for entry in manifest["areas"]:
        assert entry["status"] == "built" and entry["engine"] == "builtin" and entry["error"] is None
        assert entry["outputs"] == {"html": f"{entry['area_id']}/{entry['area_id']}.html",
                                    "pdf": f"{entry['area_id']}/{entry['area_id']}.pdf",
                                    "xlsx": f"{entry['area_id']}/{entry['area_id']}-tables.xlsx"}
        assert entry["seconds"] > 0
    assert manifest["overview"]["status"] == "built"


def test_summary_table_lists_every_report(full: BuildResult) -> None:
    result = full
    console = Console(record=True, width=200)
    console.print(summary_table(result))
    text = console.export_text()
    for area_id in [*AREAS, "overview"]:
        assert area_id in text
    assert "5 of 5 reports built" in text


def test_failing_area_leaves_the_others_built(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    _previous_build(out)
    # Reports from an earlier run must not survive looking current once the area fails.
    for name in ("area-b/area-b.html", "area-b/area-b.pdf", "_executed/area-b.ipynb"):
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text("old", encoding="utf-8")
    result = build(VALID, out, areas=["area-a", "area-b"], as_of=AS_OF, jobs=2,
                   area_notebook=TOY / "area_fails.ipynb", overview_notebook=None, progress=False)
    assert not result.ok
    by_id = {a.area_id: a for a in result.areas}
    assert by_id["area-a"].ok and (out / "area-a" / "area-a.pdf").is_file()
    failed = by_id["area-b"]
    assert failed.status == "failed" and failed.error is not None
    assert (failed.error.stage, failed.error.ename) == ("execute", "ValueError")
    assert "no reoffending data for area-b" in failed.error.evalue
    assert failed.error.cell == 3  # the fourth cell of area_fails.ipynb raises
    assert not (out / "area-b" / "area-b.html").exists() and not (out / "area-b" / "area-b.pdf").exists()
    assert not (out / "_executed" / "area-b.ipynb").exists()
    partial = nbformat.read(out / "_failed" / "area-b.ipynb", as_version=4)
    assert any(o.get("ename") == "ValueError" for c in partial.cells for o in c.get("outputs", []))
    entry = {a["area_id"]: a for a in _manifest(out)["areas"]}["area-b"]
    assert entry["status"] == "failed" and entry["outputs"] == {}
    assert entry["error"]["ename"] == "ValueError" and entry["error"]["cell"] == 3
    assert entry["error"]["partial_notebook"] == "_failed/area-b.ipynb"
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "failed" in page and "no reoffending data for area-b" in page
    assert 'href="area-b/area-b.html"' not in page
    assert _leftovers(out) == []


def test_a_notebook_that_never_finishes_is_stopped_at_its_timeout(tmp_path: Path) -> None:
    # area_slow.ipynb never finishes for area-b, so this returns at all only because the timeout
    # stopped it; a tiny timeout, so no margin of seconds is assumed for anything.
    out = tmp_path / "reports"
    result = build(VALID, out, areas=["area-b"], as_of=AS_OF, timeout=0.5,
                   area_notebook=TOY / "area_slow.ipynb", overview_notebook=None, formats=("html",),
                   progress=False)
    [slow] = result.areas
    assert not slow.ok and slow.error is not None
    assert (slow.error.stage, slow.error.ename) == ("timeout", "TimeoutError")
    assert "did not finish within 0.5 s" in slow.error.evalue
    # Stopped while its kernel started, or in whichever code cell was running at 0.5 s: the
    # endless one (3) on a quiet machine, the parameters (1) or the imports (2) on a busy one.
    # Never past the endless cell, and never a markdown cell (`_timeout_error` reads which).
    assert slow.error.cell in (None, 1, 2, 3)
    assert not (out / "area-b" / "area-b.html").exists() and not (out / "_executed" / "area-b.ipynb").exists()
    entry = _manifest(out)["areas"][0]
    assert entry["status"] == "failed" and entry["error"]["stage"] == "timeout"
    assert _manifest(out)["timeout_seconds"] == 0.5
    assert _kernels() == []  # the killed notebook's kernel went with its worker
    assert _leftovers(out) == []


def test_a_notebook_that_finishes_within_a_generous_timeout_is_built(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    result = build(VALID, out, areas=["area-a"], as_of=AS_OF, timeout=600,
                   area_notebook=TOY / "area_slow.ipynb", overview_notebook=None, formats=("html",),
                   progress=False)
    assert result.ok and (out / "area-a" / "area-a.html").is_file()
    assert _manifest(out)["timeout_seconds"] == 600


def test_a_timeout_names_the_cell_that_was_running(tmp_path: Path) -> None:
    job = build_module._job("area-b", "Area B", TOY / "area_slow.ipynb", VALID, tmp_path, tmp_path / "s",
                            AS_OF, ("html",), "builtin", 5, "0", "unknown")
    partial = nbformat.read(TOY / "area_slow.ipynb", as_version=4)
    partial.cells[2].metadata["papermill"] = {"status": "completed", "start_time": "x"}
    partial.cells[3].metadata["papermill"] = {"status": "running", "start_time": "y"}
    job.scratch.parent.mkdir()
    nbformat.write(partial, job.scratch)  # as papermill leaves it when its kernel is killed
    error = build_module._timeout_error(job, "execute", 5)
    assert (error.stage, error.ename, error.cell) == ("timeout", "TimeoutError", 3)
    assert "did not finish within 5 s" in error.evalue
    assert build_module._timeout_error(job, "render", 5).evalue == "rendering took longer than 5 s"


def test_render_failure_leaves_no_partial_or_stale_report(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_pdf(notebook: Path, out: Path, **_: str) -> Path:
        with atomic_path(out) as tmp:
            tmp.write_bytes(b"%PDF-1.7 half a page")
            raise RuntimeError("typst ran out of paper")

    monkeypatch.setattr(build_module, "_START_METHOD", "fork")  # the worker sees the patch
    monkeypatch.setattr(render, "render_pdf", broken_pdf)
    out = tmp_path / "reports"
    _previous_build(out)
    for name in ("area-a/area-a.html", "area-a/area-a.pdf"):
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text("an old report", encoding="utf-8")
    result = build(VALID, out, areas=["area-a"], as_of=AS_OF, area_notebook=TOY / "area.ipynb",
                   overview_notebook=None, progress=False)
    [area] = result.areas
    assert not area.ok and area.error is not None
    assert (area.error.stage, area.error.ename) == ("render", "RuntimeError")
    assert "typst ran out of paper" in area.error.evalue
    assert not (out / "area-a" / "area-a.html").exists()  # rendered this run, removed: its PDF failed
    assert not (out / "area-a" / "area-a.pdf").exists()
    assert (out / "_executed" / "area-a.ipynb").is_file()  # the notebook itself ran
    assert _leftovers(out) == []
    entry = _manifest(out)["areas"][0]
    assert entry["status"] == "failed" and entry["outputs"] == {} and entry["error"]["stage"] == "render"


def test_invalid_data_raises_and_writes_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(VALID, data)
    overlay(data, DATA / "bad" / "duplicate-area-id")
    out = tmp_path / "reports"
    with pytest.raises(DataInvalid) as raised:
        build(data, out, area_notebook=TOY / "area.ipynb", overview_notebook=None, progress=False)
    assert any(p.rule == "unique" and p.file == "areas.csv" for p in raised.value.problems)
    assert not out.exists()


def test_unknown_area_is_named_and_nothing_written(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    with pytest.raises(ValueError, match="'atlantis'"):
        build(VALID, out, areas=["area-a", "atlantis"], area_notebook=TOY / "area.ipynb",
              overview_notebook=None, progress=False)
    assert not out.exists()


@pytest.mark.parametrize("kwargs", [{"engine": "latex"}, {"formats": ("docx",)}, {"jobs": 0},
                                    {"timeout": 0}])
def test_bad_settings_are_refused(tmp_path: Path, kwargs: dict) -> None:
    with pytest.raises(ValueError):
        build(VALID, tmp_path / "reports", area_notebook=TOY / "area.ipynb", overview_notebook=None,
              progress=False, **kwargs)
    assert not (tmp_path / "reports").exists()


def test_notebook_without_the_parameters_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="area_id"):
        build(VALID, tmp_path / "reports", area_notebook=TOY / "overview.ipynb", overview_notebook=None,
              progress=False)
    with pytest.raises(FileNotFoundError):
        build(VALID, tmp_path / "reports", area_notebook=TOY / "missing.ipynb", overview_notebook=None,
              progress=False)


FAKE_QUARTO = """#!{python}
import json, os, pathlib, sys
args = sys.argv[1:]
if args == ["--version"]:
    print(os.environ.get("FAKE_QUARTO_VERSION", "1.7.34"))
    sys.exit(0)
with open({log!r}, "a", encoding="utf-8") as log:
    log.write(json.dumps(args) + "\\n")
notebook = pathlib.Path(args[1])
# Quarto writes beside the notebook; for Typst, the .typ it keeps (the workbook compiles it).
ext = {{"html": ".html", "typst": ".typ"}}[args[args.index("--to") + 1]]
data = b"= Fake quarto" if ext == ".typ" else b"<html lang='en-GB'>fake quarto</html>"
(notebook.parent / (notebook.stem + ext)).write_bytes(data)
sys.stderr.write("WARNING: a fake warning\\n")
"""


def _fake_quarto_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """FAKE_QUARTO first on PATH; returns the file it logs each call's arguments to."""
    bin_dir, calls = tmp_path / "bin", tmp_path / "quarto-calls.jsonl"
    bin_dir.mkdir()
    fake = bin_dir / "quarto"
    fake.write_text(FAKE_QUARTO.format(python=sys.executable, log=str(calls)), encoding="utf-8")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return calls


def test_auto_engine_uses_quarto_when_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _fake_quarto_on_path(tmp_path, monkeypatch)
    out = tmp_path / "reports"
    result = build(VALID, out, areas=["area-a"], as_of=AS_OF, area_notebook=TOY / "area.ipynb",
                   overview_notebook=None, progress=False)
    assert result.ok and result.engine == "quarto"
    assert result.areas[0].engine == "quarto"
    commands = [json.loads(line) for line in calls.read_text(encoding="utf-8").splitlines()]
    # Each render in a folder of its own (outside --out and any project), on a copy of the notebook.
    assert [c[:4] for c in commands] == [["render", "report.ipynb", "--to", "html"],
                                         ["render", "report.ipynb", "--to", "typst"]]
    assert all("--execute" not in c for c in commands)
    assert "fake quarto" in (out / "area-a" / "area-a.html").read_text(encoding="utf-8")
    assert (out / "area-a" / "area-a.pdf").read_bytes().startswith(b"%PDF")
    assert _manifest(out)["engine"] == "quarto" and _manifest(out)["engine_version"] == "1.7.34"
    assert _manifest(out)["areas"][0]["warnings"] == ["html: WARNING: a fake warning",
                                                      "pdf: WARNING: a fake warning"]
    assert _leftovers(out) == []


def test_a_new_quarto_rebuilds_every_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Quarto's version is part of each report's environment: the same data and code rendered by
    another Quarto is not "unchanged"."""
    _fake_quarto_on_path(tmp_path, monkeypatch)
    out = tmp_path / "reports"

    def again() -> BuildResult:
        return build(VALID, out, areas=["area-a"], as_of=AS_OF, engine="quarto", formats=("html",),
                     area_notebook=TOY / "area.ipynb", overview_notebook=None, progress=False)

    first = again()
    assert first.areas[0].status == "built" and first.engine_version == "1.7.34"
    assert again().areas[0].status == "unchanged"
    monkeypatch.setenv("FAKE_QUARTO_VERSION", "1.8.25")
    rebuilt = again()
    assert rebuilt.areas[0].status == "built" and rebuilt.engine_version == "1.8.25"
    assert rebuilt.areas[0].inputs["environment"] != first.areas[0].inputs["environment"]
    assert rebuilt.areas[0].inputs["data"] == first.areas[0].inputs["data"]
    assert _manifest(out)["engine_version"] == "1.8.25"


def test_explicit_quarto_without_quarto_fails_each_area_clearly(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", _path_without_quarto())
    out = tmp_path / "reports"
    result = build(VALID, out, areas=["area-a", "area-b"], as_of=AS_OF, engine="quarto",
                   area_notebook=TOY / "area.ipynb", overview_notebook=None, progress=False)
    assert not result.ok
    for area in result.areas:
        assert area.status == "failed" and area.engine == "quarto" and area.error is not None
        assert "quarto is not on PATH" in area.error.evalue
    assert not list(out.glob("area-*/*.html"))
    assert _manifest(out)["areas"][0]["error"]["ename"] == "EngineUnavailable"


@pytest.mark.parametrize("failure", [
    "zmq",  # the kernel's port was taken between jupyter_client choosing it and the kernel binding it
    "Kernel didn't respond in 60 seconds",  # the same, as nbclient reports it (seen in CI)
    "Kernel died before replying to kernel_info",
])
def test_kernel_that_fails_to_start_is_retried_once(tmp_path: Path, failure: str) -> None:
    import zmq

    job = build_module._job("area-a", "Area A", TOY / "area.ipynb", VALID, tmp_path, tmp_path, AS_OF,
                            ("html",), "builtin", 5, "0", "unknown")
    calls: list[str] = []

    def start_failure() -> Exception:
        return zmq.ZMQError(98, "Address already in use") if failure == "zmq" else RuntimeError(failure)

    def flaky(*args: object, **kwargs: object) -> None:
        calls.append(str(kwargs["kernel_name"]))
        if len(calls) == 1:
            raise start_failure()

    build_module._execute(job, execute=flaky)
    assert calls == ["python3", "python3"]

    def always(*args: object, **kwargs: object) -> None:
        calls.append("again")
        raise start_failure()

    calls.clear()
    with pytest.raises((zmq.ZMQError, RuntimeError)):
        build_module._execute(job, execute=always)
    assert calls == ["again", "again"]

    def cell_error(*args: object, **kwargs: object) -> None:
        calls.append("cell")
        raise ValueError("a real error")

    calls.clear()
    with pytest.raises(ValueError):
        build_module._execute(job, execute=cell_error)
    assert calls == ["cell"]


@pytest.mark.skipif(sys.platform == "win32", reason="ZMQ has no Unix sockets on Windows: TCP there")
def test_kernels_talk_over_unix_sockets_and_leave_none_behind(tmp_path: Path) -> None:
    # TCP ports chosen by jupyter_client can be taken before the kernel binds them when kernels
    # start together (a CI run failed so); sockets with unique names cannot collide.
    notebook = tmp_path / "connection.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("area_id = 'x'", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("from ipykernel.connect import get_connection_info\n"
                                  "print(get_connection_info())"),
    ], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}),
        notebook)
    root = tmp_path / "sockets"  # the build's folder
    root.mkdir()
    jobs = [build_module._Job(key, key, notebook, {"area_id": key}, tmp_path / f"{key}.ipynb",
                              tmp_path / "e", tmp_path / "f", {}, (), "builtin", "", "", "", 60,
                              workdir=root)
            for key in ("one", "two")]
    for job in jobs:
        build_module._execute(job)
    seen = []
    for job in jobs:
        info = json.loads(nbformat.read(job.scratch, as_version=4).cells[-1].outputs[0]["text"])
        assert info["transport"] == "ipc"
        if sys.platform.startswith("linux"):
            # Linux's abstract namespace: no file to leave, no path to outgrow a socket address.
            assert info["ip"].startswith("@wb-")
        else:
            assert Path(info["ip"]).is_relative_to(root)  # absolute, whichever directory the kernel runs in
        seen.append(info["ip"])
    assert seen[0] != seen[1]
    assert list(root.iterdir()) == []
    if sys.platform.startswith("linux"):  # every socket went with its kernel
        bound = Path("/proc/net/unix").read_text()
        assert not [ip for ip in seen if ip in bound]


def test_kernels_start_whatever_the_length_of_the_temp_dir(tmp_path: Path) -> None:
    # A Unix socket's address holds at most 108 bytes; under a deep temp dir (pytest's own, in
    # a worker of pytest-xdist, or macOS's) every kernel failed with "File name too long".
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True)
    notebook = tmp_path / "one.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("area_id = 'x'", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("print(6 * 7)"),
    ], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}),
        notebook)
    job = build_module._Job("one", "one", notebook, {"area_id": "one"}, tmp_path / "one-run.ipynb",
                            tmp_path / "e", tmp_path / "f", {}, (), "builtin", "", "", "", 60,
                            workdir=deep)
    build_module._execute(job)
    assert nbformat.read(job.scratch, as_version=4).cells[-1].outputs[0]["text"] == "42\n"


def test_index_escapes_text_from_the_data(tmp_path: Path) -> None:
    hostile = '<script>alert("x")</script> & Co'
    error = NotebookError("execute", "ValueError", "<b>bad</b> value", 2, 3)
    result = BuildResult(
        out_dir=tmp_path, data_dir=tmp_path / "<data>", as_of=AS_OF, engine="builtin",
        formats=("html",),
        areas=[AreaResult("area-a", hostile, "built", "builtin", 1.0,
                          outputs={"html": tmp_path / "area-a" / "area-a.html"}),
               AreaResult("area-b", hostile, "failed", "builtin", 1.0, error=error)],
        overview=None, version="0.1.0", commit="unknown",
        started=build_module.datetime.now(build_module.UTC),
        finished=build_module.datetime.now(build_module.UTC),
    )
    build_module._write_index(result)
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "<script" not in page and "<b>bad" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co" in page
    assert "&lt;b&gt;bad&lt;/b&gt; value" in page
    assert "&lt;data&gt;" in page


def test_git_commit_is_read_without_git(tmp_path: Path) -> None:
    sha = "0123456789abcdef0123456789abcdef01234567"
    (tmp_path / ".git" / "refs" / "heads").mkdir(parents=True)
    (tmp_path / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (tmp_path / ".git" / "refs" / "heads" / "main").write_text(sha + "\n")
    assert build_module._git_commit(tmp_path) == "0123456"
    (tmp_path / ".git" / "refs" / "heads" / "main").unlink()
    (tmp_path / ".git" / "packed-refs").write_text(f"# pack-refs\n{sha} refs/heads/main\n")
    assert build_module._git_commit(tmp_path) == "0123456"
    assert build_module._git_commit(tmp_path / "nowhere") == "unknown"


def test_dead_worker_and_dead_kernel_are_failures_and_the_build_carries_on(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "reports"
    temp = tmp_path / "temp"  # where the build keeps its working folder, with its kernels' sockets
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    result = build(VALID, out, areas=["area-b", "region-a", "area-a"], as_of=AS_OF, jobs=1,
                   area_notebook=TOY / "area_crash.ipynb", overview_notebook=None, formats=("html",),
                   progress=False)
    by_id = {a.area_id: a for a in result.areas}
    worker_died, kernel_died = by_id["area-b"].error, by_id["region-a"].error
    assert worker_died is not None and worker_died.ename == "WorkerDied"
    assert "killed by signal 9" in worker_died.evalue and worker_died.cell == 3
    assert kernel_died is not None and kernel_died.ename == "DeadKernelError" and kernel_died.cell == 3
    assert by_id["area-a"].ok and (out / "area-a" / "area-a.html").is_file()
    assert (out / "_failed" / "area-b.ipynb").is_file() and (out / "_failed" / "region-a.ipynb").is_file()
    assert _leftovers(out) == []
    assert not list(temp.glob("workbook-build-*"))  # the killed kernel's sockets went with the build's folder


def test_reporter_bar_on_a_terminal_log_lines_otherwise(caplog: pytest.LogCaptureFixture) -> None:
    built = AreaResult("area-a", "Area A", "built", "builtin", 1.25)
    failed = AreaResult("area-b", "Area B", "failed", "builtin", 2.0,
                        error=NotebookError("execute", "ValueError", "boom", 3, 4))
    with build_module._reporter(2, True) as report:
        report(built)
        report(failed)
    with caplog.at_level("INFO", logger="analysis.build"), build_module._reporter(2, False) as report:
        report(built)
        report(failed)
    assert "area-a: built in 1.2 s" in caplog.text
    assert "area-b: FAILED after 2.0 s - execute failed: ValueError in cell 3: boom" in caplog.text


def test_a_killed_workers_temp_files_are_removed(tmp_path: Path) -> None:
    job = build_module._job("area-a", "Area A", TOY / "area.ipynb", VALID, tmp_path, tmp_path / "s",
                            AS_OF, ("html", "pdf"), "builtin", 5, "0", "unknown")
    planted = [tmp_path / "area-a" / ".area-a.pdf.x1y2.tmp", tmp_path / "_executed" / ".area-a.ipynb.z.tmp",
               tmp_path / "area-a" / ".quarto-abc" / "metadata.yml"]
    for path in planted:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("partial", encoding="utf-8")
    keep = tmp_path / "area-a" / ".area-b.pdf.x.tmp"  # not this report's
    keep.write_text("other", encoding="utf-8")
    error = NotebookError("timeout", "TimeoutError", "too slow")
    result = build_module._fail(job, error, time.perf_counter())
    assert result.status == "failed"
    assert not any(path.exists() for path in planted) and not (tmp_path / "area-a" / ".quarto-abc").exists()
    assert keep.exists()


def _snapshot_notebook(folder: Path) -> Path:
    """The toy area notebook with a `snapshot` parameter and a cell that reads it as the real one does."""
    notebook = nbformat.read(TOY / "area.ipynb", as_version=4)
    notebook.cells[1].source += '\nsnapshot = ""'
    notebook.cells.insert(3, nbformat.v4.new_code_cell(
        "from analysis.report import AreaReport\n\n"
        "report = AreaReport.build(data_dir, area_id, as_of, snapshot=snapshot)\n"
        "print(f'snapshot={bool(snapshot)} strands={len(report.t[\"strands_summary\"])}')"))
    path = folder / "area_snapshot.ipynb"
    nbformat.write(notebook, path)
    return path


def test_notebooks_taking_a_snapshot_get_one_and_it_is_removed_after(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    result = build(VALID, out, areas=["area-a", "area-b"], as_of=AS_OF, formats=("html",),
                   area_notebook=_snapshot_notebook(tmp_path), overview_notebook=TOY / "overview.ipynb",
                   progress=False)
    assert result.ok
    executed = nbformat.read(out / "_executed" / "area-a.ipynb", as_version=4)
    injected = next(c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", []))
    [line] = [line for line in injected.source.splitlines() if line.startswith("snapshot = ")]
    snapshot = Path(line.split("=", 1)[1].strip().strip('"'))
    # In the build's private folder in the temp dir, never in --out, and gone with the build.
    assert snapshot.parent.name.startswith("workbook-build-")
    assert snapshot.parent.parent == Path(tempfile.gettempdir()) and not snapshot.is_relative_to(out)
    assert not snapshot.parent.exists()
    assert "snapshot=True strands=2" in (out / "area-a" / "area-a.html").read_text(encoding="utf-8")
    overview = nbformat.read(out / "_executed" / "overview.ipynb", as_version=4)
    assert not any("snapshot" in c.source for c in overview.cells)  # the toy overview takes none
    assert _leftovers(out) == []


def test_a_snapshot_gives_the_same_tables_and_refuses_other_parameters(tmp_path: Path) -> None:
    from analysis.loader import load_dataset
    from analysis.overview import OverviewReport
    from analysis.pipeline import analyse
    from analysis.report import AreaReport, load

    dataset = load_dataset(VALID)
    later = date(2025, 9, 30)
    by_date = {when: analyse(dataset, as_of=when, threshold=10) for when in (AS_OF, later)}
    path = build_module._write_snapshot(tmp_path / "snapshot.pkl", VALID.resolve(), dataset, by_date,
                                        by_date[AS_OF])
    for when in (AS_OF, later):  # each notebook gets the results for its own date
        fresh, snap = load(VALID, as_of=when.isoformat()), load(VALID, as_of=when.isoformat(), snapshot=path)
        assert snap[1].as_of == when
        for name, table in fresh[1].tables().items():
            pd.testing.assert_frame_equal(table, getattr(snap[1], name), check_exact=True)
    # No date given: the one the data give (valid's plan has no reporting date: the build's, today).
    with pytest.raises(ValueError, match="as_of"):
        load(VALID, as_of="", snapshot=path, resolve=lambda ds: date(2025, 6, 30))
    assert load(VALID, as_of="", snapshot=path, resolve=lambda ds: later)[1].as_of == later
    for name, table in fresh[0].tables.items():
        pd.testing.assert_frame_equal(table, snap[0].tables[name], check_exact=True)
    assert AreaReport.build(VALID, "area-a", "2025-03-31", snapshot=str(path)).area["name"] == "Area A"
    assert OverviewReport.build(VALID, "2025-03-31", snapshot=path).area_ids == list(AREAS)
    assert OverviewReport.build(VALID, "", snapshot=path).results is not None  # the build's overview
    with pytest.raises(ValueError, match="no overview as of 2025-09-30"):
        OverviewReport.build(VALID, "2025-09-30", snapshot=path)
    without = build_module._write_snapshot(tmp_path / "areas-only.pkl", VALID.resolve(), dataset, by_date)
    with pytest.raises(ValueError, match="no overview"):
        OverviewReport.build(VALID, "", snapshot=without)
    with pytest.raises(ValueError, match="as_of"):
        load(VALID, as_of="2025-06-30", snapshot=path)
    with pytest.raises(ValueError, match="threshold"):
        load(VALID, as_of="2025-03-31", threshold=5, snapshot=path)
    with pytest.raises(ValueError, match="data_dir"):
        load(tmp_path, as_of="2025-03-31", snapshot=path)
    not_ours = tmp_path / "other.pkl"
    not_ours.write_bytes(pickle.dumps({"format": "something else"}))
    with pytest.raises(ValueError, match="not a snapshot"):
        load(VALID, as_of="2025-03-31", snapshot=not_ours)


def test_the_example_reports_are_built_as_of_their_documents_dates(tmp_path_factory) -> None:
    # No --as-of (as `make reports`): Gloucestershire's RRAP reports to 31 December 2005, the
    # East Midlands plan to 30 September 2009 (Derby has no plan: the region's), the Plymouth
    # briefing to 30 September 2014, the latest, which dates the overview.
    result = example_build(tmp_path_factory)
    assert result.ok and result.as_of is None
    manifest = _manifest(result.out_dir)
    dates = {entry["area_id"]: entry["as_of"] for entry in [*manifest["areas"], manifest["overview"]]}
    assert manifest["as_of"] is None
    assert dates == {"gloucestershire": "2005-12-31", "east-midlands": "2009-09-30", "derby": "2009-09-30",
                     "plymouth": "2014-09-30", "overview": "2014-09-30"}
    for key, when in dates.items():
        executed = nbformat.read(result.out_dir / "_executed" / f"{key}.ipynb", as_version=4)
        injected = next(c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", []))
        assert f'as_of = "{when}"' in injected.source, key
    page = (result.out_dir / "gloucestershire" / "gloucestershire.html").read_text(encoding="utf-8")
    assert "As of 31 December 2005" in page and "as of 31 December 2005" in page  # subtitle and summary
    index = (result.out_dir / "index.html").read_text(encoding="utf-8")
    assert "<td>30 September 2009</td>" in index
    assert "All areas side by side, as of 30 September 2014" in index
    # The overview counts each area as its own report does: Gloucestershire's 7 strands not
    # reported as of 31 December 2005, not the 2005/06 plan judged in 2014.
    overview = (result.out_dir / "overview" / "overview.html").read_text(encoding="utf-8")
    assert "Gloucestershire Probation Area 7)" in overview
    assert "31 December 2005 for Gloucestershire Probation Area" in overview
    # East Midlands rolls up the authorities within it: the NI 18 and NI 30 targets its plan set.
    em = (result.out_dir / "east-midlands" / "east-midlands.html").read_text(encoding="utf-8")
    assert "Areas within East Midlands" in em and "NI 30 target 280 re-offences" in em


def test_methods_other_than_the_defaults_need_a_notebook_that_takes_them(tmp_path: Path) -> None:
    """The toy notebook has no `methods` parameter: it would show figures made one way under a
    method note it cannot know, so the build refuses before writing anything."""
    with pytest.raises(ValueError, match="has no 'methods' parameter.*funnel_method=wilson"):
        build(VALID, tmp_path / "reports", areas=["area-a"], as_of=AS_OF, methods="funnel_method=wilson",
              area_notebook=TOY / "area.ipynb", overview_notebook=None, progress=False)
    assert not (tmp_path / "reports").exists()
    with pytest.raises(ValueError, match="spc_baseline='5'"):
        build(VALID, tmp_path / "reports", methods="spc_baseline=5", progress=False)
