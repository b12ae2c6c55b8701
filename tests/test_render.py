"""Tests for analysis.render: self-contained HTML, deterministic A4 PDF, atomic writes, Quarto."""

from __future__ import annotations

import base64
import io
import logging
import re
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from analysis import render

HOSTILE = r"<script>alert(1)</script> #set page(width: 1cm) $x$ *bold* \\ @ref"
ALT = "Line chart of proven reoffending rate by quarter"
TITLE = "Reducing reoffending: Gloucestershire"
SUBTITLE = "Gloucestershire · as of 31 December 2005"
STAMP = "workbook 0.1.0 · commit abc123 · area gloucestershire · as of 2005-12-31"
META = {"title": TITLE, "subtitle": SUBTITLE, "stamp": STAMP}

FIGURE_CELL = f"""\
import matplotlib
matplotlib.use("module://matplotlib_inline.backend_inline")
import matplotlib.pyplot as plt
from IPython.display import display
fig, ax = plt.subplots(figsize=(6, 3))
ax.plot([1, 2, 3, 4], [0.31, 0.29, 0.30, 0.27])
ax.set_title("Proven reoffending rate")
display(fig, metadata={{"image/png": {{"alt": {ALT!r}}}}})
plt.close(fig)
"""

TABLE_CELL = f"""\
import pandas as pd
pd.set_option("display.max_colwidth", None)
HOSTILE = {HOSTILE!r}
df = pd.DataFrame({{"area": ["Gloucestershire", HOSTILE], "rate": [0.31, 0.27]}})
df
"""

GT_CELL = """\
from great_tables import GT
GT(df).tab_header(title="Great tables title")
"""

EXTERNAL = re.compile(
    r"<(?!a\b)[a-z][^>]*\b(?:src|href)\s*=\s*['\"]?\s*(?:https?:)?//|url\(\s*['\"]?\s*https?:",
    re.IGNORECASE,
)


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small notebook executed with nbclient, like papermill's output."""
    nbclient = pytest.importorskip("nbclient")
    nb = new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [
        new_markdown_cell(
            "## Section\n\nIntro with a [link](https://example.org/guide).\n\n### Sub"
        ),
        new_code_cell(FIGURE_CELL),
        new_code_cell(TABLE_CELL),
        new_code_cell(GT_CELL),
        new_markdown_cell("## Notes\n\nClosing text."),
        new_code_cell("print('printed ' + HOSTILE)"),
    ]
    nbclient.NotebookClient(nb, kernel_name="python3", timeout=120).execute()
    path = tmp_path_factory.mktemp("executed") / "report.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def html_page(executed: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    out = render.render_html(executed, tmp_path_factory.mktemp("html") / "r.html", **META)
    return out.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def pdf_bytes(executed: Path, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return render.render_pdf(
        executed, tmp_path_factory.mktemp("pdf") / "r.pdf", **META
    ).read_bytes()


def _png() -> str:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2, 1))
    ax.bar(["a", "b"], [1, 2])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _unexecuted(tmp_path: Path, cells: list[nbformat.NotebookNode]) -> Path:
    nb = new_notebook()
    nb.cells = cells
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    return path


def _pdf_text(pdf: bytes) -> list[str]:
    pypdf = pytest.importorskip("pypdf")
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


# --- HTML ---------------------------------------------------------------------------------


def test_html_is_self_contained(html_page: str) -> None:
    assert not EXTERNAL.findall(html_page)
    assert "require.js" not in html_page and "mathjax" not in html_page.lower()
    assert "<script" not in html_page.lower()
    assert 'href="https://example.org/guide"' in html_page  # links in text are fine


def test_html_embeds_figure_with_alt_text(html_page: str) -> None:
    images = re.findall(r"<img\b[^>]*>", html_page)
    assert len(images) == 1
    assert 'src="data:image/png;base64,' in images[0]
    assert f'alt="{ALT}"' in images[0]


