"""A repair crew's zone as drawn: one GeoJSON Polygon, checked before HQ stores it.

A zone comes from a coordinator's map or a GIS file, so it is checked the way such files go
wrong: the wrong wrapper (two features, a MultiPolygon), an open ring, coordinates out of range
or in (lat, lon) order, a ring that crosses itself, a zone the size of a country or of a car, or
a zone nowhere near the road. Each problem raises :class:`ValidationError` naming where it is
(``geojson.coordinates[0][3]``), so the file can be fixed rather than guessed at.

Pure geometry over :class:`corridor.geo.band.CorridorGeometry`: no store, no I/O.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import shapely
from shapely.geometry import Polygon

from corridor.errors import ValidationError
from corridor.geo.band import CorridorGeometry, geometry_for
from corridor.model.corridor import Corridor, LonLat, RouteVersion

FIELD = "geojson"
#: Smaller than this is a point typed as a polygon (a crew works on at least a road section).
MIN_AREA_M2 = 100.0
#: Larger than this is a mistake: the whole Lachin band (63 km x 5 km) is about 315 km².
MAX_AREA_M2 = 100_000_000.0


@dataclass(frozen=True, slots=True)
class ZoneShape:
    """A checked zone: its ring (lon, lat, closed), the polygon in lon/lat and its area."""

    ring: tuple[LonLat, ...]
    polygon: Polygon
    area_m2: float
    name: str | None

    def to_geojson(self) -> dict[str, Any]:
        """The GeoJSON Polygon HQ stores (two coordinates a position, ring closed)."""
        return {"type": "Polygon", "coordinates": [[list(p) for p in self.ring]]}


def zone_shape(
    geojson: object, corridor: Corridor, active_from: datetime, active_to: datetime
) -> ZoneShape:
    """Check a zone (GeoJSON text or parsed object) for use from ``active_from`` to
    ``active_to``; it must meet the corridor band of every route version in force then."""
    geometry, name = _unwrap(_parsed(geojson))
    ring = _ring(geometry.get("coordinates"))
    polygon = Polygon(ring)
    if polygon.is_empty:
        raise ValidationError(FIELD, "the polygon is empty")
    if polygon.area == 0:
        raise ValidationError(FIELD, "the polygon is empty: its corners lie on one line")
    if not polygon.is_valid:
        raise ValidationError(
            FIELD, f"not a valid polygon: {shapely.is_valid_reason(polygon)} (lon lat)"
        )
    corridor_geometry = geometry_for(corridor)
    for route in routes_in_window(corridor, active_from, active_to):
        _meets_band(corridor_geometry, route, ring)
    area = _area_m2(corridor_geometry, ring)
    if not MIN_AREA_M2 <= area <= MAX_AREA_M2:
        raise ValidationError(
            FIELD,
            f"the zone covers {area / 1e6:.6g} km²; a crew's zone is between "
            f"{MIN_AREA_M2:g} m² and {MAX_AREA_M2 / 1e6:g} km²",
        )
    return ZoneShape(ring, polygon, area, name)


def routes_in_window(
    corridor: Corridor, active_from: datetime, active_to: datetime
) -> list[RouteVersion]:
    """Every route version in force at some moment from ``active_from`` until ``active_to``."""
    first = corridor.route_at(active_from)
    last = corridor.route_at(active_to - timedelta(seconds=1))
    found = {first.version: first, last.version: last}
    last_day = (active_to - timedelta(seconds=1)).date()
    for route in corridor.routes:
        if active_from.date() < route.effective_from <= last_day:
            found[route.version] = route
    return [found[v] for v in sorted(found)]


def _parsed(geojson: object) -> Any:
    if not isinstance(geojson, str | bytes):
        return geojson
    try:
        return json.loads(geojson)
    except json.JSONDecodeError as exc:
        raise ValidationError(
            FIELD, f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from exc


def _unwrap(value: Any) -> tuple[dict[str, Any], str | None]:
    """The one Polygon in a Polygon, Feature or FeatureCollection, and a name if it has one."""
    if not isinstance(value, dict):
        raise ValidationError(FIELD, f"expected a GeoJSON object, got {type(value).__name__}")
    kind = value.get("type")
    name: str | None = None
    if kind == "FeatureCollection":
        features = value.get("features")
        if not isinstance(features, list) or len(features) != 1:
            count = len(features) if isinstance(features, list) else "no"
            raise ValidationError(
                f"{FIELD}.features",
                f"the collection holds {count} features; a zone is exactly one Polygon",
            )
        value = features[0]
        if not isinstance(value, dict):
            raise ValidationError(f"{FIELD}.features[0]", "expected a GeoJSON Feature")
        kind = value.get("type")
    if kind == "Feature":
        properties = value.get("properties")
        if isinstance(properties, dict) and isinstance(properties.get("name"), str):
            name = properties["name"]
        value = value.get("geometry")
        if not isinstance(value, dict):
            raise ValidationError(f"{FIELD}.geometry", "the feature has no geometry")
        kind = value.get("type")
    if kind != "Polygon":
        raise ValidationError(
            f"{FIELD}.type", f"a zone is one Polygon, not {kind!r} (split it into several zones)"
        )
    return value, name


def _ring(coordinates: Any) -> tuple[LonLat, ...]:
    where = f"{FIELD}.coordinates"
    if not isinstance(coordinates, list) or not coordinates:
        raise ValidationError(where, "expected a list of rings, the outer ring first")
    if len(coordinates) > 1:
        raise ValidationError(
            where, f"the polygon has {len(coordinates) - 1} hole(s); a zone is one ring"
        )
    raw = coordinates[0]
    if not isinstance(raw, list):
        raise ValidationError(f"{where}[0]", "expected a ring: a list of [lon, lat] positions")
    ring = tuple(_position(p, f"{where}[0][{i}]") for i, p in enumerate(raw))
    if len(ring) < 4:
        raise ValidationError(
            f"{where}[0]",
            f"a ring needs at least 4 positions (3 corners and the first again), got {len(ring)}",
        )
    if ring[0] != ring[-1]:
        raise ValidationError(
            f"{where}[0]",
            "the ring is not closed: its last position must repeat the first (RFC 7946)",
        )
    return ring


def _position(value: Any, where: str) -> LonLat:
    if (
        not isinstance(value, list)
        or len(value) not in (2, 3)
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    ):
        raise ValidationError(where, f"expected [longitude, latitude], got {value!r}")
    lon, lat = float(value[0]), float(value[1])
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise ValidationError(where, "coordinates must be finite numbers")
    if not -180 <= lon <= 180 or not -90 <= lat <= 90:
        hint = " (is it [latitude, longitude]? GeoJSON is [lon, lat])" if abs(lon) > 90 else ""
        raise ValidationError(
            where, f"[{lon}, {lat}] is out of range: longitude -180..180, latitude -90..90{hint}"
        )
    return (lon, lat)


def _metres(geometry: CorridorGeometry, ring: tuple[LonLat, ...]) -> Polygon:
    xs, ys = geometry.projection.to_metres([p[0] for p in ring], [p[1] for p in ring])
    return Polygon(list(zip(xs.tolist(), ys.tolist(), strict=True)))


def _area_m2(geometry: CorridorGeometry, ring: tuple[LonLat, ...]) -> float:
    return float(_metres(geometry, ring).area)


def _meets_band(geometry: CorridorGeometry, route: RouteVersion, ring: tuple[LonLat, ...]) -> None:
    band = geometry.for_route(route).band_m
    zone = _metres(geometry, ring)
    if band.intersects(zone):
        return
    if band.intersects(_metres(geometry, tuple((lat, lon) for lon, lat in ring))):
        raise ValidationError(
            FIELD,
            "the zone is off the corridor but would meet it with each position's numbers "
            "swapped: GeoJSON positions are [longitude, latitude], not [latitude, longitude]",
        )
    until = route.effective_to.isoformat() if route.effective_to else "on"
    raise ValidationError(
        FIELD,
        f"the zone does not meet the corridor band of route version {route.version} (in force "
        f"{route.effective_from.isoformat()} to {until}): it is "
        f"{band.distance(zone) / 1000:.1f} km from it",
    )
