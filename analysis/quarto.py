"""Render an executed notebook with the Quarto CLI: each render in a folder of its own, outside any project.

What a real Quarto 1.7 does with a workbook notebook, and why each step below is needed, is in
``shared/notes/toolchain.md`` and the issue "Quarto, for real". In short:

* a notebook rendered with ``--output-dir`` and no project of its own is refused inside the
  repository's ``_quarto.yml`` tree, and two such renders in one folder delete each other's temp
  files (quarto-cli #6116, #9745): each render gets a temp folder holding the notebook and a copy
  of the report options as its own one-file project, and its outputs are moved into ``--out``;
* Quarto reads alt text from the ``fig-alt`` cell option, not from output metadata; parses ``date``
  as a date; honours ``remove-cell`` on code cells only; needs a blank line before a Markdown list;
  and links require.js and jQuery from a CDN for any ``text/html`` output. The notebook Quarto sees
  is a prepared copy that says all of that its way;
* for the PDF, Quarto writes Typst with the workbook's own page template and table filter
  (``render.TYPST_TEMPLATE``, ``render.PDF_FILTER``), and the workbook compiles the kept ``.typ``
  with its own Typst (bundled fonts, PDF/UA-1, fixed timestamp), as the built-in engine does.
"""

from __future__ import annotations

import html
import json
import logging
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from . import render
from .alttext import ALT_KEY
from .files import atomic_path
from .labels import markdown_text
from .report_options import ReportOptions, read_options
from .workspace import popen_tie

__all__ = [
    "QUARTO_FORMATS",
    "QuartoRender",
    "engine_available",
    "quarto_command",
    "quarto_notebook",
    "render_with_quarto",
]

log = logging.getLogger(__name__)

#: Quarto's format name -> the extension of the report it makes.
QUARTO_FORMATS = {"html": ".html", "typst": ".pdf"}

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
# Quarto's warnings and errors (its own, pandoc's "[WARNING]", its Lua filters' "(W)" and "(E)",
# Deno's "error:"); not its progress lines. QUARTO_LOG_LEVEL=WARNING would hide the Lua ones.
_WARNING = re.compile(r"^\s*(?:WARN(?:ING)?\b|ERROR\b|\[(?:WARNING|ERROR)\]|\([WE]\)|error:)")
# A line that starts a Markdown list item (bullet or number), the line before it not a list line.
_LIST_ITEM = re.compile(r"^\s{0,3}(?:[-*+]|\d{1,9}[.)])\s+\S")


@dataclass(frozen=True)
class QuartoRender:
    """One finished Quarto render: the report written and every warning Quarto printed."""

    path: Path
    warnings: list[str] = field(default_factory=list)


def engine_available() -> str:
    """Return "quarto" when a quarto executable is on PATH, else "builtin"."""
    return "quarto" if shutil.which("quarto") else "builtin"


def quarto_command(notebook: Path, fmt: str, *, quarto: str = "quarto") -> list[str]:
    """``quarto render`` for an already-executed notebook, run in its own project folder (never
    --execute, never --output-dir: the report is written beside the notebook)."""
    if fmt not in QUARTO_FORMATS:
        raise ValueError(f"Quarto format must be one of {sorted(QUARTO_FORMATS)}, not {fmt!r}")
    return [quarto, "render", Path(notebook).name, "--to", fmt]


def quarto_notebook(nb: nbformat.NotebookNode, fmt: str) -> nbformat.NotebookNode:
    """The notebook as Quarto must see it to render what the built-in engine renders.

    A copy of ``nb`` (``render.prepare_notebook``: alt text resolved, scripts removed, one image
    format per output) in which cells tagged ``remove-cell`` are gone whatever their type, outputs
    tagged ``remove-output`` are cleared, each figure's alt text is a ``fig-alt`` cell option,
    HTML outputs are raw HTML blocks in Markdown (so Quarto sees no widget and links no script),
    and every Markdown list has the blank line before it that Pandoc needs.
    """
    if fmt not in QUARTO_FORMATS:
        raise ValueError(f"Quarto format must be one of {sorted(QUARTO_FORMATS)}, not {fmt!r}")
    prefer = render.HTML_IMAGE if fmt == "html" else render.PDF_IMAGE
    nb = render.prepare_notebook(nb, prefer=prefer)
    kept = []
    for cell in nb.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & set(render.REMOVE_CELL_TAGS):
            continue
        if cell.cell_type == "markdown":
            cell.source = _lists_apart(cell.source)
        elif cell.cell_type == "code":
            if tags & set(render.REMOVE_OUTPUT_TAGS):
                cell.outputs = []
            _quarto_outputs(cell)
        kept.append(cell)
    nb.cells = kept
    return nb


