"""The disclosure rule itself: which counts are small, the marker and the words that explain it."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["COUNTS", "DEFAULT_THRESHOLD", "MARKER", "METHOD", "check_threshold", "note", "numbers",
           "small", "withheld_words"]

# Counts of people from 1 to threshold - 1 are withheld. UK public-sector practice ranges from
# masking 1-4 (NHSBSA) to suppressing anything based on fewer than 10 people (methods.md); the
# workbook takes the stricter default, and a build may set another (`--threshold`).
DEFAULT_THRESHOLD = 10
MARKER = "[c]"  # the GSS symbol for a value withheld to protect confidentiality

# The counts a cohort row publishes, each protected on its own. Re-offences are offences, not
# people, but a small count bounds the people behind it (reoffenders <= re-offences).
COUNTS = ("offenders", "reoffenders", "reoffences", "serious_reoffences")

METHOD = (
    "Primary suppression: a count of 1 to threshold - 1 is withheld: a cohort that small loses "
    "every count, and a small number of reoffenders or of non-reoffenders (offenders minus "
    "reoffenders) withholds the reoffenders. Secondary suppression: wherever a published figure "
    "is the sum of others (a region and its areas, a year and its quarters), a lone withheld "
    "cell, or withheld cells that together come to less than the threshold, would be given away "
    "by subtraction, so the smallest other cells are withheld too, until no withheld count can "
    "be worked out from the published ones (checked by Gaussian elimination, as Statistics "
    "Norway's GaussSuppression does). Every figure computed from a withheld count (a rate, its "
    "interval, the expected count, a target, a ratio) is withheld with it. Sources: GSS "
    "guidance on statistical disclosure control; ONS disclosure control guidance for tables; "
    "Langsrud (2024), secondary cell suppression by Gaussian elimination."
)


def check_threshold(threshold: int) -> int:
    """The threshold as an int; ValueError unless it is a whole number of at least 1."""
    if isinstance(threshold, bool) or not isinstance(threshold, (int, np.integer)) or threshold < 1:
        raise ValueError(f"the disclosure threshold must be a whole number of at least 1, not {threshold!r}")
    return int(threshold)


def small(values: object, threshold: int) -> np.ndarray:
    """True where a count is from 1 to threshold - 1 (missing values are not small)."""
    numbers = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    with np.errstate(invalid="ignore"):
        return (numbers > 0) & (numbers < check_threshold(threshold) - 0.5)


def withheld_words(threshold: int) -> str:
    """'from 1 to 9' for threshold 10; 'of 1' for threshold 2 (the range that is withheld)."""
    top = check_threshold(threshold) - 1
    if top < 1:
        return "of none"  # threshold 1: nothing is small
    return "of 1" if top == 1 else f"from 1 to {top}"


def note(threshold: int) -> str:
    """The sentence every published table with a withheld cell carries, for this threshold."""
    return (f"{MARKER} = withheld to protect confidentiality: the count of people is "
            f"{withheld_words(threshold)}, or would let such a count be worked out from the "
            "figures published beside it (GSS disclosure control). Every figure derived from a "
            "withheld count (rate, interval, difference, target) is withheld too.")


def numbers(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A column as float64 (NaN for blank, text such as [c], or a column the frame lacks)."""
    if column not in frame:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[column], errors="coerce").astype("Float64").to_numpy(
        dtype="float64", na_value=np.nan)
