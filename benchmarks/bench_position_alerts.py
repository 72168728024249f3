"""Position to alert: how long after the tracker's request that should open ``left_band`` the
alert is in HQ's store (part of bench_positions' run).

HQ is a real process, ``corridor serve --role hq``, on a fresh data directory (the built-in
Lachin corridor) with ``VEHICLES`` registered vehicles and their trackers; its monitor is fed
by the intake's commits as in production. For each vehicle in turn the benchmark sends one
fix on the route, then ``open_after_fixes`` fixes well beside the band (LeftBandConfig: three,
250 m outside); the clock starts when the last request is sent and stops when the vehicle's
``left_band`` row is visible in the alerts table (polled every millisecond through a separate
read-only SQLite connection, as a coordinator's page would see it after a commit).
"""

from __future__ import annotations

import math
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from benchmarks.common import Result

VEHICLES = 60
REPO = Path(__file__).resolve().parents[1]


def _prepare(
    directory: Path, vehicles: int
) -> tuple[Path, tuple[float, float], tuple[float, float]]:
    """A fresh HQ data directory with ``vehicles`` registered vehicles and trackers; its SQLite
    file, a point on the route and one beside the band (both checked with the monitor's own
    band geometry)."""
    from corridor.geo.band import CorridorGeometry
    from corridor.hq.devices import register_device
    from corridor.hq.provision import init_hq
    from corridor.hq.vehicles import RegisteredVehicle, register_vehicles
    from corridor.model.vocabulary import VehicleClass
    from corridor.monitor.band import band_excess_m
    from corridor.sim.scenario import default_scenario_path

    datadir, store, _ = init_hq(directory, default_scenario_path())
    now = datetime.now(UTC)
    register_vehicles(
        store, [RegisteredVehicle(f"ALERT {i:03d}", VehicleClass.TRUCK) for i in range(vehicles)]
    )
    for i in range(vehicles):
        register_device(store, f"{700000 + i}", now, vehicle=f"ALERT {i:03d}")
    url = str(store.engine.url)
    store.dispose()
    corridor = datadir.scenario().corridor
    geometry = CorridorGeometry(corridor)
    line = corridor.route_at(now).line
    (lon0, lat0), (lon1, lat1) = line[len(line) // 2 - 1], line[len(line) // 2]
    on_route = ((lon0 + lon1) / 2, (lat0 + lat1) / 2)
    # Step off the route at right angles to the segment to a point just beside the band (150 m
    # outside its edge: under open_excess_m, so that it takes open_after_fixes fixes to open).
    d_lon, d_lat = lon1 - lon0, lat1 - lat0
    norm = math.hypot(d_lon, d_lat)
    near, far = 0.0, 0.2  # degrees off the route
    for _ in range(60):
        middle = (near + far) / 2
        beside = (on_route[0] - d_lat / norm * middle, on_route[1] + d_lon / norm * middle)
        excess = float(band_excess_m(geometry, [beside[0]], [beside[1]], now)[0])
        if 100 < excess < 200:
            return Path(url.removeprefix("sqlite:///")), on_route, beside
        near, far = (middle, far) if math.isnan(excess) or excess < 150 else (near, middle)
    raise RuntimeError("found no point beside the band of the route in force")


def _left_band_alerts(db: sqlite3.Connection) -> int:
    return int(db.execute("SELECT count(*) FROM alerts WHERE kind = 'left_band'").fetchone()[0])


def measure(vehicles: int = VEHICLES) -> dict[str, float]:
    """Median and p99 (ms) of the position-to-alert latency over ``vehicles`` vehicles."""
    from benchmarks.common import free_port, wait_port
    from corridor.monitor.config import LeftBandConfig

    fixes = LeftBandConfig().open_after_fixes
    with tempfile.TemporaryDirectory() as tmp:
        db_path, on_route, beside = _prepare(Path(tmp) / "hq", vehicles)
        port, intake_port = free_port(), free_port()
        env = {**os.environ, "CORRIDOR_POSITIONS_PORT": str(intake_port)}
        server = subprocess.Popen(
            [sys.executable, "-m", "corridor", "serve", "--role", "hq"]
            + ["--dir", str(Path(tmp) / "hq"), "--port", str(port)],
            cwd=REPO,
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        latencies: list[float] = []
        try:
            wait_port(intake_port, server, timeout=60)
            db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, isolation_level=None)
            base = f"http://127.0.0.1:{intake_port}/"
            with httpx.Client() as client:
                for i in range(vehicles):
                    now_ms = int(time.time() * 1000) - 10_000
                    device = 700000 + i

                    def send(point: tuple[float, float], at_ms: int, device: int = device) -> None:
                        query = {"id": device, "lat": point[1], "lon": point[0], "timestamp": at_ms}
                        answer = client.get(base, params=query)
                        if answer.status_code != 200:
                            raise RuntimeError(f"the intake answered {answer.status_code}")

                    send(on_route, now_ms)
                    for k in range(1, fixes):
                        send(beside, now_ms + k * 1000)
                    if _left_band_alerts(db) != i:
                        raise RuntimeError("left_band opened before its last fix")
                    started = time.perf_counter()
                    send(beside, now_ms + fixes * 1000)
                    deadline = started + 10
                    while _left_band_alerts(db) <= i:
                        if time.perf_counter() > deadline:
                            raise TimeoutError(f"no left_band alert for vehicle {i} in 10 s")
                        time.sleep(0.001)
                    latencies.append(time.perf_counter() - started)
            db.close()
        finally:
            os.killpg(server.pid, signal.SIGINT)
            server.wait(timeout=30)
    ms = sorted(x * 1000 for x in latencies)
    return {
        "vehicles": float(vehicles),
        "median": statistics.median(ms),
        "p99": statistics.quantiles(ms, n=100, method="inclusive")[98],
        "max": ms[-1],
    }


def result(quick: bool) -> Result:
    figures = measure(20 if quick else VEHICLES)
    return Result(
        name="Position to alert: left_band in the store after the fix that opens it",
        figures={
            "vehicles": f"{figures['vehicles']:.0f}, one after another",
            "latency": (
                f"median {figures['median']:.1f} ms, p99 {figures['p99']:.1f} ms, "
                f"max {figures['max']:.1f} ms"
            ),
        },
        goal="p99 < 1 s",
        met=figures["p99"] < 1000,
        notes=[
            "HQ as a real process (corridor serve --role hq); from sending the request with the "
            "last outside fix to the alerts row being readable by another connection.",
        ],
    )


if __name__ == "__main__":
    print(result(quick=True))
