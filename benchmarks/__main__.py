"""Run every benchmark and write docs/performance.md: ``make bench``. A partial run
(``python -m benchmarks --quick`` or ``--only bench_sync ...``) prints its results and leaves
docs/performance.md as the last full run wrote it. Each module's ``run()`` returns
:class:`Result` records."""

from __future__ import annotations

import argparse
import datetime
import importlib
import sys
import time
from pathlib import Path

from benchmarks.common import Result, machine

MODULES = [
    "bench_ingest",
    "bench_demo",
    "bench_log",
    "bench_audit",
    "bench_sync",
    "bench_geofence",
    "bench_positions",
    "bench_public",
]
OUTPUT = Path(__file__).resolve().parents[1] / "docs" / "performance.md"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="Small sizes, for a smoke test.")
    parser.add_argument("--only", nargs="*", help="Run only these modules.")
    args = parser.parse_args()
    results: list[Result] = []
    for name in args.only or MODULES:
        try:
            module = importlib.import_module(f"benchmarks.{name}")
        except ModuleNotFoundError as exc:
            print(f"skipping {name}: {exc}", file=sys.stderr)
            continue
        started = time.perf_counter()
        print(f"running {name} ...", file=sys.stderr, flush=True)
        results.extend(module.run(quick=args.quick))
        print(f"  {time.perf_counter() - started:.0f} s", file=sys.stderr)
    if args.quick or args.only:
        # A smoke test or a part of the run is not the record: docs/performance.md keeps the
        # last full run, and this one is printed instead.
        arguments = " ".join(sys.argv[1:])
        print(render(results, f"python -m benchmarks {arguments}"))
        print(f"(partial run: {OUTPUT.name} left as it was)", file=sys.stderr)
    else:
        OUTPUT.write_text(render(results, "make bench"))
    for result in results:
        print(f"{'met ' if result.met else 'MISSED'}  {result.name}")


def render(results: list[Result], command: str) -> str:
    today = datetime.date.today().isoformat()
    lines = [
        "# Performance",
        "",
        "Written by the benchmark runner; do not edit by hand. Every figure is measured, and",
        "each comparison is made side by side in the same run.",
        "",
        f"- Command: `{command}`",
        f"- Date: {today}",
        f"- Machine: {machine()}",
        "",
    ]
    for result in results:
        lines += [f"## {result.name}", "", "| measure | value |", "|---|---|"]
        lines += [f"| {key} | {value} |" for key, value in result.figures.items()]
        lines += ["", f"Goal: {result.goal}. **{'Met' if result.met else 'Not met'}.**", ""]
        lines += [f"- {note}" for note in result.notes]
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
