"""The position intake under sustained load, against a bare endpoint in the same server; and
HQ's peak memory while it takes in a million positions.

Goals (the positions issue): intake p99 latency under 50 ms, and at least 50% of the bare
endpoint's requests per second; HQ's memory bounded while positions pile up.

Throughput: one server process (``python -m benchmarks.bench_positions --serve DB PORT``):
uvicorn (httptools, uvloop) serving the intake app over a fresh SQLite store with 100 registered
trackers, and beside it on ``/bare`` an endpoint answering a constant. The benchmark process
drives it over loopback with a few concurrent keep-alive HTTP/1.1 clients written on raw asyncio
streams (an HTTP library would make the client the bottleneck), each sending OsmAnd GETs as
Traccar Client does, first for a bounded time at ``/bare``, then at the intake. Every intake
answer is a committed position (the server commits before it answers 200).

Position to alert: :mod:`benchmarks.bench_position_alerts` (HQ as a real process).

Memory: a separate process (``--feed DB N``) feeds N positions through the intake's own decode
and store path (:func:`corridor.hq.osmand.decode_request`, then
:meth:`corridor.hq.positions.PositionIntake.store_batch` in batches of 500 requests, as the writer
groups them), without HTTP: a million requests over loopback would take the better part of an
hour on this machine and measure the HTTP server, not what grows with the table. It reports
VmHWM at checkpoints along the way, so boundedness is visible, not assumed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import bench_position_alerts
from benchmarks.bench_sync import vm_hwm_mb
from benchmarks.common import Result, free_port, wait_port

DEVICES = 100
#: Concurrent keep-alive clients: a few, then as many as a large fleet keeps open at once.
CLIENT_LEVELS = (8, 64)
PSEUDONYM_KEY = b"\x21" * 32
REPO = Path(__file__).resolve().parents[1]


def _prepare(db: Path) -> None:
    """A fresh store with DEVICES registered vehicles, each with its tracker."""
    from corridor.hq.devices import register_device
    from corridor.hq.vehicles import RegisteredVehicle, register_vehicles
    from corridor.model.vocabulary import VehicleClass
    from corridor.store.engine import open_store, sqlite_url

    store = open_store(sqlite_url(db))
    now = datetime.now(UTC)
    register_vehicles(
        store, [RegisteredVehicle(f"BENCH {i:03d}", VehicleClass.TRUCK) for i in range(DEVICES)]
    )
    for i in range(DEVICES):
        register_device(store, f"{900000 + i}", now, vehicle=f"BENCH {i:03d}")
    store.dispose()


def serve(db: Path, port: int) -> None:
    """The server process: the intake, and the bare endpoint beside it on ``/bare``."""
    import uvicorn

    from corridor.hq.position_writer import PositionWriter
    from corridor.hq.positions import PositionIntake
    from corridor.store.engine import open_store, sqlite_url
    from corridor.web.positions import Receive, Scope, Send, create_positions_app

    store = open_store(sqlite_url(db))
    intake_app = create_positions_app(PositionWriter(PositionIntake(store, PSEUDONYM_KEY)))

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/bare":
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"text/plain"), (b"content-length", b"0")],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return
        await intake_app(scope, receive, send)

    if os.environ.get("SWITCH"):
        sys.setswitchinterval(float(os.environ["SWITCH"]))
    if os.environ.get("FREEZE"):
        import gc

        gc.freeze()
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


# -- the load ----------------------------------------------------------------------------------


async def _client(port: int, path: str, until: float, client: int, out: list[float]) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    sent = 0
    try:
        while time.perf_counter() < until:
            device = 900000 + (client * 13 + sent) % DEVICES
            query = (
                f"id={device}&timestamp={int(time.time())}&lat={39.5 + sent % 1000 / 1e4:.5f}"
                f"&lon=46.55&speed=12.5&bearing=90.0&altitude=1450.0&accuracy=8.0&batt=77.0"
            )
            request = f"GET {path}?{query} HTTP/1.1\r\nHost: hq\r\n\r\n".encode()
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            if length:
                await reader.readexactly(length)
            out.append(time.perf_counter() - started)
            if status != 200:
                raise RuntimeError(f"{path} answered {status}")
            sent += 1
    finally:
        writer.close()
    return sent


async def _load(port: int, path: str, seconds: float, clients: int) -> tuple[float, float]:
    """Requests per second and p99 latency (ms) of ``clients`` keep-alive clients for
    ``seconds``."""
    latencies: list[float] = []
    started = time.perf_counter()
    until = started + seconds
    counts = await asyncio.gather(
        *(_client(port, path, until, c, latencies) for c in range(clients))
    )
    elapsed = time.perf_counter() - started
    p99 = statistics.quantiles(latencies, n=100)[98] * 1000
    return sum(counts) / elapsed, p99


def throughput(seconds: float, where: str | None = None) -> list[dict[str, float]]:
    """For each of CLIENT_LEVELS: the bare endpoint, then the intake, in one server process,
    its SQLite file in ``where`` (default: the system's temporary directory, on disk)."""
    levels = []
    with tempfile.TemporaryDirectory(dir=where) as tmp:
        db = Path(tmp) / "hq.db"
        _prepare(db)
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.bench_positions", "--serve", str(db), str(port)],
            cwd=REPO,
            start_new_session=True,
        )
        try:
            wait_port(port, server)
            for clients in CLIENT_LEVELS:
                asyncio.run(_load(port, "/bare", 1.0, clients))  # warm up both paths
                asyncio.run(_load(port, "/", 1.0, clients))
                bare_rate, bare_p99 = asyncio.run(_load(port, "/bare", seconds, clients))
                rate, p99 = asyncio.run(_load(port, "/", seconds, clients))
                levels.append(
                    {
                        "clients": clients,
                        "bare": bare_rate,
                        "bare_p99": bare_p99,
                        "rate": rate,
                        "p99": p99,
                    }
                )
        finally:
            os.killpg(server.pid, signal.SIGINT)
            server.wait(timeout=30)
    return levels


