"""The attacker (tests/attacker.py) against every published file: no count of 1..t-1 may come back.

Specification (disclosure issue): for every published total (parent area, annual cohort, group of
cohorts) enough complementary cells are suppressed that no suppressed count can be recovered by
subtraction, and no published figure gives a suppressed count by multiplication or division
(rates, expected counts with predicted rates, ratios). The attacker reads the export CSVs, the
XLSX workbooks and the figures in the HTML and PDF reports, and tries: a parent minus its children
(only where the data say the parent is their sum), an annual or multi-quarter cohort minus its
quarters (same condition), rate x cohort size, expected count / predicted rate, NI 18 target /
target rate, frequency, severity and re-offences per reoffender, and offenders minus reoffenders.
Nothing in 1..threshold-1 may come back, for thresholds 5, 10 and 20, on the example data, a
synthetic dataset with tiny cohorts and tests/data/disclosure (a nation, two regions, four
authorities, one tiny authority and one tiny quarter). Every file uses the build's threshold and
its notes say that threshold; a withheld NI 18 or NI 30 row shows [c], never a dash.

The first tests check the attacker itself on hand-made observations (it must find each kind of
leak, and must not report what cannot be worked out); the rest attack real outputs. Expected
results come from the specification and the input data, never from the code's output.
"""

from __future__ import annotations

import csv
import re
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from analysis.build import BuildResult
from analysis.cli import app
from analysis.loader import load_dataset
from analysis.pipeline import analyse, export
from analysis.spreadsheets import write_area_workbook, write_overview_workbook
from analysis.synth import synthesise

from . import attacker as atk
from .attacker import Cell, Equation, Observation, Truth
from .conftest import DATA, EXAMPLE
from .report_builds import ENGINES, EXAMPLE_AREAS, EXAMPLE_AS_OF, example_build, shared_build

DISCLOSURE = DATA / "disclosure"
THRESHOLDS = (5, 10, 20)
BUILD_THRESHOLDS = (5, 20)
AS_OF = {"example": EXAMPLE_AS_OF, "synthetic": date(2020, 3, 31), "disclosure": date(2016, 12, 31)}
# The reports built from tests/data/disclosure: a region, both its authorities (tiny is one) and
# dip with its tiny quarter, plus the overview. South, bravo and the nation are left out to keep
# the two builds short; the CSV and XLSX attacks cover every area.
BUILD_AREAS = ["north", "alpha", "tiny", "dip"]
M = "adult-proven-1yr"


# ---------------------------------------------------------------------------------------------
# Hand-made observations


def c(area: str, cohort: str = "2015-Q1", measure: str = M) -> Cell:
    return Cell(area, measure, cohort)


def shown(cell: Cell, quantity: str, text: object, file: str = "hand.csv") -> Observation:
    """An observation as a file would print it: a number, '[c]' or a dash."""
    status, value, half = atk.parse_figure(text, quantity)
    return Observation(cell, quantity, status, value, half, str(text), file, f"{cell} {quantity}")


def truth(values: dict[Cell, dict[str, float]], parents: dict[str, str] | None = None) -> Truth:
    for found in values.values():
        if "offenders" in found and "reoffenders" in found:
            found["non_reoffenders"] = found["offenders"] - found["reoffenders"]
    areas = {cell.area for cell in values} | set((parents or {}).values())
    return Truth(values, parents or {}, {a: a.title() for a in areas})


def leaks_of(observations: list[Observation], data: Truth, threshold: int = 10) -> list[atk.Leak]:
    result = atk.attack(observations, data, threshold)
    assert atk.unsound(result, data) == [], "the attacker claimed something the data contradict"
    return result.leaks


def found(leaks: list[atk.Leak], target: str, value: str, kind: str = "recovered") -> bool:
    return any(leak.kind == kind and leak.target == target and leak.value == value for leak in leaks)


def region_truth(region: int = 30, la: int = 25, tiny: int = 5, quantity: str = "reoffenders") -> Truth:
    return truth({c("region"): {quantity: region}, c("la"): {quantity: la}, c("tiny"): {quantity: tiny}},
                 {"la": "region", "tiny": "region"})


def test_parent_minus_its_visible_child_gives_the_hidden_child():
    """The known leak: a suppressed authority's reoffenders = region total - visible sibling (30 - 25)."""
    data = region_truth()
    published = [shown(c("region"), "reoffenders", 30), shown(c("la"), "reoffenders", 25),
                 shown(c("tiny"), "reoffenders", "[c]")]
    leaks = leaks_of(published, data)
    assert found(leaks, f"{c('tiny')} reoffenders", "5")
    leak = next(leak for leak in leaks if leak.target == f"{c('tiny')} reoffenders")
    assert leak.relation == "parent minus its children"
    assert "region" in leak.detail and "la" in leak.detail and "hand.csv" in leak.files


def test_a_parent_from_another_source_is_not_attacked():
    """The region's 30 is not the sum of its authorities (25 + 9 = 34): 30 - 25 recovers nothing."""
    data = region_truth(region=30, la=25, tiny=9)
    published = [shown(c("region"), "reoffenders", 30), shown(c("la"), "reoffenders", 25),
                 shown(c("tiny"), "reoffenders", "[c]")]
    assert leaks_of(published, data) == []
    assert data.relations() == []


def test_two_hidden_siblings_whose_sum_is_not_small_are_safe():
    data = truth({c("region"): {"reoffenders": 40}, c("la"): {"reoffenders": 25},
                  c("a"): {"reoffenders": 7}, c("b"): {"reoffenders": 8}},
                 {"la": "region", "a": "region", "b": "region"})
    published = [shown(c("region"), "reoffenders", 40), shown(c("la"), "reoffenders", 25),
                 shown(c("a"), "reoffenders", "[c]"), shown(c("b"), "reoffenders", "[c]")]
    assert leaks_of(published, data) == []  # a + b = 15: neither is known, nor is their sum small


