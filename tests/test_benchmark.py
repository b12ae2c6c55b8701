"""Rates against a benchmark area as Fingertips compares them (analysis.benchmark)."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.benchmark import benchmark_comparison, comparison_words


def _rates(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["area_id", "measure", "cohort", "offenders", "reoffenders", "rate"])


ENGLAND = ("england", "adult", "2005", 1000, 450, 45.0)


def test_wilson_limits_at_both_levels_by_hand():
    # 30 of 100: Wilson 95% (z = 1.959964) centre (0.3 + z²/200)/(1 + z²/100) = 0.307398,
    # half-width z/(1 + z²/100)·√(0.3·0.7/100 + z²/40000) = 0.088450: 21.89%–39.58%
    # (Newcombe 1998, table I, gives 0.2189–0.3958). At 99.8% (z = 3.090232) the lower limit is
    # (0.3 + 0.047748)/1.095495 − 2.820853·0.048361 = 18.10%, the upper 45.39%.
    table = benchmark_comparison(_rates(ENGLAND, ("glos", "adult", "2005", 100, 30, 30.0)), "england")
    row = table.iloc[0]
    near = lambda value: pytest.approx(value, abs=2e-3)  # noqa: E731
    assert (row.lower_inner, row.upper_inner) == (near(21.894), near(39.585))
    assert (row.lower_outer, row.upper_outer) == (near(18.102), near(45.385))
    assert (row.level_inner, row.level_outer) == (0.95, 0.998)


def test_better_similar_worse_as_the_interval_lies_against_the_benchmark():
    # England 45%. 30 of 100 (21.9–39.6 at 95%) lies wholly below: better, a lower rate being
    # better; at 99.8% (18.1–45.4) it holds 45: similar. 45 of 100 holds it: similar. 70 of 100
    # (60.4–78.1) lies wholly above: worse at both levels.
    table = benchmark_comparison(_rates(
        ENGLAND, ("a", "adult", "2005", 100, 30, 30.0), ("b", "adult", "2005", 100, 45, 45.0),
        ("c", "adult", "2005", 100, 70, 70.0)), "england")
    assert table["area_id"].tolist() == ["a", "b", "c"]
    assert table["comparison"].tolist() == ["better", "similar", "worse"]
    assert table["comparison_outer"].tolist() == ["similar", "similar", "worse"]
    assert table["benchmark_rate"].tolist() == [45.0, 45.0, 45.0]


def test_a_limit_on_the_benchmark_holds_it():
    # 0 of 10 has Wilson limits 0% and z²/(10 + z²) = 27.75%; a benchmark of exactly 0% is on the
    # lower limit, so the area is similar, not worse.
    table = benchmark_comparison(_rates(("england", "adult", "2005", 1000, 0, 0.0),
                                        ("a", "adult", "2005", 10, 0, 0.0)), "england")
    assert table.loc[0, "lower_inner"] == 0.0
    assert table.loc[0, "upper_inner"] == pytest.approx(27.75, abs=0.01)
    assert table.loc[0, "comparison"] == "similar"


def test_polarity_turns_the_words():
    rates = _rates(ENGLAND, ("a", "adult", "2005", 100, 30, 30.0), ("c", "adult", "2005", 100, 70, 70.0))
    higher = benchmark_comparison(rates, "england", polarity="higher-is-better")
    assert higher["comparison"].tolist() == ["worse", "better"]
    neutral = benchmark_comparison(rates, "england", polarity="none")
    assert neutral["comparison"].tolist() == ["lower", "higher"]
    assert set(neutral["polarity"]) == {"none"}


def test_benchmarks_match_on_measure_and_cohort_and_say_what_they_cannot_compare():
    table = benchmark_comparison(_rates(
        ENGLAND, ("england", "adult", "2006", 1000, 300, 30.0),
        ("a", "adult", "2006", 100, 45, 45.0),   # England 30% that year: 35.6–54.8 lies above
        ("a", "adult", "2007", 100, 45, 45.0),   # England has no 2007 rate
        ("b", "adult", "2005", None, None, 40.0),  # a rate only as published: no interval
    ), "england")
    assert table["benchmark_rate"].tolist()[:1] == [30.0] and pd.isna(table.loc[1, "benchmark_rate"])
    assert table.loc[0, "comparison"] == "worse"
    assert table["comparison"].isna().tolist() == [False, True, True]
    assert table["comparison_note"].tolist()[1:] == [
        "the benchmark has no rate for this measure and cohort",
        "no counts: a published rate has no interval to compare"]
    assert table.loc[2, "rate"] == 40.0


def test_other_levels_on_request():
    table = benchmark_comparison(_rates(ENGLAND, ("a", "adult", "2005", 100, 30, 30.0)), "england",
                                 levels=(0.9, 0.99))
    # 90% (z = 1.644854) upper limit: (0.3 + 0.013528)/1.027055 + 1.601524·√0.00216764
    # = 0.305269 + 0.074563 = 37.98%
    assert table.loc[0, "upper_inner"] == pytest.approx(37.98, abs=0.01)
    assert (table.loc[0, "level_inner"], table.loc[0, "level_outer"]) == (0.9, 0.99)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"polarity": "up"}, "polarity must be one of lower-is-better, higher-is-better, none"),
    ({"levels": (0.998, 0.95)}, "0 < inner < outer < 1"),
    ({"levels": (0.95, 1.0)}, "0 < inner < outer < 1"),
])
def test_bad_options_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        benchmark_comparison(_rates(ENGLAND), "england", **kwargs)


def test_a_missing_benchmark_or_column_is_refused():
    with pytest.raises(ValueError, match="benchmark area 'wales' has no rates"):
        benchmark_comparison(_rates(ENGLAND), "wales")
    with pytest.raises(ValueError, match="rates lacks column"):
        benchmark_comparison(_rates(ENGLAND).drop(columns="offenders"), "england")


def test_counts_that_give_no_interval_are_said_so():
    table = benchmark_comparison(_rates(
        ENGLAND, ("a", "adult", "2005", 400, 500, 100.0), ("b", "adult", "2005", 0, 0, 0.0),
        ("c", "adult", "2005", 100, -5, 0.0)), "england")
    assert table["comparison"].isna().all()
    assert set(table["comparison_note"]) == {
        "the counts give no interval: offenders must be above 0 and re-offenders from 0 to the offenders"}


def test_two_benchmark_rates_for_one_cohort_are_refused_not_chosen_between():
    rates = _rates(ENGLAND, ("england", "adult", "2005", 100000, 30000, 30.0),
                   ("a", "adult", "2005", 100, 30, 30.0))
    with pytest.raises(ValueError, match="more than one rate for adult 2005"):
        benchmark_comparison(rates, "england")


@pytest.mark.parametrize("column", ["area_id", "measure", "cohort"])
def test_a_row_without_its_key_is_refused_not_dropped(column):
    rates = _rates(ENGLAND, ("a", "adult", "2005", 100, 30, 30.0))
    rates.loc[1, column] = None
    with pytest.raises(ValueError, match="rates rows 1 have no area_id, measure or cohort"):
        benchmark_comparison(rates, "england")


@pytest.mark.parametrize("levels", [(0.9, 0.95, 0.99), (0.95,), 0.95])
def test_levels_must_be_two(levels):
    with pytest.raises(ValueError, match="levels must be two values"):
        benchmark_comparison(_rates(ENGLAND, ("a", "adult", "2005", 100, 30, 30.0)), "england", levels=levels)


def test_words_a_board_reads():
    assert comparison_words("better", "England and Wales") == "Better than England and Wales (95% level)"
    assert comparison_words("similar", "England", 0.998) == "Similar to England (99.8% level)"
    assert comparison_words(pd.NA, "England") == "Not compared with England"
    assert comparison_words("worse", "England", 0.9999) == "Worse than England (99.99% level)"
    for bad in ({"comparison": "Better"}, {"comparison": "worse", "level": 99.8}):
        with pytest.raises(ValueError):
            comparison_words(benchmark_name="England", **bad)


@pytest.mark.parametrize(("inner", "outer", "rate", "words"), [
    ("worse", "similar", 25.5, "worse than England and Wales (25.5%) at 95%, similar at 99.8%"),
    ("similar", "similar", None, "similar to England and Wales at 95% and 99.8%"),
    ("better", "better", 30.25, "better than England and Wales (30.2%) at 95% and 99.8%"),
    (pd.NA, pd.NA, 25.5, None),
])
def test_both_readings_in_one_clause(inner, outer, rate, words):
    from analysis.benchmark import comparison_sentence

    assert comparison_sentence(inner, outer, "England and Wales", benchmark_rate=rate) == words