def test_html_structure(html_page: str) -> None:
    assert '<html lang="en-GB">' in html_page
    assert len(re.findall(r"<h1\b", html_page)) == 1
    assert f"<h1>{TITLE}</h1>" in html_page
    nav = re.search(r"<nav\b.*?</nav>", html_page, re.DOTALL)
    assert nav is not None
    for heading in ("Section", "Sub", "Notes"):
        match = re.search(rf'<h[23] id="([^"]+)">{heading}</h[23]>', html_page)
        assert match, heading
        assert f'href="#{match.group(1)}">{heading}</a>' in nav.group(0)
    footer = re.search(r"<footer\b.*?</footer>", html_page, re.DOTALL)
    assert footer is not None and STAMP in footer.group(0)
    assert "@media print" in html_page


def test_html_contents_are_a_sidebar_on_screen_and_left_off_paper(html_page: str) -> None:
    order = [html_page.index(tag) for tag in ('<header class="wb-masthead">', "<nav", '<main id="content">')]
    assert order == sorted(order)
    screen = re.search(r"@media screen and \(min-width: [^)]+\) \{(.*?)\n\}", html_page, re.DOTALL)
    assert screen and re.search(r"\.wb-contents \{[^}]*position: sticky", screen.group(1))
    printed = re.search(r"@media print \{(.*?)\n\}", html_page, re.DOTALL)
    assert printed and ".wb-contents { display: none; }" in printed.group(1)


def test_html_has_no_code_or_prompts(html_page: str) -> None:
    assert "plt.subplots" not in html_page
    assert "pd.DataFrame" not in html_page
    assert "In&nbsp;[" not in html_page and "Out[" not in html_page


def test_html_escapes_hostile_text(html_page: str) -> None:
    assert "<script>alert" not in html_page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html_page
    assert "Great tables title" in html_page


def test_html_is_deterministic_and_path_free(executed: Path, tmp_path: Path) -> None:
    first = render.render_html(executed, tmp_path / "a" / "one.html", **META).read_bytes()
    second = render.render_html(executed, tmp_path / "b" / "two.html", **META).read_bytes()
    assert first == second
    assert str(executed.parent).encode() not in first
    assert str(tmp_path).encode() not in first


def test_html_demotes_h1_and_uses_fig_alt_fallback(tmp_path: Path, caplog) -> None:
    image = new_output("display_data", data={"image/png": _png(), "text/plain": "<Figure>"})
    nb = _unexecuted(
        tmp_path,
        [
            new_markdown_cell("# Top\n\n## Top"),
            new_code_cell("#| fig-alt: Bar chart of two values\nplt.show()", outputs=[image]),
        ],
    )
    with caplog.at_level(logging.WARNING, logger="analysis.render"):
        page = render.render_html(nb, tmp_path / "r.html", **META).read_text(encoding="utf-8")
    assert len(re.findall(r"<h1\b", page)) == 1
    ids = re.findall(r'<h2 id="([^"]+)">Top</h2>', page)
    assert len(ids) == 2 and len(set(ids)) == 2
    assert 'alt="Bar chart of two values"' in page
    assert "Demoted 1 level-1" in caplog.text


# --- PDF ----------------------------------------------------------------------------------


def test_pdf_is_a4_with_a_title_block_contents_after_the_first_section_and_page_numbers(
        pdf_bytes: bytes) -> None:
    pypdf = pytest.importorskip("pypdf")
    reader = pypdf.PdfReader(io.BytesIO(pdf_bytes))
    for page in reader.pages:
        box = page.mediabox
        assert float(box.width) == pytest.approx(595.28, abs=0.05)
        assert float(box.height) == pytest.approx(841.89, abs=0.05)
    pages = _pdf_text(pdf_bytes)
    # No cover page: the title block, then the first section, then the contents.
    first = pages[0]
    assert TITLE in first and SUBTITLE in first and STAMP in first
    assert first.index(TITLE) < first.index("Section") < first.index("Intro with a")
    text = "\n".join(pages)
    contents = text.index("Contents")
    assert text.index("Intro with a") < contents < text.rindex("Notes")
    assert "Sub" in text[contents:] and "Closing text" in text[contents:]
    total = len(pages)
    assert f"Page 1 of {total}" in pages[0]
    assert f"Page {total} of {total}" in pages[-1]
    body = "\n".join(pages)
    assert "Great tables title" in body and "Gloucestershire" in body