def test_two_hidden_siblings_whose_sum_is_small_are_a_residual_leak():
    data = truth({c("region"): {"reoffenders": 30}, c("la"): {"reoffenders": 25},
                  c("a"): {"reoffenders": 2}, c("b"): {"reoffenders": 3}},
                 {"la": "region", "a": "region", "b": "region"})
    published = [shown(c("region"), "reoffenders", 30), shown(c("la"), "reoffenders", 25),
                 shown(c("a"), "reoffenders", "[c]"), shown(c("b"), "reoffenders", "[c]")]
    leaks = leaks_of(published, data)
    assert [leak.kind for leak in leaks] == ["residual"]
    assert leaks[0].value == "5" and str(c("a")) in leaks[0].target and str(c("b")) in leaks[0].target


@pytest.mark.parametrize("value", [10, 35])
def test_a_recovered_count_of_threshold_or_more_is_no_leak(value):
    data = region_truth(region=25 + value, la=25, tiny=value)
    published = [shown(c("region"), "reoffenders", 25 + value), shown(c("la"), "reoffenders", 25),
                 shown(c("tiny"), "reoffenders", "[c]")]
    result = atk.attack(published, data, 10)
    assert result.leaks == []
    assert result.recovered()[(c("tiny"), "reoffenders")].text() == str(value)  # worked out, but not small


def test_annual_cohort_minus_three_quarters_gives_the_fourth():
    """The known leak: a suppressed quarter = annual cohort - the other three (120 - 115 = 5)."""
    quarters = {"2015-Q1": 40, "2015-Q2": 40, "2015-Q3": 5, "2015-Q4": 35}
    data = truth({c("la", "2015"): {"offenders": 120}}
                 | {c("la", q): {"offenders": n} for q, n in quarters.items()})
    published = [shown(c("la", "2015"), "offenders", 120)] + [
        shown(c("la", q), "offenders", "[c]" if n == 5 else n) for q, n in quarters.items()]
    leaks = leaks_of(published, data)
    assert found(leaks, f"{c('la', '2015-Q3')} offenders", "5")
    assert leaks[0].relation == "cohort minus its quarters"


def test_financial_year_minus_its_own_quarters():
    """2015/16 is April 2015 to March 2016: its quarters are 2015-Q2 to 2016-Q1, not 2015-Q1."""
    quarters = {"2015-Q1": 90, "2015-Q2": 30, "2015-Q3": 30, "2015-Q4": 4, "2016-Q1": 36}
    data = truth({c("la", "2015/16"): {"offenders": 100}}
                 | {c("la", q): {"offenders": n} for q, n in quarters.items()})
    published = [shown(c("la", "2015/16"), "offenders", 100)] + [
        shown(c("la", q), "offenders", "[c]" if n == 4 else n) for q, n in quarters.items()]
    assert found(leaks_of(published, data), f"{c('la', '2015-Q4')} offenders", "4")
    assert atk.months("2015/16") == (2015 * 12 + 3, 2016 * 12 + 2)
    assert atk.months("2015/17") is None and atk.months("2015-Q5") is None


def test_chained_subtraction_through_a_hidden_region():
    """nation - south gives north (large, hidden), then north - alpha gives tiny."""
    data = truth({c("nation"): {"offenders": 300}, c("north"): {"offenders": 106},
                  c("south"): {"offenders": 194}, c("alpha"): {"offenders": 100},
                  c("tiny"): {"offenders": 6}},
                 {"north": "nation", "south": "nation", "alpha": "north", "tiny": "north"})
    published = [shown(c("nation"), "offenders", 300), shown(c("south"), "offenders", 194),
                 shown(c("north"), "offenders", "[c]"), shown(c("alpha"), "offenders", 100),
                 shown(c("tiny"), "offenders", "[c]")]
    assert found(leaks_of(published, data), f"{c('tiny')} offenders", "6")


def test_a_linear_combination_no_single_relation_gives():
    """x + y = 7, y + z = 9, x + z = 8: each relation has two unknowns, together they give x = 3."""
    x, y, z = ((c(a), "reoffenders") for a in ("x", "y", "z"))

    class Cycle(Truth):
        def equations(self) -> list[Equation]:
            return [Equation(((x, 1), (y, 1)), 7, "r1"), Equation(((y, 1), (z, 1)), 9, "r2"),
                    Equation(((x, 1), (z, 1)), 8, "r3")]

    data = Cycle({c(a): {"reoffenders": v} for a, v in (("x", 3), ("y", 4), ("z", 5))}, {}, {})
    leaks = atk.attack([shown(c(a), "reoffenders", "[c]") for a in "xyz"], data, 10).leaks
    assert {(leak.target, leak.value) for leak in leaks if leak.kind == "recovered"} == {
        (f"{c('x')} reoffenders", "3"), (f"{c('y')} reoffenders", "4"), (f"{c('z')} reoffenders", "5")}
    assert "combination of 3 relations" in leaks[0].detail


def test_published_rate_times_offenders():
    """The known leak: a suppressed row keeps published_rate and offenders (25% x 20 = 5)."""
    cell = c("tiny")
    data = truth({cell: {"offenders": 20, "reoffenders": 5}})
    published = [shown(cell, "offenders", 20), shown(cell, "rate", "25.0"), shown(cell, "reoffenders", "[c]")]
    leaks = leaks_of(published, data)
    assert found(leaks, f"{cell} reoffenders", "5")
    assert any(leak.relation == "rate x offenders" for leak in leaks)


def test_a_rate_rounded_to_one_decimal_still_gives_a_small_count():
    cell = c("tiny")
    data = truth({cell: {"offenders": 6, "reoffenders": 2}})
    published = [shown(cell, "offenders", 6), shown(cell, "rate", "33.3")]
    assert found(leaks_of(published, data), f"{cell} reoffenders", "2")


