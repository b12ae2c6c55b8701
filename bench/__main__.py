"""``python -m bench [--quick] [--only aggregation|build|analysis] [--areas N] [--repeats R]``.

Always exits 0: the bench reports figures and PASS/FAIL per target, it does not assert.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback

from rich.console import Console

from . import aggregation, analysis, builds
from .common import BENCH, Row, machine
from .report import print_table, write_markdown


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="fast check: 1M rows only and 10 areas (writes bench/results-quick.md)")
    parser.add_argument("--only", choices=("aggregation", "build", "analysis"), help="run one part only")
    parser.add_argument("--areas", type=int, help="areas to build (default 50, 10 with --quick)")
    parser.add_argument("--repeats", type=int, help="aggregation runs per variant (default 3, 1 quick)")
    args = parser.parse_args(argv)
    areas = args.areas or (10 if args.quick else 50)
    repeats = args.repeats or (1 if args.quick else 3)
    sizes = ["1M"] if args.quick else ["1M", "10M"]
    command = "python -m bench" + "".join(f" {a}" for a in (argv if argv is not None else sys.argv[1:]))
    results = BENCH / ("results-quick.md" if args.quick or args.only or args.areas else "results.md")

    console = Console(width=None if sys.stdout.isatty() else 160)
    say = console.print
    info = machine()
    say(f"[bold]bench[/] on {info['cpu']}, {info['cores']}, {info['ram']} RAM, {info['python']}")
    started = time.perf_counter()
    rows: list[Row] = []

    def save(status: str) -> None:
        write_markdown(results, rows, info, command=command, total_seconds=time.perf_counter() - started,
                       status=status)

    parts = []
    if args.only in (None, "aggregation"):
        parts.append(("1. aggregation", lambda: aggregation.run(sizes, repeats, say)))
    if args.only in (None, "build"):
        parts.append(("2-3. build", lambda: builds.run(areas, say)))
    if args.only in (None, "analysis"):
        national = 100 if args.quick else 500
        parts.append(("4. analysis", lambda: analysis.run(national, repeats, say)))
    for name, part in parts:
        say(f"[bold]{name}[/]")
        try:
            rows += part()
        except Exception as exc:  # noqa: BLE001 - report and carry on: the bench never asserts
            traceback.print_exc()
            rows.append(Row(name, "error", type(exc).__name__, note=str(exc)[:300], result="FAIL"))
        save("in progress" if part is not parts[-1][1] else "complete")

    total = time.perf_counter() - started
    mode = "quick" if args.quick else "partial" if args.only or args.areas else "full"
    print_table(console, rows, f"Benchmarks ({mode}), {total / 60:.1f} min")
    say(f"written to {results}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
