"""Benchmarks 2 and 3: building N synthetic areas (HTML + PDF) and incremental rebuilds.

2. ``workbook build DATA --out OUT --jobs 1 --force`` and ``--jobs 2 --force`` against a naive
   loop that runs the papermill command line per area and then renders HTML and PDF with
   analysis.render in a fresh ``python -c``. Both do the same work: the N area reports plus the
   overview. The data's nation and region rows are not built (``--areas`` lists the N areas).
3. After the full ``--jobs 2`` build: rebuild with nothing changed, then with one milestone of
   one area's plan edited in a copy of the data; seconds and % of the full build.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import time
from pathlib import Path

from .common import BIN, DATA, REPO, SEED, Row, fmt_s, verdict

QUARTERS = 12
FIRST_QUARTER = "2019-Q1"
AS_OF = "2021-12-31"  # end of the 12th quarter from 2019-Q1: the synthetic data's "as at"
TARGET_JOBS = 1.7
TARGET_NAIVE = 2.0
TARGET_NOTHING = 5.0  # % of a full build
TARGET_ONE = 10.0

_RENDER = """
import sys
from pathlib import Path
from analysis.render import render_html, render_pdf
nb, out, key, title, subtitle = sys.argv[1:6]
meta = dict(title=title, subtitle=subtitle, stamp="naive loop")
render_html(Path(nb), Path(out) / key / (key + ".html"), **meta)
render_pdf(Path(nb), Path(out) / key / (key + ".pdf"), **meta)
"""


def dataset(areas: int, say) -> tuple[Path, list[str]]:
    """Cached synthetic dataset with ``areas`` areas × 12 quarters; the area ids to build."""
    from analysis.synth import synthesise

    folder = DATA / f"build-a{areas}-q{QUARTERS}-s{SEED}"
    # recommendations.csv arrived later: a folder cached before it is generated again.
    if not (folder / "recommendations.csv").is_file():
        say(f"generating {areas} areas × {QUARTERS} quarters in {folder} ...")
        synthesise(folder, areas=areas, quarters=QUARTERS, seed=SEED, first_quarter=FIRST_QUARTER)
    with (folder / "areas.csv").open(encoding="utf-8", newline="") as handle:
        ids = [row["area_id"] for row in csv.DictReader(handle)
               if row["area_id"].startswith("synthetic-area-")]
    return folder, ids


def has_force() -> bool:
    proc = subprocess.run([str(BIN / "workbook"), "build", "--help"], capture_output=True, text=True,
                          check=False, env={"COLUMNS": "200", "PATH": str(BIN)})
    return "--force" in proc.stdout


def _workbook_build(data: Path, out: Path, ids: list[str], jobs: int, *, force: bool, log: Path
                    ) -> tuple[float, dict]:
    cmd = [str(BIN / "workbook"), "build", str(data), "--out", str(out), "--areas", ",".join(ids),
           "--as-of", AS_OF, "--jobs", str(jobs)]
    if force:
        cmd.append("--force")
    log.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with log.open("a", encoding="utf-8") as handle:
        handle.write("$ " + " ".join(cmd) + "\n")
        handle.flush()
        proc = subprocess.run(cmd, cwd=REPO, stdout=handle, stderr=subprocess.STDOUT, check=False)
    seconds = time.perf_counter() - started
    statuses: dict[str, int] = {}
    manifest = out / "build.json"
    if manifest.is_file():
        data_ = json.loads(manifest.read_text(encoding="utf-8"))
        reports = data_.get("areas", []) + ([data_["overview"]] if data_.get("overview") else [])
        for report in reports:
            statuses[report.get("status", "?")] = statuses.get(report.get("status", "?"), 0) + 1
    return seconds, {"exit": proc.returncode, "statuses": statuses}


def _naive(data: Path, out: Path, ids: list[str], log: Path) -> tuple[float, int]:
    """Area by area: the papermill CLI, then a python -c rendering HTML and PDF; then the overview."""
    executed = out / "_executed"
    executed.mkdir(parents=True, exist_ok=True)
    failures = 0
    started = time.perf_counter()
    jobs = [(key, REPO / "notebooks" / "area.ipynb", ["-p", "area_id", key]) for key in ids]
    jobs.append(("overview", REPO / "notebooks" / "overview.ipynb", []))
    with log.open("a", encoding="utf-8") as handle:
        for key, notebook, extra in jobs:
            nb_out = executed / f"{key}.ipynb"
            for cmd in (
                [str(BIN / "papermill"), str(notebook), str(nb_out), "-p", "data_dir", str(data),
                 *extra, "-p", "as_of", AS_OF, "-k", "python3", "--cwd", str(notebook.parent),
                 "--no-progress-bar", "--log-level", "WARNING"],
                [str(BIN / "python"), "-c", _RENDER, str(nb_out), str(out), key,
                 f"{key} – reducing reoffending report", f"As of {AS_OF}"],
            ):
                handle.write(f"$ {Path(cmd[0]).name} {key} ...\n")
                handle.flush()
                code = subprocess.run(cmd, cwd=REPO, stdout=handle, stderr=subprocess.STDOUT,
                                      check=False).returncode
                if code:
                    failures += 1
                    break
    return time.perf_counter() - started, failures


def _edit_one_milestone(data: Path, area_id: str) -> str:
    """Change the description of the first milestone of ``area_id``'s first plan; return its id."""
    def read(name: str) -> tuple[list[str], list[dict[str, str]]]:
        with (data / name).open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            return list(reader.fieldnames or []), list(reader)

    _, plans = read("plans.csv")
    _, strands = read("strands.csv")
    columns, milestones = read("milestones.csv")
    plan_ids = {p["plan_id"] for p in plans if p["area_id"] == area_id}
    strand_ids = {s["strand_id"] for s in strands if s["plan_id"] in plan_ids}
    target = next(m for m in milestones if m["strand_id"] in strand_ids)
    target["description"] += " (revised)"
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(milestones)
    (data / "milestones.csv").write_text(buffer.getvalue(), encoding="utf-8", newline="")
    return target["milestone_id"]


