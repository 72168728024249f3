"""The PostGIS side of the geofence benchmark: a database of its own with the extension, the
points loaded by binary COPY, the band and route as geometries, and the timed queries.

The corridor's local projection is registered in ``spatial_ref_sys`` under :data:`LOCAL_SRID`
(its PROJ string, as pyproj builds it), so PostGIS transforms the points with the same
projection as ours, and our band polygon goes in as WKB in that CRS.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely

from corridor.geo.band import CorridorGeometry, RouteGeometry

Array = npt.NDArray[Any]

POSTGRES_URL = os.environ.get(
    "CORRIDOR_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
#: An SRID of our own for the corridor's local projection (PostGIS's user range ends at 999999).
LOCAL_SRID = 990001
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # signature, flags 0, no header extension
_ROW_IN = np.dtype(
    [("n", ">i2"), ("l0", ">i4"), ("id", ">i4"), ("l1", ">i4"), ("lon", ">f8")]
    + [("l2", ">i4"), ("lat", ">f8")]
)
_ROW_OUT = np.dtype([("n", ">i2"), ("l0", ">i4"), ("id", ">i4")])


@contextmanager
def postgis_database() -> Iterator[Any]:
    """An autocommit connection to a fresh database with PostGIS (dropped after), or a string
    saying why there is none."""
    import psycopg

    try:
        admin = psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        yield f"PostgreSQL not reachable at {POSTGRES_URL} ({exc.__class__.__name__})"
        return
    name = f"corridor_bench_geofence_{uuid.uuid4().hex[:8]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        with psycopg.connect(f"{POSTGRES_URL.rpartition('/')[0]}/{name}", autocommit=True) as conn:
            available = conn.execute(
                "SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'"
            ).fetchone()
            if available is None:
                yield "PostGIS is not installed: apt-get install postgresql-15-postgis-3"
                return
            conn.execute("CREATE EXTENSION postgis")
            yield conn
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def copy_points(conn: Any, table: str, lon: Array, lat: Array) -> None:
    """(id, lon, lat) rows into ``table`` by binary COPY, built with numpy, not a Python loop."""
    rows = np.empty(len(lon), dtype=_ROW_IN)
    rows["n"], rows["l0"], rows["l1"], rows["l2"] = 3, 4, 8, 8
    rows["id"], rows["lon"], rows["lat"] = np.arange(len(lon)), lon, lat
    payload = rows.tobytes()
    with conn.cursor().copy(f"COPY {table} (id, lon, lat) FROM STDIN (FORMAT BINARY)") as copy:
        copy.write(_COPY_HEADER)
        for start in range(0, len(payload), 1 << 22):
            copy.write(payload[start : start + (1 << 22)])
        copy.write(b"\xff\xff")


def copy_ids(conn: Any, query: str, count: int) -> Array:
    """One bool per point: true for the ids ``query`` returns (binary COPY out)."""
    with conn.cursor().copy(f"COPY ({query}) TO STDOUT (FORMAT BINARY)") as copy:
        chunks = [bytes(block) for block in copy]
    data = b"".join(chunks)
    flags = np.zeros(count, dtype=np.bool_)
    flags[np.frombuffer(data[len(_COPY_HEADER) : -2], dtype=_ROW_OUT)["id"]] = True
    return flags


def set_up(
    conn: Any, geometry: CorridorGeometry, route: RouteGeometry, lon: Array, lat: Array
) -> None:
    """The local CRS, the band and route, and the points stored as a PostGIS user would."""
    conn.execute(
        "INSERT INTO spatial_ref_sys (srid, proj4text) VALUES (%s, %s)",
        (LOCAL_SRID, geometry.projection.crs.srs),
    )
    conn.execute(
        f"CREATE TABLE band (band geometry(Polygon, {LOCAL_SRID}),"
        " route geography(LineString, 4326))"
    )
    # The route unprojected without the GeoJSON layer's rounding, so both sides use one line.
    route_lonlat = shapely.transform(
        route.line_m, lambda c: np.column_stack(geometry.projection.to_lonlat(c[:, 0], c[:, 1]))
    )
    conn.execute(
        "INSERT INTO band VALUES (ST_GeomFromWKB(%s, %s), ST_GeogFromWKB(%s))",
        (shapely.to_wkb(route.band_m), LOCAL_SRID, shapely.to_wkb(route_lonlat)),
    )
    conn.execute("CREATE UNLOGGED TABLE raw (id int4, lon float8, lat float8)")
    copy_points(conn, "raw", lon, lat)
    conn.execute(
        "CREATE UNLOGGED TABLE positions AS SELECT id, geom, geom::geography AS geog,"
        f" ST_Transform(geom, {LOCAL_SRID}) AS geom_local"
        " FROM (SELECT id, ST_SetSRID(ST_MakePoint(lon, lat), 4326) AS geom FROM raw) AS p"
    )
    conn.execute("DROP TABLE raw")
    conn.execute("VACUUM ANALYZE positions")


#: Points outside, as PostGIS computes them; ``{p}`` is the point (stored or made from lon/lat).
POLYGON = f"NOT ST_Intersects((SELECT band FROM band), ST_Transform({{p}}, {LOCAL_SRID}))"
POLYGON_PROJECTED = "NOT ST_Intersects((SELECT band FROM band), geom_local)"
DWITHIN = "NOT ST_DWithin({p}, (SELECT route FROM band), {half})"
MADE = "ST_SetSRID(ST_MakePoint(lon, lat), 4326)"


def server_seconds(conn: Any, where: str) -> tuple[float, int]:
    """Server-side execution time of the count, and the parallel workers it launched."""
    query = f"SELECT count(*) FROM positions WHERE {where}"
    plan = conn.execute(f"EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) {query}").fetchone()[0][0]
    return plan["Execution Time"] / 1000.0, _workers(plan["Plan"])


def _workers(node: dict[str, Any]) -> int:
    own = int(node.get("Workers Launched", 0))
    return own + sum(_workers(child) for child in node.get("Plans", []))


def end_to_end(conn: Any, where: str, lon: Array, lat: Array) -> tuple[float, Array]:
    """Arrays in, one bool per point out: COPY in, query, ids copied back; seconds and flags.

    ``where`` is the condition with the point (``{p}``) already filled in from ``lon, lat``.
    """
    start = time.perf_counter()
    conn.execute("CREATE UNLOGGED TABLE fresh (id int4, lon float8, lat float8)")
    copy_points(conn, "fresh", lon, lat)
    outside = copy_ids(conn, f"SELECT id FROM fresh WHERE {where}", len(lon))
    seconds = time.perf_counter() - start
    conn.execute("DROP TABLE fresh")
    return seconds, outside
