"""The open data tables: every published passage's public fields, and the daily flow.

::

    passage_batches(conn)                       published passages in log order, a batch at a time
    write_passages_csv(conn, path)              passages.csv (UTF-8 with BOM, HXL hashtag row)
    export_passages_parquet(conn, path)         passages.parquet, one row group per batch
    write_daily_csv / write_daily_parquet       daily.csv / daily.parquet, from daily.flow_rows

Only passages the log has published (log index below the published tree size) are exported, so
every row's ``log_index`` names an entry a reader can fetch under ``/log/`` and verify. The
columns are exactly the public entry's fields (:mod:`corridor.reports.opendata_fields`); these
queries read ``passages`` and ``cargo_lines`` (the public projection) and never
``private_records``. Memory stays bounded whatever the size of the log: rows are read by keyset
pages on the log index (``log_index > last seen``), never the whole table at once.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict
from datetime import date, time
from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
from sqlalchemy import Connection, func, select

from corridor.model.corridor import Corridor
from corridor.model.vocabulary import CargoCategory, PeopleCategory
from corridor.reports.daily import flow_rows
from corridor.reports.opendata_fields import (
    DAILY_FIELDS,
    LICENCE,
    PASSAGE_FIELDS,
    Field,
    arrow_schema,
    arrow_type,
)
from corridor.store import queries
from corridor.store.schema import cargo_lines, passages

#: Rows per keyset page, and so per Parquet row group: a few MB of Python objects at most.
BATCH_ROWS = 10_000

#: A batch of rows as columns, keyed by field name in the fields' order.
Columns = dict[str, list[Any]]

_P = passages.c
_SELECTED = (
    _P.log_index,
    _P.event_id,
    _P.day,
    _P.observed_at,
    _P.post,
    _P.kind,
    _P.direction,
    _P.vehicle_class,
    _P.vehicle,
    *(_P[c.value] for c in PeopleCategory),
    _P.cargo_kg,
    _P.reason,
    _P.convoy,
)


def published_size(conn: Connection) -> int:
    """Entries in the published log (0 before the first checkpoint)."""
    state = queries.published_state(conn)
    return 0 if state is None else state[0]


def post_names(corridor: Corridor | None) -> dict[str, str]:
    """Post id to name (every name, joined with " / "); empty without a corridor."""
    return {} if corridor is None else {post.id: post.label for post in corridor.posts}


def count_published_passages(conn: Connection, below: int | None = None) -> int:
    stop = published_size(conn) if below is None else below
    return int(conn.execute(select(func.count()).where(_P.log_index < stop)).scalar() or 0)


def passage_batches(
    conn: Connection,
    *,
    names: Mapping[str, str] | None = None,
    below: int | None = None,
    batch: int = BATCH_ROWS,
) -> Iterator[Columns]:
    """Passages with a log index below ``below`` (default: the published size), in log order,
    ``batch`` rows at a time as :data:`Columns` of :data:`PASSAGE_FIELDS`.

    ``names`` maps post ids to names; a post it lacks is named by its id.
    """
    stop = published_size(conn) if below is None else below
    after = -1
    while True:
        rows = conn.execute(
            select(*_SELECTED)
            .where(_P.log_index > after, _P.log_index < stop)
            .order_by(_P.log_index)
            .limit(batch)
        ).all()
        if not rows:
            return
        after = int(rows[-1].log_index)
        yield _passage_columns(rows, _cargo_of(conn, int(rows[0].log_index), after), names or {})


def _cargo_of(conn: Connection, first: int, last: int) -> dict[tuple[int, str], int]:
    """Kilograms by (log index, category) for the passages ``first..last``: one range query a
    batch, on the cargo table's primary key."""
    rows = conn.execute(
        select(cargo_lines.c.log_index, cargo_lines.c.category, func.sum(cargo_lines.c.kg))
        .where(cargo_lines.c.log_index >= first, cargo_lines.c.log_index <= last)
        .group_by(cargo_lines.c.log_index, cargo_lines.c.category)
    )
    return {(int(index), str(category)): int(kg) for index, category, kg in rows}


def _passage_columns(
    rows: Sequence[Any], cargo: Mapping[tuple[int, str], int], names: Mapping[str, str]
) -> Columns:
    columns: Columns = {field.name: [] for field in PASSAGE_FIELDS}
    by_category = [(c.value, columns[f"cargo_{c.value}_kg"]) for c in CargoCategory]
    for row in rows:
        m = row._mapping
        index = int(m["log_index"])
        columns["log_index"].append(index)
        columns["event_id"].append(m["event_id"])
        columns["day"].append(m["day"])
        columns["time"].append(str(m["observed_at"])[11:19])
        columns["post_id"].append(m["post"])
        columns["post_name"].append(names.get(m["post"], m["post"]))
        for name in ("kind", "direction", "vehicle_class", "vehicle"):
            columns[name].append(m[name])
        for category in PeopleCategory:
            columns[category.value].append(int(m[category.value]))
        columns["cargo_kg"].append(int(m["cargo_kg"]))
        for cargo_category, column in by_category:
            column.append(cargo.get((index, cargo_category), 0))
        columns["reason"].append(m["reason"])
        columns["convoy"].append(m["convoy"])
    return columns


