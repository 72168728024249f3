"""Queries over the store, each one small and named for what it answers.

Writes take the :class:`~sqlalchemy.Connection` of an open write transaction
(``Store.write()``); nothing here commits on its own.
"""

from __future__ import annotations

import base64
import functools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import orjson
from sqlalchemy import Connection, Dialect, Table, func, select
from sqlalchemy.sql.compiler import SQLCompiler

from corridor.model.events import PublicEntry
from corridor.store import counters
from corridor.store.schema import (
    alerts,
    cargo_lines,
    keys,
    log_entries,
    log_state,
    passages,
    private_records,
    store_meta,
    tiles,
)


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """A registered key and the time span it is valid for (``revoked_at`` None: still valid)."""

    public_key: bytes
    owner: str
    role: str
    valid_from: str
    revoked_at: str | None

    def valid_at(self, moment: str) -> bool:
        """Whether the key was in force at ``moment`` (the log's time text, which sorts)."""
        return self.valid_from <= moment and (self.revoked_at is None or moment < self.revoked_at)


def bulk_insert(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert many rows through the driver's ``executemany``.

    SQLAlchemy Core's own executemany spends about 8 microseconds a row building parameters,
    more than SQLite spends storing it; ingest inserts four rows an event, so it compiles the
    statement once for the connection's dialect and hands the driver plain tuples or dicts.
    Only values the drivers take as they are (str, int, bytes, None) may be passed.
    """
    if not rows:
        return
    compiled = _compiled_insert(conn.dialect, table, tuple(rows[0]))
    if compiled.positional:
        order = compiled.positiontup or []
        conn.exec_driver_sql(compiled.string, [tuple(row[k] for k in order) for row in rows])
    else:
        conn.exec_driver_sql(compiled.string, list(rows))


def insert_rows(conn: Connection, table: Table, rows: Sequence[tuple[Any, ...]]) -> None:
    """Like :func:`bulk_insert`, for rows given as tuples of every column in table order (the
    ingest hot path: no dictionary per row on SQLite)."""
    if not rows:
        return
    names = tuple(column.key for column in table.columns)
    compiled = _compiled_insert(conn.dialect, table, names)
    if compiled.positional:
        assert tuple(compiled.positiontup or ()) == names
        conn.exec_driver_sql(compiled.string, list(rows))
    elif conn.dialect.name == "postgresql":
        _copy_rows(conn, table, names, rows)
    else:
        conn.exec_driver_sql(compiled.string, [dict(zip(names, row, strict=True)) for row in rows])


def _copy_rows(
    conn: Connection, table: Table, names: tuple[str, ...], rows: Sequence[tuple[Any, ...]]
) -> None:
    """PostgreSQL's COPY, in the open transaction: one round trip for the whole batch, where an
    INSERT per row costs a round trip each. (Binary COPY was measured no faster here: the
    server's index upkeep dominates, not the text escaping.)"""
    columns = ", ".join(f'"{name}"' for name in names)
    driver = conn.connection.driver_connection
    assert driver is not None
    with (
        driver.cursor() as cursor,
        cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy,
    ):
        for row in rows:
            copy.write_row(row)


@functools.lru_cache(maxsize=64)
def _compiled_insert(dialect: Dialect, table: Table, keys: tuple[str, ...]) -> SQLCompiler:
    compiled = table.insert().compile(dialect=dialect, column_keys=list(keys))
    assert isinstance(compiled, SQLCompiler)
    return compiled


# -- the log -----------------------------------------------------------------------------------


def log_size(conn: Connection) -> int:
    """Number of entries sequenced so far (the next index to assign)."""
    largest = conn.execute(select(func.max(log_entries.c.idx))).scalar()
    return 0 if largest is None else int(largest) + 1


def append_log_entries(
    conn: Connection, first_index: int, rows: Sequence[tuple[str, bytes]]
) -> None:
    """Store entries at ``first_index``, ``first_index + 1``, ... (type, bytes)."""
    if rows:
        insert_rows(
            conn,
            log_entries,
            [(first_index + i, entry_type, data) for i, (entry_type, data) in enumerate(rows)],
        )


def log_entry(conn: Connection, index: int) -> bytes | None:
    row = conn.execute(select(log_entries.c.entry).where(log_entries.c.idx == index)).first()
    return None if row is None else bytes(row[0])


def iter_log_entries(
    conn: Connection, start: int = 0, stop: int | None = None, batch: int = 5000
) -> Iterator[tuple[int, str, bytes]]:
    """Yield (index, type, bytes) in log order, reading in batches."""
    position = start
    while stop is None or position < stop:
        query = (
            select(log_entries.c.idx, log_entries.c.type, log_entries.c.entry)
            .where(log_entries.c.idx >= position)
            .order_by(log_entries.c.idx)
            .limit(batch if stop is None else min(batch, stop - position))
        )
        rows = conn.execute(query).all()
        if not rows:
            return
        for idx, entry_type, data in rows:
            yield int(idx), str(entry_type), bytes(data)
        position = int(rows[-1][0]) + 1


# -- keys --------------------------------------------------------------------------------------


def insert_key(
    conn: Connection,
    public_key: bytes,
    owner: str,
    role: str,
    valid_from: str,
    log_index: int | None = None,
) -> None:
    conn.execute(
        keys.insert().values(
            public_key=public_key,
            owner=owner,
            role=role,
            valid_from=valid_from,
            revoked_at=None,
            log_index=log_index,
        )
    )


def revoke_key(conn: Connection, public_key: bytes, revoked_at: str) -> bool:
    result = conn.execute(
        keys.update()
        .where(keys.c.public_key == public_key, keys.c.revoked_at.is_(None))
        .values(revoked_at=revoked_at)
    )
    return result.rowcount == 1


def all_keys(conn: Connection) -> list[KeyRecord]:
    rows = conn.execute(
        select(keys.c.public_key, keys.c.owner, keys.c.role, keys.c.valid_from, keys.c.revoked_at)
    ).all()
    return [KeyRecord(bytes(r[0]), r[1], r[2], r[3], r[4]) for r in rows]


# -- passages ----------------------------------------------------------------------------------


class StoredPassage(NamedTuple):
    """A passage ready to store: its public entry, log bytes, and (optionally) private part.

    A named tuple, not a frozen dataclass: ingest builds one per event, and tuples are cheap."""

    entry: PublicEntry
    event_id: str
    observed_at: str
    raw: bytes
    received_at: str
    skew_seconds: int
    private_record: bytes | None = None
    salt: bytes | None = None


def existing_passages(conn: Connection, event_ids: Iterable[str]) -> dict[str, tuple[int, bytes]]:
    """For those ids already stored: id -> (log index, log entry bytes)."""
    ids = list(event_ids)
    found: dict[str, tuple[int, bytes]] = {}
    if conn.dialect.name == "postgresql" and ids:
        # One array parameter: PostgreSQL plans it once, where an IN list of 500 placeholders
        # is compiled by SQLAlchemy and planned by the server on every push.
        rows = conn.exec_driver_sql(
            "SELECT p.event_id, p.log_index, e.entry FROM passages p"
            " JOIN log_entries e ON e.idx = p.log_index WHERE p.event_id = ANY(%s)",
            (ids,),
        ).all()
        return {r[0]: (int(r[1]), bytes(r[2])) for r in rows}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = conn.execute(
            select(passages.c.event_id, passages.c.log_index, log_entries.c.entry)
            .join(log_entries, log_entries.c.idx == passages.c.log_index)
            .where(passages.c.event_id.in_(chunk))
        ).all()
        found.update({r[0]: (int(r[1]), bytes(r[2])) for r in rows})
    return found


def insert_passages(conn: Connection, first_index: int, items: Sequence[StoredPassage]) -> None:
    """Insert public rows, cargo lines and private records for passages at consecutive indices,
    and add them to the daily counters.

    Rows are tuples in the tables' column order (see :func:`insert_rows`)."""
    public_rows: list[tuple[Any, ...]] = []
    cargo_rows: list[tuple[Any, ...]] = []
    private_rows: list[tuple[Any, ...]] = []
    for offset, item in enumerate(items):
        entry = item.entry
        event_id = item.event_id
        observed = item.observed_at
        day = observed[:10]
        kind = entry.kind.value
        people = entry.people
        index = first_index + offset
        public_rows.append(
            (
                index,
                event_id,
                entry.post,
                observed,
                day,
                kind,
                entry.direction.value,
                entry.vehicle_class.value,
                entry.vehicle,
                people.residents,
                people.returnees,
                people.crew,
                people.other,
                entry.cargo_kg,
                None if entry.reason is None else entry.reason.value,
                entry.convoy,
                item.received_at,
                item.skew_seconds,
            )
        )
        for n, line in enumerate(entry.cargo):
            cargo_rows.append((index, n, line.category.value, line.kg, day, kind))
        if item.private_record is not None and item.salt is not None:
            private_rows.append((index, item.salt, item.private_record.decode("utf-8")))
    insert_rows(conn, passages, public_rows)
    insert_rows(conn, cargo_lines, cargo_rows)
    insert_rows(conn, private_records, private_rows)
    # In the same transaction: the daily counters never disagree with the passages they count.
    counters.add_batch(conn, public_rows, cargo_rows)


def count_passages(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(passages)).scalar_one())


# -- meta --------------------------------------------------------------------------------------


def raise_alert(conn: Connection, raised_at: str, kind: str, source: str, message: str) -> bool:
    """Record an alert once: while an identical one is unacknowledged, it is not repeated (a gap
    reported on every push, say, stays one alert). True if a new one was recorded."""
    source = source[:64]
    open_same = conn.execute(
        select(func.count())
        .select_from(alerts)
        .where(
            alerts.c.kind == kind,
            alerts.c.source == source,
            alerts.c.message == message,
            alerts.c.acknowledged == 0,
        )
    ).scalar_one()
    if open_same:
        return False
    conn.execute(
        alerts.insert().values(
            raised_at=raised_at, kind=kind, source=source, message=message, acknowledged=0
        )
    )
    return True


def get_meta(conn: Connection, key: str) -> str | None:
    row = conn.execute(select(store_meta.c.value).where(store_meta.c.key == key)).first()
    return None if row is None else str(row[0])


def delete_meta(conn: Connection, key: str) -> None:
    conn.execute(store_meta.delete().where(store_meta.c.key == key))


def set_meta(conn: Connection, key: str, value: str) -> None:
    existing = get_meta(conn, key)
    if existing is None:
        conn.execute(store_meta.insert().values(key=key, value=value))
    elif existing != value:
        conn.execute(store_meta.update().where(store_meta.c.key == key).values(value=value))


# -- tiles and the published checkpoint --------------------------------------------------------


def read_tile(conn: Connection, level: int, index: int) -> bytes:
    """The stored data of hash tile (level, index), or b"" if there is none yet."""
    # Straight to the driver: a proof reads several tiles, and building the statement through
    # SQLAlchemy Core cost 70 microseconds a tile against 13 this way.
    marker = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    row = conn.exec_driver_sql(
        f"SELECT data FROM tiles WHERE level = {marker} AND idx = {marker}", (level, index)
    ).first()
    return b"" if row is None else bytes(row[0])


def write_tiles(conn: Connection, changed: dict[tuple[int, int], bytes]) -> None:
    """Store tiles at their new (wider) contents; a tile only ever grows."""
    for level, index in changed:
        conn.execute(tiles.delete().where(tiles.c.level == level, tiles.c.idx == index))
    bulk_insert(
        conn,
        tiles,
        [{"level": level, "idx": index, "data": data} for (level, index), data in changed.items()],
    )


def log_entries_range(conn: Connection, start: int, stop: int) -> list[bytes]:
    rows = conn.execute(
        select(log_entries.c.entry)
        .where(log_entries.c.idx >= start, log_entries.c.idx < stop)
        .order_by(log_entries.c.idx)
    ).all()
    return [bytes(r[0]) for r in rows]


def published_state(conn: Connection) -> tuple[int, str] | None:
    """(size, checkpoint note text) of the last published checkpoint, or None before the first."""
    row = conn.execute(select(log_state.c.size, log_state.c.checkpoint)).first()
    return None if row is None else (int(row[0]), str(row[1]))


def swap_checkpoint(conn: Connection, old: str | None, size: int, checkpoint: str) -> bool:
    """Compare-and-swap the published checkpoint; False if another writer changed it first."""
    if old is None:
        if published_state(conn) is not None:
            return False
        conn.execute(log_state.insert().values(id=1, size=size, checkpoint=checkpoint))
        return True
    result = conn.execute(
        log_state.update()
        .where(log_state.c.id == 1, log_state.c.checkpoint == old)
        .values(size=size, checkpoint=checkpoint)
    )
    return result.rowcount == 1


def passage_entries_of_day(conn: Connection, day: str, below: int) -> list[bytes]:
    """Log entries of the passages observed on ``day`` at indices below ``below``."""
    rows = conn.execute(
        select(log_entries.c.entry)
        .join(passages, passages.c.log_index == log_entries.c.idx)
        .where(passages.c.day == day, log_entries.c.idx < below)
        .order_by(log_entries.c.idx)
    ).all()
    return [bytes(r[0]) for r in rows]


def first_entry_signed_since(
    conn: Connection, post: str, public_key: bytes, since: str
) -> tuple[str, str] | None:
    """(event id, observed time) of the earliest logged passage of ``post`` observed at or after
    ``since`` and signed by ``public_key``, or None."""
    key_text = base64.b64encode(public_key).decode("ascii")
    rows = conn.execute(
        select(passages.c.event_id, passages.c.observed_at, log_entries.c.entry)
        .join(log_entries, log_entries.c.idx == passages.c.log_index)
        .where(passages.c.post == post, passages.c.observed_at >= since)
        .order_by(passages.c.observed_at)
    )
    for event_id, observed_at, entry in rows:
        if orjson.loads(entry)["key"] == key_text:
            return str(event_id), str(observed_at)
    return None