def test_a_rate_too_coarse_for_its_cohort_gives_no_count():
    """30% of 300 printed without decimals: 88.5 to 91.5, several integers, none small."""
    cell = c("la")
    data = truth({cell: {"offenders": 300, "reoffenders": 90}})
    result = atk.attack([shown(cell, "offenders", 300), shown(cell, "rate", 30)], data, 10)
    assert result.leaks == []
    known = result.recovered()[(cell, "reoffenders")]
    assert (known.lo, known.hi) == (89, 91) and not known.exact


def test_a_rate_that_narrows_a_count_into_the_small_range_is_a_leak():
    """42% printed without decimals (41.5 to 42.5) of 12 offenders is 4.98 to 5.1: exactly 5."""
    cell = c("tiny")
    data = truth({cell: {"offenders": 12, "reoffenders": 5}})
    leaks = leaks_of([shown(cell, "offenders", 12), shown(cell, "rate", 42)], data)
    assert found(leaks, f"{cell} reoffenders", "5")


def test_expected_reoffenders_divided_by_the_predicted_rate():
    """The known leak: expected_reoffenders beside predicted_rate (0.9 / 30% = a cohort of 3)."""
    cell = c("tiny")
    data = truth({cell: {"offenders": 3}})
    published = [shown(cell, "expected_reoffenders", "0.9"), shown(cell, "predicted_rate", "30.0"),
                 shown(cell, "offenders", "[c]")]
    leaks = leaks_of(published, data)
    assert found(leaks, f"{cell} offenders", "3")
    assert leaks[0].relation == "expected reoffenders / predicted rate"


@pytest.mark.parametrize(("threshold", "leaks"), [(10, 0), (20, 1)])
def test_ni18_target_divided_by_the_target_rate(threshold, leaks):
    cell = c("dip", "2015", "ni18")
    data = truth({cell: {"offenders": 15}})
    published = [shown(cell, "target_reoffenders", 2), shown(cell, "target_rate", "13.3"),
                 shown(cell, "offenders", "[c]")]
    result = atk.attack(published, data, threshold)
    assert len(result.leaks) == leaks
    assert result.recovered()[(cell, "offenders")].text() == "15"


@pytest.mark.parametrize(("quantity", "ratio", "base", "value", "target"), [
    ("frequency", "50.0", ("offenders", 8), 4, "reoffences"),
    ("severity", "12.5", ("offenders", 24), 3, "serious_reoffences"),
    ("reoffences_per_reoffender", "1.5", ("reoffenders", 4), 6, "reoffences"),
])
def test_ratios_times_their_base(quantity, ratio, base, value, target):
    cell = c("la")
    data = truth({cell: {base[0]: base[1], target: value}})
    published = [shown(cell, quantity, ratio), shown(cell, base[0], base[1]), shown(cell, target, "[c]")]
    assert found(leaks_of(published, data), f"{cell} {target}", str(value))


def test_a_ratio_and_its_numerator_give_the_cohort():
    """Re-offences 40 at a frequency of 1000 per 100 offenders: a cohort of 4."""
    cell = c("tiny", "2015-Q1", "ni30")
    data = truth({cell: {"offenders": 4, "reoffences": 40}})
    published = [shown(cell, "reoffences", 40), shown(cell, "frequency", "1000.0"),
                 shown(cell, "offenders", "[c]")]
    assert found(leaks_of(published, data), f"{cell} offenders", "4")


def test_offenders_minus_reoffenders():
    """Both counts published and large enough, but 22 - 19 = 3 people did not reoffend."""
    cell = c("la")
    data = truth({cell: {"offenders": 22, "reoffenders": 19}})
    leaks = leaks_of([shown(cell, "offenders", 22), shown(cell, "reoffenders", 19)], data)
    assert found(leaks, f"{cell} non_reoffenders", "3")
    assert leaks[0].relation == "offenders minus reoffenders"


def test_non_reoffenders_of_a_parent_minus_its_children():
    data = truth({c("region"): {"offenders": 130, "reoffenders": 100},
                  c("la"): {"offenders": 100, "reoffenders": 74},
                  c("tiny"): {"offenders": 30, "reoffenders": 26}}, {"la": "region", "tiny": "region"})
    published = [shown(c("region"), "offenders", 130), shown(c("region"), "reoffenders", 100),
                 shown(c("la"), "offenders", 100), shown(c("la"), "reoffenders", 74),
                 shown(c("tiny"), "offenders", 30), shown(c("tiny"), "reoffenders", "[c]")]
    assert found(leaks_of(published, data), f"{c('tiny')} non_reoffenders", "4")


@pytest.mark.parametrize(("threshold", "leaks"), [(5, 0), (10, 1)])
def test_a_published_small_count_is_a_leak(threshold, leaks):
    cell = c("dip")
    data = truth({cell: {"offenders": 7}})
    result = atk.attack([shown(cell, "offenders", 7)], data, threshold)
    assert [leak.kind for leak in result.leaks] == ["published"] * leaks


def test_predicted_rate_plus_difference_gives_the_rate():
    cell = c("tiny")
    data = truth({cell: {"offenders": 20, "reoffenders": 5}})
    published = [shown(cell, "offenders", 20), shown(cell, "predicted_rate", "30.0"),
                 shown(cell, "difference", "\u22125.0"), shown(cell, "rate", "[c]")]
    assert found(leaks_of(published, data), f"{cell} reoffenders", "5")


def test_the_z_statistic_gives_the_reoffenders():
    """z = (O - E)/sqrt(n p (1 - p)) with n = 40, p = 30%: z = -1.7252 means O = 12 - 5 = 7."""
    cell = c("la")
    data = truth({cell: {"offenders": 40, "reoffenders": 7}})
    published = [shown(cell, "offenders", 40), shown(cell, "predicted_rate", "30.0"),
                 shown(cell, "z_binomial", "-1.7252")]
    assert found(leaks_of(published, data), f"{cell} reoffenders", "7")


def test_complementary_suppression_leaves_nothing():
    """Region withheld too: 30 - 25 cannot be done, and nothing else gives tiny."""
    data = region_truth()
    published = [shown(c("region"), "reoffenders", "[c]"), shown(c("la"), "reoffenders", 25),
                 shown(c("tiny"), "reoffenders", "[c]")]
    assert leaks_of(published, data) == []


