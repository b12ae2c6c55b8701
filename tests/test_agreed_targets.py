"""Agreed targets are data: the East Midlands NI 18 and NI 30 tables reproduced as printed."""

from __future__ import annotations

import html
import re
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from great_tables import GT

from analysis import tables
from analysis.disclosure import NI18, NI30, audit, protect, withhold
from analysis.loader import load_dataset
from analysis.pipeline import Results, analyse
from analysis.reoffending import ni18_targets, ni30_progress
from analysis.report import AreaReport, reoffending_facts

EXAMPLE = Path(__file__).parent.parent / "data" / "example"
MINUS = "\u2212"

# NOMS East Midlands Reducing Re-offending Delivery Plan 2009-10, NI 18 table: cohort number,
# expected number of re-offenders, predicted rate, number of re-offenders (target), rate of
# re-offending needed, % change; the baseline is the "1st 4 cohorts (baseline)".
NI18_AS_PRINTED = {
    "derby": (3884, 294, 7.57, 261, 6.73, -11.06),
    "derbyshire": (7397, 551, 7.45, 506, 6.84, -8.23),
    "leicester": (6494, 570, 8.77, 524, 8.07, -7.97),
    "leicestershire": (4919, 391, 7.95, 353, 7.18, -9.64),
    "nottingham": (6874, 840, 12.22, 784, 11.41, -6.62),
    "nottinghamshire": (7504, 890, 11.86, 832, 11.09, -6.45),
}
# The same plan's NI 30 table: PPOs in the year 2 cohort, average months on scheme at 30
# September 2008, improvement target (stretch) %, proposed ratio target (2 years), baseline
# proven offences count (Oct 07 - Sept 08), performance ceiling and improvement target end points.
NI30_AS_PRINTED = {
    "lincolnshire": (101, 30.9, 15, 1.09, 330, 284, 280),
    "northamptonshire": (239, 27.6, 16, 1.11, 858, 732, 719),
}


@pytest.fixture(scope="module")
def example() -> Results:
    return analyse(load_dataset(EXAMPLE), as_of=date(2010, 3, 31))


def _cells(gt: GT | None) -> list[str]:
    assert isinstance(gt, GT)
    page = gt.as_raw_html()
    return [html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
            for c in re.findall(r'<td[^>]*class="gt_row[^"]*"[^>]*>(.*?)</td>', page, re.DOTALL)]


def _printed(value: float, decimals: int) -> str:
    return f"{value:,.{decimals}f}".replace("-", MINUS)


def test_the_derived_ni18_table_holds_every_printed_figure(example: Results) -> None:
    rows = example.ni18_targets.set_index("area_id")
    assert set(rows.index) == set(NI18_AS_PRINTED)
    for area, (n, expected, predicted, target, rate, change) in NI18_AS_PRINTED.items():
        row = rows.loc[area]
        assert row["offenders"] == n and row["published_expected_reoffenders"] == expected
        assert row["predicted_rate"] == predicted and row["target_reoffenders"] == target
        assert row["target_rate"] == rate and row["change_pct"] == change
        assert row["target_source"] == "agreed"
        assert row["cohort_as_printed"] == "1st 4 cohorts (baseline)"


def test_the_ni18_table_prints_the_plan_s_table(example: Results) -> None:
    cells = _cells(tables.ni18_table(example.ni18_targets, threshold=10))
    names = {"derby": "Derby", "derbyshire": "Derbyshire", "leicester": "Leicester",
             "leicestershire": "Leicestershire", "nottingham": "Nottingham",
             "nottinghamshire": "Nottinghamshire"}
    expected = []
    for area, (n, exp, predicted, target, rate, change) in NI18_AS_PRINTED.items():
        expected += [names[area], "1st 4 cohorts (baseline)", _printed(n, 0), str(exp),
                     _printed(predicted, 2), str(target), _printed(rate, 2), _printed(change, 2),
                     "Agreed"]
    assert cells == expected


def test_our_method_is_within_one_percent_and_only_a_check(example: Results) -> None:
    rows = example.ni18_targets.set_index("area_id")
    # Worked by hand for Nottingham: E = 6874 x 0.1222 = 840.0, sd = sqrt(840.0 x 0.8778) = 27.15,
    # E - 1.96 sd = 786.8, so 786 against the agreed 784; Nottinghamshire gives 835 against 832.
    assert rows.at["nottingham", "computed_target_reoffenders"] == 786
    assert rows.at["nottinghamshire", "computed_target_reoffenders"] == 835
    gap = (rows["computed_target_reoffenders"] - rows["target_reoffenders"]).abs()
    assert (gap / rows["target_reoffenders"] <= 0.01).all()
    shown = _cells(tables.ni18_table(example.ni18_targets, threshold=10))
    assert "786" not in shown and "835" not in shown
    check = _cells(tables.ni18_check_table(example.ni18_targets))
    assert check[:4] == ["Derby", "261", "261", "0.0"]
    assert check[4 * 8:4 * 8 + 4] == ["Nottingham", "784", "786", "+0.3"]  # 2 / 784


def test_the_appendix_says_our_figure_beside_the_agreed_one() -> None:
    report = AreaReport.build(EXAMPLE, "nottingham", as_of="2010-03-31")
    said = str(report.ni18_check()[0].content)
    assert "our method gives 786; agreed 784" in said
    assert "0.3% of the agreed count" in said
    facts = reoffending_facts(report.t["reoffending_rates"], report.t["ni18_targets"],
                              report.t["ni30_progress"])
    label, sentence, _brief = facts[0]
    assert label == "NI 18 agreed target"
    assert "at most 784 re-offenders (11.41%" in sentence and "786" not in sentence
    assert "1st 4 cohorts" in sentence


