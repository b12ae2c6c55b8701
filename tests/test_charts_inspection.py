"""Tests for the inspection charts (analysis.charts.inspection): comparators, 0-100, no small ranks."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd

from analysis import charts
from analysis.charts.prepare.inspection import (
    describe_comparison,
    describe_family,
    prepare_comparison,
    prepare_family,
)

matplotlib.use("Agg")


def _sections() -> pd.DataFrame:
    return pd.DataFrame({
        "inspection_id": "insp-a", "area_id": "testshire", "framework": "esi-2003",
        "section": ["B", "C", "overall"], "title": ["Quality of assessment", "Quality of interventions",
                                                  "Overall score (weighted sections)"],
        "score": [60.0, 70.5, 66.2], "published": [60.0, 80.0, 66.0], "agrees": [True, False, True]})


def _family(size: int, all_size: int) -> pd.DataFrame:
    return pd.DataFrame({
        "area_id": "testshire", "family_group": "small", "inspection_id": "insp-a", "framework": "esi-2003",
        "section": ["B", "C", "overall"], "score": [60.0, 70.5, 66.2], "family_mean": [65.0, 72.0, 68.5],
        "family_size": size, "rank_in_family": [2, 2, 2], "vs_family": [-5.0, -1.5, -2.3],
        "all_mean": [62.5, 69.0, 66.0], "all_size": all_size})


def test_scores_against_family_and_national_means_on_0_to_100() -> None:
    c = prepare_comparison(_sections(), _family(3, 5))
    assert c.family and c.national
    words = describe_comparison(c)
    # 70.5 -> 71, half-up
    assert "B: Quality of assessment 60, C: Quality of interventions 71 and Overall 66" in words.alt
    assert "Family group mean: B: Quality of assessment 65, C: Quality of interventions 72" in words.alt
    assert "Mean of all areas inspected: B: Quality of assessment 63" in words.alt  # 62.5 -> 63, half-up
    chart = charts.section_comparison_chart(_sections(), _family(3, 5))
    ax = chart.figure.axes[0]
    assert ax.get_xlim() == (0.0, 100.0)
    diamonds = [ln for ln in ax.lines if ln.get_label() == "Family group mean"][0]
    assert list(diamonds.get_xdata()) == [65.0, 72.0, 68.5]
    ticks = [ln for ln in ax.lines if ln.get_label() == "Mean of all areas inspected"][0]
    assert list(ticks.get_xdata()) == [62.5, 69.0, 66.0]
    assert "insp-a" not in chart.title + chart.caption + chart.alt


def test_a_family_of_two_gives_no_mean_to_compare_with() -> None:
    c = prepare_comparison(_sections(), _family(2, 2))
    assert not c.family and not c.national and c.sections["family_mean"].isna().all()
    words = describe_comparison(c)
    assert "no family group or national comparison" in words.caption and "mean" not in words.alt.lower()
    chart = charts.section_comparison_chart(_sections(), _family(2, 2))
    assert not chart.figure.legends and len(chart.figure.axes[0].lines) == 0


def test_criterion_chart_compares_only_with_a_family_of_three() -> None:
    crit = pd.DataFrame({
        "inspection_id": "insp-a", "area_id": "testshire", "framework": "esi-2003",
        "criterion": ["B1", "B2"], "section": "B", "section_title": "Quality of assessment",
        "title": ["Risk of harm", "Likelihood of reoffending"], "scoring": "scored",
        "importance": ["critical", "important"], "score": [46.0, 79.0], "rating": None})
    three = charts.criterion_scores_chart(crit, _family(3, 3))
    dashed = [ln for ln in three.figure.axes[0].lines if ln.get_linestyle() == "--"]
    assert len(dashed) == 1 and list(dashed[0].get_xdata()) == [65.0, 65.0]
    assert "Family group mean (3 areas): section B 65.0" in three.alt
    two = charts.criterion_scores_chart(crit, _family(2, 2))
    assert not [ln for ln in two.figure.axes[0].lines if ln.get_linestyle() == "--"]
    assert "no family group or national comparison" in two.caption
    assert two.figure.axes[0].get_xlim() == (0.0, 100.0)


def test_analysts_check_is_on_0_to_100_and_flags_the_difference() -> None:
    chart = charts.section_scores_chart(_sections())
    ax = chart.figure.axes[0]
    assert ax.get_xlim() == (0.0, 100.0)  # was 0 to 125
    assert chart.title.startswith("Analyst's check")
    texts = [t.get_text() for t in ax.texts]
    assert "\u2260 80, differs by 9.5" in texts  # |70.5 - 80|
    assert "2 of 3 agree within rounding; differing: C" in chart.alt


def _areas(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["area_id", "family_group", "score"])
    frame["section"] = "overall"
    frame["family_mean"] = frame.groupby("family_group")["score"].transform("mean")
    frame["family_size"] = frame.groupby("family_group")["score"].transform("count")
    return frame


def test_family_chart_ranks_groups_of_three_and_names_smaller_ones() -> None:
    frame = _areas([("a-one", "big", 50.0), ("a-two", "big", 70.0), ("a-three", "big", 60.0),
                    ("b-one", "small", 80.0), ("b-two", "small", 40.0)])
    f = prepare_family(frame)
    big = f.areas[f.areas["family"] == "big"]
    assert big["area"].tolist() == ["A Two", "A Three", "A One"] and big["ranked"].all()  # 70, 60, 50
    assert big["family_mean"].tolist() == [60.0, 60.0, 60.0]
    small = f.areas[f.areas["family"] == "small"]
    assert small["area"].tolist() == ["B One", "B Two"]  # by name, not by score
    assert not small["ranked"].any() and small["family_mean"].isna().all()
    words = describe_family(f)
    assert "Not ranked, with fewer than 3 areas inspected: small (2 areas)" in words.caption
    chart = charts.family_chart(frame)
    ticks = [c for c in chart.figure.axes[0].collections if c.get_label() == "Family group mean"][0]
    drawn = ~np.ma.getmaskarray(ticks.get_offsets())[:, 0]
    assert int(drawn.sum()) == 3  # only the big family's areas have a mean tick
    assert chart.figure.axes[0].get_xlim() == (0.0, 100.0)


def test_family_of_one_area_is_a_sentence_not_a_chart() -> None:
    frame = _areas([("gloucestershire", "small size, low density", 68.1)])
    assert charts.family_chart(frame) is None
    assert charts.family_sentence(frame) == (
        "Only Gloucestershire has a scored inspection in these data, so no area can be compared or "
        "ranked within a family group (a group needs at least 3 areas inspected).")