def test_figures_are_combined_across_files():
    """The region in one file, the sibling in another: still a leak, naming both files."""
    data = region_truth()
    published = [shown(c("region"), "reoffenders", 30, "a.xlsx"), shown(c("la"), "reoffenders", 25, "b.html"),
                 shown(c("tiny"), "reoffenders", "[c]", "b.html")]
    leak = leaks_of(published, data)[0]
    assert leak.files == ("a.xlsx", "b.html")


def test_unsound_names_a_recovery_the_data_contradict():
    """A file printing a wrong total makes the attacker 'recover' a wrong count: unsound says so."""
    data = region_truth(region=31, la=25, tiny=6)
    published = [shown(c("region"), "reoffenders", 30), shown(c("la"), "reoffenders", 25)]
    wrong = atk.unsound(atk.attack(published, data, 10), data)
    assert len(wrong) == 2
    assert "shows 30, the data say 31" in wrong[0] and "worked out as 5, the data say 6" in wrong[1]


def test_parse_figure_reads_what_files_print():
    assert atk.parse_figure("1,204", "offenders") == ("value", 1204.0, 0.0)
    assert atk.parse_figure("\u22120.3", "difference") == ("value", -0.3, pytest.approx(0.05))
    assert atk.parse_figure("+2.9", "difference")[1] == 2.9
    assert atk.parse_figure("[c]", "rate")[0] == "withheld"
    assert atk.parse_figure("\u2013", "offenders")[0] == "blank"
    assert atk.parse_figure("[x]", "offenders")[0] == "blank"
    assert atk.parse_figure(25, "rate") == ("value", 25.0, 0.5)  # a whole number in a workbook
    assert atk.parse_figure(33.33, "rate")[2] == pytest.approx(0.005)
    assert atk.parse_figure("6.0", "offenders") == ("value", 6.0, 0.0)
    assert atk.parse_figure("Yes", "significant")[0] == "blank"


# ---------------------------------------------------------------------------------------------
# The readers, on hand-made files

HAND_TRUTH = truth({c("north"): {"offenders": 126, "reoffenders": 32, "predicted_rate": 26.29},
                    c("tiny"): {"offenders": 6, "reoffenders": 2, "predicted_rate": 32.0},
                    c("tiny", "2015", "ni18"): {"offenders": 8, "predicted_rate": 30.0},
                    c("tiny", "2015", "youth"): {"offenders": 9, "reoffenders": 4, "predicted_rate": 35.0}},
                   {"tiny": "north"})


def test_html_reader_reads_groups_subtitles_and_markers():
    page = """<html><style>td {color: red}</style><body>
    <table><thead><tr><td class="gt_heading gt_title">Proven reoffending by cohort</td></tr>
    <tr><td class="gt_heading gt_subtitle">Tiny</td></tr>
    <tr><th scope="col">Cohort</th><th scope="col">Offenders</th><th scope="col">Reoffenders</th>
    <th scope="col">Rate (%)</th></tr></thead><tbody>
    <tr><th class="gt_group_heading" colspan="4">adult proven 1yr</th></tr>
    <tr><td>2015-Q1</td><td>6</td><td>[c]</td><td>33.3</td></tr>
    <tr><th class="gt_group_heading" colspan="4">youth</th></tr>
    <tr><td>2015</td><td>9</td><td>[c]</td><td>&#x2013;</td></tr></tbody></table>
    <table><tr><th>Area</th><th>Cohort</th><th>Offenders</th><th>Predicted rate (%)</th></tr>
    <tr><td>Tiny</td><td>2015</td><td>[c]</td><td>30.0</td></tr></table>
    <img alt="Funnel plot of 3 areas' adult proven 1yr reoffending rates for cohort 2015-Q1 against cohort
    size. North: 25.4% of 126 offenders, within the 95% limits.">
    </body></html>"""
    ctx = atk.Context(HAND_TRUTH)
    obs = atk.read_html(Path("tiny.html"), ctx, "tiny", source=page)
    got = {(str(o.cell), o.quantity, o.status, o.value) for o in obs}
    assert (f"{c('tiny')}", "offenders", "value", 6.0) in got
    assert (f"{c('tiny')}", "reoffenders", "withheld", None) in got
    assert (f"{c('tiny', '2015', 'youth')}", "rate", "blank", None) in got
    assert (f"{c('tiny', '2015', 'ni18')}", "offenders", "withheld", None) in got  # told apart by its 30.0%
    assert (f"{c('north')}", "offenders", "value", 126.0) in got  # from the chart's description
    leaks = atk.attack(obs, HAND_TRUTH, 10).leaks
    assert found(leaks, f"{c('tiny')} reoffenders", "2")  # 33.3% of 6
    assert "color" not in atk.html_text(page)


def test_pdf_reader_reads_wrapped_headings_and_rows():
    text = "\n".join([
        "NI 18 reoffending targets", "Area Cohort Offenders Predicted rate", "(%)", "Expected",
        "reoffenders", "Target rate (%)", "Tiny 2015 [c] 30.0 2.4 \u2013",
        "Source: Ministry of Justice.", "Proven reoffending by cohort", "Tiny",
        "Cohort Offenders Reoffenders Rate (%) 95% confidence interval", "adult proven 1yr",
        "2015-Q1 6 [c] 33.3 12.0 to 61.2", "Page 3 of 7", "2015 [c] [c] [c] [c]",
        "Source: Ministry of Justice."])
    ctx = atk.Context(HAND_TRUTH)
    obs = atk.pdf_observations(text, ctx, "tiny.pdf", "tiny")
    got = {(str(o.cell), o.quantity, o.value) for o in obs if o.status == "value"}
    assert (str(c("tiny", "2015", "ni18")), "expected_reoffenders", 2.4) in got
    assert (str(c("tiny")), "offenders", 6.0) in got and (str(c("tiny")), "rate", 33.3) in got
    assert {o.table for o in obs} == {"PDF NI 18 targets", "PDF reoffending rates"}
    leaks = atk.attack(obs, HAND_TRUTH, 10).leaks
    assert found(leaks, f"{c('tiny', '2015', 'ni18')} offenders", "8")  # 2.4 / 30%