def render_with_quarto(
    notebook: Path,
    out: Path,
    fmt: str,
    *,
    title: str,
    subtitle: str,
    stamp: str,
    date: str | None = None,
    options: ReportOptions | None = None,
    timeout: float = 600,
) -> QuartoRender:
    """Render with the Quarto CLI (fmt "html" or "typst"); raise if Quarto is missing or fails.

    ``date`` (ISO, the date the report is as of) becomes Quarto's ``date``; the build ``stamp`` goes
    in the HTML footer and the PDF's page footer. The HTML must refer to nothing outside itself and
    the PDF is compiled by the workbook's Typst from the ``.typ`` Quarto keeps.
    """
    started = time.perf_counter()
    notebook, out = Path(notebook), Path(out)
    executable = shutil.which("quarto")
    if executable is None:
        raise FileNotFoundError("quarto is not on PATH; use render_html/render_pdf instead")
    if fmt not in QUARTO_FORMATS:
        raise ValueError(f"Quarto format must be one of {sorted(QUARTO_FORMATS)}, not {fmt!r}")
    options = options or read_options()
    prepared = quarto_notebook(nbformat.read(notebook, as_version=4), fmt)
    out.parent.mkdir(parents=True, exist_ok=True)
    # The system temp (a build's own folder there): outside the repository's _quarto.yml tree.
    with tempfile.TemporaryDirectory(prefix="workbook-quarto-") as work_dir:
        work = Path(work_dir)
        source = work / "report.ipynb"
        # Front matter, not --metadata-file: without a title in the notebook's own front matter,
        # Quarto takes its first heading ("Summary") as the title (jupyter-fixups.ts).
        front = json.dumps(_metadata(title, subtitle, date, options), ensure_ascii=False)
        prepared.cells.insert(0, nbformat.v4.new_raw_cell(f"---\n{front}\n---"))
        nbformat.write(prepared, source)
        _write_project(work, fmt, options, stamp)
        command = quarto_command(source, fmt, quarto=executable)
        log.info("Running %s in %s", " ".join(command), work)
        environ = {**os.environ, "NO_COLOR": "1"}
        # Tied to this process: a worker killed mid-render takes Quarto with it (Linux).
        result = subprocess.run(command, cwd=work, env=environ, capture_output=True, text=True,
                                timeout=timeout, check=False, **popen_tie())
        messages = _plain(result.stderr)
        if result.returncode != 0:
            raise RuntimeError(f"quarto render failed ({result.returncode}) for {notebook}: "
                               f"{messages.strip()[-2000:]}")
        warnings = list(dict.fromkeys(line.strip() for line in messages.splitlines() if _WARNING.match(line)))
        for warning in warnings:
            log.warning("Quarto, %s: %s", out.name, warning)
        if fmt == "html":
            _finish_html(work / "report.html", out)
        else:
            _finish_pdf(work / "report.typ", out, title=title, subtitle=subtitle, stamp=stamp)
    log.info("Quarto rendered %s -> %s in %.2f s", notebook, out, time.perf_counter() - started)
    return QuartoRender(out, warnings)


def _quarto_outputs(cell: nbformat.NotebookNode) -> None:
    """Alt text into ``#| fig-alt`` (one entry an output, Quarto's broadcast rule); HTML -> raw Markdown."""
    alts: list[str] = []
    for output in cell.get("outputs", []):
        data = output.get("data") or {}
        alt = ""
        for mime in render.IMAGE_MIMETYPES:
            if mime in data:
                alt = str((output.get("metadata", {}).get(mime) or {}).get(ALT_KEY) or "")
                break
        alts.append(alt)
        if "text/html" in data:
            markup = render.output_text(data.pop("text/html"))
            fence = "`" * max(3, _longest_run(markup, "`") + 1)
            data.pop("text/markdown", None)
            data["text/markdown"] = f"{fence}{{=html}}\n{markup}\n{fence}\n"
        elif "text/markdown" in data:
            data["text/markdown"] = _lists_apart(render.output_text(data["text/markdown"]))
    if any(alts):
        # JSON is YAML: each alt text stays one quoted string, whatever characters it holds.
        option = f"#| fig-alt: {json.dumps(alts, ensure_ascii=False)}\n"
        # A cell's own fig-alt line (already in the outputs' metadata) would be a second option.
        cell.source = option + render.FIG_ALT_OPTION.sub("", cell.source).lstrip("\n")


