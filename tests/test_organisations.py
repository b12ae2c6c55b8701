"""Organisations, not strings: normalising, splitting and resolving lead names; lead load by them."""

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from analysis import charts, tables
from analysis.loader import load_dataset
from analysis.organisations import near_duplicates, normalise, resolve, split_names
from analysis.progress import lead_load, milestone_status, strand_summary

DATA = Path(__file__).parent / "data"
EXAMPLE = Path(__file__).parent.parent / "data" / "example"
NOMS = "National Offender Management Service"


def _aliases(*rows: tuple[str, str]) -> pd.DataFrame:
    return pd.DataFrame({"kind": "organisation", "spelling": [r[0] for r in rows],
                         "canonical": [r[1] for r in rows]})


# --------------------------------------------------------------------------- normalise


@pytest.mark.parametrize("a, b", [
    ("NOMS(Probation)", "NOMS (Probation)"),
    ("NOMS (Probation)", "NOMS ( Probation )"),
    ("DH \u2013 East Midlands", "DH - East Midlands"),  # en dash and hyphen
    ("DH \u2014 East Mids", "dh-east mids"),  # em dash, case, spaces by the dash
    ("NOMS Prisons & Probation", "NOMS Prisons and Probation"),
    ("NHS partnership Trust", "NHS  Partnership   Trust"),
    ("Action for Prisoners\u2019 Families", "Action for Prisoners' Families"),
])
def test_spellings_that_differ_only_in_case_spacing_dashes_or_ampersand_are_one(a, b):
    assert normalise(a) == normalise(b)


def test_words_and_letters_are_kept_apart():
    # A bracket is punctuation, a space between words is not: these stay two spellings (the
    # near-duplicate check, not normalise, catches them).
    assert normalise("NOMS Probation") != normalise("NOMS(Probation)")
    assert normalise("NOMS (DOM Office)") == "noms(dom office)"


# --------------------------------------------------------------------------- split


def test_joint_leads_split_at_semicolons_but_a_name_with_a_comma_stays_whole():
    assert split_names("SSC, GOEM; JCP") == ["SSC, GOEM", "JCP"]
    assert split_names("NOMS (Prisons and Probation); NOMS (DOM Office)") == [
        "NOMS (Prisons and Probation)", "NOMS (DOM Office)"]
    assert split_names("NOMS (DOM Office, Prisons and Probation)") == [
        "NOMS (DOM Office, Prisons and Probation)"]
    assert split_names("") == [] and split_names(None) == [] and split_names(" ; ") == []


def test_a_second_separator_splits_only_into_known_names():
    known = {"nta", "jcp", "dorset", "devon"}
    assert split_names("NTA/JCP", known) == ["NTA", "JCP"]
    assert split_names("NTA/JCP") == ["NTA/JCP"]  # nothing known: kept as written
    assert split_names("NTA / FDM", known) == ["NTA / FDM"]  # FDM unknown
    # Two of three parts known is not enough: the company's name is never broken.
    crc = "Dorset, Devon and Cornwall Community Rehabilitation Company"
    assert split_names(crc, known) == [crc]


def test_a_spelling_in_aliases_is_never_split():
    known = {"noms prisons", "probation"}
    assert split_names("NOMS Prisons & Probation", known) == ["NOMS Prisons", "Probation"]
    assert split_names("NOMS Prisons & Probation", known,
                       aliases={"noms prisons and probation"}) == ["NOMS Prisons & Probation"]


# --------------------------------------------------------------------------- resolve


def test_sub_units_roll_up_and_a_joint_lead_names_each_organisation_once():
    aliases = _aliases(("NOMS (DOM Office)", NOMS), ("NOMS (Probation)", NOMS), ("JCP", "Jobcentre Plus"),
                       ("NTA", "National Treatment Agency"))
    cells = pd.Series(["NOMS(Probation); NOMS ( DOM Office )", "NTA/JCP", "jobcentre plus",
                       "Shelter", None])
    assert resolve(cells, aliases).tolist() == [
        (NOMS,), ("National Treatment Agency", "Jobcentre Plus"), ("Jobcentre Plus",),
        ("Shelter",), ()]


def test_unaliased_spellings_of_one_key_show_the_most_frequent():
    cells = pd.Series(["HMP glos", "HMP Glos", "HMP Glos; Police", "police"])
    assert resolve(cells).tolist() == [("HMP Glos",), ("HMP Glos",), ("HMP Glos", "Police"),
                                       ("Police",)]  # Police 1 : police 1, the first met wins


# --------------------------------------------------------------------------- near duplicates


def test_near_duplicates_are_found_unless_aliases_merge_them():
    cells = pd.Series(["NOMS Probation", "NOMS(Probation)", "GOEM",
                       "Government Office for the East Midlands", "HMP", "HMP Glos", "Police",
                       "Probation Trust"])
    found = near_duplicates(cells)
    pairs = {(r.spelling, r.other_spelling, r.reason) for r in found.itertuples()}
    assert pairs == {
        ("NOMS(Probation)", "NOMS Probation", "the same letters"),
        ("Government Office for the East Midlands", "GOEM", "one is the initials of the other"),
        ("HMP Glos", "HMP", "one begins with the other"),
    }
    assert found.set_index("spelling").at["HMP Glos", "index"] == 5  # the cell to point at
    merged = near_duplicates(cells, _aliases(("NOMS Probation", NOMS), ("NOMS (Probation)", NOMS),
                                             ("GOEM", "Government Office for the East Midlands")))
    assert set(merged["spelling"]) == {"HMP Glos"}


