from pathlib import Path

import pytest

from analysis.contract import RESERVED, TABLES, markdown, to_int, to_number

DOCS = Path(__file__).parent.parent / "docs" / "data.md"


def test_docs_are_generated_from_the_schemas():
    # If this fails: run `workbook contract > docs/data.md` and commit the result.
    assert DOCS.read_text(encoding="utf-8") == markdown()


def test_every_table_of_the_shared_contract_is_implemented():
    assert set(TABLES) == {
        "areas", "plans", "strands", "milestones", "progress", "inspections",
        "inspection_scores", "recommendations", "indicators", "reoffending",
        "glossary",  # issue 12: local abbreviations for the reports' glossaries
        "commentary",
        "aliases",  # issue 13: spellings of one organisation, so lead load counts organisations
        "groupings",  # issue 16: police force areas and other comparison groups, from ONS lookups
    }


def test_every_rule_is_documented():
    text = markdown()
    for table in TABLES.values():
        for rule in table.cross_rules:
            assert f"`{rule.rule}`: {rule.text}" in text


@pytest.mark.parametrize(("text", "value"), [
    ("40", 40.0), ("40.5", 40.5), ("-3", -3.0), ("1,234", 1234.0), ("1,234,567.25", 1234567.25),
    (" 12 ", 12.0), ("38.5%", 38.5), ("12 %", 12.0), (".5", 0.5), ("1e-05", 0.00001),
    ("1E3", 1000.0),
])
def test_numbers_as_analysts_type_them(text, value):
    assert to_number(text) == value


@pytest.mark.parametrize("text", [
    "NaN", "nan", "inf", "-Infinity", "1e309", "-1e309",  # not finite
    "3,1", "1,2,3", "12,34", ",5", "1,234,56",  # commas only between groups of three digits
    "5_0", "1_000",  # float() reads underscores as digit separators; analysts do not
    "forty", "", "%", "1.2.3", "0x10",
])
def test_what_is_not_a_number(text):
    with pytest.raises(ValueError):
        to_number(text)


def test_counts_are_exact_and_fit_int64():
    assert to_int("9,223,372,036,854,775,807") == 2**63 - 1  # exactly: no float on the way
    assert to_int("-9223372036854775808") == -(2**63)
    for text in ("9223372036854775808", "99999999999999999999", "-9223372036854775809",
                 "1.0", "1e3", "1,2", "5_0"):
        with pytest.raises(ValueError):
            to_int(text)


@pytest.mark.parametrize("area_id", ["overview", "index", "con", "nul", "com1", "_executed",
                                     ".git"])
def test_ids_the_build_or_windows_use_are_not_slugs(area_id):
    assert area_id in RESERVED or area_id[0] in "_."
    slug = TABLES["areas"].column("area_id").rules[0]
    assert not slug.check(area_id)


def test_ordinary_ids_are_slugs():
    slug = TABLES["areas"].column("area_id").rules[0]
    assert all(slug.check(v) for v in ("area-a", "overview-2", "indexed", "a"))
