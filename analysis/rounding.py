"""Rounding for print: half-up for single figures, largest remainder for shares of a whole."""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

__all__ = ["half_up", "largest_remainder", "whole_shares"]


def half_up(value: float, decimals: int = 0) -> float:
    """``value`` rounded to ``decimals`` places, a half always away from zero (2.5 -> 3, -2.5 -> -3).

    Python's round() rounds a half to the even neighbour (round(2.5) == 2), which is not how
    published figures are rounded. The float is taken as its shortest decimal form (repr), so
    2.675 rounds to 2.68 as written, not to 2.67 as its binary value would. NaN stays NaN.
    """
    if value is None or math.isnan(value) or math.isinf(value):
        return value
    step = Decimal(1).scaleb(-decimals)
    return float(Decimal(repr(float(value))).quantize(step, rounding=ROUND_HALF_UP))


def largest_remainder(parts: Sequence[float], total: int = 100) -> list[int]:
    """Whole-number shares of ``total`` in proportion to ``parts`` that add up to ``total`` exactly.

    Hamilton's largest-remainder method: each part gets the whole part of its exact share
    (part / sum × total); the points still missing go one each to the largest remainders, ties
    to the larger part, then to the earlier one (so 1, 1, 1 -> 34, 33, 33 and 33.3, 33.3, 33.4 ->
    33, 33, 34). Parts must be non-negative; all zero (or none) gives zeros.
    """
    values = [float(p) for p in parts]
    if any(math.isnan(v) or v < 0 for v in values):
        raise ValueError(f"shares need non-negative parts, not {values}")
    whole = sum(values)
    if whole == 0:
        return [0] * len(values)
    exact = [Decimal(repr(v)) * total / Decimal(repr(whole)) for v in values]
    floors = [int(e) for e in exact]
    missing = total - sum(floors)
    order = sorted(range(len(values)), key=lambda i: (-(exact[i] - floors[i]), -values[i], i))
    for i in order[:missing]:
        floors[i] += 1
    return floors


def whole_shares(parts: Sequence[float], whole: float) -> list[int]:
    """Whole-percent shares of ``whole``: by largest remainder when ``parts`` make up the whole.

    When the parts add up to the whole (each strand counted once) they are shares of one whole
    and are printed to add up to 100 (largest_remainder). When they do not (a strand led jointly
    is counted for each of its leads, so the parts add up to more) each share is its own
    proportion, part / whole × 100, rounded half up. A whole of 0 gives zeros.
    """
    values = [float(p) for p in parts]
    if not whole:
        return [0] * len(values)
    if math.isclose(sum(values), whole):
        return largest_remainder(values)
    return [int(half_up(v / whole * 100)) for v in values]
