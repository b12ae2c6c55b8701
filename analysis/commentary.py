"""The analyst's commentary on each section of an area's report, chosen by the report's dates."""

from __future__ import annotations

from datetime import date

import pandas as pd

from .contract import COMMENTARY_SECTIONS

__all__ = ["COMMENTARY_SECTIONS", "commentary_for"]


def commentary_for(commentary: pd.DataFrame, area_id: str, section: str, as_of: date,
                   since: date | None = None) -> pd.Series | None:
    """The commentary row a report shows for one area and section, or None.

    Rule (as the contract states it): the latest commentary for the area and section dated on
    or before the report's as-of date and, when `since` (the previous reporting date) is
    given, after it: older words were written for an earlier paper.
    """
    if section not in COMMENTARY_SECTIONS:
        raise ValueError(f"no report section {section!r}: one of {', '.join(COMMENTARY_SECTIONS)}")
    if commentary is None or commentary.empty:
        return None
    when = pd.to_datetime(commentary["as_of"])
    mine = (commentary["area_id"] == area_id) & (commentary["section"] == section) & (
        when <= pd.Timestamp(as_of))
    if since is not None:
        mine &= when > pd.Timestamp(since)
    if not mine.any():
        return None
    return commentary[mine].assign(_when=when[mine]).sort_values("_when").iloc[-1].drop("_when")
