"""Reader language: no identifier or parameter name in any example report's text, the
parameters said in words, and a glossary of exactly the terms each report uses."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from analysis.glossary import shipped_terms, terms_used, texts_of
from analysis.overview import OverviewReport
from analysis.pathways import PATHWAYS, resolve_pathways
from analysis.report import AreaReport, Block, load, parameters_note

EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "example"

AREA_SECTIONS = ("summary", "progress", "inspection", "recommendations", "reoffending",
                 "indicators", "completeness", "ni18_check", "about")
OVERVIEW_SECTIONS = ("summary", "coverage", "inspections", "funnels", "targets", "about")

# The data's identifiers and codes, by table: the values a reader must never see.
ID_COLUMNS = {
    "areas": ("area_id", "parent_id"),
    "plans": ("plan_id", "area_id"),
    "strands": ("strand_id", "plan_id"),
    "milestones": ("milestone_id", "strand_id"),
    "inspections": ("inspection_id", "area_id", "framework"),
    "inspection_scores": ("inspection_id",),
    "recommendations": ("recommendation_id", "inspection_id", "addressed_by"),
    "indicators": ("area_id",),
    "reoffending": ("area_id", "measure"),
    "glossary": ("area_id",),
}
# Columns that hold a code, not words: a code is not "printed" by appearing in one.
CODE_COLUMNS = {"strands": ("pathway", "pathway_text", "pathways")}  # as read and derived
PARAMETERS = re.compile(r"data_dir|area_id|as_of|\b(?:threshold|region|snapshot)\s*[=:]")


@pytest.fixture(scope="module")
def example():
    return load(EXAMPLE, as_of="2009-09-30")


def _ids(dataset) -> set[str]:
    """Every id and code value in the data, and every pathway code the strands resolve to."""
    ids = {p.code for p in PATHWAYS}
    for table, columns in ID_COLUMNS.items():
        frame = dataset.table(table)
        for column in columns:
            for value in frame[column].dropna().astype(str):
                ids |= {v.strip() for v in value.split(";") if v.strip()}
    for value in dataset.table("strands")["pathway"].dropna():
        ids |= set(resolve_pathways(str(value))[0])
    return ids


def _printed(dataset) -> str:
    """All the words the data prints (every column that is not an id or a code)."""
    skip = {(t, c) for t, cs in {**ID_COLUMNS}.items() for c in cs}
    skip |= {(t, c) for t, cs in CODE_COLUMNS.items() for c in cs}
    cells = []
    for table, frame in dataset.tables.items():
        for column in frame.columns:
            if (table, column) not in skip and not pd.api.types.is_numeric_dtype(frame[column]):
                cells += [str(v) for v in frame[column].dropna()]
    return "\n".join(cells)


def _word(value: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w]){re.escape(value)}(?![\w])")


def _forbidden(dataset) -> list[tuple[str, re.Pattern[str]]]:
    """The ids a report must not show: all of them, except a code the documents themselves
    print as a word (the East Midlands plan prints its pathways as OM, ATB, E&D, ...)."""
    printed = _printed(dataset)
    return [(v, _word(v)) for v in sorted(_ids(dataset)) if not _word(v).search(printed)]


def _leaks(texts: list[str], forbidden) -> list[tuple[str, str]]:
    found = []
    for t in texts:
        found += [(value, t[:120]) for value, pattern in forbidden if pattern.search(t)]
        if PARAMETERS.search(t):
            found.append((PARAMETERS.search(t)[0], t[:120]))
    return found


def _sections(report, names) -> dict[str, list[str]]:
    """Every section's text by kind of block (markdown, table, chart)."""
    texts: dict[str, list[str]] = {"markdown": [], "table": [], "chart": []}
    for name in names:
        for block in getattr(report, name)():
            texts[block.kind] += texts_of(block.content)
    plt.close("all")
    return texts


