"""Record-level offenders (CSV or Parquet) checked with DuckDB over the file, never read whole."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import duckdb

from .contract import OFFENDERS
from .problems import Problem

log = logging.getLogger(__name__)

# A systematic mistake in ten million rows would otherwise print ten million lines: name the
# first rows for each rule and count the rest.
EXAMPLES_PER_RULE = 20


def relation_sql(path: Path) -> str:
    """SQL that reads the offenders file with its row number as the user would count it."""
    quoted = str(path).replace("'", "''")
    if path.suffix.lower() == ".parquet":
        return f"SELECT *, file_row_number + 1 AS _row FROM read_parquet('{quoted}', file_row_number=true)"
    # The header is row 1, so the first record is row 2.
    return (f"SELECT *, row_number() OVER () + 1 AS _row FROM read_csv('{quoted}', header=true, "
            "all_varchar=true)")


_RULES = (
    ("area_id", "exists", "no row of areas has this area_id",
     "area_id IS NULL OR area_id NOT IN (SELECT area_id FROM _areas)"),
    ("cohort", "cohort", "YYYY-Qn, YYYY or YYYY/YY",
     "cohort IS NULL OR NOT regexp_full_match(CAST(cohort AS VARCHAR), '\\d{4}(-Q[1-4]|/\\d{2})?')"),
    ("measure", "slug", "lowercase letters, digits and hyphens",
     "measure IS NULL OR NOT regexp_full_match(CAST(measure AS VARCHAR), '[a-z0-9][a-z0-9-]{0,63}')"),
    ("reoffended", "binary", "reoffended and serious are 0 or 1",
     "TRY_CAST(reoffended AS INTEGER) IS NULL OR TRY_CAST(reoffended AS INTEGER) NOT IN (0, 1)"),
    ("reoffences", "reoffences-match",
     "reoffences is a whole number, above 0 exactly when reoffended is 1",
     "TRY_CAST(reoffences AS BIGINT) IS NULL OR TRY_CAST(reoffences AS BIGINT) < 0 "
     "OR ((TRY_CAST(reoffences AS BIGINT) > 0) <> (TRY_CAST(reoffended AS INTEGER) = 1))"),
    ("predicted", "probability", "predicted is a probability from 0 to 1",
     "TRY_CAST(predicted AS DOUBLE) IS NULL OR TRY_CAST(predicted AS DOUBLE) NOT BETWEEN 0 AND 1"),
)
_SERIOUS = ("serious", "binary", "reoffended and serious are 0 or 1",
            "serious IS NOT NULL AND TRY_CAST(serious AS INTEGER) NOT IN (0, 1)")


def check_records(path: Path, area_ids: set[str], today: date) -> list[Problem]:
    """Check every contract rule of the record-level file with DuckDB, streaming over it."""
    problems: list[Problem] = []
    con = duckdb.connect()
    try:
        con.execute(f"CREATE VIEW rec AS {relation_sql(path)}")
        columns = {row[0].strip().lower() for row in con.execute("DESCRIBE rec").fetchall()}
    except duckdb.Error as exc:
        return [Problem(path.name, None, "", "", "unreadable", f"cannot read the file: {exc}",
                        table="offenders")]
    missing = [c.name for c in OFFENDERS.columns if c.required and c.name not in columns]
    for name in missing:
        problems.append(Problem(path.name, 1, name, name, "required-column",
                                "the file has no such column", table="offenders"))
    if missing:
        return problems
    con.execute("CREATE TABLE _areas(area_id VARCHAR)")
    con.executemany("INSERT INTO _areas VALUES (?)", [(a,) for a in sorted(area_ids)])
    rules = list(_RULES) + ([_SERIOUS] if "serious" in columns else [])
    # One pass counts every rule; a second per broken rule fetches a few rows to name.
    counts = con.execute(
        "SELECT " + ", ".join(f"count(*) FILTER (WHERE {cond})" for *_, cond in rules) + " FROM rec"
    ).fetchone()
    for (column, rule, text, cond), count in zip(rules, counts, strict=True):
        if not count:
            continue
        rows = con.execute(
            f"SELECT _row, CAST({column} AS VARCHAR) FROM rec WHERE {cond} ORDER BY _row "
            f"LIMIT {EXAMPLES_PER_RULE}"
        ).fetchall()
        for row, value in rows:
            problems.append(Problem(path.name, int(row), column, value or "", rule, text,
                                    table="offenders"))
        if count > len(rows):
            problems.append(Problem(path.name, None, column, "", rule,
                                    f"{count - len(rows):,} more rows break this rule",
                                    table="offenders"))
    future = con.execute(
        "SELECT DISTINCT CAST(cohort AS VARCHAR) FROM rec WHERE cohort IS NOT NULL"
    ).fetchall()
    from .periods import period_bounds

    for (cohort,) in future:
        try:
            start, _ = period_bounds(cohort)
        except ValueError:
            continue
        if start > today:
            row = con.execute("SELECT min(_row) FROM rec WHERE CAST(cohort AS VARCHAR) = ?",
                              [cohort]).fetchone()[0]
            problems.append(Problem(path.name, int(row), "cohort", cohort, "no-future-cohort",
                                    f"the cohort starts after today ({today.isoformat()})",
                                    table="offenders"))
    con.close()
    return problems
