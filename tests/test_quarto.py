"""The Quarto engine (analysis.quarto): the notebook Quarto sees, the command, and renders with a
stand-in ``quarto`` (always) and a real one (only when ``quarto`` is on PATH)."""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

import nbformat
import pypandoc
import pytest
import yaml
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from analysis import quarto
from analysis.report_options import read_options

from .report_builds import example_build, needs_quarto

TITLE = "Reducing reoffending: <Gloucestershire> *area*"
STAMP = "workbook 0.1.0 · commit abc123 · area gloucestershire · as of 2005-12-31"
META = {"title": TITLE, "subtitle": "As of 31 December 2005", "stamp": STAMP}
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'


def _notebook() -> nbformat.NotebookNode:
    figure = new_output("display_data", data={"image/png": PNG, "image/svg+xml": SVG, "text/plain": "fig"},
                        metadata={"image/png": {"alt": 'Bar chart of "scores"'},
                                  "image/svg+xml": {"alt": 'Bar chart of "scores"'}})
    table = new_output("display_data", data={"text/html": "<table><tr><td>1</td></tr></table>",
                                             "text/plain": "table"})
    summary = new_output("display_data", data={"text/markdown": "**Pathways:** as follows\n- one\n- two"})
    return new_notebook(cells=[
        new_markdown_cell("For analysts only.", metadata={"tags": ["remove-cell"]}),
        new_markdown_cell("## Summary\nThe points:\n- first\n- second"),
        new_code_cell("show(report)", outputs=[summary, table, figure]),
        new_code_cell("secret()", outputs=[new_output("stream", name="stdout", text="x")],
                      metadata={"tags": ["remove-output"]}),
    ])


def test_the_notebook_quarto_sees_says_everything_quarto_s_way() -> None:
    nb = quarto.quarto_notebook(_notebook(), "html")
    sources = [cell.source for cell in nb.cells]
    assert "For analysts only." not in sources  # remove-cell, on a Markdown cell too
    assert nb.cells[0].source == "## Summary\nThe points:\n\n- first\n- second"  # a list needs a blank line
    shown = nb.cells[1]
    option = shown.source.splitlines()[0]
    assert option.startswith("#| fig-alt: ")
    assert yaml.safe_load(option.removeprefix("#| ")) == {"fig-alt": ["", "", 'Bar chart of "scores"']}
    summary, table, figure = shown.outputs
    assert summary.data["text/markdown"] == "**Pathways:** as follows\n\n- one\n- two"
    assert "text/html" not in table.data  # a text/html output makes Quarto link require.js from a CDN
    assert table.data["text/markdown"] == "```{=html}\n<table><tr><td>1</td></tr></table>\n```\n"
    assert set(figure.data) == {"image/png", "text/plain"}  # the PDF's SVG left out of the HTML
    assert nb.cells[2].outputs == []
    pdf = quarto.quarto_notebook(_notebook(), "typst")
    assert set(pdf.cells[1].outputs[2].data) == {"image/svg+xml", "text/plain"}


def test_quarto_command_never_executes_and_writes_beside_the_notebook(tmp_path: Path) -> None:
    assert quarto.quarto_command(tmp_path / "report.ipynb", "typst") == [
        "quarto", "render", "report.ipynb", "--to", "typst"]
    with pytest.raises(ValueError, match="docx"):
        quarto.quarto_command(tmp_path / "report.ipynb", "docx")


def test_each_render_is_a_project_of_its_own_with_the_report_options(tmp_path: Path) -> None:
    options = read_options()
    quarto._write_project(tmp_path, "typst", options, STAMP)  # noqa: SLF001
    project = yaml.safe_load((tmp_path / "_quarto.yml").read_text(encoding="utf-8"))
    assert project["project"] == {"type": "default"}  # no output-dir: nothing for --output-dir to refuse
    assert list(project["format"]) == ["typst"]
    typst = project["format"]["typst"]
    assert typst["keep-typ"] is True and typst["papersize"] == "a4" and typst["toc-depth"] == 2
    assert typst["template"].endswith("workbook.typ") and project["filters"][0] == "quarto"
    quarto._write_project(tmp_path, "html", options, "<b>stamp</b>")  # noqa: SLF001
    html = yaml.safe_load((tmp_path / "_quarto.yml").read_text(encoding="utf-8"))["format"]["html"]
    assert html["embed-resources"] is True
    footer = (tmp_path / html["include-after-body"][0]).read_text(encoding="utf-8")
    assert "&lt;b&gt;stamp&lt;/b&gt;" in footer


def test_metadata_is_markdown_that_reads_back_as_the_plain_title() -> None:
    metadata = quarto._metadata(TITLE, "As of 31 December 2005", "2005-12-31", read_options())  # noqa: SLF001
    assert metadata["title"] == r"Reducing reoffending\: &lt;Gloucestershire&gt; \*area\*"
    # Pandoc, Quarto's reader, reads it back as the title itself: no emphasis, no raw HTML.
    plain = pypandoc.convert_text(metadata["title"], "plain", format="markdown", extra_args=["--wrap=none"])
    assert plain.strip() == TITLE
    assert metadata["date"] == "2005-12-31"  # a date Quarto can parse: never "Invalid Date"