def _area_texts(dataset, results, area_id: str) -> tuple[AreaReport, list[str]]:
    report = AreaReport(dataset, results, area_id)
    _sections(report, AREA_SECTIONS)
    return report, list(report.shown)


def test_forbidden_ids_are_the_datas_ids_less_what_the_documents_print(example) -> None:
    dataset, _ = example
    forbidden = {v for v, _ in _forbidden(dataset)}
    # Spot checks, worked out from the CSVs: slugs are never printed; pathway codes the
    # workbook made up are forbidden, the East Midlands plan's own abbreviations are not.
    assert {"glos-esi-2005", "community-order-reconviction-2yr", "ni18", "plymouth-rr-2014",
            "DRUGS_ALCOHOL", "gloucestershire", "glos-accm-01", "esi-2003"} <= forbidden
    assert not {"OM", "ATB", "E&D", "PPO", "ETE"} & forbidden


@pytest.fixture(scope="module")
def area_texts(example) -> dict[str, dict[str, list[str]]]:
    """Each example area's report text by kind of block, the glossary's among the markdown."""
    dataset, results = example
    out = {}
    for area_id in dataset.table("areas")["area_id"]:
        report = AreaReport(dataset, results, area_id)
        out[area_id] = _sections(report, AREA_SECTIONS)
        out[area_id]["shown"] = list(report.shown)
        out[area_id]["glossary"] = texts_of(report.glossary()[0].content)
    return out


def test_no_area_report_text_or_table_shows_an_id_or_a_parameter_name(example, area_texts) -> None:
    forbidden = _forbidden(example[0])
    leaks = {area: _leaks(t["markdown"] + t["table"] + t["glossary"], forbidden)[:5]
             for area, t in area_texts.items()}
    assert not {area: found for area, found in leaks.items() if found}


def test_the_recorded_text_is_every_blocks_text(area_texts) -> None:
    # What the sections recorded for the glossary is exactly what their blocks show, and the
    # glossary itself (shown last) records nothing.
    for texts in area_texts.values():
        assert sorted(texts["shown"]) == sorted(texts["markdown"] + texts["table"] + texts["chart"])
    assert any("Strand" in texts["table"] for texts in area_texts.values())  # labels are read


def test_no_area_chart_shows_an_id(example, area_texts) -> None:
    forbidden = _forbidden(example[0])
    assert not {area: _leaks(t["chart"], forbidden)[:5] for area, t in area_texts.items()
                if _leaks(t["chart"], forbidden)}


@pytest.mark.parametrize("region", ["", "east-midlands"])
def test_no_overview_shows_an_id_or_a_parameter_name(example, region: str) -> None:
    dataset, results = example
    overview = OverviewReport(dataset, results, region or None)
    for name in OVERVIEW_SECTIONS:
        getattr(overview, name)()
    plt.close("all")
    texts = [*overview.shown, overview.glossary()[0].content.body]
    assert not _leaks(texts, _forbidden(dataset))
    if region:
        assert "in East Midlands" in overview.summary()[0].content.body


def test_the_glossary_lists_exactly_the_terms_the_report_used(example) -> None:
    dataset, results = example
    report, texts = _area_texts(dataset, results, "gloucestershire")
    body = report.glossary()[0].content.body
    listed = re.findall(r"^- \*\*(.+?)\*\*: ", body, flags=re.M)
    # Worked out by reading the text, not the code: the local term GPA (Gloucestershire's own
    # glossary row) and shipped terms used in the plan's and the inspection's words.
    # ("Raise DTTO/DRR performance", "Expand TVSOP and IDAP capacity ...", "Build a GPA
    # database ...", "magistrates' courts PSRs", "the ESI findings", "Source: HMI Probation ...",
    # the indicators' "CPROs where", "CPOs with", "ECP commencements").
    assert {"GPA", "ACO", "ETE", "PSR", "RAG", "SMART", "OLASS", "TVSOP", "IDAP", "DTTO", "DRR",
            "ESI", "HMI Probation", "CPO", "CPRO", "ECP"} <= set(listed)
    everything = "\n".join(texts)
    for term in listed:
        assert _word(term).search(everything) or _word(term + "s").search(everything), term
    # Not used anywhere in Gloucestershire's report (MAPPA and OASys are in the plan's aims and
    # actions, which the report does not print): not listed.
    for term in ("NI 30", "YOT", "GOEM", "EMRRPB", "MAPPA", "OASys", "NOMS"):
        assert term not in listed and not _word(term).search(everything)
    # And no shipped term that does appear is left out.
    shipped = set(terms_used(texts, shipped_terms())["term"])
    assert shipped <= set(listed)


