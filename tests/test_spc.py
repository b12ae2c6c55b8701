"""Tests for analysis.spc: XmR charts (NHS Making Data Count) and assurance."""

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.spc import assurance, xmr

QUARTERS = [f"{2010 + i // 4}-Q{i % 4 + 1}" for i in range(16)]


def _series(values, shuffle=False):
    frame = pd.DataFrame({"cohort": QUARTERS[: len(values)], "rate": values})
    return frame.iloc[::-1].reset_index(drop=True) if shuffle else frame


def _flagged(out):
    return [i for i, flag in enumerate(out["special_cause"]) if flag]


def test_rule_1_outside_limits():
    values = [10, 14, 10, 14, 10, 14, 10, 14, 10, 14, 10, 30]
    # mean = 160/12 = 13.333; mR = 4 (×10), 20 → mean mR = 60/11 = 5.4545
    # limits = 13.333 ± 2.66·5.4545 = 13.333 ± 14.509 → −1.176 to 27.842; 30 is above
    # (alternating 10/14 around the mean: no runs; 2/3 line 23.006: only 30 beyond it)
    # These are the limits without moving-range screening (issue 15 made screening the default).
    out = xmr(_series(values, shuffle=True), value_col="rate", period_col="cohort", screen_outliers=False)
    assert list(out["cohort"]) == QUARTERS[:12]  # put back in time order
    assert out["centre"].iloc[0] == pytest.approx(13.3333, abs=1e-4)
    assert out["upper"].iloc[0] == pytest.approx(27.8424, abs=1e-4)
    assert out["lower"].iloc[0] == pytest.approx(-1.1758, abs=1e-4)
    assert out["moving_range"].iloc[11] == 20
    assert _flagged(out) == [11]
    assert out["rules"].iloc[11] == "1"
    assert out["variation"].iloc[11] == "concern"  # better lower, point high
    assert out["variation"].iloc[0] == "common cause"
    assert not out["trial_limits"].any()


def test_screening_drops_the_spike_moving_range():
    values = [10, 14, 10, 14, 10, 14, 10, 14, 10, 14, 10, 30]
    # by hand (NHSRplotthedots' screen_outliers): mean mR = 60/11 = 5.4545; 3.267·5.4545 = 17.82,
    # so the moving range 20 is dropped and mean mR = 40/10 = 4; limits 13.333 ± 10.64
    out = xmr(_series(values), value_col="rate", period_col="cohort")
    assert out["upper"].iloc[0] == pytest.approx(23.9733, abs=1e-4)
    assert out["lower"].iloc[0] == pytest.approx(2.6933, abs=1e-4)
    assert out["moving_range"].iloc[11] == 20  # still shown
    assert list(out["moving_range_used"]) == [False] + [True] * 10 + [False]
    assert _flagged(out) == [11]
    assert out["special_cause_type"].iloc[11] == "Above UCL"


def test_flat_series_keeps_its_limits():
    # every moving range 0: none is an outlier (0 < 3.267·0 is false, which would drop them all)
    out = xmr(_series([5.0] * 12), value_col="rate", period_col="cohort")
    assert (out["lower"] == 5).all() and (out["upper"] == 5).all()
    assert _flagged(out) == []


def test_rule_2_run_of_seven_on_one_side():
    values = [1, 9, 1, 9, 6, 6, 6, 6, 6, 6, 6, 1]
    # mean = 63/12 = 5.25; indices 3..10 (9 then seven 6s) are all above: a run of 8
    # mR mean = (8+8+8+3+0·6+5)/11 = 3.636 → limits 5.25 ± 9.673: none outside;
    # 2/3 lines 5.25 ± 6.448: none beyond
    out = xmr(_series(values), value_col="rate", period_col="cohort", better="higher")
    assert _flagged(out) == list(range(3, 11))
    assert set(out["rules"].iloc[3:11]) == {"2"}
    assert set(out["variation"].iloc[3:11]) == {"improvement"}


def test_point_on_mean_breaks_run():
    values = [0, 10, 0, 10, 6, 6, 6, 5, 6, 6, 6, -1]
    # mean = 60/12 = 5 exactly; index 7 sits on the mean, so the runs above are 3..6 (4 points)
    # and 8..10 (3 points); no other rule fires (limits 5 ± 10.398, 2/3 lines 5 ± 6.932)
    out = xmr(_series(values), value_col="rate", period_col="cohort")
    assert out["centre"].iloc[0] == 5
    assert _flagged(out) == []


