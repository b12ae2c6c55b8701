"""Tests for analysis.offenders: record-level offenders aggregated in DuckDB, by hand counts."""

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from analysis.offenders import aggregate_offenders
from analysis.reoffending import ni18_targets, reoffending_rates

DATA = Path(__file__).parent / "data" / "reoffending"



# Hand counts from tests/data/reoffending/offenders_small.csv:
# area-a 2009-Q1: 5 offenders, reoffended 1+0+1+0+0 = 2, reoffences 3+1 = 4,
#   predicted mean (0.5+0.2+0.4+0.1+0.3)/5 = 0.3 → 30%,
#   Σp(1−p) = 0.25+0.16+0.24+0.09+0.21 = 0.95, serious 1
# area-a 2009-Q2: 3, 2, 2+5 = 7, (0.6+0.8+0.2)/3 = 53.333%, 0.24+0.16+0.16 = 0.56, serious 1
# area-b 2009-Q1: 2, 1, 1, 50%, 0.25+0.25 = 0.5, serious 0
# area-b 2010: 1, 1, 2, 70%, 0.21, serious 1
EXPECTED_AGG = [
    ("area-a", "2009-Q1", 5, 2, 4, 30.0, 0.95, 1),
    ("area-a", "2009-Q2", 3, 2, 7, 160 / 3, 0.56, 1),
    ("area-b", "2009-Q1", 2, 1, 1, 50.0, 0.5, 0),
    ("area-b", "2010", 1, 1, 2, 70.0, 0.21, 1),
]


def _check_aggregate(out):
    assert list(out.columns) == [
        "area_id", "cohort", "measure", "offenders", "reoffenders", "reoffences",
        "predicted_rate", "predicted_variance", "serious_reoffences",
    ]
    assert len(out) == len(EXPECTED_AGG)
    for (_, row), expected in zip(out.iterrows(), EXPECTED_AGG, strict=True):
        area, cohort, n, o, offences, rate, variance, serious = expected
        assert (row["area_id"], row["cohort"]) == (area, cohort)
        assert row["measure"] == "adult-proven-1yr"
        assert (row["offenders"], row["reoffenders"], row["reoffences"]) == (n, o, offences)
        assert row["predicted_rate"] == pytest.approx(rate)
        assert row["predicted_variance"] == pytest.approx(variance)
        assert row["serious_reoffences"] == serious
    assert str(out["offenders"].dtype) == "Int64"


def test_aggregate_csv():
    _check_aggregate(aggregate_offenders(DATA / "offenders_small.csv"))


def test_aggregate_parquet(tmp_path):
    target = tmp_path / "offenders.parquet"
    source = str(DATA / "offenders_small.csv").replace("'", "''")
    duckdb.execute(
        f"COPY (SELECT * FROM read_csv('{source}', header = true)) TO '{target}' (FORMAT parquet)"
    )
    _check_aggregate(aggregate_offenders(str(target)))


def test_aggregate_dataframe_not_mutated():
    frame = pd.read_csv(DATA / "offenders_small.csv")
    original = frame.copy()
    _check_aggregate(aggregate_offenders(frame))
    pd.testing.assert_frame_equal(frame, original)


def test_aggregate_by_gender():
    out = aggregate_offenders(DATA / "offenders_small.csv", by=["gender"])
    first = out[(out["area_id"] == "area-a") & (out["cohort"] == "2009-Q1")]
    by_gender = first.set_index("gender")
    # F: rows 1 and 5: 2 offenders, 1 reoffender, 3 reoffences, (0.5+0.3)/2 = 40%, 0.25+0.21
    assert by_gender.loc["F", "offenders"] == 2
    assert by_gender.loc["F", "reoffenders"] == 1
    assert by_gender.loc["F", "reoffences"] == 3
    assert by_gender.loc["F", "predicted_rate"] == pytest.approx(40.0)
    assert by_gender.loc["F", "predicted_variance"] == pytest.approx(0.46)
    # M: 3 offenders, 1 reoffender, 1 reoffence, (0.2+0.4+0.1)/3 = 23.33%, 0.16+0.24+0.09
    assert by_gender.loc["M", "offenders"] == 3
    assert by_gender.loc["M", "predicted_rate"] == pytest.approx(70 / 3)
    assert by_gender.loc["M", "predicted_variance"] == pytest.approx(0.49)


def test_aggregate_errors(tmp_path):
    with pytest.raises(ValueError, match="predicted"):
        aggregate_offenders(pd.DataFrame({"area_id": ["a"], "cohort": ["2009"], "measure": ["m"],
                                          "reoffended": [1], "reoffences": [1]}))
    with pytest.raises(ValueError, match="nope"):
        aggregate_offenders(DATA / "offenders_small.csv", by=["nope"])
    with pytest.raises(FileNotFoundError):
        aggregate_offenders(tmp_path / "missing.csv")
    bad = tmp_path / "offenders.txt"
    bad.write_text("x\n")
    with pytest.raises(ValueError, match=".csv or .parquet"):
        aggregate_offenders(bad)


def test_aggregate_feeds_rates_and_ni18():
    agg = aggregate_offenders(DATA / "offenders_small.csv")
    rates = reoffending_rates(agg)
    row = rates.iloc[0]
    # area-a 2009-Q1: 2/5 = 40%; z = (2 − 1.5)/√0.95 = 0.512989 with the record-level variance
    assert row["rate"] == pytest.approx(40.0)
    assert row["z"] == pytest.approx(0.512989, abs=1e-5)
    targets = ni18_targets(agg)
    assert targets["method"].str.contains("record-level").all()
