"""Shared pieces: result rows, paths, the machine description and subprocess helpers."""

from __future__ import annotations

import os
import platform
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
DATA = BENCH / ".data"  # cached generated datasets and scratch output (git-ignored)
BIN = Path(sys.executable).parent  # the venv's python, workbook and papermill
SEED = 20240601

PACKAGES = ("reoffending-workbook", "duckdb", "pandas", "pyarrow", "numpy", "papermill", "nbconvert",
            "nbclient", "ipykernel", "typst", "pypandoc", "dask", "rich")


@dataclass
class Row:
    """One figure: the workbook's value beside its baseline, and the target it is held to."""

    section: str
    figure: str
    workbook: str
    baseline: str = ""
    ratio: str = ""
    target: str = ""
    result: str = ""  # PASS, FAIL or "" (no target)
    note: str = ""


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def fmt_s(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds:,.2f} s"


def fmt_mib(kib: int | None) -> str:
    return "n/a" if kib is None else f"{kib / 1024:,.0f} MiB"


def run(cmd: list[str], *, log: Path, cwd: Path = REPO, env: dict[str, str] | None = None
        ) -> tuple[float, int]:
    """Run a command with its output to ``log``; return (wall seconds, exit code)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with log.open("a", encoding="utf-8") as out:
        out.write("$ " + " ".join(cmd) + "\n")
        out.flush()
        proc = subprocess.run(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                              env={**os.environ, **(env or {})}, check=False)
    return time.perf_counter() - started, proc.returncode


def children_maxrss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


def machine() -> dict[str, str]:
    """CPU model, cores, RAM, OS, Python and key package versions, date."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = f"{int(line.split()[1]) / 1024 ** 2:.1f} GiB"
                break
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    packages = []
    for name in PACKAGES:
        try:
            packages.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            continue
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": f"{usable} usable ({os.cpu_count()} logical)",
        "ram": ram,
        "os": f"{platform.system()} {platform.release()}",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "packages": ", ".join(packages),
        "load": load(),
    }


def load() -> str:
    """1/5/15-minute load averages: other work on the machine skews every timing."""
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())