def _longest_run(text: str, char: str) -> int:
    runs = re.findall(re.escape(char) + "+", text)
    return max((len(run) for run in runs), default=0)


def _lists_apart(markdown: str) -> str:
    """A blank line before each list that follows a paragraph line (Pandoc needs it; nbconvert doesn't)."""
    lines = markdown.split("\n")
    result: list[str] = []
    in_code = False
    for line in lines:
        if line.lstrip().startswith(("```", "~~~")):
            in_code = not in_code
        previous = result[-1] if result else ""
        if (not in_code and _LIST_ITEM.match(line) and previous.strip()
                and not _LIST_ITEM.match(previous) and not previous.startswith((" ", "\t"))):
            result.append("")
        result.append(line)
    return "\n".join(result)


def _metadata(title: str, subtitle: str, date: str | None, options: ReportOptions) -> dict[str, object]:
    metadata: dict[str, object] = {"title": markdown_text(title), "lang": options.lang}
    if date:
        # Quarto parses ``date`` as a date: an ISO date, shown "31 December 2005" under "As of".
        metadata |= {"date": date, "date-format": "D MMMM YYYY",
                     "language": {"title-block-published": "As of"}}
    elif subtitle:
        metadata["subtitle"] = markdown_text(subtitle)
    return metadata


def _write_project(work: Path, fmt: str, options: ReportOptions, stamp: str) -> None:
    """The render's own `_quarto.yml`: the report options, plus the workbook's template, filter and stamp."""
    project = options.quarto_project(fmt)
    settings = project["format"][fmt]
    # Data text is escaped (labels.markdown_text); the reader also leaves out what no report
    # writes, so anything that escaped the escaping still cannot become a citation (which fails
    # the PDF: no bibliography) or TeX math (which links MathJax from a CDN).
    settings["from"] = "markdown-citations-tex_math_dollars-tex_math_single_backslash-raw_tex"
    if fmt == "html":
        footer = work / "stamp.html"
        stamp_html = f'<p class="wb-stamp">{html.escape(stamp)}</p>'
        footer.write_text(f'<footer class="wb-footer">{stamp_html}</footer>\n',
                          encoding="utf-8")
        settings |= {"embed-resources": True, "include-after-body": [footer.name]}
    else:
        language, region = options.typst_lang
        settings |= {
            "template": str(render.TYPST_TEMPLATE),
            "keep-typ": True,
            "shift-heading-level-by": -1,
            "papersize": options.papersize,
            "toc": options.pdf_toc,
            "toc-depth": options.pdf_toc_depth,
            "wb-lang": language,
            "wb-region": region,
        }
        # After Quarto's own filters, which turn HTML tables into tables the filter can shape.
        project["filters"] = ["quarto", str(render.PDF_FILTER)]
    (work / "_quarto.yml").write_text(json.dumps(project, ensure_ascii=False, indent=1), encoding="utf-8")


def _finish_html(produced: Path, out: Path) -> None:
    if not produced.is_file():
        raise RuntimeError(f"quarto render reported success but wrote no {produced.name}")
    page = produced.read_text(encoding="utf-8")
    external = render.external_references(page)
    if external:
        raise RuntimeError(f"the HTML Quarto wrote refers to {len(external)} external resource(s), "
                           "so it is not "
                           f"self-contained; the first: {external[0][:160]}")
    with atomic_path(out) as tmp:
        tmp.write_text(page, encoding="utf-8", newline="\n")


def _finish_pdf(typ: Path, out: Path, *, title: str, subtitle: str, stamp: str) -> None:
    if not typ.is_file():
        raise RuntimeError(f"quarto render reported success but kept no {typ.name} (keep-typ)")
    pdf = render.compile_typst(typ, typ.parent, title=title, subtitle=subtitle, stamp=stamp)
    with atomic_path(out) as tmp:
        tmp.write_bytes(pdf)


def _plain(text: str) -> str:
    """Quarto's messages without terminal colour codes."""
    return _ANSI.sub("", text or "")
