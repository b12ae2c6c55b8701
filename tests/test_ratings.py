"""Rated inspections since 2018: youth justice totals and bands, PDU ratings as printed.

Expected totals are summed by hand in the comments (Outstanding 3, Good 2, Requires improvement
1, Inadequate 0). Band edges are those the published youth justice ratings show: totals 3 and 5
rated Inadequate, 8 to 18 Requires improvement, 19 to 29 Good, 31 to 34 Outstanding (HMI
Probation reports 2021-2025, as read by data-to-insight/hmi-probation-youth-justice-scrape).
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from analysis.frameworks import load_framework
from analysis.headlines import inspection_headline
from analysis.loader import load_dataset
from analysis.pipeline import analyse
from analysis.ratings import overall_ratings, rating_change, rating_comparison, standard_ratings

from .conftest import DATA

RATINGS = DATA / "ratings"
AS_OF = date(2025, 1, 1)
STANDARDS = ["1.1", "1.2", "1.3", "1.4", "2.1", "2.2", "2.3", "2.4", "3.1", "3.2", "3.3", "3.4"]
OUT, G, R, INAD = "Outstanding", "Good", "Requires improvement", "Inadequate"


@pytest.fixture(scope="module")
def results():
    dataset = load_dataset(RATINGS)
    assert not dataset.problems
    return dataset, analyse(dataset, as_of=AS_OF)


def _one(ratings: list[str], extra: dict[str, str] | None = None, framework: str = "hmip-yj-2018"):
    """One youth justice inspection's sheet and its inspections row."""
    values = dict(zip(STANDARDS, ratings, strict=True)) | (extra or {})
    scores = pd.DataFrame({"inspection_id": "x", "criterion": list(values),
                           "value": list(values.values())})
    scores["rating"] = [v if v in (OUT, G, R, INAD) else None for v in values.values()]
    scores["score"] = [float(v) if v not in (OUT, G, R, INAD) else float("nan") for v in values.values()]
    inspections = pd.DataFrame({"inspection_id": ["x"], "area_id": ["a"], "framework": [framework],
                                "published": pd.to_datetime(["2022-01-01"]), "kind": ["full"]})
    return scores, inspections


# --------------------------------------------------------------------------- the framework file


def test_youth_framework_has_twelve_counted_standards_and_resettlement_apart():
    yj = load_framework("hmip-yj-2018")
    assert yj.counted == STANDARDS
    assert yj.codes == set(STANDARDS) | {"4.1"}
    assert yj.points == {OUT: 3, G: 2, R: 1, INAD: 0}
    assert yj.max_total == 36  # 12 standards x 3


def test_youth_bands_cover_0_to_36_and_each_edge_is_marked_as_the_published_totals_show():
    yj = load_framework("hmip-yj-2018")
    assert [(b.rating, b.low, b.high) for b in yj.bands] == [
        (INAD, 0, 6), (R, 7, 18), (G, 19, 30), (OUT, 31, 36)]
    # An edge is verified when published totals sit on both sides of it (18 RI, 19 Good) and
    # provisional when some total beside it was never published (6 and 7; 30).
    assert [b.lower_edge for b in yj.bands] == ["", "provisional", "verified", "provisional"]
    for below, above in zip(yj.bands, yj.bands[1:], strict=False):
        assert (above.lower_edge == "verified") == (below.observed_high + 1 == above.observed_low)
        assert below.low <= below.observed_low <= below.observed_high <= below.high


@pytest.mark.parametrize(("total", "band", "provisional"), [
    (0, INAD, False), (5, INAD, False), (6, INAD, True),  # the 6/7 edge: neither 6 nor 7 published
    (7, R, True), (8, R, False), (18, R, False),
    (19, G, False), (29, G, False), (30, G, True),  # 30 never published, 31 was Outstanding
    (31, OUT, False), (36, OUT, False),
])
def test_every_band_edge_of_the_file_bands_its_totals(total, band, provisional):
    yj = load_framework("hmip-yj-2018")
    assert yj.band_of(total).rating == band
    assert (yj.provisional(total) is not None) == provisional


def test_pdu_framework_sums_nothing():
    pdu = load_framework("hmip-pdu")
    assert pdu.scheme == "rated" and not pdu.bands and pdu.points == {} and pdu.max_total is None
    assert {"2.1", "2.1.1", "2.1.2", "2.1.3", "2.4.3"} <= pdu.codes
    assert pdu.scoring_of("total") is None and pdu.scoring_of("2.1.1") == "scored"


