"""Executed notebook -> one-file HTML and A4 PDF; figure alt text in output metadata[mime]["alt"]"""

from __future__ import annotations

import copy
import html
import logging
import re
import tempfile
import time
from pathlib import Path
from typing import Any

import nbformat
import pypandoc
import typst
from nbconvert import HTMLExporter
from nbconvert.preprocessors import ExtractOutputPreprocessor
from traitlets.config import Config

from .alttext import ALT_KEY, alt_text_metadata
from .files import atomic_path
from .report_options import ReportOptions, read_options

__all__ = [
    "ALT_KEY",
    "IMAGE_MIMETYPES",
    "PDF_FILTER",
    "REMOVE_CELL_TAGS",
    "REMOVE_OUTPUT_TAGS",
    "TYPST_TEMPLATE",
    "alt_text_metadata",
    "FIG_ALT_OPTION",
    "compile_typst",
    "external_references",
    "output_text",
    "prepare_notebook",
    "render_html",
    "render_pdf",
]

log = logging.getLogger(__name__)

# Alt text convention: a figure output carries its alt text in its output metadata
# (analysis.alttext, which the charts write). Fallback: a Quarto-style ``#| fig-alt: …`` line in
# the cell source applies to the cell's images that have none (the same line serves Quarto).
IMAGE_MIMETYPES = ("image/png", "image/jpeg", "image/svg+xml")
# A figure given both ways (analysis.figures) is a PNG in the one-file HTML (drawn as on screen)
# and an SVG in the PDF (vectors, its text in the body's font).
HTML_IMAGE, PDF_IMAGE = "image/png", "image/svg+xml"
#: Cell tags that leave a cell, or its outputs, out of the report (as in Jupyter Book/nbconvert).
REMOVE_CELL_TAGS = ("remove-cell", "remove_cell")
REMOVE_OUTPUT_TAGS = ("remove-output", "remove_output")

_TEMPLATES = Path(__file__).parent / "templates"
_HTML_TEMPLATE = "workbook_html"
_PANDOC_TEMPLATE = "workbook_pandoc"
#: The PDF page template and table filter, used by both engines (Quarto: analysis.quarto).
TYPST_TEMPLATE = _TEMPLATES / "typst" / "workbook.typ"
PDF_FILTER = _TEMPLATES / "typst" / "workbook.lua"
_CONTENTS_MARKER = "<!--workbook:contents-->"

#: A Quarto-style ``#| fig-alt: …`` line in a cell source.
FIG_ALT_OPTION = re.compile(r"^#\|\s*fig-alt:\s*(.+?)\s*$", re.MULTILINE)
_SCRIPT = re.compile(r"<script\b.*?(?:</script\s*>|$)", re.IGNORECASE | re.DOTALL)
_REMOTE_IMPORT = re.compile(r"@import\s+(?:url\()?\s*['\"]?(?:https?:)?//[^;]*;?", re.IGNORECASE)
_REMOTE_LINK = re.compile(r"<link\b[^>]*\bhref\s*=\s*['\"]?(?:https?:)?//[^>]*>", re.IGNORECASE)
_HEADING = re.compile(r"<h([1-6])\b([^>]*)>(.*?)</h\1\s*>", re.IGNORECASE | re.DOTALL)
_ID_ATTR = re.compile(r"""\bid\s*=\s*(["'])(.*?)\1""", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_EXTERNAL = re.compile(
    r"<(?!a\b)[a-z][^>]*?\b(?:src|href|srcset|data|poster)\s*=\s*['\"]?\s*(?:https?:)?//[^>]*>"
    r"|url\(\s*['\"]?\s*(?:https?:)?//",
    re.IGNORECASE,
)


def render_html(notebook: Path, out: Path, *, title: str, subtitle: str, stamp: str,
                options: ReportOptions | None = None) -> Path:
    """Render an executed notebook to one self-contained HTML file (no code, no external URL)."""
    started = time.perf_counter()
    notebook, out = Path(notebook), Path(out)
    options = options or read_options()
    nb = prepare_notebook(_read_notebook(notebook), prefer=HTML_IMAGE)
    exporter = _exporter(_HTML_TEMPLATE)
    resources = _resources(title, subtitle, stamp, options, toc=options.html_toc)
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    page = _finish_html(body, contents=options.html_toc_depth if options.html_toc else 0)
    for found in external_references(page):
        log.warning("HTML report %s refers to an external resource: %.120s", out, found)
    with atomic_path(out) as tmp:
        tmp.write_text(page, encoding="utf-8", newline="\n")
    log.info("Rendered %s -> %s in %.2f s", notebook, out, time.perf_counter() - started)
    return out


def render_pdf(notebook: Path, out: Path, *, title: str, subtitle: str, stamp: str,
               options: ReportOptions | None = None) -> Path:
    """Render an executed notebook to an A4 PDF: nbconvert HTML -> pandoc Typst -> typst."""
    started = time.perf_counter()
    notebook, out = Path(notebook), Path(out)
    options = options or read_options()
    nb = prepare_notebook(_read_notebook(notebook), prefer=PDF_IMAGE)
    with tempfile.TemporaryDirectory(prefix="workbook-render-") as work_dir:
        work = Path(work_dir)
        exporter = _exporter(_PANDOC_TEMPLATE)
        extract = ExtractOutputPreprocessor(
            output_filename_template="media/{unique_key}_{cell_index}_{index}{extension}"
        )
        exporter.register_preprocessor(extract, enabled=True)
        resources = _resources(title, subtitle, stamp, options)
        resources["unique_key"] = "output"
        body, resources = exporter.from_notebook_node(nb, resources=resources)
        for name, data in resources.get("outputs", {}).items():
            path = work / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data if isinstance(data, bytes) else str(data).encode("utf-8"))
        source_html = work / "report.html"
        source_html.write_text(_finish_html(body, contents=0), encoding="utf-8")
        source_typ = work / "report.typ"
        pypandoc.convert_file(
            str(source_html),
            to="typst",
            format="html",
            outputfile=str(source_typ),
            extra_args=[
                "--standalone",
                f"--template={TYPST_TEMPLATE}",
                f"--lua-filter={PDF_FILTER}",
                "--shift-heading-level-by=-1",
                "--wrap=preserve",
                *(f"--variable={key}={value}" for key, value in options.pandoc_variables().items()),
            ],
            cworkdir=str(work),
        )
        pdf = compile_typst(source_typ, work, title=title, subtitle=subtitle, stamp=stamp)
        with atomic_path(out) as tmp:
            tmp.write_bytes(pdf)
    log.info("Rendered %s -> %s in %.2f s", notebook, out, time.perf_counter() - started)
    return out


