"""The public side at scale: the dashboard, its JSON API, a bulletin page and the daily open data
over a store of 10 million passages, the daily counters beside DuckDB over Parquet, and the
Parquet export of every passage.

Goals (issue 10, "Dashboard that scales"): the home page and a bulletin page answer in a median
under 100 ms at 10M passages; our daily aggregates, read from the counters, are no slower than
DuckDB computing them over a Parquet file of the same passages.

The store. A one-day demo (:func:`corridor.demo.embedded.run_demo`) makes a real HQ data
directory: keys, scenario, a signed log with its checkpoint and a published bulletin. Then N
synthetic passages (10M full, 200k quick) are added by bulk SQL, one ``INSERT ... SELECT`` over
a recursive counter per million rows, with SQLite's ``synchronous=OFF`` and the passages'
secondary indexes dropped while loading and rebuilt after (a load, not ingest: ingest has its own
benchmark). The rows are spread evenly over the three-year mandate (1,095 days) and the
scenario's ten posts, with kinds (60% passed, 20% arrived, 14% inspected, 4% denied, 2% turned
back, with reason codes), seven vehicle classes, people by class (cars carry residents, buses
returnees, trucks crew) and one cargo line per truck. The daily counters are then recomputed by
:func:`corridor.store.counters.rebuild`, the same definitions ingest keeps. The synthetic
passages have no log entries (10M signed entries would be ~10 GB, and no page measured here
reads them), so they sit above the published log size; the Parquet export is therefore asked for
every passage (``below``), not only the published ones.

HTTP. A separate server process (``python -m benchmarks.bench_public --serve DIR PORT``) runs
uvicorn over :func:`corridor.web.app.create_app` on that store, read-only (no HQ services: no
publisher or monitor competes for the cores). The benchmark process requests each page over one
keep-alive connection: the first answer (cold: the open data files are built then, and cached
per log state) reported apart, then 50 timed requests; median and p90 of those. A page answering
other than 200 (a route not written yet) is reported as skipped.

DuckDB. The passages' Parquet file (the export's own) is queried by DuckDB for passed vehicles
and people per day, post, direction and class, fetched as Python rows, median of 5 runs; ours
runs the same query on ``daily_flow`` through SQLAlchemy, median of 5 runs, and the two answers
are checked equal.

Export. :func:`corridor.reports.opendata.export_passages_parquet` writes every passage in a child
process (``--export DB OUT``) whose peak RSS is measured by :func:`benchmarks.common.run_measured`;
rows per second are the child's own timing of the export call.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import Result, free_port, run_measured, wait_port

REPO = Path(__file__).resolve().parents[1]
DAYS = 1095
FIRST_DAY = "2020-12-01"
POSTS = 10
CHUNK = 1_000_000
REQUESTS = 50
RUNS = 5
#: Well above any real log index: the synthetic passages never collide with the demo's.
BASE_INDEX = 1 << 40

# Two random draws per passage, each column from its own digits: MATERIALIZED, so that each draw
# is taken once and the columns agree (a flattened CTE would call random() at every reference).
_LOAD = """
WITH RECURSIVE seq(n) AS (SELECT :start UNION ALL SELECT n + 1 FROM seq WHERE n + 1 < :stop),
draw AS MATERIALIZED (
  SELECT n, random() & 9223372036854775807 AS r, random() & 9223372036854775807 AS v,
         date(:first, '+' || (n * :days / :total) || ' days') AS day
  FROM seq
),
parts AS (
  SELECT n, v, day, r % 100 AS k, (r / 100) % 100 AS c, (r / 10000) % :posts AS p,
         (r / 100000) % 86400 AS s, (r / 8640000000) % 1000 AS q
  FROM draw
),
typed AS (
  SELECT *,
    CASE WHEN k < 60 THEN 'passed' WHEN k < 80 THEN 'arrived' WHEN k < 94 THEN 'inspected'
         WHEN k < 98 THEN 'denied' ELSE 'turned_back' END AS kind,
    CASE WHEN c < 50 THEN 'car' WHEN c < 75 THEN 'truck' WHEN c < 83 THEN 'bus'
         WHEN c < 86 THEN 'ambulance' WHEN c < 90 THEN 'repair' WHEN c < 95 THEN 'official'
         ELSE 'humanitarian' END AS vehicle_class
  FROM parts
)
INSERT INTO passages (log_index, event_id, post, observed_at, day, kind, direction,
  vehicle_class, vehicle, residents, returnees, crew, other, cargo_kg, reason, convoy,
  received_at, skew_seconds)
