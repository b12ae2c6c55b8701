"""Scale benchmarks for the workbook, each figure beside a baseline measured in the same run.

``python -m bench`` (``make bench``) runs:

1. aggregation of record-level offenders (1M and 10M rows): validation + DuckDB aggregation
   against plain pandas ``read_parquet`` + ``groupby``, each in a fresh subprocess;
2. building 50 synthetic areas (HTML and PDF) with ``workbook build --jobs 1`` and ``--jobs 2``
   against a naive loop of papermill + render calls, one area at a time;
3. incremental rebuilds: nothing changed, then one area's milestone changed.

``python -m bench --quick`` is a fast check (1M rows, 10 areas). Results are printed as a table
and written to ``bench/results.md`` (``bench/results-quick.md`` for ``--quick``).
"""