# --------------------------------------------------------------------------- contract


def test_bad_aliases_rows_are_errors_naming_file_row_column_value_and_rule(valid_copy):
    (valid_copy / "aliases.csv").write_text(
        "kind,spelling,canonical\n"
        f"organisation,NOMS (Probation),{NOMS}\n"          # row 2: fine
        "place,Glos,Gloucestershire\n"                     # row 3: no such kind
        "organisation,,Somebody\n"                         # row 4: no spelling
        "organisation,NOMS(Probation),NOMS\n"              # row 5: row 2's spelling, another name
        f"organisation,noms ( probation ),{NOMS.upper()}\n"  # row 6: the same name again: fine
    )
    dataset = load_dataset(valid_copy)
    assert [(p.file, p.row, p.column, p.value, p.rule) for p in dataset.errors] == [
        ("aliases.csv", 3, "kind", "place", "one-of"),
        ("aliases.csv", 4, "spelling", "", "required"),
        ("aliases.csv", 5, "canonical", "NOMS", "one-canonical"),
    ]
    clash = dataset.errors[2].message
    assert "row 2" in clash and NOMS in clash


def test_validate_warns_of_near_duplicates_an_alias_does_not_merge(valid_copy):
    s = valid_copy / "strands.csv"
    s.write_text(s.read_text().replace("Police;Council", "Police;Council;HMP")
                 .replace(",Jobcentre Plus", ",Jobcentre Plus;HMP Glos"))
    dataset = load_dataset(valid_copy)
    assert dataset.errors == []
    assert [(p.row, p.column, p.value, p.rule, p.severity) for p in dataset.warnings] == [
        (3, "partners", "HMP Glos", "near-duplicate", "warning")]
    (valid_copy / "aliases.csv").write_text("kind,spelling,canonical\norganisation,HMP Glos,HMP\n")
    assert load_dataset(valid_copy).problems == []


# --------------------------------------------------------------------------- lead load


def _lead_load(folder: Path, as_of: date) -> pd.DataFrame:
    d = load_dataset(folder)
    assert d.errors == []
    ms = milestone_status(d.table("milestones"), d.table("strands"), d.table("plans"), as_of)
    return lead_load(strand_summary(d.table("strands"), d.table("plans"), ms, None, as_of),
                     d.table("aliases"))


def test_lead_load_counts_each_organisation_of_a_joint_lead():
    # tests/data/leads: 8 strands. NOMS leads s1, s2 (with Police) and s8 (two NOMS spellings,
    # counted once); Jobcentre Plus s3 (with GOEM) and s4 (NTA/JCP, split as both are aliases);
    # Police s2 and s6 ('police'); the company's name with commas and 'and' stays whole.
    load = _lead_load(DATA / "leads", date(2009, 9, 30))
    assert list(zip(load["lead"], load["strands"], strict=True)) == [
        (NOMS, 3), ("Jobcentre Plus", 2), ("Police", 2), ("(no lead)", 1),
        ("Dorset, Devon and Cornwall Community Rehabilitation Company", 1),
        ("Government Office for the East Midlands", 1), ("National Treatment Agency", 1)]
    assert set(load["plan_strands"]) == {8}
    assert load["share"].tolist() == [37.5, 25.0, 25.0, 12.5, 12.5, 12.5, 12.5]


def test_joint_shares_are_each_rounded_and_say_why_they_exceed_100():
    load = _lead_load(DATA / "leads", date(2009, 9, 30))
    html = tables.lead_load_table(load).as_raw_html()
    # 3/8 = 37.5% -> 38 half up; 2/8 = 25; 1/8 = 12.5 -> 13: 38 + 25 + 25 + 4 x 13 = 140.
    for cells in (">38<", ">25<", ">13<"):
        assert cells in html
    assert "counts once for each of its lead organisations" in html
    chart = charts.lead_load_chart(load)
    assert f"{NOMS} leads the most, 3 (38%)" in chart.alt
    assert "add up to more than 100" in chart.caption


def test_east_midlands_counts_noms_once_with_its_30_strands():
    # By hand from data/example/strands.csv: 30 of the plan's 56 strands name NOMS in their lead
    # (under 20 different lead cells, from 'NOMS (DOM Office)' to 'MOJ(NOMS); NOMS (DOM Office &
    # Prisons)'); 30/56 = 53.6%.
    load = _lead_load(EXAMPLE, date(2009, 9, 30))
    em = load[load["area_id"] == "east-midlands"]
    noms = em[em["lead"].str.contains("NOMS|Offender Management Service")]
    assert noms["lead"].tolist() == [NOMS]
    assert noms["strands"].tolist() == [30] and noms["share"].tolist() == [53.6]
    assert em.iloc[0]["lead"] == NOMS and set(em["plan_strands"]) == {56}
    chart = charts.lead_load_chart(em)
    assert f"{NOMS} leads the most, 30 (54%)" in chart.alt
