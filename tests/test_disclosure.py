import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.disclosure import MARKER, leaks, marked, suppress_rates
from analysis.reoffending import reoffending_rates


def _rates(rows):
    frame = pd.DataFrame(rows, columns=["area_id", "offenders", "reoffenders"])
    frame["measure"], frame["cohort"] = "adult-proven-1yr", "2005-Q1"
    frame["predicted_rate"] = 40.0
    return reoffending_rates(frame)


def test_small_counts_and_their_complements_are_suppressed():
    out = suppress_rates(_rates([("a", 100, 40), ("b", 8, 2), ("c", 50, 45), ("d", 60, 30)]))
    out = out.set_index("area_id")
    assert pd.isna(out.at["b", "offenders"]) and pd.isna(out.at["b", "rate"])  # tiny cohort
    assert pd.isna(out.at["c", "reoffenders"]) and pd.isna(out.at["c", "rate"])  # 5 did not
    assert out.at["a", "reoffenders"] == 40 and out.at["a", "suppressed"] == ""
    assert "rate" in out.at["c", "suppressed"].split(";")


def test_a_lone_suppressed_area_gets_a_secondary_partner():
    # Only "b" is small; the pooled total would reveal it, so the next smallest ("d", 30) goes.
    out = suppress_rates(_rates([("a", 100, 40), ("b", 50, 3), ("d", 60, 30)]))
    out = out.set_index("area_id")
    assert pd.isna(out.at["b", "reoffenders"]) and pd.isna(out.at["d", "reoffenders"])
    assert out.at["a", "reoffenders"] == 40


def test_marked_cells_are_never_blank():
    out = marked(suppress_rates(_rates([("a", 100, 40), ("b", 50, 3), ("d", 60, 30)])))
    assert out.set_index("area_id").at["b", "reoffenders"] == MARKER


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 400), st.floats(0, 1)), min_size=1, max_size=8),
       st.integers(2, 20))
def test_suppression_never_leaks_a_small_count(cohorts, threshold):
    rows = [(f"a{i}", n, int(n * share)) for i, (n, share) in enumerate(cohorts)]
    out = suppress_rates(_rates(rows), threshold=threshold)
    assert leaks(out, ["reoffenders", "offenders"], threshold=threshold).empty
    shown = out[out["reoffenders"].notna() & out["offenders"].notna()]
    non = shown["offenders"] - shown["reoffenders"]
    assert not ((non > 0) & (non < threshold)).any()
    # A shown rate never comes from a hidden count.
    assert out.loc[out["reoffenders"].isna() & out["offenders"].gt(0), "rate"].isna().all()


def test_small_target_cohorts_hide_everything_that_reveals_their_size():
    from analysis.disclosure import suppress_small_cohorts
    from analysis.reoffending import ni18_targets

    cohorts = pd.DataFrame({"area_id": ["a", "b"], "measure": "ni18", "cohort": "2007-Q4",
                            "offenders": [4, 3884], "predicted_rate": [10.0, 7.57]})
    out = suppress_small_cohorts(ni18_targets(cohorts), "offenders",
                                 ["expected_reoffenders", "target_reoffenders", "target_rate"])
    out = out.set_index("area_id")
    assert out.loc["a", ["offenders", "expected_reoffenders", "target_rate"]].isna().all()
    assert out.at["a", "suppressed"] == "offenders;expected_reoffenders;target_reoffenders;target_rate"
    assert out.at["b", "target_reoffenders"] == 261  # printed in the East Midlands plan
