"""The report sections built from the results: what a reader sees, checked on the example data."""

from __future__ import annotations

from datetime import date
from html.parser import HTMLParser

import pytest

from analysis.report import AreaReport, OverviewReport

from .conftest import EXAMPLE
from .report_builds import EXAMPLE_AS_OF, example_build


@pytest.fixture(scope="module")
def glos() -> AreaReport:
    return AreaReport.build(EXAMPLE, "gloucestershire", EXAMPLE_AS_OF)


def test_summary_counts_recommendations_without_a_strand(glos):
    summary = glos.summary()[0].content.body
    assert ("**Recommendations:** 10 of 15 without a strand of the action plan; 0 past their due "
            "date.") in summary


def test_recommendations_section_opens_with_the_sentence_then_the_table(glos):
    blocks = glos.recommendations()
    assert [b.kind for b in blocks] == ["markdown", "table"]
    sentence = blocks[0].content.body
    assert sentence.startswith("**Of 15 recommendations from 2 inspections, 5 have a strand")
    assert "10 have no strand at all" in sentence and "1 April 2005" in sentence


def test_an_area_never_inspected_says_so_instead_of_an_empty_table():
    plymouth = AreaReport.build(EXAMPLE, "plymouth", EXAMPLE_AS_OF)
    [block] = plymouth.recommendations()
    assert block.kind == "markdown"
    assert "No inspection of Plymouth Community Safety Partnership is recorded" in block.content.body


def test_overview_glance_gives_each_area_its_recommendations():
    overview = OverviewReport.build(EXAMPLE, EXAMPLE_AS_OF)
    glance = overview.glance().set_index("area_id")
    row = glance.loc["gloucestershire"]
    assert (row["recommendations"], row["unanswered"], row["late"]) == (15, 10, 0)
    assert (row["strands"], row["overall_score"]) == (18, pytest.approx(68.1))
    assert glance["recommendations"].isna().sum() == len(glance) - 1  # no other area was inspected


def test_overview_glance_says_what_each_areas_reoffending_figures_are():
    # As printed: the Gloucestershire ESI report (54.8% against 53.5% predicted, 1999 cohort), the
    # East Midlands delivery plan's NI 18 table (Derby 7.57% predicted, target 261 re-offenders,
    # printed as 6.73%; 261 of 3,884 is 6.72%, 6.7% either way) and its NI 30 table
    # (Northamptonshire 858 offences at baseline, ceiling 732, target 719).
    glance = OverviewReport.build(EXAMPLE, EXAMPLE_AS_OF).glance().set_index("area_id")["reoffending"]
    assert glance["gloucestershire"] == "54.8% against 53.5% predicted (1999-Q1)"
    assert glance["derby"] == "NI 18 target 6.7% (predicted 7.6%)"
    assert glance["northamptonshire"] == "NI 30 target 719 re-offences (baseline 858)"
    assert glance.isna().sum() == 4  # South West, East Midlands, Plymouth, Rutland hold none


def test_summary_quotes_an_ni30_target_rather_than_no_figures():
    summary = AreaReport.build(EXAMPLE, "northamptonshire", EXAMPLE_AS_OF).summary()[0].content.body
    assert ("**NI 30 target:** at most 719 re-offences by the prolific and other priority offender "
            "cohort, ceiling 732, from a baseline of 858 (2007\\-Q4).") in summary
    assert "no figures" not in summary


def test_summary_of_indicators_without_targets_says_so():
    summary = AreaReport.build(EXAMPLE, "england-and-wales", EXAMPLE_AS_OF).summary()[0].content.body
    assert "**Indicators:** 1 value, none with a target." in summary


class _Rows(HTMLParser):
    """The text of each table row of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[str] = []
        self._row: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self._row = []

    def handle_endtag(self, tag):
        if tag == "tr" and self._row is not None:
            self.rows.append(" ".join(" ".join(self._row).split()))
            self._row = None

    def handle_data(self, data):
        if self._row is not None:
            self._row.append(data)


def test_gloucestershire_report_shows_which_recommendations_the_plan_leaves_unanswered(
        tmp_path_factory):
    html = (example_build(tmp_path_factory).out_dir / "gloucestershire" / "gloucestershire.html")
    parser = _Rows()
    parser.feed(html.read_text(encoding="utf-8"))
    unanswered = [r for r in parser.rows if "Not answered" in r]
    assert len(unanswered) == 10
    # Recommendation 10 of the ESI (victims) and 3 of the thematic (training) have no strand ...
    assert any(r.startswith("10 Address victim issues") for r in unanswered)
    assert any(r.startswith("3 Run a training programme") for r in unanswered)
    # ... while 6 (risk of harm) is answered by the public protection strand, which is behind.
    [six] = [r for r in parser.rows if r.startswith("6 Quickly set up monitoring")]
    # The public protection strand has a milestone past due with no return: not reported.
    assert "Answered but behind" in six and "Manage risk of harm better" in six
    assert "(not reported)" in six.lower()


def test_summaries_write_the_as_of_date_as_the_rest_of_the_workbook_does():
    # "5 November 2025", as GOV.UK style writes dates and the report's subtitle already did
    fifth = date(2025, 11, 5)
    area = AreaReport.build(EXAMPLE, "gloucestershire", fifth).summary()[0].content.body
    overview = OverviewReport.build(EXAMPLE, fifth).summary()[0].content.body
    for text in (area, overview):
        assert "as of 5 November 2025" in text and "05 November" not in text


def test_a_chart_whose_every_figure_is_withheld_says_so(valid_copy):
    # area-a's only NI 18 cohort is 6 people: its target would give the 6 back.
    (valid_copy / "reoffending.csv").write_text(
        "area_id,cohort,measure,offenders,reoffenders,rate,reoffences,predicted_rate,serious_reoffences\n"
        "area-a,2007-Q4,ni18,6,,,,10.0,\n", encoding="utf-8")
    report = AreaReport.build(valid_copy, "area-a", "2008-12-31", threshold=10)
    texts = [b.content.body for b in report.reoffending() if b.kind == "markdown"]
    assert any("No NI 18 target can be drawn" in t and "withheld" in t for t in texts)
    assert not [b for b in report.reoffending() if b.content is None]  # no "no data" placeholder
