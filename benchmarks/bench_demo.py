"""The 14-day demo up to its summary, as a user runs it (`corridor demo --no-serve --json`):
wall time and peak memory of the whole process. Goal (issue #2): under 30 s and 500 MB on the
2-core machine."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import Result

RUNS = 3


def measure_process(command: list[str]) -> tuple[float, float, str]:
    """(wall seconds, peak RSS in MB, stdout) of one command, its own RSS read by wait4."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdout is not None
    stdout = process.stdout.read().decode()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{command} exited with {process.returncode}")
    return seconds, usage.ru_maxrss / 1024, stdout


def run(quick: bool = False) -> list[Result]:
    days = 2 if quick else 14
    runs = []
    for _ in range(RUNS):
        with tempfile.TemporaryDirectory() as tmp:
            command = [sys.executable, "-m", "corridor", "demo", "--days", str(days)]
            command += ["--no-serve", "--json", "--dir", str(Path(tmp) / "data")]
            runs.append(measure_process(command))
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
