"""Disclosure control: primary and complementary suppression, worked out by hand, and what it withholds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis.disclosure import (
    MARKER,
    NI18,
    NI30,
    RATES,
    audit,
    marked,
    note,
    protect,
    relations,
    withheld_words,
    withhold,
)
from analysis.disclosure.cells import _determined
from analysis.disclosure.relations import Relation
from analysis.reoffending import ni18_targets, ni30_progress, reoffending_rates

MEASURE = "adult-proven-1yr"


def _cohorts(rows, columns=("area_id", "cohort", "offenders", "reoffenders")) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(columns))
    frame.insert(2, "measure", MEASURE)
    if "predicted_rate" not in frame:
        frame["predicted_rate"] = 40.0
    return frame


def _areas(parents: dict[str, str | None]) -> pd.DataFrame:
    return pd.DataFrame({"area_id": list(parents), "parent_id": list(parents.values())})


def _hidden(protection: pd.DataFrame) -> dict[tuple[str, str], set[str]]:
    return {(a, c): set(filter(None, h.split(";")))
            for a, c, h in zip(protection["area_id"], protection["cohort"], protection["hidden"],
                               strict=True)}


REGION = _areas({"region": None, "a1": "region", "a2": "region", "a3": "region"})


# ---------------------------------------------------------------------------------------------
# Primary suppression


def test_small_counts_and_their_complements_are_withheld():
    cohorts = _cohorts([("a", "2005-Q1", 100, 40), ("b", "2005-Q1", 8, 2), ("c", "2005-Q1", 50, 45),
                        ("d", "2005-Q1", 60, 3), ("e", "2005-Q1", 60, 0)])
    hidden = _hidden(protect(cohorts, None, threshold=10))
    assert hidden[("a", "2005-Q1")] == set()
    assert hidden[("b", "2005-Q1")] == {"offenders", "reoffenders", "reoffences", "serious_reoffences"}
    assert hidden[("c", "2005-Q1")] == {"reoffenders"}  # 5 did not reoffend: 50 - 45
    assert hidden[("d", "2005-Q1")] == {"reoffenders"}  # 3 reoffenders
    assert hidden[("e", "2005-Q1")] == set()  # none reoffended: 0 is not a small count
    # No published total adds these areas up, so nothing else is withheld.


def test_the_threshold_decides_what_is_small():
    cohorts = _cohorts([("a", "2005-Q1", 7, 3), ("b", "2005-Q1", 40, 12)])
    assert _hidden(protect(cohorts, None, threshold=5))[("a", "2005-Q1")] == {"reoffenders"}  # 3
    assert _hidden(protect(cohorts, None, threshold=10))[("a", "2005-Q1")] >= {"offenders"}
    assert _hidden(protect(cohorts, None, threshold=20))[("b", "2005-Q1")] == {"reoffenders"}  # 12


def test_a_rate_beside_a_cohort_size_publishes_the_reoffenders_it_implies():
    # 25% of 20 offenders is 5 reoffenders, though the count itself was never given.
    cohorts = _cohorts([("a", "2005", 20, None, 25.0)],
                       columns=("area_id", "cohort", "offenders", "reoffenders", "rate"))
    protection = protect(cohorts, None, threshold=10)
    assert _hidden(protection)[("a", "2005")] == {"reoffenders"}
    rates = withhold(reoffending_rates(cohorts), protection, RATES)
    assert rates.loc[0, "offenders"] == 20
    assert pd.isna(rates.loc[0, "published_rate"]) and pd.isna(rates.loc[0, "rate"])


def test_small_offence_counts_are_withheld():
    cohorts = _cohorts([("a", "2005", 200, 60, 4, 3), ("b", "2005", 200, 60, 150, 12)],
                       columns=("area_id", "cohort", "offenders", "reoffenders", "reoffences",
                                "serious_reoffences"))
    hidden = _hidden(protect(cohorts, None, threshold=10))
    assert hidden[("a", "2005")] == {"reoffences", "serious_reoffences"}
    assert hidden[("b", "2005")] == set()


# ---------------------------------------------------------------------------------------------
# Complementary suppression across published sums


def test_a_lone_withheld_area_gets_a_sibling_withheld_not_any_area():
    # region 30 = a1 5 + a2 25: a1's 5 is small, and region - a2 would give it back.
    cohorts = _cohorts([("region", "2015", 300, 30), ("a1", "2015", 100, 5), ("a2", "2015", 200, 25),
                        ("elsewhere", "2015", 150, 12)])
    areas = _areas({"region": None, "a1": "region", "a2": "region", "elsewhere": None})
    hidden = _hidden(protect(cohorts, areas, threshold=10))
    assert hidden[("a1", "2015")] == {"reoffenders"}
    assert hidden[("a2", "2015")] == {"reoffenders"}  # the sibling, not the smallest anywhere
    assert hidden[("region", "2015")] == set() and hidden[("elsewhere", "2015")] == set()
    assert hidden[("a2", "2015")] - {"reoffenders"} == set()  # offenders stay: they reveal nothing


def test_withheld_siblings_that_add_up_to_a_small_number_are_not_enough():
    # a1 3 + a2 4 = 7: with the region published, a1 and a2 together are known to be 7.
    rows = [("region", "2015", 400, 57), ("a1", "2015", 100, 3), ("a2", "2015", 100, 4),
            ("a3", "2015", 200, 50)]
    at10 = _hidden(protect(_cohorts(rows), REGION, threshold=10))
    assert at10[("a3", "2015")] == {"reoffenders"}  # 7 < 10: the third sibling goes too
    at5 = _hidden(protect(_cohorts(rows), REGION, threshold=5))
    assert at5[("a1", "2015")] == at5[("a2", "2015")] == {"reoffenders"}  # 3 and 4: small at 5
    assert at5[("a3", "2015")] == set()  # together 7, which is not small at 5


def test_a_tiny_authority_withholds_a_siblings_cohort_size_too():
    # region 507 offenders = a1 7 + a2 500: a1's size would follow from the region's.
    rows = [("region", "2015", 507, 160), ("a1", "2015", 7, 3), ("a2", "2015", 500, 157)]
    areas = _areas({"region": None, "a1": "region", "a2": "region"})
    protection = protect(_cohorts(rows), areas, threshold=10)
    hidden = _hidden(protection)
    assert hidden[("a1", "2015")] == {"offenders", "reoffenders", "reoffences", "serious_reoffences"}
    assert {"offenders", "reoffenders"} <= hidden[("a2", "2015")]
    rates = withhold(reoffending_rates(_cohorts(rows)), protection, RATES).set_index("area_id")
    assert rates.loc["a2", ["offenders", "reoffenders", "rate", "expected_reoffenders"]].isna().all()
    assert rates.at["region", "offenders"] == 507


def test_a_parent_from_another_source_is_not_a_sum():
    # The region's figure is not a1 + a2 (31 != 5 + 25), so subtracting recovers nothing.
    rows = [("region", "2015", 310, 31), ("a1", "2015", 100, 5), ("a2", "2015", 200, 25)]
    areas = _areas({"region": None, "a1": "region", "a2": "region"})
    hidden = _hidden(protect(_cohorts(rows), areas, threshold=10))
    assert hidden[("a1", "2015")] == {"reoffenders"} and hidden[("a2", "2015")] == set()


def test_a_small_quarter_withholds_another_quarter_of_its_year():
    # 2015: 120 reoffenders = 30 + 40 + 45 + 5; the year minus three quarters gives the fourth.
    rows = [("a", "2015", 400, 120), ("a", "2015-Q1", 100, 30), ("a", "2015-Q2", 100, 40),
            ("a", "2015-Q3", 100, 45), ("a", "2015-Q4", 100, 5)]
    hidden = _hidden(protect(_cohorts(rows), None, threshold=10))
    assert hidden[("a", "2015-Q4")] == {"reoffenders"}
    assert hidden[("a", "2015-Q1")] == {"reoffenders"}  # the smallest other quarter, 30
    assert hidden[("a", "2015-Q2")] == hidden[("a", "2015-Q3")] == hidden[("a", "2015")] == set()


def test_a_financial_year_is_the_sum_of_april_to_march():
    found = relations(_cohorts([("a", "2015/16", 1, 1), ("a", "2015-Q1", 1, 1), ("a", "2015-Q2", 1, 1),
                                ("a", "2015-Q3", 1, 1), ("a", "2015-Q4", 1, 1), ("a", "2016-Q1", 1, 1)]),
                      None)
    assert found == [Relation(0, (2, 3, 4, 5), "period")]


def test_areas_and_quarters_together_leave_nothing_determined():
    # Two areas, a region, four quarters and the year of each: a small quarter of one area.
    rows = []
    for area, quarters in (("a1", [50, 60, 55, 6]), ("a2", [70, 80, 75, 90])):
        rows += [(area, f"2015-Q{q + 1}", 300, r) for q, r in enumerate(quarters)]
        rows.append((area, "2015", 1200, sum(quarters)))
    totals = {c: sum(r for a, k, _, r in rows if k == c) for c in ["2015-Q1", "2015-Q2", "2015-Q3",
                                                                     "2015-Q4", "2015"]}
    rows += [("region", c, 600 if c != "2015" else 2400, r) for c, r in totals.items()]
    cohorts = _cohorts(rows)
    areas = _areas({"region": None, "a1": "region", "a2": "region"})
    protection = protect(cohorts, areas, threshold=10)
    rates = withhold(reoffending_rates(cohorts), protection, RATES)
    assert audit(cohorts, areas, {"reoffending_rates": rates}, threshold=10) == []
    hidden = np.array(["reoffenders" in h for h in protection["hidden"]])
    assert hidden.sum() >= 4  # the small cell, a sibling quarter, a sibling area and their corner
    assert 1 not in [rows[i][3] for i in _determined(relations(cohorts, areas), hidden)]


def test_gaussian_elimination_finds_a_cell_every_sum_leaves_two_unknowns_in():
    # Two 2x2 rectangles of withheld cells joined by one cell (a bridge): each sum has two or
    # more unknowns, yet the bridge's value follows from them all together.
    left = [Relation(10, (0, 1), "area"), Relation(11, (2, 3), "area"),
            Relation(12, (0, 2), "period"), Relation(13, (1, 3, 8), "period")]
    right = [Relation(14, (4, 5), "area"), Relation(15, (6, 7, 8), "area"),
             Relation(16, (4, 6), "period"), Relation(17, (5, 7), "period")]
    hidden = np.zeros(18, dtype=bool)
    hidden[:9] = True
    assert _determined(left + right, hidden) == [8]
    assert _determined(left[:3], hidden) == []  # without the bridge's sums, nothing is determined


def test_the_repair_round_withholds_what_the_sums_alone_would_not(monkeypatch):
    # With the fixed-point rounds switched off, elimination alone must still protect the cell.
    from analysis.disclosure import cells

    monkeypatch.setattr(cells, "_complete", lambda *args: None)
    rows = [("region", "2015", 300, 30), ("a1", "2015", 100, 5), ("a2", "2015", 200, 25)]
    areas = _areas({"region": None, "a1": "region", "a2": "region"})
    hidden = _hidden(protect(_cohorts(rows), areas, threshold=10))
    assert hidden[("a2", "2015")] == {"reoffenders"}


@given(st.lists(st.tuples(st.integers(0, 60), st.floats(0, 1)), min_size=2, max_size=6),
       st.sampled_from([5, 10, 20]))
def test_no_withheld_count_comes_back_from_a_regional_total(children, threshold):
    rows = [(f"a{i}", "2015", n, int(n * share)) for i, (n, share) in enumerate(children)]
    rows.append(("region", "2015", sum(r[2] for r in rows), sum(r[3] for r in rows)))
    cohorts = _cohorts(rows)
    areas = _areas({"region": None, **{f"a{i}": "region" for i in range(len(children))}})
    rates = withhold(reoffending_rates(cohorts), protect(cohorts, areas, threshold=threshold), RATES)
    assert audit(cohorts, areas, {"reoffending_rates": rates}, threshold=threshold) == []


# ---------------------------------------------------------------------------------------------
# What each published table withholds


def test_every_figure_computed_from_a_withheld_count_goes_with_it():
    cohorts = _cohorts([("a", "2005", 200, 5, 9, 1, 5.5)],
                       columns=("area_id", "cohort", "offenders", "reoffenders", "reoffences",
                                "serious_reoffences", "notes_count"))
    rates = withhold(reoffending_rates(cohorts), protect(cohorts, None, threshold=10), RATES)
    row = rates.iloc[0]
    for column in ("reoffenders", "rate", "ci_low", "ci_high", "difference", "z", "p_value",
                   "significant", "reoffences", "frequency", "reoffences_per_reoffender",
                   "serious_reoffences", "severity", "notes_count"):
        assert pd.isna(row[column]), column
    assert row["offenders"] == 200 and row["predicted_rate"] == 40.0
    assert row["expected_reoffenders"] == 80.0  # 200 x 40%: the cohort size is published anyway
    assert "notes_count" in row["suppressed"].split(";")  # an unknown figure is withheld too


def test_ni18_hides_everything_that_gives_a_small_cohort_size_back():
    cohorts = pd.DataFrame({"area_id": ["a", "b"], "measure": "ni18", "cohort": "2007-Q4",
                            "offenders": [4, 3884], "predicted_rate": [10.0, 7.57]})
    out = withhold(ni18_targets(cohorts), protect(cohorts, None, threshold=10), NI18).set_index("area_id")
    assert out.loc["a", ["offenders", "expected_reoffenders", "target_rate", "change_pct"]].isna().all()
    assert out.at["a", "predicted_rate"] == 10.0
    assert out.at["b", "target_reoffenders"] == 261  # printed in the East Midlands plan


def test_ni30_withholds_a_small_baseline_and_the_targets_set_from_it():
    cohorts = pd.DataFrame({"area_id": ["a", "a", "b"], "measure": "ni30",
                            "cohort": ["2007-Q4", "2008-Q4", "2007-Q4"], "offenders": [40, 40, 101],
                            "reoffences": [8, 30, 330], "target_reoffences": [6, None, 280],
                            "ceiling_reoffences": [7, None, 284]})
    out = withhold(ni30_progress(cohorts), protect(cohorts, None, threshold=10), NI30).set_index("area_id")
    assert out.loc["a", ["baseline_reoffences", "target_reoffences", "ceiling_reoffences",
                         "change_needed", "change_so_far"]].isna().all()
    assert out.at["a", "latest_reoffences"] == 30 and out.at["a", "offenders"] == 40
    assert out.at["b", "target_reoffences"] == 280  # Lincolnshire, as printed


def test_marked_cells_are_never_blank():
    cohorts = _cohorts([("a", "2005", 100, 40), ("b", "2005", 50, 3)])
    out = marked(withhold(reoffending_rates(cohorts), protect(cohorts, None, threshold=10), RATES))
    assert out.set_index("area_id").at["b", "reoffenders"] == MARKER


# ---------------------------------------------------------------------------------------------
# The audit and the words


def test_the_audit_catches_each_way_of_giving_a_count_away():
    rows = [("region", "2015", 300, 30), ("a1", "2015", 100, 5), ("a2", "2015", 200, 25)]
    cohorts = _cohorts(rows)
    areas = _areas({"region": None, "a1": "region", "a2": "region"})
    rates = reoffending_rates(cohorts)
    shown = rates.copy()
    assert any("is published" in f for f in audit(cohorts, areas, {"reoffending_rates": shown},
                                                     threshold=10))
    lone = rates.copy()
    lone.loc[lone["area_id"] == "a1", "reoffenders"] = pd.NA
    found = audit(cohorts, areas, {"reoffending_rates": lone}, threshold=10)
    assert any("follows from the sum" in f for f in found)  # 30 - 25
    assert any("rate published beside" in f for f in found)  # 5% of 100
    decision = cohorts[["area_id", "measure", "cohort"]].assign(
        hidden=["", "reoffenders", "reoffenders"])
    both = withhold(rates, decision, RATES)  # a1 and a2 withheld together: 30 - 0 = 5 + 25
    assert audit(cohorts, areas, {"reoffending_rates": both}, threshold=10) == []
    assert any("come to 30" in f for f in audit(cohorts, areas, {"reoffending_rates": both},
                                                   threshold=40))


def test_the_audit_catches_an_expected_count_beside_a_withheld_cohort_size():
    cohorts = pd.DataFrame({"area_id": ["a"], "measure": "ni18", "cohort": "2007-Q4",
                            "offenders": [4], "predicted_rate": [10.0]})
    targets = ni18_targets(cohorts)
    targets["offenders"] = pd.NA
    assert audit(cohorts, None, {"ni18_targets": targets}, threshold=10)  # 0.4 / 10% = 4


@pytest.mark.parametrize(("threshold", "words"), [(5, "from 1 to 4"), (10, "from 1 to 9"),
                                                  (20, "from 1 to 19"), (2, "of 1")])
def test_the_note_says_the_threshold(threshold, words):
    assert withheld_words(threshold) == words
    assert words in note(threshold)


@pytest.mark.parametrize("threshold", [0, -3, 2.5, True, "10"])
def test_a_threshold_that_is_not_a_whole_number_of_at_least_one_is_refused(threshold):
    with pytest.raises(ValueError, match="threshold"):
        protect(_cohorts([("a", "2015", 10, 3)]), None, threshold=threshold)


def test_the_documented_method_is_the_one_the_code_runs():
    from analysis.disclosure.document import markdown

    path = Path(__file__).parent.parent / "docs" / "disclosure.md"
    assert path.read_text(encoding="utf-8") == markdown(), (
        "docs/disclosure.md is stale: python -m analysis.disclosure.document > docs/disclosure.md")


@given(st.lists(st.lists(st.integers(0, 40), min_size=4, max_size=4), min_size=2, max_size=3),
       st.sampled_from([5, 10, 20]))
def test_no_small_count_is_determined_by_areas_and_quarters_together(grid, threshold):
    # Each area's reoffenders in four quarters (offenders 60 each), with every margin published:
    # the region's quarters, each area's year and the region's year.
    rows = []
    for i, quarters in enumerate(grid):
        rows += [(f"a{i}", f"2015-Q{q + 1}", 60, r) for q, r in enumerate(quarters)]
        rows.append((f"a{i}", "2015", 240, sum(quarters)))
    for q in range(4):
        rows.append(("region", f"2015-Q{q + 1}", 60 * len(grid), sum(g[q] for g in grid)))
    rows.append(("region", "2015", 240 * len(grid), sum(map(sum, grid))))
    cohorts = _cohorts(rows)
    areas = _areas({"region": None, **{f"a{i}": "region" for i in range(len(grid))}})
    protection = protect(cohorts, areas, threshold=threshold)
    rates = withhold(reoffending_rates(cohorts), protection, RATES)
    assert audit(cohorts, areas, {"reoffending_rates": rates}, threshold=threshold) == []
    for count, values in (("reoffenders", cohorts["reoffenders"]),
                          ("offenders", cohorts["offenders"])):
        hidden = np.array([count in h.split(";") for h in protection["hidden"]])
        found = relations(cohorts, areas)
        determined = _determined(found, hidden)
        assert not [values[i] for i in determined if 0 < values[i] < threshold], count


def test_a_rolling_twelve_months_is_the_sum_of_the_quarters_inside_it():
    # July 2022 to June 2023 holds 2022-Q3 to 2023-Q2; a small 2023-Q2 (5) would be the window
    # minus the other three, so the smallest other quarter goes with it.
    rows = [("a", "2022-07/2023-06", 400, 120), ("a", "2022-Q3", 100, 30), ("a", "2022-Q4", 100, 40),
            ("a", "2023-Q1", 100, 45), ("a", "2023-Q2", 100, 5), ("a", "2022-Q2", 100, 50)]
    cohorts = _cohorts(rows)
    assert relations(cohorts, None) == [Relation(0, (1, 2, 3, 4), "period")]
    hidden = _hidden(protect(cohorts, None, threshold=10))
    assert hidden[("a", "2023-Q2")] == {"reoffenders"}
    assert hidden[("a", "2022-Q3")] == {"reoffenders"}
    assert hidden[("a", "2022-Q2")] == set()  # outside the window


def test_two_rolling_years_missing_the_same_quarters_do_not_give_a_quarter_away():
    # A = Jul 2022-Jun 2023 (120) and B = Oct 2022-Sep 2023 (95) both miss 2022-Q4 to 2023-Q2.
    # With 2022-Q3 (30) published, B - A + 30 = 5 would be 2023-Q3's withheld reoffenders.
    rows = [("a", "2022-07/2023-06", 400, 120), ("a", "2022-10/2023-09", 400, 95),
            ("a", "2022-Q3", 100, 30), ("a", "2023-Q3", 100, 5)]
    cohorts = _cohorts(rows)
    protection = protect(cohorts, None, threshold=10)
    hidden = _hidden(protection)
    assert hidden[("a", "2023-Q3")] == {"reoffenders"}
    # Something else goes with it, so that A, B and 2022-Q3 no longer pin it down.
    others = [k for k in (("a", "2022-07/2023-06"), ("a", "2022-10/2023-09"), ("a", "2022-Q3"))
              if "reoffenders" in hidden[k]]
    assert others
    shown = withhold(reoffending_rates(cohorts), protection, RATES).set_index("cohort")["reoffenders"]
    a, b, q3 = (shown.get(c) for c in ("2022-07/2023-06", "2022-10/2023-09", "2022-Q3"))
    assert any(pd.isna(v) for v in (a, b, q3))


def test_a_year_missing_one_quarter_withholds_what_would_give_that_quarter_away_when_small():
    # 2015 is 120 reoffenders; Q1-Q3 are 40 + 40 + 36; Q4 is not in the table, but 120 - 116
    # would publish its 4 reoffenders: a quarter goes with them.
    rows = [("a", "2015", 400, 120), ("a", "2015-Q1", 100, 40), ("a", "2015-Q2", 100, 40),
            ("a", "2015-Q3", 100, 36)]
    hidden = _hidden(protect(_cohorts(rows), None, threshold=10))
    assert hidden[("a", "2015-Q3")] == {"reoffenders"}  # the smallest quarter
    assert hidden[("a", "2015")] == hidden[("a", "2015-Q1")] == hidden[("a", "2015-Q2")] == set()


def test_a_year_missing_a_large_quarter_withholds_nothing():
    rows = [("a", "2015", 400, 150), ("a", "2015-Q1", 100, 40), ("a", "2015-Q2", 100, 40),
            ("a", "2015-Q3", 100, 36)]  # the rest, 34, is nobody's small count
    assert set().union(*_hidden(protect(_cohorts(rows), None, threshold=10)).values()) == set()


def test_the_audit_catches_benchmark_limits_beside_a_withheld_count():
    from analysis.benchmark import benchmark_comparison

    cohorts = _cohorts([("nation", "2015", 1000, 300), ("a", "2015", 100, 5)])
    rates = reoffending_rates(cohorts)
    compared = benchmark_comparison(rates, "nation")
    assert any(f.startswith("benchmark row 0: reoffenders 5")
               for f in audit(cohorts, None, {"benchmark": compared}, threshold=10))
    leaked = compared.assign(reoffenders=np.nan)  # limits of 5/100 left beside the cohort of 100
    assert any("benchmark row 0: lower_inner published beside" in f
               for f in audit(cohorts, None, {"benchmark": leaked}, threshold=10))
    protected = withhold(rates, protect(cohorts, None, threshold=10), RATES)
    assert audit(cohorts, None, {"benchmark": benchmark_comparison(protected, "nation")},
                 threshold=10) == []


def _quarter(i: int) -> str:
    return f"{2020 + i // 4}-Q{i % 4 + 1}"


def _window(i: int) -> str:
    """The twelve months from quarter i, keyed as the contract keys them."""
    year, month = 2020 + i // 4, 3 * (i % 4) + 1
    if month == 1:
        return str(year)
    if month == 4:
        return f"{year}/{(year + 1) % 100:02d}"
    end_year, end_month = (year + 1, month - 1)
    return f"{year}-{month:02d}/{end_year}-{end_month:02d}"


@pytest.mark.parametrize("threshold", [5, 10, 20])
def test_no_small_quarter_comes_back_from_overlapping_years_and_published_quarters(threshold):
    # An attacker's own elimination, apart from the code's: every quarter the table withholds or
    # does not hold is an unknown, every published twelve months the sum of its four quarters;
    # no unknown that those equations pin down may be 1 to threshold - 1.
    rng = np.random.default_rng(threshold)
    for _ in range(150):
        true = rng.integers(0, 40, 10).astype(float)
        true[rng.integers(0, 10)] = rng.integers(1, threshold)
        quarters = [i for i in range(10) if rng.random() < 0.5]
        windows = [i for i in range(7) if rng.random() < 0.7]
        rows = ([("a", _quarter(i), 500, true[i]) for i in quarters]
                + [("a", _window(i), 2000, true[i:i + 4].sum()) for i in windows])
        if not rows:
            continue
        cohorts = _cohorts(rows)
        hidden = ["reoffenders" in h for h in protect(cohorts, None, threshold=threshold)["hidden"]]
        known = {q: true[q] for k, q in enumerate(quarters) if not hidden[k]}
        unknown = [q for q in range(10) if q not in known]
        equations, sums = [], []
        for k, i in enumerate(windows):
            if hidden[len(quarters) + k]:
                continue
            equations.append([1.0 if i <= q < i + 4 else 0.0 for q in unknown])
            sums.append(true[i:i + 4].sum() - sum(v for q, v in known.items() if i <= q < i + 4))
        if not equations:
            continue
        matrix = np.array(equations)
        rank = np.linalg.matrix_rank(matrix)
        null = np.linalg.svd(matrix)[2][rank:]
        solved = np.linalg.lstsq(matrix, np.array(sums), rcond=None)[0]
        for j, q in enumerate(unknown):
            if not len(null) or np.all(np.abs(null[:, j]) < 1e-9):
                assert not 0.5 < solved[j] < threshold - 0.5, (rows, hidden, q)


def test_overlapping_years_without_their_quarters_are_protected_and_audited():
    # A financial year and the rolling year after it, no quarter of either in the table: each
    # is a sum of absent quarters only, and neither the protection nor the audit trips on that.
    cohorts = _cohorts([("a", "2022/23", 1200, 345), ("a", "2022-07/2023-06", 1180, 330)])
    found = relations(cohorts, None)
    assert [(r.total, r.parts, len(r.absent)) for r in found] == [(0, (), 4), (1, (), 4)]
    protection = protect(cohorts, None, threshold=10)
    assert set(protection["hidden"]) == {""}
    rates = withhold(reoffending_rates(cohorts), protection, RATES)
    assert audit(cohorts, None, {"reoffending_rates": rates}, threshold=10) == []