def test_csv_reader_decides_withheld_by_the_suppressed_column(tmp_path):
    path = tmp_path / "reoffending_rates.csv"
    path.write_text("area_id,measure,cohort,offenders,reoffenders,published_rate,suppressed\n"
                    f"tiny,{M},2015-Q1,6,,33.3,reoffenders\n"
                    f"north,{M},2015-Q1,126,,,\n", encoding="utf-8")
    obs = atk.read_csv(path, atk.Context(HAND_TRUTH))
    status = {(o.cell.area, o.quantity): o.status for o in obs}
    assert status[("tiny", "reoffenders")] == "withheld" and status[("north", "reoffenders")] == "blank"
    assert status[("tiny", "rate")] == "value"  # published_rate is the rate
    assert found(atk.attack(obs, HAND_TRUTH, 10).leaks, f"{c('tiny')} reoffenders", "2")


# ---------------------------------------------------------------------------------------------
# The disclosure dataset


def _rows() -> pd.DataFrame:
    return pd.read_csv(DISCLOSURE / "reoffending.csv")


def test_disclosure_dataset_meets_the_contract():
    result = CliRunner().invoke(app, ["validate", str(DISCLOSURE)])
    assert result.exit_code == 0, result.output


def test_disclosure_dataset_totals_are_exact_sums():
    rows = _rows().set_index(["area_id", "measure", "cohort"])
    counts = ["offenders", "reoffenders", "reoffences", "serious_reoffences"]
    quarters = [f"2015-Q{q}" for q in range(1, 5)]
    tree = {"north": ["alpha", "tiny"], "south": ["bravo", "dip"], "nation": ["north", "south"]}
    for parent, children in tree.items():
        for cohort in [*quarters, "2015"]:
            expected = sum(rows.loc[(child, M, cohort), counts] for child in children)
            assert (rows.loc[(parent, M, cohort), counts] == expected).all(), (parent, cohort)
    for area in ["nation", "north", "south", "alpha", "tiny", "bravo", "dip"]:
        expected = sum(rows.loc[(area, M, q), counts] for q in quarters)
        assert (rows.loc[(area, M, "2015"), counts] == expected).all(), area
    youth = [rows.loc[(a, "youth-proven-1yr", "2015"), ["offenders", "reoffenders"]]
             for a in ("north", "alpha", "tiny")]
    assert (youth[0] != youth[1] + youth[2]).all()  # another source: not the sum


def test_disclosure_dataset_has_the_small_cells_it_promises():
    rows = _rows().set_index(["area_id", "measure", "cohort"])
    adult = rows.xs(M, level="measure")
    tiny = adult.loc[[("tiny", f"2015-Q{q}") for q in range(1, 5)]]
    assert tiny["offenders"].between(6, 8).all() and (tiny["reoffenders"] < 5).all()
    assert tuple(adult.loc[("dip", "2015-Q3"), ["offenders", "reoffenders"]]) == (7, 3)
    large = adult.drop(index=[i for i in adult.index if i[0] == "tiny" or i == ("dip", "2015-Q3")])
    counts = large[["offenders", "reoffenders", "reoffences", "serious_reoffences"]]
    assert (counts >= 20).all().all() and (large["offenders"] - large["reoffenders"] >= 20).all()
    ni18 = rows.xs("ni18", level="measure")
    assert ni18["reoffenders"].isna().all() and set(ni18["offenders"]) == {500, 15, 8}
    assert set(rows.xs("ni30", level="measure").loc["tiny", "offenders"]) == {4}
    ends = {atk.months(cohort)[1] for cohort in rows.index.get_level_values("cohort")}
    assert max(ends) < 2016 * 12  # every cohort ended before 2016, long before today


def test_the_attacker_sees_which_totals_are_sums():
    relations = atk.load_truth(DISCLOSURE).relations()
    parents = [r for r in relations if r.label == "parent minus its children"]
    periods = [r for r in relations if r.label == "cohort minus its quarters"]
    assert len(parents) == 3 * 5 * 5  # 3 parents x 5 cohorts x 5 counts (non-reoffenders included)
    assert len(periods) == 7 * 5  # 7 areas' years x 5 counts
    assert not [r for r in relations if r.terms[0][0][0].measure != M]  # youth, NI 18, NI 30: no sums


# ---------------------------------------------------------------------------------------------
# Published files: export CSVs and XLSX workbooks


@dataclass
class Published:
    """A publication's files read by the attacker, and what the attack found."""

    roots: list[Path]
    truth: Truth
    ctx: atk.Context
    observations: list[Observation]
    result: atk.Attack
    threshold: int


_PUBLISHED: dict[tuple[str, int], Published] = {}
_DATA: dict[str, Path] = {}


@pytest.fixture(scope="session")
def data_dirs(tmp_path_factory) -> dict[str, Path]:
    """The three datasets: the example, a synthetic one with tiny cohorts (and records), ours."""
    if not _DATA:
        synthetic = tmp_path_factory.mktemp("attack-synthetic") / "data"
        synthesise(synthetic, areas=3, quarters=4, offenders_per_quarter=20, seed=3, record_level=True)
        _DATA.update({"example": EXAMPLE, "synthetic": synthetic, "disclosure": DISCLOSURE})
    return _DATA


def attack_folders(roots: list[Path], data_dir: Path, threshold: int) -> Published:
    """Read every published file under the folders and attack them together."""
    data = atk.load_truth(data_dir)
    ctx = atk.Context(data)
    observations = atk.read_published(roots, ctx)
    return Published(roots, data, ctx, observations, atk.attack(observations, data, threshold), threshold)


