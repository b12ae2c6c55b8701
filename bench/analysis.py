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
    rated = _rated_rows(areas, repeats, say)
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
        *rated,
    ]


def _rated_inspections(services: int):
    """Youth justice services each inspected twice under hmip-yj-2018, every standard rated."""
    import numpy as np
    import pandas as pd

    from analysis.frameworks import load_framework

    framework = load_framework("hmip-yj-2018")
    rng = np.random.default_rng(SEED)
    inspections, rows = [], []
    for a in range(services):
        for k, day in enumerate(("2019-06-01", "2023-06-01")):
            inspection_id = f"yjs-{a}-{k}"
            inspections.append((inspection_id, f"yjs-{a}", "hmip-yj-2018", pd.Timestamp(day), "full"))
            for code in framework.criteria["criterion"]:
                rating = framework.scale[int(rng.integers(0, 4))]
                rows.append((inspection_id, code, rating, rating, float("nan")))
    return (pd.DataFrame(rows, columns=["inspection_id", "criterion", "value", "rating", "score"]),
            pd.DataFrame(inspections, columns=["inspection_id", "area_id", "framework", "published",
                                               "kind"]))


def _one_by_one(scores, inspections):
    """The baseline: each inspection's standards merged and totalled on its own."""
    from analysis.frameworks import load_framework

    totals = {}
    for insp in inspections.itertuples(index=False):
        framework = load_framework(insp.framework)
        given = scores[scores["inspection_id"] == insp.inspection_id]
        rows = framework.criteria.merge(given, on="criterion", how="left")
        counted = rows[rows["counts"] == "yes"]
        totals[insp.inspection_id] = int(counted["rating"].map(framework.points).sum())
    return totals


def _rated_rows(areas: int, repeats: int, say) -> list[Row]:
    from analysis.ratings import overall_ratings, rating_change, rating_comparison, standard_ratings

    scores, inspections = _rated_inspections(areas)

    def workbook():
        standards = standard_ratings(scores, inspections)
        overall = overall_ratings(scores, inspections, standards)
        rating_change(standards, overall, inspections)
        rating_comparison(standards, overall, inspections)
        return dict(zip(overall["inspection_id"], overall["total"], strict=True))

    ours_s, ours = _best(repeats, workbook)
    base_s, base = _best(repeats, lambda: _one_by_one(scores, inspections))
    same = ours == base
    say(f"  {len(inspections):,} rated inspections: {ours_s:.2f} s (one by one {base_s:.2f} s)")
    return [Row("4. analysis", f"rated inspections: {areas} youth justice services x 2, standards, "
                f"totals, change and comparison", fmt_s(ours_s), fmt_s(base_s),
                f"{base_s / ours_s:.1f}x faster", note="baseline: each inspection's standards "
                "merged and totalled on its own (totals only)"),
            Row("4. analysis", "rated inspections: same totals", "yes" if same else "no",
                target="identical", result=verdict(same))]