def _fake_quarto(bin_dir: Path, log_file: Path, *, fail: bool = False) -> None:
    """A stand-in ``quarto``: records its arguments and folder, writes what Quarto would."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    script = bin_dir / "quarto"
    body = ('printf "\\033[31mERROR: no\\033[0m\\n" >&2; exit 3' if fail else
            'if [ "$4" = typst ]; then printf "= Summary\\nHello" > report.typ; '
            'else printf "<html lang=en-GB>fake quarto</html>" > report.html; fi\n'
            'echo "WARNING (fake) something to keep" >&2')
    script.write_text("#!/bin/sh\n"
                      f'printf "%s\\n" "$@" > "{log_file}"\n'
                      f'pwd >> "{log_file}"\n'
                      f'cp _quarto.yml "{log_file}.project"\n'
                      f"{body}\n", encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def _executed(tmp_path: Path) -> Path:
    notebook = tmp_path / "gloucestershire.ipynb"
    nbformat.write(_notebook(), notebook)
    return notebook


def test_engine_detection(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert quarto.engine_available() == "builtin"
    _fake_quarto(tmp_path, tmp_path / "args.txt")
    assert quarto.engine_available() == "quarto"


def test_render_with_a_stand_in_quarto(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log_file = tmp_path / "args.txt"
    _fake_quarto(tmp_path / "bin", log_file)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}")
    out = tmp_path / "reports" / "gloucestershire.pdf"

    done = quarto.render_with_quarto(_executed(tmp_path), out, "typst", date="2005-12-31", **META)

    assert done.path == out and out.read_bytes().startswith(b"%PDF")  # compiled by the workbook's Typst
    assert done.warnings == ["WARNING (fake) something to keep"]
    args = log_file.read_text(encoding="utf-8").splitlines()
    assert args[:4] == ["render", "report.ipynb", "--to", "typst"] and "--execute" not in args
    folder = Path(args[-1])
    assert not folder.exists() and Path(os.path.realpath(folder)).parent != out.parent  # a temp folder, gone
    project = json.loads(Path(f"{log_file}.project").read_text(encoding="utf-8"))
    assert project["project"] == {"type": "default"}
    assert sorted(p.name for p in out.parent.iterdir()) == ["gloucestershire.pdf"]


def test_a_failed_quarto_render_leaves_nothing_and_says_why_in_plain_text(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    notebook, out = _executed(tmp_path), tmp_path / "reports" / "nb.html"
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(FileNotFoundError):
        quarto.render_with_quarto(notebook, out, "html", **META)
    _fake_quarto(tmp_path / "bin", tmp_path / "args.txt", fail=True)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    with pytest.raises(RuntimeError, match="quarto render failed") as failure:
        quarto.render_with_quarto(notebook, out, "html", **META)
    assert "ERROR: no" in str(failure.value) and "\x1b" not in str(failure.value)
    assert list(out.parent.iterdir()) == []


def test_html_with_an_external_reference_fails_the_build_s_own_check(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = tmp_path / "bin" / "quarto"
    script.parent.mkdir()
    page = '<script src="https://cdn.example/x.js"></script>'
    script.write_text(f"#!/bin/sh\nprintf '{page}' > report.html\n",
                      encoding="utf-8")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", str(script.parent))
    out = tmp_path / "reports" / "nb.html"
    with pytest.raises(RuntimeError, match="not self-contained"):
        quarto.render_with_quarto(_executed(tmp_path), out, "html", **META)
    assert not out.exists()


@needs_quarto
@pytest.mark.integration
def test_a_real_quarto_renders_the_notebook_with_alt_text_date_and_stamp(tmp_path: Path) -> None:
    notebook = _executed(tmp_path)
    page = quarto.render_with_quarto(notebook, tmp_path / "r.html", "html", date="2005-12-31", **META)
    text = page.path.read_text(encoding="utf-8")
    assert 'alt="Bar chart of &quot;scores&quot;"' in text
    assert "31 December 2005" in text and "Invalid Date" not in text
    assert "&lt;Gloucestershire&gt;" in text and "<Gloucestershire>" not in text
    assert STAMP in text and "For analysts only." not in text and "require.min.js" not in text
    assert "<li>first</li>" in text.replace("\n", "")
    pdf = quarto.render_with_quarto(notebook, tmp_path / "r.pdf", "typst", date="2005-12-31", **META)
    assert pdf.path.read_bytes().startswith(b"%PDF")


def test_a_cell_s_own_fig_alt_line_becomes_the_one_option() -> None:
    figure = new_output("display_data", data={"image/png": PNG, "text/plain": "fig"})
    cell = new_code_cell("#| fig-alt: Line chart of rates\nshow(chart)", outputs=[figure])
    nb = quarto.quarto_notebook(new_notebook(cells=[cell]), "html")
    source = nb.cells[0].source
    assert source.count("fig-alt") == 1
    assert yaml.safe_load(source.splitlines()[0].removeprefix("#| ")) == {"fig-alt": ["Line chart of rates"]}
    assert source.endswith("show(chart)")


@needs_quarto
@pytest.mark.integration
def test_quarto_builds_the_example_as_the_built_in_engine_does(tmp_path_factory) -> None:
    """Every example report from a real Quarto: built, its HTML pictures all described, and each PDF
    within a fifth of the built-in engine's page count (the same template and table filter)."""
    from pypdf import PdfReader

    builtin, real = example_build(tmp_path_factory, "builtin"), example_build(tmp_path_factory, "quarto")
    assert real.ok and real.engine == "quarto", [(r.area_id, r.error) for r in real.reports if not r.ok]
    assert real.engine_version and real.engine_version[0].isdigit()
    for ours, theirs in zip(builtin.reports, real.reports, strict=True):
        assert ours.area_id == theirs.area_id and theirs.engine == "quarto"
        page = theirs.outputs["html"].read_text(encoding="utf-8")
        undescribed = re.findall(r'<img (?![^>]*\balt="[^"]+")[^>]*>', page)
        assert page.count("<img ") > 0 and undescribed == [], (ours.area_id, undescribed[:1])
        expected = len(PdfReader(ours.outputs["pdf"]).pages)
        pages = len(PdfReader(theirs.outputs["pdf"]).pages)
        assert abs(pages - expected) <= 0.2 * expected, (ours.area_id, pages, expected)
