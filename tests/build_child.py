"""`workbook build` as a child process with a toy area notebook, for tests that kill or stop a build.

    python -m tests.build_child NOTEBOOK build DATA --out OUT [options]   # the real CLI, toy notebook
    python -m tests.build_child NOTEBOOK isolated DATA OUT AREA           # one report, as a Dask task runs it

NOTEBOOK is a file name in tests/data/build. The CLI has no notebook option, so the build's
default area notebook is swapped for the toy one and the overview left out; everything else
(exit codes, messages, signals) is the real command's. Run from the repository root.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

TOY = Path(__file__).parent / "data" / "build"


def main() -> None:
    import signal

    # As a build started at a terminal has it: Ctrl-C raises KeyboardInterrupt. A test run started
    # in the background by a non-interactive shell (`make test &`) inherits SIGINT ignored, and
    # the SIGINT test would then wait on a build that never hears it.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    from analysis import build as build_module

    notebook, mode, *rest = sys.argv[1:]
    if mode == "isolated":
        data, out, area = rest
        job = build_module._job(
            area,
            area,
            TOY / notebook,
            Path(data).resolve(),
            Path(out).resolve(),
            Path(out).resolve() / "scratch",
            date(2025, 3, 31),
            ("html",),
            "builtin",
            600,
            "0",
            "unknown",
        )
        Path(out, "scratch").mkdir(parents=True, exist_ok=True)
        build_module._run_isolated(job, 600)
        return
    defaults = build_module.build.__kwdefaults__
    defaults["area_notebook"], defaults["overview_notebook"] = TOY / notebook, None
    from analysis.cli import main as cli

    sys.argv = ["workbook", mode, *rest]
    cli()


if __name__ == "__main__":  # workers import this module as their __main__: nothing may run then
    main()
