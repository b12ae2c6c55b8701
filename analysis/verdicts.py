"""Actual against predicted in words, and beside each area's rate the rate of the area above it."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["HIGHER", "LOWER", "NOT_DIFFERENT", "VERDICT_TEST", "with_comparators", "with_verdicts"]

LOWER = "lower than predicted"
HIGHER = "higher than predicted"
NOT_DIFFERENT = "not significantly different from predicted"
#: How a verdict in words is reached from counts (the rates table's note says it).
VERDICT_TEST = ("actual against predicted by a two-sided test at the 5% level (p < 0.05): lower or "
                "higher than predicted when significant, else not significantly different")
TEST, AS_PRINTED = "test", "as printed"


def with_verdicts(rates: pd.DataFrame) -> pd.DataFrame:
    """The rates with ``verdict`` and ``verdict_source`` (a new frame).

    Method: where the published row has a significance test (``significant`` and ``difference``
    not withheld), the verdict is LOWER or HIGHER than predicted when significant at 5% (the sign
    of actual − predicted), else NOT_DIFFERENT; its source is "test". Where the row has rates but
    no counts to test, the verdict the source printed (``verdict_as_printed``, e.g. HMI
    Probation's "statistically slightly higher than predicted") is carried as the source's, "as
    printed". A row whose significance the disclosure layer withheld gets no verdict at all.
    """
    out = rates.copy()
    significant = out["significant"] if "significant" in out else pd.Series(pd.NA, index=out.index)
    blank = pd.Series(np.nan, index=out.index)
    difference = pd.to_numeric(out["difference"] if "difference" in out else blank, errors="coerce")
    tested = significant.notna() & difference.notna()
    yes = tested & significant.fillna(False).astype(bool)
    words = np.select([yes & (difference < 0), yes & (difference > 0), tested],
                      [LOWER, HIGHER, NOT_DIFFERENT], default="")
    suppressed = (out["suppressed"].fillna("").astype(str) if "suppressed" in out
                  else pd.Series("", index=out.index))
    withheld = suppressed.str.contains("significant")
    printed = (out["verdict_as_printed"].astype("string").str.strip()
               if "verdict_as_printed" in out else pd.Series(pd.NA, index=out.index, dtype="string"))
    use_printed = ~tested & ~withheld & printed.fillna("").ne("")
    verdict = np.where(tested, words, np.where(use_printed, printed.fillna(""), ""))
    source = np.where(tested, TEST, np.where(use_printed, AS_PRINTED, ""))
    out["verdict"] = pd.Series(verdict, index=out.index, dtype="string").replace("", pd.NA)
    out["verdict_source"] = pd.Series(source, index=out.index, dtype="string").replace("", pd.NA)
    return out


def with_comparators(rates: pd.DataFrame, areas: pd.DataFrame) -> pd.DataFrame:
    """The rates with the rate of the nearest area above each one beside it (a new frame).

    Method: follow ``parent_id`` up from the row's area to the first area with a published rate
    for the same measure and cohort (a region, else the nation), as the inspectorate set England
    and Wales' 50.2% beside Gloucestershire's 54.8%. Adds ``comparator_area_id``,
    ``comparator_rate`` and ``comparator_predicted_rate``; blank where no area above has one. Only
    published rates are read, so nothing withheld is copied.
    """
    out = rates.copy()
    parent = {str(a): (str(p) if isinstance(p, str) and p else None)
              for a, p in zip(areas["area_id"], areas["parent_id"], strict=True)}
    published = out[out["rate"].notna()]
    held = {(str(a), str(m), str(c)): (r, p) for a, m, c, r, p in zip(
        published["area_id"], published["measure"], published["cohort"], published["rate"],
        published["predicted_rate"], strict=True)}
    found_area, found_rate, found_predicted = [], [], []
    for area, measure, cohort in zip(out["area_id"], out["measure"], out["cohort"], strict=True):
        current, seen, hit = parent.get(str(area)), {str(area)}, None
        while current is not None and current not in seen:  # the contract refuses loops; guard anyway
            seen.add(current)
            if (current, str(measure), str(cohort)) in held:
                hit = current
                break
            current = parent.get(current)
        rate, predicted = held[(hit, str(measure), str(cohort))] if hit else (np.nan, np.nan)
        found_area.append(hit)
        found_rate.append(rate)
        found_predicted.append(predicted)
    out["comparator_area_id"] = pd.array(found_area, dtype="string")
    out["comparator_rate"] = pd.to_numeric(pd.Series(found_rate, index=out.index), errors="coerce")
    out["comparator_predicted_rate"] = pd.to_numeric(pd.Series(found_predicted, index=out.index),
                                                     errors="coerce")
    return out
