"""The corridor band: route centreline buffered by half the width, per route version.

All metric work happens in one local projection for the whole corridor (see
:mod:`corridor.geo.projection`), so chainages from different route versions are comparable in
scale. Geometry for a route version is built once and cached: the band polygon is prepared
(Shapely 2) because point-in-band is the hot path of the geofence monitor.

Flat caps: the band ends where the route ends. A vehicle queueing before the entry checkpoint is
not yet in the corridor, and a round cap would claim 2.5 km of ground beyond each end.

Projecting is most of the cost of a point-in-band check (pyproj's ellipsoidal azimuthal
equidistant is about 1 s per million points, the prepared polygon test a fifth of that), so
:meth:`CorridorGeometry.contains_many` first sieves in longitude and latitude: the band shrunk
and grown by :data:`_SIEVE_MARGIN_M`, unprojected, settles every point but those within about a
metre of the edge, and only those are projected and tested exactly. The answer is the exact one;
the sieve is used only when its own error, measured when it is built, is well inside the margin.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import LineString, Point, Polygon, mapping

from corridor.errors import ValidationError
from corridor.geo.projection import LocalProjection, projection_for
from corridor.model.corridor import Corridor, RouteVersion

_G = TypeVar("_G", bound=shapely.Geometry)

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]

#: Half-width of the strip along the band edge where :meth:`CorridorGeometry.contains_many`
#: projects points and tests them exactly; everything else is settled in lon/lat.
_SIEVE_MARGIN_M = 1.0
# Edges of the sieve polygons are cut to this length (metres) before unprojecting, so a straight
# chord in lon/lat stays within millimetres of the projected straight edge it stands for.
_SIEVE_SEGMENT_M = 100.0

# GeoJSON coordinates are rounded to 6 decimals (about 0.1 m): more is noise, and it keeps the
# layers small enough to serve as they are.
_GEOJSON_DECIMALS = 6


@dataclass(frozen=True, slots=True)
class RouteGeometry:
    """One route version's geometry, in local metres and in WGS84 (lon, lat)."""

    route: RouteVersion
    line_m: LineString
    band_m: Polygon
    line_lonlat: LineString
    band_lonlat: Polygon

    @property
    def length_m(self) -> float:
        return float(self.line_m.length)


@dataclass(frozen=True, slots=True)
class _Sieve:
    """The band shrunk (``inner``) and grown (``outer``) by the margin, in lon/lat, prepared."""

    inner: shapely.Geometry
    outer: shapely.Geometry


