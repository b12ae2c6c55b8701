import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.frameworks import load_framework
from analysis.inspection import (
    criterion_scores,
    family_comparison,
    inspection_change,
    round_half_up,
    section_scores,
)
from analysis.loader import load_dataset

from .conftest import EXAMPLE


def _example():
    d = load_dataset(EXAMPLE)
    return d, section_scores(d.table("inspection_scores"), d.table("inspections"))


def test_gloucestershire_esi_2005_sections_reproduce_the_printed_sheet():
    # Printed: B 61, C 72, D 70, overall 68 (HMI Probation ESI Gloucestershire 2005).
    # By hand: B = (2*46 + 2*79 + 2*53 + 69)/7 = 60.71; C = (2*82+2*66+2*82+56+2*66)/9 = 72.0;
    # D = (2*69 + 63 + 2*75)/5 = 70.2; overall = .3*60.71 + .4*72 + .3*70.2 = 68.07.
    _, s = _example()
    esi = s[s["inspection_id"] == "glos-esi-2005"].set_index("section")
    assert esi["score"].to_dict() == {"B": 60.7, "C": 72.0, "D": 70.2, "overall": 68.1}
    assert {k: round_half_up(v) for k, v in esi["score_exact"].items()} == {
        "B": 61, "C": 72, "D": 70, "overall": 68}
    assert esi["agrees"].all()


def test_accommodation_thematic_reproduces_44_62_76():
    # B: (2*28 + 2*55 + 2*67 + 2*33 + 33)/9 = 44.33 (documentation weighs half, as in ESI);
    # C: (63 + 82 + 41)/3 = 62; D: 76.
    _, s = _example()
    thematic = s[s["inspection_id"] == "glos-esi-2005-accommodation"].set_index("section")
    assert {k: round_half_up(v) for k, v in thematic["score_exact"].items()} == {
        "B": 44, "C": 62, "D": 76}
    assert "overall" not in thematic.index  # the thematic prints no overall score


def test_rated_criteria_keep_their_ordinal_scale():
    d, _ = _example()
    crit = criterion_scores(d.table("inspection_scores"), d.table("inspections"))
    a4 = crit[(crit["inspection_id"] == "glos-esi-2005") & (crit["criterion"] == "A4")].iloc[0]
    assert a4["rating"] == "Satisfactorily met" and a4["rating_rank"] == 3
    d3 = crit[(crit["inspection_id"] == "glos-esi-2005") & (crit["criterion"] == "D3")].iloc[0]
    assert d3["rating"] == "Partly met" and pd.isna(d3["score"])


def _sheet(values: dict[str, float], inspection_id="i1") -> pd.DataFrame:
    return pd.DataFrame({"inspection_id": inspection_id, "criterion": list(values),
                         "value": [str(v) for v in values.values()],
                         "score": list(values.values()), "rating": None})


INSPECTIONS = pd.DataFrame({"inspection_id": ["i1"], "area_id": ["a"], "framework": ["esi-2003"],
                            "published": pd.to_datetime(["2005-01-01"]), "kind": ["full"]})
CODES = ["B1", "B2", "B3", "B4", "C1", "C2", "C3", "C4", "C5", "D1", "D2", "D4"]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 100), min_size=12, max_size=12), st.randoms())
def test_scores_are_invariant_to_criterion_order(values, rnd):
    sheet = _sheet(dict(zip(CODES, values, strict=True)))
    shuffled = sheet.sample(frac=1, random_state=rnd.randint(0, 10**6))
    a = section_scores(sheet, INSPECTIONS).set_index("section")["score_exact"]
    b = section_scores(shuffled, INSPECTIONS).set_index("section")["score_exact"]
    pd.testing.assert_series_equal(a, b)
    assert all(0 <= v <= 100 for v in a)


def test_missing_criterion_is_shown_not_hidden():
    sheet = _sheet({c: 50 for c in CODES if c != "B4"})
    s = section_scores(sheet, INSPECTIONS).set_index("section")
    assert s.at["B", "criteria_scored"] == 3 and not s.at["B", "complete"]


def test_inspections_without_a_scores_file_list_every_criterion_unscored(valid_copy):
    (valid_copy / "inspection_scores.csv").unlink()
    d = load_dataset(valid_copy)
    crit = criterion_scores(d.table("inspection_scores"), d.table("inspections"))
    assert len(crit) == len(load_framework("esi-2003").criteria)
    assert crit["score"].isna().all() and crit["rating"].isna().all()
    assert section_scores(d.table("inspection_scores"), d.table("inspections")).empty


def test_family_comparison_and_change_between_inspections():
    inspections = pd.DataFrame({
        "inspection_id": ["x1", "y1", "x2"], "area_id": ["x", "y", "x"],
        "framework": "esi-2003", "kind": ["full", "full", "follow-up"],
        "published": pd.to_datetime(["2004-01-01", "2004-06-01", "2005-06-01"])})
    areas = pd.DataFrame({"area_id": ["x", "y"], "family_group": ["small", "small"]})
    sheets = pd.concat([_sheet({"B1": 40}, "x1"), _sheet({"B1": 60}, "y1"),
                        _sheet({"B1": 55}, "x2")])
    s = section_scores(sheets, inspections)
    fam = family_comparison(s, inspections, areas).set_index(["area_id", "section"])
    assert fam.at[("x", "B"), "family_mean"] == 50.0  # (40 + 60)/2, full inspections only
    assert fam.at[("x", "B"), "rank_in_family"] == 2
    change = inspection_change(s, inspections).set_index(["area_id", "section"])
    assert change.at[("x", "B"), "change"] == 15.0  # 55 - 40


def test_an_area_without_a_family_group_has_no_family_size():
    # The input template's one area has no family group: its family is blank, the count whole.
    inspections = pd.DataFrame({"inspection_id": ["x1"], "area_id": ["x"], "framework": "esi-2003",
                                "kind": ["full"], "published": pd.to_datetime(["2004-01-01"])})
    areas = pd.DataFrame({"area_id": ["x"], "family_group": [None]})
    s = section_scores(_sheet({"B1": 40}, "x1"), inspections)
    fam = family_comparison(s, inspections, areas)
    assert str(fam["family_size"].dtype) == "Int64" and fam["family_size"].isna().all()
    assert fam.set_index("section").at["B", "all_size"] == 1
