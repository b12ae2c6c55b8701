"""`workbook import moj-reoffending`: the MoJ shapes in, geographies matched, rows merged, then a CSP's
report compares its rate with England and Wales as Fingertips does (figures worked by hand)."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import matplotlib.pyplot as plt
import openpyxl
import pytest
from typer.testing import CliRunner

from analysis.cli import app
from analysis.glossary import texts_of
from analysis.importing import import_moj
from analysis.importing.moj import moj_rows
from analysis.loader import load_dataset
from analysis.moj import MojShapeError
from analysis.pipeline import analyse
from analysis.report import AreaReport

DATA = Path(__file__).parent / "data" / "moj"


def _cell(text: str) -> object:
    digits = text.replace(",", "")
    return int(digits) if digits.isdigit() else (text or None)


@pytest.fixture()
def tool(tmp_path: Path) -> Path:
    """The geographical data tool: a Notes sheet, then sheet Data with two title rows, a notes
    row and a blank row above a header whose cells hold line breaks (tests/data/moj/tool_data.csv)."""
    book = openpyxl.Workbook()
    book.active.title = "Notes"
    book["Notes"]["A1"] = "About these figures"
    data = book.create_sheet("Data")
    with (DATA / "tool_data.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.reader(handle):
            data.append([_cell(v) for v in row])
    path = tmp_path / "geographical-data-tool.xlsx"
    book.save(path)
    return path


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    out = tmp_path / "data"
    shutil.copytree(DATA / "folder", out)
    return out


def _rows(folder: Path) -> dict[tuple[str, str, str], dict[str, str]]:
    with (folder / "reoffending.csv").open(newline="", encoding="utf-8") as handle:
        return {(r["area_id"], r["measure"], r["cohort"]): r for r in csv.DictReader(handle)}


def test_the_tool_is_read_below_its_titles_and_matched_by_name_code_and_alias(tool: Path, folder: Path):
    result = import_moj(tool, folder, published="April 2025")
    how = dict(zip(result.geographies["geography"], result.geographies["how"], strict=True))
    status = dict(zip(result.geographies["geography"], result.geographies["status"], strict=True))
    # "Plymouth" is the partnership whose name adds "Community Safety Partnership"; E06000027
    # is Torbay's code in areas.csv; "Bristol, City of" is an aliases row of kind geography.
    assert how["Plymouth"] == "name" and how["E06000027"] == "ONS code"
    assert how["Bristol, City of"] == "geography alias"
    assert status["Cornwall"] == "unmatched"  # not in areas.csv: listed, nothing imported
    assert result.written
    rows = _rows(folder)
    assert not any(k[0] == "cornwall" for k in rows)
    plymouth = rows[("plymouth", "adult-proven-1yr", "2022/23")]
    assert (plymouth["offenders"], plymouth["reoffenders"], plymouth["reoffences"]) == ("1200", "345", "1100")
    assert plymouth["cohort_as_printed"] == "Apr 2022 to Mar 2023"
    assert (plymouth["source_publisher"], plymouth["source_date"]) == ("Ministry of Justice", "April 2025")
    # The 12-month cohort July 2022 to June 2023 has the new key form.
    assert rows[("plymouth", "adult-proven-1yr", "2022-07/2023-06")]["reoffenders"] == "330"
    # The Sex row is a breakdown, not the area's total: not taken.
    assert len([k for k in rows if k[0] == "plymouth"]) == 3


def test_flags_are_missing_counts_with_their_meaning_kept(tool: Path, folder: Path):
    result = import_moj(tool, folder)
    juvenile = _rows(folder)[("plymouth", "juvenile-proven-1yr", "2022/23")]
    assert (juvenile["offenders"], juvenile["reoffenders"], juvenile["reoffences"]) == ("40", "", "")
    assert juvenile["flags_as_printed"] == ("reoffenders: * (withheld by the publisher); "
                                            "reoffences: .. (not available)")
    # Torbay's juvenile row is all flags: no figure to hold, so listed as not taken.
    assert any("row 14" in line and "only flags" in line for line in result.not_taken)


def test_a_row_the_analyst_has_is_never_silently_replaced(tool: Path, folder: Path):
    result = import_moj(tool, folder)
    # tests/data/moj/folder has Torbay 2022/23 at 140 of 600; the tool says 150 of 600.
    assert result.merge.conflicts == ["torbay / adult-proven-1yr / 2022/23: reoffenders 140 here, 150 "
                                      "imported; reoffences blank here, 520 imported"]
    torbay = _rows(folder)[("torbay", "adult-proven-1yr", "2022/23")]
    assert (torbay["reoffenders"], torbay["rate"], torbay["source_title"]) == ("140", "23.3",
                                                                                "Strategic assessment")


def test_replace_takes_the_files_figures_and_blanks_the_rate_they_contradict(tool: Path, folder: Path):
    result = import_moj(tool, folder, replace=True)
    assert len(result.merge.replaced) == 1
    torbay = _rows(folder)[("torbay", "adult-proven-1yr", "2022/23")]
    assert (torbay["reoffenders"], torbay["rate"], torbay["source_publisher"]) == ("150", "",
                                                                                  "Ministry of Justice")
    assert load_dataset(folder).ok


def test_a_second_import_of_the_same_file_changes_nothing(tool: Path, folder: Path):
    import_moj(tool, folder)
    before = (folder / "reoffending.csv").read_bytes()
    again = import_moj(tool, folder)
    assert (again.merge.added, again.merge.same, again.written) == (0, 6, False)
    assert (folder / "reoffending.csv").read_bytes() == before


def test_the_csv_bundle_is_the_nations_with_adults_and_juveniles_apart(folder: Path):
    import_moj(DATA / "bundle_national.csv", folder)
    rows = _rows(folder)
    adults = rows[("england-and-wales", "adult-proven-1yr", "2021-Q1")]
    juveniles = rows[("england-and-wales", "juvenile-proven-1yr", "2021-Q1")]
    assert (adults["offenders"], adults["reoffenders"]) == ("81000", "20250")
    assert (juveniles["reoffenders"], juveniles["reoffences"], juveniles["flags_as_printed"]) == (
        "1280", "", "reoffences: .. (not available)")


def test_a_file_of_another_shape_is_refused_naming_what_was_expected(tmp_path: Path, folder: Path):
    other = tmp_path / "other.csv"
    other.write_text("area,year,value\nPlymouth,2023,5\n", encoding="utf-8")
    before = (folder / "reoffending.csv").read_bytes()
    with pytest.raises(MojShapeError, match="geographical data tool"):
        import_moj(other, folder)
    assert (folder / "reoffending.csv").read_bytes() == before
    result = CliRunner().invoke(app, ["import", "moj-reoffending", str(other), "--into", str(folder)])
    assert result.exit_code == 1 and "no header row" in result.output


def test_two_different_figures_for_one_key_are_neither_taken():
    import pandas as pd

    table = pd.DataFrame({
        "file": ["t.xlsx", "t.xlsx"], "row": [5, 6], "category": ["UTLA total", "LA total"],
        "adult_juvenile": ["Adult", "Adult"], "geography": ["Plymouth", "Plymouth"],
        "cohort_as_printed": ["Apr 2022 to Mar 2023"] * 2, "cohort": ["2022/23"] * 2,
        "offenders": [1200, 1201], "reoffenders": [345, 345], "reoffences": [None, None],
        "flags": [None, None]})
    matches = pd.DataFrame({"geography": ["Plymouth"], "area_id": ["plymouth"], "status": ["matched"]})
    rows, not_taken = moj_rows(table, matches, title="t", published="")
    assert rows == []
    assert not_taken == ["t.xlsx rows 5, 6: different figures for plymouth / adult-proven-1yr / 2022/23; "
                         "neither is taken"]


def test_the_command_lists_unmatched_geographies_and_conflicts(tool: Path, folder: Path):
    result = CliRunner().invoke(app, ["import", "moj-reoffending", str(tool), "--into", str(folder),
                                      "--published", "April 2025"])
    assert result.exit_code == 0, result.output
    assert "Cornwall" in result.output and "unmatched" in result.output
    assert "1 row differs" in result.output or "rows differ" in result.output
    assert "6 rows added" in result.output


def test_a_partnerships_report_compares_its_rate_with_england_as_fingertips_does(tool: Path, folder: Path):
    """Plymouth, Apr 2022 to Mar 2023: 345 of 1,200, 28.75%; England and Wales 76,500 of 300,000,
    25.5%. Wilson at 95% (z = 1.959964, z^2 = 3.841459): centre (0.2875 + z^2/2400) / (1 +
    z^2/1200) = 0.288179; half-width z * sqrt(0.2875 * 0.7125 / 1200 + z^2 / (4 * 1200^2)) /
    1.003201 = 0.025576; so 26.26% to 31.38%, wholly above 25.5%: worse. At 99.8% (z =
    3.090232): centre 0.289180, half-width 0.040251, so 24.89% to 32.94%, which holds 25.5%:
    similar. Jul 2022 to Jun 2023: 330 of 1,180 against 75,990 of 298,000 (25.5% exactly): at
    95%, 25.48% to 30.60%, holding 25.5% by 0.02 points: similar."""
    import_moj(tool, folder, replace=True, published="April 2025")
    dataset = load_dataset(folder)
    assert dataset.ok, dataset.errors
    results = analyse(dataset, threshold=10)
    bench = results.benchmark.set_index(["area_id", "cohort"])
    year = bench.loc[("plymouth", "2022/23")]
    assert (round(year["lower_inner"], 2), round(year["upper_inner"], 2)) == (26.26, 31.38)
    assert (round(year["lower_outer"], 2), round(year["upper_outer"], 2)) == (24.89, 32.94)
    assert (year["benchmark_rate"], year["comparison"], year["comparison_outer"]) == (
        25.5, "worse", "similar")
    rolling = bench.loc[("plymouth", "2022-07/2023-06")]
    assert round(rolling["lower_inner"], 2) == 25.48 and rolling["comparison"] == "similar"

    report = AreaReport(dataset, results, "plymouth")
    summary = " ".join(t for b in report.summary() for t in texts_of(b.content))
    assert ("28.0% (one-year proven reoffending rate for adults, cohort Jul 2022 to Jun 2023); similar "
            "to England and Wales (25.5%) at 95% and 99.8%") in summary
    blocks = report.reoffending()
    shown = [t for b in blocks for t in texts_of(b.content)]
    plt.close("all")
    table = next(b.content for b in blocks if b.kind == "table"
                 and "Against England and Wales" in texts_of(b.content))
    assert table._tbl_data.iloc[0].tolist() == ["Apr 2022 to Mar 2023", "1,200", "28.7", "26.3 to 31.4",
                                                "25.5", "Worse", "Similar"]
    assert any("the dotted line is the England and Wales rate" in t for t in shown)


def test_after_the_ons_lookup_a_utla_total_goes_to_the_council_not_the_partnership(tool: Path, folder: Path):
    from analysis.importing import import_ons_geography

    import_ons_geography(Path(__file__).parent / "data" / "ons" / "LAD23_CSP23_PFA23_EW_LU.csv", folder,
                         parent="south-west")
    result = import_moj(tool, folder)
    matched = result.geographies.set_index("geography")
    # "Plymouth" is now both the partnership and its council; the row's Category, UTLA total,
    # says it is the council's figure.
    assert (matched.at["Plymouth", "area_id"], matched.at["Plymouth", "how"]) == (
        "plymouth-council", "name, local authority")
    assert ("plymouth-council", "adult-proven-1yr", "2022/23") in _rows(folder)


def test_the_overview_counts_each_areas_latest_rate_against_england(tool: Path, folder: Path):
    """Latest compared rates at 95%: Plymouth Jul 2022 to Jun 2023, similar (above); Torbay 150 of
    600, 25.0%, Wilson 21.70% to 28.62%, holding 25.5%: similar; Bristol 440 of 2,000, 22.0%,
    20.24% to 23.87%, wholly below 25.5%: better (a lower rate is better)."""
    from analysis.overview import OverviewReport

    import_moj(tool, folder, replace=True)
    dataset = load_dataset(folder)
    report = OverviewReport(dataset, analyse(dataset))
    summary = texts_of(report.summary()[0].content)[0].replace("**", "")
    assert ("Against England and Wales: of 3 areas' latest rates, 2 similar (Plymouth Community Safety "
            "Partnership, Torbay); 1 better (Bristol), by each rate's 95% Wilson interval") in summary
    glance = report.glance().set_index("area_id")["reoffending"]
    assert glance["bristol"] == "22.0% (Apr 2022 to Mar 2023); better than England and Wales"


def test_the_rates_table_says_which_counts_the_publisher_withheld(tool: Path, folder: Path):
    from analysis.reoffending_tables import rates_table

    import_moj(tool, folder)
    dataset = load_dataset(folder)
    rates = analyse(dataset).reoffending_rates
    shown = texts_of(rates_table(rates[rates["area_id"] == "plymouth"], threshold=10))
    assert ("Blank because the source printed a symbol in place of the count: one-year proven "
            "reoffending rate for juveniles, Apr 2022 to Mar 2023: reoffenders: * (withheld by the "
            "publisher); reoffences: .. (not available).") in shown


def test_a_councils_report_sets_it_beside_the_councils_of_its_police_force_area(tool: Path, folder: Path):
    from analysis.importing import import_ons_geography

    import_ons_geography(Path(__file__).parent / "data" / "ons" / "LAD23_CSP23_PFA23_EW_LU.csv", folder,
                         parent="south-west")
    import_moj(tool, folder)
    dataset = load_dataset(folder)
    blocks = AreaReport(dataset, analyse(dataset), "plymouth-council").reoffending()
    plt.close("all")
    table = next(b.content for b in blocks if b.kind == "table"
                 and "Police force area: Devon and Cornwall" in texts_of(b.content))
    # Torbay council 150 of 600 (25.0%, similar) and Plymouth 345 of 1,200 (28.75%, worse), both
    # Apr 2022 to Mar 2023: the latest cohort both have. The partnerships are not councils.
    assert table._tbl_data.values.tolist() == [["Torbay", "600", "25.0", "Similar"],
                                               ["Plymouth (this report)", "1,200", "28.7", "Worse"]]


def test_a_geography_that_would_drive_the_terminal_is_printed_as_text(tmp_path: Path, folder: Path):
    bundle = tmp_path / "tool.csv"
    bundle.write_text("Category,Adult / Juvenile,Geography,Cohort,offenders,reoffenders\n"
                      "UTLA total,Adult,\"\x1b]8;;https://example.invalid\x07Click\x1b[31m\","
                      "Apr 2022 to Mar 2023,100,30\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["import", "moj-reoffending", str(bundle), "--into", str(folder)])
    assert "\x1b" not in result.output and "\\x1b]8;;https://example.invalid" in result.output
    assert result.exit_code == 1  # its one geography matched no area: nothing could be taken


def test_a_blank_geography_in_the_tool_is_refused_not_read_as_the_nation(tmp_path: Path, folder: Path):
    bundle = tmp_path / "tool.csv"
    bundle.write_text("Category,Adult / Juvenile,Geography,Cohort,offenders,reoffenders\n"
                      "UTLA total,Adult,,Apr 2022 to Mar 2023,1200,345\n", encoding="utf-8")
    with pytest.raises(MojShapeError, match="row 2, column geography: blank"):
        import_moj(bundle, folder)


def test_a_broken_areas_table_is_named_before_anything_is_matched(tmp_path: Path, folder: Path):
    (folder / "areas.csv").write_text("area_id,name\nplymouth,Plymouth\n", encoding="utf-8")
    with pytest.raises(MojShapeError, match="areas.csv has 1 problem"):
        import_moj(DATA / "bundle_national.csv", folder)


def test_a_contract_problem_names_the_imported_row(tmp_path: Path, folder: Path):
    bundle = tmp_path / "tool.csv"
    bundle.write_text("Category,Adult / Juvenile,Geography,Cohort,offenders,reoffenders\n"
                      "UTLA total,Adult,Plymouth,Apr 2022 to Mar 2023,10,20\n", encoding="utf-8")
    result = import_moj(bundle, folder)
    assert not result.written
    assert result.problems == ["tool.csv row 2: reoffenders '20': reoffenders-within-offenders: "
                               "reoffenders (20) exceed offenders (10)"]


def test_the_summary_says_when_the_cohort_before_compared_otherwise(tool: Path, folder: Path):
    import_moj(tool, folder)
    dataset = load_dataset(folder)
    report = AreaReport(dataset, analyse(dataset), "plymouth")
    summary = " ".join(t for b in report.summary() for t in texts_of(b.content))
    plt.close("all")
    # Latest, Jul 2022 to Jun 2023: similar; the one before, Apr 2022 to Mar 2023: worse.
    assert ("similar to England and Wales (25.5%) at 95% and 99.8%; the Apr 2022 to Mar 2023 cohort "
            "was worse at 95%") in summary
    # 25.48 to 30.60 reads "25.5 to 30.6" to one place, as if it touched 25.5: two places there.
    table = next(b.content for b in report.reoffending() if b.kind == "table"
                 and "Against England and Wales" in texts_of(b.content))
    plt.close("all")
    assert table._tbl_data["95% confidence interval"].tolist() == ["26.3 to 31.4", "25.48 to 30.60"]


def test_an_areas_table_the_loader_reads_is_read_however_it_is_separated(folder: Path):
    # The MoJ import only reads areas.csv: a semicolon file the loader accepts is no obstacle.
    areas = folder / "areas.csv"
    areas.write_text(areas.read_text(encoding="utf-8").replace(",", ";"), encoding="utf-8")
    before = areas.read_bytes()
    result = import_moj(DATA / "bundle_national.csv", folder)
    assert result.written and areas.read_bytes() == before
