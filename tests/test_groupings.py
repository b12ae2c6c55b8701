"""Comparison groups: an area beside the other areas of its kind in its police force area."""

from __future__ import annotations

import pandas as pd

from analysis.groupings import group_peers

AREAS = pd.DataFrame({"area_id": ["p", "t", "e", "pc", "b"],
                      "area_type": ["local_authority", "local_authority", "local_authority",
                                    "community_safety_partnership", "local_authority"]})
GROUPINGS = pd.DataFrame({"area_id": ["p", "t", "e", "pc", "b"], "grouping": "police force area",
                          "group": ["Devon and Cornwall"] * 4 + ["Avon and Somerset"]})


def _rates(rows):
    return pd.DataFrame(rows, columns=["area_id", "measure", "cohort", "offenders", "rate"])


def test_the_areas_of_its_kind_in_its_group_lowest_rate_first():
    rates = _rates([("p", "m", "2022/23", 1200, 28.75), ("t", "m", "2022/23", 600, 25.0),
                    ("pc", "m", "2022/23", 1200, 28.75),  # a partnership: another kind
                    ("b", "m", "2022/23", 2000, 22.0),  # another group
                    ("e", "m", "2021/22", 900, 20.0)])  # another cohort
    peers = group_peers(GROUPINGS, AREAS, rates, pd.DataFrame(), "p", "m", "2022/23")
    assert peers[["area_id", "rate", "is_self"]].values.tolist() == [["t", 25.0, False], ["p", 28.75, True]]
    assert set(peers["group"]) == {"Devon and Cornwall"}


def test_an_area_in_no_group_has_no_peers():
    rates = _rates([("p", "m", "2022/23", 1200, 28.75)])
    none = pd.DataFrame(columns=["area_id", "grouping", "group"])
    assert group_peers(none, AREAS, rates, pd.DataFrame(), "p", "m", "2022/23").empty
