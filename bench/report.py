"""The results as a rich table on the terminal and as Markdown in bench/results*.md."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from .common import Row, load

COLUMNS = ("benchmark", "figure", "workbook", "baseline", "ratio", "target", "result", "note")


def _cells(row: Row) -> list[str]:
    return [row.section, row.figure, row.workbook, row.baseline, row.ratio, row.target, row.result,
            row.note]


def print_table(console: Console, rows: list[Row], title: str) -> None:
    table = Table(title=title, title_justify="left", show_lines=True)
    for name in COLUMNS:
        table.add_column(name, overflow="fold",
                         justify="right" if name in ("workbook", "baseline") else "left")
    for row in rows:
        cells = _cells(row)
        style = {"PASS": "[green]PASS[/]", "FAIL": "[red]FAIL[/]"}.get(row.result, row.result)
        cells[6] = style
        table.add_row(*cells)
    console.print(table)


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def write_markdown(path: Path, rows: list[Row], machine: dict[str, str], *, command: str,
                   total_seconds: float, status: str) -> None:
    lines = [
        "# Benchmark results",
        "",
        f"`{command}` — {status}; total run time {total_seconds / 60:.1f} min "
        "(dataset generation included the first time; cached in `bench/.data/` afterwards).",
        "Every figure is beside a baseline measured in the same run on this machine.",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "| " + " | ".join("---" for _ in COLUMNS) + " |",
    ]
    lines += ["| " + " | ".join(_md(c) for c in _cells(row)) + " |" for row in rows]
    lines += [
        "",
        "## Machine",
        "",
        f"- Date: {machine['date']}",
        f"- CPU: {machine['cpu']}",
        f"- Cores: {machine['cores']}",
        f"- RAM: {machine['ram']}",
        f"- OS: {machine['os']}",
        f"- Python: {machine['python']}",
        f"- Packages: {machine['packages']}",
        f"- Load average (1/5/15 min) at start: {machine['load']}; at end: {load()} "
        "(2 cores: other processes running during the bench slow the builds most)",
        "",
        "## Method",
        "",
        "- Aggregation: `synthesise(record_level=True)` writes `offenders.parquet` (generated once, "
        "outside the timing). Each run is a fresh `python -m bench._agg_child` process; seconds are "
        "the work after imports (median of the runs); peak memory is that process's `ru_maxrss`. "
        "Workbook = `check_records` (every contract rule, DuckDB) + `aggregate_offenders` (DuckDB); "
        "baseline = `pd.read_parquet` + `groupby` to the same cohort table, compared value by value.",
        "- Build: `workbook build DATA --out OUT --areas <the N areas> --as-of 2021-12-31 --jobs J "
        "--force` (N area reports + the overview, HTML and PDF, built-in engine) against a naive loop "
        "running, per area and for the overview, the `papermill` command line then a `python -c` "
        "calling `analysis.render.render_html`/`render_pdf`.",
        "- Incremental: after the full `--jobs 2` build, the same command without `--force` with "
        "nothing changed, then after editing one milestone description of one area in the data copy; "
        "% of the full `--jobs 2` build.",
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")