# --------------------------------------------------------------------------- totals and bands


def test_scenario_totals_bands_and_printed_ratings(results):
    _, r = results
    got = r.inspection_ratings.set_index("inspection_id")
    # yjs-a-2019: 1+2+2+2 + 1+1+2+1 + 0+1+1+2 = 16, printed Requires improvement and 16.
    a = got.loc["yjs-a-2019"]
    assert (a["total"], a["band"], a["band_status"], a["rating"], a["rating_basis"]) == (
        16, R, "verified", R, "printed")
    assert a["agrees"] and a["total_agrees"]
    # yjs-a-2023: 2+2+3+2 + 2+2+2+2 + 2+1+2+2 = 24; its Inadequate resettlement does not count.
    assert got.loc["yjs-a-2023", "total"] == 24 and got.loc["yjs-a-2023", "band"] == G
    # yjs-b-2022: six Outstanding + six Good = 18 + 12 = 30; nothing printed, so the band is shown.
    b = got.loc["yjs-b-2022"]
    assert (b["total"], b["rating"], b["rating_basis"], b["band_status"]) == (
        30, G, "banded from the total", "provisional")
    assert "29 (Good) and 31 (Outstanding)" in b["band_note"]
    # yjs-c-2022: seven Requires improvement + five Inadequate = 7, printed RI and 7: a total
    # the framework's evidence lacks, confirmed by the inspection's own printed rating.
    c = got.loc["yjs-c-2022"]
    assert (c["total"], c["band_status"], c["rating"]) == (7, "verified", R) and c["agrees"]
    assert c["band_note"] == "its own printed rating confirms it"
    # A PDU: the printed rating, no total.
    assert got.loc["pdu-a-2022", "rating"] == INAD and pd.isna(got.loc["pdu-a-2022", "total"])


def test_resettlement_never_moves_the_total():
    base = [G] * 12  # 24
    for resettlement in (OUT, INAD):
        scores, insp = _one(base, {"4.1": resettlement})
        assert overall_ratings(scores, insp)["total"].iloc[0] == 24


def test_a_counted_standard_without_a_rating_leaves_no_total_and_no_band():
    scores, insp = _one([G] * 12, {"overall": G})
    scores = scores[scores["criterion"] != "3.4"]
    row = overall_ratings(scores, insp).iloc[0]
    assert pd.isna(row["total"]) and row["band"] is None
    assert row["standards_rated"] == 11 and row["rating"] == G and row["rating_basis"] == "printed"


def test_a_printed_rating_the_band_contradicts_is_kept_and_flagged():
    scores, insp = _one([G] * 12, {"overall": R})  # 24 is Good
    row = overall_ratings(scores, insp).iloc[0]
    assert row["rating"] == R and row["band"] == G
    assert row["agrees"] is not pd.NA and not row["agrees"]


def test_printed_total_that_differs_is_flagged():
    scores, insp = _one([G] * 12, {"total": "25"})
    row = overall_ratings(scores, insp).iloc[0]
    assert row["total"] == 24 and row["printed_total"] == 25 and not row["total_agrees"]


# --------------------------------------------------------------------------- change and comparison


def test_change_since_the_previous_inspection(results):
    _, r = results
    ch = r.rating_change.set_index(["area_id", "criterion"])
    assert ch.loc[("yjs-a", "overall"), "change"] == "improved"
    assert ch.loc[("yjs-a", "3.1"), "steps"] == 2  # Inadequate to Good
    assert ch.loc[("yjs-a", "3.2"), "change"] == "unchanged"
    # pdu-a 2.1.1: 62% (2022) to 72% (2024) = +10 points; 2.4.3: 30% to 47% = +17.
    assert ch.loc[("pdu-a", "2.1.1"), "change_points"] == 10
    assert ch.loc[("pdu-a", "2.4.3"), "change_points"] == 17
    assert ch.loc[("pdu-a", "overall"), "previous_rating"] == INAD


