"""The report options in `_quarto.yml`: the one file both engines read (the built-in engine, BUILTIN_KEYS)."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

__all__ = ["BUILTIN_KEYS", "OPTIONS_FILE", "ReportOptions", "read_options"]

# The package's copy is a link to the repository's _quarto.yml, so a checkout has one file; a
# wheel carries the file itself (setuptools copies what a link points at).
OPTIONS_FILE = Path(__file__).parent / "templates" / "_quarto.yml"

#: The keys the built-in engine honours, with the rule each value must meet. Quarto reads the whole
#: file; a key outside this list changes Quarto's reports only (docs: README, "Report options").
BUILTIN_KEYS: dict[str, str] = {
    "lang": "a language tag such as en-GB",
    "format.html.toc": "true or false: the contents list at the top of the HTML report",
    "format.html.toc-depth": "1 to 6: the deepest heading level listed in the HTML contents",
    "format.typst.toc": "true or false: the contents after the PDF report's summary",
    "format.typst.toc-depth": "1 to 6: the deepest heading level listed in the PDF contents",
    "format.typst.papersize": "a Typst paper name such as a4 or us-letter",
}


@dataclass(frozen=True)
class ReportOptions:
    """What `_quarto.yml` says about the reports, checked; ``quarto`` is the whole file, for Quarto."""

    lang: str = "en-GB"
    html_toc: bool = True
    html_toc_depth: int = 3
    pdf_toc: bool = True
    pdf_toc_depth: int = 2
    papersize: str = "a4"
    quarto: dict[str, Any] = field(default_factory=dict)

    @property
    def typst_lang(self) -> tuple[str, str]:
        """Typst's ``lang`` and ``region`` for the language tag (en-GB -> "en", "GB")."""
        language, _, region = self.lang.partition("-")
        return language.lower(), region.upper()

    def pandoc_variables(self) -> dict[str, str]:
        """The Typst template's variables, as both engines pass them to pandoc."""
        language, region = self.typst_lang
        variables = {
            "papersize": self.papersize,
            "toc-depth": str(self.pdf_toc_depth),
            "wb-lang": language,
            "wb-region": region,
        }
        if self.pdf_toc:
            variables["toc"] = "true"
        return variables

    def quarto_project(self, fmt: str) -> dict[str, Any]:
        """The file's options as a one-render project's ``_quarto.yml``: no output folder (the
        render writes beside its notebook, in a folder of its own) and only the format asked for."""
        project = copy.deepcopy(self.quarto)
        project["project"] = {"type": "default"}
        formats = project.get("format") or {}
        project["format"] = {fmt: formats.get(fmt) or {}}
        return project


def read_options(path: Path = OPTIONS_FILE) -> ReportOptions:
    """Read and check the report options; every problem at once, naming the file, key and value."""
    try:
        loaded = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: cannot read the report options: {exc}") from exc
    data = loaded if isinstance(loaded, dict) else {}
    if loaded is not None and not isinstance(loaded, dict):
        raise ValueError(f"{path}: the report options must be a mapping of keys, not {type(loaded).__name__}")
    problems: list[str] = []
    values: dict[str, Any] = {}
    defaults = ReportOptions()
    checks = {
        "lang": ("lang", _language, defaults.lang),
        "format.html.toc": ("html_toc", _flag, defaults.html_toc),
        "format.html.toc-depth": ("html_toc_depth", _depth, defaults.html_toc_depth),
        "format.typst.toc": ("pdf_toc", _flag, defaults.pdf_toc),
        "format.typst.toc-depth": ("pdf_toc_depth", _depth, defaults.pdf_toc_depth),
        "format.typst.papersize": ("papersize", _paper, defaults.papersize),
    }
    for key, (name, check, default) in checks.items():
        value = _lookup(data, key)
        if value is None:
            values[name] = default
            continue
        checked = check(value)
        if checked is None:
            problems.append(f"{path}: {key} is {value!r}; it must be {BUILTIN_KEYS[key]}")
        else:
            values[name] = checked
    if problems:
        raise ValueError("\n".join(problems))
    return ReportOptions(**values, quarto=data)


def _lookup(data: dict[str, Any], dotted: str) -> Any:
    node: Any = data
    for part in dotted.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _depth(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 6 else None


def _language(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    parts = value.split("-")
    if not (parts[0].isalpha() and 2 <= len(parts[0]) <= 3) or len(parts) > 2:
        return None
    if len(parts) == 2 and not (parts[1].isalnum() and 2 <= len(parts[1]) <= 3):
        return None
    return value


def _paper(value: Any) -> str | None:
    if not isinstance(value, str) or not value or not all(c.isalnum() or c == "-" for c in value):
        return None
    return value.lower()
