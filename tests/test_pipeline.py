import csv
from datetime import date

import pandas as pd
import pytest
from typer.testing import CliRunner

from analysis.cli import app
from analysis.loader import load_dataset
from analysis.pipeline import EXPORTS, analyse, export

from .conftest import EXAMPLE

# The East Midlands Reducing Re-offending Delivery Plan 2009-10 prints, for each local authority,
# the number of re-offenders that would be a significant fall, its rate and the % change.
NI18_PRINTED = {
    "derby": (261, 6.73, -11.06),
    "derbyshire": (506, 6.84, -8.23),
    "leicester": (524, 8.07, -7.97),
    "leicestershire": (353, 7.18, -9.64),
    "nottingham": (784, 11.41, -6.62),
    "nottinghamshire": (832, 11.09, -6.45),
}


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = tmp_path_factory.mktemp("export")
    result = CliRunner().invoke(app, ["export", str(EXAMPLE), "--out", str(out),
                                      "--as-of", "2005-12-31"])
    assert result.exit_code == 0, result.output
    return out


def _read(path):
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_every_public_file_has_its_public_columns(exported):
    for name, columns in EXPORTS.items():
        with (exported / f"{name}.csv").open(encoding="utf-8") as handle:
            header = next(csv.reader(handle))
        assert header[: len(columns)] == columns, name


def test_exported_inspection_sections_match_the_printed_sheet(exported):
    rows = {(r["inspection_id"], r["section"]): r for r in _read(exported / "inspection_sections.csv")}
    for section, printed in {"B": 61, "C": 72, "D": 70, "overall": 68}.items():
        row = rows[("glos-esi-2005", section)]
        assert float(row["published"]) == printed
        assert abs(float(row["score"]) - printed) < 0.5
    for section, printed in {"B": 44, "C": 62, "D": 76}.items():
        row = rows[("glos-esi-2005-accommodation", section)]
        assert abs(float(row["score"]) - printed) < 0.5


def test_exported_ni18_targets_reproduce_the_east_midlands_table(exported):
    rows = {r["area_id"]: r for r in _read(exported / "ni18_targets.csv")}
    assert set(rows) == set(NI18_PRINTED)
    for area, (target, rate, change) in NI18_PRINTED.items():
        row = rows[area]
        # The agreed target exactly as printed; the workbook's own calculation within 1%.
        assert (int(row["target_reoffenders"]), float(row["target_rate"]),
                float(row["change_pct"])) == (target, rate, change)
        assert row["target_source"] == "agreed"
        assert abs(int(row["computed_target_reoffenders"]) - target) <= 0.01 * target
        assert abs(float(row["computed_target_rate"]) - rate) <= 0.01 * rate


def test_exported_reconviction_against_prediction(exported):
    # Gloucestershire 1999 Q1 community orders: actual 54.8% against 53.5% predicted;
    # England and Wales 50.2% against 51.7%.
    rows = {r["area_id"]: r for r in _read(exported / "reoffending_rates.csv")
            if r["measure"] == "community-order-reconviction-2yr"}
    assert float(rows["gloucestershire"]["difference"]) == pytest.approx(1.3)
    assert float(rows["england-and-wales"]["difference"]) == pytest.approx(-1.5)
    assert rows["gloucestershire"]["significant"] == ""  # no counts: cannot be tested


def test_exported_gaps_and_milestones(exported):
    coverage = [r for r in _read(exported / "pathway_coverage.csv")
                if r["plan_id"] == "glos-rrap-2005-06" and r["gap"] == "True"]
    assert {r["pathway"] for r in coverage} == {"OM", "ED", "TSF"}
    states = {r["milestone_id"]: r for r in _read(exported / "milestones_status.csv")}
    # "31/10/05" is 61 days before the as-of date 31/12/05, and nothing records it done or not.
    assert states["glos-accm-03-m1"]["state"] == "past due, no return"
    assert states["glos-accm-03-m1"]["days_overdue"] == "61"


def test_record_level_data_reach_the_same_cohort_table(tmp_path):
    from analysis.synth import synthesise

    synthesise(tmp_path, areas=3, quarters=2, offenders_per_quarter=50, record_level=True)
    (tmp_path / "reoffending.csv").write_text(
        (tmp_path / "reoffending.csv").read_text().splitlines()[0] + "\n")
    results = analyse(load_dataset(tmp_path), as_of=date(2022, 1, 1))
    assert len(results.reoffending_rates) == 6  # 3 areas x 2 quarters, from records alone
    assert "predicted_variance" not in EXPORTS["reoffending_rates"]