def test_rule_3_seven_strictly_rising():
    values = [5, 3, 5, 3, 1, 2, 3, 4, 5, 6, 7, 3]
    # indices 4..10 rise 1, 2, ..., 7: seven points strictly rising
    # mean = 47/12 = 3.917; mR mean = 18/11 = 1.636 → limits 3.917 ± 4.353 (−0.44, 8.27)
    # 2/3 lines: > 6.819 only index 10, < 1.015 only index 4 (never 2 of 3); longest run 4
    out = xmr(_series(values), value_col="rate", period_col="cohort", better="higher")
    assert _flagged(out) == list(range(4, 11))
    assert set(out["rules"].iloc[4:11]) == {"3"}
    # a rising trend is a high signal: improvement when higher is better
    assert set(out["variation"].iloc[4:11]) == {"improvement"}


def test_tie_breaks_trend():
    values = [5, 3, 5, 3, 1, 2, 3, 3, 5, 6, 7, 3]
    # 1, 2, 3, 3, 5, 6, 7: the repeated 3 breaks the rise (runs of 3 and 4)
    # mean = 46/12 = 3.833; limits 3.833 ± 4.353; 2/3 lines > 6.735 (index 10 only),
    # < 0.931 (none); runs below the mean: indices 3..7 (5 points)
    out = xmr(_series(values), value_col="rate", period_col="cohort")
    assert _flagged(out) == []


def test_rule_4_two_of_three_near_limit():
    values = [9, 11, 9, 11, 9, 11, 9, 11, 9, 11, 15, 15]
    # mean = 130/12 = 10.833; mR mean = (2·9 + 4 + 0)/11 = 2 → limits 10.833 ± 5.32
    # = 5.513 to 16.153; 2/3 line above = 10.833 + 3.547 = 14.380: indices 10 and 11 beyond
    # it but inside the upper limit; longest run above the mean 3
    out = xmr(_series(values), value_col="rate", period_col="cohort")
    assert out["upper"].iloc[0] == pytest.approx(16.1533, abs=1e-4)
    assert _flagged(out) == [10, 11]
    assert set(out["rules"].iloc[10:]) == {"4"}
    assert set(out["variation"].iloc[10:]) == {"concern"}


def test_trial_limits_and_missing_values():
    frame = _series([10.0, 12.0, None, 11.0, 13.0])
    out = xmr(frame, value_col="rate", period_col="cohort")
    assert out["trial_limits"].all()
    assert len(out) == 5
    assert out["special_cause"].isna().iloc[2]
    # issue 15: no moving range across the gap (NHSRplotthedots' mr = c(NA, abs(diff(y))))
    assert out["moving_range"].isna().tolist() == [True, False, True, True, False]
    # by hand: mean = 46/4 = 11.5; mR = 2, 2 → mean 2; limits 11.5 ± 5.32
    assert out["upper"].iloc[0] == pytest.approx(16.82, abs=1e-9)
    assert out["upper"].iloc[2] == pytest.approx(16.82, abs=1e-9)  # the missing row has the limits too
    # the behaviour before issue 15, by name only: the gap is bridged, |11 − 12| = 1
    legacy = xmr(frame, value_col="rate", period_col="cohort", gaps="legacy-bridge")
    assert legacy["moving_range"].iloc[3] == 1
    # mean = 46/4 = 11.5; mR = 2, 1, 2 → mean 5/3; limits 11.5 ± 4.4333
    assert legacy["upper"].iloc[0] == pytest.approx(15.9333, abs=1e-4)


def test_gap_breaks_a_trend():
    rising = [5, 1, 5, 1, 5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 5, 1, 5, 1]
    out = xmr(_series(rising), value_col="rate", period_col="cohort", better="higher")
    assert "3" in out["rules"].iloc[5]  # 1 … 4 rise over 7 points
    gap = [*rising[:8], None, *rising[9:]]
    out = xmr(_series(gap), value_col="rate", period_col="cohort", better="higher")
    assert not any("3" in str(r) for r in out["rules"])
    bridged = xmr(_series(gap), value_col="rate", period_col="cohort", better="higher", gaps="legacy-bridge")
    assert "3" in bridged["rules"].iloc[5]


