"""Counts of what a dataset holds: rows per table and per area."""

from __future__ import annotations

import pandas as pd

from .contract import TABLES

# How each table reaches an area: directly by area_id, or through its parent table.
_AREA_OF = {
    "strands": ("plans", "plan_id"),
    "milestones": ("strands", "strand_id"),
    "progress": ("strands", "strand_id"),
    "inspection_scores": ("inspections", "inspection_id"),
    "recommendations": ("inspections", "inspection_id"),
}
# Tables of names, not of an area's work: their rows belong to no area (what they change shows in
# the derived tables, e.g. lead load through aliases).
_NO_AREA = {"aliases"}


def area_column(dataset, name: str) -> pd.Series:
    """The area_id of each row of a loaded table, following references up to the area."""
    frame = dataset.table(name)
    if name in _NO_AREA:
        return pd.Series(pd.NA, index=frame.index, dtype=object)
    if "area_id" in frame:
        return frame["area_id"]
    parent, key = _AREA_OF[name]
    parent_area = area_column(dataset, parent)
    lookup = dict(zip(dataset.table(parent)[key], parent_area, strict=False))
    return frame[key].map(lookup)


def rows_by_table(dataset) -> pd.DataFrame:
    """Rows read, loaded and rejected per table: read = loaded + rejected, always."""
    records = [
        {"table": name, "file": dataset.files[name], "read": dataset.rows_read[name],
         "loaded": len(dataset.table(name)), "rejected": len(dataset.rows_rejected.get(name, ()))}
        for name in TABLES
        if name in dataset.rows_read
    ]
    return pd.DataFrame(records, columns=["table", "file", "read", "loaded", "rejected"])


def rows_by_area(dataset) -> pd.DataFrame:
    """Rows loaded per area (one row each) and table (one column each), areas in file order."""
    areas = dataset.table("areas")
    frame = pd.DataFrame({"area_id": areas["area_id"], "name": areas["name"]})
    for name in TABLES:
        if name == "areas" or name in _NO_AREA or name not in dataset.tables:
            continue
        counts = area_column(dataset, name).value_counts()
        frame[name] = frame["area_id"].map(counts).fillna(0).astype(int)
    return frame.reset_index(drop=True)
