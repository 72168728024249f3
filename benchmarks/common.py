"""What every benchmark shares: timing, the result record, and the machine description."""

from __future__ import annotations

import os
import platform
import socket
import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO


@dataclass
class Result:
    """One benchmark's figures, the goal it is held to and whether it met it."""

    name: str
    figures: dict[str, str]
    goal: str
    met: bool
    notes: list[str] = field(default_factory=list)


def median_seconds(run: Callable[[], object], repeats: int = 3) -> float:
    """Median wall time of ``repeats`` runs of ``run``."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        with open("/proc/meminfo") as handle:
            kb = int(handle.readline().split()[1])
        memory = f"{kb / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        memory = "?"
    return (
        f"{cpu}, {os.cpu_count()} cores, {memory} RAM, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


# A small launcher between the benchmark and the measured process. Linux folds the RSS a process
# had before exec into its ru_maxrss, so a child started straight from a large benchmark process
# reports the benchmark's size; started from this launcher, it reports its own.
_LAUNCHER = """
import json, os, subprocess, sys
child = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(child.pid, 0)
with open(sys.argv[1], "w") as out:
    json.dump({"code": os.waitstatus_to_exitcode(status), "peak_kb": usage.ru_maxrss}, out)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_measured(
    command: list[str], *, cwd: str | None = None, stderr: int | IO[bytes] | None = None
) -> tuple[float, float, bytes]:
    """Run ``command``; return (wall seconds, its peak RSS in MB, its stdout)."""
    import json
    import sys
    import tempfile

    with tempfile.NamedTemporaryFile("r", suffix=".json") as report:
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", _LAUNCHER, report.name, *command],
            stdout=subprocess.PIPE,
            stderr=stderr if stderr is not None else subprocess.DEVNULL,
            cwd=cwd,
            check=False,
        )
        seconds = time.perf_counter() - start
        measured = json.load(open(report.name))  # noqa: SIM115 - the launcher wrote it
    if done.returncode != 0:
        raise RuntimeError(f"{command} exited with {done.returncode}")
    return seconds, measured["peak_kb"] / 1024, done.stdout


def free_port() -> int:
    """A port of 127.0.0.1 nothing listens on now (for a server the benchmark starts)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_port(port: int, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """Wait until ``process`` listens on ``port``; fail at once if it exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited early ({process.returncode})")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"port {port} did not open in {timeout} s")
