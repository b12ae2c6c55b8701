"""Funnel limits against the peers' own values (../shared/peers): NHS-R FunnelPlotR 0.6.0 under the
defaults, UKHSA PHEindicatormethods 2.1.0 under its named options, and each case's ``convention``
(the workbook's earlier behaviour) under the options named legacy."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.funnel import (
    funnel_curve,
    funnel_limits,
    funnel_ratio_curve,
    funnel_ratio_limits,
    funnel_ratio_points,
)

PEERS = Path(__file__).resolve().parents[2] / "shared" / "peers"
COHORT = "2009-Q1"
MEASURE = "adult-proven-1yr"
# Offenders per area when a ratio case gives only observed and expected counts: large enough that
# every observed count is a possible number of reoffenders; predicted_rate = 100·E/N.
N_RATIO = 1_000_000

# The option that implements each peer case's own method (FunnelPlotR's cases: the defaults).
OPTIONS = {
    "phe-funnel-proportion-limits": {"method": "wilson"},
    "phe-funnel-proportion-significance-303": {"method": "wilson"},
    "phe-funnel-ratio-limits": {},  # funnel_ratio_points: PHE's table itself
    "phe-funnel-ratio-significance-300": {"limits": "phe"},
}
# The option that keeps each case's `convention` (the earlier behaviour) reachable.
LEGACY = {
    "fpr-sr-unadjusted-limits-E15-20-30": {"limits": "legacy"},
    "fpr-pr-funnel-phi-between-0.9-and-1": {"method": "legacy"},
    "fpr-sr-od-classes-data": {"limits": "legacy"},
    "fpr-medpar-unadjusted-outliers": {"limits": "legacy"},
    "fpr-medpar-shmi-od": {"limits": "legacy"},
    "phe-funnel-proportion-limits": {"method": "legacy"},
    "phe-funnel-proportion-significance-303": {"method": "legacy"},
    "phe-funnel-ratio-limits": {"limits": "legacy"},
    "phe-funnel-ratio-significance-300": {"limits": "legacy"},
}
PHE_BANDS = {"above 99.8%": "High (0.001)", "above 95%": "High (0.025)", "below 99.8%": "Low (0.001)",
             "below 95%": "Low (0.025)", "within": "Not significant"}


def _cases() -> list:
    if not PEERS.is_dir():
        reason = f"peer reference data not found at {PEERS}"
        return [pytest.param(None, marks=pytest.mark.skip(reason=reason))]
    out = []
    for name in ("funnelplotr.json", "pheindicatormethods.json"):
        for case in json.loads((PEERS / name).read_text(encoding="utf-8"))["cases"]:
            if name.startswith("funnelplotr") or case["id"].startswith("phe-funnel-"):
                out.append(pytest.param(case, id=case["id"]))
    return out


CASES = _cases()


def _approx(expected, tolerance: dict):
    return pytest.approx(expected, rel=tolerance.get("rel", 0), abs=tolerance.get("abs", 0))


def _proportion_table(case: dict) -> pd.DataFrame:
    data = case["input"]
    k = len(data["denominator"])
    return pd.DataFrame({
        "area_id": data.get("area", [f"area-{i:03d}" for i in range(k)]), "cohort": COHORT,
        "measure": MEASURE, "offenders": np.asarray(data["denominator"], dtype=float),
        "reoffenders": np.asarray(data["numerator"], dtype=float)})


def _ratio_table(case: dict) -> pd.DataFrame:
    data = case["input"]
    k = len(data["observed"])
    return pd.DataFrame({
        "area_id": data.get("area", [f"area-{i:03d}" for i in range(k)]), "cohort": COHORT,
        "measure": MEASURE, "offenders": float(N_RATIO),
        "reoffenders": np.asarray(data["observed"], dtype=float),
        "predicted_rate": np.asarray(data["expected_count"], dtype=float) * 100.0 / N_RATIO})


def _outside(position: pd.Series, level: str) -> list[int]:
    # FunnelPlotR's outlier flag: outside the limits at that level (on a limit is inside).
    if level == "95":
        return [int(p != "within") for p in position]
    return [int("99.8" in p) for p in position]


# The peers name limits by level (FunnelPlotR's LCL95 … UCL99.8); the workbook's columns are
# the inner and outer limits, at the peers' levels (95% and 99.8%) by default.
_LIMIT = {"lower95": "lower_inner", "upper95": "upper_inner", "lower998": "lower_outer",
          "upper998": "upper_outer"}


def _col(key: str) -> str:
    return _LIMIT.get(key, key)


def _observed(case: dict, options: dict, expected: dict) -> dict:
    """What the workbook gives for each key of ``expected``, on the peer's scale."""
    check, data = case["check"], case["input"]
    if check == "proportion_curve":
        curve = funnel_curve(data["target"] * 100, data["n"], data["tau2"], **options)
        return {k: list(curve[_col(k)] / 100) for k in expected}
    if check == "ratio_curve":
        curve = funnel_ratio_curve(data["target"], data["expected"], data["tau2"], **options)
        return {k: list(curve[_col(k)]) for k in expected}
    if check == "ratio_points":
        # PHE tabulates, for each observed count, the expected count at which it sits on each
        # limit. Its own table (funnel_ratio_points) must give those expected counts and ratios;
        # the legacy log-normal curve is read at PHE's expected counts.
        if options.get("limits") == "legacy":
            return {k: list(funnel_ratio_curve(1.0, data[f"expected_{k}"], **options)[_col(k)])
                    for k in expected}
        points = funnel_ratio_points(data["observed"])
        for k in expected:
            assert list(points[f"expected_{_col(k)}"]) == _approx(data[f"expected_{k}"], case["tolerance"])
        return {k: list(points[_col(k)]) for k in expected}
    if check == "proportion_funnel":
        out_frame = funnel_limits(_proportion_table(case), measure=MEASURE, cohort=COHORT,
                                  overdispersion=data["overdispersion"], **options)
        scale = 100.0
    else:
        out_frame = funnel_ratio_limits(_ratio_table(case), measure=MEASURE, cohort=COHORT,
                                        overdispersion=data["overdispersion"],
                                        target=data.get("target", 1.0), **options)
        scale = 1.0
    if "area" in data:  # the table is sorted by area_id; put it back in the peer's order
        out_frame = out_frame.set_index("area_id").loc[[str(a) for a in data["area"]]].reset_index()
    position = out_frame["position"].astype(str)
    got: dict = {}
    for k in expected:
        if k in ("phi", "tau2"):
            got[k] = float(out_frame[k].iloc[0])
        elif k in ("z", "z_unadjusted"):
            got[k] = list(out_frame["z_unadjusted"])
        elif k == "mean_z2":
            got[k] = float(np.mean(out_frame["z_unadjusted"] ** 2))
        elif k.startswith(("lower", "upper")):
            got[k] = list(out_frame[_col(k)] / scale)
        elif k in ("outlier95", "outlier998"):
            got[k] = _outside(position, k.removeprefix("outlier"))
        elif k == "n_outliers998":
            got[k] = sum(_outside(position, "998"))
        elif k == "significance":
            got[k] = [PHE_BANDS[p] for p in position]
        else:
            raise AssertionError(f"{case['id']}: no way to check expected key {k!r}")
    return got


def _assert_matches(case: dict, options: dict, expected: dict, tolerance: dict) -> None:
    got = _observed(case, options, expected)
    for key, want in expected.items():
        if isinstance(want, list) and want and isinstance(want[0], str):
            differ = [i for i, (a, b) in enumerate(zip(got[key], want, strict=True)) if a != b]
            assert not differ, f"{case['id']} {key}: {len(differ)} differ, first at {differ[:5]}"
        else:
            assert got[key] == _approx(want, tolerance), f"{case['id']} {key}"


@pytest.mark.parametrize("case", CASES)
def test_peer_case(case):
    _assert_matches(case, OPTIONS.get(case["id"], {}), case["expected"], case["tolerance"])


@pytest.mark.parametrize("case", [c for c in CASES if c.values[0] and c.values[0].get("convention")])
def test_convention_only_under_legacy(case):
    convention = case["convention"]
    _assert_matches(case, LEGACY[case["id"]], convention["expected"], convention["tolerance"])