AS_OF = date(2005, 12, 31)
OPTIONAL = ["plans", "strands", "milestones", "progress", "inspections", "inspection_scores",
            "recommendations", "indicators", "reoffending"]


@pytest.mark.parametrize("missing", OPTIONAL)
def test_every_optional_file_may_be_left_out(valid_copy, tmp_path, missing):
    """The contract makes every table but areas optional: analysis, export and every report
    section still work, and the report says what is missing instead of failing."""
    from analysis.report import AreaReport

    # Leaving out a table also leaves out the tables that hang from it (their ids would dangle).
    below = {"plans": ["strands", "milestones", "progress", "recommendations"],
             "strands": ["milestones", "progress", "recommendations"],
             "inspections": ["inspection_scores", "recommendations"]}
    for name in [missing, *below.get(missing, [])]:
        (valid_copy / f"{name}.csv").unlink()
    dataset = load_dataset(valid_copy)
    assert dataset.errors == []
    written = export(analyse(dataset, as_of=AS_OF), tmp_path / "out")
    assert len(written) == len(EXPORTS)
    report = AreaReport.build(valid_copy, "area-a", AS_OF)
    for section in (report.summary, report.progress, report.inspection, report.recommendations,
                    report.reoffending, report.indicators, report.completeness):
        assert section()


def _export_with(valid_copy, tmp_path, reoffending: str, threshold: int):
    (valid_copy / "reoffending.csv").write_text(reoffending, encoding="utf-8")
    out = tmp_path / f"export-{threshold}"
    result = CliRunner().invoke(app, ["export", str(valid_copy), "--out", str(out), "--as-of",
                                      "2005-12-31", "--threshold", str(threshold)])
    assert result.exit_code == 0, result.output
    return {(r["area_id"], r["cohort"]): r for r in _read(out / "reoffending_rates.csv")}


HEADER = "area_id,cohort,measure,offenders,reoffenders,rate,reoffences,predicted_rate,serious_reoffences\n"


def test_the_export_uses_the_threshold_it_is_given(valid_copy, tmp_path):
    data = HEADER + "area-a,2005-Q1,adult-proven-1yr,7,3,,,40.0,\n"  # a cohort of 7
    at5 = _export_with(valid_copy, tmp_path, data, 5)[("area-a", "2005-Q1")]
    assert (at5["offenders"], at5["reoffenders"], at5["rate"]) == ("7", "[c]", "[c]")  # 3 is small at 5
    at10 = _export_with(valid_copy, tmp_path, data, 10)[("area-a", "2005-Q1")]
    assert (at10["offenders"], at10["reoffenders"], at10["rate"]) == ("[c]", "[c]", "[c]")
    assert at10["expected_reoffenders"] == "[c]"  # 7 x 40% would give the 7 back
    assert "offenders" in at10["suppressed"].split(";")


def test_a_region_total_withholds_a_sibling_in_the_export(valid_copy, tmp_path):
    # region-a 30 = area-a 5 + area-b 25: region-a minus area-b would give area-a's 5 back.
    data = HEADER + ("region-a,2015,adult-proven-1yr,300,30,,,35.0,\n"
                     "area-a,2015,adult-proven-1yr,100,5,,,35.0,\n"
                     "area-b,2015,adult-proven-1yr,200,25,,,35.0,\n")
    rows = _export_with(valid_copy, tmp_path, data, 10)
    assert rows[("area-a", "2015")]["reoffenders"] == rows[("area-b", "2015")]["reoffenders"] == "[c]"
    assert rows[("area-b", "2015")]["rate"] == "[c]" and rows[("area-b", "2015")]["offenders"] == "200"
    assert rows[("region-a", "2015")]["reoffenders"] == "30"


def test_exported_text_never_runs_as_a_formula(valid_copy, tmp_path):
    strands = (valid_copy / "strands.csv").read_text(encoding="utf-8")
    (valid_copy / "strands.csv").write_text(strands.replace("ACO Interventions,Police",
                                                            "=cmd|' /C calc'!A0,Police"), encoding="utf-8")
    out = tmp_path / "export"
    result = CliRunner().invoke(app, ["export", str(valid_copy), "--out", str(out), "--as-of", "2005-12-31"])
    assert result.exit_code == 0, result.output
    leads = {r["strand_id"]: r["lead"] for r in _read(out / "strands_summary.csv")}
    assert leads["s-accm"] == "'=cmd|' /C calc'!A0"


