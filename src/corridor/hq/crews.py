"""The repair crew registry: crews, and the zones and time windows each may work in.

A crew is an id and a name. A zone is a polygon (GeoJSON, WGS84 lon/lat, checked by
:mod:`corridor.hq.zone_shape`) with a window ``active_from`` <= t < ``active_to``; a crew may
have several, one per job. The monitor loads them with :func:`load_crew_zones` to check crews
against their zones and vehicles against the zones in use.

Crews' zones are not personal data, but where a crew works today is operational: they are shown
to coordinators, not on public pages.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shapely.geometry import Polygon
from sqlalchemy import Connection, Select, delete, func, select
from sqlalchemy.exc import IntegrityError

from corridor.errors import ConflictError, NotFoundError, ValidationError
from corridor.hq.zone_shape import zone_shape
from corridor.model.corridor import Corridor, LonLat
from corridor.model.events import format_time, parse_time
from corridor.store.engine import Store
from corridor.store.schema import crew_zones, crews

#: A crew id, as trackers and alerts name the crew (``crews.crew_id`` is 32 characters).
CREW_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")
MAX_NAME = 200


@dataclass(frozen=True, slots=True)
class Crew:
    crew_id: str
    name: str


@dataclass(frozen=True, slots=True)
class CrewZone:
    """A stored zone: ``geometry`` is its GeoJSON Polygon, times in the log's text form."""

    zone_id: int
    crew_id: str
    name: str
    geometry: dict[str, Any]
    active_from: str
    active_to: str


@dataclass(frozen=True, slots=True)
class CrewZoneData:
    """A zone for the monitor: ``zone`` is the closed lon/lat ring, ``polygon`` the same as a
    Shapely polygon. The first four field names are those of
    :class:`corridor.monitor.crews.CrewAssignment`."""

    crew_id: str
    zone: tuple[LonLat, ...]
    starts_at: datetime
    ends_at: datetime
    zone_id: int
    name: str
    polygon: Polygon


def add_crew(store: Store, crew_id: str, name: str) -> Crew:
    """Register a crew; :class:`ConflictError` if the id is taken."""
    if not CREW_ID.fullmatch(crew_id):
        raise ValidationError(
            "crew_id",
            f"{crew_id!r} is not a crew id: 1 to 32 letters, digits, '.', '_' or '-', starting "
            "with a letter or digit (e.g. R-04)",
        )
    crew = Crew(crew_id, _name(name, "a crew needs a name (e.g. 'Road repair team 4')"))
    try:
        with store.write() as conn:
            if _crew_exists(conn, crew_id):
                raise ConflictError(f"crew {crew_id!r} is already registered")
            conn.execute(crews.insert().values(crew_id=crew.crew_id, name=crew.name))
    except IntegrityError as exc:
        raise ConflictError(f"crew {crew_id!r} is already registered") from exc
    return crew


def list_crews(store: Store) -> list[Crew]:
    """Every crew, by id."""
    with store.read() as conn:
        rows = conn.execute(select(crews).order_by(crews.c.crew_id))
        return [Crew(row.crew_id, row.name) for row in rows]


def remove_crew(store: Store, crew_id: str) -> None:
    """Delete a crew and every zone it has, or :class:`NotFoundError`."""
    with store.write() as conn:
        if not _crew_exists(conn, crew_id):
            raise NotFoundError(f"no crew {crew_id!r}")
        conn.execute(delete(crew_zones).where(crew_zones.c.crew_id == crew_id))
        conn.execute(delete(crews).where(crews.c.crew_id == crew_id))


