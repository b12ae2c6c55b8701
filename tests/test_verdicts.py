"""Actual against predicted in words, and the rate of the area above beside an area's."""

from __future__ import annotations

import pandas as pd

from analysis.verdicts import HIGHER, LOWER, NOT_DIFFERENT, with_comparators, with_verdicts

from .conftest import EXAMPLE


def _rates(**columns) -> pd.DataFrame:
    base = {"area_id": ["a", "b", "c", "d", "e"], "measure": ["m"] * 5, "cohort": ["2008"] * 5}
    return pd.DataFrame({**base, **columns})


def test_a_tested_rate_is_lower_higher_or_not_different_and_the_source_speaks_only_without_a_test():
    # a: 3 points below, significant; b: 2 above, significant; c: 1 below, not significant;
    # d: rates without counts (no test), the source printed its verdict; e: withheld.
    rates = _rates(
        significant=pd.array([True, True, False, pd.NA, pd.NA], dtype="boolean"),
        difference=[-3.0, 2.0, -1.0, float("nan"), float("nan")],
        verdict_as_printed=[None, "ignored: a test wins", None, "slightly higher than predicted",
                            "withheld words"],
        suppressed=["", "", "", "", "reoffenders;significant"],
    )
    out = with_verdicts(rates)
    assert out["verdict"].tolist()[:4] == [LOWER, HIGHER, NOT_DIFFERENT, "slightly higher than predicted"]
    assert pd.isna(out["verdict"].iloc[4])  # the disclosure layer withheld its significance
    assert out["verdict_source"].tolist()[:4] == ["test", "test", "test", "as printed"]
    assert "verdict" not in rates  # a new frame


def test_each_area_has_the_nearest_area_above_with_a_rate_beside_it():
    # c's parent b has no rate for the cohort: c gets the nation's. The nation has none above.
    areas = pd.DataFrame({"area_id": ["n", "b", "c", "d"], "parent_id": [None, "n", "b", "n"]})
    rates = pd.DataFrame({"area_id": ["n", "b", "c", "d"], "measure": ["m", "m", "m", "other"],
                          "cohort": ["2008", "2007", "2008", "2008"],
                          "rate": [50.0, 40.0, 45.0, 30.0], "predicted_rate": [51.0, None, 44.0, 29.0]})
    out = with_comparators(rates, areas).set_index("area_id")
    assert out.loc["c", "comparator_area_id"] == "n" and out.loc["c", "comparator_rate"] == 50.0
    assert out.loc["c", "comparator_predicted_rate"] == 51.0
    assert pd.isna(out.loc["b", "comparator_area_id"])  # the nation has no 2007 rate
    assert pd.isna(out.loc["d", "comparator_rate"])  # nor one for d's measure
    assert pd.isna(out.loc["n", "comparator_area_id"])


def test_gloucestershire_reads_as_the_inspectorate_wrote_it_with_england_and_wales_beside_it():
    # HMI Probation's Gloucestershire report: "The reconviction rate for community orders was
    # statistically slightly higher than that predicted"; its table sets England and Wales'
    # actual 50.2% and predicted 51.7% beside Gloucestershire's 54.8% and 53.5%.
    from analysis.report import AreaReport

    glos = AreaReport.build(EXAMPLE, "gloucestershire", "")
    line = next(line for line in glos.summary()[0].content.plain.splitlines() if "Reoffending" in line)
    assert ("against 53.5% predicted: statistically slightly higher than predicted, as the source "
            "printed it; England and Wales 50.2% against 51.7% predicted") in line
    table = glos.reoffending()
    html = next(b.content for b in table if b.kind == "table").as_raw_html()
    assert "statistically slightly higher than predicted (as printed)" in html
