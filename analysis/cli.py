"""The `workbook` command line: validate, export, synth, build and contract."""

from __future__ import annotations

import logging
import re
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table as RichTable
from rich.text import Text

log = logging.getLogger(__name__)

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Reducing Reoffending Workbook: validate, analyse and report on reoffending data.",
)
console = Console(width=None if sys.stdout.isatty() else 120)
errors = Console(stderr=True)

USAGE_ERROR = 2


# Everything from the data or the user (cells, file and sheet names, paths, messages quoting
# them) is printed as Text, never as markup: a cell "[/]" would crash rich, and
# "[link=https://x]" would become a live terminal hyperlink.
# Control characters too: an ESC from a cell would reach the terminal as a colour change or an
# OSC 8 hyperlink. They are shown as \x1b, the way Python writes them; the invisible format
# characters (zero-width space, joiners, direction marks, BOM) as \u200b, since "Go\u200bod"
# would print as "Good" in an error saying it is not Good.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")


def _plain(value: object) -> Text:
    return Text(_CONTROL.sub(lambda m: f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100
                             else f"\\u{ord(m[0]):04x}", str(value)))


def _usage_error(message: object) -> typer.Exit:
    # One line however narrow the terminal, so a script can read it.
    errors.print(Text.assemble(("error:", "red"), " ", str(message)), soft_wrap=True)
    return typer.Exit(USAGE_ERROR)


def _data_dir(path: Path) -> Path:
    """Exit 2 (usage) for a missing path or one that is neither a folder nor a workbook."""
    if not path.exists():
        raise _usage_error(f"{path} does not exist")
    if not path.is_dir() and path.suffix.lower() not in (".xlsx", ".xlsm"):
        raise _usage_error(f"{path} is not a folder of CSV files or an Excel workbook")
    return path