def test_comparison_across_areas_under_the_same_framework(results):
    _, r = results
    cmp = r.rating_comparison.set_index(["area_id", "criterion"])
    # Latest youth justice inspections: B 30 (Good), A 24 (Good), C 7 (RI): ranked by rating
    # then total; A's 2019 inspection is not compared.
    assert cmp.loc[("yjs-b", "overall"), "rank"] == 1 and cmp.loc[("yjs-a", "overall"), "rank"] == 2
    assert cmp.loc[("yjs-c", "overall"), "rank"] == 3
    assert cmp.loc[("yjs-a", "overall"), "good_or_better"] == 2
    assert cmp.loc[("yjs-a", "overall"), "areas"] == 3
    # PDUs' 2.1.1 in 2024: A 72, B 85: mean 78.5, B first.
    assert cmp.loc[("pdu-a", "2.1.1"), "mean_percent"] == 78.5
    assert cmp.loc[("pdu-b", "2.1.1"), "rank"] == 1
    assert pd.isna(cmp.loc[("pdu-a", "2.1.1"), "good_or_better"])


def test_empty_inputs_give_empty_tables():
    scores = pd.DataFrame(columns=["inspection_id", "criterion", "value", "rating", "score"])
    insp = pd.DataFrame(columns=["inspection_id", "area_id", "framework", "published", "kind"])
    standards, overall = standard_ratings(scores, insp), overall_ratings(scores, insp)
    assert standards.empty and overall.empty
    assert rating_change(standards, overall, insp).empty
    assert rating_comparison(standards, overall, insp).empty


# --------------------------------------------------------------------------- words


def _headline(results, area_id: str) -> str:
    """The summary's inspection headline for one area of the scenario."""
    dataset, r = results
    t = r.for_area(area_id)
    return inspection_headline(t["inspection_sections"], dataset.table("inspections"),
                               t["inspection_ratings"], t["inspection_standards"], t["rating_change"])


def test_headline_uses_the_overall_rating_and_labels_a_provisional_band(results):
    said = _headline(results, "yjs-b")
    assert said.startswith("Good overall, the workbook's band for the 30 of 36 points of An "
                           "inspection of youth justice services in Youth Service B, published "
                           "March 2022: the inspection prints no overall rating. The band is "
                           "provisional: no published inspection yet has a total between 29 (Good) "
                           "and 31 (Outstanding), so a total of 30 could be in either.")
    assert "All 12 counted standards are rated Good or better." in said
    assert said.endswith("Resettlement policy and provision, rated separately: Good.")


def test_headline_names_the_standards_below_good_and_the_change(results):
    said = _headline(results, "pdu-a")
    assert said == ("Rated Requires improvement overall in An inspection of probation services in "
                    "Delivery Unit A, published October 2024. Up from Inadequate at the previous "
                    "inspection. 3 of the 4 standards recorded are below Good. Requires "
                    "improvement: Assessment (case supervision), Implementation and delivery (case "
                    "supervision) and Reviewing (case supervision). The 4 organisational delivery "
                    "standards are not recorded.")


def test_headline_counts_the_twelve_and_sets_resettlement_apart(results):
    said = _headline(results, "yjs-a")
    # 2023: only 3.2 of the twelve is below Good; 4.1 Inadequate is rated apart, and 4.1 did
    # not exist at the 2019 inspection, so nothing is "not recorded".
    assert said.endswith("1 of the 12 counted standards is below Good. Requires improvement: "
                         "Planning (out-of-court disposals). Resettlement policy and provision, "
                         "rated separately: Inadequate.")


# --------------------------------------------------------------------------- validation


def _rewrite(tmp_path: Path, rows: list[tuple[str, str, str]]) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(RATINGS, folder)
    with (folder / "inspection_scores.csv").open("a", encoding="utf-8") as handle:
        for row in rows:
            handle.write(",".join(row) + "\n")
    return folder