def add_zone(
    store: Store,
    corridor: Corridor,
    *,
    crew_id: str,
    geojson: object,
    active_from: str,
    active_to: str,
    name: str | None = None,
    default_name: str | None = None,
) -> CrewZone:
    """Check and store a zone of ``crew_id`` (GeoJSON text or object: a Polygon, or a Feature or
    FeatureCollection holding exactly one) for ``active_from`` <= t < ``active_to``.

    ``name`` defaults to the feature's ``name`` property, then to ``default_name`` (the CLI
    gives the file's name). Errors name the field: ``crew_id``,
    ``active_from``, ``active_to``, ``name`` or ``geojson...``; nothing is stored on any.
    """
    starts = parse_time(active_from, "active_from")
    ends = parse_time(active_to, "active_to")
    if ends <= starts:
        raise ValidationError(
            "active_to", f"the window must end after it starts ({active_from} to {active_to})"
        )
    shape = zone_shape(geojson, corridor, starts, ends)
    given = name if name is not None else (shape.name or default_name or "")
    label = _name(given, "a zone needs a name (or a Feature with a 'name' property)")
    row = {
        "crew_id": crew_id,
        "name": label,
        "geometry": json.dumps(shape.to_geojson()),
        "active_from": format_time(starts),
        "active_to": format_time(ends),
    }
    with store.write() as conn:
        if not _crew_exists(conn, crew_id):
            raise ValidationError("crew_id", f"no crew {crew_id!r}: add the crew first")
        inserted = conn.execute(crew_zones.insert().values(**row)).inserted_primary_key
        assert inserted is not None  # an autoincrement key: every dialect reports it
        zone_id = inserted[0]
    return CrewZone(
        int(zone_id), crew_id, label, shape.to_geojson(), row["active_from"], row["active_to"]
    )


def list_zones(store: Store, crew_id: str | None = None) -> list[CrewZone]:
    """Every zone (or ``crew_id``'s), by crew, start of window and id."""
    query = select(crew_zones)
    if crew_id is not None:
        query = query.where(crew_zones.c.crew_id == crew_id)
    return _zones(store, query)


def zones_active_at(store: Store, at: str | datetime) -> list[CrewZone]:
    """The zones whose window holds ``at`` (``active_from`` <= at < ``active_to``)."""
    moment = format_time(at) if isinstance(at, datetime) else format_time(parse_time(at, "at"))
    # The text form has a fixed width, so comparing the text compares the times.
    query = select(crew_zones).where(
        crew_zones.c.active_from <= moment, crew_zones.c.active_to > moment
    )
    return _zones(store, query)


def remove_zone(store: Store, zone_id: int) -> None:
    """Delete one zone, or :class:`NotFoundError`."""
    with store.write() as conn:
        gone = conn.execute(delete(crew_zones).where(crew_zones.c.zone_id == zone_id)).rowcount
    if not gone:
        raise NotFoundError(f"no crew zone {zone_id}")


def load_crew_zones(store: Store) -> list[CrewZoneData]:
    """Every zone for the monitor, as frozen values with Shapely polygons (lon/lat)."""
    out = []
    for zone in list_zones(store):
        ring = tuple((float(lon), float(lat)) for lon, lat in zone.geometry["coordinates"][0])
        out.append(
            CrewZoneData(
                crew_id=zone.crew_id,
                zone=ring,
                starts_at=parse_time(zone.active_from, "active_from"),
                ends_at=parse_time(zone.active_to, "active_to"),
                zone_id=zone.zone_id,
                name=zone.name,
                polygon=Polygon(ring),
            )
        )
    return out


def _name(name: str, missing: str) -> str:
    clean = " ".join(name.split())
    if not clean:
        raise ValidationError("name", missing)
    if len(clean) > MAX_NAME:
        raise ValidationError("name", f"at most {MAX_NAME} characters, got {len(clean)}")
    return clean


def _crew_exists(conn: Connection, crew_id: str) -> bool:
    query = select(func.count()).select_from(crews).where(crews.c.crew_id == crew_id)
    return bool(conn.execute(query).scalar_one())


def _zones(store: Store, query: Select[Any]) -> list[CrewZone]:
    ordered = query.order_by(crew_zones.c.crew_id, crew_zones.c.active_from, crew_zones.c.zone_id)
    with store.read() as conn:
        return [
            CrewZone(
                int(row.zone_id),
                row.crew_id,
                row.name,
                json.loads(row.geometry),
                row.active_from,
                row.active_to,
            )
            for row in conn.execute(ordered)
        ]