def compile_typst(source: Path, root: Path, *, title: str, subtitle: str, stamp: str) -> bytes:
    """Compile to PDF (bundled fonts only, fixed timestamp); PDF/UA-1 when the content allows.

    The page template (TYPST_TEMPLATE) reads the title, subtitle and stamp as Typst inputs, so
    they are always plain text."""
    options: dict[str, Any] = {
        "root": str(root),
        "ignore_system_fonts": True,
        "sys_inputs": {"wb-title": title, "wb-subtitle": subtitle, "wb-stamp": stamp},
        "timestamp": 0,
    }
    try:
        pdf = typst.compile(str(source), pdf_standards=["ua-1"], **options)
    except RuntimeError as error:
        log.warning("PDF is not PDF/UA-1 (%s); writing an untagged-standard PDF", error)
        pdf = typst.compile(str(source), **options)
    if not isinstance(pdf, bytes) or not pdf.startswith(b"%PDF"):
        raise RuntimeError(f"typst did not return a PDF for {source.name}")
    return pdf


def _read_notebook(notebook: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(notebook, as_version=4)
    nbformat.validate(nb)
    return nb


def _exporter(template: str) -> HTMLExporter:
    tags = Config()
    tags.TagRemovePreprocessor.enabled = True
    tags.TagRemovePreprocessor.remove_cell_tags = set(REMOVE_CELL_TAGS)
    tags.TagRemovePreprocessor.remove_all_outputs_tags = set(REMOVE_OUTPUT_TAGS)
    return HTMLExporter(
        config=tags,
        template_name=template,
        extra_template_basedirs=[str(_TEMPLATES)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        exclude_anchor_links=True,
    )


def _resources(title: str, subtitle: str, stamp: str, options: ReportOptions, *,
               toc: bool = False) -> dict[str, Any]:
    return {"workbook": {"title": title, "subtitle": subtitle, "stamp": stamp, "lang": options.lang,
                         "toc": toc}}


def prepare_notebook(nb: nbformat.NotebookNode, *, prefer: str) -> nbformat.NotebookNode:
    """Copy of ``nb`` with alt text resolved and scripts/remote assets removed from outputs.

    An output holding an image in several formats keeps only ``prefer`` (when it has it), so
    the renderer's own order of preference never chooses for it.
    """
    nb = copy.deepcopy(nb)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        match = FIG_ALT_OPTION.search(cell.source)
        cell_alt = match.group(1).strip().strip("\"'") if match else ""
        for output in cell.get("outputs", []):
            data = output.get("data")
            if not data:
                continue
            for key in ("application/javascript", "application/vnd.jupyter.widget-view+json"):
                if key in data and len(data) > 1:
                    del data[key]
            if "text/html" in data:
                data["text/html"] = _clean_output_html(output_text(data["text/html"]), index)
            if prefer in data:
                for mime in IMAGE_MIMETYPES:
                    if mime != prefer and mime in data:
                        del data[mime]
            _resolve_alt(output, cell_alt, index)
    return nb


def _resolve_alt(output: nbformat.NotebookNode, cell_alt: str, index: int) -> None:
    for mime in IMAGE_MIMETYPES:
        if mime not in output.data:
            continue
        metadata = output.setdefault("metadata", nbformat.NotebookNode())
        if not isinstance(metadata.get(mime), dict):
            metadata[mime] = {}
        alt = str(metadata[mime].get(ALT_KEY) or "").strip() or cell_alt
        if not alt:
            log.warning(
                "Cell %d: %s output has no alt text (metadata[%r][%r])", index, mime, mime, ALT_KEY
            )
        metadata[mime][ALT_KEY] = alt


def _clean_output_html(text: str, index: int) -> str:
    cleaned = _SCRIPT.sub("", text)
    cleaned = _REMOTE_IMPORT.sub("", cleaned)
    cleaned = _REMOTE_LINK.sub("", cleaned)
    if cleaned != text:
        log.warning("Cell %d: removed scripts or remote assets from an HTML output", index)
    return cleaned


def output_text(value: Any) -> str:
    """A notebook output's text, given as one string or as a list of lines."""
    return "".join(value) if isinstance(value, list) else str(value)


def _finish_html(page: str, *, contents: int) -> str:
    """Give body headings ids (h1 demoted to h2) and fill the contents list with the headings of
    level 2 to ``contents`` (none when 0)."""
    start = page.find('<main id="content">')
    end = page.rfind("</main>")
    if start < 0 or end < start:
        raise RuntimeError("nbconvert template output has no <main> element")
    head, main, tail = page[:start], page[start:end], page[end:]
    taken = set(m.group(2) for m in _ID_ATTR.finditer(page))
    entries: list[tuple[int, str, str]] = []
    demoted = 0

    def fix(match: re.Match[str]) -> str:
        nonlocal demoted
        level, attrs, inner = int(match.group(1)), match.group(2), match.group(3)
        if level == 1:
            level, demoted = 2, demoted + 1
        label = " ".join(html.unescape(_TAG.sub("", inner)).split())
        found = _ID_ATTR.search(attrs)
        if found:
            ident = found.group(2)
        else:
            ident = _unique_id(label, taken)
            attrs = f' id="{ident}"{attrs}'
        if 2 <= level <= contents and label:
            entries.append((level, ident, label))
        return f"<h{level}{attrs}>{inner}</h{level}>"

    main = _HEADING.sub(fix, main)
    if demoted:
        log.warning("Demoted %d level-1 notebook heading(s) to level 2: start at '##'", demoted)
    if contents:
        if _CONTENTS_MARKER not in head:
            raise RuntimeError("HTML template has no contents marker")
        head = head.replace(_CONTENTS_MARKER, _contents_list(entries), 1)
    return head + main + tail


def _unique_id(label: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-") or "section"
    ident, n = base, 1
    while ident in taken or ident in ("content", "wb-contents-heading"):
        n += 1
        ident = f"{base}-{n}"
    taken.add(ident)
    return ident


def _contents_list(entries: list[tuple[int, str, str]]) -> str:
    if not entries:
        return "<p>No sections.</p>"
    lines = ["<ol>"]
    open_sub = False
    for level, ident, label in entries:
        item = f'<a href="#{html.escape(ident)}">{html.escape(label)}</a>'
        if level >= 3 and len(lines) > 1:
            if not open_sub:
                lines[-1] = lines[-1].removesuffix("</li>")
                lines.append("<ol>")
                open_sub = True
            lines.append(f"<li>{item}</li>")
            continue
        if open_sub:
            lines.append("</ol></li>")
            open_sub = False
        lines.append(f"<li>{item}</li>")
    if open_sub:
        lines.append("</ol></li>")
    lines.append("</ol>")
    return "\n".join(lines)


def external_references(page: str) -> list[str]:
    """Tags (other than <a>) or CSS url() that would fetch something from the network."""
    return [m.group(0) for m in _EXTERNAL.finditer(page)]