def test_a_funnel_compares_areas_of_one_kind(valid_copy, tmp_path):
    # Three local authorities and their region: the region is not set against its own parts.
    (valid_copy / "areas.csv").write_text(
        "area_id,name,area_type,parent_id,family_group,population\n"
        "nation,Test Nation,nation,,,\nregion-a,Region A,region,nation,,\n"
        "la-1,LA 1,local_authority,region-a,,\nla-2,LA 2,local_authority,region-a,,\n"
        "la-3,LA 3,local_authority,region-a,,\n", encoding="utf-8")
    for name in ("plans", "strands", "milestones", "progress", "inspections", "inspection_scores",
                 "recommendations", "indicators"):
        (valid_copy / f"{name}.csv").unlink()
    (valid_copy / "reoffending.csv").write_text(HEADER + "".join(
        f"{a},2015,adult-proven-1yr,{n},{r},,,35.0,\n"
        for a, n, r in [("region-a", 600, 180), ("la-1", 100, 30), ("la-2", 200, 50), ("la-3", 300, 100)]),
        encoding="utf-8")
    funnel = analyse(load_dataset(valid_copy), as_of=date(2016, 12, 31)).funnel
    assert sorted(funnel["area_id"]) == ["la-1", "la-2", "la-3"]
    assert set(funnel["area_type"]) == {"local_authority"}
    assert funnel["target"].iloc[0] == pytest.approx(100 * 180 / 600)  # the authorities' pooled rate


def test_an_overview_counts_each_area_as_of_its_own_reports_date():
    # Gloucestershire's plan reports to 31 December 2005, East Midlands' to 30 September 2009
    # and Plymouth's to 30 September 2014. As of its own date Gloucestershire has 7 strands whose
    # only problem is milestones past due with no return (as its committed notebook shows); as of
    # 2014 every one of its 2005/06 milestones would be past due.
    from analysis.pipeline import analyse_at_own_dates, at_own_dates

    dataset = load_dataset(EXAMPLE)
    glos, em, latest = date(2005, 12, 31), date(2009, 9, 30), date(2014, 9, 30)
    analysed = {when: analyse(dataset, as_of=when) for when in (glos, em, latest)}
    dates = {"gloucestershire": glos, "east-midlands": em, "derby": em, "plymouth": latest}
    combined = at_own_dates(analysed, dates, latest)
    assert combined.as_of == latest
    assert combined.area_dates == {"gloucestershire": glos, "east-midlands": em, "derby": em}

    def not_reported(results, area_id):
        strands = results.strands_summary
        return int(((strands["area_id"] == area_id) & (strands["rag"] == "not reported")).sum())

    assert not_reported(combined, "gloucestershire") == 7
    assert not_reported(analysed[latest], "gloucestershire") > 7
    for name, table in combined.tables().items():  # each area's rows are its own report's rows
        if "area_id" not in table:
            continue
        for area_id, when in (("gloucestershire", glos), ("east-midlands", em), ("plymouth", latest)):
            own = analysed[when].tables()[name]
            pd.testing.assert_frame_equal(
                table[table["area_id"] == area_id].reset_index(drop=True),
                own[own["area_id"] == area_id].reset_index(drop=True), obj=f"{name} of {area_id}")
        order = analysed[latest].tables()[name]["area_id"]
        assert list(pd.unique(table["area_id"])) == list(pd.unique(order))
    # Every area on one date: the results as of it, unchanged.
    assert at_own_dates(analysed, {"gloucestershire": latest}, latest) is analysed[latest]
    again = analyse_at_own_dates(dataset, dates, latest, analysed={glos: analysed[glos]})
    pd.testing.assert_frame_equal(again.strands_summary, combined.strands_summary)


def test_the_export_without_a_date_gives_each_area_its_own(tmp_path):
    # No --as-of: Gloucestershire as of 31 December 2005 (its plan's reporting date), East
    # Midlands as of 30 September 2009, as their reports are built.
    result = CliRunner().invoke(app, ["export", str(EXAMPLE), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "each area as of its own date" in " ".join(result.output.split())
    states = {r["milestone_id"]: r for r in _read(tmp_path / "milestones_status.csv")}
    # "31/10/05" is 61 days before Gloucestershire's 31/12/05 (not 3,000-odd days before today).
    assert states["glos-accm-03-m1"]["days_overdue"] == "61"
    strands = [r for r in _read(tmp_path / "strands_summary.csv") if r["area_id"] == "gloucestershire"]
    assert sum(r["rag"] == "not reported" for r in strands) == 7
