"""The glossary: whole-word, case-sensitive matching, the shipped list and local terms."""

from __future__ import annotations

import pandas as pd
import pytest
from great_tables import GT

from analysis.glossary import shipped_terms, terms_for, terms_used, texts_of
from analysis.report import Markdown, text

GLOSSARY = pd.DataFrame({
    "term": ["NI 18", "NI 180", "RAG", "PPO", "C&F", "HMI Probation", "OASys", "ACO"],
    "meaning": ["indicator 18", "indicator 180", "red, amber, green", "prolific offender",
                "children and families", "the inspectorate", "assessment", "officer"],
})


def used(*texts: str) -> list[str]:
    return terms_used(list(texts), GLOSSARY)["term"].tolist()


@pytest.mark.parametrize(("texts", "expected"), [
    # NI 18 is not in NI 180, and NI 180 is not in NI 18.
    (["Targets for NI 180 only."], ["NI 180"]),
    (["The NI 18 target, and NI 180."], ["NI 18", "NI 180"]),
    (["NI 18."], ["NI 18"]),
    # Case-sensitive and whole word: RAG is not in ragged, RAGGED, Rag or FRAG.
    (["A ragged RAGGED Rag FRAG line."], []),
    (["Each strand has a RAG rating; RAG-rated."], ["RAG"]),
    # A plural in "s" is the term (PPOs are prolific and other priority offenders) ...
    (["Work with PPOs."], ["PPO"]),
    # ... but not any longer word, and not a plural of a term ending in a digit.
    (["PPOX and PPOss and NI 18s"], []),
    # Possessives, brackets, slashes and punctuation end a word.
    (["The ACO's team (OASys) and C&F/PPO work."], ["ACO", "C&F", "OASys", "PPO"]),
    # A space in the term matches a line break in the text; the term must be whole.
    (["Reported to HMI\nProbation"], ["HMI Probation"]),
    (["HMI Probationers", "eOASys", "1PPO"], []),
    # Several texts: a term in any of them; each term once, in alphabetical order.
    (["PPO", "RAG", "PPO and ACO"], ["ACO", "PPO", "RAG"]),
    ([], []),
])
def test_terms_used_whole_words_case_sensitive(texts: list[str], expected: list[str]) -> None:
    assert used(*texts) == expected


def test_terms_used_keeps_meanings_and_leaves_input_alone() -> None:
    before = GLOSSARY.copy()
    found = terms_used(["C&F and RAG"], GLOSSARY)
    assert found.to_dict("records") == [
        {"term": "C&F", "meaning": "children and families"},
        {"term": "RAG", "meaning": "red, amber, green"}]
    pd.testing.assert_frame_equal(GLOSSARY, before)


def test_markdown_is_read_as_the_reader_sees_it() -> None:
    # text() escapes & and punctuation; the link's target is not read, its words are.
    body = f"{text('C&F work (PPO)')} [the tables](gloucestershire-NI 18.xlsx)"
    assert texts_of(Markdown(body)) == ["C&F work (PPO) the tables"]
    assert used(*texts_of(Markdown(body))) == ["C&F", "PPO"]


def test_a_table_gives_every_label_cell_and_note() -> None:
    gt = (GT(pd.DataFrame({"Lead": ["ACO Interventions"], "Work": ["with PPOs"]}))
          .tab_header(title="Leads", subtitle="HMI Probation")
          .tab_spanner(label="NI 18", columns=["Work"])
          .tab_source_note("Source: OASys").tab_footnote("RAG rule"))
    texts = texts_of(gt)
    assert {"Leads", "HMI Probation", "Lead", "Work", "NI 18", "ACO Interventions",
            "with PPOs", "Source: OASys", "RAG rule"} <= set(texts)
    assert used(*texts) == ["ACO", "HMI Probation", "NI 18", "OASys", "PPO", "RAG"]


def test_a_chart_gives_title_caption_alt_and_source() -> None:
    class Chart:  # the fields of analysis.charts.Chart that a reader sees
        title, caption, alt, source = "RAG by pathway", "", "Bars for C&F", "Source: NI 18"

    assert texts_of(Chart()) == ["RAG by pathway", "", "Bars for C&F", "Source: NI 18"]
    assert texts_of(None) == []


def test_the_shipped_list_holds_the_fields_terms_with_sources() -> None:
    terms = shipped_terms()
    assert list(terms.columns) == ["term", "meaning", "source", "confirmed"]
    assert terms["term"].is_unique
    wanted = {"ACO", "OASys", "ROSH", "MAPPA", "PPO", "IOM", "OLASS", "DTTO", "DRR", "PSR", "ESI",
              "RAG", "SMART", "NI 18", "NI 30", "ETE", "IDAP", "TVSOP", "HMI Probation", "NOMS",
              "YOT", "CDRP", "LCJB", "MoJ", "LA"}
    assert wanted <= set(terms["term"])
    assert (terms["meaning"].str.len() > 0).all() and (terms["source"].str.len() > 0).all()
    assert set(terms["confirmed"]) == {"yes", "no"}
    # As the documents spell them: the inspection's glossary and the East Midlands plan's.
    meaning = dict(zip(terms["term"], terms["meaning"], strict=True))
    assert meaning["ACO"].startswith("Assistant chief officer")
    assert meaning["PSR"].startswith("Pre-sentence report")
    assert meaning["OLASS"] == "Offender Learning and Skills Service"
    assert meaning["LCJB"] == "Local Criminal Justice Board"
    assert meaning["TVSOP"].startswith("Thames Valley Sex Offender Programme")
    # Not spelled out in any source document: marked so.
    confirmed = dict(zip(terms["term"], terms["confirmed"], strict=True))
    assert {t for t, c in confirmed.items() if c == "no"} == {"DRR", "HMP", "IDAP", "ROSH"}
    # GPA is Gloucestershire's own: it belongs in the data's glossary table, not the shipped list.
    assert "GPA" not in set(terms["term"])


def test_local_terms_join_and_replace_shipped_ones_for_their_areas() -> None:
    local = pd.DataFrame({
        "term": ["GPA", "RAG", "XYZ", "XYZ"],
        "meaning": ["Gloucestershire Probation Area", "our own rating", "anywhere", "here"],
        "area_id": ["gloucestershire", "gloucestershire", None, "gloucestershire"],
    })
    glos = terms_for(local, {"gloucestershire", "south-west"})
    meaning = dict(zip(glos["term"], glos["meaning"], strict=True))
    assert meaning["GPA"] == "Gloucestershire Probation Area"
    assert meaning["RAG"] == "our own rating"  # the area's row replaces the shipped term
    assert meaning["XYZ"] == "here"  # the area's row replaces the row for every area
    assert glos["term"].is_unique
    other = terms_for(local, {"plymouth"})
    meaning = dict(zip(other["term"], other["meaning"], strict=True))
    assert "GPA" not in meaning and meaning["XYZ"] == "anywhere"
    assert meaning["RAG"].startswith("Red, amber, green")
    assert len(terms_for(None, {"plymouth"})) == len(shipped_terms())
