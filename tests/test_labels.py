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