def test_the_ni30_table_prints_the_plan_s_table(example: Results) -> None:
    rows = example.ni30_progress.set_index("area_id")
    for area, (ppos, months, stretch, ratio, baseline, ceiling, target) in NI30_AS_PRINTED.items():
        row = rows.loc[area]
        assert (row["offenders"], row["months_on_scheme"], row["improvement_target_pct"],
                row["ratio_target"], row["baseline_reoffences"], row["ceiling_reoffences"],
                row["target_reoffences"]) == (ppos, months, stretch, ratio, baseline, ceiling,
                                              target)
        assert row["baseline_as_printed"] == "Oct 07 - Sept 08"
    cells = _cells(tables.ni30_table(example.ni30_progress, threshold=10))
    width = len(cells) // 2
    assert cells[:9] == ["Lincolnshire", "Oct 07 - Sept 08", "101", "30.9", "15", "1.09", "330",
                         "284", "280"]
    assert cells[width:width + 9] == ["Northamptonshire", "Oct 07 - Sept 08", "239", "27.6", "16",
                                      "1.11", "858", "732", "719"]


def _cohort(**agreed: object) -> pd.DataFrame:
    return pd.DataFrame({"area_id": ["a"], "measure": "ni18", "cohort": "2009-Q1",
                         "offenders": [1000], "predicted_rate": [10.0], **{
                             k: [v] for k, v in agreed.items()}})


def test_without_an_agreed_target_the_calculation_is_shown_and_says_so() -> None:
    # E = 100, sd = sqrt(1000 x 0.1 x 0.9) = 9.487, 100 - 1.96 x 9.487 = 81.4: 81 (8.1%, -19%).
    row = ni18_targets(_cohort()).iloc[0]
    assert row["target_source"] == "workbook calculation"
    assert row["target_reoffenders"] == 81 == row["computed_target_reoffenders"]
    assert row["target_rate"] == pytest.approx(8.1) and row["change_pct"] == pytest.approx(-19.0)
    cells = _cells(tables.ni18_table(ni18_targets(_cohort()), threshold=10))
    assert cells[-1] == "Workbook calculation" and cells[1] == "2009-Q1"


def test_an_agreed_count_alone_gives_its_rate_and_change() -> None:
    # 80 of 1000 is 8.00%; (8 - 10) / 10 = -20%.
    row = ni18_targets(_cohort(target_reoffenders=80)).iloc[0]
    assert row["target_source"] == "agreed" and row["target_reoffenders"] == 80
    assert row["target_rate"] == pytest.approx(8.0) and row["change_pct"] == pytest.approx(-20.0)
    assert row["computed_target_reoffenders"] == 81


def test_an_agreed_target_is_withheld_exactly_when_the_calculation_is() -> None:
    # 8 people (under 10) predicted at 50%: E = 4, sd = 1.414, 4 - 2.77 = 1.2: our method gives 1.
    cohorts = pd.DataFrame({"area_id": ["a", "b"], "measure": "ni18", "cohort": "2007-Q4",
                            "offenders": [8, 3884], "predicted_rate": [50.0, 7.57],
                            "target_reoffenders": [1, 261], "target_rate": [12.5, 6.73]})
    targets = ni18_targets(cohorts)
    out = withhold(targets, protect(cohorts, None, threshold=10), NI18).set_index("area_id")
    columns = ["target_reoffenders", "target_rate", "change_pct", "computed_target_reoffenders",
               "computed_target_rate", "computed_change_pct"]
    assert out.loc["a", columns].isna().all()
    assert out.loc["b", columns].notna().all() and out.at["b", "target_reoffenders"] == 261
    assert set(out.at["a", "suppressed"].split(";")) >= set(columns)
    leaked = targets.copy()
    leaked["offenders"] = pd.NA  # the cohort withheld but its agreed count published
    leaked[["expected_reoffenders", "computed_target_reoffenders"]] = pd.NA
    assert any("target reoffenders published beside a withheld cohort" in f
               for f in audit(cohorts, None, {"ni18_targets": leaked}, threshold=10))


def test_ni30_stretch_and_ratio_are_withheld_with_a_small_baseline() -> None:
    cohorts = pd.DataFrame({"area_id": ["a"], "measure": "ni30", "cohort": "2007-Q4",
                            "offenders": [40], "reoffences": [8], "target_reoffences": [6],
                            "improvement_target_pct": [25], "ratio_target": [1.1],
                            "months_on_scheme": [20.5]})
    out = withhold(ni30_progress(cohorts), protect(cohorts, None, threshold=10), NI30).iloc[0]
    # 8 x (1 - 25%) = 6: the stretch gives the baseline back with the target.
    assert pd.isna(out["improvement_target_pct"]) and pd.isna(out["ratio_target"])
    assert out["months_on_scheme"] == 20.5


def test_the_rates_table_prints_the_baseline_as_the_plan_does(example: Results) -> None:
    derby = example.for_area("derby")["reoffending_rates"]
    cells = _cells(tables.rates_table(derby, threshold=10))
    assert cells[0] == "1st 4 cohorts (baseline)" and "2007-Q4" not in cells


def test_a_calculated_target_is_called_the_workbook_s_in_the_summary() -> None:
    targets = ni18_targets(_cohort())
    empty = pd.DataFrame({"rate": pd.Series(dtype="float64"), "cohort": pd.Series(dtype=str)})
    label, sentence, brief = reoffending_facts(empty, targets.assign(suppressed=""),
                                               ni30_progress(_cohort()))[0]
    assert label == "NI 18 target" and brief == "NI 18 target 8.10% (predicted 10.00%)"
    assert "at most 81 re-offenders (8.10%, 19.00% below the predicted 10.00%) by the " \
           "workbook's calculation" in sentence
