"""The report sections built from the results: what a reader sees, checked on the example data."""

from __future__ import annotations

from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest

from analysis.overview import OverviewReport
from analysis.report import AreaReport

from .conftest import EXAMPLE
from .report_builds import EXAMPLE_AS_OF, example_build


@pytest.fixture(scope="module")
def glos() -> AreaReport:
    return AreaReport.build(EXAMPLE, "gloucestershire", EXAMPLE_AS_OF)


def test_summary_counts_recommendations_without_a_strand(glos):
    summary = glos.summary()[0].content.plain
    # The plan answers 5 of the 15 (see the recommendations tests); its strands are behind.
    assert ("- **Recommendations:** Of 15 recommendations from 2 inspections, 5 have a strand of "
            "the action plan behind them (0 on track, 5 behind) and 10 have no strand at "
            "all.") in summary


def test_page_one_counts_milestones_past_due_with_no_return_apart(glos):
    # As of 31 December 2005 seven milestones (due 30 September and 31 October 2005) are past
    # due and nothing records them done: not reported, not red (issue 12).
    blocks = glos.summary()
    assert ("**Pathways:** 18 strands: 0 red, 5 amber, 6 green and 7 not reported. Of 29 "
            "milestones, 0 are complete, 0 missed, 0 overdue and 7 milestones past due with no "
            "return.") in blocks[0].content.plain
    assert [b.kind for b in blocks] == ["markdown", "markdown", "table", "markdown"]
    assert blocks[1].content.plain.startswith(
        "### Exceptions\n\n17 exceptions: 0 red, 10 overdue, behind target, late or unanswered, "
        "and 7 milestones past due with no return")
    # The 5 amber strands (ETE 1, drugs and alcohol 2, children and families 1 and 2, attitudes
    # 1) have only milestones due 'Monthly', 'quarterly' or 'To be confirmed': amber, and not
    # exceptions, which the sentence says.
    assert ("5 amber strands are not listed: none of their milestones has a readable due date "
            "(such as 'quarterly'), which is amber by the rule in Pathway progress."
            ) in blocks[1].content.plain
    assert blocks[3].content.plain.startswith("### What changed since 30 September 2005\n\n")
    assert "7 strands moved green \u2192 not reported" in blocks[3].content.plain


def test_overview_summary_says_what_is_off_track_not_how_many_rows():
    body = OverviewReport.build(EXAMPLE, EXAMPLE_AS_OF).summary()[0].content.plain
    assert "cohort row" not in body
    assert ("- **Not reported:** 7 strands (Gloucestershire Probation Area 7), with 7 "
            "milestones (Gloucestershire Probation Area 7) past due with no return") in body
    assert "10 recommendations (Gloucestershire Probation Area 10) without a strand" in body


def test_recommendations_section_opens_with_the_sentence_then_the_table(glos):
    blocks = glos.recommendations()
    assert [b.kind for b in blocks] == ["markdown", "table"]
    sentence = blocks[0].content.plain
    assert sentence.startswith("**Of 15 recommendations from 2 inspections, 5 have a strand")
    assert "10 have no strand at all" in sentence and "1 April 2005" in sentence


def test_an_area_never_inspected_says_so_instead_of_an_empty_table():
    plymouth = AreaReport.build(EXAMPLE, "plymouth", EXAMPLE_AS_OF)
    [block] = plymouth.recommendations()
    assert block.kind == "markdown"
    assert "No inspection of Plymouth Community Safety Partnership is recorded" in block.content.plain


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
    # printed as 6.73%, agreed and shown as printed; 261 of 3,884 is 6.72%) and its NI 30 table
    # (Northamptonshire 858 offences at baseline, ceiling 732, target 719).
    glance = OverviewReport.build(EXAMPLE, EXAMPLE_AS_OF).glance().set_index("area_id")["reoffending"]
    # The inspectorate's own words for Gloucestershire: "statistically slightly higher than that
    # predicted"; England and Wales has no verdict printed and no counts to test.
    assert glance["gloucestershire"] == ("54.8% against 53.5% predicted: statistically slightly "
                                         "higher than predicted, as the source printed it (1999-Q1)")
    assert glance["derby"] == "Agreed NI 18 target 6.73% (predicted 7.57%)"
    assert glance["northamptonshire"] == "NI 30 target 719 re-offences (baseline 858)"
    assert glance.isna().sum() == 4  # South West, East Midlands, Plymouth, Rutland hold none


def test_summary_quotes_an_ni30_target_rather_than_no_figures():
    summary = AreaReport.build(EXAMPLE, "northamptonshire", EXAMPLE_AS_OF).summary()[0].content.plain
    # The plan's terms: "Improvement Target End Point" 719, "Performance Ceiling Target End Point" 732.
    assert ("- **Reoffending:** NI 30 target: improvement target end point 719 proven re-offences "
            "by the prolific and other priority offender cohort (performance ceiling 732), from a "
            "baseline of 858 (Oct 07 - Sept 08).") \
        in summary  # the baseline as the plan prints it, not the cohort key 2007-Q4
    assert "no figures" not in summary


