"""Daily flow rows: events and people per day, post, kind, direction and vehicle class.

The one shape the dashboard, bulletins and the ``/data/daily.*`` files read the day's flow in.
It reads the ``daily_flow`` counters ingest keeps (store/counters.py): a few rows per post and
day, however many passages the store holds.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, select

from corridor.store.schema import daily_flow


@dataclass(frozen=True)
class FlowRow:
    """Passages of one kind, direction and vehicle class at one post on one day.

    ``events`` counts every event; the people and ``cargo_kg`` sums cover every event too, so a
    caller applying the counting rule (people on ``passed`` only) filters on ``kind``.
    """

    day: str
    post_id: str
    kind: str
    direction: str
    vehicle_class: str
    events: int
    residents: int
    returnees: int
    crew: int
    other: int
    cargo_kg: int


def flow_rows(
    conn: Connection,
    *,
    first_day: str | None = None,
    last_day: str | None = None,
    post_id: str | None = None,
) -> list[FlowRow]:
    """Flow rows between ``first_day`` and ``last_day`` (inclusive, ``YYYY-MM-DD``), optionally
    for one post, ordered by day, post, kind, direction and vehicle class."""
    f = daily_flow.c
    keys = (f.day, f.post, f.kind, f.direction, f.vehicle_class)
    query = select(*keys, f.events, f.residents, f.returnees, f.crew, f.other, f.cargo_kg)
    if first_day is not None:
        query = query.where(f.day >= first_day)
    if last_day is not None:
        query = query.where(f.day <= last_day)
    if post_id is not None:
        query = query.where(f.post == post_id)
    rows = conn.execute(query.order_by(*keys))
    return [
        FlowRow(day, post, kind, direction, vclass, *(int(v) for v in figures))
        for day, post, kind, direction, vclass, *figures in rows
    ]