def _describe(info: dict) -> str:
    parts = [f"{n} {status}" for status, n in sorted(info["statuses"].items())]
    text = ", ".join(parts) or "no build.json"
    return text + ("" if info["exit"] == 0 else f"; exit {info['exit']}")


def run(areas: int, say) -> list[Row]:
    source, ids = dataset(areas, say)
    work = DATA / f"work-build-{areas}"
    shutil.rmtree(work, ignore_errors=True)
    data = work / "data"  # a copy: benchmark 3 edits it
    shutil.copytree(source, data)
    logs = work / "logs"
    logs.mkdir(parents=True)
    force = has_force()
    n = len(ids)
    section = f"2. build {n} areas + overview (HTML+PDF)"
    rows: list[Row] = []
    if not force:
        say("  note: `workbook build --force` is not available; each full build uses a fresh folder")

    say(f"  naive loop over {n} areas (papermill CLI + render) ...")
    naive_s, naive_fail = _naive(data, work / "out-naive", ids, logs / "naive.log")
    say(f"    {naive_s:.1f} s ({naive_fail} failures)")

    out = work / "out"
    say("  workbook build --jobs 1 ...")
    j1_s, j1 = _workbook_build(data, out if force else work / "out-jobs1", ids, 1, force=force,
                               log=logs / "jobs1.log")
    say(f"    {j1_s:.1f} s ({_describe(j1)})")
    say("  workbook build --jobs 2 ...")
    j2_s, j2 = _workbook_build(data, out, ids, 2, force=force, log=logs / "jobs2.log")
    say(f"    {j2_s:.1f} s ({_describe(j2)})")

    per = f"per area (÷{n})"
    flag = " --force" if force else " (fresh folder)"
    rows += [
        Row(section, f"workbook build --jobs 1{flag}", fmt_s(j1_s), fmt_s(naive_s),
            f"{naive_s / j1_s:.2f}× faster than naive", note=f"{j1_s / n:.1f} s {per}; {_describe(j1)}"),
        Row(section, f"workbook build --jobs 2{flag}", fmt_s(j2_s), fmt_s(naive_s),
            f"{naive_s / j2_s:.2f}× faster than naive", f"≥ {TARGET_NAIVE:g}× vs naive",
            verdict(naive_s / j2_s >= TARGET_NAIVE),
            f"{j2_s / n:.1f} s {per}; {_describe(j2)}; naive {naive_s / n:.1f} s {per}, "
            f"{naive_fail} failures"),
        Row(section, "jobs 2 vs jobs 1", fmt_s(j2_s), fmt_s(j1_s), f"{j1_s / j2_s:.2f}× faster",
            f"≥ {TARGET_JOBS:g}×", verdict(j1_s / j2_s >= TARGET_JOBS), "baseline: the same build, --jobs 1"),
    ]

    section = "3. incremental rebuild (jobs 2)"
    say("  rebuild, nothing changed ...")
    same_s, same = _workbook_build(data, out, ids, 2, force=False, log=logs / "nothing.log")
    say(f"    {same_s:.1f} s ({_describe(same)})")
    changed_area = ids[len(ids) // 2]
    milestone = _edit_one_milestone(data, changed_area)
    say(f"  rebuild, milestone {milestone} of {changed_area} changed ...")
    one_s, one = _workbook_build(data, out, ids, 2, force=False, log=logs / "one.log")
    say(f"    {one_s:.1f} s ({_describe(one)})")
    rows += [
        Row(section, "nothing changed", fmt_s(same_s), fmt_s(j2_s), f"{100 * same_s / j2_s:.1f}% of full",
            f"< {TARGET_NOTHING:g}%", verdict(100 * same_s / j2_s < TARGET_NOTHING),
            f"baseline: the full --jobs 2 build; {_describe(same)}"),
        Row(section, f"1 of {n} areas changed", fmt_s(one_s), fmt_s(j2_s),
            f"{100 * one_s / j2_s:.1f}% of full", f"< {TARGET_ONE:g}%",
            verdict(100 * one_s / j2_s < TARGET_ONE),
            f"milestone {milestone} of {changed_area} edited; {_describe(one)}"),
    ]
    return rows
