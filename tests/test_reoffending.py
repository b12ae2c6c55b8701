"""Tests for analysis.reoffending: rates, Wilson intervals, z-tests, NI 18/NI 30."""

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.reoffending import (
    ni18_targets,
    ni30_progress,
    reoffending_rates,
    trend,
    wilson_interval,
)

DATA = Path(__file__).parent / "data" / "reoffending"


def _frame(**columns):
    base = {"area_id": "area-a", "measure": "adult-proven-1yr"}
    base.update(columns)
    return pd.DataFrame(base)


# ------------------------------------------------------------------------------------------
# Wilson interval


def test_wilson_20_of_100():
    # p = 0.2, z = 1.959964, z² = 3.841459, n = 100
    # centre = (0.2 + 3.841459/200)/(1 + 3.841459/100) = 0.2192073/1.0384146 = 0.2110981
    # half = (1.959964/1.0384146)·√(0.2·0.8/100 + 3.841459/40000) = 1.887457·0.0411830 = 0.0777311
    # → 13.34% to 28.88%
    low, high = wilson_interval(20, 100)
    assert low == pytest.approx(13.337, abs=0.005)
    assert high == pytest.approx(28.883, abs=0.005)


def test_wilson_zero_of_ten():
    # p = 0: centre = (3.841459/20)/1.3841459 = 0.138766;
    # half = (1.959964/1.3841459)·√(3.841459/400) = 1.416005·0.0979982 = 0.138766 → 0% to 27.75%
    low, high = wilson_interval(0, 10)
    assert low == pytest.approx(0.0, abs=1e-9)
    assert high == pytest.approx(27.75, abs=0.01)


def test_wilson_missing_and_invalid():
    assert all(math.isnan(v) for v in wilson_interval(0, 0))
    assert all(math.isnan(v) for v in wilson_interval(pd.NA, 10))
    with pytest.raises(ValueError):
        wilson_interval(11, 10)
    with pytest.raises(ValueError):
        wilson_interval(-1, 10)


