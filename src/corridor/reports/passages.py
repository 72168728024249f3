"""The latest passages and one passage's log entry, public fields only.

These queries read the ``passages`` table (the public projection) and ``log_entries`` (the public
log); they never touch ``private_records``. What a passage shows here is exactly what its signed
public entry says: event id, log index, post, time, kind, direction, vehicle class, vehicle
pseudonym, people by category, total cargo, reason code and convoy.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import Connection, select

from corridor.errors import NotFoundError, ValidationError
from corridor.model.vocabulary import PeopleCategory
from corridor.store.schema import log_entries, passages

#: The most passages one page may hold.
MAX_LIMIT = 500

_PUBLIC_COLUMNS = (
    passages.c.event_id,
    passages.c.log_index,
    passages.c.post,
    passages.c.observed_at,
    passages.c.kind,
    passages.c.direction,
    passages.c.vehicle_class,
    passages.c.vehicle,
    *(passages.c[c.value] for c in PeopleCategory),
    passages.c.cargo_kg,
    passages.c.reason,
    passages.c.convoy,
)


def _public(row: Any) -> dict[str, Any]:
    m = row._mapping
    return {
        "event_id": m["event_id"],
        "log_index": int(m["log_index"]),
        "post": m["post"],
        "observed_at": m["observed_at"],
        "kind": m["kind"],
        "direction": m["direction"],
        "vehicle_class": m["vehicle_class"],
        "vehicle": m["vehicle"],
        "people": {c.value: int(m[c.value]) for c in PeopleCategory},
        "cargo_kg": int(m["cargo_kg"]),
        "reason": m["reason"],
        "convoy": m["convoy"],
    }


def latest_passages(
    conn: Connection, *, limit: int = 50, before: int | None = None
) -> dict[str, Any]:
    """Up to ``limit`` passages, newest first in log order, with log index below ``before``.

    Returns ``{"passages": [...], "next_before": n}``; pass ``next_before`` as ``before`` for the
    next (older) page. ``next_before`` is None on the last page.
    """
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError("limit", f"must be between 1 and {MAX_LIMIT}, not {limit}")
    if before is not None and before < 0:
        raise ValidationError("before", f"must be a log index (0 or more), not {before}")
    query = select(*_PUBLIC_COLUMNS).order_by(passages.c.log_index.desc()).limit(limit + 1)
    if before is not None:
        query = query.where(passages.c.log_index < before)
    rows = [_public(row) for row in conn.execute(query)]
    more = len(rows) > limit
    rows = rows[:limit]
    return {"passages": rows, "next_before": rows[-1]["log_index"] if more else None}


def parse_event_id(text: str) -> str:
    """The canonical text of an event id (a UUID), or :class:`ValidationError`."""
    try:
        return str(uuid.UUID(text))
    except ValueError as exc:
        raise ValidationError(
            "event_id", f"{text!r} is not a UUID (like 3f2b8c1e-0000-4000-8000-000000000000)"
        ) from exc


def passage_entry(conn: Connection, event_id: str) -> dict[str, Any]:
    """The passage's log index and its entry exactly as the log holds it (the signed envelope:
    ``type``, ``body`` = the public entry, ``key``, ``sig``)."""
    canonical = parse_event_id(event_id)
    row = conn.execute(
        select(passages.c.log_index, log_entries.c.entry)
        .join(log_entries, log_entries.c.idx == passages.c.log_index)
        .where(passages.c.event_id == canonical)
    ).first()
    if row is None:
        raise NotFoundError(f"no passage with event id {canonical} in this log")
    raw = bytes(row[1])
    return {"event_id": canonical, "log_index": int(row[0]), "entry": json.loads(raw)}


def passage_log_index(conn: Connection, event_id: str) -> tuple[str, int]:
    """(canonical event id, log index) of a stored passage, or :class:`NotFoundError`."""
    canonical = parse_event_id(event_id)
    index = conn.execute(
        select(passages.c.log_index).where(passages.c.event_id == canonical)
    ).scalar()
    if index is None:
        raise NotFoundError(f"no passage with event id {canonical} in this log")
    return canonical, int(index)
