from pathlib import Path

from analysis.contract import TABLES, markdown

DOCS = Path(__file__).parent.parent / "docs" / "data.md"


def test_docs_are_generated_from_the_schemas():
    # If this fails: run `workbook contract > docs/data.md` and commit the result.
    assert DOCS.read_text(encoding="utf-8") == markdown()


def test_every_table_of_the_shared_contract_is_implemented():
    assert set(TABLES) == {
        "areas", "plans", "strands", "milestones", "progress", "inspections",
        "inspection_scores", "recommendations", "indicators", "reoffending",
    }


def test_every_rule_is_documented():
    text = markdown()
    for table in TABLES.values():
        for rule in table.cross_rules:
            assert f"`{rule.rule}`: {rule.text}" in text
