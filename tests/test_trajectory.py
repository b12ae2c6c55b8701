"""Progress against an agreed target: the straight line from baseline to target, worked by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from analysis.disclosure import NI18_PROGRESS, NI30, protect, withhold
from analysis.reoffending import ni30_progress
from analysis.trajectory import fraction_elapsed, ni18_progress, with_ni30_trajectory

# Baseline 2007-Q4 ends 31 Dec 2007; "by 2011" ends 31 Dec 2011: 1,461 days (2008 is a leap year).
# 2008-Q4 ends 31 Dec 2008, 366 days on: 366 / 1461 = 0.2505; 2009-Q4: 731 / 1461 = 0.5003.
NI18_ROWS = pd.DataFrame({
    "area_id": ["testshire"] * 3, "measure": "ni18", "cohort": ["2007-Q4", "2008-Q4", "2009-Q4"],
    "offenders": [1000, 1000, 1000], "reoffenders": [pd.NA, 97, 99],
    "predicted_rate": [10.0, 10.0, 10.0],
    # Agreed: at most 90 re-offenders, 9.00%, -10.00% on the predicted 10.00%, by 2011.
    "target_reoffenders": [90, pd.NA, pd.NA], "target_rate": [9.0, pd.NA, pd.NA],
    "target_change_pct": [-10.0, pd.NA, pd.NA], "target_by": ["2011", pd.NA, pd.NA],
    "cohort_as_printed": ["1st 4 cohorts (baseline)", pd.NA, pd.NA],
})


def test_the_line_runs_from_the_baseline_s_end_to_the_target_date_s_end():
    assert fraction_elapsed("2007-Q4", "2008-Q4", "2011") == pytest.approx(366 / 1461)
    assert fraction_elapsed("2007-Q4", "2009-Q4", "2011") == pytest.approx(731 / 1461)
    assert fraction_elapsed("2007-Q4", "2011-Q4", "2011") == 1.0
    assert fraction_elapsed("2007-Q4", "2012-Q4", "2011") == 1.0  # after the date: the target itself
    # Financial years: 2007/08 ends 31 Mar 2008, 2010/11 ends 31 Mar 2011 (1,095 days);
    # 2009/10 ends 31 Mar 2010, 730 days on.
    assert fraction_elapsed("2007/08", "2009/10", "2010/11") == pytest.approx(730 / 1095)
    assert math.isnan(fraction_elapsed("2007-Q4", "2008-Q4", None))
    assert math.isnan(fraction_elapsed("2007-Q4", "2008-Q4", "2007"))  # ends with the baseline


def test_ni18_progress_on_track_then_off_track():
    out = ni18_progress(NI18_ROWS).set_index("cohort")
    assert list(out.index) == ["2008-Q4", "2009-Q4"]
    first, second = out.loc["2008-Q4"], out.loc["2009-Q4"]
    # 2008-Q4: 97 / 1000 = 9.7% against 10.0% predicted: -3.0%; the line is at
    # -10 x 366/1461 = -2.505%, and -3.0 is at or below it: on track.
    assert first["rate"] == pytest.approx(9.7)
    assert first["actual_change_pct"] == pytest.approx(-3.0)
    assert first["trajectory_change_pct"] == pytest.approx(-2.505, abs=0.001)
    assert first["on_track"] and not first["target_met"] and first["status"] == "on track"
    # 2009-Q4: 9.9% is -1.0%; the line is at -10 x 731/1461 = -5.003%: off track.
    assert second["actual_change_pct"] == pytest.approx(-1.0)
    assert second["trajectory_change_pct"] == pytest.approx(-5.003, abs=0.001)
    assert not second["on_track"] and second["status"] == "off track"
    assert (out["baseline_cohort"] == "2007-Q4").all() and (out["target_by"] == "2011").all()
    assert (out["cohort_as_printed"] == "1st 4 cohorts (baseline)").all()


def test_ni18_progress_met_missed_and_undated():
    met = NI18_ROWS.assign(reoffenders=[pd.NA, 89, 99])  # 8.9%: -11% beats the agreed -10%
    assert ni18_progress(met).set_index("cohort").loc["2008-Q4", "status"] == "target met"
    late = pd.concat([NI18_ROWS, NI18_ROWS.iloc[[1]].assign(cohort="2012-Q1", reoffenders=95)])
    # 2012-Q1 is after the end of 2011 and 9.5% (-5%) has not reached -10%: missed.
    assert ni18_progress(late).set_index("cohort").loc["2012-Q1", "status"] == "target missed"
    undated = ni18_progress(NI18_ROWS.assign(target_by=pd.NA)).set_index("cohort")
    assert undated["trajectory_change_pct"].isna().all() and undated["on_track"].isna().all()
    assert undated.loc["2008-Q4", "status"] == "target not met (no target date)"


def test_no_agreed_target_no_progress():
    calculated = NI18_ROWS.drop(columns=["target_reoffenders", "target_rate", "target_change_pct"])
    assert ni18_progress(calculated).empty  # the workbook's own calculation is not an agreement


def test_ni18_progress_withholds_a_small_cohort_s_rate_and_verdict():
    small = NI18_ROWS.assign(offenders=[1000, 1000, 8], reoffenders=[pd.NA, 97, 1])
    published = withhold(ni18_progress(small), protect(small, None, threshold=10), NI18_PROGRESS)
    row = published.set_index("cohort").loc["2009-Q4"]
    assert pd.isna(row["rate"]) and pd.isna(row["actual_change_pct"]) and pd.isna(row["on_track"])
    assert pd.isna(row["status"]) and "status" in row["suppressed"]
    assert row["predicted_rate"] == 10.0  # public: it gives no count away


# NI 30: Lincolnshire as the East Midlands plan prints it (baseline 330, ceiling 284, target 280),
# with a target date of 2010/11 and a later cohort 2009/10, 2/3 of the way along.
def _ni30(latest: int, target_by: str | None = "2010/11") -> pd.Series:
    rows = pd.DataFrame({
        "area_id": ["lincolnshire", "lincolnshire"], "measure": "ni30", "cohort": ["2007/08", "2009/10"],
        "offenders": [101, 100], "reoffences": [330, latest], "ceiling_reoffences": [284, pd.NA],
        "target_reoffences": [280, pd.NA], "target_by": [target_by, pd.NA],
    })
    return with_ni30_trajectory(ni30_progress(rows)).iloc[0]


def test_ni30_trajectory_on_and_off_track():
    # The line at 2009/10: 330 + (280 - 330) x 730/1095 = 296.67 re-offences.
    behind = _ni30(300)
    assert behind["trajectory_reoffences"] == pytest.approx(296.67, abs=0.01)
    assert not behind["on_track"]
    assert behind["status"] == "off track"  # not "ceiling target not met": the date is a year off
    ahead = _ni30(290)
    assert ahead["on_track"] and ahead["status"] == "on track"
    assert _ni30(279)["status"] == "improvement target met"
    undated = _ni30(300, target_by=None)
    assert pd.isna(undated["trajectory_reoffences"]) and undated["status"] == "ceiling target not met"


def test_ni30_trajectory_is_withheld_with_the_baseline():
    rows = pd.DataFrame({
        "area_id": ["tiny", "tiny"], "measure": "ni30", "cohort": ["2007/08", "2009/10"],
        "offenders": [4, 4], "reoffences": [9, 6], "ceiling_reoffences": [8, pd.NA],
        "target_reoffences": [7, pd.NA], "target_by": ["2010/11", pd.NA],
    })
    published = withhold(with_ni30_trajectory(ni30_progress(rows)), protect(rows, None, threshold=10), NI30)
    row = published.iloc[0]
    # 9 + (7 - 9) x 2/3 = 7.67 would give the withheld baseline 9 back with the target 7.
    assert pd.isna(row["trajectory_reoffences"]) and pd.isna(row["on_track"]) and pd.isna(row["status"])
    assert row["target_by"] == "2010/11"


def test_an_area_with_cohorts_after_its_baseline_reports_on_and_off_track(valid_copy):
    """End to end: page one says where NI 18 and NI 30 stand against the line to the target."""
    from analysis.report import AreaReport

    (valid_copy / "reoffending.csv").write_text(
        "area_id,cohort,measure,offenders,reoffenders,reoffences,predicted_rate,target_reoffenders,"
        "target_rate,target_change_pct,target_by,ceiling_reoffences,target_reoffences\n"
        "area-a,2007-Q4,ni18,1000,,,10.0,90,9.0,-10.0,2011,,\n"
        "area-a,2008-Q4,ni18,1000,97,,10.0,,,,,,\n"
        "area-a,2009-Q4,ni18,1000,99,,10.0,,,,,,\n"
        "area-a,2007/08,ni30,101,,330,,,,,2010/11,284,280\n"
        "area-a,2009/10,ni30,100,,300,,,,,,,\n", encoding="utf-8")
    report = AreaReport.build(valid_copy, "area-a", "2010-12-31", threshold=10)
    page_one = report.summary()[0].content.body.replace("\\", "")  # Markdown escapes "2009\\-Q4"
    # 2009-Q4: -1.00% against -5.00% on the line (see test_ni18_progress_on_track_then_off_track)
    assert "NI 18 progress: off track: \u22121.00% on the predicted rate in 2009-Q4, against " \
           "\u22125.00% on the line to it, for an agreed \u221210.00% by 2011" in page_one
    # NI 30: 300 against the line at 296.7 on the way to 280 by 2010/11
    assert "latest 300 (2009/10): off track (the line to the target by 2010/11 is at 296.7)" in page_one
    blocks = report.reoffending()
    titles = [str(b.content._heading.title) for b in blocks if b.kind == "table" and b.content is not None]
    assert "NI 18 progress against the agreed targets" in titles and "NI 30 progress" in titles
