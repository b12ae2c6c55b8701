"""Performance indicators against their targets and comparators."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .sources import carry_sources


def indicator_status(indicators: pd.DataFrame) -> pd.DataFrame:
    """Status of each indicator value against its target and comparator.

    status: 'met' when value >= target (higher is better) or value <= target (lower is better),
    'not met' otherwise, 'no target' without one; the same test against the comparator gives
    'better', 'worse' or 'same' (as the NPD's performance-against-targets tables compare an area
    with the England and Wales average). gap = value - target, in the indicator's unit.
    """
    out = indicators.copy()
    higher = out["better"] == "higher"
    value, target, comparator = out["value"], out["target"], out["comparator"]
    out["status"] = np.select(
        [target.isna(), (higher & (value >= target)) | (~higher & (value <= target))],
        ["no target", "met"],
        default="not met",
    )
    out["gap"] = (value - target).round(2)
    out["vs_comparator"] = np.select(
        [comparator.isna(), value == comparator,
         (higher & (value > comparator)) | (~higher & (value < comparator))],
        ["no comparator", "same", "better"],
        default="worse",
    )
    columns = ["area_id", "period", "indicator", "value", "target", "comparator",
               "comparator_label", "unit", "better", "status", "gap", "vs_comparator"]
    # Each indicator keeps the source its row names.
    return carry_sources(out[columns].reset_index(drop=True), indicators.reset_index(drop=True))
