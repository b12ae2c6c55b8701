"""NI 18 targets as agreed: the plan's printed target in place of the workbook's calculation."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["AGREED", "CALCULATED", "with_agreed"]

AGREED = "agreed"
CALCULATED = "workbook calculation"

# The columns the workbook's calculation keeps under its own name once an agreed target is shown.
_COMPUTED = {"target_reoffenders": "computed_target_reoffenders",
             "target_rate": "computed_target_rate",
             "change_pct": "computed_change_pct"}


def _num(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame.columns:
        return np.full(len(frame), np.nan)
    values = pd.to_numeric(frame[column], errors="coerce")
    return values.astype("Float64").to_numpy(dtype="float64", na_value=np.nan)


def _printed(frame: pd.DataFrame, column: str) -> pd.Series:
    """A text column as printed, blank as <NA> (absent column: all <NA>)."""
    if column not in frame.columns:
        return pd.Series(pd.NA, index=range(len(frame)), dtype="string")
    values = frame[column].astype("string").str.strip().reset_index(drop=True)
    return values.mask(values == "")


def with_agreed(targets: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """The NI 18 targets with the agreed target shown wherever the data gives one.

    Rule: a row whose input carries ``target_reoffenders`` (the count the plan agreed) shows
    that count, with the printed ``target_rate`` and ``target_change_pct`` where given (blank:
    the agreed count over offenders, and its change from the predicted rate); target_source is
    'agreed'. Elsewhere the workbook's calculation is shown and target_source says so. The
    calculation is kept as computed_target_reoffenders, computed_target_rate and
    computed_change_pct for the analyst's check. The printed targets are kept as printed, not
    recomputed: the East Midlands plan prints Derby's 261 of 3,884 as 6.73%, not 6.72%.

    `targets` is reoffending.ni18_targets' frame before sorting and `rows` the input rows it
    was computed from, in the same order. Neither is modified.
    """
    out = targets.reset_index(drop=True).rename(columns=_COMPUTED)
    rows = rows.reset_index(drop=True)
    n = out["offenders"].astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    predicted = out["predicted_rate"].to_numpy(dtype="float64")
    count = _num(rows, "target_reoffenders")
    given = ~np.isnan(count)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(np.isnan(_num(rows, "target_rate")), count / n * 100.0,
                        _num(rows, "target_rate"))
        change = np.where(np.isnan(_num(rows, "target_change_pct")),
                          (rate - predicted) / predicted * 100.0, _num(rows, "target_change_pct"))
    computed = out["computed_target_reoffenders"].astype("Float64").to_numpy(
        dtype="float64", na_value=np.nan)
    shown = np.where(given, count, computed)
    shown_counts = pd.array([pd.NA if np.isnan(v) else int(v) for v in shown], dtype="Int64")
    position = out.columns.get_loc("computed_target_reoffenders")
    out.insert(position, "target_reoffenders", shown_counts)
    out.insert(position + 1, "target_rate", np.where(given, rate, out["computed_target_rate"]))
    out.insert(position + 2, "change_pct", np.where(given, change, out["computed_change_pct"]))
    out.insert(position + 3, "target_source",
               pd.array(np.where(given, AGREED, CALCULATED), dtype="string"))
    out["cohort_as_printed"] = _printed(rows, "cohort_as_printed")
    return out