def test_pdf_renders_hostile_text_literally(pdf_bytes: bytes) -> None:
    body = _squash("".join(_pdf_text(pdf_bytes)))
    # Once in the pandas table, once in the great_tables table, once printed.
    assert body.count(_squash(HOSTILE)) == 3


def test_pdf_keeps_alt_text(pdf_bytes: bytes) -> None:
    assert ALT in _alt_texts(pdf_bytes)


def _alt_texts(pdf_bytes: bytes) -> list[str]:
    """Every /Alt in the PDF's structure tree (tagged PDF: what a screen reader reads)."""
    pypdf = pytest.importorskip("pypdf")
    reader = pypdf.PdfReader(io.BytesIO(pdf_bytes))
    found: list[str] = []
    seen: set[int] = set()

    def walk(node: object) -> None:
        if isinstance(node, pypdf.generic.IndirectObject):
            if node.idnum in seen:
                return
            seen.add(node.idnum)
            node = node.get_object()
        if isinstance(node, pypdf.generic.DictionaryObject):
            if "/Alt" in node:
                found.append(str(node["/Alt"]))
            for key, value in node.items():
                if key not in ("/P", "/Parent", "/Pg"):
                    walk(value)
        elif isinstance(node, pypdf.generic.ArrayObject):
            for value in node:
                walk(value)

    walk(reader.trailer["/Root"].get("/StructTreeRoot"))
    return found


def test_pdf_is_byte_identical(executed: Path, pdf_bytes: bytes, tmp_path: Path) -> None:
    again = render.render_pdf(executed, tmp_path / "elsewhere" / "again.pdf", **META)
    assert again.read_bytes() == pdf_bytes


def test_pdf_without_alt_text_still_renders(tmp_path: Path, caplog) -> None:
    image = new_output("display_data", data={"image/png": _png(), "text/plain": "<Figure>"})
    nb = _unexecuted(tmp_path, [new_markdown_cell("## Chart"), new_code_cell("", outputs=[image])])
    with caplog.at_level(logging.WARNING, logger="analysis.render"):
        out = render.render_pdf(nb, tmp_path / "r.pdf", title=HOSTILE, subtitle="", stamp=HOSTILE)
    assert "has no alt text" in caplog.text
    assert "not PDF/UA-1" in caplog.text
    pages = _pdf_text(out.read_bytes())
    assert _squash(HOSTILE) in _squash(pages[0])
    assert len(pages) == 1  # the title block and the chart: no cover, no contents page


def test_pdf_keeps_a_chart_with_its_heading_title_and_source(tmp_path: Path) -> None:
    """A chart near the foot of a page moves whole to the next: heading, title, figure, source.

    Seven filler paragraphs leave too little room for the chart on the first body page; before
    the chart was kept together, its heading and title stayed behind and the figure went on.
    """
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    ax.bar(["a", "b"], [1, 2])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    chart = [
        new_output("display_data", data={"text/markdown": "**Chart title here**\n\nWhat it shows.",
                                         "text/plain": "title"}),
        new_output("display_data", data={"image/png": base64.b64encode(buffer.getvalue()).decode(),
                                         "text/plain": "[Chart]"},
                   metadata={"image/png": {"alt": "A bar chart"}}),
        new_output("display_data", data={"text/markdown": "*Source: test data*", "text/plain": "s"}),
    ]
    filler = "\n\n".join(f"Filler paragraph {i} " + "words " * 60 for i in range(7))
    nb = _unexecuted(tmp_path, [new_markdown_cell("## Filler\n\n" + filler),
                                new_markdown_cell("## Chart section"), new_code_cell("", outputs=chart)])
    pages = _pdf_text(render.render_pdf(nb, tmp_path / "r.pdf", **META).read_bytes())
    on = {text: [i for i, page in enumerate(pages) if text in page][-1]  # not the contents
          for text in ("Chart section", "Chart title here", "Source: test data", "Filler paragraph 6")}
    assert on["Chart section"] == on["Chart title here"] == on["Source: test data"]
    assert on["Chart section"] == on["Filler paragraph 6"] + 1


