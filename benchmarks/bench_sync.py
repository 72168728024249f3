"""Sync of one post's outbox to HQ over loopback HTTP, on SQLite and on PostgreSQL, against the
bare ingest rate of the same events in the same run; peak memory of HQ and of the post.

Goal (issue #4): sync at least 70% of the bare ingest rate; HQ and the post each under 300 MB.

For each store kind: a fresh HQ data directory (the built-in scenario, the post's key
registered), HQ as a process (``corridor serve --role hq``), and a post data directory whose
outbox holds N signed events queued through :meth:`corridor.post.node.PostNode.enqueue_signed`.
A post process (``python -m benchmarks.bench_sync --push DIR``) pulls the registry, then times
:meth:`corridor.post.sync_client.SyncClient.push_all` from its first push until nothing is left
unacknowledged. The post's peak RSS comes from its ``ru_maxrss`` (started from a small
launcher); HQ's from ``VmHWM`` in ``/proc/<pid>/status`` just before it is stopped.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from benchmarks import bench_ingest
from benchmarks.common import Result, free_port, run_measured
from corridor.hq.ingest import Ingestor
from corridor.hq.provision import init_hq
from corridor.hq.registry import ROLE_ADMIN, ROLE_POST, register_key
from corridor.model.corridor import Corridor
from corridor.model.events import Submission
from corridor.model.signing import SigningKey
from corridor.post.node import PostNode
from corridor.post.setup import init_post
from corridor.sim.scenario import default_scenario_path, load_scenario
from corridor.store.engine import open_store, sqlite_url

POST = "P01"
POST_KEY = SigningKey(b"\x05" * 32)
START = datetime(2020, 12, 1, tzinfo=UTC)
#: Events per push: HQ's limit (docs/sync.md).
PUSH_BATCH = 1000
INGEST_BATCH = 1000
POSTGRES_URL = os.environ.get(
    "CORRIDOR_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


def make_submissions(count: int, corridor: Corridor) -> list[Submission]:
    """``count`` signed events of post P01 of ``corridor``, as bench_ingest makes them."""
    return bench_ingest.make_submissions(count, POST_KEY, corridor=corridor.id, post=POST)


def bare_ingest(submissions: list[Submission], corridor: Corridor) -> None:
    """The foundation benchmark's ingest: in process, into a fresh SQLite store."""
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(sqlite_url(Path(tmp) / "bench.db"))
        admin = SigningKey(b"\x03" * 32)
        register_key(store, corridor.id, admin, "admin", ROLE_ADMIN, admin.public_key, START)
        register_key(store, corridor.id, admin, POST, ROLE_POST, POST_KEY.public_key, START)
        ingestor = Ingestor(store, corridor, clock=lambda: START + timedelta(days=365))
        for i in range(0, len(submissions), INGEST_BATCH):
            ingestor.ingest(submissions[i : i + INGEST_BATCH])
        store.dispose()