SELECT :base + n, printf('bench-%030d', n), printf('P%02d', p + 1),
  day || 'T' || time(s, 'unixepoch') || 'Z', day, kind,
  CASE WHEN q % 2 = 0 THEN 'inbound' ELSE 'outbound' END, vehicle_class,
  printf('%016x%016x', v, v / 3),
  CASE vehicle_class WHEN 'car' THEN q % 5 ELSE 0 END,
  CASE vehicle_class WHEN 'bus' THEN q % 41 WHEN 'car' THEN q % 3 ELSE 0 END,
  CASE vehicle_class WHEN 'bus' THEN 1 WHEN 'truck' THEN 1 + q % 2 ELSE 1 END,
  CASE vehicle_class WHEN 'official' THEN q % 4 ELSE 0 END,
  CASE vehicle_class WHEN 'truck' THEN 1000 + q * 20 ELSE 0 END,
  CASE WHEN kind IN ('denied', 'turned_back') THEN
    CASE q % 4 WHEN 0 THEN 'no_permit' WHEN 1 THEN 'document_mismatch'
         WHEN 2 THEN 'route_closed' ELSE 'other' END END,
  NULL, day || 'T23:59:59Z', 0
FROM typed
"""

_CARGO = """
INSERT INTO cargo_lines (log_index, line, category, kg, day, kind)
SELECT log_index, 0,
  CASE log_index % 6 WHEN 0 THEN 'food' WHEN 1 THEN 'medicine' WHEN 2 THEN 'fuel'
       WHEN 3 THEN 'construction' WHEN 4 THEN 'humanitarian_other' ELSE 'commercial_other' END,
  cargo_kg, day, kind
FROM passages WHERE log_index >= :base AND cargo_kg > 0
"""

_INDEXES = (
    ("ix_passages_day", "passages (day, direction, vehicle_class)"),
    ("ix_passages_vehicle", "passages (vehicle, observed_at)"),
    ("ix_cargo_day", "cargo_lines (day, category)"),
)

#: Passed vehicles and people per day, post, direction and class: DuckDB over the passages...
_DUCKDB = """
SELECT CAST(day AS VARCHAR), post_id, direction, vehicle_class, COUNT(*), SUM(residents),
  SUM(returnees), SUM(crew), SUM(other), SUM(cargo_kg)
FROM read_parquet(?) WHERE kind = 'passed'
GROUP BY ALL ORDER BY ALL
"""
#: ... and ours over the counters.
_COUNTERS = """
SELECT day, post, direction, vehicle_class, SUM(events), SUM(residents), SUM(returnees),
  SUM(crew), SUM(other), SUM(cargo_kg)
