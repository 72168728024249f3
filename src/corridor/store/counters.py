"""Daily counters: the ``daily_*`` tables, kept equal to a GROUP BY over the stored passages.

Ingest adds each batch to them in its own write transaction (:func:`add_batch`, called by
``queries.insert_passages``), so a rejected batch leaves them as they were and readers never see
passages without their counts. The batch is summed in Python first: one upsert per key, a few
dozen rows for a push of a thousand events, instead of one per event.
:func:`rebuild` recomputes them from the passages, for a bulk load that bypassed ingest.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Dialect, Table, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.compiler import SQLCompiler

from corridor.store.schema import (
    cargo_lines,
    daily_cargo,
    daily_flow,
    daily_reasons,
    daily_totals,
    passages,
)

_P = {column.key: n for n, column in enumerate(passages.columns)}
_C = {column.key: n for n, column in enumerate(cargo_lines.columns)}
_flow_key = itemgetter(*(_P[k] for k in ("day", "post", "kind", "direction", "vehicle_class")))
_summed = itemgetter(*(_P[k] for k in ("residents", "returnees", "crew", "other", "cargo_kg")))
_cargo_key = itemgetter(*(_C[k] for k in ("kind", "day", "category")))
_KG = _C["kg"]

_FLOW = "events, residents, returnees, crew, other, cargo_kg"
_FLOW_SUMS = "COUNT(*), SUM(residents), SUM(returnees), SUM(crew), SUM(other), SUM(cargo_kg)"
#: What :func:`rebuild` runs (migration 0006 backfilled with the same): the counters' meaning.
REBUILD = (
    f"INSERT INTO daily_flow (day, post, kind, direction, vehicle_class, {_FLOW})"
    f" SELECT day, post, kind, direction, vehicle_class, {_FLOW_SUMS} FROM passages"
    " GROUP BY day, post, kind, direction, vehicle_class",
    f"INSERT INTO daily_totals (kind, day, direction, vehicle_class, {_FLOW})"
    f" SELECT kind, day, direction, vehicle_class, {_FLOW_SUMS} FROM passages"
    " GROUP BY kind, day, direction, vehicle_class",
    "INSERT INTO daily_cargo (kind, day, category, kg)"
    " SELECT kind, day, category, SUM(kg) FROM cargo_lines GROUP BY kind, day, category",
    "INSERT INTO daily_reasons (kind, day, reason, events)"
    " SELECT kind, day, reason, COUNT(*) FROM passages WHERE reason IS NOT NULL"
    " GROUP BY kind, day, reason",
)
COUNTERS = (daily_flow, daily_totals, daily_cargo, daily_reasons)


def add_batch(
    conn: Connection,
    passage_rows: Sequence[tuple[Any, ...]],
    cargo_rows: Sequence[tuple[Any, ...]],
) -> None:
    """Add passages and cargo lines just inserted (tuples in their tables' column order).

    On ingest's hot path: the sums are taken with ``itemgetter`` and plain additions, and the
    upserts go to the driver as tuples (see :func:`_add`)."""
    if not passage_rows:
        return
    flow: dict[tuple[Any, ...], list[int]] = {}
    reasons: dict[tuple[Any, ...], int] = {}
    reason_of = itemgetter(_P["kind"], _P["day"], _P["reason"])
    for row in passage_rows:
        key = _flow_key(row)
        residents, returnees, crew, other, kg = _summed(row)
        sums = flow.get(key)
        if sums is None:
            flow[key] = [1, residents, returnees, crew, other, kg]
        else:
            sums[0] += 1
            sums[1] += residents
            sums[2] += returnees
            sums[3] += crew
            sums[4] += other
            sums[5] += kg
        reason_key = reason_of(row)
        if reason_key[2] is not None:
            reasons[reason_key] = reasons.get(reason_key, 0) + 1
    # The totals are the flow summed over posts: (day, post, kind, ...) -> (kind, day, ...).
    totals: dict[tuple[Any, ...], list[int]] = {}
    for (day, _, kind, direction, vehicle_class), sums in flow.items():
        total = totals.get((kind, day, direction, vehicle_class))
        if total is None:
            totals[(kind, day, direction, vehicle_class)] = list(sums)
        else:
            for position, value in enumerate(sums):
                total[position] += value
    cargo: dict[tuple[Any, ...], int] = {}
    for line in cargo_rows:
        key = _cargo_key(line)
        cargo[key] = cargo.get(key, 0) + line[_KG]
    _add(conn, daily_flow, [(*k, *v) for k, v in flow.items()])
    _add(conn, daily_totals, [(*k, *v) for k, v in totals.items()])
    _add(conn, daily_reasons, [(*k, v) for k, v in reasons.items()])
    _add(conn, daily_cargo, [(*k, v) for k, v in cargo.items()])


def rebuild(conn: Connection) -> None:
    """Recompute every counter from ``passages`` and ``cargo_lines``."""
    for table in COUNTERS:
        conn.execute(table.delete())
    for statement in REBUILD:
        conn.execute(text(statement))


def _add(conn: Connection, table: Table, rows: list[tuple[Any, ...]]) -> None:
    """One upsert per row (tuples in the table's column order), in key order: PostgreSQL then
    takes row locks in one order whoever writes (the sequencer's lock serialises writers anyway).
    Compiled once per dialect and handed to the driver's executemany, as ``queries.insert_rows``
    does: SQLAlchemy's own parameter building costs more than SQLite's upsert."""
    if not rows:
        return
    rows.sort()
    compiled = _upsert(conn.dialect, table)
    names = tuple(column.key for column in table.columns)
    if compiled.positional:
        assert tuple(compiled.positiontup or ()) == names
        conn.exec_driver_sql(compiled.string, rows)
    else:
        conn.exec_driver_sql(compiled.string, [dict(zip(names, row, strict=True)) for row in rows])


@functools.lru_cache(maxsize=16)
def _upsert(dialect: Dialect, table: Table) -> SQLCompiler:
    """INSERT ... ON CONFLICT (key) DO UPDATE SET sum = sum + excluded.sum, in either dialect."""
    insert = postgresql.insert if dialect.name == "postgresql" else sqlite.insert
    statement = insert(table)
    sums = [column for column in table.columns if not column.primary_key]
    upsert = statement.on_conflict_do_update(
        index_elements=list(table.primary_key.columns),
        set_={column.key: column + statement.excluded[column.key] for column in sums},
    )
    compiled = upsert.compile(dialect=dialect)
    assert isinstance(compiled, SQLCompiler)
    return compiled