@contextmanager
def postgres_database() -> Iterator[str | None]:
    """A fresh PostgreSQL database for the run (dropped after), or None if none is reachable."""
    import psycopg

    try:
        admin = psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError:
        yield None
        return
    name = f"corridor_bench_sync_{uuid.uuid4().hex[:8]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{POSTGRES_URL.rpartition('/')[0]}/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def vm_hwm_mb(pid: int) -> float:
    """Peak resident set of a running process, from /proc (VmHWM, in kB)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for process {pid}")


def sync_run(
    work: Path, submissions: list[Submission], database_url: str | None
) -> dict[str, float]:
    """One sync of ``submissions`` to a fresh HQ; seconds, events/s and both peak RSS."""
    scenario = default_scenario_path()
    hq_dir, post_dir = work / "hq", work / "post"
    _, store, keys = init_hq(hq_dir, scenario, database_url=database_url)
    register_key(store, "lachin", keys.admin, POST, ROLE_POST, POST_KEY.public_key, START)
    store.dispose()
    port = free_port()
    init_post(post_dir, POST, f"http://127.0.0.1:{port}", scenario, key=POST_KEY)
    node = PostNode.open(post_dir)
    for i in range(0, len(submissions), 10_000):
        chunk = submissions[i : i + 10_000]
        node.enqueue_signed((s.raw, s.private, s.salt) for s in chunk)  # type: ignore[misc]
    node.close()
    env = {k: v for k, v in os.environ.items() if k != "CORRIDOR_DATABASE_URL"}
    # Sync alone: the benchmark's 5,000 made-up vehicles are all unregistered, a flood of
    # unknown_vehicle alerts that is not what this measures (bench_positions times the monitor).
    env["CORRIDOR_MONITOR"] = "false"
    if database_url is not None:
        env["CORRIDOR_DATABASE_URL"] = database_url
    hq_log = open(work / "hq.log", "wb")  # noqa: SIM115 - closed below
    hq = subprocess.Popen(
        [sys.executable, "-m", "corridor", "serve", "--role", "hq", "--dir", str(hq_dir)]
        + ["--port", str(port)],
        stdout=hq_log,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
    )
    try:
        _wait_http(f"http://127.0.0.1:{port}/log/checkpoint", hq)
        answer, post_peak = _push(post_dir, work / "post.log")
        hq_peak = vm_hwm_mb(hq.pid)
    finally:
        os.killpg(hq.pid, signal.SIGINT)
        hq.wait(timeout=30)
        hq_log.close()
    if answer["acknowledged"] != len(submissions):
        raise RuntimeError(f"only {answer['acknowledged']} of {len(submissions)} acknowledged")
    return {
        "seconds": answer["seconds"],
        "rate": len(submissions) / answer["seconds"],
        "post_peak_mb": post_peak,
        "hq_peak_mb": hq_peak,
    }


def _push(post_dir: Path, log: Path) -> tuple[dict[str, float], float]:
    """Run the push worker as a process; its answer and its peak RSS in MB."""
    with open(log, "wb") as errors:
        try:
            _, peak_mb, stdout = run_measured(
                [sys.executable, "-m", "benchmarks.bench_sync", "--push", str(post_dir)],
                cwd=str(Path(__file__).resolve().parents[1]),
                stderr=errors,
            )
        except RuntimeError as exc:
            raise RuntimeError(f"push worker failed:\n{log.read_text()[-3000:]}") from exc
    answer: dict[str, float] = json.loads(stdout)
    return answer, peak_mb


def _wait_http(url: str, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"HQ exited early ({process.returncode})")
        try:
            httpx.get(url, timeout=1.0)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer in {timeout} s")


def push_worker(directory: Path) -> None:
    """The post's side, in its own process: pull the registry, then push everything and time it;
    print one JSON object (seconds, rows acknowledged)."""
    from corridor.post.sync_client import SyncClient

    node = PostNode.open(directory)
    client = SyncClient(node)
    try:
        client.pull_registry()
        start = time.perf_counter()
        acknowledged = client.push_all(PUSH_BATCH)
        seconds = time.perf_counter() - start
    finally:
        client.close()
        node.close()
    print(json.dumps({"seconds": seconds, "acknowledged": acknowledged}))


def run(quick: bool = False, repeats: int = 3) -> list[Result]:
    count = 10_000 if quick else 100_000
    corridor = load_scenario(default_scenario_path()).corridor
    submissions = make_submissions(count, corridor)
    results: list[Result] = []
    memory: dict[str, tuple[float, float]] = {}
    with postgres_database() as pg_url:
        kinds: list[tuple[str, str | None]] = [("SQLite", None)]
        if pg_url is not None:
            kinds.append(("PostgreSQL", pg_url))
        for kind, url in kinds:
            runs = []
            for _ in range(repeats):
                # The bare ingest right before each sync: the machine may be busier at one
                # moment than another, and the ratio compares like with like.
                started = time.perf_counter()
                bare_ingest(submissions, corridor)
                bare = count / (time.perf_counter() - started)
                with tempfile.TemporaryDirectory() as tmp:
                    runs.append({"bare": bare, **sync_run(Path(tmp), submissions, url)})
                if url is not None:
                    _reset_postgres(url)
            results.append(_rate_result(kind, count, runs))
            memory[kind] = (
                max(r["hq_peak_mb"] for r in runs),
                max(r["post_peak_mb"] for r in runs),
            )
        if pg_url is None:
            results[0].notes.append("PostgreSQL not reachable: its run was skipped.")
    results.append(_memory_result(count, memory))
    return results


def _rate_result(kind: str, count: int, runs: list[dict[str, float]]) -> Result:
    def median(key: str) -> float:
        return statistics.median(r[key] for r in runs)

    ratio = statistics.median(r["rate"] / r["bare"] for r in runs)
    return Result(
        name=f"Sync: {count:,} events from one post to HQ over loopback HTTP ({kind})",
        figures={
            "events": f"{count:,}, pushes of {PUSH_BATCH:,}",
            "bare ingest (in process, fresh SQLite), median": f"{median('bare'):,.0f} events/s",
            "sync, first push to all acknowledged, median": (
                f"{median('rate'):,.0f} events/s ({median('seconds'):.1f} s)"
            ),
            "sync / bare ingest, median of the runs' ratios": f"{ratio:.0%}",
            "sync / bare ingest, each run": ", ".join(f"{r['rate'] / r['bare']:.0%}" for r in runs),
            "runs": f"{len(runs)}, each a bare ingest then a sync",
        },
        goal="sync >= 70% of the bare ingest rate",
        met=ratio >= 0.7,
        notes=[
            "HQ (`corridor serve --role hq`, publishing a checkpoint every second, its monitor "
            "off: the 5,000 simulated vehicles are unregistered) and the post "
            "are separate processes sharing the machine's cores; the bare ingest is the "
            "foundation benchmark's (in process, no HTTP, no publishing).",
            "The post keeps two pushes of 1,000 events in flight (docs/sync.md), so HQ verifies "
            "one while it writes the other.",
            *(
                [
                    "The baseline is the foundation's ingest into SQLite; the PostgreSQL server "
                    "runs on the same cores as HQ and the post, so this ratio also carries "
                    "PostgreSQL's own cost."
                ]
                if kind == "PostgreSQL"
                else []
            ),
        ],
    )


def _memory_result(count: int, memory: dict[str, tuple[float, float]]) -> Result:
    figures = {}
    for kind, (hq_peak, post_peak) in memory.items():
        figures[f"HQ peak RSS ({kind})"] = f"{hq_peak:.0f} MB"
        figures[f"post peak RSS ({kind})"] = f"{post_peak:.0f} MB"
    worst = max(max(pair) for pair in memory.values())
    return Result(
        name=f"Sync memory: peak RSS of HQ and of the post during the {count:,}-event sync",
        figures=figures,
        goal="HQ and the post each under 300 MB",
        met=worst < 300,
        notes=[
            "HQ: VmHWM just before it is stopped; the post: ru_maxrss of the push worker, "
            "started from a small launcher (see benchmarks/common.py). Largest run."
        ],
    )


def _reset_postgres(url: str) -> None:
    """Empty the benchmark database for the next run (drop and recreate its public schema)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--push", type=Path, help="(internal) run the post's push worker")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.push is not None:
        push_worker(args.push)
        return
    for result in run(quick=args.quick):
        print(result)


if __name__ == "__main__":
    main()
