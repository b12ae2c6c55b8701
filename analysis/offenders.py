"""Record-level offenders (one row per offender) aggregated into the reoffending table, in DuckDB."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pandas as pd

from .periods import sort_by_cohort

__all__ = ["aggregate_offenders"]

logger = logging.getLogger(__name__)


_REQUIRED_RECORD = ("area_id", "cohort", "measure", "reoffended", "reoffences", "predicted")


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _relation_sql(source: str | Path) -> str:
    path = str(source)
    literal = "'" + path.replace("'", "''") + "'"
    suffix = Path(path).suffix.lower()
    if suffix == ".parquet":
        return f"read_parquet({literal})"
    if suffix == ".csv":
        return f"read_csv({literal}, header = true)"
    raise ValueError(f"offenders source {path!r}: expected a .csv or .parquet file")


def aggregate_offenders(
    source: str | Path | pd.DataFrame, by: Sequence[str] | None = None
) -> pd.DataFrame:
    """Aggregate record-level offenders (one row per offender) into the reoffending table.

    SQL in DuckDB directly over the file (``read_csv``/``read_parquet``) or a registered
    DataFrame, grouped by area_id, cohort, measure (+ ``by`` columns):
    offenders = count(*), reoffenders = Σ reoffended, reoffences = Σ reoffences,
    predicted_rate = mean(predicted)·100, predicted_variance = Σ pᵢ(1−pᵢ) (the variance of the
    re-offender count under the predictions, used by :func:`ni18_targets` and
    :func:`reoffending_rates`), serious_reoffences = Σ serious when the column exists.
    Source: MoJ proven reoffending measures (binary, frequency, severity); variance of a sum of
    independent Bernoulli(pᵢ) outcomes. A sum is left blank (never partial) when any record in
    the group has that value missing. Output sorted by area, measure, cohort, ``by``.
    """
    by = list(by or [])
    con = duckdb.connect()
    try:
        if isinstance(source, pd.DataFrame):
            con.register("offenders_source", source)
            relation = "offenders_source"
        else:
            if not Path(source).exists():
                raise FileNotFoundError(f"offenders file not found: {source}")
            relation = _relation_sql(source)
        described = con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
        actual = {str(row[0]).strip().lower(): str(row[0]) for row in described}
        missing = [c for c in _REQUIRED_RECORD if c not in actual]
        missing += [c for c in by if c.strip().lower() not in actual]
        if missing:
            raise ValueError(f"offenders data lacks column(s): {', '.join(missing)}")

        def col(name: str) -> str:
            return _quote(actual[name.strip().lower()])

        def full_sum(expr: str, name: str) -> str:
            return f"CASE WHEN count({name}) = count(*) THEN sum({expr}) END"

        keys = [f"CAST({col('area_id')} AS VARCHAR) AS area_id",
                f"CAST({col('cohort')} AS VARCHAR) AS cohort",
                f"CAST({col('measure')} AS VARCHAR) AS measure"]
        keys += [f"{col(b)} AS {_quote(b)}" for b in by]
        group_by = ", ".join(str(i + 1) for i in range(len(keys)))
        p = f"CAST({col('predicted')} AS DOUBLE)"
        reoffended = f"CAST({col('reoffended')} AS BIGINT)"
        reoffences = f"CAST({col('reoffences')} AS BIGINT)"
        measures = [
            "count(*) AS offenders",
            f"{full_sum(reoffended, reoffended)} AS reoffenders",
            f"{full_sum(reoffences, reoffences)} AS reoffences",
            f"CASE WHEN count({p}) = count(*) THEN avg({p}) * 100 END AS predicted_rate",
            f"{full_sum(f'{p} * (1 - {p})', p)} AS predicted_variance",
        ]
        if "serious" in actual:
            serious = f"CAST({col('serious')} AS BIGINT)"
            measures.append(f"{full_sum(serious, serious)} AS serious_reoffences")
        sql = (
            f"SELECT {', '.join(keys + measures)} FROM {relation} GROUP BY {group_by}"
        )
        logger.debug("aggregate_offenders SQL: %s", sql)
        result = con.execute(sql).df()
    finally:
        con.close()
    for column in ("offenders", "reoffenders", "reoffences", "serious_reoffences"):
        if column in result.columns:
            # count(*) and sums of BIGINT casts: whole numbers, blank where a sum was withheld.
            result[column] = pd.to_numeric(result[column]).astype("Int64")
    for column in ("predicted_rate", "predicted_variance"):
        result[column] = pd.to_numeric(result[column]).astype("float64")
    ordered = ["area_id", "cohort", "measure", *by, "offenders", "reoffenders", "reoffences",
               "predicted_rate", "predicted_variance"]
    if "serious_reoffences" in result.columns:
        ordered.append("serious_reoffences")
    return sort_by_cohort(result[ordered], extra=by)
