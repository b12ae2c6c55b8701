"""One aggregation run in a fresh process: ``python -m bench._agg_child MODE DATA_DIR OUT``.

MODE ``workbook``: check_records (every contract rule, DuckDB over the file) then
aggregate_offenders (DuckDB SQL). MODE ``pandas``: pd.read_parquet + groupby to the same table.
Writes the cohort table to OUT (Parquet) and prints one JSON line: seconds of work (after
imports), import seconds, peak RSS of this process (KiB) and the problems found.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

KEYS = ["area_id", "cohort", "measure"]


def _workbook(data_dir: Path) -> tuple[object, float, int]:
    import csv
    from datetime import date

    from analysis.offenders import aggregate_offenders
    from analysis.records import check_records

    started = time.perf_counter()
    with (data_dir / "areas.csv").open(encoding="utf-8", newline="") as handle:
        area_ids = {row["area_id"] for row in csv.DictReader(handle)}
    problems = check_records(data_dir / "offenders.parquet", area_ids, date.today())
    table = aggregate_offenders(data_dir / "offenders.parquet")
    return table, started, len(problems)


def _pandas(data_dir: Path) -> tuple[object, float, int]:
    import pandas as pd

    started = time.perf_counter()
    frame = pd.read_parquet(data_dir / "offenders.parquet")
    frame["variance"] = frame["predicted"] * (1.0 - frame["predicted"])
    table = (
        frame.groupby(KEYS, sort=True)
        .agg(offenders=("reoffended", "size"), reoffenders=("reoffended", "sum"),
             reoffences=("reoffences", "sum"), predicted_rate=("predicted", "mean"),
             predicted_variance=("variance", "sum"), serious_reoffences=("serious", "sum"))
        .reset_index()
    )
    table["predicted_rate"] *= 100.0
    return table, started, 0


def main(argv: list[str]) -> int:
    mode, data_dir, out = argv
    began = time.perf_counter()
    import pandas  # noqa: F401 - both modes return a DataFrame; import cost reported separately

    run = {"workbook": _workbook, "pandas": _pandas}[mode]
    table, started, problems = run(Path(data_dir))
    seconds = time.perf_counter() - started
    table.to_parquet(out)
    print(json.dumps({
        "mode": mode,
        "seconds": seconds,
        "import_seconds": started - began,
        "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "problems": problems,
        "groups": len(table),
    }))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