@given(st.integers(1, 100_000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_rate_lies_within_wilson_interval(pair):
    reoffenders, offenders = pair
    low, high = wilson_interval(reoffenders, offenders)
    rate = reoffenders / offenders * 100
    assert 0.0 <= low <= rate + 1e-9
    assert rate - 1e-9 <= high <= 100.0


# ------------------------------------------------------------------------------------------
# reoffending_rates


def test_published_rates_golden():
    # HMI Probation ESI report, Gloucestershire: two-year reconviction rate for community
    # orders, commencements 1999 Q1: actual 54.8% against predicted 53.5%;
    # England and Wales 50.2% against 51.7%.
    table = pd.read_csv(DATA / "reoffending_published.csv")
    original = table.copy()
    out = reoffending_rates(table).set_index("area_id")
    pd.testing.assert_frame_equal(table, original)
    glos = out.loc["gloucestershire"]
    assert glos["rate"] == pytest.approx(54.8)
    assert glos["rate_source"] == "published"
    assert glos["difference"] == pytest.approx(1.3)  # 54.8 − 53.5
    assert glos["difference_pct"] == pytest.approx(2.43, abs=0.005)  # 1.3/53.5·100 = 2.4299
    assert glos["significant"] is pd.NA
    assert math.isnan(glos["ci_low"]) and math.isnan(glos["z"])
    ew = out.loc["england-wales"]
    assert ew["difference"] == pytest.approx(-1.5)  # 50.2 − 51.7
    assert ew["difference_pct"] == pytest.approx(-2.90, abs=0.005)  # −1.5/51.7·100 = −2.9014
    # extra columns are passed through
    assert "source_note" in out.columns


def test_one_sample_z_test_by_hand():
    table = _frame(
        cohort=["2005", "2006"],
        offenders=[100, 120],
        reoffenders=[50, 40],
        predicted_rate=[45.0, 45.0],
    )
    out = reoffending_rates(table)
    first, second = out.iloc[0], out.iloc[1]
    # 2005: E = 100·0.45 = 45, sd = √(100·0.45·0.55) = √24.75 = 4.974937,
    # z = (50 − 45)/4.974937 = 1.005038, p = 2·(1 − Φ(1.005)) = 0.3149 → not significant
    assert first["expected_reoffenders"] == pytest.approx(45.0)
    assert first["z"] == pytest.approx(1.005038, abs=1e-5)
    assert first["p_value"] == pytest.approx(0.3149, abs=1e-4)
    assert not first["significant"]
    assert first["rate"] == pytest.approx(50.0)
    assert first["rate_source"] == "counts"
    assert "z = (O - E)/sqrt(n*p*(1-p))" in first["test_method"]
    # 2006: E = 54, sd = √(120·0.45·0.55) = √29.7 = 5.449771, z = −14/5.449771 = −2.568915,
    # p = 0.0102 → significant; rate 33.33%, difference −11.67 points, −25.93%
    assert second["z"] == pytest.approx(-2.568915, abs=1e-5)
    assert second["p_value"] == pytest.approx(0.0102, abs=1e-4)
    assert second["significant"]
    assert second["difference"] == pytest.approx(-11.6667, abs=1e-4)
    assert second["difference_pct"] == pytest.approx(-25.926, abs=1e-3)


def test_frequency_and_severity():
    table = _frame(
        cohort=["2009-Q1"], offenders=[100], reoffenders=[50], reoffences=[150],
        serious_reoffences=[3], rate=[50.0],
    )
    row = reoffending_rates(table).iloc[0]
    assert row["frequency"] == pytest.approx(150.0)  # 150/100·100
    assert row["reoffences_per_reoffender"] == pytest.approx(3.0)  # 150/50
    assert row["severity"] == pytest.approx(3.0)  # 3/100·100
    assert row["ci_low"] == pytest.approx(40.38, abs=0.01)  # Wilson 50/100: 40.38–59.62
    assert row["ci_high"] == pytest.approx(59.62, abs=0.01)


def test_nullable_counts_and_sorting():
    table = pd.DataFrame(
        {
            "area_id": ["b", "a", "a", "a"],
            "cohort": ["2009-Q1", "2010", "2009-Q1", "2009/10"],
            "measure": "ni18",
            "offenders": pd.array([10, pd.NA, 20, 40], dtype="Int64"),
            "reoffenders": pd.array([1, pd.NA, pd.NA, 10], dtype="Int64"),
            "rate": [10.0, 30.0, np.nan, np.nan],
            "predicted_rate": [np.nan, 28.0, 25.0, 20.0],
        }
    )
    out = reoffending_rates(table)
    # a: 2009-Q1 (from 1 Jan 2009), 2009/10 (from 1 Apr 2009), 2010; then b
    assert list(zip(out["area_id"], out["cohort"], strict=True)) == [
        ("a", "2009-Q1"), ("a", "2009/10"), ("a", "2010"), ("b", "2009-Q1")
    ]
    assert str(out["offenders"].dtype) == "Int64"
    assert out["rate_source"].isna().iloc[0]  # a 2009-Q1: no reoffenders, no rate
    assert out["rate"].iloc[1] == pytest.approx(25.0)  # 10/40
    assert out["rate_source"].iloc[2] == "published"
    assert out["significant"].isna().iloc[2]
    # a 2009/10: E = 8, sd = √(40·0.2·0.8) = √6.4 = 2.529822, z = 2/2.529822 = 0.790569
    assert out["z"].iloc[1] == pytest.approx(0.790569, abs=1e-5)


def test_record_level_variance_used_in_z():
    table = _frame(
        cohort=["2009-Q1"], offenders=[5], reoffenders=[2], predicted_rate=[30.0],
        predicted_variance=[0.95],
    )
    row = reoffending_rates(table).iloc[0]
    # E = 5·0.3 = 1.5; z = (2 − 1.5)/√0.95 = 0.5/0.974679 = 0.512989
    assert row["z"] == pytest.approx(0.512989, abs=1e-5)
    assert "sum p_i" in row["test_method"]


# ------------------------------------------------------------------------------------------
# trend


def test_trend_two_proportion_by_hand():
    table = _frame(
        cohort=["2006", "2005"], offenders=[120, 100], reoffenders=[40, 50],
        predicted_rate=[45.0, 45.0],
    )
    out = trend(table)
    base, later = out.iloc[0], out.iloc[1]
    assert base["cohort"] == "2005" and base["change"] == 0 and base["significant"] is pd.NA
    # 2006 against 2005: 33.33% − 50% = −16.67 points, −33.33%
    # P = 90/220 = 0.409091; se = √(0.409091·0.590909·(1/100 + 1/120)) = √0.00443182 = 0.0665719
    # z = (0.333333 − 0.5)/0.0665719 = −2.50357; p = 0.0123 → significant
    assert later["baseline_cohort"] == "2005"
    assert later["change"] == pytest.approx(-16.6667, abs=1e-4)
    assert later["change_pct"] == pytest.approx(-33.3333, abs=1e-4)
    assert later["z"] == pytest.approx(-2.50357, abs=1e-4)
    assert later["p_value"] == pytest.approx(0.0123, abs=1e-4)
    assert later["significant"]
    assert "two-proportion z-test" in later["test_method"]


def test_trend_baseline_choice_and_published_rates():
    table = _frame(cohort=["2005", "2006", "2007"], rate=[50.0, 40.0, 45.0])
    out = trend(table, baseline_cohort="2006")
    assert list(out["change"]) == pytest.approx([10.0, 0.0, 5.0])
    assert list(out["change_pct"]) == pytest.approx([25.0, 0.0, 12.5])  # 10/40, 5/40
    assert out["significant"].isna().all()  # no counts: not tested
    with pytest.raises(ValueError, match="2099"):
        trend(table, baseline_cohort="2099")


# ------------------------------------------------------------------------------------------
# NI 18


# East Midlands NI 18 targets as printed (NOMS East Midlands reducing re-offending plan):
# area: (cohort n, predicted rate %, printed target re-offenders, printed rate %, printed change %)
NI18_PRINTED = {
    "derby": (3884, 7.57, 261, 6.73, -11.06),
    "derbyshire": (7397, 7.45, 506, 6.84, -8.23),
    "leicester": (6494, 8.77, 524, 8.07, -7.97),
    "leicestershire": (4919, 7.95, 353, 7.18, -9.64),
    "nottingham": (6874, 12.22, 784, 11.41, -6.62),
    "nottinghamshire": (7504, 11.86, 832, 11.09, -6.45),
}


def test_ni18_east_midlands_golden():
    table = pd.read_csv(DATA / "ni18_east_midlands.csv")
    out = ni18_targets(table).set_index("area_id")
    assert set(out.index) == set(NI18_PRINTED)
    for area, (n, predicted, target, rate, change) in NI18_PRINTED.items():
        row = out.loc[area]
        assert row["offenders"] == n
        assert row["predicted_rate"] == pytest.approx(predicted)
        assert abs(row["target_reoffenders"] - target) / target <= 0.01, area
        assert abs(row["target_rate"] - rate) / rate <= 0.01, area
        assert abs(row["change_pct"] - change) <= 1.0, area
        assert "1.96" in row["method"] and "not published" in row["method"]
    # Derby by hand: E = 3884·0.0757 = 294.0188; sd = √(294.0188·0.9243) = 16.4852;
    # E − 1.96·sd = 261.71 → 261 (printed 261)
    assert out.loc["derby", "target_reoffenders"] == 261
    assert out.loc["derby", "expected_reoffenders"] == pytest.approx(294.0188, abs=1e-4)
    # the printed expected count is kept alongside
    assert out.loc["derby", "published_expected_reoffenders"] == 294
    # Nottingham by hand: E = 840.0028, sd = √(840.0028·0.8778) = 27.1542,
    # E − 1.96·sd = 786.78 → 786 against printed 784 (0.26% apart)
    assert out.loc["nottingham", "target_reoffenders"] == 786


def test_ni18_record_level_variance():
    table = _frame(
        cohort=["2009-Q1", "2009-Q2"], offenders=[1000, 1000], predicted_rate=[20.0, 20.0],
        predicted_variance=[100.0, np.nan],
    )
    out = ni18_targets(table)
    # with Σp(1−p) = 100: sd = 10, 200 − 19.6 = 180.4 → 180
    # binomial: sd = √(1000·0.2·0.8) = 12.649, 200 − 24.79 = 175.2 → 175
    assert list(out["target_reoffenders"]) == [180, 175]
    assert "sum p_i" in out["method"].iloc[0]


def test_ni18_no_possible_significant_fall():
    table = _frame(cohort=["2009-Q1"], offenders=[10], predicted_rate=[10.0])
    # E = 1, sd = √0.9 = 0.949, 1 − 1.86 < 0 → no count qualifies
    out = ni18_targets(table)
    assert out["target_reoffenders"].isna().all()


@given(st.integers(1, 200_000), st.floats(0.1, 99.9))
def test_ni18_target_never_exceeds_expected(offenders, predicted):
    table = _frame(cohort=["2009-Q1"], offenders=[offenders], predicted_rate=[predicted])
    row = ni18_targets(table).iloc[0]
    if row["target_reoffenders"] is not pd.NA:
        assert 0 <= row["target_reoffenders"] <= row["expected_reoffenders"]
        assert row["target_rate"] <= predicted + 1e-9


# ------------------------------------------------------------------------------------------
# NI 30


def test_ni30_east_midlands():
    # Printed: Lincolnshire baseline 330 proven offences, ceiling 284, improvement target 280;
    # Northamptonshire 858, 732, 719.
    table = pd.read_csv(DATA / "ni30_east_midlands.csv")
    out = ni30_progress(table).set_index("area_id")
    lincs = out.loc["lincolnshire"]
    assert lincs["baseline_reoffences"] == 330
    assert lincs["change_needed"] == -50  # 280 − 330
    assert lincs["change_needed_pct"] == pytest.approx(-15.15, abs=0.01)  # −50/330 → −15.2%
    assert lincs["ceiling_change_pct"] == pytest.approx(-13.94, abs=0.01)  # −46/330
    assert lincs["status"] == "no later data"
    northants = out.loc["northamptonshire"]
    assert northants["change_needed"] == -139  # 719 − 858
    assert northants["change_needed_pct"] == pytest.approx(-16.20, abs=0.01)  # −139/858
    assert northants["ceiling_change_pct"] == pytest.approx(-14.69, abs=0.01)  # −126/858


def test_ni30_latest_actual_and_status():
    table = pd.read_csv(DATA / "ni30_east_midlands.csv")
    later = pd.DataFrame(
        {
            "area_id": ["lincolnshire", "lincolnshire", "northamptonshire"],
            "cohort": ["2008/09", "2009/10", "2009/10"],
            "measure": "ni30",
            "offenders": [100, 98, 240],
            "reoffences": [300, 282, 700],
        }
    )
    out = ni30_progress(pd.concat([table, later], ignore_index=True)).set_index("area_id")
    assert out.loc["lincolnshire", "latest_cohort"] == "2009/10"
    assert out.loc["lincolnshire", "latest_reoffences"] == 282
    assert out.loc["lincolnshire", "change_so_far"] == -48
    assert out.loc["lincolnshire", "status"] == "ceiling target met"  # 280 < 282 <= 284
    assert out.loc["northamptonshire", "status"] == "improvement target met"  # 700 <= 719


# ------------------------------------------------------------------------------------------
# inputs are never mutated

_rows = st.lists(
    st.tuples(
        st.sampled_from(["area-a", "area-b"]),
        st.sampled_from(["2009-Q1", "2009-Q2", "2010", "2010/11"]),
        st.integers(1, 500),
        st.floats(0, 1),
        st.floats(1, 99),
        st.booleans(),
    ),
    min_size=1,
    max_size=8,
)


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=50)
@given(_rows)
def test_inputs_never_mutated(rows):
    table = pd.DataFrame(
        {
            "area_id": [r[0] for r in rows],
            "cohort": [r[1] for r in rows],
            "measure": "ni18",
            "offenders": pd.array([r[2] for r in rows], dtype="Int64"),
            "reoffenders": pd.array(
                [int(r[2] * r[3]) if r[5] else pd.NA for r in rows], dtype="Int64"
            ),
            "rate": [r[3] * 100 for r in rows],
            "predicted_rate": [r[4] for r in rows],
            "extra": "kept",
        }
    )
    original = table.copy()
    rates = reoffending_rates(table)
    rates_copy = rates.copy()
    trend(rates)
    trend(table)
    ni18_targets(table)
    ni30_progress(table)
    pd.testing.assert_frame_equal(table, original)
    pd.testing.assert_frame_equal(rates, rates_copy)
    assert len(rates) == len(table)
    valid = rates["ci_low"].notna()
    assert (rates.loc[valid, "ci_low"] <= rates.loc[valid, "rate"] + 1e-9).all()
    assert (rates.loc[valid, "ci_high"] >= rates.loc[valid, "rate"] - 1e-9).all()
    assert ((rates.loc[valid, "ci_low"] >= 0) & (rates.loc[valid, "ci_high"] <= 100)).all()