def test_validation_checks_each_value_against_its_framework(tmp_path):
    folder = _rewrite(tmp_path, [
        ("yjs-b-2022", "total", "37"),          # more than 36
        ("yjs-c-2022", "4.1", "Well met"),      # the 2003 scale, not this framework's
        ("pdu-b-2024", "1.1", "65"),            # a standard takes a rating
        ("pdu-b-2024", "1.2", "Outstanding"),   # fine
        ("pdu-b-2024", "total", "20"),          # a PDU sums no points
        ("yjs-a-2023", "2", "Good"),            # a domain takes nothing
        ("yjs-a-2023", "total", "24.5"),        # whole points
    ])
    (folder / "inspection_scores.csv").write_text(
        (folder / "inspection_scores.csv").read_text(encoding="utf-8")
        .replace("pdu-a-2024,2.1.1,72", "pdu-a-2024,2.1.1,Good"), encoding="utf-8")
    problems = {(p.row, p.column, p.value, p.rule) for p in load_dataset(folder).problems}
    n = len((RATINGS / "inspection_scores.csv").read_text(encoding="utf-8").splitlines())
    # Rows count from the header's line 1; the appended rows follow the file's last line n.
    assert problems == {
        (n + 1, "value", "37", "total"),
        (n + 2, "value", "Well met", "rating"),
        (n + 3, "value", "65", "rating"),
        (n + 5, "criterion", "total", "known-criterion"),
        (n + 6, "criterion", "2", "known-criterion"),
        (n + 7, "value", "24.5", "total"),
        (_line_of(folder, "pdu-a-2024,2.1.1,Good"), "value", "Good", "percentage"),
    }


def _line_of(folder: Path, text: str) -> int:
    lines = (folder / "inspection_scores.csv").read_text(encoding="utf-8").splitlines()
    return lines.index(text) + 1


def test_an_esi_criterion_refuses_the_four_point_scale(tmp_path):
    folder = tmp_path / "data"
    shutil.copytree(DATA / "valid", folder)
    scores = folder / "inspection_scores.csv"
    text = scores.read_text(encoding="utf-8")
    first = next(line for line in text.splitlines()[1:] if line.split(",")[1].startswith("A"))
    scores.write_text(text.replace(first, ",".join(first.split(",")[:2] + ["Good"])), encoding="utf-8")
    rules = {(p.column, p.value, p.rule) for p in load_dataset(folder).problems}
    assert ("value", "Good", "rating") in rules


def test_key_question_chart_words_name_the_lowest_first(results):
    from analysis.charts.prepare.ratings import describe_key_questions, prepare_key_questions

    _, r = results
    k = prepare_key_questions(r.inspection_standards, r.rating_change, r.rating_comparison,
                              "pdu-a-2024", "Delivery Unit A")
    assert len(k.rows) == 12 and k.previous
    assert not k.compared  # two PDUs: fewer than three areas make no mean
    words = describe_key_questions(k)
    # 2024 percentages: 2.1.3 45, 2.4.3 47, 2.3.3 51 are the lowest three.
    assert "Lowest: 2.1.3 (45%), 2.4.3 (47%) and 2.3.3 (51%)." in words.caption
    assert "Previous inspection: 2.1.1 62%" in words.alt
    assert prepare_key_questions(r.inspection_standards, None, None, "yjs-b-2022") is None


def test_tables_show_the_check_the_comparison_and_the_standards(results):
    from analysis import rating_tables

    dataset, r = results
    inspections = dataset.table("inspections")
    check = rating_tables.band_check_table(r.inspection_ratings, inspections)._tbl_data
    first = check.iloc[0]  # yjs-a-2019: 16 of 16 printed, Requires improvement both
    assert (first["Workbook total"], first["Printed total"], first["Totals agree"]) == ("16", "16", "Yes")
    thirty = check[check["Workbook total"] == "30"].iloc[0]  # yjs-b's
    assert thirty["Band for the total"] == "Good (provisional)"
    ranked = rating_tables.rated_comparison_table(
        r.rating_comparison, inspections, r.inspection_ratings, framework_id="hmip-yj-2018",
        names={"yjs-b": "Youth Service B"})._tbl_data
    assert ranked["Area"].tolist()[0] == "Youth Service B" and ranked["Rank"].tolist() == ["1", "2", "3"]
    assert ranked.iloc[0]["Rating from"] == "band for the total (provisional)"
    pdu = rating_tables.standards_table(r.inspection_standards, r.rating_change, r.rating_comparison,
                                        inspection_id="pdu-a-2024")._tbl_data.set_index("Code")
    assert "1.1" not in pdu.index  # not given in 2024: named in a note, not listed blank
    assert pdu.loc["2.1.1", "Rating or cases sufficient"] == "72% sufficient"
    assert pdu.loc["2.1.1", "Previous inspection"] == "62% sufficient (up 10 percentage points)"
    # The other PDU: 2.1 Good (so "Good or better"); 2.1.1 85%, not a mean with this one's 72%.
    assert pdu.loc["2.1", "Other areas under the framework"] == "the other area: Good or better"
    assert pdu.loc["2.1.1", "Other areas under the framework"] == "the other area: 85%"
    assert rating_tables.bands_table("hmip-pdu") is None
    assert rating_tables.band_check_table(r.inspection_ratings[r.inspection_ratings["framework"]
                                                               == "hmip-pdu"], inspections) is None


