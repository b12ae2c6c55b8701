"""Tests for analysis.funnel: Spiegelhalter (2005) funnel limits with overdispersion."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.funnel import (
    LIMIT_COLUMNS,
    _overdispersion,
    funnel_curve,
    funnel_limits,
    funnel_ratio_curve,
    funnel_ratio_limits,
    funnel_ratio_points,
)

COHORT = "2009-Q1"
MEASURE = "adult-proven-1yr"


def _table(offenders, reoffenders, predicted=None, areas=None):
    k = len(offenders)
    frame = pd.DataFrame(
        {
            "area_id": areas or [f"area-{chr(97 + i)}" for i in range(k)],
            "cohort": COHORT,
            "measure": MEASURE,
            "offenders": pd.array(offenders, dtype="Int64"),
            "reoffenders": pd.array(reoffenders, dtype="Int64"),
        }
    )
    if predicted is not None:
        frame["predicted_rate"] = predicted
    return frame


def test_limits_for_one_n_by_hand():
    # pooled θ = (25+20+30+25)/400 = 0.25; T = asin(√0.25) = π/6 = 0.5235988
    # n = 100: s = 1/(2·10) = 0.05
    # 95%: sin²(0.5235988 ∓ 1.959964·0.05) = sin²(0.4256006) = 0.17046, sin²(0.6215970) = 0.33911
    # 99.8%: sin²(0.5235988 ∓ 3.090232·0.05) = 0.13015, 0.39353
    table = _table([100, 100, 100, 100], [25, 20, 30, 25])
    original = table.copy()
    out = funnel_limits(table, measure=MEASURE, cohort=COHORT, overdispersion=False)
    pd.testing.assert_frame_equal(table, original)
    assert out["target"].iloc[0] == pytest.approx(25.0)
    assert out["lower_inner"].iloc[0] == pytest.approx(17.046, abs=1e-3)
    assert out["upper_inner"].iloc[0] == pytest.approx(33.911, abs=1e-3)
    assert out["lower_outer"].iloc[0] == pytest.approx(13.015, abs=1e-3)
    assert out["upper_outer"].iloc[0] == pytest.approx(39.353, abs=1e-3)
    # area-b: z = (asin(√0.2) − π/6)/0.05 = (0.4636476 − 0.5235988)/0.05 = −1.199023
    assert out["z"].iloc[1] == pytest.approx(-1.199023, abs=1e-5)
    assert (out["position"] == "within").all()
    assert out["tau2"].iloc[0] == 0


def test_no_overdispersion_when_phi_small():
    # z = 0, −1.199, 1.121, 0; 10%/90% quantiles (linear): −0.8393, 0.7846;
    # winsorised z² mean = (0.8393² + 0.7846²)/4 = 0.330 → kφ = 1.32 ≤ k − 1 = 3 → τ² = 0
    table = _table([100, 100, 100, 100], [25, 20, 30, 25])
    out = funnel_limits(table, measure=MEASURE, cohort=COHORT)
    assert out["phi"].iloc[0] == pytest.approx(0.330, abs=1e-3)
    assert out["tau2"].iloc[0] == 0
    assert "no overdispersion" in out["method"].iloc[0]


def test_overdispersion_by_hand():
    # six areas, n = 400 each, rates 10%..60%: pooled θ = 1400/2400 = 0.35
    rates = [0.10, 0.20, 0.30, 0.40, 0.50, 0.60]
    table = _table([400] * 6, [int(r * 400) for r in rates])
    out = funnel_limits(table, measure=MEASURE, cohort=COHORT)
    # independent hand calculation, step by step
    t = math.asin(math.sqrt(0.35))
    s = 1 / (2 * math.sqrt(400))  # 0.025
    z = sorted((math.asin(math.sqrt(r)) - t) / s for r in rates)
    # R type-7 quantiles for k = 6: 10% at position 0.5, 90% at position 4.5
    low, high = (z[0] + z[1]) / 2, (z[4] + z[5]) / 2
    phi = sum(min(max(v, low), high) ** 2 for v in z) / 6
    w = 1 / s**2  # 1600 for every area: Σw = 9600, Σw²/Σw = 1600
    tau2 = (6 * phi - 5) / (6 * w - 6 * w**2 / (6 * w))
    assert 6 * phi > 5
    assert out["phi"].iloc[0] == pytest.approx(phi)
    assert out["tau2"].iloc[0] == pytest.approx(tau2)
    spread = math.sqrt(s**2 + tau2)
    assert out["upper_inner"].iloc[0] == pytest.approx(math.sin(t + 1.959964 * spread) ** 2 * 100)
    assert out["lower_outer"].iloc[0] == pytest.approx(math.sin(t - 3.090232 * spread) ** 2 * 100)
    assert "Spiegelhalter et al. 2012" in out["method"].iloc[0]
    plain = funnel_limits(table, measure=MEASURE, cohort=COHORT, overdispersion=False)
    # without the adjustment 10% and 60% are far outside 99.8%
    assert plain["position"].iloc[0] == "below 99.8%"
    assert plain["position"].iloc[5] == "above 99.8%"


def test_positions():
    # n = 1000 each; pooled (100+260+300+340+500)/5000 = 0.3
    table = _table([1000] * 5, [100, 260, 300, 340, 500])
    out = funnel_limits(table, measure=MEASURE, cohort=COHORT, overdispersion=False)
    # s = 1/(2√1000) = 0.0158114; T = asin(√0.3) = 0.5796397
    # 95%: sin²(T ∓ 0.0309898) = 27.20%, 32.88%; 99.8%: sin²(T ∓ 0.0488609) = 25.62%, 34.57%
    # 10% < 25.62 < 26% < 27.20 < 30% < 32.88 < 34% < 34.57 < 50%
    assert list(out["position"]) == [
        "below 99.8%", "below 95%", "within", "above 95%", "above 99.8%"
    ]


def test_missing_counts_kept_with_blank_limits():
    table = _table([100, 100, 100], [25, 20, None])
    table.loc[2, "offenders"] = pd.NA
    out = funnel_limits(table, measure=MEASURE, cohort=COHORT)
    assert len(out) == 3
    assert out["position"].isna().iloc[2]
    with pytest.raises(ValueError):
        funnel_limits(table, measure=MEASURE, cohort="2010")


def test_funnel_curve_matches_limits():
    curve = funnel_curve(25.0, [100, 400])
    # n = 100 as above: 17.046% to 33.911%
    assert curve["lower_inner"].iloc[0] == pytest.approx(17.046, abs=1e-3)
    assert curve["upper_inner"].iloc[0] == pytest.approx(33.911, abs=1e-3)
    # narrower for n = 400
    assert curve["upper_inner"].iloc[1] < curve["upper_inner"].iloc[0]
    with pytest.raises(ValueError):
        funnel_curve(125.0, [100])


def test_ratio_limits_by_hand():
    # area-a: O = 60, E = 500·10/100 = 50. Issue 15 made exact Poisson limits the default when no
    # overdispersion adjustment applies (FunnelPlotR); these hand values are the log-normal form,
    # still reachable as limits="log-normal".
    table = _table([500, 500, 500], [60, 50, 40], predicted=[10.0, 10.0, 10.0])
    out = funnel_ratio_limits(table, measure=MEASURE, cohort=COHORT, overdispersion=False,
                              limits="log-normal")
    row = out.iloc[0]
    # ratio = 60/50 = 1.2; s = 1/√50 = 0.1414214; z = log(1.2)/0.1414214 = 1.289208
    # 95%: exp(∓1.959964·0.1414214) = 0.757917, 1.319405; 99.8%: 0.645955, 1.548094
    assert row["expected_reoffenders"] == pytest.approx(50.0)
    assert row["ratio"] == pytest.approx(1.2)
    assert row["z"] == pytest.approx(1.289208, abs=1e-5)
    assert row["lower_inner"] == pytest.approx(0.757917, abs=1e-5)
    assert row["upper_inner"] == pytest.approx(1.319405, abs=1e-5)
    assert row["lower_outer"] == pytest.approx(0.645955, abs=1e-5)
    assert row["upper_outer"] == pytest.approx(1.548094, abs=1e-5)
    assert row["position"] == "within"
    curve = funnel_ratio_curve(1.0, [50], limits="log-normal")
    assert curve["upper_inner"].iloc[0] == pytest.approx(1.319405, abs=1e-5)
    assert out["limits_method"].iloc[0] == "log-normal"


def test_ratio_exact_limits_by_hand():
    # E = 10·10/100 = 1, where the chi-square quantiles have closed forms (shape a = 1 and 2):
    # lower = qchisq(α/2, 2)/2 = −log(1 − α/2); upper u solves P(X ≤ 1 | u) = e^−u·(1 + u) = α/2.
    table = _table([10, 10, 10], [1, 2, 0], predicted=[10.0, 10.0, 10.0])
    out = funnel_ratio_limits(table, measure=MEASURE, cohort=COHORT, overdispersion=False)
    row = out.iloc[0]
    assert row["limits_method"] == "exact"
    assert row["lower_inner"] == pytest.approx(-math.log(0.975), rel=1e-12)
    assert row["lower_outer"] == pytest.approx(-math.log(0.999), rel=1e-12)
    for col, tail in (("upper_inner", 0.025), ("upper_outer", 0.001)):
        u = row[col]
        assert math.exp(-u) * (1 + u) == pytest.approx(tail, rel=1e-10)
    # O = 0 lies below even the 99.8% limit −log(0.999) = 0.001: FunnelPlotR's chi-square limits
    # are continuous in E, so at E = 1 any positive lower limit puts a zero count outside.
    assert list(out["position"]) == ["within", "within", "below 99.8%"]


def test_phe_curve_passes_through_phe_points():
    # PHE tabulates E for each observed count; the "phe" curve read at that E gives O/E again,
    # within PHE's bisection tolerance: v to 1e-7 where E = (1 + O)·v/(1 − v), a relative error
    # up to 1e-7/v in E (v ≈ 5e-4 for O = 1 on the upper 99.8% limit, so 2e-4).
    points = funnel_ratio_points([1, 5, 20, 300])
    for col in LIMIT_COLUMNS:
        curve = funnel_ratio_curve(1.0, points[f"expected_{col}"], limits="phe")
        assert list(curve[col]) == pytest.approx(list(points[col]), rel=2e-4)
    # O = 1 on the lower 95% limit: P(X ≤ 1 | E) = e^−E·(1 + E) = 0.025
    e = points["expected_lower_inner"].iloc[0]
    assert math.exp(-e) * (1 + e) == pytest.approx(0.025, rel=1e-5)


def test_truncation_by_hand():
    # FunnelPlotR truncation, 20 z-scores 1..20, trim 10%: group ⌊rank·10/21⌋ is 0 for ranks 1-2
    # and 9 for ranks 19-20, so 3..18 are kept: φ = mean(z²) over 16 scores; w = 1 (s = 1):
    # τ² = (16φ − 15)/(16 − 1).
    z = np.arange(1.0, 21.0)
    phi, tau2, applied = _overdispersion(z, np.ones(20), trim="truncate", trim_by=0.1)
    kept = np.arange(3.0, 19.0)
    assert phi == pytest.approx(float(np.mean(kept**2)))
    assert tau2 == pytest.approx((16 * phi - 15) / 15)
    assert applied
    # Winsorised instead: clipped to the 10% and 90% quantiles (type 7: 2.9 and 18.1), all 20 kept
    phi_w, _, _ = _overdispersion(z, np.ones(20), trim="winsorise", trim_by=0.1)
    assert phi_w == pytest.approx(float(np.mean(np.clip(z, 2.9, 18.1) ** 2)))


def test_adjusted_only_when_phi_above_one():
    # k = 4 z-scores with φ = 0.9: kφ = 3.6 > k − 1 = 3, so the legacy rule widens the limits,
    # FunnelPlotR's (φ > 1) does not. mean(z²) of (−1.2, −0.6, 0.6, 1.2) is 0.9; truncation
    # keeps all four (groups ⌊rank·10/5⌋ = 2, 4, 6, 8).
    z = np.array([-1.2, -0.6, 0.6, 1.2])
    phi, tau2, applied = _overdispersion(z, np.ones(4), trim="truncate")
    assert phi == pytest.approx(0.9)
    assert tau2 > 0 and not applied
    assert _overdispersion(z, np.ones(4), trim="truncate", rule="legacy")[2]


def test_other_levels_and_wilson():
    table = _table([100, 100, 100, 100], [25, 20, 30, 25])
    out = funnel_limits(table, measure=MEASURE, cohort=COHORT, overdispersion=False, levels=(0.99, 0.9))
    # The columns are the same whatever the levels; the levels (inner first) say which they are.
    assert [c for c in out if c in LIMIT_COLUMNS] == list(LIMIT_COLUMNS)
    assert (out["level_inner"] == 0.9).all() and (out["level_outer"] == 0.99).all()
    # z = qnorm(0.95) = 1.644854 and qnorm(0.995) = 2.575829 (6 decimals), T = π/6, s = 0.05
    assert out["lower_inner"].iloc[0] == pytest.approx(math.sin(math.pi / 6 - 1.644854 * 0.05) ** 2 * 100)
    assert out["upper_outer"].iloc[0] == pytest.approx(math.sin(math.pi / 6 + 2.575829 * 0.05) ** 2 * 100)
    wilson = funnel_limits(table, measure=MEASURE, cohort=COHORT, method="wilson")
    # Wilson: the lower 95% limit p has Wilson upper bound θ = 0.25 at n = 100, z = 1.959964:
    # (p + z²/2n + z·√(p(1−p)/n + z²/4n²))/(1 + z²/n) = 0.25
    p, z, n = wilson["lower_inner"].iloc[0] / 100, 1.959963985, 100
    upper = (p + z * z / (2 * n) + z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))) / (1 + z * z / n)
    assert upper == pytest.approx(0.25, rel=1e-9)
    assert wilson["limits_method"].iloc[0] == "wilson" and not wilson["overdispersion_applied"].iloc[0]
    assert "PHEindicatormethods" in wilson["method"].iloc[0]


def test_options_are_validated():
    table = _table([100, 100, 100], [25, 20, 30], predicted=[20.0, 20.0, 20.0])
    bad = [
        (funnel_limits, {"method": "logit"}, "method='logit'"),
        (funnel_limits, {"levels": (0.95,)}, "levels="),
        (funnel_limits, {"levels": (0.95, 1.2)}, "levels="),
        (funnel_limits, {"overdispersion_trim": "clip"}, "overdispersion_trim='clip'"),
        (funnel_limits, {"trim_by": 0.6}, "trim_by=0.6"),
        (funnel_ratio_limits, {"limits": "normal"}, "limits='normal'"),
        (funnel_ratio_limits, {"target": -1.0}, "target=-1.0"),
    ]
    for func, options, words in bad:
        with pytest.raises(ValueError, match=words.replace("(", r"\(")):
            func(table, measure=MEASURE, cohort=COHORT, **options)
    with pytest.raises(ValueError, match="no overdispersion form"):
        funnel_ratio_curve(1.0, [50], 0.01, limits="exact")
    with pytest.raises(ValueError, match="no overdispersion form"):
        funnel_curve(25.0, [100], 0.01, method="wilson")


def test_ratio_zero_observed():
    table = _table([500, 500, 500], [0, 50, 40], predicted=[10.0, 10.0, 10.0])
    out = funnel_ratio_limits(table, measure=MEASURE, cohort=COHORT)
    assert out["position"].iloc[0] == "below 99.8%"


@settings(max_examples=50)
@given(
    st.lists(
        st.integers(10, 5000).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n))),
        min_size=3,
        max_size=12,
    )
)
def test_limits_bracket_target_and_stay_in_range(pairs):
    table = _table([p[0] for p in pairs], [p[1] for p in pairs])
    original = table.copy()
    out = funnel_limits(table, measure=MEASURE, cohort=COHORT)
    pd.testing.assert_frame_equal(table, original)
    target = out["target"].iloc[0]
    cols = ["lower_outer", "lower_inner", "upper_inner", "upper_outer"]
    values = out[cols].to_numpy()
    assert np.all(values >= -1e-9) and np.all(values <= 100 + 1e-9)
    assert np.all(np.diff(values, axis=1) >= -1e-9)
    assert np.all(out["lower_inner"] <= target + 1e-9) and np.all(out["upper_inner"] >= target - 1e-9)
    assert out["tau2"].iloc[0] >= 0