@pytest.fixture(scope="session")
def publish(tmp_path_factory, data_dirs):
    """(dataset, threshold) -> its export CSVs and every area's and the overview's workbook, attacked."""

    def make(name: str, threshold: int) -> Published:
        if (name, threshold) not in _PUBLISHED:
            dataset = load_dataset(data_dirs[name])
            assert not dataset.errors
            results = analyse(dataset, as_of=AS_OF[name], threshold=threshold)
            out = tmp_path_factory.mktemp(f"attack-{name}-{threshold}")
            export(results, out / "csv")
            for area_id in dataset.table("areas")["area_id"]:
                write_area_workbook(results, dataset, area_id, out / "xlsx")
            write_overview_workbook(results, dataset, out / "xlsx")
            _PUBLISHED[(name, threshold)] = attack_folders([out / "csv", out / "xlsx"], data_dirs[name],
                                                           threshold)
        return _PUBLISHED[(name, threshold)]

    return make


COMBINATIONS = [(name, t) for name in ("example", "synthetic", "disclosure") for t in THRESHOLDS]


@pytest.mark.parametrize(("name", "threshold"), COMBINATIONS)
def test_export_and_workbooks_leak_no_small_count(publish, name, threshold):
    """`workbook export` CSVs and every area's and the overview's workbook, attacked together."""
    published = publish(name, threshold)
    assert published.result.leaks == [], atk.summary(published.result.leaks)


@pytest.mark.parametrize(("name", "threshold"), COMBINATIONS)
def test_attacker_reads_every_cohort_and_every_recovery_is_true(publish, name, threshold):
    """Not vacuous: every cohort of the data is read from the rates export and a workbook, and
    whatever the attacker works out agrees with the data (so every leak it reports is real)."""
    published = publish(name, threshold)
    counted = {cell for cell, v in published.truth.values.items() if "offenders" in v}
    by_file: dict[str, set[Cell]] = {}
    for obs in published.observations:
        by_file.setdefault(obs.file, set()).add(obs.cell)
    assert counted <= by_file["reoffending_rates.csv"]
    workbooks = set().union(*(cells for f, cells in by_file.items() if f.endswith("-tables.xlsx")))
    assert counted <= workbooks
    assert published.ctx.unresolved == []
    assert atk.unsound(published.result, published.truth) == []


# ---------------------------------------------------------------------------------------------
# Published files: the HTML and PDF reports (and their workbooks) of a build

_BUILT: dict[str, Published] = {}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """threshold -> the disclosure dataset's reports (BUILD_AREAS and the overview), attacked."""

    def make(threshold: int) -> tuple[BuildResult, Published]:
        result = shared_build(tmp_path_factory, f"attack-disclosure-{threshold}", DISCLOSURE,
                              areas=BUILD_AREAS, as_of=AS_OF["disclosure"], formats=("html", "pdf"), jobs=2,
                              threshold=threshold)
        assert result.ok, [(r.area_id, r.error) for r in result.reports if not r.ok]
        key = f"disclosure-{threshold}"
        if key not in _BUILT:
            _BUILT[key] = attack_folders([result.out_dir], DISCLOSURE, threshold)
        return result, _BUILT[key]

    return make


@pytest.fixture(scope="module", params=ENGINES)
def example_reports(tmp_path_factory, request) -> Published:
    result = example_build(tmp_path_factory, request.param)
    assert result.ok
    key = f"example-{request.param}"
    if key not in _BUILT:
        _BUILT[key] = attack_folders([result.out_dir], EXAMPLE, result.threshold)
    return _BUILT[key]


@pytest.mark.parametrize("threshold", BUILD_THRESHOLDS)
def test_reports_leak_no_small_count(built, threshold):
    """HTML and PDF reports and the workbooks beside them, attacked together."""
    _, published = built(threshold)
    assert published.result.leaks == [], atk.summary(published.result.leaks)


@pytest.mark.parametrize("threshold", BUILD_THRESHOLDS)
def test_every_published_file_together_leaks_no_small_count(built, publish, threshold):
    """The reports and the export at the same threshold: an attacker has all of them at once."""
    result, _ = built(threshold)
    export_ = publish("disclosure", threshold)
    together = attack_folders([result.out_dir, export_.roots[0]], DISCLOSURE, threshold)
    assert together.result.leaks == [], atk.summary(together.result.leaks)


def test_example_reports_leak_no_small_count(example_reports):
    assert example_reports.result.leaks == [], atk.summary(example_reports.result.leaks)
    assert atk.unsound(example_reports.result, example_reports.truth) == []
    files = {obs.file for obs in example_reports.observations}
    with_figures = {cell.area for cell in example_reports.truth.values} & set(EXAMPLE_AREAS)
    assert with_figures == {"gloucestershire", "derby"}  # Plymouth has no reoffending figures
    assert {f"{a}/{a}.{kind}" for a in with_figures for kind in ("html", "pdf")} <= files
    assert wrong_notes(example_reports.roots, 10) == []


@pytest.mark.parametrize("threshold", BUILD_THRESHOLDS)
def test_attacker_reads_every_report_and_every_recovery_is_true(built, threshold):
    """Not vacuous: each report's HTML and PDF give the attacker every cohort of its area (a
    figure or a [c]), the PDF as much as the HTML; whatever it works out agrees with the data."""
    _, published = built(threshold)
    seen: dict[str, set[Cell]] = {}
    for obs in published.observations:
        seen.setdefault(obs.file, set()).add(obs.cell)
    for area in BUILD_AREAS:
        cells = {cell for cell in published.truth.values if cell.area == area}
        for kind in ("html", "pdf"):
            assert cells <= seen[f"{area}/{area}.{kind}"], (area, kind, cells - seen[f"{area}/{area}.{kind}"])
    targets = {cell.area for cell in published.truth.values if cell.measure in ("ni18", "ni30")}
    for kind in ("html", "pdf"):  # the overview's NI 18 and NI 30 tables: every area with a target
        assert targets <= {cell.area for cell in seen[f"overview/overview.{kind}"]}, kind
    assert published.ctx.unresolved == []
    assert atk.unsound(published.result, published.truth) == []