def test_a_printed_rating_at_a_provisional_total_confirms_the_band_for_every_inspection():
    # Two inspections of 30 points (six Outstanding, six Good): one prints Good and 30, the
    # other prints nothing. The first confirms 30 is Good for both.
    scores, insp = _one([OUT] * 6 + [G] * 6, {"overall": G, "total": "30"})
    other, second = _one([OUT] * 6 + [G] * 6)
    other["inspection_id"], second["inspection_id"], second["area_id"] = "y", "y", "b"
    rows = overall_ratings(pd.concat([scores, other]), pd.concat([insp, second])).set_index("inspection_id")
    assert rows.loc["x", "band_note"] == "its own printed rating confirms it"
    assert rows.loc["y", "band_status"] == "verified" and rows.loc["y", "rating"] == G
    assert rows.loc["y", "band_note"].startswith("another inspection in the data prints this total")
    # Without the printed one, 30 stays provisional.
    alone = overall_ratings(other, second).iloc[0]
    assert alone["band_status"] == "provisional"


def test_validation_warns_of_contradictions_fractions_and_same_day_inspections(tmp_path):
    folder = _rewrite(tmp_path, [
        ("yjs-a-2019", "Total", "30"),         # a second total, spelled otherwise: a duplicate
        ("pdu-b-2024", "2.1.1 ", "0.72"),      # also a duplicate of 2.1.1 (trailing space)
    ])
    scores = folder / "inspection_scores.csv"
    text = scores.read_text(encoding="utf-8")
    text = (text.replace("yjs-a-2023,overall,Good", "yjs-a-2023,overall,Outstanding")  # 24 is Good
            .replace("yjs-c-2022,total,7", "yjs-c-2022,total,9")                      # sums to 7
            .replace("pdu-a-2024,2.2.1,80", "pdu-a-2024,2.2.1,0.8")                   # a fraction
            .replace("yjs-b-2022,4.1,Good", "yjs-b-2022,total,24%"))                  # % on points
    scores.write_text(text, encoding="utf-8")
    inspections = folder / "inspections.csv"
    inspections.write_text(inspections.read_text(encoding="utf-8").replace(
        "pdu-b-2024,pdu-b,hmip-pdu,2024-11-12", "pdu-b-2024,pdu-b,hmip-pdu,2024-11-12").replace(
        "pdu-a-2022,pdu-a,hmip-pdu,2022-05-10", "pdu-a-2022,pdu-a,hmip-pdu,2024-10-01"),
        encoding="utf-8")
    found = {(p.column, p.value, p.rule, p.severity) for p in load_dataset(folder).problems}
    assert ("criterion", "Total", "unique", "error") in found
    assert ("inspection_id+criterion", "pdu-b-2024 / 2.1.1", "unique", "error") in found  # read trimmed
    assert ("value", "Outstanding", "band-agrees", "warning") in found
    assert ("value", "9", "total-agrees", "warning") in found
    assert ("value", "0.8", "percentage", "warning") in found
    assert ("value", "24%", "total", "error") in found
    assert ("published", "2024-10-01", "one-a-day", "warning") in found


def test_same_day_inspections_are_ordered_by_identifier_not_file_order():
    scores, insp = _one([G] * 12, {"overall": G})
    earlier, second = _one([R] * 12, {"overall": R})
    earlier["inspection_id"], second["inspection_id"] = "w", "w"  # 'w' sorts before 'x'
    both = pd.concat([scores, earlier]), pd.concat([insp, second])
    for order in (slice(None), slice(None, None, -1)):
        change = rating_change(standard_ratings(both[0], both[1].iloc[order]),
                               overall_ratings(both[0], both[1].iloc[order]), both[1].iloc[order])
        row = change[change["criterion"] == "overall"].iloc[0]
        assert (row["previous_inspection"], row["inspection_id"], row["change"]) == ("w", "x", "improved")


