"""Tests for analysis.charts: figures, alt text, empty input, style isolation and determinism."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from analysis import charts
from analysis.disclosure import RATES, protect, withhold
from analysis.labels import markdown_plain
from analysis.loader import load_dataset
from analysis.pipeline import Results, analyse
from analysis.synth import synthesise

matplotlib.use("Agg")

EXAMPLE = Path(__file__).parent.parent / "data" / "example"
AS_OF = date(2005, 12, 31)


@pytest.fixture(scope="module")
def example() -> Results:
    return analyse(load_dataset(EXAMPLE), as_of=AS_OF)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Results:
    out = tmp_path_factory.mktemp("synth")
    synthesise(out, areas=6, quarters=8, seed=3)
    return analyse(load_dataset(out), as_of=date(2022, 6, 30))


def _png(chart: charts.Chart) -> bytes:
    buffer = io.BytesIO()
    chart.figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def _bars(chart: charts.Chart) -> list[Rectangle]:
    return [p for ax in chart.figure.axes for c in ax.containers for p in c.patches]


def _check(chart: charts.Chart | None) -> charts.Chart:
    assert chart is not None
    assert isinstance(chart.figure, Figure)
    assert chart.title and chart.caption and chart.alt and chart.source.startswith("Source:")
    width, height = chart.figure.get_size_inches()
    # Drawn at the PDF's text width (A4 less 2 cm margins), so sizes are print sizes.
    assert width * 25.4 == pytest.approx(170.0) and 2.5 <= height <= 11.0
    for text in chart.figure.findobj(matplotlib.text.Text):
        if text.get_text() and text.get_visible():
            assert text.get_fontsize() * 170.0 / (width * 25.4) >= 8, text.get_text()
    return chart


# --------------------------------------------------------------------------- hand-made frames


def _milestones() -> pd.DataFrame:
    rows = [
        ("m1", "ACCM", "2005-10-31", "overdue"),
        ("m2", "ACCM", "2005-10-31", "overdue"),
        ("m3", "ETE", "2006-01-31", "due soon"),
        ("m4", "HEALTH", "2005-09-30", "complete"),
        ("m5", "HEALTH", "2006-09-30", "not yet due"),
        ("m6", "ETE", None, "undated"),
    ]
    return pd.DataFrame(
        {
            "milestone_id": [r[0] for r in rows],
            "strand_id": "s1",
            "area_id": "testshire",
            "plan_id": "p1",
            "pathway": [r[1] for r in rows],
            "description": [
                "Open <b>hostel</b>",
                "Policy $x$ agreed",
                "Review",
                "Audit",
                "Launch",
                "Monthly <b>reports</b> **now**",
            ],
            "due": ["31/10/05", "31/10/05", "Jan 06", "Sep 05", "Sep 06", "Monthly"],
            "due_date": pd.to_datetime([r[2] for r in rows]),
            "state": [r[3] for r in rows],
        }
    )


def _rates(n: int = 6) -> pd.DataFrame:
    offenders = np.array([400, 410, 8, 420, 380, 390][:n])
    reoffenders = np.array([180, 200, 3, 160, 170, 150][:n])
    predicted = np.array([45.0, 46.0, 44.0, 45.0, 44.0, 47.0][:n])
    rate = 100 * reoffenders / offenders
    frame = pd.DataFrame(
        {
            "area_id": "testshire",
            "measure": "adult-proven-1yr",
            "cohort": [f"2020-Q{q}" for q in range(1, 5)] + ["2021-Q1", "2021-Q2"][: max(0, n - 4)],
            "offenders": pd.array(offenders, dtype="Int64"),
            "reoffenders": pd.array(reoffenders, dtype="Int64"),
            "rate": rate,
            "ci_low": rate - 4,
            "ci_high": rate + 4,
            "predicted_rate": predicted,
            "difference": rate - predicted,
            "significant": pd.array(np.abs(rate - predicted) > 5, dtype="boolean"),
        }
    )
    return withhold(frame, protect(frame, None, threshold=10), RATES)


def _spc() -> pd.DataFrame:
    rate = [40.0, 42.0, 41.0, 55.0, 39.0, 40.5]
    return pd.DataFrame(
        {
            "area_id": "testshire",
            "measure": "m",
            "cohort": [f"2020-Q{q}" for q in range(1, 7)],
            "rate": rate,
            "centre": 42.9,
            "lower": 30.0,
            "upper": 54.0,
            "special_cause": pd.array([False, False, False, True, False, False], dtype="boolean"),
            "rules": ["", "", "", "1", "", ""],
            "variation": ["common cause"] * 3 + ["concern"] + ["common cause"] * 2,
            "trial_limits": True,
        }
    )


def _funnel() -> pd.DataFrame:
    n = [100, 200, 300, 400, 500]
    rate = [40.0, 35.0, 52.0, 38.0, np.nan]
    return pd.DataFrame(
        {
            "area_id": ["a", "b", "testshire", "d", "e"],
            "measure": "m",
            "cohort": "2021-Q4",
            "offenders": pd.array(n, dtype="Int64"),
            "rate": rate,
            "target": 40.0,
            "tau2": 0.0,
            "position": ["within", "within", "above 99.8%", "within", None],
        }
    )


# --------------------------------------------------------------------------- each chart


def test_milestone_timeline_handmade() -> None:
    chart = _check(charts.milestone_timeline(_milestones(), AS_OF))
    points = sum(
        len(c.get_offsets()) for c in chart.figure.axes[0].collections if isinstance(c, PathCollection)
    )
    assert points == 5  # the undated one is not plotted...
    assert "Monthly <b>reports</b> **now**" in chart.caption  # ...but listed, as written
    assert "2 overdue" in chart.alt and "1 milestone has no readable due date" in chart.alt
    texts = [t.get_text() for t in chart.figure.findobj(matplotlib.text.Text)]
    assert "As of 31 December 2005" in texts


def test_milestone_timeline_example(example: Results) -> None:
    glos = example.for_area("gloucestershire")
    chart = _check(charts.milestone_timeline(glos["milestones_status"], AS_OF))
    # Nothing is recorded of the seven milestones past due (issue 12): no return, not overdue.
    assert "7 past due, no return" in chart.alt and "11 due soon" in chart.alt
    assert "11 milestones have no readable due date" in chart.alt


def test_lead_load_chart() -> None:
    frame = pd.DataFrame(
        {
            "area_id": "t",
            "plan_id": "p",
            "lead": ["Ann", "Bob", None],
            "strands": [5, 2, 1],
            "open_milestones": [3, 1, 0],
            "overdue": [2, 0, 0],
            "share": [62.5, 25.0, 12.5],
        }
    )
    chart = _check(charts.lead_load_chart(frame))
    assert len(_bars(chart)) == 3
    assert [round(p.get_width()) for p in _bars(chart)] == [5, 2, 1]
    # 62.5/25/12.5: floors 62+25+12 = 99; the point left goes to the larger of the two .5
    # remainders' parts (Ann's 5, not the 1 with no lead): shares by largest remainder.
    assert "Ann leads the most, 5 (63%)" in chart.alt


def test_lead_load_chart_example(example: Results) -> None:
    chart = _check(charts.lead_load_chart(example.for_area("gloucestershire")["lead_load"]))
    assert len(_bars(chart)) == 2 and "ACO Interventions leads the most, 15 (83%)" in chart.alt


def test_coverage_heatmap(example: Results) -> None:
    chart = _check(charts.coverage_heatmap(example.pathway_coverage))
    texts = [t.get_text() for t in chart.figure.axes[0].texts]
    coverage = example.pathway_coverage
    assert texts.count("gap") == int(coverage["gap"].sum())
    assert (
        "Gloucestershire: offender management, equality and diversity and third sector and faith" in chart.alt
    )
    hatched = [p for p in chart.figure.axes[0].patches if p.get_hatch()]
    assert len(hatched) == int(coverage["gap"].sum())


def test_criterion_scores_chart_with_family(example: Results) -> None:
    glos = example.for_area("gloucestershire")
    chart = _check(charts.criterion_scores_chart(glos["inspection_criteria"], glos["inspection_family"]))
    assert len(_bars(chart)) == 12  # scored criteria of glos-esi-2005
    assert "lowest B1 Assessment of risk of harm (46)" in chart.alt
    # Gloucestershire is its family's only inspected area: a "family mean" would be its own
    # score, so none is drawn or quoted, and the caption says why.
    assert "section B" not in chart.alt and "no family group or national comparison" in chart.caption
    assert not [ln for ln in chart.figure.axes[0].lines if ln.get_linestyle() == "--"]
    assert "A4 Satisfactorily met" in chart.caption


def test_criterion_scores_chart_with_other_areas(synthetic: Results) -> None:
    area = sorted(synthetic.inspection_criteria["area_id"].unique())[0]
    mine = synthetic.inspection_criteria[synthetic.inspection_criteria["area_id"] == area]
    chart = _check(charts.criterion_scores_chart(mine, synthetic.inspection_criteria))
    diamonds = [ln for ln in chart.figure.axes[0].lines if ln.get_marker() == "D"]
    assert len(diamonds) == len(_bars(chart)) == 12
    assert "Below the comparison mean" in chart.alt


def test_section_scores_chart(example: Results) -> None:
    chart = _check(charts.section_scores_chart(example.inspection_sections, inspection_id="glos-esi-2005"))
    assert len(_bars(chart)) == 8  # 4 sections, ours and printed
    assert "4 of 4 agree" in chart.alt and "Overall 68.1 calculated, 68 printed" in chart.alt
    differing = example.inspection_sections.head(4).assign(
        published=[61.0, 80.0, 70.0, 68.0], agrees=[True, False, True, True]
    )
    chart = _check(charts.section_scores_chart(differing))
    assert "differing: C" in chart.alt
    # C recalculates to 72.0 from its criteria: 8.0 from the 80 printed here
    assert any(t.get_text() == "\u2260 80, differs by 8.0" for t in chart.figure.axes[0].texts)


def test_rate_trend_handmade_with_suppression() -> None:
    chart = _check(charts.rate_trend(_rates(), threshold=10))
    ax = chart.figure.axes[0]
    actual = ax.lines[0].get_ydata()
    assert len(actual) == 6 and np.isnan(actual[2])  # the suppressed cohort is a gap
    assert any(t.get_text() == "[c]" for t in ax.texts)
    assert "2020-Q3" in chart.caption and "withheld" in chart.caption and "from 1 to 9" in chart.caption
    assert "1 cohort is suppressed" in chart.alt
    assert "45.0% in 2020-Q1" in chart.alt  # first cohort: 180 of 400
    assert "38.5% in 2021-Q2" in chart.alt and "predicted 47.0%" in chart.alt  # latest: 150 of 390


def test_rate_trend_synthetic(synthetic: Results) -> None:
    chart = _check(charts.rate_trend(synthetic.reoffending_rates, threshold=10,
                                     area_id="synthetic-area-002"))
    rates = synthetic.reoffending_rates
    last = rates[rates["area_id"] == "synthetic-area-002"].sort_values("cohort").iloc[-1]
    assert f"{last['rate']:.1f}%" in chart.alt
    assert len(chart.figure.axes[0].lines[0].get_ydata()) == 8


def test_difference_chart() -> None:
    frame = _rates()
    chart = _check(charts.difference_chart(frame, threshold=10))
    assert len(_bars(chart)) == 6
    significant = [p for p in _bars(chart) if p.get_hatch()]
    expected = int(frame["significant"].fillna(False).sum())
    assert len(significant) == expected >= 1
    assert "Significant:" in chart.alt
    assert any(t.get_text() == "[c]" for t in chart.figure.axes[0].texts)


def test_xmr_chart() -> None:
    chart = _check(charts.xmr_chart(_spc()))
    ax = chart.figure.axes[0]
    concern = [ln for ln in ax.lines if ln.get_label() == "Special cause: concern"]
    assert len(concern) == 1 and list(concern[0].get_ydata()) == [55.0]
    assert "2020-Q4 55.0% (concern)" in chart.alt
    assert "trial limits" in chart.caption and "a point outside the limits" in chart.caption


def test_xmr_chart_synthetic(synthetic: Results) -> None:
    chart = _check(charts.xmr_chart(synthetic.spc, area_id="synthetic-area-001"))
    assert "mean" in chart.alt and "process limits" in chart.alt


def test_funnel_plot() -> None:
    chart = _check(charts.funnel_plot(_funnel(), "testshire", label="Testshire"))
    ax = chart.figure.axes[0]
    others = [ln for ln in ax.lines if ln.get_label() == "Other areas"][0]
    mine = [ln for ln in ax.lines if ln.get_label() == "Testshire"][0]
    assert len(others.get_xdata()) == 3 and list(mine.get_ydata()) == [52.0]
    assert "Testshire: 52.0% of 300 offenders, above 99.8% limit" in chart.alt
    assert "1 area without a publishable rate" in chart.caption
    assert any("Testshire" in t.get_text() for t in ax.texts)


def test_funnel_plot_synthetic(synthetic: Results) -> None:
    chart = _check(charts.funnel_plot(synthetic.funnel, "synthetic-area-003"))
    assert "Synthetic Area 003:" in chart.alt and "pooled rate" in chart.alt


def test_ni18_and_ni30_charts(example: Results) -> None:
    chart = _check(charts.ni18_chart(example.ni18_targets))
    ax = chart.figure.axes[0]
    assert len([ln for ln in ax.lines if ln.get_label() == "Predicted rate"][0].get_xdata()) == 6
    # The agreed targets, to two decimals as the East Midlands plan prints them.
    assert "Derby predicted 7.57%, target 6.73%" in chart.alt
    assert "falls from 6.45% (Nottinghamshire) to 11.06% (Derby)" in chart.alt
    assert any(ln.get_label() == "Agreed target rate" for ln in ax.lines)
    assert any(ln.get_label() == "Published expected rate" for ln in ax.lines)
    chart = _check(charts.ni30_chart(example.ni30_progress))
    assert len(_bars(chart)) == 6
    assert "Lincolnshire: baseline 330, ceiling 284, target 280" in chart.alt


def test_indicator_chart(example: Results) -> None:
    chart = _check(charts.indicator_chart(example.for_area("gloucestershire")["indicators_status"]))
    assert len(_bars(chart)) == 13
    assert "6 met their target, 7 did not" in chart.alt
    texts = " ".join(t.get_text() for t in chart.figure.findobj(matplotlib.text.Text))
    assert "\u2717 Not met" in texts and "\u2713 Met" in texts  # status in words, not colour alone


# --------------------------------------------------------------------------- every chart

CASES: list[tuple[str, Callable[[Results], charts.Chart | None]]] = [
    (
        "timeline",
        lambda r: charts.milestone_timeline(r.for_area("gloucestershire")["milestones_status"], AS_OF),
    ),
    ("lead", lambda r: charts.lead_load_chart(r.lead_load)),
    ("coverage", lambda r: charts.coverage_heatmap(r.pathway_coverage)),
    ("criteria", lambda r: charts.criterion_scores_chart(r.inspection_criteria, r.inspection_family)),
    ("sections", lambda r: charts.section_scores_chart(r.inspection_sections)),
    ("trend", lambda r: charts.rate_trend(_rates(), threshold=10)),
    ("difference", lambda r: charts.difference_chart(_rates(), threshold=10)),
    ("xmr", lambda r: charts.xmr_chart(_spc())),
    ("funnel", lambda r: charts.funnel_plot(_funnel(), "testshire")),
    ("ni18", lambda r: charts.ni18_chart(r.ni18_targets)),
    ("ni30", lambda r: charts.ni30_chart(r.ni30_progress)),
    ("indicators", lambda r: charts.indicator_chart(r.indicators_status)),
]


@pytest.mark.parametrize(("name", "make"), CASES, ids=[c[0] for c in CASES])
def test_deterministic_and_no_global_style(
    name: str, make: Callable[[Results], charts.Chart | None], example: Results
) -> None:
    before = dict(matplotlib.rcParams)
    first, second = make(example), make(example)
    assert first is not None and second is not None
    assert _png(first) == _png(second)
    assert charts.to_png(first) == charts.to_png(second)
    assert (first.alt, first.caption, first.title) == (second.alt, second.caption, second.title)
    after = dict(matplotlib.rcParams)
    assert {k for k in before if before[k] != after[k]} == set()


EMPTY = [
    lambda: charts.milestone_timeline(_milestones().iloc[0:0], AS_OF),
    lambda: charts.milestone_timeline(_milestones().iloc[5:6], AS_OF),  # only undated
    lambda: charts.lead_load_chart(pd.DataFrame()),
    lambda: charts.coverage_heatmap(pd.DataFrame()),
    lambda: charts.criterion_scores_chart(pd.DataFrame(), pd.DataFrame()),
    lambda: charts.section_scores_chart(pd.DataFrame()),
    lambda: charts.rate_trend(_rates().iloc[0:0], threshold=10),
    lambda: charts.difference_chart(_rates().iloc[0:0], threshold=10),
    lambda: charts.xmr_chart(pd.DataFrame()),
    lambda: charts.funnel_plot(_funnel().iloc[0:0], "testshire"),
    lambda: charts.funnel_plot(_funnel().assign(rate=np.nan), "testshire"),
    lambda: charts.ni18_chart(pd.DataFrame()),
    lambda: charts.ni30_chart(pd.DataFrame()),
    lambda: charts.indicator_chart(pd.DataFrame()),
    lambda: charts.lead_load_chart(None),  # type: ignore[arg-type]
]


@pytest.mark.parametrize("make", EMPTY)
def test_empty_input_returns_none(make: Callable[[], charts.Chart | None]) -> None:
    assert make() is None


def test_empty_pipeline_tables_return_none(example: Results) -> None:
    # the example has no SPC, funnel or trend rows: the pipeline's empty frames give None
    assert charts.xmr_chart(example.spc) is None
    assert charts.funnel_plot(example.funnel, "gloucestershire") is None


def test_show_displays_markdown_svg_and_png_with_alt_then_source(monkeypatch: pytest.MonkeyPatch) -> None:
    import IPython.display

    from analysis.render import ALT_KEY

    shown: list[tuple[object, dict]] = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, **kw: shown.append((obj, kw)))
    chart = charts.milestone_timeline(_milestones(), AS_OF)
    assert chart is not None
    charts.show(chart)
    assert len(shown) == 3
    title, (image, kwargs), source = shown[0][0], shown[1], shown[2][0]
    assert isinstance(title, IPython.display.Markdown) and "Milestones by pathway" in title.data
    # data text is made literal for Markdown: no HTML tag, no emphasis
    assert "&lt;b&gt;" in title.data and "<b>" not in title.data and r"\*\*now\*\*" in title.data
    assert kwargs["raw"] is True and kwargs["metadata"] == {
        "image/png": {ALT_KEY: chart.alt}, "image/svg+xml": {ALT_KEY: chart.alt}}
    assert set(image) == {"image/png", "image/svg+xml", "text/plain"}
    assert "Figure size" not in image["text/plain"] and image["image/svg+xml"].lstrip().startswith("<?xml")
    assert isinstance(source, IPython.display.Markdown) and "Source:" in markdown_plain(source.data)
    charts.show(None)
    assert "no data" in shown[-1][0].data


def test_dollar_signs_print_literally() -> None:
    chart = charts.milestone_timeline(_milestones().assign(state="undated", due_date=pd.NaT), AS_OF)
    assert chart is None
    frame = pd.DataFrame(
        {
            "area_id": "t",
            "plan_id": "p",
            "lead": ["$5 fund $x$"],
            "strands": [1],
            "open_milestones": [0],
            "overdue": [0],
            "share": [100.0],
        }
    )
    chart = _check(charts.lead_load_chart(frame))
    charts.to_png(chart)  # mathtext would fail or alter the label
    assert all(not t.get_parse_math() for t in chart.figure.findobj(matplotlib.text.Text))


def _ni18_chart(areas: list[str], cohorts: list[str], offenders: list[int], predicted: list[float],
                threshold: int) -> charts.Chart:
    """The NI 18 chart of hand-made cohorts, as published at `threshold`."""
    from analysis.disclosure import NI18
    from analysis.reoffending import ni18_targets

    rows = pd.DataFrame({"area_id": areas, "measure": "ni18", "cohort": cohorts,
                         "offenders": offenders, "predicted_rate": predicted})
    return _check(charts.ni18_chart(withhold(ni18_targets(rows), protect(rows, None, threshold=threshold),
                                             NI18)))


def test_ni18_chart_draws_the_latest_cohort_with_a_target_it_may_show() -> None:
    # 2008-Q4's only cohort is 6 people: its target is withheld, so the chart shows 2007-Q4
    # instead of nothing.
    chart = _ni18_chart(["derby", "derby"], ["2007-Q4", "2008-Q4"], [3884, 6], [7.57, 10.0], threshold=10)
    # No agreed target in these rows: the workbook's 261 of 3,884 is 6.72% (the plan prints 6.73%).
    assert "cohort 2007-Q4" in chart.alt and "target 6.72%" in chart.alt
    assert "workbook's calculation" in chart.caption


def test_ni18_chart_skips_a_later_cohort_too_small_for_any_target() -> None:
    # 2008-Q4 is 8 people at a predicted 30%: E = 2.4, sd = sqrt(8 x 0.3 x 0.7) = 1.30, and
    # 2.4 - 1.96 x 1.30 < 0, so no count is a significant fall and there is no target. The
    # chart showed "30.00% -> n/a% (n/a%)"; it must show 2007-Q4, whose target exists.
    chart = _ni18_chart(["derby", "derby"], ["2007-Q4", "2008-Q4"], [3884, 8], [7.57, 30.0], threshold=5)
    assert "cohort 2007-Q4" in chart.alt and "target 6.72%" in chart.alt
    labels = [t.get_text() for t in chart.figure.findobj(matplotlib.text.Text)]
    assert not any("n/a" in label for label in labels), labels


def test_ni18_chart_says_when_an_area_can_have_no_target() -> None:
    # The same cohort for two areas: Derby's 3,884 at 7.57% has a target, Tiny's 8 at 30% none.
    chart = _ni18_chart(["derby", "tiny"], ["2007-Q4", "2007-Q4"], [3884, 8], [7.57, 30.0], threshold=5)
    labels = [t.get_text() for t in chart.figure.findobj(matplotlib.text.Text)]
    assert "30.00%: no target, too few people for a significant fall" in labels, labels
    assert not any("n/a" in label for label in labels)
    assert "n/a" not in chart.alt


def test_no_identifier_in_any_chart_text(example: Results) -> None:
    """No id from the data's id columns nor a measure code in a title, caption, alt text or label."""
    data = load_dataset(EXAMPLE)
    ids = set()
    for table, column in (("plans", "plan_id"), ("strands", "strand_id"), ("milestones", "milestone_id"),
                          ("inspections", "inspection_id"), ("recommendations", "recommendation_id"),
                          ("reoffending", "measure"), ("areas", "area_id")):
        ids |= {str(v) for v in data.table(table)[column]}
    made = [charts.coverage_heatmap(example.pathway_coverage), charts.ni18_chart(example.ni18_targets),
            charts.ni30_chart(example.ni30_progress)]
    for area in ("gloucestershire", "east-midlands"):  # Plymouth's plan has no milestones
        t = example.for_area(area)
        made += [charts.milestone_timeline(t["milestones_status"], AS_OF, plans=data.table("plans")),
                 charts.lead_load_chart(t["lead_load"])]
    made.append(charts.lead_load_chart(example.for_area("plymouth")["lead_load"]))
    glos = example.for_area("gloucestershire")
    made += [charts.section_comparison_chart(glos["inspection_sections"], glos["inspection_family"],
                                             inspections=data.table("inspections")),
             charts.criterion_scores_chart(glos["inspection_criteria"], example.inspection_criteria,
                                           inspections=data.table("inspections")),
             charts.section_scores_chart(glos["inspection_sections"]),
             charts.indicator_chart(glos["indicators_status"])]
    assert all(c is not None for c in made)
    for chart in made:
        texts = [chart.title, chart.caption, chart.alt] + [
            t.get_text() for t in chart.figure.findobj(matplotlib.text.Text)]
        for text in texts:
            # an id is only ever lower case with hyphens: a name that matches one ("Derby") is not it
            found = [i for i in ids if (i in text if "-" in i or any(ch.isdigit() for ch in i)
                                        else f" {i} " in f" {text} ")]
            assert not found, (chart.title, found, text)