def test_pdf_long_table_repeats_its_headings_but_not_its_note(tmp_path: Path) -> None:
    """A table over two pages: column headings on each, the note and source once, at the end."""
    rows = "".join(f"<tr><td>Recommendation {i}</td><td>{i}</td></tr>" for i in range(120))
    table = ("<table><thead><tr><th>Recommendation</th><th>Days late</th></tr></thead>"
             f"<tbody>{rows}</tbody><tfoot><tr><td colspan='2'>Method note for the table</td></tr>"
             "</tfoot></table>")
    nb = _unexecuted(tmp_path, [new_code_cell("", outputs=[new_output(
        "display_data", data={"text/html": table, "text/plain": "table"})])])
    pages = _pdf_text(render.render_pdf(nb, tmp_path / "r.pdf", **META).read_bytes())
    spanned = [page for page in pages if re.search(r"Recommendation \d", page)]
    assert len(spanned) >= 2
    assert all("Days late" in page for page in spanned)
    assert sum(page.count("Method note for the table") for page in pages) == 1
    assert "Method note for the table" in pages[-1]


def test_pdf_tables_align_columns_of_figures_right_even_with_missing_cells() -> None:
    pypandoc = pytest.importorskip("pypandoc")
    table = ("<table><thead><tr><th colspan='3'>Areas at a glance</th></tr>"
             "<tr><th>Area</th><th>Strands</th><th>Rating</th></tr></thead><tbody>"
             "<tr><td>Derby</td><td>\u2013</td><td>Partly met</td></tr>"
             "<tr><td>Gloucestershire</td><td>1,018</td><td>66</td></tr>"
             "<tr><td>Plymouth</td><td>[c]</td><td>\u2212</td></tr></tbody></table>")
    typst = pypandoc.convert_text(table, to="typst", format="html",
                                  extra_args=[f"--lua-filter={render.PDF_FILTER}"])
    # Area is text; Strands holds only figures, a dash and a withheld cell; Rating mixes words.
    assert "align: (left,right,left,)" in typst
    assert "table.cell(align: left, colspan: 3)[Areas at a glance]" in typst


def _typst_table(header: list[str], rows: list[list[str]]) -> str:
    pypandoc = pytest.importorskip("pypandoc")
    cells = lambda tag, row: "".join(f"<{tag}>{c}</{tag}>" for c in row)  # noqa: E731
    table = (f"<table><thead><tr>{cells('th', header)}</tr></thead><tbody>"
             + "".join(f"<tr>{cells('td', row)}</tr>" for row in rows) + "</tbody></table>")
    return pypandoc.convert_text(table, to="typst", format="html",
                                 extra_args=[f"--lua-filter={render.PDF_FILTER}"])


def _widths(typst: str) -> list[float]:
    match = re.search(r"columns: \(([^)]*)\)", typst)
    assert match, typst
    return [float(w.rstrip("%")) for w in match.group(1).split(",") if w.strip()]


NI30_HEADER = ["Area", "Baseline cohort", "Offenders", "Baseline re-offences", "Ceiling", "Target",
               "Change needed (%)", "Latest cohort", "Latest re-offences", "Change so far (%)", "Status"]


