"""Tests for analysis.periods: cohort/period labels to dates and sort keys."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis.periods import (
    cohort_sort_key,
    is_complete,
    is_future,
    parse_period,
    period_bounds,
)


@pytest.mark.parametrize(
    ("label", "start", "end"),
    [
        ("2009-Q1", date(2009, 1, 1), date(2009, 3, 31)),
        ("2009-Q2", date(2009, 4, 1), date(2009, 6, 30)),
        ("2009-Q3", date(2009, 7, 1), date(2009, 9, 30)),
        ("2009-Q4", date(2009, 10, 1), date(2009, 12, 31)),
        ("2008-q1", date(2008, 1, 1), date(2008, 3, 31)),
        ("2008", date(2008, 1, 1), date(2008, 12, 31)),
        (2008, date(2008, 1, 1), date(2008, 12, 31)),
        ("2009/10", date(2009, 4, 1), date(2010, 3, 31)),
        ("1999/00", date(1999, 4, 1), date(2000, 3, 31)),
        (" 2003/04 ", date(2003, 4, 1), date(2004, 3, 31)),
    ],
)
def test_period_bounds(label, start, end):
    assert period_bounds(label) == (start, end)


def test_kinds():
    assert parse_period("2009-Q1").kind == "quarter"
    assert parse_period("2009").kind == "year"
    assert parse_period("2009/10").kind == "financial_year"


@pytest.mark.parametrize(
    "label", ["2009/11", "2009-Q5", "2009-Q0", "Q1 2009", "", "09/10", "2009-10", "abc", None,
              float("nan"), True]
)
def test_unparseable_labels_raise(label):
    with pytest.raises(ValueError, match="YYYY-Qn"):
        period_bounds(label)


def test_financial_year_error_says_what_is_wrong():
    with pytest.raises(ValueError, match="2009/10"):
        parse_period("2009/11")


def test_sort_mixed_labels():
    labels = ["2010", "2009/10", "2009-Q2", "2009", "2009-Q1"]
    # by first day, then last day: 2009-Q1 (1 Jan-31 Mar) before 2009 (1 Jan-31 Dec),
    # then 2009-Q2 (1 Apr-30 Jun) before 2009/10 (1 Apr 2009-31 Mar 2010), then 2010.
    assert sorted(labels, key=cohort_sort_key) == ["2009-Q1", "2009", "2009-Q2", "2009/10", "2010"]


def test_is_future_and_complete():
    as_of = date(2009, 5, 15)
    assert is_future("2009-Q3", as_of)
    assert not is_future("2009-Q2", as_of)  # already begun
    assert not is_complete("2009-Q2", as_of)
    assert is_complete("2009-Q1", as_of)
    assert is_future("2010/11", as_of)
    assert not is_future("2009/10", as_of)


@given(st.integers(1900, 2098), st.integers(1, 4))
def test_quarters_tile_the_year(year, quarter):
    start, end = period_bounds(f"{year}-Q{quarter}")
    assert start <= end
    if quarter < 4:
        next_start, _ = period_bounds(f"{year}-Q{quarter + 1}")
        assert (next_start - end).days == 1
    else:
        assert end == period_bounds(str(year))[1]


@given(st.integers(1900, 2098))
def test_financial_year_runs_april_to_march(year):
    start, end = period_bounds(f"{year}/{(year + 1) % 100:02d}")
    assert start == date(year, 4, 1)
    assert end == date(year + 1, 3, 31)
    assert period_bounds(f"{year}-Q2")[0] == start


def test_a_rolling_twelve_months_runs_from_its_first_month_to_its_last():
    # The MoJ geographical data tool's "Jul 2022 to Jun 2023".
    period = parse_period("2022-07/2023-06")
    assert (period.kind, period.start, period.end) == ("12_months", date(2022, 7, 1), date(2023, 6, 30))
    # It sorts after the financial year that starts three months before it, and before the next.
    assert sorted(["2023/24", "2022-07/2023-06", "2022/23"], key=cohort_sort_key) == [
        "2022/23", "2022-07/2023-06", "2023/24"]


@pytest.mark.parametrize(("label", "reason"), [
    ("2022-01/2022-12", "calendar year, written 2022"),
    ("2022-04/2023-03", "financial year, written 2022/23"),
    ("2022-07/2023-07", "twelve months, this is 13"),
    ("2022-13/2023-12", "months run from 01 to 12"),
])
def test_a_rolling_key_that_is_not_one_twelve_months_says_why(label, reason):
    with pytest.raises(ValueError, match=reason):
        parse_period(label)
