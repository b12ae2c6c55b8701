from datetime import date

import pytest

from analysis.dates import parse_due, parse_iso_date


@pytest.mark.parametrize(
    ("text", "expected", "precision"),
    [
        # Every spelling the data contract lists, with the date it names.
        ("2005-10-31", date(2005, 10, 31), "day"),
        ("31/03/06", date(2006, 3, 31), "day"),
        ("31/3/2006", date(2006, 3, 31), "day"),
        ("October 2005", date(2005, 10, 31), "month"),
        ("Oct 2005", date(2005, 10, 31), "month"),
        ("By March 2010", date(2010, 3, 31), "month"),
        ("end of June 2010", date(2010, 6, 30), "month"),
        ("Q3 2009/10", date(2009, 12, 31), "quarter"),  # Oct-Dec of FY 2009/10
        ("Q1 2009/10", date(2009, 6, 30), "quarter"),
        ("Q4 2009/10", date(2010, 3, 31), "quarter"),  # Jan-Mar falls in 2010
        ("2009/10", date(2010, 3, 31), "year"),
        # Two-digit years: 20xx below 50, 19xx otherwise.
        ("31/12/49", date(2049, 12, 31), "day"),
        ("31/12/99", date(1999, 12, 31), "day"),
        ("Sept 2005", date(2005, 9, 30), "month"),
        ("February 2008", date(2008, 2, 29), "month"),  # leap year
    ],
)
def test_due_spellings(text, expected, precision):
    due = parse_due(text)
    assert due.on == expected
    assert due.precision == precision


@pytest.mark.parametrize("text", ["ongoing", "Monthly", "3 Sept", "31/02/05", "Q5 2009/10",
                                  "2009/12", "", None, "TBC"])
def test_unreadable_due_is_kept_as_no_date(text):
    assert parse_due(text).on is None
    assert parse_due(text).precision == "none"


def test_iso_dates_are_strict():
    assert parse_iso_date("2005-01-01") == date(2005, 1, 1)
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        parse_iso_date("01/01/2005")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Spellings found in the East Midlands delivery plan 2009-10.
        ("by end July 2009", date(2009, 7, 31)),
        ("By end Sept 2009", date(2009, 9, 30)),
        ("by end-June 2009", date(2009, 6, 30)),
        ("During 2009", date(2009, 12, 31)),
        ("End March 2006", date(2006, 3, 31)),
    ],
)
def test_plan_spellings_with_lead_in_words(text, expected):
    assert parse_due(text).on == expected


@pytest.mark.parametrize(("text", "outside"), [
    ("31/12/9999", date(9999, 12, 31)),  # the usual "no end date"
    ("9999-12-31", date(9999, 12, 31)),
    ("01/01/1900", date(1900, 1, 1)),
    ("31/03/85", date(1985, 3, 31)),  # two-digit years below 50 are 20xx, others 19xx
    ("December 1989", date(1989, 12, 31)),
    ("2101", date(2101, 12, 31)),
])
def test_due_dates_outside_1990_to_2100_are_no_date(text, outside):
    due = parse_due(text)
    assert (due.on, due.precision, due.outside) == (None, "none", outside)


@pytest.mark.parametrize(("text", "expected"), [
    ("1990-01-01", date(1990, 1, 1)), ("2100-12-31", date(2100, 12, 31)),
    ("Q4 2099/00", date(2100, 3, 31)), ("1989-12-31", None), ("2101-01-01", None),
])
def test_the_range_includes_its_ends(text, expected):
    assert parse_due(text).on == expected