# -- CSV -----------------------------------------------------------------------------------------


def _write_csv(path: Path, fields: tuple[Field, ...], batches: Iterator[Columns]) -> int:
    """A CSV file: header row, HXL hashtag row, rows. UTF-8 with a byte order mark, which is how
    Excel knows the file is UTF-8 (without it, names in Armenian or Russian come out garbled)."""
    written = 0
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([f.name for f in fields])
        writer.writerow([f.hxl for f in fields])
        for columns in batches:
            rows = list(zip(*columns.values(), strict=True))
            writer.writerows(rows)
            written += len(rows)
    return written


def write_passages_csv(
    conn: Connection, path: Path, *, corridor: Corridor | None = None, below: int | None = None
) -> int:
    """passages.csv at ``path``; returns the rows written."""
    return _write_csv(
        path, PASSAGE_FIELDS, passage_batches(conn, names=post_names(corridor), below=below)
    )


def daily_columns(conn: Connection, corridor: Corridor | None = None) -> Columns:
    """The daily flow (one row per day, post, kind, direction and vehicle class) as columns.

    The figures are :func:`corridor.reports.daily.flow_rows`'s, the dashboard's: one row per
    combination that occurred, so it is small (days x posts x a few dozen) and read at once.
    """
    names = post_names(corridor)
    columns: Columns = {field.name: [] for field in DAILY_FIELDS}
    for row in flow_rows(conn):
        values = {**asdict(row), "post_name": names.get(row.post_id, row.post_id)}
        for name, column in columns.items():
            column.append(values[name])
    return columns


def write_daily_csv(conn: Connection, path: Path, *, corridor: Corridor | None = None) -> int:
    return _write_csv(path, DAILY_FIELDS, iter([daily_columns(conn, corridor)]))


# -- Parquet -------------------------------------------------------------------------------------


def parquet_metadata(corridor: Corridor | None, simulated: bool, what: str) -> dict[str, str]:
    """File-level metadata: what the file holds, its licence and whether it is simulated."""
    place = corridor.label if corridor is not None else "the corridor"
    label = " (SIMULATED DATA)" if simulated else ""
    return {
        "title": f"{what}, {place}{label}",
        "licence": f"{LICENCE['name']} ({LICENCE['path']})",
        "simulated": "true" if simulated else "false",
        "source": "computed from the corridor's signed public log (/log/)",
    }


def _arrow_batch(columns: Columns, schema: pa.Schema, fields: tuple[Field, ...]) -> pa.RecordBatch:
    arrays = []
    for field in fields:
        values = columns[field.name]
        if field.type == "date":
            values = [date.fromisoformat(v) for v in values]
        elif field.type == "time":
            values = [time.fromisoformat(v) for v in values]
        arrays.append(pa.array(values, type=arrow_type(field)))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _write_parquet(
    path: Path, fields: tuple[Field, ...], metadata: dict[str, str], batches: Iterator[Columns]
) -> int:
    schema = arrow_schema(fields, metadata)
    written = 0
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        for columns in batches:
            batch = _arrow_batch(columns, schema, fields)
            writer.write_batch(batch)  # one row group per keyset page
            written += batch.num_rows
    return written


def export_passages_parquet(
    conn: Connection,
    path: Path,
    *,
    corridor: Corridor | None = None,
    simulated: bool = True,
    below: int | None = None,
) -> int:
    """passages.parquet at ``path``, written batch by batch; returns the rows written.

    Without ``corridor`` the post's id stands in for its name, and ``simulated`` defaults to
    True: such a call is a benchmark's or a test's, over simulated data. The public export
    (:func:`corridor.reports.opendata_package.export_all`) always passes both.
    """
    metadata = parquet_metadata(corridor, simulated, "Passages")
    batches = passage_batches(conn, names=post_names(corridor), below=below)
    return _write_parquet(path, PASSAGE_FIELDS, metadata, batches)


def write_daily_parquet(
    conn: Connection, path: Path, *, corridor: Corridor | None = None, simulated: bool = True
) -> int:
    metadata = parquet_metadata(corridor, simulated, "Daily flow")
    return _write_parquet(path, DAILY_FIELDS, metadata, iter([daily_columns(conn, corridor)]))


def first_published_passage(conn: Connection) -> tuple[int, str] | None:
    """(log index, event id) of the first published passage, or None: the data page's example
    of tracing a row to the log."""
    row = conn.execute(
        select(_P.log_index, _P.event_id)
        .where(_P.log_index < published_size(conn))
        .order_by(_P.log_index)
        .limit(1)
    ).first()
    return None if row is None else (int(row[0]), str(row[1]))
