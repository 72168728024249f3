"""The corridor's feature collections, as served by OGC API - Features (``web/ogc``).

::

    COLLECTIONS                               the collection ids, in the order they are listed
    collection_features(conn, corridor, id)   every feature of one collection, in a stable order
    select(features, area, window)            those meeting a bbox and a time window
    spatial_extent(...), temporal_extent(...) a collection's extents

Five collections: ``band`` (the band polygon of each route version), ``routes`` (each version's
centreline), ``posts`` (points with every name), ``crew-zones`` (where and when repair crews may
work: the polygon, the window and the crew's id, never a name or a device) and ``daily-flow``
(one point per post and day with the day's passages from :func:`corridor.reports.daily.flow_rows`).

A feature's time is a half-open window ``[start, end)``; ``None`` at either end leaves it open.
Posts carry no dates (the scenario says where they are, not since when), so every ``datetime``
matches them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import shapely
from shapely.geometry import Point, mapping, shape
from sqlalchemy import Connection
from sqlalchemy import select as sql_select

from corridor.geo import geometry_for
from corridor.model.corridor import Corridor
from corridor.model.events import parse_time
from corridor.model.vocabulary import Direction, PassageKind, VehicleClass
from corridor.reports.daily import FlowRow, flow_rows
from corridor.store.schema import crew_zones

#: A window in time: ``start`` <= t < ``end``, either end open when ``None``.
Window = tuple[datetime | None, datetime | None]
Bounds = tuple[float, float, float, float]

COLLECTIONS = ("band", "routes", "posts", "crew-zones", "daily-flow")


@dataclass(frozen=True)
class Feature:
    """One feature: ``geometry`` in GeoJSON (lon/lat), ``window`` its time (None: timeless)."""

    id: str
    geometry: dict[str, Any]
    properties: dict[str, Any]
    window: Window | None
    shape: shapely.Geometry

    def to_geojson(self) -> dict[str, Any]:
        return {
            "type": "Feature",
            "id": self.id,
            "geometry": self.geometry,
            "properties": self.properties,
        }


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _feature(
    feature_id: str, geom: shapely.Geometry, props: dict[str, Any], window: Window | None
) -> Feature:
    plain = json.loads(json.dumps(mapping(geom)))  # shapely's tuples as lists, as JSON has them
    return Feature(feature_id, plain, props, window, geom)


def _route_features(corridor: Corridor, *, band: bool) -> list[Feature]:
    geometry = geometry_for(corridor)
    out = []
    for route in corridor.routes:
        geom = geometry.for_route(route)
        props: dict[str, Any] = {
            "route_version": route.version,
            "valid_from": route.effective_from.isoformat(),
            "valid_to": route.effective_to.isoformat() if route.effective_to else None,
            "description": route.description,
        }
        if band:
            props["width_m"] = corridor.width_m
        else:
            props["length_m"] = round(geom.length_m, 1)
        end = _day_start(route.effective_to) if route.effective_to else None
        window = (_day_start(route.effective_from), end)
        line = geom.band_lonlat if band else geom.line_lonlat
        out.append(_feature(str(route.version), line, props, window))
    return out


def _post_features(corridor: Corridor) -> list[Feature]:
    return [
        _feature(
            post.id,
            Point(post.point),
            {
                "post_id": post.id,
                "names": list(post.names),
                "label": post.label,
                "kind": post.kind.value,
                "chainage_m": round(post.chainage_m, 1),
            },
            None,
        )
        for post in corridor.posts
    ]


def _crew_zone_features(conn: Connection) -> list[Feature]:
    # Only the zone's shape, window and the crew's id: the crew's and the zone's names are free
    # text a coordinator typed, and may name people.
    c = crew_zones.c
    query = sql_select(c.zone_id, c.crew_id, c.geometry, c.active_from, c.active_to)
    out = []
    for row in conn.execute(query.order_by(c.zone_id)):
        geometry = json.loads(row.geometry)
        starts = parse_time(row.active_from, "active_from")
        ends = parse_time(row.active_to, "active_to")
        props = {
            "zone_id": int(row.zone_id),
            "crew_id": row.crew_id,
            "active_from": row.active_from,
            "active_to": row.active_to,
        }
        out.append(Feature(str(row.zone_id), geometry, props, (starts, ends), shape(geometry)))
    return out


#: The passage kinds a daily-flow feature counts apart from ``passed``.
_REFUSED = (PassageKind.DENIED, PassageKind.TURNED_BACK)


def _flow_properties(day: str, post_id: str, rows: Sequence[FlowRow]) -> dict[str, Any]:
    """One post's day: passed vehicles by direction and class, people on them, refusals."""
    props: dict[str, Any] = {"day": day, "post_id": post_id}
    passed = [row for row in rows if row.kind == PassageKind.PASSED]
    for direction in Direction:
        mine = [row for row in passed if row.direction == direction]
        props[f"passed_{direction.value}"] = sum(row.events for row in mine)
        for vclass in VehicleClass:
            key = f"passed_{direction.value}_{vclass.value}"
            props[key] = sum(row.events for row in mine if row.vehicle_class == vclass)
    props["people_passed"] = sum(r.residents + r.returnees + r.crew + r.other for r in passed)
    props["cargo_kg_passed"] = sum(row.cargo_kg for row in passed)
    for kind in _REFUSED:
        props[kind.value] = sum(row.events for row in rows if row.kind == kind)
    return props