FROM daily_flow WHERE kind = 'passed'
GROUP BY day, post, direction, vehicle_class ORDER BY 1, 2, 3, 4
"""


# -- the store ---------------------------------------------------------------------------------


def build(work: Path, count: int) -> tuple[Path, str, dict[str, float]]:
    """A demo data directory with ``count`` synthetic passages and their counters; its path, the
    demo's bulletin day and the seconds each step took."""
    import sqlite3

    from corridor.demo.embedded import run_demo
    from corridor.sim.scenario import default_scenario_path
    from corridor.store import counters
    from corridor.store.engine import open_store, sqlite_url

    timings: dict[str, float] = {}
    started = time.perf_counter()
    result = run_demo(work / "data", default_scenario_path(), days=1, seed=10)
    timings["demo"] = time.perf_counter() - started
    datadir = result.datadir.path
    database = datadir / "corridor.db"
    with sqlite3.connect(database) as db:
        (day,) = db.execute("SELECT MIN(day) FROM passages").fetchone()
    started = time.perf_counter()
    db = sqlite3.connect(database, isolation_level=None)
    try:
        db.execute("PRAGMA synchronous=OFF")
        db.execute("PRAGMA cache_size=-262144")
        for name, _ in _INDEXES:
            db.execute(f"DROP INDEX IF EXISTS {name}")
        for start in range(0, count, CHUNK):
            db.execute("BEGIN")
            db.execute(
                _LOAD,
                {
                    "start": start,
                    "stop": min(start + CHUNK, count),
                    "posts": POSTS,
                    "first": FIRST_DAY,
                    "days": DAYS,
                    "total": count,
                    "base": BASE_INDEX,
                },
            )
            db.execute("COMMIT")
        db.execute("BEGIN")
        db.execute(_CARGO, {"base": BASE_INDEX})
        db.execute("COMMIT")
        timings["load"] = time.perf_counter() - started
        started = time.perf_counter()
        for name, target in _INDEXES:
            db.execute(f"CREATE INDEX {name} ON {target}")
        db.execute("ANALYZE")
        timings["indexes"] = time.perf_counter() - started
    finally:
        db.close()
    started = time.perf_counter()
    store = open_store(sqlite_url(database), migrate=False)
    try:
        with store.write() as conn:
            counters.rebuild(conn)
    finally:
        store.dispose()
    timings["counters"] = time.perf_counter() - started
    return datadir, str(day), timings


# -- HTTP ----------------------------------------------------------------------------------------


def serve(directory: Path, port: int) -> None:
    """The server process: the public app over the data directory's store, read-only."""
    import uvicorn

    from corridor.datadir import DataDir
    from corridor.web.app import create_app

    datadir = DataDir(directory)
    scenario = datadir.scenario()
    app = create_app(
        datadir.open_store(),
        scenario,
        simulated=scenario.traffic.simulated,
        log_dir=datadir.log,
    )
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def measure_pages(directory: Path, paths: list[str]) -> dict[str, dict[str, Any]]:
    """For each path: status, first answer's ms, then median and p90 ms of REQUESTS more."""
    import httpx

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.bench_public", "--serve", str(directory), str(port)],
        cwd=REPO,
        start_new_session=True,
    )
    measured: dict[str, dict[str, Any]] = {}
    try:
        wait_port(port, server, timeout=60)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=600) as client:
            for path in paths:
                started = time.perf_counter()
                first = client.get(path)
                first_ms = (time.perf_counter() - started) * 1000
                if first.status_code != 200:
                    measured[path] = {"status": first.status_code}
                    continue
                times = []
                for _ in range(REQUESTS):
                    started = time.perf_counter()
                    answer = client.get(path)
                    times.append((time.perf_counter() - started) * 1000)
                    assert answer.status_code == 200, (path, answer.status_code)
                measured[path] = {
                    "status": 200,
                    "bytes": len(first.content),
                    "first": first_ms,
                    "median": statistics.median(times),
                    "p90": statistics.quantiles(times, n=10)[8],
                }
    finally:
        os.killpg(server.pid, signal.SIGINT)
        server.wait(timeout=30)
    return measured


# -- Parquet and DuckDB --------------------------------------------------------------------------


def export(database: Path, out: Path) -> None:
    """The export process: every passage to Parquet; prints rows and seconds as JSON."""
    from corridor.store.engine import open_store, sqlite_url

    store = open_store(sqlite_url(database), migrate=False)
    started = time.perf_counter()
    try:
        with store.read() as conn:
            rows, how = _export_parquet(conn, out)
    finally:
        store.dispose()
    print(json.dumps({"rows": rows, "seconds": time.perf_counter() - started, "how": how}))


