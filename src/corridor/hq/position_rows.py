"""The positions table's row as the intake writes it, and the insert of a batch of rows.

The intake's hot path: on SQLite the batch goes straight through the driver's cursor, in the
caller's transaction, because SQLAlchemy's statement machinery (compiling, parameter processing,
result set-up) cost more than SQLite's insert itself (measured with benchmarks/bench_positions.py,
see docs/positions.md). PostgreSQL keeps Core, with RETURNING for the sequence's ids.
"""

from __future__ import annotations

from sqlalchemy import Connection

from corridor.store.schema import positions

#: A position row without its id, in the order of COLUMNS (a tuple: the driver takes it as is).
Row = tuple[
    str, str | None, str | None, int, int, float, float,
    float | None, float | None, float | None, float | None, float | None,
]  # fmt: skip
COLUMNS = (
    "device_id", "subject_kind", "subject_id", "fixed_at_ms", "received_at_ms", "lat", "lon",
    "speed_mps", "bearing", "altitude_m", "accuracy_m", "battery_pct",
)  # fmt: skip
_SQLITE_LAST_ID = "SELECT coalesce(max(id), 0) FROM positions"
_SQLITE_INSERT = f"INSERT INTO positions (id, {', '.join(COLUMNS)}) VALUES ({', '.join('?' * 13)})"
# Built once, run on every batch: building a statement costs more than running it.
_PG_INSERT = positions.insert().returning(positions.c.id, sort_by_parameter_order=True)


def insert_rows(conn: Connection, rows: list[Row]) -> list[int]:
    """Insert ``rows``; their ids, in order. On SQLite, straight through the driver's cursor in
    the same transaction (SQLAlchemy's statement machinery cost more than SQLite's insert: see
    docs/positions.md), the ids given as the next rowids, as SQLite would choose them (the
    caller holds the one writer's lock). PostgreSQL's sequence assigns them, returned in order."""
    if not rows:
        return []
    if conn.dialect.name == "sqlite":
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            last = int(cursor.execute(_SQLITE_LAST_ID).fetchone()[0])
            ids = list(range(last + 1, last + 1 + len(rows)))
            cursor.executemany(
                _SQLITE_INSERT, [(i, *row) for i, row in zip(ids, rows, strict=True)]
            )
        finally:
            cursor.close()
        return ids
    params = [dict(zip(COLUMNS, row, strict=True)) for row in rows]
    return [int(row[0]) for row in conn.execute(_PG_INSERT, params)]
