import pandas as pd

from analysis.indicators import indicator_status
from analysis.loader import load_dataset

from .conftest import EXAMPLE


def test_status_respects_which_direction_is_better():
    frame = pd.DataFrame({
        "area_id": "a", "period": "2003/04",
        "indicator": ["up-met", "up-missed", "down-met", "down-missed", "no-target"],
        "value": [101.0, 40.0, 8.0, 10.4, 5.0], "target": [100.0, 90.0, 9.0, 9.0, None],
        "comparator": [88.0, 65.0, None, 12.3, 5.0], "comparator_label": "E&W",
        "unit": "percent", "better": ["higher", "higher", "lower", "lower", "higher"]})
    out = indicator_status(frame).set_index("indicator")
    assert out["status"].to_dict() == {"up-met": "met", "up-missed": "not met",
                                       "down-met": "met", "down-missed": "not met",
                                       "no-target": "no target"}
    assert out["vs_comparator"].to_dict() == {"up-met": "better", "up-missed": "worse",
                                              "down-met": "no comparator",
                                              "down-missed": "better", "no-target": "same"}
    assert out.at["up-missed", "gap"] == -50.0


def test_gloucestershire_2003_04_targets():
    # The inspection report's table: PSRs in 15 days 40% against a 90% target (E&W 65%);
    # sickness absence 10.4 days against 9 (E&W 12.3): not met, but better than average.
    d = load_dataset(EXAMPLE)
    out = indicator_status(d.table("indicators"))
    glos = out[out["area_id"] == "gloucestershire"].set_index("indicator")
    psr = glos.loc[glos.index.str.startswith("Proportion of magistrates")].iloc[0]
    assert (psr["status"], psr["vs_comparator"]) == ("not met", "worse")
    sick = glos.loc[glos.index.str.startswith("Sickness")].iloc[0]
    assert (sick["status"], sick["vs_comparator"]) == ("not met", "better")
