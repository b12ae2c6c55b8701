"""The input template (analysis.template, `workbook template`)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from analysis import contract
from analysis.cli import app
from analysis.loader import load_dataset
from analysis.template import CHOICES, EXAMPLE_ROWS, write_template

runner = CliRunner()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_template(tmp_path_factory.mktemp("template") / "input.xlsx")


def test_a_fresh_template_validates_with_no_problem_at_all(template: Path):
    dataset = load_dataset(template, today=date(2026, 12, 1))
    assert [f"{p.file} {p.rule}: {p.message}" for p in dataset.problems] == []
    assert {name: len(dataset.table(name)) for name in EXAMPLE_ROWS} == {name: 1 for name in EXAMPLE_ROWS}
    # The example dates are read as the dates they are, not as Excel serial numbers.
    assert str(dataset.table("plans").loc[0, "starts"])[:10] == "2025-04-01"


def test_sheets_are_instructions_every_table_then_lists(template: Path):
    book = load_workbook(template)
    assert book.sheetnames == ["Instructions", *contract.TABLES, "Lists"]
    for name, table in contract.TABLES.items():
        sheet = book[name]
        assert [c.value for c in sheet[1]] == [c.name for c in table.columns]
        assert sheet.freeze_panes == "A2"
    assert book["plans"]["D2"].number_format == "yyyy-mm-dd"  # starts


def test_every_fixed_set_in_the_contract_is_a_drop_down_of_its_values(template: Path):
    one_of = {(t.name, c.name) for t in contract.TABLES.values() for c in t.columns
              if any(r.rule == "one-of" for r in c.rules)}
    assert one_of <= set(CHOICES)  # a new one-of column in the contract needs its list here
    book = load_workbook(template)
    lists = book["Lists"]
    for (table, column), values in CHOICES.items():
        rules = contract.TABLES[table].column(column).rules
        assert all(rule.check(value) for rule in rules if rule.check for value in values)
        letter = next(c.column_letter for c in book[table][1] if c.value == column)
        found = [dv for dv in book[table].data_validations.dataValidation
                 if f"{letter}2:{letter}1000" in str(dv.sqref)]
        assert len(found) == 1, (table, column)
        sheet_range = found[0].formula1.split("!")[1].replace("$", "")
        listed = [c.value for row in lists[sheet_range] for c in row]
        assert listed == list(values)


def test_instructions_name_every_table_and_column_with_its_rules(template: Path):
    rows = list(load_workbook(template)["Instructions"].iter_rows(min_row=6, values_only=True))
    assert [r[0] for r in rows if r[0]] == list(contract.TABLES)
    assert len([r for r in rows if r[1] and r[1] != "(the whole table)"]) == sum(
        len(t.columns) for t in contract.TABLES.values())
    # What validate checks across rows and tables is said too.
    whole = {r[2] for r in rows if r[1] == "(the whole table)"}
    assert {"no two rows share area_id, measure, cohort", "reoffenders must not exceed offenders",
            "framework must be one shipped with the workbook"} <= whole
    rag = next(r for r in rows if r[1] == "rag")
    assert rag[4] == "pick from the list (red, amber, green)"  # said once, not twice
    area_type = next(r for r in rows if r[1] == "area_type")
    assert area_type[3] == "required, never blank"
    assert area_type[4].startswith("pick from the list (probation_area, local_authority")
    population = next(r for r in rows if r[1] == "population")
    assert (population[3], population[4]) == ("optional", "a whole number above 0")
    area_id = next(r for r in rows if r[1] == "area_id")
    assert area_id[3] == "required, never blank; no two rows alike"


def test_the_template_sheets_are_known_only_by_the_templates_mark(template: Path, tmp_path: Path):
    book = load_workbook(template)
    book.properties.keywords = None  # the analyst's own workbook, with sheets of the same names
    copy = tmp_path / "own.xlsx"
    book.save(copy)
    warned = {p.file for p in load_dataset(copy, today=date(2026, 12, 1)).warnings}
    assert warned == {"own.xlsx[Instructions]", "own.xlsx[Lists]"}


def test_an_existing_file_is_never_replaced(tmp_path: Path):
    own = tmp_path / "mine.xlsx"
    own.write_bytes(b"the analyst's own workbook")
    result = runner.invoke(app, ["template", str(own)])
    assert result.exit_code == 2 and "exists: the template never replaces a file" in result.output
    assert own.read_bytes() == b"the analyst's own workbook"
    result = runner.invoke(app, ["template", str(tmp_path / "input.csv")])
    assert result.exit_code == 2 and "must end in .xlsx" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.xlsx"]


def test_no_file_is_replaced_nor_folder_made(tmp_path: Path):
    (tmp_path / "dangling.xlsx").symlink_to(tmp_path / "nowhere.xlsx")
    result = runner.invoke(app, ["template", str(tmp_path / "dangling.xlsx")])
    assert result.exit_code == 2 and (tmp_path / "dangling.xlsx").is_symlink()
    result = runner.invoke(app, ["template", str(tmp_path / "typo" / "input.xlsx")])
    assert result.exit_code == 2 and "does not exist" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dangling.xlsx"]


def test_a_folder_that_cannot_be_written_is_one_error_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import tempfile

    def refused(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refused)
    result = runner.invoke(app, ["template", str(tmp_path / "input.xlsx")])
    assert result.exit_code == 2 and "cannot write" in result.output and "Permission denied" in result.output
    assert "Traceback" not in result.output and list(tmp_path.iterdir()) == []


def test_the_command_writes_a_template_that_validates(tmp_path: Path):
    path = tmp_path / "new.xlsx"
    result = runner.invoke(app, ["template", str(path)])
    assert result.exit_code == 0 and "Template written to" in result.output
    assert runner.invoke(app, ["validate", str(path)]).exit_code == 0


@pytest.mark.integration
def test_a_filled_copy_builds_its_reports(template: Path, tmp_path: Path):
    from analysis.build import build

    book = load_workbook(template)
    book["areas"].append(["second-area", "Second Probation Area", "probation_area", None, None, 250000])
    book["reoffending"].append(["second-area", "2023-Q2", "adult-proven-1yr", 200, 60])
    filled = tmp_path / "filled.xlsx"
    book.save(filled)
    result = build(filled, tmp_path / "out", engine="builtin", jobs=1)
    assert {a.area_id: a.status for a in [*result.areas, result.overview]} == {
        "example-area": "built", "second-area": "built", "overview": "built"}
    assert (tmp_path / "out" / "second-area" / "second-area.pdf").stat().st_size > 0