def test_trend_point_keeps_its_trend_direction():
    # a 7-point rise ending at 7, a drop to 3, then another 7-point rise: the 7 is only in the first
    # rise, so it is increasing (NHSRplotthedots' code would read the drop to its right: decreasing)
    values = [5, 1, 5, 1, 5, 1, 5, 1, 5, 1, 1, 2, 3, 4, 5, 6, 7, 3, 4, 5, 6, 7, 8, 9, 5, 1, 5, 1]
    frame = pd.DataFrame({"cohort": [f"{2000 + i // 4}-Q{i % 4 + 1}" for i in range(len(values))],
                          "rate": values})
    out = xmr(frame, value_col="rate", period_col="cohort", better="higher", screen_outliers=False)
    assert list(out["signal"].iloc[10:24]) == ["3"] * 14
    assert set(out["special_cause_type"].iloc[10:24]) == {"7 Point Trend (Increasing)"}
    assert set(out["variation"].iloc[10:24]) == {"improvement"}


def test_baseline_points_fix_the_limits():
    values = [10, 12] * 6 + [20, 11, 11]
    # by hand: the first 12 points have mean 11 and every mR 2 → limits 11 ± 5.32, whatever follows
    out = xmr(_series(values), value_col="rate", period_col="cohort", baseline_points=12)
    assert out["centre"].iloc[-1] == 11
    assert out["upper"].iloc[-1] == pytest.approx(16.32, abs=1e-9)
    assert list(out["moving_range_used"]) == [False] + [True] * 11 + [False] * 3
    assert _flagged(out) == [12]
    assert out["variation"].iloc[12] == "concern"
    # all 15 points: mean 174/15 = 11.6; mR 2 (×11), 8, 9, 0 → 39/14 (none ≥ 3.267 × that)
    every = xmr(_series(values), value_col="rate", period_col="cohort")
    assert every["upper"].iloc[0] == pytest.approx(11.6 + 2.66 * 39 / 14, abs=1e-9)


def test_rebase_starts_a_segment_with_its_own_limits():
    values = [10, 12] * 6 + [20, 22] * 2
    frame = _series(values)
    out = xmr(frame, value_col="rate", period_col="cohort", rebase=[QUARTERS[12]])
    assert list(out["segment"]) == [1] * 12 + [2] * 4
    assert out["centre"].iloc[0] == 11 and out["centre"].iloc[-1] == 21
    assert list(out["trial_limits"]) == [False] * 12 + [True] * 4
    assert _flagged(out) == []  # the step up is the new segment's level, not a signal
    with pytest.raises(ValueError, match="rebase"):
        xmr(frame, value_col="rate", period_col="cohort", rebase=["1999-Q1"])


def test_bad_options():
    frame = _series([1, 2, 3])
    for option, value in (("two_of_three", "western"), ("conflicts", "side"), ("gaps", "skip"),
                          ("screen_outliers", "yes"), ("baseline_points", 6), ("baseline_points", 12.5),
                          ("baseline_points", True)):
        with pytest.raises(ValueError, match=option):
            xmr(frame, value_col="rate", period_col="cohort", **{option: value})


def test_bad_arguments():
    with pytest.raises(ValueError):
        xmr(_series([1, 2, 3]), value_col="rate", period_col="cohort", better="up")
    with pytest.raises(ValueError):
        xmr(_series([1, 2, 3]), value_col="nope", period_col="cohort")


@pytest.mark.parametrize(
    ("target", "better", "expected"),
    [
        (30, "lower", "consistently met"),  # every point expected below 30
        (5, "lower", "consistently not met"),
        (20, "lower", "inconsistently met"),
        (5, "higher", "consistently met"),
        (30, "higher", "consistently not met"),
        (20, "higher", "inconsistently met"),
        (25, "lower", "inconsistently met"),  # on a limit
    ],
)
def test_assurance(target, better, expected):
    assert assurance(target, 10, 25, better) == expected


def test_assurance_without_target():
    assert assurance(float("nan"), 10, 25, "lower") is None


@settings(max_examples=50)
@given(st.lists(st.floats(0, 100, allow_nan=False), min_size=2, max_size=16))
def test_xmr_properties(values):
    frame = _series(values)
    original = frame.copy()
    out = xmr(frame, value_col="rate", period_col="cohort")
    pd.testing.assert_frame_equal(frame, original)
    assert (out["lower"] <= out["centre"] + 1e-9).all()
    assert (out["upper"] >= out["centre"] - 1e-9).all()
    outside = (out["rate"] > out["upper"] + 1e-9) | (out["rate"] < out["lower"] - 1e-9)
    assert out.loc[outside, "special_cause"].all()
    assert set(out["variation"]) <= {"improvement", "concern", "common cause"}
    # every rule that fires gives a special cause in a direction (issue 15)
    assert ((out["rules"] != "") == out["special_cause"]).all()
    assert ((out["signal"] != "") == out["special_cause"]).all()
