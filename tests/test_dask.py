"""The Dask executor: each report runs as a task on a Dask cluster (here a LocalCluster of two
worker processes), failures stay with their area, and the outputs match the local executor's."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from analysis import build as build_module
from analysis.build import build

from .conftest import DATA

distributed = pytest.importorskip("distributed")

TOY = DATA / "build"
VALID = DATA / "valid"
AS_OF = date(2025, 3, 31)
AREAS = ["nation", "region-a", "area-a", "area-b"]


@pytest.fixture(scope="module")
def scheduler() -> str:
    """The address of a two-process LocalCluster, shut down after this module's tests."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=40) as cluster:
        yield cluster.scheduler_address


def _files(out: Path) -> set[str]:
    return {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}


def _shape(out: Path) -> dict:
    """build.json without what differs from run to run (times, executor, fingerprints' values)."""
    manifest = json.loads((out / "build.json").read_text(encoding="utf-8"))
    varying = {"started", "finished", "executor", "seconds", "made", "jobs", "data_dir"}

    def strip(entry: dict) -> dict:
        return {k: v for k, v in entry.items() if k not in varying}

    return {**strip(manifest), "areas": [strip(a) for a in manifest["areas"]],
            "overview": strip(manifest["overview"])}


def test_every_area_built_on_the_cluster_like_the_local_executor(scheduler: str, tmp_path: Path) -> None:
    settings = {"as_of": AS_OF, "area_notebook": TOY / "area.ipynb", "formats": ("html",),
                "overview_notebook": TOY / "overview.ipynb", "progress": False}
    on_dask = build(VALID, tmp_path / "dask", executor="dask", scheduler=scheduler, **settings)
    assert on_dask.ok and [a.area_id for a in on_dask.areas] == AREAS
    assert {r.status for r in on_dask.reports} == {"built"} and on_dask.executor == "dask"
    names = {a.area_id: a.name for a in on_dask.areas}
    for area_id in AREAS:
        page = (tmp_path / "dask" / area_id / f"{area_id}.html").read_text(encoding="utf-8")
        assert f"{names[area_id]} · as of 31 March 2025" in page  # the footer, by name
    assert json.loads((tmp_path / "dask" / "build.json").read_text(encoding="utf-8"))["executor"] == "dask"

    local = build(VALID, tmp_path / "local", jobs=2, **settings)
    assert local.ok
    assert _files(tmp_path / "dask") == _files(tmp_path / "local")
    dask_shape, local_shape = _shape(tmp_path / "dask"), _shape(tmp_path / "local")
    assert dask_shape == local_shape


def test_a_failing_area_is_isolated_on_the_cluster(scheduler: str, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    result = build(VALID, out, areas=["area-a", "area-b"], as_of=AS_OF, executor="dask", scheduler=scheduler,
                   area_notebook=TOY / "area_fails.ipynb", overview_notebook=None, formats=("html",),
                   progress=False)
    by_id = {a.area_id: a for a in result.areas}
    assert by_id["area-a"].ok and (out / "area-a" / "area-a.html").is_file()
    failed = by_id["area-b"]
    assert failed.status == "failed" and failed.error is not None
    assert (failed.error.stage, failed.error.ename, failed.error.cell) == ("execute", "ValueError", 3)
    assert (out / "_failed" / "area-b.ipynb").is_file() and not (out / "area-b" / "area-b.html").exists()
    entry = json.loads((out / "build.json").read_text(encoding="utf-8"))["areas"][1]
    assert entry["status"] == "failed" and entry["error"]["ename"] == "ValueError"


def test_a_notebook_killing_its_worker_or_kernel_fails_only_its_area(scheduler: str, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    result = build(VALID, out, areas=["area-b", "region-a", "area-a"], as_of=AS_OF, executor="dask",
                   scheduler=scheduler, area_notebook=TOY / "area_crash.ipynb", overview_notebook=None,
                   formats=("html",), progress=False)
    by_id = {a.area_id: a for a in result.areas}
    assert by_id["area-b"].error is not None and by_id["area-b"].error.ename == "WorkerDied"
    assert by_id["region-a"].error is not None and by_id["region-a"].error.ename == "DeadKernelError"
    assert by_id["area-a"].ok and (out / "area-a" / "area-a.html").is_file()
    with distributed.Client(scheduler) as client:  # the cluster's own workers survived
        assert len(client.scheduler_info()["workers"]) == 2


def test_bad_dask_settings_are_refused_before_anything_is_written(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(build_module, "_CONNECT_TIMEOUT", "2s")
    with pytest.raises(ValueError, match="scheduler"):
        build(VALID, tmp_path / "a", executor="dask", area_notebook=TOY / "area.ipynb",
              overview_notebook=None, progress=False)
    with pytest.raises(ValueError, match="executor"):
        build(VALID, tmp_path / "b", executor="ray", area_notebook=TOY / "area.ipynb",
              overview_notebook=None, progress=False)
    with pytest.raises(ValueError, match="cannot reach"):
        build(VALID, tmp_path / "c", executor="dask", scheduler="tcp://127.0.0.1:9", as_of=AS_OF,
              area_notebook=TOY / "area.ipynb", overview_notebook=None, progress=False)
    assert not any((tmp_path / name).exists() for name in "abc")