def test_an_invisible_character_in_a_rating_is_shown_in_the_error(tmp_path):
    from typer.testing import CliRunner

    from analysis.cli import app

    folder = tmp_path / "data"
    shutil.copytree(RATINGS, folder)
    scores = folder / "inspection_scores.csv"
    scores.write_text(scores.read_text(encoding="utf-8").replace(
        "yjs-a-2019,1.3,Good", "yjs-a-2019,1.3,Go\u200bod", 1), encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", str(folder)])
    # Printed raw, the zero-width space would make the refused value read "Good".
    assert result.exit_code == 1 and "Go\\u200bod" in result.output and "\u200b" not in result.output


def test_headline_keeps_a_contradicted_printed_figure_and_says_so():
    dataset_like = pd.DataFrame({"inspection_id": ["x"], "title": ["An inspection of X"],
                                 "published": pd.to_datetime(["2022-01-01"]), "kind": ["full"]})
    scores, insp = _one([G] * 12, {"overall": OUT, "total": "30"})  # the standards make 24, Good
    said = inspection_headline(pd.DataFrame(columns=["section", "inspection_id", "score"]),
                               dataset_like, overall_ratings(scores, insp))
    assert said.startswith("Rated Outstanding overall in An inspection of X, published January 2022 "
                           "(24 of 36 points).")
    assert "Check the data: it prints 30 points, but its standards sum to 24." in said
    assert "Check the data: 24 points fall in the Good band, not Outstanding." in said


def test_a_new_inspection_is_what_changed_with_its_rating_and_the_one_before(results):
    from analysis import exceptions as exc

    dataset, r = results
    tables = exc.area_tables({n: dataset.table(n) for n in ("plans", "strands", "milestones",
                                                            "progress", "inspections",
                                                            "recommendations")}, "pdu-a")
    changed = exc.changes(tables, date(2024, 12, 31), date(2024, 9, 30),
                          ratings=r.for_area("pdu-a")["inspection_ratings"])
    assert exc.change_sentences(changed) == [
        "1 new inspection: An inspection of probation services in Delivery Unit A: published "
        "1 October 2024, rated Requires improvement (was Inadequate)."]
    # The quarter before holds no inspection of pdu-a.
    assert exc.changes(tables, date(2024, 9, 30), date(2024, 6, 30)).empty


def test_the_index_says_what_is_off_track_in_the_latest_rated_inspections(results):
    from analysis.index import headline, headline_counts

    _, r = results
    words = headline(headline_counts(r))
    # yjs-c 2022: Requires improvement overall, 5 standards Inadequate and 7 Requires improvement;
    # yjs-a's latest (2023): Good, its resettlement Inadequate and 3.2 Requires improvement (the
    # 2019 inspection is not counted); yjs-b and pdu-b: nothing below Good.
    assert words["yjs-c"] == ("1 inspection rated below Good; 5 standards rated Inadequate, "
                              "7 rated Requires improvement")
    assert words["yjs-a"] == "1 standard rated Inadequate, 1 rated Requires improvement"
    assert words["pdu-a"] == "1 inspection rated below Good; 3 standards rated Requires improvement"
    assert words["yjs-b"] == words["pdu-b"] == "Nothing off track"


def test_the_overall_change_carries_the_youth_totals(results):
    _, r = results
    row = r.rating_change.set_index(["area_id", "criterion"]).loc[("yjs-a", "overall")]
    assert (row["previous_total"], row["total"], row["change_total"]) == (16, 24, 8)
    assert pd.isna(r.rating_change.set_index(["area_id", "criterion"]).loc[("yjs-a", "1.1"), "total"])


def test_headline_with_one_standard_recorded():
    scores, insp = _one([G] * 12, {"overall": R})
    scores = scores[scores["criterion"].isin(["2.3", "overall"])]
    scores.loc[scores["criterion"] == "2.3", ["value", "rating"]] = OUT
    meta = pd.DataFrame({"inspection_id": ["x"], "title": ["An inspection of X"],
                         "published": pd.to_datetime(["2022-01-01"])})
    standards = standard_ratings(scores, insp)
    said = inspection_headline(pd.DataFrame(columns=["section", "inspection_id", "score"]), meta,
                               overall_ratings(scores, insp), standards)
    # Only 2.3 is given: one standard recorded, and 12 of the 13 not (4.1 applies in 2022).
    assert said == ("Rated Requires improvement overall in An inspection of X, published January "
                    "2022. The one standard recorded is rated Outstanding. 12 of its 13 standards "
                    "are not recorded.")
