"""The report options (_quarto.yml): one file, read and checked for both engines."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.report_options import OPTIONS_FILE, read_options

ROOT = Path(__file__).resolve().parent.parent


def test_the_package_reads_the_repository_s_own_quarto_yml() -> None:
    assert OPTIONS_FILE.read_bytes() == (ROOT / "_quarto.yml").read_bytes()
    options = read_options()
    found = (options.lang, options.html_toc_depth, options.pdf_toc_depth, options.papersize)
    assert found == ("en-GB", 3, 2, "a4")
    assert options.typst_lang == ("en", "GB")
    assert options.pandoc_variables() == {"papersize": "a4", "toc-depth": "2", "wb-lang": "en",
                                          "wb-region": "GB", "toc": "true"}


def test_every_bad_option_is_named_at_once(tmp_path: Path) -> None:
    bad = tmp_path / "_quarto.yml"
    bad.write_text("lang: 42\nformat:\n  html:\n    toc: 'yes'\n  typst:\n    toc-depth: 9\n",
                   encoding="utf-8")
    with pytest.raises(ValueError) as raised:
        read_options(bad)
    message = str(raised.value)
    assert f"{bad}: lang is 42" in message
    assert "format.html.toc is 'yes'; it must be true or false" in message
    assert "format.typst.toc-depth is 9; it must be 1 to 6" in message


def test_a_report_without_contents_when_the_options_say_so(tmp_path: Path) -> None:
    none = tmp_path / "_quarto.yml"
    none.write_text("format:\n  typst:\n    toc: false\n", encoding="utf-8")
    options = read_options(none)
    assert not options.pdf_toc and "toc" not in options.pandoc_variables()
    assert options.quarto_project("typst") == {"format": {"typst": {"toc": False}},
                                               "project": {"type": "default"}}