def _as_of(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _usage_error(f"--as-of must be a date YYYY-MM-DD, not {text!r}") from None


def _methods(given: list[str] | None):
    """--method KEY=VALUE options -> analysis.methods.Methods; exit 2 naming every bad one."""
    from .methods import parse_methods

    try:
        return parse_methods("\n".join(given or []))
    except ValueError as exc:
        raise _usage_error(exc) from None


def _print_problems(problems, title: str, style: str) -> None:
    table = RichTable(title=_plain(title), title_justify="left", show_lines=False)
    for col in ("file", "row", "column", "value", "rule", "message"):
        table.add_column(col, overflow="fold", style=style if col == "rule" else None)
    for p in problems:
        value = p.value if len(p.value) <= 60 else p.value[:57] + "..."
        table.add_row(*map(_plain, (p.file, "" if p.row is None else p.row, p.column, value,
                                    p.rule, p.message)))
    console.print(table)


def _print_frame(frame, title: str) -> None:
    table = RichTable(title=_plain(title), title_justify="left")
    for col in frame.columns:
        numeric = frame[col].dtype.kind in "iuf"
        table.add_column(_plain(col), justify="right" if numeric else "left", overflow="fold")
    for rec in frame.itertuples(index=False):
        table.add_row(*map(_plain, rec))
    console.print(table)


def _print_counts(dataset) -> None:
    from .summary import rows_by_area, rows_by_table

    _print_frame(rows_by_table(dataset), "Rows per table")
    by_area = rows_by_area(dataset)
    tables = [c for c in by_area.columns if c not in ("area_id", "name")]
    by_area["rows loaded"] = by_area[tables].apply(
        lambda r: ", ".join(f"{t} {n}" for t, n in r.items() if n) or "-", axis=1)
    _print_frame(by_area[["area_id", "rows loaded"]], "Rows per area")


@app.command()
def validate(
    data_dir: Annotated[Path, typer.Argument(help="Folder of CSV files or an Excel workbook.")],
) -> None:
    """Check every rule of the data contract; exit 1 listing every problem, 0 when clean."""
    from .loader import load_dataset

    dataset = load_dataset(_data_dir(data_dir))
    if dataset.errors:
        _print_problems(dataset.errors, f"{len(dataset.errors)} problems in {data_dir}", "red")
        if dataset.warnings:
            _print_problems(dataset.warnings, f"{len(dataset.warnings)} warnings", "yellow")
        raise typer.Exit(1)
    _print_counts(dataset)
    if dataset.warnings:
        _print_problems(dataset.warnings, f"{len(dataset.warnings)} warnings", "yellow")
    console.print(Text(f"{data_dir} meets the data contract.", style="green"))


def _load_or_exit(data_dir: Path):
    """Load and validate; on any error print every problem and exit 1 (never a traceback)."""
    from .loader import load_dataset

    dataset = load_dataset(_data_dir(data_dir))
    if dataset.errors:
        _print_problems(dataset.errors, f"{len(dataset.errors)} problems in {data_dir}", "red")
        errors.print("Fix these problems and run again; `workbook validate` lists them too.")
        raise typer.Exit(1)
    return dataset


@app.command()
def export(
    data_dir: Annotated[Path, typer.Argument(help="Folder of CSV files or an Excel workbook.")],
    out: Annotated[Path, typer.Option("--out", help="Folder to write the derived CSVs to.")],
    as_of: Annotated[str | None, typer.Option(
        help="Report date YYYY-MM-DD for every area (default: each area's own, as `workbook build` "
             "dates its report).")] = None,
    threshold: Annotated[int, typer.Option(
        min=1, help="Withhold counts of people below this, and what would reveal them.")] = 10,
    method: Annotated[list[str] | None, typer.Option(
        "--method", help="A statistical method other than the default, KEY=VALUE (repeat for "
                         "more); `workbook methods` lists them.")] = None,
) -> None:
    """Write the derived tables (milestone states, scores, rates, targets...) as CSV."""
    from . import asof
    from .contract import today
    from .pipeline import analyse, analyse_at_own_dates, method_warnings
    from .pipeline import export as write_tables

    when, methods = _as_of(as_of), _methods(method)
    dataset = _load_or_exit(data_dir)
    for warning in method_warnings(dataset, methods):
        log.warning("Methods: %s", warning)
    if when is not None:
        results = analyse(dataset, as_of=when, threshold=threshold, methods=methods)
        dated = f"as of {results.as_of}"
    else:  # each area as its own report counts it, not a 2005 plan judged today
        areas, plans = dataset.table("areas"), dataset.table("plans")
        dates = {key: found.date for key, found in asof.report_dates(
            areas, plans, [str(a) for a in areas["area_id"]], build_date=today()).items()}
        whole = asof.overview_as_of(areas, plans, build_date=today()).date
        results = analyse_at_own_dates(dataset, dates, whole, threshold=threshold, methods=methods)
        dated = f"each area as of its own date: {asof.dates_summary(dates).replace('report', 'area')}"
    written = write_tables(results, out)
    table = RichTable(title=_plain(f"Derived tables in {out}, {dated}"), title_justify="left")
    table.add_column("file")
    table.add_column("rows", justify="right")
    for path in written:
        table.add_row(_plain(path.name), f"{len(getattr(results, path.stem)):,}")
    console.print(table)


@app.command()
def build(
    data_dir: Annotated[Path, typer.Argument(help="Folder of CSV files or an Excel workbook.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for the reports: new, empty or an earlier build.")
                   ] = Path("reports"),
    areas: Annotated[str | None, typer.Option(help="Comma-separated area ids (default all).")] = None,
    as_of: Annotated[str | None, typer.Option(
        help="Report date YYYY-MM-DD for every report (default: each report's own, the date its "
             "plan's progress speaks for; see docs/data.md, plans.reported_on).")] = None,
    formats: Annotated[str, typer.Option(help="Comma-separated: html, pdf.")] = "html,pdf",
    jobs: Annotated[int, typer.Option(min=1, help="Notebooks run in parallel.")] = 1,
    engine: Annotated[str, typer.Option(help="auto (Quarto if on PATH), quarto or builtin.")] = "auto",
    timeout: Annotated[float, typer.Option(min=1, help="Seconds allowed per notebook.")] = 600,
    threshold: Annotated[int, typer.Option(
        min=1, help="Withhold counts of people below this, and what would reveal them.")] = 10,
    force: Annotated[bool, typer.Option("--force", help="Rebuild even unchanged reports.")] = False,
    executor: Annotated[str, typer.Option(help="local (worker processes) or dask (a cluster).")] = "local",
    scheduler: Annotated[str | None, typer.Option(help="Dask scheduler, tcp://host:8786.")] = None,
    stale_after_years: Annotated[int, typer.Option(
        min=1, help="Flag figures more than this many years older than the report's date.")] = 3,
    method: Annotated[list[str] | None, typer.Option(
        "--method", help="A statistical method other than the default, KEY=VALUE (repeat for "
                         "more); `workbook methods` lists them.")] = None,
) -> None:
    """Execute the area notebook per area and the overview, render HTML and PDF, index them.

    Reports whose inputs have not changed since their last successful build are skipped.
    """
    from .build import DataInvalid, summary_table
    from .build import build as run_build
    from .workspace import Stopped

    # Per-area progress lines (when stdout is not a terminal) are logged at INFO.
    logging.getLogger("analysis.build").setLevel(logging.INFO)
    wanted = [a.strip() for a in areas.split(",") if a.strip()] if areas else None
    methods = _methods(method)
    try:
        result = run_build(_data_dir(data_dir), out, areas=wanted, as_of=_as_of(as_of),
                           formats=[f.strip() for f in formats.split(",") if f.strip()],
                           jobs=jobs, engine=engine, timeout=timeout, threshold=threshold,
                           force=force, executor=executor, scheduler=scheduler,
                           stale_after_years=stale_after_years, methods=methods)
    except DataInvalid as exc:
        _print_problems(exc.problems, f"{len(exc.problems)} problems in {data_dir}", "red")
        errors.print("Nothing was built. Fix these problems and run again.")
        raise typer.Exit(1) from None
    except (ValueError, FileNotFoundError) as exc:  # bad settings, or an --out not ours to write
        raise _usage_error(exc) from None
    except OSError as exc:  # build.json could not be written: a full disk, a folder gone read-only
        reason = exc.strerror if exc.strerror and not exc.filename else exc  # no "[Errno 28]" noise
        errors.print(Text.assemble(("error:", "red"), " ", str(reason)), soft_wrap=True)
        raise typer.Exit(1) from None
    except (KeyboardInterrupt, Stopped) as exc:
        how = str(exc) if isinstance(exc, Stopped) else "interrupted"
        errors.print(Text.assemble((f"Build {how}:", "red"), " its workers and working files were "
                                   "removed; reports already written are complete, and the next "
                                   "build redoes the rest."), soft_wrap=True)
        raise typer.Exit(128 + (exc.signum if isinstance(exc, Stopped) else 2)) from None
    console.print(summary_table(result))
    console.print(_plain(f"Index: {result.index}"))
    if not result.ok:
        raise typer.Exit(1)


@app.command()
def methods() -> None:
    """List the statistical methods --method can choose: each option, its default and its values."""
    from .methods import OPTIONS, Methods

    default = Methods()
    table = RichTable(title="Statistical methods (workbook build|export --method KEY=VALUE)",
                      title_justify="left")
    for column in ("option", "default", "values"):
        table.add_column(column)
    for name, values in OPTIONS.items():
        table.add_row(_plain(name), _plain(default.value_text(name) or "(none)"), _plain(values))
    console.print(table)
    for figure, words in default.describe():
        console.print(_plain(f"{figure}, by default: {words}"))


@app.command()
def contract() -> None:
    """Print the data contract as Markdown (the source of docs/data.md)."""
    from .contract import markdown

    sys.stdout.write(markdown())


@app.command()
def template(
    path: Annotated[Path, typer.Argument(
        help="The workbook to write (.xlsx); an existing file is never replaced.")],
) -> None:
    """Write an input workbook to fill in: a sheet per table, drop-down lists, instructions."""
    from .template import write_template

    try:
        write_template(path)
    except (ValueError, FileExistsError) as exc:
        raise _usage_error(_plain(str(exc))) from None
    except OSError as exc:  # a read-only folder, a full disk, a name too long
        raise _usage_error(_plain(f"cannot write {path}: {exc.strerror or exc}")) from None
    console.print(_plain(f"Template written to {path}: replace the example rows with your own, "
                         f"then run: workbook validate {path}"))


import_app = typer.Typer(no_args_is_help=True, help="Bring published data into a data folder.")
app.add_typer(import_app, name="import")


def _into(folder: Path) -> Path:
    if not folder.is_dir():
        raise _usage_error(f"--into {folder} is not a folder: imports write the folder's CSV files")
    return folder


def _run_import(run, shapes: tuple[type[Exception], ...], usage: tuple[type[Exception], ...] = ()):
    """An import's result, or exit: 2 for a usage error, 1 naming the file for a file of another
    shape or one that cannot be written, 128 + n on a signal (SIGTERM and SIGHUP clean up as
    Ctrl-C does, so no temporary file is left)."""
    from .workspace import Stopped, stop_on_sigterm

    try:
        with stop_on_sigterm():
            return run()
    except usage as exc:
        raise _usage_error(_plain(exc)) from None
    except (*shapes, ValueError) as exc:
        errors.print(Text.assemble(("error:", "red"), " ", _plain(exc)), soft_wrap=True)
        raise typer.Exit(1) from None
    except OSError as exc:  # a folder gone read-only, a full disk: nothing was left half-written
        where = f" ({exc.filename})" if exc.filename else ""
        errors.print(Text.assemble(("error:", "red"), " ", _plain(f"cannot write{where}: "
                                                                  f"{exc.strerror or exc}; nothing "
                                                                  "was changed")), soft_wrap=True)
        raise typer.Exit(1) from None
    except (KeyboardInterrupt, Stopped) as exc:
        errors.print(Text.assemble(("Import stopped:", "red"), " nothing was changed."))
        raise typer.Exit(128 + (exc.signum if isinstance(exc, Stopped) else 2)) from None


def _print_lines(lines: list[str], title: str, style: str | None = None) -> None:
    if lines:
        console.print(Text(title, style=style or ""))
        for line in lines:
            console.print(Text.assemble("  ", _plain(line)), soft_wrap=True)


@import_app.command("moj-reoffending")
def import_moj_reoffending(
    file: Annotated[Path, typer.Argument(help="The MoJ geographical data tool (.xlsx) or a CSV bundle.")],
    into: Annotated[Path, typer.Option(help="The data folder whose reoffending.csv takes the rows.")],
    replace: Annotated[bool, typer.Option(help="Take the imported figures where a row differs.")] = False,
    title: Annotated[str | None, typer.Option(help="The release's title, for every row's source.")] = None,
    published: Annotated[str, typer.Option(help="When the release was published, as it prints it, "
                                                 "e.g. April 2025.")] = "",
    geography: Annotated[str, typer.Option(help="The area of a file that names none (a CSV bundle).")]
    = "England and Wales",
) -> None:
    """Import MoJ proven reoffending figures: geographies matched to areas, rows merged, sources named."""
    from .importing import import_moj
    from .labels import plural
    from .moj import MojShapeError

    if not file.is_file():
        raise _usage_error(f"{file} is not a file")
    folder = _into(into)
    result = _run_import(lambda: import_moj(file, folder, replace=replace, title=title,
                                            published=published, geography=geography), (MojShapeError,))
    _print_frame(result.geographies, f"Geographies in {result.file}")
    unmatched = result.geographies[result.geographies["status"] != "matched"]
    if not unmatched.empty:
        errors.print(Text(f"{plural(len(unmatched), 'geography', 'geographies')} not imported: add "
                          "the area, its code, or an aliases row of kind geography, and import again.",
                          style="yellow"), soft_wrap=True)
    merge = result.merge
    _print_lines(result.not_taken, "Rows not taken:", "yellow")
    _print_lines(merge.conflicts, f"{plural(len(merge.conflicts), 'row differs', 'rows differ')} from "
                 "the file's and kept as it is (--replace takes the file's):", "yellow")
    _print_lines(merge.replaced, f"{plural(len(merge.replaced), 'row')} replaced:")
    if result.problems:
        _print_lines(result.problems, "Nothing written: the imported rows would break the data contract:",
                     "red")
        raise typer.Exit(1)
    console.print(_plain(f"{plural(merge.added, 'row')} added, {len(merge.replaced)} replaced, "
                         f"{merge.same} already there{'' if result.written else '; nothing written'}."))
    if unmatched.shape[0] == result.geographies.shape[0]:
        raise typer.Exit(1)  # not one geography is an area of the folder: nothing could be taken


@import_app.command("ons-geography")
def import_ons_geography(
    lookup: Annotated[Path, typer.Argument(help="The ONS LAD to CSP to PFA lookup (.csv or .xlsx).")],
    into: Annotated[Path, typer.Option(help="The data folder whose areas.csv and groupings.csv grow.")],
    parent: Annotated[str, typer.Option(help="area_id new partnerships sit in, e.g. a region.")] = "",
    replace: Annotated[bool, typer.Option(help="Take the lookup's group where a grouping differs.")] = False,
) -> None:
    """Import councils and community safety partnerships, with their police force areas."""
    from .importing import import_ons_geography as run
    from .importing.ons import LookupShapeError, UnknownParent
    from .labels import plural

    if not lookup.is_file():
        raise _usage_error(f"{lookup} is not a file")
    folder = _into(into)
    result = _run_import(lambda: run(lookup, folder, parent=parent, replace=replace), (LookupShapeError,),
                         usage=(UnknownParent,))
    _print_lines(result.added, f"{plural(len(result.added), 'area')} added:")
    _print_lines(result.codes_filled, f"{plural(len(result.codes_filled), 'code')} filled in:")
    _print_lines(result.notes, "Kept as they are:")
    groupings = result.groupings
    differ = plural(len(groupings.conflicts), "grouping differs", "groupings differ")
    _print_lines(groupings.conflicts, f"{differ} from the lookup's and kept as it is (--replace takes "
                 "the lookup's):", "yellow")
    if result.problems:
        _print_lines(result.problems, "Nothing written: the result would break the data contract:", "red")
        raise typer.Exit(1)
    console.print(_plain(f"{plural(len(result.added), 'area')} added, "
                         f"{plural(len(result.codes_filled), 'code')} filled in, "
                         f"{plural(groupings.added, 'grouping')} added"
                         f"{'' if result.written else '; nothing written'}."))


@app.command()
def synth(
    out_dir: Annotated[Path, typer.Argument(help="Folder to write the synthetic dataset to.")],
    areas: Annotated[int, typer.Option(min=1, help="Number of areas.")] = 10,
    quarters: Annotated[int, typer.Option(min=1, help="Number of quarterly cohorts.")] = 8,
    offenders_per_quarter: Annotated[int, typer.Option(min=1)] = 400,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same bytes.")] = 0,
    record_level: Annotated[bool, typer.Option(help="Also write offenders.parquet.")] = False,
) -> None:
    """Write a deterministic, contract-valid synthetic dataset."""
    from .synth import synthesise

    try:
        counts = synthesise(out_dir, areas=areas, quarters=quarters,
                            offenders_per_quarter=offenders_per_quarter, seed=seed,
                            record_level=record_level)
    except ValueError as exc:
        raise _usage_error(exc) from None
    table = RichTable(title=_plain(f"Synthetic dataset in {out_dir}"), title_justify="left")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, rows in counts.items():
        table.add_row(name, f"{rows:,}")
    console.print(table)


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app()


if __name__ == "__main__":
    main()