# ---------------------------------------------------------------------------------------------
# Notes say the threshold the files were made with

_ONE_TO = re.compile(r"(?<![\d.,\u2212-])\b1 to (\d+)\b(?![.,]\d)")
_FEWER_THAN = re.compile(r"\bfewer than (\d+)(?= (?:people|offenders|persons|individuals)\b)")
_THRESHOLD_IS = re.compile(r"\bthreshold(?: is| of|:| =)? (\d+)\b")


def threshold_statements(text: str) -> list[tuple[str, int]]:
    """What a text says the threshold is: '1 to N' (N + 1), 'fewer than N people', 'threshold = N'."""
    return ([(m.group(0), int(m.group(1)) + 1) for m in _ONE_TO.finditer(text)]
            + [(m.group(0), int(m.group(1))) for m in _FEWER_THAN.finditer(text)]
            + [(m.group(0), int(m.group(1))) for m in _THRESHOLD_IS.finditer(text)])


def wrong_notes(roots: list[Path], threshold: int) -> list[str]:
    """Files whose notes state another threshold, or show [c] without saying the threshold."""
    problems = []
    for root in roots:
        for path in atk.published_files(root):
            text = atk.file_text(path)
            said = threshold_statements(text)
            name = path.relative_to(root).as_posix()
            problems += [f"{name}: says '{phrase}'" for phrase, t in said if t != threshold]
            if atk.MARKER in text and path.suffix != ".csv" and not said:
                problems.append(f"{name}: shows {atk.MARKER} but never says the threshold")
    return problems


def test_threshold_statements_are_found():
    assert threshold_statements("the count is from 1 to 9, or would") == [("1 to 9", 10)]
    assert threshold_statements("rest on fewer than 5 people.") == [("fewer than 5", 5)]
    assert threshold_statements("made with as_of = 2016-12-31, threshold = 5.") == [("threshold = 5", 5)]
    assert threshold_statements("95% interval 18.1 to 33.4; 2015-Q1 to 2015-Q4; fewer than 3 areas") == []


@pytest.mark.parametrize(("name", "threshold"), [(n, t) for n in ("example", "synthetic", "disclosure")
                                                 for t in BUILD_THRESHOLDS])
def test_export_and_workbook_notes_state_the_threshold(publish, name, threshold):
    published = publish(name, threshold)
    assert wrong_notes(published.roots, threshold) == []


@pytest.mark.parametrize("threshold", BUILD_THRESHOLDS)
def test_report_notes_state_the_threshold(built, threshold):
    """With --threshold 5 no file may say '1 to 9' or 'fewer than 10': it says 1 to 4, fewer than 5."""
    result, _ = built(threshold)
    assert wrong_notes([result.out_dir], threshold) == []
    said = {t for path in atk.published_files(result.out_dir)
            for _, t in threshold_statements(atk.file_text(path))}
    assert said == {threshold}


# ---------------------------------------------------------------------------------------------
# Every file withholds the same figures; withheld NI 18 and NI 30 rows show [c]

_TARGET_TABLE = re.compile(r"ni ?18|ni ?30", re.IGNORECASE)
NI18_DERIVED = ("expected_reoffenders", "published_expected", "target_reoffenders", "target_rate",
                "change_pct")


def target_rows_not_marked(published: Published) -> tuple[list[str], int]:
    """NI 18 / NI 30 table cells of a cohort of 1..t-1 people that are not [c]; and how many were checked."""
    bad, checked = [], 0
    for obs in published.observations:
        if not _TARGET_TABLE.search(obs.table):
            continue
        size = published.truth.value((obs.cell, "offenders"))
        if size is None or not 1 <= size < published.threshold:
            continue
        if obs.quantity == "offenders" or (obs.quantity in NI18_DERIVED and "30" not in obs.table):
            checked += 1
            if obs.status != "withheld":
                bad.append(f"{obs.source()}: {obs.cell} {obs.quantity} shows {obs.text!r}")
    return bad, checked


@pytest.mark.parametrize("threshold", BUILD_THRESHOLDS)
def test_withheld_target_rows_show_the_marker(built, publish, threshold):
    """ni30_table once showed a withheld cohort as a dash: a withheld row shows [c] in every file."""
    _, reports = built(threshold)
    export_ = publish("disclosure", threshold)
    for published in (reports, export_):
        bad, checked = target_rows_not_marked(published)
        assert bad == []
        assert checked
    ni30 = {obs.file for obs in reports.observations if obs.cell == Cell("tiny", "ni30", "2015-Q1")
            and obs.quantity == "offenders" and _TARGET_TABLE.search(obs.table)}
    assert {"tiny/tiny.html", "tiny/tiny.pdf", "tiny/tiny-tables.xlsx", "overview/overview.html"} <= ni30


def disagreements(observations: list[Observation]) -> list[str]:
    """Figures one file shows and another withholds (each file must use the same threshold)."""
    by_var: dict[tuple[Cell, str], list[Observation]] = {}
    for obs in observations:
        by_var.setdefault((obs.cell, obs.quantity), []).append(obs)
    out = []
    for (cell, quantity), seen in sorted(by_var.items()):
        shown_in = sorted({o.file for o in seen if o.status == "value"})
        withheld = sorted({o.file for o in seen if o.status == "withheld"})
        if shown_in and withheld:
            out.append(f"{cell} {quantity}: shown in {atk.files_text(shown_in)}, withheld in "
                       f"{atk.files_text(withheld)}")
    return out


@pytest.mark.parametrize("threshold", BUILD_THRESHOLDS)
def test_every_file_withholds_the_same_figures(built, publish, threshold):
    """With --threshold 5 a cohort of 7 was shown in the CSV and workbook but [c] in the HTML table."""
    _, reports = built(threshold)
    export_ = publish("disclosure", threshold)
    assert disagreements(reports.observations + export_.observations) == []