class CorridorGeometry:
    """Metric geometry of a :class:`Corridor`: band, chainage and distance, per route version."""

    def __init__(self, corridor: Corridor) -> None:
        self.corridor = corridor
        if corridor.width_m <= 0:
            raise ValidationError(
                "width_m", f"corridor width must be positive, not {corridor.width_m}"
            )
        points = [pt for route in corridor.routes for pt in route.line]
        self.projection: LocalProjection = projection_for(points)
        self._by_version: dict[int, RouteGeometry] = {}
        self._sieves: dict[int, tuple[RouteGeometry, _Sieve | None]] = {}

    # -- route versions -------------------------------------------------------------------------

    def version_at(self, at: datetime | date) -> RouteGeometry:
        """Geometry of the route version in force at ``at`` (built on first use, then cached)."""
        return self.for_route(self.corridor.route_at(at))

    def for_route(self, route: RouteVersion) -> RouteGeometry:
        """Geometry of one route version (built on first use, then cached)."""
        cached = self._by_version.get(route.version)
        if cached is not None and cached.route == route:
            return cached
        built = self._build(route)
        self._by_version[route.version] = built
        return built

    def _build(self, route: RouteVersion) -> RouteGeometry:
        if len(route.line) < 2:
            raise ValidationError(
                f"routes[{route.version}].line", "a route needs at least two points"
            )
        line_m = LineString(self.projection.line_to_metres(route.line))
        if line_m.length <= 0:
            raise ValidationError(f"routes[{route.version}].line", "the route has zero length")
        band_m = line_m.buffer(self.corridor.width_m / 2.0, cap_style="flat", join_style="round")
        if not isinstance(band_m, Polygon):
            # A route that doubles back within the width can only ever yield one polygon, but
            # Shapely's type says MultiPolygon is possible; refuse rather than guess.
            raise ValidationError(
                f"routes[{route.version}].line", "the band of this route is not one polygon"
            )
        shapely.prepare(band_m)
        return RouteGeometry(
            route=route,
            line_m=line_m,
            band_m=band_m,
            line_lonlat=self._to_lonlat(line_m),
            band_lonlat=self._to_lonlat(band_m),
        )

    def _to_lonlat(self, geom: _G) -> _G:
        def unproject(coords: FloatArray) -> FloatArray:
            lon, lat = self.projection.to_lonlat(coords[:, 0], coords[:, 1])
            stacked = np.column_stack([lon, lat])
            return np.asarray(np.round(stacked, _GEOJSON_DECIMALS), dtype=np.float64)

        result: _G = shapely.transform(geom, unproject)
        return result

    def _sieve(self, geom: RouteGeometry) -> _Sieve | None:
        """The lon/lat sieve of one route version, or None where it would not be exact."""
        cached = self._sieves.get(geom.route.version)
        if cached is not None and cached[0] is geom:
            return cached[1]
        inner = self._sieve_polygon(geom.band_m.buffer(-_SIEVE_MARGIN_M))
        outer = self._sieve_polygon(geom.band_m.buffer(_SIEVE_MARGIN_M))
        sieve = _Sieve(inner, outer) if inner is not None and outer is not None else None
        self._sieves[geom.route.version] = (geom, sieve)
        return sieve

    def _sieve_polygon(self, band_m: shapely.Geometry) -> shapely.Geometry | None:
        dense = shapely.segmentize(band_m, _SIEVE_SEGMENT_M)
        rings = shapely.get_rings(shapely.get_parts(dense))
        worst = max((self._chord_error_m(ring) for ring in rings), default=0.0)
        lonlat = shapely.transform(
            dense, lambda c: np.column_stack(self.projection.to_lonlat(c[:, 0], c[:, 1]))
        )
        west, _, east, _ = lonlat.bounds if not lonlat.is_empty else (0.0, 0.0, 0.0, 0.0)
        # Refuse the sieve rather than risk a wrong answer: a chord that strays too far from its
        # edge, a band across the antimeridian, or a ring that unprojects into a knot.
        if worst > _SIEVE_MARGIN_M / 4 or east - west >= 180.0 or not lonlat.is_valid:
            return None
        shapely.prepare(lonlat)
        return lonlat

    def _chord_error_m(self, ring: shapely.Geometry) -> float:
        """Largest distance (m) between a metric edge's midpoint and its lon/lat chord's."""
        coords = shapely.get_coordinates(ring)
        lon, lat = self.projection.to_lonlat(coords[:, 0], coords[:, 1])
        xs, ys = self.projection.to_metres((lon[:-1] + lon[1:]) / 2, (lat[:-1] + lat[1:]) / 2)
        mid = (coords[:-1] + coords[1:]) / 2
        return float(np.hypot(xs - mid[:, 0], ys - mid[:, 1]).max(initial=0.0))

    # -- queries --------------------------------------------------------------------------------

    def contains(self, lon: float, lat: float, at: datetime | date) -> bool:
        """Whether (lon, lat) lies in the band in force at ``at`` (the boundary counts as in)."""
        return bool(self.contains_many([lon], [lat], at)[0])

    def contains_many(
        self, lons: npt.ArrayLike, lats: npt.ArrayLike, at: datetime | date
    ) -> BoolArray:
        """Vectorised :meth:`contains`: one bool per point, as a numpy array."""
        geom = self.version_at(at)
        lon = np.atleast_1d(np.asarray(lons, dtype=np.float64))
        lat = np.atleast_1d(np.asarray(lats, dtype=np.float64))
        if lon.shape != lat.shape:
            raise ValidationError(
                "coordinates", f"coordinate arrays differ in shape: {lon.shape} vs {lat.shape}"
            )
        sieve = self._sieve(geom)
        if sieve is None:
            return self._contains_exact(geom, lon, lat)
        lon, lat, shape = lon.ravel(), lat.ravel(), lon.shape
        inside = np.asarray(shapely.intersects_xy(sieve.inner, lon, lat), dtype=np.bool_)
        # Of the rest, only points near the edge (inside the grown band) need the exact test.
        rest = np.flatnonzero(~inside)
        near = rest[shapely.intersects_xy(sieve.outer, lon[rest], lat[rest])]
        inside[near] = self._contains_exact(geom, lon[near], lat[near])
        return inside.reshape(shape)

    def _contains_exact(self, geom: RouteGeometry, lon: FloatArray, lat: FloatArray) -> BoolArray:
        xs, ys = self.projection.to_metres(lon, lat)
        # intersects, not contains: a point exactly on the edge is still in the corridor.
        return np.asarray(shapely.intersects_xy(geom.band_m, xs, ys), dtype=np.bool_)

    def chainage_m(self, lon: float, lat: float, at: datetime | date) -> float:
        """Distance along the route in force at ``at`` of the route point nearest (lon, lat)."""
        return float(self.chainage_many([lon], [lat], at)[0])

    def chainage_many(
        self, lons: npt.ArrayLike, lats: npt.ArrayLike, at: datetime | date
    ) -> FloatArray:
        """Vectorised :meth:`chainage_m`."""
        geom = self.version_at(at)
        xs, ys = self.projection.to_metres(lons, lats)
        return np.asarray(shapely.line_locate_point(geom.line_m, shapely.points(xs, ys)))

    def distance_from_route_m(self, lon: float, lat: float, at: datetime | date) -> float:
        """Shortest distance in metres from (lon, lat) to the route in force at ``at``."""
        return float(self.distance_many([lon], [lat], at)[0])

    def distance_many(
        self, lons: npt.ArrayLike, lats: npt.ArrayLike, at: datetime | date
    ) -> FloatArray:
        """Vectorised :meth:`distance_from_route_m`."""
        geom = self.version_at(at)
        xs, ys = self.projection.to_metres(lons, lats)
        return np.asarray(shapely.distance(geom.line_m, shapely.points(xs, ys)))

    def route_length_m(self, at: datetime | date) -> float:
        """Length in metres of the route in force at ``at``."""
        return self.version_at(at).length_m

    def point_at_chainage(self, chainage_m: float, at: datetime | date) -> tuple[float, float]:
        """The (lon, lat) of the route point ``chainage_m`` metres from the start."""
        geom = self.version_at(at)
        pt = geom.line_m.interpolate(chainage_m)
        assert isinstance(pt, Point)
        return self.projection.to_lonlat_point(pt.x, pt.y)

    # -- GeoJSON --------------------------------------------------------------------------------

    def to_geojson(self, at: datetime | date) -> dict[str, Any]:
        """A GeoJSON FeatureCollection (RFC 7946) of the band, the route and the posts at ``at``.

        Each feature's ``layer`` property says which of the three it is, so one file opens in
        QGIS as it is and a client can split it by layer.
        """
        geom = self.version_at(at)
        route = geom.route
        corridor = self.corridor
        common = {
            "corridor": corridor.id,
            "corridor_label": corridor.label,
            "route_version": route.version,
            "effective_from": route.effective_from.isoformat(),
            "effective_to": route.effective_to.isoformat() if route.effective_to else None,
        }
        features: list[dict[str, Any]] = [
            _feature(geom.band_lonlat, {"layer": "band", **common, "width_m": corridor.width_m}),
            _feature(
                geom.line_lonlat,
                {
                    "layer": "route",
                    **common,
                    "length_m": round(geom.length_m, 1),
                    "description": route.description,
                },
            ),
        ]
        if corridor.posts:
            lons = [p.point[0] for p in corridor.posts]
            lats = [p.point[1] for p in corridor.posts]
            chainages = self.chainage_many(lons, lats, at)
            inside = self.contains_many(lons, lats, at)
            for post, chainage, is_in in zip(corridor.posts, chainages, inside, strict=True):
                props = {
                    "layer": "post",
                    "corridor": corridor.id,
                    "id": post.id,
                    "names": list(post.names),
                    "label": post.label,
                    "kind": post.kind.value,
                    "chainage_m": round(float(chainage), 1),
                    "in_band": bool(is_in),
                    "route_version": route.version,
                }
                features.append(_feature(Point(post.point), props))
        return {"type": "FeatureCollection", "features": features}


def _feature(geom: shapely.Geometry, properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "geometry": _plain(mapping(geom)), "properties": properties}


def _plain(value: Any) -> Any:
    # shapely's mapping() yields nested tuples; JSON encoders cope, but tests and clients compare
    # against lists, so give them lists.
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


@lru_cache(maxsize=8)
def geometry_for(corridor: Corridor) -> CorridorGeometry:
    """The shared, cached :class:`CorridorGeometry` of ``corridor``."""
    return CorridorGeometry(corridor)


def chainage(corridor: Corridor, lon: float, lat: float, at: datetime | date) -> float:
    """Distance along ``corridor``'s route in force at ``at`` of the point nearest (lon, lat)."""
    return geometry_for(corridor).chainage_m(lon, lat, at)
