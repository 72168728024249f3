"""The corridor's map layers (band, route, posts) for the day a reader asks about.

The route in force changes over time, so the layers depend on a day: by default the latest day
with passages in the store (what the figures beside the map describe), or the mandate's first day
while the store is empty.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, func, select

from corridor.geo import geometry_for
from corridor.model.corridor import Corridor
from corridor.store.schema import passages


def latest_day(conn: Connection) -> date | None:
    """The latest day with a passage in the store, or None if there is none."""
    day = conn.execute(select(func.max(passages.c.day))).scalar()
    return None if day is None else date.fromisoformat(str(day))


def map_day(conn: Connection, corridor: Corridor, at: date | None = None) -> date:
    """The day the map shows: ``at`` if given, else the latest day with data, else the
    mandate's first day."""
    if at is not None:
        return at
    return latest_day(conn) or corridor.mandate_start


def corridor_layers(
    conn: Connection, corridor: Corridor, *, at: date | None = None, simulated: bool
) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of band, route and posts in force on :func:`map_day`.

    Foreign members (RFC 7946 section 6.1) say what it shows: the corridor with every name
    (``label`` joins them with " / "), both ends, the day and whether the data is simulated.
    """
    day = map_day(conn, corridor, at)
    layers = geometry_for(corridor).to_geojson(day)
    return {
        **layers,
        "corridor": {
            "id": corridor.id,
            "names": list(corridor.names),
            "label": corridor.label,
            "endpoints": [place.label for place in corridor.endpoints],
        },
        "at": day.isoformat(),
        "simulated": simulated,
    }
