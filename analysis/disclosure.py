"""Disclosure control for published tables: small counts and what would reveal them are hidden."""

from __future__ import annotations

import pandas as pd

# Counts of people from 1 to THRESHOLD - 1 are suppressed. UK public-sector practice ranges from
# masking 1-4 (NHSBSA) to suppressing anything based on fewer than 10 people; the workbook takes
# the stricter default. Configurable per call.
THRESHOLD = 10
MARKER = "[c]"  # the GSS symbol for a value withheld to protect confidentiality

# Columns derived from a rate's numerator: when the count is hidden, so are these.
RATE_COLUMNS = ("rate", "ci_low", "ci_high", "difference", "difference_pct", "z", "p_value",
                "significant", "frequency", "reoffences_per_reoffender", "severity",
                "reoffences", "serious_reoffences")


def _small(series: pd.Series, threshold: int) -> pd.Series:
    values = pd.to_numeric(series, errors="coerce")
    return (values > 0) & (values < threshold)


def suppress_rates(rates: pd.DataFrame, *, threshold: int = THRESHOLD,
                   group: tuple[str, ...] = ("measure", "cohort")) -> pd.DataFrame:
    """Suppress small counts in a reoffending-rates table, and anything that recovers them.

    Primary: a cohort of fewer than `threshold` offenders loses every figure but its size band;
    a reoffender count or a non-reoffender count (offenders - reoffenders, recoverable from
    the rate) from 1 to threshold - 1 hides reoffenders, the rate and everything derived from
    it (RATE_COLUMNS). Secondary: within each `group` (areas of one measure and cohort, whose
    pooled rate a funnel plot publishes), a lone suppressed area would be recoverable from
    the total, so the next smallest area is suppressed too. Suppressed cells become missing
    and are listed in `suppressed`; `marked()` turns them into the GSS marker "[c]".
    Sources: methods.md (NHSBSA, GSS guidance on disclosure control).
    """
    out = rates.copy()
    hidden: dict[int, set[str]] = {i: set() for i in out.index}
    offenders = pd.to_numeric(out["offenders"], errors="coerce")
    reoffenders = pd.to_numeric(out["reoffenders"], errors="coerce")
    tiny_cohort = (offenders > 0) & (offenders < threshold)
    small = _small(reoffenders, threshold) | _small(offenders - reoffenders, threshold)
    rate_cols = [c for c in RATE_COLUMNS if c in out]
    for i in out.index[tiny_cohort]:
        hidden[i] |= {"offenders", "reoffenders", *rate_cols}
    for i in out.index[small & ~tiny_cohort]:
        hidden[i] |= {"reoffenders", *rate_cols}
    if group and all(g in out for g in group):
        for _, members in out.groupby(list(group)).groups.items():
            primary = [i for i in members if hidden[i]]
            counted = [i for i in members if not hidden[i] and pd.notna(reoffenders.get(i))]
            if len(primary) == 1 and counted:
                nxt = min(counted, key=lambda i: reoffenders[i])
                hidden[nxt] |= {"reoffenders", *rate_cols}
    for i, cols in hidden.items():
        for col in cols:
            out[col] = out[col].astype(object) if out[col].dtype.kind in "b" else out[col]
            out.loc[i, col] = pd.NA if out[col].dtype.kind not in "fc" else float("nan")
    out["suppressed"] = [";".join(sorted(hidden[i])) for i in out.index]
    return out


def suppress_counts(frame: pd.DataFrame, columns: list[str], *,
                    threshold: int = THRESHOLD) -> pd.DataFrame:
    """Suppress any listed count from 1 to threshold - 1 (a generic primary suppression)."""
    out = frame.copy()
    flags = {i: [] for i in out.index}
    for col in columns:
        mask = _small(out[col], threshold)
        for i in out.index[mask]:
            flags[i].append(col)
        out[col] = out[col].mask(mask)
    out["suppressed"] = [";".join(flags[i]) for i in out.index]
    return out


def suppress_small_cohorts(frame: pd.DataFrame, size: str, derived: list[str], *,
                           threshold: int = THRESHOLD) -> pd.DataFrame:
    """Hide a cohort of 1 to threshold - 1 people and every figure that reveals its size.

    For target tables (NI 18, NI 30) a target rate or expected count gives the cohort size
    back, so all of `derived` goes with it; the hidden columns are listed in `suppressed`.
    """
    out = frame.copy()
    small = _small(out[size], threshold) if size in out else pd.Series(False, index=out.index)
    columns = [size] + [c for c in derived if c in out]
    for col in columns:
        out[col] = out[col].mask(small)
    out["suppressed"] = [";".join(columns) if flag else "" for flag in small]
    return out


def marked(frame: pd.DataFrame) -> pd.DataFrame:
    """The table for publication: suppressed cells show the marker "[c]", never a blank."""
    out = frame.astype(object).copy()
    for i, cols in frame["suppressed"].items():
        for col in filter(None, str(cols).split(";")):
            out.at[i, col] = MARKER
    return out


def leaks(frame: pd.DataFrame, columns: list[str], *, threshold: int = THRESHOLD) -> pd.DataFrame:
    """Rows of a published table that still show a count from 1 to threshold - 1 (should be none)."""
    mask = pd.Series(False, index=frame.index)
    for col in columns:
        if col in frame:
            mask |= _small(frame[col], threshold)
    return frame[mask]