# -- memory ------------------------------------------------------------------------------------


def feed(db: Path, count: int) -> None:
    """The memory process: ``count`` OsmAnd queries decoded and stored in writer-sized batches;
    prints VmHWM (MB) at each tenth, as JSON."""
    from corridor.hq.osmand import decode_request
    from corridor.hq.positions import PositionIntake
    from corridor.store.engine import open_store, sqlite_url

    store = open_store(sqlite_url(db))
    intake = PositionIntake(store, PSEUDONYM_KEY)
    marks: list[tuple[int, float]] = []
    batch: list[tuple[list[object], int]] = []
    started = time.perf_counter()
    for i in range(count):
        query = (
            f"id={900000 + i % DEVICES}&timestamp={int(time.time())}&lat={39.5 + i % 1000 / 1e4}"
            f"&lon=46.55&speed=12.5&bearing=90&altitude=1450&accuracy=8&batt=77"
        ).encode()
        reports = decode_request(query, None, b"")
        batch.append((reports, intake.check(reports)))  # type: ignore[arg-type]
        if len(batch) == 500:
            intake.store_batch(batch)  # type: ignore[arg-type]
            batch = []
        if (i + 1) % (count // 10) == 0:
            marks.append((i + 1, vm_hwm_mb(os.getpid())))
    if batch:
        intake.store_batch(batch)  # type: ignore[arg-type]
    seconds = time.perf_counter() - started
    store.dispose()
    print(json.dumps({"marks": marks, "seconds": seconds}))


def memory(count: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "hq.db"
        _prepare(db)
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.bench_positions", "--feed", str(db), str(count)],
            cwd=REPO,
            capture_output=True,
            check=True,
        )
    answer: dict[str, object] = json.loads(done.stdout)
    return answer


def run(quick: bool = False) -> list[Result]:
    seconds = 3.0 if quick else 6.0  # keeps a full run of this module under 4 minutes
    count = 200_000 if quick else 1_000_000
    on_disk = throughput(seconds)
    # The same on tmpfs, where a commit costs no fsync: what the software itself costs.
    in_memory = throughput(seconds, "/dev/shm") if Path("/dev/shm").is_dir() else []
    results = [
        _load_result(level, seconds, next((m for m in in_memory if m["clients"] == c), None))
        for level in on_disk
        for c in [level["clients"]]
    ]
    results.append(bench_position_alerts.result(quick))
    fed = memory(count)
    marks: list[tuple[int, float]] = fed["marks"]  # type: ignore[assignment]
    first, last = marks[0][1], marks[-1][1]
    rate = count / float(fed["seconds"])  # type: ignore[arg-type]
    results.append(
        Result(
            name=f"Position intake: HQ peak memory over {count:,} positions (decode + store)",
            figures={
                "VmHWM at each tenth": ", ".join(f"{n // 1000}k: {mb:.0f} MB" for n, mb in marks),
                "growth from the first tenth to the end": f"{last - first:+.0f} MB",
                "rate": f"{rate:,.0f} positions/s (in process, batches of 500 requests)",
            },
            goal="memory bounded: under 300 MB, and no growth with the number of positions",
            met=last < 300 and last - first < 30,
            notes=[
                "Fed through decode_request and PositionIntake.store_batch, not HTTP, so that "
                "a million positions take minutes, not an hour (see the module docstring)."
            ],
        )
    )
    return results


def _load_result(
    level: dict[str, float], seconds: float, in_memory: dict[str, float] | None
) -> Result:
    ratio = level["rate"] / level["bare"]
    extra = {}
    if in_memory is not None:
        extra["the same with SQLite on tmpfs (no fsync)"] = (
            f"bare {in_memory['bare']:,.0f} requests/s, intake {in_memory['rate']:,.0f} "
            f"requests/s ({in_memory['rate'] / in_memory['bare']:.0%}), intake p99 "
            f"{in_memory['p99']:.1f} ms"
        )
    return Result(
        name=(
            f"Position intake: OsmAnd GETs over loopback HTTP, {level['clients']:.0f} "
            "keep-alive clients"
        ),
        figures={
            "bare endpoint (same server)": (
                f"{level['bare']:,.0f} requests/s, p99 {level['bare_p99']:.1f} ms"
            ),
            "intake (each 200 a committed position)": (
                f"{level['rate']:,.0f} requests/s, p99 {level['p99']:.1f} ms"
            ),
            "intake / bare": f"{ratio:.0%}",
            **extra,
            "duration": f"{seconds:g} s each, after 1 s of warm-up each",
        },
        goal="intake p99 < 50 ms and >= 50% of the bare endpoint's requests/s",
        met=level["p99"] < 50 and ratio >= 0.5,
        notes=[
            "Server and clients share the machine's cores. SQLite with synchronous=FULL: each "
            "commit is an fsync, shared by the requests that queued during the previous one "
            "(group commit), so the intake's rate grows with the clients in flight.",
        ],
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--serve", nargs=2, metavar=("DB", "PORT"))
    parser.add_argument("--feed", nargs=2, metavar=("DB", "COUNT"))
    args = parser.parse_args()
    if args.serve:
        serve(Path(args.serve[0]), int(args.serve[1]))
    elif args.feed:
        feed(Path(args.feed[0]), int(args.feed[1]))
    else:
        for result in run(quick=True):
            print(result)


if __name__ == "__main__":
    main()
