"""Tests for the indicator chart (analysis.charts.indicators): one scale, % of target, words for no target."""

from __future__ import annotations

import matplotlib
import pandas as pd
import pytest

from analysis import charts
from analysis.charts.prepare.indicators import describe_indicators, prepare_indicators, status_text

matplotlib.use("Agg")


def _indicators(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["indicator", "value", "target", "comparator", "unit", "better",
                                        "status"])
    return frame.assign(area_id="testshire", period="2003/04", comparator_label="England and Wales average",
                        gap=frame["value"] - frame["target"], vs_comparator="")


ROWS = [
    ("Reports on time", 45.0, 90.0, 60.0, "percent", "higher", "not met"),
    ("Sickness absence", 10.4, 9.0, 12.0, "days", "lower", "not met"),
    ("Starts", 1200.0, 1000.0, None, "count", "higher", "met"),
    ("Reoffending reduction", 5.8, None, None, "percent", "higher", "no target"),
    ("Zero-target thing", 3.0, 0.0, None, "count", "lower", "not met"),
]


def test_every_indicator_on_one_scale_percent_of_target() -> None:
    d = prepare_indicators(_indicators(ROWS))
    t = d.targeted.set_index("indicator")
    assert t.loc["Reports on time", "pct"] == pytest.approx(50.0)  # 45 / 90
    assert t.loc["Reports on time", "comparator_pct"] == pytest.approx(66.667, abs=1e-3)  # 60 / 90
    assert t.loc["Sickness absence", "pct"] == pytest.approx(115.556, abs=1e-3)  # 10.4 / 9
    assert t.loc["Starts", "pct"] == pytest.approx(120.0)
    # no target, and a target of 0 (no percentage of it), are said in words instead
    assert d.untargeted["indicator"].tolist() == ["Reoffending reduction", "Zero-target thing"]


def test_status_words_say_the_direction() -> None:
    d = prepare_indicators(_indicators(ROWS))
    rows = d.targeted.set_index("indicator", drop=False)
    assert status_text(rows.loc["Reports on time"]) == "45% against 90%: \u2717 Not met"
    assert status_text(rows.loc["Sickness absence"]) == (
        "10.4 days against 9 days (lower is better): \u2717 Not met")
    assert status_text(rows.loc["Starts"]) == "1,200 against 1,000: \u2713 Met"


def test_indicator_words() -> None:
    words = describe_indicators(prepare_indicators(_indicators(ROWS)))
    assert ("3 performance indicators for Testshire, 2003/04, each as a percentage of its target: "
            "1 met their target, 2 did not.") in words.alt
    # furthest first: 50% of target is 50 points from 100, 115.6% is 15.6
    assert ("Furthest from target: Reports on time 45% against 90% (50% of target); Sickness absence "
            "10.4 days against 9 days (lower is better) (116% of target).") in words.alt
    assert "Without a target, not drawn: Reoffending reduction, 5.8%; Zero-target thing, 3." in words.caption


def test_indicator_chart_draws_percent_of_target_from_zero() -> None:
    chart = charts.indicator_chart(_indicators(ROWS))
    ax = chart.figure.axes[0]
    widths = [p.get_width() for c in ax.containers for p in c.patches]
    assert widths == pytest.approx([50.0, 115.556, 120.0], abs=1e-3)
    # largest value 120 x 1.05 = 126, up to the next 20: 140
    assert ax.get_xlim() == (0.0, 140.0)
    assert [ln.get_xdata()[0] for ln in ax.lines if ln.get_linestyle() == "-" and len(ln.get_xdata()) == 2] \
        == [100]
    right = [t.get_text() for t in chart.figure.axes[1].get_yticklabels()]
    assert right[0] == "45% against 90%\n\u2717 Not met"


def test_an_indicator_far_beyond_its_target_is_cut_at_200_and_says_so() -> None:
    far = _indicators([("Race equality", 6.6, 1.7, None, "percent", "higher", "met")])
    chart = charts.indicator_chart(far)
    ax = chart.figure.axes[0]
    assert ax.get_xlim() == (0.0, 200.0)
    assert [p.get_width() for c in ax.containers for p in c.patches] == [200.0]
    assert "388% \u2192" in [t.get_text() for t in ax.texts]  # 6.6 / 1.7 = 388.2%


def test_a_single_value_with_no_target_is_a_sentence_not_a_chart() -> None:
    one = _indicators([ROWS[3]]).assign(area_id="england-and-wales", period="2004")
    assert charts.indicator_chart(one) is None
    assert charts.indicator_sentence(one) == (
        "England and Wales, 2004 (no target set): Reoffending reduction, 5.8%.")
