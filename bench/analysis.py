"""Benchmark 4: validating and analysing a national-size dataset, stage by stage.

``synth`` writes N areas × 12 quarters (default 500, 100 with --quick: plans, strands, milestones,
inspections, recommendations, indicators, cohorts), then the bench times, in this process:
loading and validating it (analysis.loader), the whole of analysis.pipeline.analyse, and within
it the recommendation tracking (analysis.recommendations) on its own. Best of ``repeats`` runs.
"""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

from .common import DATA, SEED, Row, fmt_s, verdict

QUARTERS = 12
AS_OF = date(2021, 12, 31)  # the synthetic data's "as at" (12 quarters from 2019-Q1)
TARGET_ANALYSE = 60.0  # seconds for validate + analyse at 500 areas


def dataset(areas: int, say) -> Path:
    from analysis.synth import synthesise

    folder = DATA / f"analysis-a{areas}-q{QUARTERS}-s{SEED}"
    if not (folder / "recommendations.csv").is_file():
        say(f"generating {areas} areas × {QUARTERS} quarters in {folder} ...")
        synthesise(folder, areas=areas, quarters=QUARTERS, seed=SEED, first_quarter="2019-Q1")
    return folder


def _best(repeats: int, run) -> tuple[float, object]:
    best, value = float("inf"), None
    for _ in range(repeats):
        started = time.perf_counter()
        value = run()
        best = min(best, time.perf_counter() - started)
    return best, value


def run(areas: int, repeats: int, say) -> list[Row]:
    from analysis import progress
    from analysis.loader import load_dataset
    from analysis.pipeline import analyse
    from analysis.recommendations import inspection_responses, recommendation_status

    folder = dataset(areas, say)
    load_s, data = _best(repeats, lambda: load_dataset(folder))
    t = data.table
    rows_in = sum(len(frame) for frame in data.tables.values())
    analyse_s, _ = _best(repeats, lambda: analyse(data, as_of=AS_OF))
    ms = progress.milestone_status(t("milestones"), t("strands"), t("plans"), AS_OF)
    strands = progress.strand_summary(t("strands"), t("plans"), ms, t("progress"), AS_OF)

    def track():
        status = recommendation_status(t("recommendations"), t("inspections"), strands, t("plans"),
                                       AS_OF)
        return status, inspection_responses(status)

    rec_s, (status, _) = _best(repeats, track)
    total = load_s + analyse_s
    say(f"  {areas} areas, {rows_in:,} rows: load {load_s:.2f} s, analyse {analyse_s:.2f} s, "
        f"recommendations {rec_s:.3f} s ({len(status):,})")
    return [
        Row("4. analysis", f"validate {areas} areas ({rows_in:,} rows in {len(data.tables)} tables)",
            fmt_s(load_s)),
        Row("4. analysis", f"analyse {areas} areas, every derived table", fmt_s(analyse_s)),
        Row("4. analysis", f"validate + analyse {areas} areas", fmt_s(total),
            target=f"< {TARGET_ANALYSE:.0f} s" if areas >= 500 else "",
            result=verdict(total < TARGET_ANALYSE) if areas >= 500 else ""),
        Row("4. analysis", f"recommendations tracked against strands ({len(status):,} of "
            f"{t('inspections').shape[0]:,} inspections)", fmt_s(rec_s),
            note=f"{rec_s / max(len(status), 1) * 1e6:.0f} µs per recommendation"),
    ]