def _export_parquet(conn: Any, out: Path) -> tuple[int, str]:
    try:
        from corridor.reports.opendata import export_passages_parquet
    except ImportError:
        return _pyarrow_parquet(conn, out), "pyarrow batches written by the benchmark"
    if "below" in inspect.signature(export_passages_parquet).parameters:
        rows = export_passages_parquet(conn, out, below=1 << 62)
    else:
        rows = export_passages_parquet(conn, out)
    return int(rows), "corridor.reports.opendata.export_passages_parquet"


def _pyarrow_parquet(conn: Any, out: Path) -> int:
    """The fallback: the columns DuckDB reads, 100k rows a row group, by keyset pages."""
    import pyarrow as pa  # type: ignore[import-untyped]
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    names = (
        *("log_index", "day", "post_id", "kind", "direction", "vehicle_class"),
        *("residents", "returnees", "crew", "other", "cargo_kg"),
    )
    sql = (
        "SELECT log_index, day, post, kind, direction, vehicle_class, residents, returnees,"
        " crew, other, cargo_kg FROM passages WHERE log_index > ? ORDER BY log_index LIMIT 100000"
    )
    written, after = 0, -1
    writer: pq.ParquetWriter | None = None
    try:
        while rows := conn.exec_driver_sql(sql, (after,)).all():
            table = pa.Table.from_pylist([dict(zip(names, row, strict=True)) for row in rows])
            writer = writer or pq.ParquetWriter(out, table.schema, compression="zstd")
            writer.write_table(table)
            written += len(rows)
            after = rows[-1][0]
    finally:
        if writer is not None:
            writer.close()
    return written


def duckdb_vs_counters(database: Path, parquet: Path) -> dict[str, Any]:
    """Median seconds of DuckDB over the Parquet file and of ours over the counters; both
    answers, checked equal."""
    import duckdb

    from corridor.reports.daily import flow_rows
    from corridor.store.engine import open_store, sqlite_url

    duck = duckdb.connect()
    theirs: list[tuple[Any, ...]] = []
    duck_times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        theirs = duck.execute(_DUCKDB, [str(parquet)]).fetchall()
        duck_times.append(time.perf_counter() - started)
    duck.close()
    store = open_store(sqlite_url(database), migrate=False)
    ours: list[tuple[Any, ...]] = []
    our_times, flow_times = [], []
    try:
        for _ in range(RUNS):
            with store.read() as conn:
                started = time.perf_counter()
                ours = [tuple(row) for row in conn.exec_driver_sql(_COUNTERS).all()]
                our_times.append(time.perf_counter() - started)
                started = time.perf_counter()
                flows = flow_rows(conn)
                flow_times.append(time.perf_counter() - started)
        with store.read() as conn:
            counter_rows = conn.exec_driver_sql("SELECT COUNT(*) FROM daily_flow").scalar_one()
    finally:
        store.dispose()
    if [tuple(int(v) if isinstance(v, int) else v for v in r) for r in theirs] != ours:
        raise AssertionError("DuckDB over Parquet and the counters disagree")
    return {
        "duckdb": statistics.median(duck_times),
        "ours": statistics.median(our_times),
        "flow_rows": statistics.median(flow_times),
        "flow_row_count": len(flows),
        "result_rows": len(ours),
        "counter_rows": int(counter_rows),
    }


# -- the run -------------------------------------------------------------------------------------


def run(quick: bool = False) -> list[Result]:
    count = 200_000 if quick else 10_000_000
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        datadir, day, timings = build(work, count)
        database = datadir / "corridor.db"
        paths = [
            "/",
            "/api/v1/summary",
            "/api/v1/counts/daily",
            "/api/v1/returnees",
            "/api/v1/cargo",
            f"/bulletins/{day}",
            "/data/daily.csv",
        ]
        pages = measure_pages(datadir, paths)
        parquet = work / "passages.parquet"
        seconds, peak_mb, stdout = run_measured(
            [
                sys.executable,
                "-m",
                "benchmarks.bench_public",
                "--export",
                str(database),
                str(parquet),
            ],
            cwd=str(REPO),
        )
        exported = json.loads(stdout)
        compared = duckdb_vs_counters(database, parquet)
        parquet_mb = parquet.stat().st_size / 1e6
    return [
        _pages_result(count, pages, timings),
        _duckdb_result(count, compared),
        _export_result(count, exported, peak_mb, parquet_mb),
    ]