def test_a_report_with_no_sections_shown_has_an_empty_glossary(example) -> None:
    dataset, results = example
    report = AreaReport(dataset, results, "rutland")
    blocks = report.glossary()
    assert [b.kind for b in blocks] == ["markdown"]
    assert "none of the abbreviations" in blocks[0].content.body
    assert report.shown == []  # the glossary does not record itself


def test_parameters_are_said_in_words() -> None:
    note = parameters_note(data_dir="/x/example", as_of="2005-12-31", threshold=10,
                           area_id="gloucestershire", area_name="Gloucestershire").body
    assert note.startswith("Figures are as of 31 December 2005, for Gloucestershire. Counts of "
                           "fewer than 10 people")
    assert "Data folder \u2018example\u2019" in note
    assert "(gloucestershire-tables.xlsx)" in note  # the link's target only
    assert not re.search(r"\w+ = ", note)
    overview = parameters_note(data_dir="example", as_of="2009-09-30", threshold=5,
                               region="east-midlands", region_name="East Midlands").body
    assert "for East Midlands and the areas in it" in overview and "fewer than 5 people" in overview
    assert "region" not in overview.lower().replace("reoffending", "")
    everyone = parameters_note(data_dir="example", as_of=None, region="").body
    assert "as of the day the report was built, for every area in the data" in everyone
    assert ", ," not in everyone


def test_about_section_reads_the_reports_own_date_and_names(example) -> None:
    dataset, results = example
    about = AreaReport(dataset, results, "derby").about()
    assert isinstance(about[0], Block)
    body = about[0].content.body
    assert "as of 30 September 2009, for Derby" in body and "derby" not in body.replace("(derby", "")


def test_pathways_and_measures_are_named_in_tables(example) -> None:
    dataset, results = example
    glos = AreaReport(dataset, results, "gloucestershire")
    strands = next(b.content for b in glos.progress() if b.kind == "table")
    pathways = set(strands._tbl_data["Pathway"])
    assert "Drugs and alcohol" in pathways and "DRUGS_ALCOHOL" not in pathways
    em = AreaReport(dataset, results, "east-midlands")
    em_strands = next(b.content for b in em.progress() if b.kind == "table")
    assert "E&D" in set(em_strands._tbl_data["Pathway"])  # as the plan prints it
    rates = next(b.content for b in glos.reoffending() if b.kind == "table")
    assert rates._heading.subtitle == ("Gloucestershire: two-year reconviction rate for "
                                       "community orders")
    plt.close("all")


def test_no_printed_page_shows_an_id_or_a_parameter_name(tmp_path_factory):
    # What pdftotext reads off the example PDFs (four areas and the overview, as `make reports`
    # builds them), tables, captions, contents and footers included.
    import pypdf

    from analysis.loader import load_dataset

    from .report_builds import EXAMPLE_AREAS, example_build

    built = example_build(tmp_path_factory)
    forbidden = _forbidden(load_dataset(EXAMPLE))
    for report in [*EXAMPLE_AREAS, "overview"]:
        pdf = built.out_dir / report / f"{report}.pdf"
        words = "\n".join(page.extract_text() for page in pypdf.PdfReader(pdf).pages)
        assert len(words) > 1000, report  # the text layer is there to read
        assert [value for value, pattern in forbidden if pattern.search(words)] == [], report
        assert PARAMETERS.findall(words) == [], report
