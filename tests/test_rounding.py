"""Tests for analysis.rounding: half-up figures and largest-remainder shares, worked by hand."""

from __future__ import annotations

import math

import pytest

from analysis.rounding import half_up, largest_remainder, whole_shares


@pytest.mark.parametrize(("value", "decimals", "expected"), [
    (2.5, 0, 3.0),  # round() gives 2 (half to even)
    (3.5, 0, 4.0),
    (0.5, 0, 1.0),  # round() gives 0
    (-2.5, 0, -3.0),  # a half goes away from zero
    (2.4999, 0, 2.0),
    (68.05, 1, 68.1),  # 68.05 is 68.0499999... in binary: rounded as written
    (2.675, 2, 2.68),  # round(2.675, 2) == 2.67
    (60.714286, 1, 60.7),
    (1234.5, 0, 1235.0),
])
def test_half_up(value: float, decimals: int, expected: float) -> None:
    assert half_up(value, decimals) == expected


def test_half_up_keeps_nan() -> None:
    assert math.isnan(half_up(float("nan")))


@pytest.mark.parametrize(("parts", "expected"), [
    # 33.3 + 33.3 + 33.4 = 100: floors 33 each (99); the point left goes to the largest
    # remainder, .4 (the third).
    ([33.3, 33.3, 33.4], [33, 33, 34]),
    # 1/3 each: remainders tie at .333; ties go to the larger part, then the earlier one.
    ([1, 1, 1], [34, 33, 33]),
    # 5, 2, 1 of 8: 62.5, 25, 12.5 -> 62 + 25 + 12 = 99; .5 ties, the larger part (5) gets it.
    ([5, 2, 1], [63, 25, 12]),
    # 15 and 3 of 18: 83.33 and 16.67 -> 83 + 16 = 99; the larger remainder (.67) gets the point.
    ([15, 3], [83, 17]),
    # seven equal parts of 100: 14.2857 each, 14 * 7 = 98; two points to the first two.
    ([1] * 7, [15, 15, 14, 14, 14, 14, 14]),
    ([0, 4], [0, 100]),
    ([0, 0], [0, 0]),
    ([], []),
])
def test_largest_remainder(parts: list[float], expected: list[int]) -> None:
    shares = largest_remainder(parts)
    assert shares == expected
    assert sum(shares) == (100 if sum(parts) else 0)


def test_largest_remainder_where_half_up_adds_to_101() -> None:
    # Six leads of 1 and one of 11 of 17 strands: half-up gives 6 x 6% + 65% = 101%;
    # 1/17 = 5.88, 11/17 = 64.71 -> floors 5 x 6 + 64 = 94; the six points left go to the
    # six .88 remainders before the .71: 6 x 6 + 64 = 100.
    assert [half_up(100 * p / 17) for p in [1] * 6 + [11]] == [6.0] * 6 + [65.0]
    assert largest_remainder([1] * 6 + [11]) == [6] * 6 + [64]


def test_largest_remainder_refuses_negative_parts() -> None:
    with pytest.raises(ValueError):
        largest_remainder([3, -1])


def test_whole_shares_add_up_to_100_only_when_the_parts_make_up_the_whole():
    # 2, 1, 1 of 4 strands: 50, 25, 25 exactly. 1, 1, 1 of 3: 33.3 each, the spare point by
    # largest remainder to the first.
    assert whole_shares([2, 1, 1], 4) == [50, 25, 25]
    assert whole_shares([1, 1, 1], 3) == [34, 33, 33]
    # Joint leads: 3, 2, 1 of 4 strands (6 counted): 75, 50, 25 each, not shares of 6.
    assert whole_shares([3, 2, 1], 4) == [75, 50, 25]
    # 1 of 8 = 12.5 rounds half up to 13 when each share stands alone.
    assert whole_shares([3, 1, 1, 1, 1, 1, 1, 2], 8) == [38, 13, 13, 13, 13, 13, 13, 25]
    assert whole_shares([1], 0) == [0]
