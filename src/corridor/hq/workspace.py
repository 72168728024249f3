"""Read queries of the coordinator's workspace that no other HQ module owns: the latest position
of each tracker, the posts with their keys and last sync, the crews and their zones, HQ's users.

Everything here is private HQ data, read behind a log-in (corridor.web.coordinator): positions
only for coordinators and admins. Positions name a vehicle by its pseudonym, as alerts do, never
by its plate, so the map and the alert list speak of the same subject.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, select

from corridor.hq.sync import LAST_CONTACT
from corridor.model.corridor import Corridor
from corridor.model.events import format_time
from corridor.store.schema import (
    crew_zones,
    crews,
    keys,
    operators,
    passages,
    positions,
    post_sequence_state,
    store_meta,
)

#: Largest zone file accepted, in bytes: a crew's work zone is a few polygons, not a country.
MAX_ZONE_BYTES = 1_000_000


def _ms_time(ms: int) -> str:
    return format_time(datetime.fromtimestamp(ms / 1000, UTC))


def position_json(mapping: Any) -> dict[str, Any]:
    """A position row (or anything with its column names) as the map and the ``position`` topic
    of :mod:`corridor.hq.live` carry it. The intake stores a vehicle's pseudonym, never its
    plate, and a crew's id (corridor.hq.positions), so nothing here can name a person."""
    return {
        "device_id": mapping["device_id"],
        "subject_kind": mapping["subject_kind"],
        "subject": mapping["subject_id"],
        "lat": float(mapping["lat"]),
        "lon": float(mapping["lon"]),
        "fixed_at": _ms_time(int(mapping["fixed_at_ms"])),
        "speed_mps": mapping["speed_mps"],
        "bearing": mapping["bearing"],
        "battery_pct": mapping["battery_pct"],
    }


def latest_positions(conn: Connection, *, since_ms: int | None = None) -> list[dict[str, Any]]:
    """The newest fix of every device (optionally only fixes from ``since_ms`` on), by device."""
    newest = select(
        positions.c.device_id, func.max(positions.c.fixed_at_ms).label("fixed_at_ms")
    ).group_by(positions.c.device_id)
    if since_ms is not None:
        newest = newest.where(positions.c.fixed_at_ms >= since_ms)
    latest = newest.subquery()
    rows = conn.execute(
        select(positions)
        .join(
            latest,
            (positions.c.device_id == latest.c.device_id)
            & (positions.c.fixed_at_ms == latest.c.fixed_at_ms),
        )
        .order_by(positions.c.device_id, positions.c.id.desc())
    )
    seen: set[str] = set()
    found = []
    for row in rows:
        if row.device_id in seen:  # two fixes with the same time: keep the last received
            continue
        seen.add(row.device_id)
        found.append(position_json(row._mapping))
    return found


def posts_overview(conn: Connection, corridor: Corridor) -> list[dict[str, Any]]:
    """Each post of the corridor: names, kind, chainage, its keys, its last sync (the last push
    or registry pull HQ recorded, :data:`corridor.hq.sync.LAST_CONTACT`) and the latest
    ``received_at`` of its passages."""
    contacts = dict(
        conn.execute(
            select(store_meta.c.key, store_meta.c.value).where(
                store_meta.c.key.startswith(LAST_CONTACT)
            )
        ).all()
    )
    last = dict(
        conn.execute(
            select(passages.c.post, func.max(passages.c.received_at)).group_by(passages.c.post)
        ).all()
    )
    counts: dict[str, int] = dict(
        conn.execute(select(passages.c.post, func.count()).group_by(passages.c.post)).all()
    )
    through: dict[str, int] = dict(
        conn.execute(
            select(post_sequence_state.c.post, post_sequence_state.c.contiguous_through)
        ).all()
    )
    by_owner: dict[str, list[dict[str, Any]]] = {}
    for row in conn.execute(select(keys).where(keys.c.role == "post").order_by(keys.c.valid_from)):
        by_owner.setdefault(row.owner, []).append(
            {
                "key": base64.b64encode(row.public_key).decode(),
                "valid_from": row.valid_from,
                "revoked_at": row.revoked_at,
                "log_index": row.log_index,
            }
        )
    return [
        {
            "post": post.id,
            "name": post.label,
            "kind": post.kind.value,
            "chainage_km": round(post.chainage_m / 1000, 1),
            "keys": by_owner.get(post.id, []),
            "last_sync_at": contacts.get(LAST_CONTACT + post.id),
            "last_received_at": last.get(post.id),
            "passages": int(counts.get(post.id, 0)),
            "contiguous_through": through.get(post.id),
        }
        for post in corridor.posts
    ]


def crews_with_zones(conn: Connection) -> list[dict[str, Any]]:
    """Every crew with its zones (geometry parsed), by crew id then zone start."""
    zones: dict[str, list[dict[str, Any]]] = {}
    for row in conn.execute(select(crew_zones).order_by(crew_zones.c.active_from)):
        zones.setdefault(row.crew_id, []).append(_zone(row._mapping))
    return [
        {"crew_id": row.crew_id, "name": row.name, "zones": zones.get(row.crew_id, [])}
        for row in conn.execute(select(crews).order_by(crews.c.crew_id))
    ]


def _zone(m: Any) -> dict[str, Any]:
    return {
        "zone_id": int(m["zone_id"]),
        "crew_id": m["crew_id"],
        "name": m["name"],
        "geometry": json.loads(m["geometry"]),
        "active_from": m["active_from"],
        "active_to": m["active_to"],
    }


def zones_geojson(conn: Connection) -> dict[str, Any]:
    """Every crew zone as one GeoJSON FeatureCollection (WGS84 lon/lat), for the map."""
    features = [
        {
            "type": "Feature",
            "geometry": zone.pop("geometry"),
            "properties": {**zone, "layer": "crew_zone"},
        }
        for crew in crews_with_zones(conn)
        for zone in crew["zones"]
    ]
    return {"type": "FeatureCollection", "features": features}


def hq_users(conn: Connection) -> list[dict[str, Any]]:
    """HQ's users (operators without a post): name, role, active. Never the password hash."""
    rows = conn.execute(
        select(operators.c.username, operators.c.role, operators.c.active)
        .where(operators.c.post.is_(None))
        .order_by(operators.c.username)
    )
    return [{"username": r.username, "role": r.role, "active": bool(r.active)} for r in rows]
