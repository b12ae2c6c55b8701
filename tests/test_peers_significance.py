"""Peer parity (issue 15): Wilson intervals, the actual-against-predicted tests and NI 18 targets.

Every case of ../shared/peers/statsmodels_scipy.json and the Wilson cases of
../shared/peers/pheindicatormethods.json, reproduced within the tolerance each states, under the
default options or under the named option that implements that peer's method. The always-z-test
behaviour that the exact-binomial case lists as the workbook's old convention is reachable only
as significance="legacy-z-test".
"""

from __future__ import annotations

import html
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from analysis import funnel, reoffending
from analysis.reoffending import ni18_targets, reoffending_rates, trend, wilson_interval
from analysis.significance import binomial_test, clopper_pearson

PEERS = Path(__file__).resolve().parents[2] / "shared" / "peers"
PHE_WILSON = ("phe-wilson95-proportion", "phe-wilson998-proportion", "phe-wilson95-percentage",
              "phe-wilson95-grouped", "phe-wilson-bounds-byars-wilson-sheet", "phe-wilson-missing")


def _cases(peer: str) -> dict[str, dict[str, Any]]:
    path = PEERS / f"{peer}.json"
    if not path.exists():
        return {}
    return {case["id"]: case for case in json.loads(path.read_text(encoding="utf-8"))["cases"]}


SM = _cases("statsmodels_scipy")
PHE = _cases("pheindicatormethods")
needs_peers = pytest.mark.skipif(not SM or not PHE, reason=f"peer reference data not found in {PEERS}")


def _close(actual: object, expected: object, tolerance: dict[str, Any], what: str) -> None:
    """One value against the peer's: blank for blank, equal flags, numbers within rel or abs."""
    if expected is None:
        assert actual is None or pd.isna(actual), f"{what}: expected no value, got {actual!r}"
        return
    assert actual is not None and not pd.isna(actual), f"{what}: expected {expected!r}, got a blank"
    if isinstance(expected, bool):
        assert bool(actual) is expected, f"{what}: expected {expected}, got {actual!r}"
        return
    rel, absolute = tolerance.get("rel", 0.0), tolerance.get("abs", 0.0)
    assert math.isclose(float(actual), float(expected), rel_tol=rel, abs_tol=absolute), (
        f"{what}: {float(actual)!r} against the peer's {expected!r} (rel {rel}, abs {absolute})")


def _rows(case: dict[str, Any]) -> list[dict[str, Any]]:
    return case["expected"]["rows"]


