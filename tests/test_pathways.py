import pandas as pd
import pytest

from analysis.pathways import CROSS_CUTTING, SEVEN_PATHWAYS, resolve_pathway, resolve_pathways


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("ACCM", "ACCM"), ("accommodation and support", "ACCM"), ("ELS", "ETE"),
        ("skills and employment", "ETE"), ("Health", "HEALTH"), ("alcohol", "DRUGS_ALCOHOL"),
        ("Drugs & Alcohol", "DRUGS_ALCOHOL"), ("finance, benefit and debt", "FBD"),
        ("C&F", "CF"), ("children and families of offenders", "CF"),
        ("attitudes, thinking and behaviour", "ATB"), ("PP", "PP"), ("PPOs", "PPO"),
        ("prolific and priority offenders", "PPO"), ("offender management", "OM"),
        ("E&D", "ED"), ("third sector", "TSF"),
    ],
)
def test_codes_names_and_aliases_resolve(text, code):
    assert resolve_pathway(text) == code


def test_seven_pathways_then_cross_cutting_themes():
    assert len(SEVEN_PATHWAYS) == 7
    assert set(CROSS_CUTTING) == {"PP", "PPO", "OM", "ED", "TSF"}


def test_several_pathways_keep_the_main_one_first():
    assert resolve_pathways("PPOs; ELS") == (["PPO", "ETE"], [])
    assert resolve_pathways("ELS; astrology") == (["ETE"], ["astrology"])


def test_pathway_label_as_printed_else_named():
    from analysis.pathways import pathway_label

    assert pathway_label("DRUGS_ALCOHOL;ETE") == \
        "Drugs and alcohol; employment, training and education"
    assert pathway_label("ETE", "Drugs;ELS") == "Drugs; ELS"  # as the plan prints it
    assert pathway_label("ACCM", pd.NA) == "Accommodation"
    assert pathway_label(None) == ""
