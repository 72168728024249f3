"""Where a simulated trip goes: the road between its checkpoints, and any detour an incident adds.

A trip's tracker stands at its entry checkpoint while the post deals with it, drives the route in
force to its exit checkpoint at one steady speed (so it is at each post exactly when the post
records it), and stands there a moment. A :class:`Detour` is the one thing that makes a trip
unusual: it crawls (overdue), stops on the road (long stop) or drives off the road and back
(leaves the band). Everything is in the corridor's local metres; no randomness here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

import numpy as np
import shapely
from shapely.geometry import LineString, Point

from corridor.geo.band import CorridorGeometry
from corridor.sim.hours import DWELL_AT_POST
from corridor.sim.tracking import Path, PathBuilder

#: How long a vehicle that left the band waits off the road before it comes back: long enough
#: for many fixes outside, far shorter than any long stop.
EXCURSION_HOLD = timedelta(minutes=10)

XY = tuple[float, float]


class DetourKind(StrEnum):
    SLOW = "slow"
    STOP = "stop"
    EXCURSION = "excursion"


@dataclass(frozen=True, slots=True)
class Detour:
    """What an incident does to a trip, from chainage ``from_m`` of the route in force.

    ``slow``: crawl to ``until_m`` taking ``extra`` longer; ``stop``: stand for ``extra``;
    ``excursion``: drive ``offset_m`` off the road on ``side`` (+1 left, -1 right of the
    direction of chainage), wait :data:`EXCURSION_HOLD`, drive back. A negative ``from_m`` is
    the trip's entry, and no ``until_m`` its exit.
    """

    kind: DetourKind
    from_m: float
    extra: timedelta
    until_m: float | None = None
    offset_m: float = 0.0
    side: int = 1


class RouteTrack:
    """The route in force on a day as metres: points, vertices and normals by chainage."""

    def __init__(self, geometry: CorridorGeometry) -> None:
        self.geometry = geometry
        self._cache: dict[int, tuple[LineString, list[float], list[XY]]] = {}

    def _line(self, day: date) -> tuple[LineString, list[float], list[XY]]:
        route = self.geometry.version_at(day)
        cached = self._cache.get(route.route.version)
        if cached is None:
            line = route.line_m
            coords = [(float(x), float(y)) for x, y in line.coords]
            along = np.asarray(shapely.line_locate_point(line, shapely.points(coords))).tolist()
            cached = self._cache[route.route.version] = (line, along, coords)
        return cached

    def line(self, day: date) -> LineString:
        return self._line(day)[0]

    def point(self, day: date, chainage_m: float) -> XY:
        pt = self._line(day)[0].interpolate(chainage_m)
        assert isinstance(pt, Point)
        return float(pt.x), float(pt.y)

    def normal(self, day: date, chainage_m: float) -> XY:
        """The unit vector to the left of the direction of increasing chainage."""
        (x0, y0), (x1, y1) = self.point(day, chainage_m - 5), self.point(day, chainage_m + 5)
        length = math.hypot(x1 - x0, y1 - y0) or 1.0
        return -(y1 - y0) / length, (x1 - x0) / length

    def between(self, day: date, a: float, b: float) -> list[XY]:
        """The route's vertices strictly between chainages ``a`` and ``b`` (in travel order),
        then the point at ``b``."""
        _, along, coords = self._line(day)
        low, high = min(a, b), max(a, b)
        inner = [(c, xy) for c, xy in zip(along, coords, strict=True) if low < c < high]
        inner.sort(key=lambda item: item[0], reverse=b < a)
        return [xy for _, xy in inner] + [self.point(day, b)]

    def chainage(self, day: date, xy: XY) -> float:
        return float(self._line(day)[0].project(Point(*xy)))

    def to_metres(self, lon: float, lat: float) -> XY:
        x, y = self.geometry.projection.point_to_metres(lon, lat)
        return float(x), float(y)


def trip_path(
    track: RouteTrack,
    device_id: str,
    *,
    entry: XY,
    exit_: XY,
    first_seen: datetime,
    passed: datetime,
    arrived: datetime,
    detour: Detour | None = None,
) -> Path:
    """A trip's path: at ``entry`` from before ``first_seen`` until ``passed``, on the road, at
    ``exit_`` from ``arrived`` for a moment. Driving speed makes the ends meet exactly."""
    day = passed.date()
    a, b = track.chainage(day, entry), track.chainage(day, exit_)
    extra = detour.extra.total_seconds() if detour else 0.0
    drive = (arrived - passed).total_seconds() - extra
    speed = abs(b - a) / max(drive, 1.0)
    path = PathBuilder((first_seen - DWELL_AT_POST).timestamp(), *entry)
    path.stand(passed.timestamp() - path.now)
    path.follow([track.point(day, a)], 0.0)
    if detour is not None:
        if detour.from_m < 0:  # from the entry itself
            detour = Detour(detour.kind, a, detour.extra, detour.until_m, detour.offset_m)
        path.follow(track.between(day, a, detour.from_m), abs(detour.from_m - a) / speed)
        a = _detour(track, path, day, detour, speed, toward=b)
    path.follow(track.between(day, a, b), abs(b - a) / speed)
    path.knot(arrived.timestamp(), *exit_)
    path.stand(DWELL_AT_POST.total_seconds())
    return path.build(device_id)


def _detour(
    track: RouteTrack, path: PathBuilder, day: date, detour: Detour, speed: float, toward: float
) -> float:
    """Append the detour's knots; the chainage the trip carries on from."""
    here = detour.from_m
    extra = detour.extra.total_seconds()
    if detour.kind is DetourKind.STOP:
        path.stand(extra)
    elif detour.kind is DetourKind.SLOW:
        until = detour.until_m if detour.until_m is not None else toward
        path.follow(track.between(day, here, until), abs(until - here) / speed + extra)
        return until
    else:
        x, y = track.point(day, here)
        nx, ny = track.normal(day, here)
        out = (x + nx * detour.side * detour.offset_m, y + ny * detour.side * detour.offset_m)
        path.go(*out, speed)
        path.stand(EXCURSION_HOLD.total_seconds())
        path.go(x, y, speed)
    return here


def excursion_extra(offset_m: float, speed_mps: float) -> timedelta:
    """The time a drive ``offset_m`` off the road and back adds to a trip."""
    return timedelta(seconds=round(2 * offset_m / speed_mps)) + EXCURSION_HOLD
