import subprocess
import sys

import pytest
from typer.testing import CliRunner

from analysis.cli import app

from .conftest import DATA, EXAMPLE, overlay

runner = CliRunner()


def test_validate_clean_folder_exits_0_with_counts(valid_copy):
    result = runner.invoke(app, ["validate", str(valid_copy)])
    assert result.exit_code == 0, result.output
    assert "Rows per table" in result.output
    assert "Rows per area" in result.output
    assert "meets the data contract" in result.output


def test_validate_lists_every_problem_and_exits_1(valid_copy):
    overlay(valid_copy, DATA / "bad" / "reoffenders-over-offenders")
    overlay(valid_copy, DATA / "bad" / "plan-unknown-area")
    result = runner.invoke(app, ["validate", str(valid_copy)])
    assert result.exit_code == 1
    assert "reoffenders-within-offenders" in result.output
    assert "plans.csv" in result.output and "exists" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("case", ["missing-areas-table", "utf16-file", "empty-file",
                                  "offenders-bad-values", "markup-in-values", "areas-is-fifo",
                                  "areas-is-dev-zero", "unclosed-quote", "number-overflow"])
def test_bad_data_never_gives_a_traceback(case, valid_copy):
    overlay(valid_copy, DATA / "bad" / case)
    proc = subprocess.run([sys.executable, "-m", "analysis.cli", "validate", str(valid_copy)],
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stdout + proc.stderr


def test_usage_errors_exit_2(tmp_path):
    assert runner.invoke(app, ["validate", str(tmp_path / "missing")]).exit_code == 2
    some_file = tmp_path / "notes.txt"
    some_file.write_text("hello")
    assert runner.invoke(app, ["validate", str(some_file)]).exit_code == 2
    assert runner.invoke(app, ["validate"]).exit_code == 2


def test_validate_example_data():
    result = runner.invoke(app, ["validate", str(EXAMPLE)])
    assert result.exit_code == 0, result.output


BAD_CASES = sorted(p for p in (DATA / "bad").iterdir() if p.is_dir())


@pytest.mark.parametrize("case", BAD_CASES, ids=lambda p: p.name)
def test_every_broken_dataset_exits_1_naming_its_rule(case, valid_copy):
    overlay(valid_copy, case)
    result = runner.invoke(app, ["validate", str(valid_copy)])
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)  # a clean exit, not a crash
    assert "Traceback" not in result.output
    rules = [line.split(",")[-1] for line in (case / "expected.csv").read_text().splitlines()[1:]]
    for rule in rules:
        assert rule in result.output


WARN_CASES = sorted(p for p in (DATA / "warn").iterdir() if p.is_dir())


@pytest.mark.parametrize("case", WARN_CASES, ids=lambda p: p.name)
def test_every_warned_dataset_exits_0_naming_its_warnings(case, valid_copy):
    overlay(valid_copy, case)
    result = runner.invoke(app, ["validate", str(valid_copy)])
    assert result.exit_code == 0, result.output
    for rule in [line.split(",")[-1] for line in (case / "expected.csv").read_text().splitlines()[1:]]:
        assert rule in result.output


MARKUP = ("[/]", "[link=https://x]Area D[/link]", "[bold red]x[/]", ":thumbs_up:")


def test_markup_in_the_data_is_printed_as_it_is(valid_copy):
    # rich read these as markup: "[/]" crashed validate, [link=...] became a hyperlink.
    areas = valid_copy / "areas.csv"
    areas.write_text(areas.read_text().replace("Area A", MARKUP[0]).replace("Area B", MARKUP[1]))
    (valid_copy / "[red]notes.txt").write_text("x")  # a file name, listed as not read
    result = runner.invoke(app, ["validate", str(valid_copy)])
    assert result.exit_code == 0, result.output
    assert "[red]notes.txt" in result.output and "not-read" in result.output


def test_markup_in_problems_is_printed_as_it_is(valid_copy):
    areas = valid_copy / "areas.csv"
    areas.write_text(areas.read_text() + "".join(f"area-{i},{m},{m},,,\n"
                                                 for i, m in enumerate(MARKUP)))
    result = runner.invoke(app, ["validate", str(valid_copy)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    for value in MARKUP:
        assert value in result.output


def test_synth_refuses_future_cohorts_as_a_usage_error(tmp_path, monkeypatch):
    from datetime import date

    from analysis import contract

    monkeypatch.setattr(contract, "today", lambda: date(2026, 12, 1))
    result = runner.invoke(app, ["synth", str(tmp_path / "out"), "--quarters", "33"])
    assert result.exit_code == 2
    said = " ".join(result.output.split())  # rich wraps long lines
    assert "cohort 2027-Q1, which starts after today (2026-12-01)" in said
    assert "at most 32 quarters from 2019-Q1" in said
    assert not (tmp_path / "out").exists()
    assert runner.invoke(app, ["synth", str(tmp_path / "ok"), "--areas", "2",
                               "--quarters", "32"]).exit_code == 0


def test_build_summary_prints_names_and_errors_as_they_are(tmp_path):
    from datetime import date, datetime

    from rich.console import Console

    from analysis.build import AreaResult, BuildResult, NotebookError, summary_table

    failed = AreaResult("area-a", "[/]", "failed", "builtin", 1.0,
                        error=NotebookError("execute", "KeyError", "'[link=https://x]'"))
    built = AreaResult("area-b", "[bold]B[/bold]", "built", "builtin", 2.0,
                       outputs={"html": tmp_path / "area-b" / "area-b.html"})
    now = datetime(2026, 12, 1)
    result = BuildResult(tmp_path, tmp_path, date(2026, 12, 1), "builtin", ("html",),
                         [failed, built], None, "0", "abc", now, now)
    console = Console(width=200, record=True, color_system=None)
    console.print(summary_table(result))
    text = console.export_text()
    assert "[/]" in text and "[bold]B[/bold]" in text and "'[link=https://x]'" in text


def test_the_commands_default_threshold_is_the_disclosure_layers():
    # The CLI keeps its imports light (no pandas for --help), so it writes the default out; it
    # must be the one the disclosure layer, the build and the notebooks use.
    import inspect

    from analysis import build, cli, pipeline
    from analysis.disclosure import DEFAULT_THRESHOLD

    for command in (cli.export, cli.build):
        assert inspect.signature(command).parameters["threshold"].default == DEFAULT_THRESHOLD
    assert inspect.signature(build.build).parameters["threshold"].default == DEFAULT_THRESHOLD
    assert inspect.signature(pipeline.analyse).parameters["threshold"].default == DEFAULT_THRESHOLD


def test_the_notebooks_default_threshold_is_the_disclosure_layers():
    import ast
    import json
    from pathlib import Path

    from analysis.disclosure import DEFAULT_THRESHOLD

    for name in ("area.ipynb", "overview.ipynb"):
        cells = json.loads((Path(__file__).parent.parent / "notebooks" / name).read_text())["cells"]
        source = next("".join(c["source"]) for c in cells if "parameters" in c["metadata"].get("tags", []))
        values = {n.targets[0].id: ast.literal_eval(n.value) for n in ast.parse(source).body
                  if isinstance(n, ast.Assign)}
        assert values["threshold"] == DEFAULT_THRESHOLD, name