def _flow_features(
    conn: Connection, corridor: Corridor, days: tuple[date, date] | None
) -> list[Feature]:
    first, last = (days[0].isoformat(), days[1].isoformat()) if days else (None, None)
    grouped: dict[tuple[str, str], list[FlowRow]] = {}
    for row in flow_rows(conn, first_day=first, last_day=last):
        grouped.setdefault((row.day, row.post_id), []).append(row)
    out = []
    for (day, post_id), rows in grouped.items():
        if not corridor.has_post(post_id):
            continue  # a post since removed from the scenario has no point to stand at
        props = {**_flow_properties(day, post_id, rows), "label": corridor.post(post_id).label}
        start = _day_start(date.fromisoformat(day))
        window = (start, start + timedelta(days=1))
        point = Point(corridor.post(post_id).point)
        out.append(_feature(f"{day}_{post_id}", point, props, window))
    return out


def collection_features(
    conn: Connection, corridor: Corridor, collection_id: str, *, window: Window | None = None
) -> list[Feature]:
    """Every feature of ``collection_id`` (one of :data:`COLLECTIONS`), in a stable order.

    ``window`` only narrows what is read from the store (the daily flow's days); the caller
    still filters with :func:`select`.
    """
    builders: dict[str, Callable[[], list[Feature]]] = {
        "band": lambda: _route_features(corridor, band=True),
        "routes": lambda: _route_features(corridor, band=False),
        "posts": lambda: _post_features(corridor),
        "crew-zones": lambda: _crew_zone_features(conn),
        "daily-flow": lambda: _flow_features(conn, corridor, _days_of(window)),
    }
    return builders[collection_id]()


def _days_of(window: Window | None) -> tuple[date, date] | None:
    if window is None or window == (None, None):
        return None
    start, end = window
    first = start.astimezone(UTC).date() if start else date.min
    last = end.astimezone(UTC).date() if end else date.max
    return first, last


def _matches(feature: Window | None, asked: Window) -> bool:
    """Whether a feature's ``[start, end)`` meets the closed window ``[asked]`` (an instant is
    ``[t, t]``: then ``start <= t < end``)."""
    if feature is None:
        return True
    start, end = feature
    asked_start, asked_end = asked
    starts_in_time = asked_end is None or start is None or start <= asked_end
    ends_in_time = asked_start is None or end is None or asked_start < end
    return starts_in_time and ends_in_time


def select(
    features: Iterable[Feature], area: shapely.Geometry | None, window: Window | None
) -> list[Feature]:
    """The features whose geometry intersects ``area`` and whose time meets ``window`` (closed
    at both ends, as OGC API - Features reads ``datetime``); ``None``: no condition."""
    return [
        feature
        for feature in features
        if (area is None or shapely.intersects(area, feature.shape))
        and (window is None or _matches(feature.window, window))
    ]


def spatial_extent(corridor: Corridor, features: Sequence[Feature]) -> Bounds:
    """The bounds of ``features``, or of every band when there are none yet."""
    if features:
        shapes = [feature.shape for feature in features]
    else:
        geometry = geometry_for(corridor)
        shapes = [geometry.for_route(route).band_lonlat for route in corridor.routes]
    west, south, east, north = shapely.total_bounds(shapes)
    return (float(west), float(south), float(east), float(north))


def temporal_extent(corridor: Corridor, features: Sequence[Feature]) -> Window:
    """The span of ``features``' windows (an open end stays open); the mandate when none has
    a time."""
    windows = [feature.window for feature in features if feature.window is not None]
    if not windows:
        return (_day_start(corridor.mandate_start), _day_start(corridor.mandate_end))
    starts = [w[0] for w in windows]
    ends = [w[1] for w in windows]
    first = None if any(s is None for s in starts) else min(s for s in starts if s is not None)
    last = None if any(e is None for e in ends) else max(e for e in ends if e is not None)
    return (first, last)
