"""The 14-day demo up to its summary, as a user runs it (`corridor demo --no-serve --json`):
wall time and peak memory of the whole process. Goal (issue #2): under 30 s and 500 MB on the
2-core machine."""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
from pathlib import Path

from benchmarks.common import Result, run_measured

RUNS = 3


def run(quick: bool = False) -> list[Result]:
    days = 2 if quick else 14
    runs = []
    for _ in range(RUNS):
        with tempfile.TemporaryDirectory() as tmp:
            command = [sys.executable, "-m", "corridor", "demo", "--days", str(days)]
            command += ["--no-serve", "--json", "--dir", str(Path(tmp) / "data")]
            runs.append(run_measured(command))
    seconds = statistics.median(r[0] for r in runs)
    peak = max(r[1] for r in runs)
    events = int(json.loads(runs[0][2])["events"])
    return [
        Result(
            name=f"Demo: {days} simulated days up to the summary",
            figures={
                "events ingested": f"{events:,} (plus key registrations and {days} bulletins)",
                "wall time, median of 3": f"{seconds:.1f} s",
                "peak RSS, largest of 3": f"{peak:.0f} MB",
            },
            goal="under 30 s and under 500 MB",
            met=seconds < 30 and peak < 500,
            notes=[
                "Whole process: interpreter start, scenario, keys, simulation, signing, ingest, "
                "bulletins, checkpoints and the static log export.",
            ],
        )
    ]


if __name__ == "__main__":
    for result in run(quick=True):
        print(result)