def test_pdf_table_too_wide_for_the_page_gives_each_column_room_for_its_longest_word() -> None:
    """Typst shares a too-wide table's width equally, so "Northamptonshire" overprinted the NI 30
    table's next column (seen in the example reports); the filter sets widths that hold it."""
    rows = [["Northamptonshire", "2007-Q4", "239", "858", "732", "719", "\u221216.2", "\u2013",
             "\u2013", "\u2013", "No later data: the cohort after the baseline is not yet published"]]
    typst = _typst_table(NI30_HEADER, rows)
    widths = _widths(typst)
    assert len(widths) == 11 and abs(sum(widths) - 100) < 0.1
    # 16 characters of 8pt type need about 61pt; 1% of the 481.9pt text width is 4.8pt.
    assert widths[0] * 4.819 >= 61
    assert widths[0] == max(widths)  # no other column holds so long a word
    assert "hyphenate" not in typst


def test_pdf_table_widths_follow_headings_under_a_spanner() -> None:
    """Headings beside a spanner span two rows, so the row below starts further right."""
    pypandoc = pytest.importorskip("pypandoc")
    below = ["Implemented"] * 10
    below[2] = "Recommendationswithoutastrand"  # the third heading under the spanner: column 4
    table = ("<table><thead><tr><th rowspan='2'>Area</th><th colspan='10'>Recommendations</th></tr>"
             f"<tr>{''.join(f'<th>{h}</th>' for h in below)}</tr></thead><tbody><tr><td>Derby</td>"
             + "<td>1</td>" * 10 + "</tr></tbody></table>")
    widths = _widths(pypandoc.convert_text(table, to="typst", format="html",
                                           extra_args=[f"--lua-filter={render.PDF_FILTER}"]))
    assert widths.index(max(widths)) == 3


def test_pdf_table_that_fits_keeps_typsts_widths_and_one_too_crowded_may_hyphenate() -> None:
    fits = _typst_table(["Area", "Strands"], [["Gloucestershire", "18"]])
    assert "columns: 2" in fits and "hyphenate" not in fits
    # Twelve columns each headed by a word of 15 letters cannot all fit across 170mm.
    crowded = _typst_table(["Recommendations"] * 12, [["Gloucestershire"] * 12])
    assert "#[#set text(hyphenate: true)" in crowded
    assert len(_widths(crowded)) == 12


def test_remote_image_is_not_fetched(tmp_path: Path, caplog) -> None:
    cell = new_markdown_cell("## Logo\n\n![Force logo](https://example.org/logo.png)")
    nb = _unexecuted(tmp_path, [cell])
    with caplog.at_level(logging.WARNING, logger="analysis.render"):
        render.render_html(nb, tmp_path / "r.html", **META)
        out = render.render_pdf(nb, tmp_path / "r.pdf", **META)
    assert "external resource" in caplog.text
    assert "[Image not embedded: Force logo]" in _pdf_text(out.read_bytes())[0]


# --- atomic writes ------------------------------------------------------------------------


@pytest.mark.parametrize("renderer", [render.render_html, render.render_pdf])
def test_corrupt_notebook_leaves_no_output(renderer, tmp_path: Path) -> None:
    bad = tmp_path / "bad.ipynb"
    bad.write_text('{"cells": [', encoding="utf-8")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    with pytest.raises(Exception):  # noqa: B017 - any read error will do
        renderer(bad, out_dir / "report.out", **META)
    assert list(out_dir.iterdir()) == []


