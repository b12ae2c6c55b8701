"""Benchmark 1: aggregating record-level offenders, workbook (validate + DuckDB) vs plain pandas."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .common import DATA, REPO, SEED, Row, fmt_mib, fmt_s, verdict

TARGET_SECONDS = 15.0
TARGET_RSS_KIB = 2 * 1024 * 1024  # 2 GiB
KEYS = ["area_id", "cohort", "measure"]
COUNTS = ["offenders", "reoffenders", "reoffences", "serious_reoffences"]
FLOATS = ["predicted_rate", "predicted_variance"]


@dataclass(frozen=True)
class Size:
    label: str
    areas: int
    quarters: int
    offenders_per_quarter: int


SIZES = {
    "1M": Size("1M", areas=50, quarters=20, offenders_per_quarter=1_000),
    "10M": Size("10M", areas=100, quarters=20, offenders_per_quarter=5_000),
}


def dataset(size: Size, say) -> tuple[Path, int]:
    """The cached synthetic dataset for ``size`` (generated once, outside any timing)."""
    from analysis.synth import synthesise

    key = f"records-{size.label}-a{size.areas}-q{size.quarters}-o{size.offenders_per_quarter}-s{SEED}"
    folder = DATA / key
    stamp = folder / "rows.json"
    if stamp.is_file() and (folder / "offenders.parquet").is_file():
        return folder, json.loads(stamp.read_text())["offenders"]
    say(f"generating {size.label} record-level rows in {folder} (once; cached) ...")
    started = time.perf_counter()
    counts = synthesise(folder, areas=size.areas, quarters=size.quarters,
                        offenders_per_quarter=size.offenders_per_quarter, seed=SEED, record_level=True)
    stamp.write_text(json.dumps(counts))
    say(f"  {counts['offenders']:,} rows in {time.perf_counter() - started:.1f} s")
    return folder, counts["offenders"]


def _child(mode: str, folder: Path, out: Path) -> dict:
    proc = subprocess.run([sys.executable, "-m", "bench._agg_child", mode, str(folder), str(out)],
                          cwd=REPO, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{mode} aggregation failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _same(a: pd.DataFrame, b: pd.DataFrame) -> tuple[bool, str]:
    """Equal cohort tables: counts exactly, rates and variances to 1e-9 relative."""
    a = a.sort_values(KEYS).reset_index(drop=True)
    b = b.sort_values(KEYS).reset_index(drop=True)
    if len(a) != len(b):
        return False, f"{len(a)} vs {len(b)} groups"
    for key in KEYS:
        if not (a[key].astype(str).to_numpy() == b[key].astype(str).to_numpy()).all():
            return False, f"groups differ in {key}"
    for column in COUNTS:
        x = a[column].astype("float64").to_numpy()
        y = b[column].astype("float64").to_numpy()
        if not np.array_equal(x, y):
            return False, f"{column} differs in {int((x != y).sum())} groups"
    for column in FLOATS:
        x = a[column].astype("float64").to_numpy()
        y = b[column].astype("float64").to_numpy()
        if not np.allclose(x, y, rtol=1e-9, atol=1e-9):
            return False, f"{column} differs (max {np.nanmax(np.abs(x - y)):.3g})"
    return True, f"{len(a):,} cohort groups identical"


def run(sizes: list[str], repeats: int, say) -> list[Row]:
    rows: list[Row] = []
    for label in sizes:
        size = SIZES[label]
        folder, n = dataset(size, say)
        section = f"1. aggregation, {n:,} rows"
        out = DATA / "scratch"
        out.mkdir(parents=True, exist_ok=True)
        runs: dict[str, list[dict]] = {"workbook": [], "pandas": []}
        for i in range(repeats):  # interleaved, each in a fresh process
            for mode in runs:
                result = _child(mode, folder, out / f"{mode}-{label}.parquet")
                runs[mode].append(result)
                say(f"  {label} {mode} run {i + 1}/{repeats}: {result['seconds']:.2f} s, "
                    f"peak {result['maxrss_kib'] / 1024:.0f} MiB")
        wb = statistics.median(r["seconds"] for r in runs["workbook"])
        pd_s = statistics.median(r["seconds"] for r in runs["pandas"])
        wb_rss = max(r["maxrss_kib"] for r in runs["workbook"])
        pd_rss = max(r["maxrss_kib"] for r in runs["pandas"])
        same, detail = _same(pd.read_parquet(out / f"workbook-{label}.parquet"),
                             pd.read_parquet(out / f"pandas-{label}.parquet"))
        problems = runs["workbook"][-1]["problems"]
        has_target = label == "10M"
        imports = statistics.median(r["import_seconds"] for r in runs["workbook"])
        rows += [
            Row(section, f"seconds (median of {repeats}, fresh process each)", fmt_s(wb), fmt_s(pd_s),
                f"{pd_s / wb:.2f}× faster" if wb else "",
                f"< {TARGET_SECONDS:g} s" if has_target else "",
                verdict(wb < TARGET_SECONDS) if has_target else "",
                f"workbook validates every rule ({problems} problems) then aggregates; the baseline "
                f"only aggregates. Excludes interpreter start and imports ({imports:.2f} s)."),
            Row(section, "peak RSS (max of runs)", fmt_mib(wb_rss), fmt_mib(pd_rss),
                f"{pd_rss / wb_rss:.2f}× less" if wb_rss else "",
                "< 2 GiB" if has_target else "",
                verdict(wb_rss < TARGET_RSS_KIB) if has_target else "",
                "ru_maxrss of the child process (includes interpreter and imports)"),
            Row(section, "same numbers", "yes" if same else "NO", "", "", "identical",
                verdict(same), detail),
        ]
    return rows