def _pages_result(
    count: int, pages: dict[str, dict[str, Any]], timings: dict[str, float]
) -> Result:
    figures: dict[str, str] = {}
    notes: list[str] = []
    for path, m in pages.items():
        if m["status"] != 200:
            figures[f"`{path}`"] = f"skipped: answered {m['status']}"
            notes.append(f"{path} answered {m['status']}: not measured (route not there yet?)")
            continue
        figures[f"`{path}`"] = (
            f"median {m['median']:.1f} ms, p90 {m['p90']:.1f} ms (first {m['first']:.0f} ms, "
            f"{m['bytes']:,} bytes)"
        )
    figures["store built in"] = ", ".join(f"{k} {v:.0f} s" for k, v in timings.items())
    gated = [p for p in pages if p == "/" or p.startswith("/bulletins/")]
    met = all(pages[p]["status"] == 200 and pages[p]["median"] < 100 for p in gated)
    notes.append(
        f"{REQUESTS} sequential requests per page over one keep-alive connection, after a first "
        "one (reported apart: the open data files are built on first request and cached)."
    )
    return Result(
        name=f"Public pages over {count:,} passages (uvicorn, loopback HTTP)",
        figures=figures,
        goal="home page and bulletin page median < 100 ms",
        met=met,
        notes=notes,
    )


def _duckdb_result(count: int, compared: dict[str, Any]) -> Result:
    ratio = compared["ours"] / compared["duckdb"]
    return Result(
        name=f"Daily aggregates over {count:,} passages: counters vs DuckDB over Parquet",
        figures={
            "DuckDB over the passages' Parquet file": f"{compared['duckdb'] * 1000:.1f} ms",
            "ours, SQLite over the daily_flow counters": f"{compared['ours'] * 1000:.1f} ms",
            "ours / DuckDB": f"{ratio:.2f}",
            "rows in the answer (day x post x direction x class)": f"{compared['result_rows']:,}",
            "counter rows (daily_flow)": f"{compared['counter_rows']:,}",
            "flow_rows(), every counter row as FlowRow": (
                f"{compared['flow_rows'] * 1000:.1f} ms for {compared['flow_row_count']:,} rows"
            ),
        },
        goal="ours no slower than DuckDB (ratio <= 1)",
        met=ratio <= 1,
        notes=[
            f"Median of {RUNS} runs each, answers fetched as Python rows and checked equal; "
            "passed vehicles and people per day, post, direction and class."
        ],
    )


def _export_result(
    count: int, exported: dict[str, Any], peak_mb: float, parquet_mb: float
) -> Result:
    rate = exported["rows"] / exported["seconds"]
    return Result(
        name=f"Parquet export of every passage ({count:,})",
        figures={
            "rows written": f"{exported['rows']:,}",
            "rate": f"{rate:,.0f} rows/s ({exported['seconds']:.1f} s)",
            "peak RSS of the exporting process": f"{peak_mb:.0f} MB",
            "file size": f"{parquet_mb:.0f} MB",
            "written by": str(exported["how"]),
        },
        goal="none set by the issue (reported); met when every passage was written",
        met=exported["rows"] >= count,
        notes=["In a child process, so its peak RSS is its own (benchmarks.common.run_measured)."],
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--serve", nargs=2, metavar=("DIR", "PORT"))
    parser.add_argument("--export", nargs=2, metavar=("DB", "OUT"))
    parser.add_argument("--full", action="store_true", help="10M passages (default: quick)")
    args = parser.parse_args()
    if args.serve:
        serve(Path(args.serve[0]), int(args.serve[1]))
    elif args.export:
        export(Path(args.export[0]), Path(args.export[1]))
    else:
        for result in run(quick=not args.full):
            print(result)


if __name__ == "__main__":
    main()