def test_failure_keeps_previous_output(executed: Path, tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "report.pdf"
    out.write_bytes(b"previous")

    def broken(*args: object, **kwargs: object) -> bytes:
        raise RuntimeError("typst failed")

    monkeypatch.setattr(render.typst, "compile", broken)
    with pytest.raises(RuntimeError, match="typst failed"):
        render.render_pdf(executed, out, **META)
    assert out.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["report.pdf"]


# --- page one, vectors, colours, links (hand-made outputs: no kernel) -------------------------

HEADLINE = "Three strands are red and the board is asked to agree a recovery plan."
CHART_LABEL = "Accommodation strands"
CHART_ALT = "Bar chart of strands by pathway: accommodation 3, health 5"
RAG_RED = "#D4351C"  # tables._RAG's red: 0xD4, 0x35, 0x1C = 212, 53, 28 of 255


def _svg_chart_output() -> nbformat.NotebookNode:
    """A chart as analysis.charts.show displays it: SVG and PNG with alt text on both."""
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    from analysis.figures import figure_bundle

    fig = Figure(figsize=(5, 2.5))
    ax = fig.add_subplot()
    ax.barh([CHART_LABEL, "Health strands"], [3, 5])
    data, metadata = figure_bundle(fig, CHART_ALT, dpi=72)
    return new_output("display_data", data=data, metadata=metadata)


def _rag_table_output() -> nbformat.NotebookNode:
    """A great-tables table styled as tables._style_rag styles a red RAG cell."""
    pd = pytest.importorskip("pandas")
    from great_tables import GT, loc, style

    gt = GT(pd.DataFrame({"Strand": ["Find housing", "Train staff"], "RAG": ["Red", "Green"]}))
    gt = gt.tab_style(style=[style.fill(color=RAG_RED), style.text(color="#FFFFFF", weight="bold")],
                      locations=loc.body(columns="RAG", rows=[0]))
    return new_output("display_data", data={"text/html": gt.as_raw_html(), "text/plain": "table"})


@pytest.fixture(scope="module")
def board_paper(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, bytes]:
    """A summary, a chart, a RAG table and links to other reports, as HTML and as PDF."""
    folder = tmp_path_factory.mktemp("paper")
    nb = _unexecuted(folder, [
        new_markdown_cell(f"## Summary\n\n{HEADLINE}"),
        new_markdown_cell("## Pathway progress"),
        new_code_cell("", outputs=[_svg_chart_output(), _rag_table_output()]),
        new_markdown_cell("## Areas\n\nSee [Derby](../derby/derby.html), the "
                          "[guide](https://example.org/guide.html) and [notes](notes.html)."),
    ])
    page = render.render_html(nb, folder / "r.html", **META).read_text(encoding="utf-8")
    return page, render.render_pdf(nb, folder / "r.pdf", **META).read_bytes()


def test_pdf_page_one_is_the_title_and_summary_with_the_contents_after_it(board_paper) -> None:
    first = _pdf_text(board_paper[1])[0]
    assert first.index(TITLE) < first.index("Summary") < first.index(HEADLINE[:40])
    contents = first.index("Contents")  # the summary is short: the contents follow on page one
    assert first.index(HEADLINE[:40]) < contents < first.rindex("Pathway progress")
    assert "Areas" in first[contents:]


def test_pdf_draws_an_svg_chart_as_vectors_with_text_in_the_body_font(board_paper) -> None:
    pypdf = pytest.importorskip("pypdf")
    reader = pypdf.PdfReader(io.BytesIO(board_paper[1]))
    assert all(len(page.images) == 0 for page in reader.pages)  # no raster image anywhere
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert CHART_LABEL in text  # the chart's labels are text, not pixels or outlines
    content = b"".join(page.get_contents().get_data() for page in reader.pages)
    assert re.search(rb"\sre\s|\sl\s", content)  # rectangles or lines: the bars and axes
    fonts = {str(font["/BaseFont"]) for page in reader.pages
             for font in page["/Resources"]["/Font"].values()}
    assert fonts and all("LibertinusSerif" in name for name in fonts), fonts
    assert CHART_ALT in _alt_texts(board_paper[1])


def test_html_keeps_one_file_with_the_png_and_its_alt_text(board_paper) -> None:
    page = board_paper[0]
    images = re.findall(r"<img\b[^>]*>", page)
    assert len(images) == 1
    assert 'src="data:image/png;base64,' in images[0] and f'alt="{CHART_ALT}"' in images[0]
    assert "image/svg+xml" not in page and "<svg" not in page
    assert not EXTERNAL.findall(page)


def test_pdf_colours_a_rag_cell_and_keeps_its_word(board_paper) -> None:
    pypdf = pytest.importorskip("pypdf")
    reader = pypdf.PdfReader(io.BytesIO(board_paper[1]))
    content = b"".join(page.get_contents().get_data() for page in reader.pages).decode("latin-1")
    fills = [tuple(float(v) for v in m.groups())
             for m in re.finditer(r"([\d.]+) ([\d.]+) ([\d.]+) (?:rg|scn)\b", content)]
    assert any(all(abs(a - b) < 1e-3 for a, b in zip(fill, (212 / 255, 53 / 255, 28 / 255), strict=True))
               for fill in fills), fills
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert re.search(r"Find housing\s+Red", text)


def test_a_link_to_another_report_goes_to_its_html_or_its_pdf(board_paper) -> None:
    pypdf = pytest.importorskip("pypdf")
    page, pdf = board_paper
    assert 'href="../derby/derby.html"' in page
    uris = {str(annot.get_object()["/A"]["/URI"]) for p in pypdf.PdfReader(io.BytesIO(pdf)).pages
            for annot in p.get("/Annots", []) if "/A" in annot.get_object()}
    # Only a sibling report (../x/x.html) changes; a web page or another file stays as written.
    assert uris == {"../derby/derby.pdf", "https://example.org/guide.html", "notes.html"}


@pytest.mark.parametrize("fillers", [8, 9, 10, 11])
def test_pdf_keeps_a_heading_and_its_introduction_with_the_table_they_introduce(
        tmp_path: Path, fillers: int) -> None:
    """East Midlands ended a page with "Data completeness" and its one-line introduction, the
    table overleaf. Filler paragraphs push the section down a line or so at a time, past the
    point where the heading and introduction fit but the table does not."""
    rows = "".join(f"<tr><td>Item {i}</td><td>Present</td></tr>" for i in range(8))
    table = f"<table><thead><tr><th>Data</th><th>Status</th></tr></thead><tbody>{rows}</tbody></table>"
    filler = "\n\n".join(f"Filler paragraph {i} " + "words " * 40 for i in range(fillers))
    nb = _unexecuted(tmp_path, [
        new_markdown_cell("## Filler\n\n" + filler),
        new_markdown_cell("## Data completeness\n\nWhat this area's data holds."),
        new_code_cell("", outputs=[new_output("display_data",
                                              data={"text/html": table, "text/plain": "t"})]),
    ])
    pages = _pdf_text(render.render_pdf(nb, tmp_path / "r.pdf", **META).read_bytes())
    on = {text: [i for i, page in enumerate(pages) if text in page][-1]
          for text in ("Data completeness", "What this area's data holds", "Item 0")}
    assert on["Data completeness"] == on["What this area's data holds"] == on["Item 0"]


def test_pdf_tables_leave_the_type_to_the_template() -> None:
    """Quarto writes a table's CSS (font stack, font-size: 90%) as typst:text: attributes, which
    pandoc sets before the table unscoped: each later paragraph shrank by a tenth a table (Quarto's
    Derby PDF was a page short, its appendix in small type). The filter drops font and size."""
    pypandoc = pytest.importorskip("pypandoc")
    table = ('<table typst:text:size="0.9em" typst:text:font="Arial"><thead><tr>'
             '<th typst:text:size="1.1em" typst:text:fill="rgb(&quot;#333333&quot;)">A</th></tr></thead>'
             "<tbody><tr><td>1</td></tr></tbody></table><p>after</p>")
    plain = pypandoc.convert_text(table, to="typst", format="html")
    assert "#set text(size: 0.9em , font: Arial); #table(" in plain  # what pandoc does unfiltered
    typst = pypandoc.convert_text(table, to="typst", format="html",
                                  extra_args=[f"--lua-filter={render.PDF_FILTER}"])
    assert "size:" not in typst and "Arial" not in typst
    assert 'fill: rgb("#333333")' in typst  # a cell's colour is kept