def _cohorts(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """One area per row, so that every row is its own cohort of a reoffending table."""
    return pd.DataFrame({
        "area_id": [f"area-{i:02d}" for i in range(len(rows))], "measure": "ni18", "cohort": "2009",
        "offenders": [r["offenders"] for r in rows], "reoffenders": [r.get("reoffenders") for r in rows],
        "predicted_rate": [r["predicted_rate"] for r in rows],
    })


# ------------------------------------------------------------------------------------- Wilson


def _z(given: object) -> object:
    return reoffending.Z95 if given == "default" else given


@needs_peers
@pytest.mark.parametrize("case_id", ["sm-wilson95-grid", "sm-wilson998-grid", *PHE_WILSON])
def test_wilson_interval(case_id: str) -> None:
    case = SM.get(case_id) or PHE[case_id]
    given, expected = case["input"], case["expected"]
    zs = given["z"] if isinstance(given["z"], list) else [given["z"]] * len(given["x"])
    # wilson_interval gives percent; the peer's scale is 1 (a proportion) or 100 (percent).
    per = 100.0 / given["scale"]
    for i, (x, n, z) in enumerate(zip(given["x"], given["n"], zs, strict=True)):
        low, high = wilson_interval(math.nan if x is None else x, math.nan if n is None else n, z=_z(z))
        for name, value in (("lower", low), ("upper", high)):
            want = expected[name][i]
            _close(None if math.isnan(value) else value / per, want, case["tolerance"],
                   f"{case_id} {x}/{n} {name}")


def _bounds(out: pd.DataFrame, case: dict[str, Any], rows: Any) -> None:
    given = case["input"]
    for i in rows:
        what = f"{given['x'][i]}/{given['n'][i]}"
        _close(out["ci_low"].iloc[i], case["expected"]["lower"][i], case["tolerance"], f"{what} lower")
        _close(out["ci_high"].iloc[i], case["expected"]["upper"][i], case["tolerance"], f"{what} upper")


@needs_peers
def test_wilson_rates_table() -> None:
    """reoffending_rates' ci_low/ci_high with interval="wilson" (statsmodels' Wilson, z = 1.959964)."""
    case = SM["sm-wilson95-rates-table"]
    x, n = case["input"]["x"], case["input"]["n"]
    table = pd.DataFrame({"area_id": [f"area-{i:02d}" for i in range(len(x))], "measure": "ni18",
                          "cohort": "2009", "offenders": n, "reoffenders": x})
    out = reoffending_rates(table, interval="wilson").set_index("area_id").loc[table["area_id"]]
    assert (out["interval_method"] == "Wilson").all()
    _bounds(out, case, range(len(x)))


@needs_peers
def test_wilson_rates_table_default_keeps_wilson_for_large_cohorts() -> None:
    """By default only cohorts with n·r·(1−r) < 10 change to Clopper–Pearson; the rest are Wilson."""
    case = SM["sm-wilson95-rates-table"]
    x, n = np.array(case["input"]["x"], dtype=float), np.array(case["input"]["n"], dtype=float)
    table = pd.DataFrame({"area_id": [f"area-{i:02d}" for i in range(len(x))], "measure": "ni18",
                          "cohort": "2009", "offenders": n.astype(int), "reoffenders": x.astype(int)})
    out = reoffending_rates(table).set_index("area_id").loc[table["area_id"]]
    large = n * (x / n) * (1 - x / n) >= 10
    assert large.any() and (~large).any()
    assert (out["interval_method"].to_numpy()[large] == "Wilson").all()
    assert (out["interval_method"].to_numpy()[~large] == "Clopper-Pearson").all()
    _bounds(out, case, np.flatnonzero(large))


# ------------------------------------------------------------------------------- constants


@needs_peers
def test_normal_quantiles() -> None:
    case = SM["sm-normal-quantiles"]
    ours = {"Z95": funnel.Z95, "Z998": funnel.Z998, "Z95_reoffending": reoffending.Z95}
    for name, value in case["expected"].items():
        _close(ours[name], value, case["tolerance"], name)


# ---------------------------------------------------------------------- actual against predicted


@needs_peers
def test_one_sample_z_test_legacy_option() -> None:
    """statsmodels' proportions_ztest on every row: the z-test for all cohorts ("legacy-z-test")."""
    case = SM["sm-one-sample-ztest"]
    rows = _rows(case)
    out = reoffending_rates(_cohorts(rows), significance="legacy-z-test")
    assert (out["significance_test"] == "z-test").all()
    for row, (_, got) in zip(rows, out.iterrows(), strict=True):
        for column in case["tolerance"]["compare"]:
            ours = got["p_value" if column == "p_value_scipy" else column]
            _close(ours, row[column], case["tolerance"], f"{row['reoffenders']}/{row['offenders']} {column}")


@needs_peers
def test_one_sample_z_test_default_on_large_cohorts() -> None:
    """Under the default the z-test is kept where n·p·(1−p) ≥ 10, and z is given on every row."""
    case = SM["sm-one-sample-ztest"]
    rows = _rows(case)
    out = reoffending_rates(_cohorts(rows))
    large = [r["offenders"] * r["predicted_rate"] / 100 * (1 - r["predicted_rate"] / 100) >= 10 for r in rows]
    assert any(large) and not all(large)
    for row, big, (_, got) in zip(rows, large, out.iterrows(), strict=True):
        what = f"{row['reoffenders']}/{row['offenders']}"
        _close(got["z"], row["z"], case["tolerance"], f"{what} z")
        assert got["significance_test"] == ("z-test" if big else "exact binomial")
        if big:
            _close(got["p_value"], row["p_value"], case["tolerance"], f"{what} p_value")
            _close(got["significant"], row["significant"], case["tolerance"], f"{what} significant")


@needs_peers
@pytest.mark.parametrize("significance", ["auto", "exact"])
def test_exact_binomial_small_cohorts(significance: str) -> None:
    """scipy.stats.binomtest's p-values for cohorts of 10-40, by default and with "exact"."""
    case = SM["scipy-exact-binomial-small-cohorts"]
    rows = _rows(case)
    options = {} if significance == "auto" else {"significance": significance}
    out = reoffending_rates(_cohorts(rows), **options)
    assert (out["significance_test"] == "exact binomial").all()
    assert out["test_method"].str.contains("scipy.stats.binomtest").all()
    for row, (_, got) in zip(rows, out.iterrows(), strict=True):
        what = f"{row['reoffenders']}/{row['offenders']}"
        for column in case["tolerance"]["compare"]:
            _close(got[column], row[column], case["tolerance"], f"{what} {column}")
        # The function itself, without the table around it.
        _close(binomial_test(row["reoffenders"], row["offenders"], row["predicted_rate"] / 100),
               row["p_value"], case["tolerance"], "binomial_test")


@needs_peers
def test_exact_binomial_convention_only_as_legacy() -> None:
    """The case's convention (the normal approximation) is what "legacy-z-test" gives, not the default."""
    case = SM["scipy-exact-binomial-small-cohorts"]
    convention = case["convention"]
    rows = convention["expected"]["rows"]
    legacy = reoffending_rates(_cohorts(rows), significance="legacy-z-test")
    default = reoffending_rates(_cohorts(rows))
    for row, (_, got), (_, new) in zip(rows, legacy.iterrows(), default.iterrows(), strict=True):
        for column in convention["tolerance"]["compare"]:
            _close(got[column], row[column], convention["tolerance"], f"legacy {row['offenders']} {column}")
        assert not math.isclose(new["p_value"], row["p_value"], rel_tol=1e-6)


def test_issue_case_n30_o15_p033_is_not_significant() -> None:
    # The issue's example: the z-test gives p = 0.048 (significant), the exact test 0.053.
    table = pd.DataFrame({"area_id": ["a"], "measure": ["ni18"], "cohort": ["2009"],
                          "offenders": [30], "reoffenders": [15], "predicted_rate": [33.0]})
    row = reoffending_rates(table).iloc[0]
    assert row["p_value"] == pytest.approx(0.0533, abs=5e-4)
    assert not row["significant"]
    assert row["significance_test"] == "exact binomial"
    legacy = reoffending_rates(table, significance="legacy-z-test").iloc[0]
    assert legacy["p_value"] == pytest.approx(0.0477, abs=5e-4) and legacy["significant"]


@needs_peers
def test_two_proportion_z_test() -> None:
    """trend(): statsmodels proportions_ztest([O2, O1], [n2, n1]) with the pooled variance."""
    case = SM["sm-two-proportion-ztest"]
    for row in _rows(case):
        table = pd.DataFrame({"area_id": "a", "measure": "ni18", "cohort": ["2005", "2006"],
                              "offenders": [row["n1"], row["n2"]], "reoffenders": [row["o1"], row["o2"]]})
        later = trend(table).set_index("cohort").loc["2006"]
        for column in case["tolerance"]["compare"]:
            _close(later[column], row[column], case["tolerance"], f"{row} {column}")


@needs_peers
def test_ni18_targets() -> None:
    case = SM["scipy-ni18-targets"]
    rows = _rows(case)
    table = _cohorts(rows).drop(columns="reoffenders")
    out = ni18_targets(table).set_index("area_id").loc[table["area_id"]]
    for row, (_, got) in zip(rows, out.iterrows(), strict=True):
        _close(got["target_reoffenders"], row["target_reoffenders"], case["tolerance"],
               f"{row['offenders']} at {row['predicted_rate']}%")


# ------------------------------------------------------------------ Clopper–Pearson and options


def test_clopper_pearson_known_values() -> None:
    # Closed forms at the ends: upper for 0 of n is 1 - (alpha/2)^(1/n), lower for n of n (alpha/2)^(1/n).
    assert clopper_pearson(0, 10) == (0.0, pytest.approx(1 - 0.025 ** 0.1, rel=1e-12))
    assert clopper_pearson(10, 10) == (pytest.approx(0.025 ** 0.1, rel=1e-12), 1.0)
    # scipy's documented example: binomtest(3, n=15, p=0.1, alternative='greater')
    # .proportion_ci(0.95) = (0.05684686759024681, 1.0), a one-sided 95% lower limit, i.e. the
    # lower limit of the two-sided 90% interval.
    assert clopper_pearson(3, 15, alpha=0.1)[0] == pytest.approx(0.05684686759024681, rel=1e-10)
    # Each limit solves its defining equation: P(X >= k; low) = P(X <= k; high) = 0.025.
    low, high = clopper_pearson(7, 23)
    tail_up = sum(math.comb(23, i) * low**i * (1 - low) ** (23 - i) for i in range(7, 24))
    tail_down = sum(math.comb(23, i) * high**i * (1 - high) ** (23 - i) for i in range(0, 8))
    assert tail_up == pytest.approx(0.025, rel=1e-9) and tail_down == pytest.approx(0.025, rel=1e-9)


def test_exact_interval_option_and_method_columns() -> None:
    table = pd.DataFrame({"area_id": ["a", "b"], "measure": "ni18", "cohort": "2009",
                          "offenders": [1000, 10], "reoffenders": [500, 1], "predicted_rate": [50.0, 30.0]})
    default = reoffending_rates(table)
    assert default["interval_method"].tolist() == ["Wilson", "Clopper-Pearson"]
    low, high = clopper_pearson(1, 10)
    assert default["ci_low"].iloc[1] == pytest.approx(100 * low)
    assert default["ci_high"].iloc[1] == pytest.approx(100 * high)
    exact = reoffending_rates(table, interval="exact")
    assert exact["interval_method"].tolist() == ["Clopper-Pearson"] * 2
    assert exact["ci_low"].iloc[0] == pytest.approx(100 * clopper_pearson(500, 1000)[0])
    assert reoffending_rates(table, interval="wilson")["interval_method"].tolist() == ["Wilson"] * 2


@pytest.mark.parametrize(("option", "value"), [("significance", "z-test"), ("significance", None),
                                               ("interval", "beta"), ("exact_below", -1),
                                               ("exact_below", "ten")])
def test_invalid_options_name_themselves(option: str, value: object) -> None:
    table = pd.DataFrame({"area_id": ["a"], "measure": "ni18", "cohort": "2009", "offenders": [10],
                          "reoffenders": [1], "predicted_rate": [30.0]})
    with pytest.raises(ValueError, match=option):
        reoffending_rates(table, **{option: value})


# --------------------------------------------------------------------- notes name the method


def _small_and_large() -> pd.DataFrame:
    # n·p·(1−p): 30·0.33·0.67 = 6.6 (small), 1000·0.3·0.7 = 210 (large).
    return pd.DataFrame({"area_id": "a", "measure": "ni18", "cohort": ["2009", "2010"],
                         "offenders": [30, 1000], "reoffenders": [15, 310], "predicted_rate": [33.0, 30.0]})


def test_rates_table_note_names_the_methods_used() -> None:
    from analysis.reoffending_tables import rates_table

    def note(**options: Any) -> str:
        page = rates_table(reoffending_rates(_small_and_large(), **options), threshold=10).as_raw_html()
        return html.unescape(page)

    mixed = note()
    assert "exact two-sided binomial test where the variance n·p·(1−p) of the count is below 10" in mixed
    assert "exact (Clopper–Pearson) 95% interval where" in mixed and "Wilson score interval" in mixed
    legacy = note(significance="legacy-z-test", interval="wilson")
    assert "binomial" not in legacy and "Clopper" not in legacy
    assert "one-sample z-test" in legacy and "Wilson score interval" in legacy
    exact = note(significance="exact", interval="exact")
    assert "z-test" not in exact and "Wilson" not in exact


def test_chart_captions_name_the_methods_used() -> None:
    from analysis.charts.prepare.reoffending import describe_difference, describe_trend, prepare_cohorts

    def captions(**options: Any) -> str:
        cohorts = prepare_cohorts(reoffending_rates(_small_and_large(), **options), 10)
        assert cohorts is not None
        return describe_trend(cohorts).caption + " " + describe_difference(cohorts).caption

    assert "exact two-sided binomial test for small cohorts, else" in captions()
    assert "Clopper–Pearson" in captions()
    legacy = captions(significance="legacy-z-test", interval="wilson")
    assert "binomial" not in legacy and "Clopper" not in legacy and "Wilson" in legacy