# ---------------------------------------------------------------------------------------------
# The attack on real files finds a leak planted in each kind of file

TINY_Q1 = Cell("tiny", M, "2015-Q1")  # 6 offenders, 2 reoffenders: withheld at every threshold


def _planted(leaks: list[atk.Leak], file: str, target: str, value: str, kind: str | None = None) -> bool:
    return any(file in leak.files and leak.target == target and leak.value == value
               and (kind is None or leak.kind == kind) for leak in leaks)


def _own_cell(published: Published, cell: Cell) -> list[atk.Leak]:
    """The attack on one cell's own figures only (no other cell to subtract), so a leak it finds
    comes from what was planted in that cell, not from a leak elsewhere in today's files."""
    mine = [obs for obs in published.observations if obs.cell == cell]
    return atk.attack(mine, published.truth, published.threshold).leaks


def test_a_count_planted_in_an_html_report_is_found(built, tmp_path):
    result, published = built(20)
    copy = tmp_path / "reports"
    shutil.copytree(result.out_dir / "tiny", copy / "tiny")
    page = copy / "tiny" / "tiny.html"
    source = page.read_text(encoding="utf-8")
    # The rates table's 2015-Q1 row: its Offenders and Reoffenders cells, [c] today, become 6 and 2.
    planted, n = re.subn(r"(>2015-Q1</td>\s*<td[^>]*>)\[c\](</td>\s*<td[^>]*>)\[c\]<", r"\g<1>6\g<2>2<",
                         source, count=1)
    assert n == 1, "the row to plant in was not found"
    page.write_text(planted, encoding="utf-8")
    before = attack_folders([result.out_dir / "tiny"], DISCLOSURE, 20).result.leaks
    after = attack_folders([copy], DISCLOSURE, 20).result.leaks
    assert not _planted(before, "tiny.html", f"{TINY_Q1} offenders", "6", "published")
    assert _planted(after, "tiny/tiny.html", f"{TINY_Q1} offenders", "6", "published")
    assert _planted(after, "tiny/tiny.html", f"{TINY_Q1} reoffenders", "2", "published")


def test_a_rate_planted_in_a_workbook_is_found(built, tmp_path):
    """A rate and a cohort size planted on the rates sheet: rate x offenders gives the reoffenders."""
    result, _ = built(20)
    source = result.out_dir / "tiny" / "tiny-tables.xlsx"
    wb = openpyxl.load_workbook(source)
    ws = wb["Reoffending_rates"]
    rows = list(ws[next(iter(ws.tables.values())).ref])
    heads = [cell.value for cell in rows[0]]
    row = next(r for r in rows[1:] if r[heads.index("Cohort")].value == "2015-Q1"
               and r[heads.index("Measure")].value == M)
    row[heads.index("Offenders")].value = 6
    row[heads.index("Rate (%)")].value = 33.3
    (tmp_path / "tiny").mkdir()
    wb.save(tmp_path / "tiny" / source.name)
    before = _own_cell(attack_folders([result.out_dir / "tiny"], DISCLOSURE, 20), TINY_Q1)
    after = _own_cell(attack_folders([tmp_path], DISCLOSURE, 20), TINY_Q1)
    assert not [leak for leak in before if leak.relation == "rate x offenders"]
    assert [leak.files for leak in after if leak.relation == "rate x offenders" and leak.value == "2"
            and leak.target == f"{TINY_Q1} reoffenders"] == [("tiny/tiny-tables.xlsx",)]


def test_a_count_planted_in_pdf_text_is_found(built):
    result, _ = built(20)
    data = atk.load_truth(DISCLOSURE)
    ctx = atk.Context(data)
    text = atk.pdf_text(result.out_dir / "tiny" / "tiny.pdf")
    planted, n = re.subn(r"^2015-Q1 \[c\] \[c\]", "2015-Q1 6 2", text, count=1, flags=re.MULTILINE)
    assert n == 1, "the row to plant in was not found"
    clean = atk.attack(atk.pdf_observations(text, ctx, "tiny.pdf", "tiny"), data, 20).leaks
    leaks = atk.attack(atk.pdf_observations(planted, ctx, "tiny.pdf", "tiny"), data, 20).leaks
    assert not _planted(clean, "tiny.pdf", f"{TINY_Q1} reoffenders", "2", "published")
    assert _planted(leaks, "tiny.pdf", f"{TINY_Q1} offenders", "6", "published")
    assert _planted(leaks, "tiny.pdf", f"{TINY_Q1} reoffenders", "2", "published")


def test_a_rate_planted_in_the_export_is_found(publish, tmp_path):
    """The rates export's own header and tiny's 2015-Q1 row, every figure withheld; then a cohort
    size and a rate planted in it: a published small count, and rate x offenders gives reoffenders."""
    export_ = publish("disclosure", 20)
    with (export_.roots[0] / "reoffending_rates.csv").open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        columns = list(reader.fieldnames or [])
        row = next(r for r in reader if (r["area_id"], r["measure"], r["cohort"]) == ("tiny", M, "2015-Q1"))
    figures = [col for col in columns if col not in ("area_id", "measure", "cohort", "suppressed")]

    def attack_row(values: dict[str, str]) -> Published:
        folder = tmp_path / str(len(values))
        folder.mkdir()
        hidden = ";".join(f for f in figures if f not in values)
        withheld = {col: "" for col in figures} | {"suppressed": hidden}
        with (folder / "reoffending_rates.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns)
            writer.writeheader()
            writer.writerow(row | withheld | values)
        return attack_folders([folder], DISCLOSURE, 20)

    assert attack_row({}).result.leaks == []
    planted = attack_row({"offenders": "6", "rate": "33.3333"}).result.leaks
    assert _planted(planted, "reoffending_rates.csv", f"{TINY_Q1} offenders", "6", "published")
    assert [leak.relation for leak in planted if leak.target == f"{TINY_Q1} reoffenders"
            and leak.value == "2"] == ["rate x offenders"]
