"""Small builders for the monitor tests: corridors, passages, fixes and points off the route."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime

import numpy as np
import shapely

from corridor.geo import CorridorGeometry
from corridor.model.corridor import Corridor, Place, Post, PostKind, RouteVersion
from corridor.model.vocabulary import Direction, PassageKind, VehicleClass
from corridor.monitor import PassageObservation, PositionFix, SubjectKind

T0 = datetime(2021, 1, 10, 6, 0, tzinfo=UTC)
_ids = itertools.count(1)


def straight_corridor() -> Corridor:
    """A 40 km route due north along 46.5 E: three checkpoints and one observation post."""
    line = ((46.5, 39.5), (46.5, 39.68), (46.5, 39.86))
    return Corridor(
        id="test",
        names=("Test corridor",),
        width_m=5000,
        endpoints=(Place(("South",), line[0]), Place(("North",), line[-1])),
        mandate_start=date(2020, 12, 1),
        mandate_end=date(2023, 12, 1),
        routes=(RouteVersion(1, date(2020, 12, 1), None, line),),
        posts=(
            Post("P01", ("South gate",), (46.5, 39.51), PostKind.CHECKPOINT),
            Post("P02", ("Watch",), (46.5, 39.60), PostKind.OBSERVATION),
            Post("P03", ("Middle",), (46.5, 39.68), PostKind.CHECKPOINT),
            Post("P04", ("North gate",), (46.5, 39.85), PostKind.CHECKPOINT),
        ),
    )


def passage(
    post: str,
    at: datetime,
    *,
    kind: PassageKind = PassageKind.PASSED,
    direction: Direction = Direction.INBOUND,
    vehicle_class: VehicleClass = VehicleClass.TRUCK,
    vehicle: str = "veh-1",
    registered: bool = True,
    convoy: str | None = None,
    event_id: str | None = None,
) -> PassageObservation:
    return PassageObservation(
        event_id=event_id or f"ev-{next(_ids)}",
        post_id=post,
        observed_at=at,
        kind=kind,
        direction=direction,
        vehicle_class=vehicle_class,
        vehicle=vehicle,
        registered=registered,
        convoy=convoy,
    )


def fix(
    lonlat: tuple[float, float],
    at: datetime,
    *,
    subject: str | None = "veh-1",
    device: str = "dev-1",
    kind: SubjectKind = SubjectKind.VEHICLE,
    fix_id: str | None = None,
) -> PositionFix:
    return PositionFix(
        id=fix_id or f"fix-{next(_ids)}",
        device_id=device,
        subject_id=subject,
        lon=lonlat[0],
        lat=lonlat[1],
        at=at,
        subject_kind=kind,
    )


def off_route(
    geometry: CorridorGeometry, chainage_m: float, offset_m: float, at: datetime | date
) -> tuple[float, float]:
    """The (lon, lat) ``offset_m`` to the right of the route at ``chainage_m`` (left if < 0)."""
    lons, lats = off_route_many(geometry, np.array([chainage_m]), np.array([offset_m]), at)
    return float(lons[0]), float(lats[0])


def off_route_many(
    geometry: CorridorGeometry,
    chainages: np.ndarray,
    offsets: np.ndarray,
    at: datetime | date,
) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised :func:`off_route`: points at perpendicular offsets from the route."""
    line = geometry.version_at(at).line_m
    here = shapely.line_interpolate_point(line, chainages)
    ahead = shapely.line_interpolate_point(line, np.minimum(chainages + 5.0, line.length))
    behind = shapely.line_interpolate_point(line, np.maximum(chainages - 5.0, 0.0))
    dx = shapely.get_x(ahead) - shapely.get_x(behind)
    dy = shapely.get_y(ahead) - shapely.get_y(behind)
    norm = np.hypot(dx, dy)
    xs = shapely.get_x(here) + offsets * dy / norm
    ys = shapely.get_y(here) - offsets * dx / norm
    return geometry.projection.to_lonlat(xs, ys)
