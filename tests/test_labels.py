"""Labels: dates and counts as the reports write them."""

from __future__ import annotations

from datetime import date

import pandas as pd

from analysis.labels import long_date, plural, short_date


def test_dates_have_no_leading_zero_in_the_day():
    assert long_date(date(2005, 12, 5)) == "5 December 2005"
    assert long_date(pd.Timestamp("2006-01-31")) == "31 January 2006"
    assert short_date(date(2005, 3, 1)) == "1 Mar 2005"
    assert short_date(pd.Timestamp("2006-10-12")) == "12 Oct 2006"


def test_plural():
    assert plural(1, "strand") == "1 strand"
    assert plural(0, "strand") == "0 strands"
    assert plural(3, "cohort is", "cohorts are") == "3 cohorts are"


def test_measures_in_words_never_codes():
    from analysis.labels import measure_label

    # The ESI's own words for its reconviction measure; the National Indicators as the East
    # Midlands plan names them; an unknown code read word by word.
    assert measure_label("community-order-reconviction-2yr") == \
        "two-year reconviction rate for community orders"
    assert measure_label("NI18").startswith("NI 18, adult reoffending")
    assert measure_label("adult-proven-2yr") == "adult proven two-year"
    assert measure_label("ni40") == "NI 40"
    assert measure_label(None) == ""


def test_inspections_by_kind_and_month():
    from analysis.labels import inspection_when

    full = pd.Series({"kind": "full", "published": pd.Timestamp("2005-01-01"),
                      "published_as_printed": None})
    assert inspection_when(full) == "full inspection, January 2005"
    printed = full.copy()
    printed["kind"], printed["published_as_printed"] = "thematic", "Spring 2005"
    assert inspection_when(printed) == "thematic inspection, Spring 2005"