def test_summary_of_indicators_without_targets_says_so():
    summary = AreaReport.build(EXAMPLE, "england-and-wales", EXAMPLE_AS_OF).summary()[0].content.plain
    assert "- **Indicators:** 1 value, none with a target." in summary


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
    # Page one's exceptions group them per inspection (rows that start with their state); the
    # recommendations table lists each one (rows that start with its number).
    grouped = [r for r in parser.rows if r.startswith("Not answered")]
    assert len(grouped) == 2 and all(r.endswith("No strand of an action plan answers them.")
                                     for r in grouped)
    unanswered = [r for r in parser.rows if "Not answered" in r and not r.startswith("Not answered")]
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
    area = AreaReport.build(EXAMPLE, "gloucestershire", fifth).summary()[0].content.plain
    overview = OverviewReport.build(EXAMPLE, fifth).summary()[0].content.plain
    for text in (area, overview):
        assert "as of 5 November 2025" in text and "05 November" not in text


def test_a_chart_whose_every_figure_is_withheld_says_so(valid_copy):
    # area-a's only NI 18 cohort is 6 people: its target would give the 6 back.
    (valid_copy / "reoffending.csv").write_text(
        "area_id,cohort,measure,offenders,reoffenders,rate,reoffences,predicted_rate,serious_reoffences\n"
        "area-a,2007-Q4,ni18,6,,,,10.0,\n", encoding="utf-8")
    report = AreaReport.build(valid_copy, "area-a", "2008-12-31", threshold=10)
    texts = [b.content.plain for b in report.reoffending() if b.kind == "markdown"]
    assert any("No NI 18 target can be drawn" in t and "withheld" in t for t in texts)
    assert not [b for b in report.reoffending() if b.content is None]  # no "no data" placeholder


def test_an_ni30_chart_whose_every_count_is_withheld_says_so(valid_copy):
    # area-a's NI 30 baseline is 4 PPOs with 9 re-offences: at threshold 10 the 4 is withheld,
    # and so is every re-offence count beside it, so the chart has nothing it may draw.
    (valid_copy / "reoffending.csv").write_text(
        "area_id,cohort,measure,offenders,reoffenders,rate,reoffences,predicted_rate,serious_reoffences,"
        "ceiling_reoffences,target_reoffences\n"
        "area-a,2007-Q4,ni30,4,,,9,,,8,7\n", encoding="utf-8")
    report = AreaReport.build(valid_copy, "area-a", "2008-12-31", threshold=10)
    texts = [b.content.plain for b in report.reoffending() if b.kind == "markdown"]
    assert any("No NI 30 chart can be drawn" in t and "withheld" in t for t in texts), texts
    assert any("No NI 30 progress yet" in t for t in texts)
    assert not [b for b in report.reoffending() if b.content is None]  # no "no data" placeholder


def test_a_region_rolls_up_the_areas_within_it_each_at_its_own_date():
    # The East Midlands plan sets NI 18 targets for Derby, Derbyshire, Leicester,
    # Leicestershire, Nottingham and Nottinghamshire, and NI 30 targets for Lincolnshire and
    # Northamptonshire; Rutland has neither. None of the nine has a plan of its own.
    em = AreaReport.build(EXAMPLE, "east-midlands", "")
    blocks = em.areas_within()
    assert blocks[0].content.plain.startswith(
        "## Areas within East Midlands\n\n9 areas: none with an action plan of its own, 6 with an "
        "NI 18 target and 2 with an NI 30 target.")
    rows = em._within()[1].set_index("name")["reoffending"]
    assert rows["Nottingham"] == "Agreed NI 18 target 11.41% (predicted 12.22%)"  # as the plan prints
    assert rows["Northamptonshire"] == "NI 30 target 719 re-offences (baseline 858)"
    assert rows.isna().sum() == 1  # Rutland
    # South West: Gloucestershire as of 31 December 2005 (5 amber, 7 not reported, as its own
    # report) and Plymouth as of 30 September 2014 (8 strands, none rated).
    sw = AreaReport.build(EXAMPLE, "south-west", "")
    assert sw.results.as_of == date(2014, 9, 30)
    within = sw._within()[1].set_index("area_id")
    assert list(within.index) == ["gloucestershire", "plymouth"]
    assert within.loc["gloucestershire", "as_of"] == date(2005, 12, 31)
    assert (within.loc["gloucestershire", "behind"], within.loc["gloucestershire", "not_reported"]) == (5, 7)
    assert "- **Areas within South West:** 2 areas: 2 with an action plan of their own" in (
        sw.summary()[0].content.plain)
    assert AreaReport.build(EXAMPLE, "derby", "").areas_within() == []  # nothing within Derby


def test_a_region_s_appendix_checks_the_targets_its_plan_agreed_for_the_areas_within():
    # The East Midlands plan agreed six NI 18 targets, one per authority within the region; the
    # workbook's calculation gives Nottingham 786 (agreed 784) and Nottinghamshire 835 (832).
    report = AreaReport.build(EXAMPLE, "east-midlands")
    said = report.ni18_check()[0].content.plain
    assert "Nottingham: our method gives 786; agreed 784" in said
    assert "Nottinghamshire: our method gives 835; agreed 832" in said
    assert "No agreed NI 18 target" not in said
    page_one = report.summary()[0].content.plain
    assert "no figures for East Midlands itself; the areas within it have their own" in page_one


def test_the_overview_has_the_appendix_its_ni18_captions_point_to():
    # Its NI 18 chart and table say the workbook's own calculation "is checked in the appendix".
    overview = OverviewReport.build(EXAMPLE)
    said = overview.ni18_check()[0].content.plain
    assert "Nottingham: our method gives 786; agreed 784" in said
    notebook = (Path(__file__).parents[1] / "notebooks" / "overview.ipynb").read_text(encoding="utf-8")
    assert "show(overview.ni18_check())" in notebook
