"""The band on a synthetic straight route, where every answer is known exactly."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pytest
import shapely
from shapely.geometry import LineString

from corridor.errors import ValidationError
from corridor.geo import CorridorGeometry, chainage
from corridor.model.corridor import Corridor, Place, Post, PostKind, RouteVersion

DAY = date(2021, 1, 1)


def straight_corridor(width_m: float = 5000.0) -> Corridor:
    """A 40 km route due north along 46.5 E, built in the local projection so it is straight."""
    line = ((46.5, 39.5), (46.5, 39.68), (46.5, 39.86))
    return Corridor(
        id="test",
        names=("Test corridor",),
        width_m=width_m,
        endpoints=(Place(("South",), line[0]), Place(("North",), line[-1])),
        mandate_start=date(2020, 12, 1),
        mandate_end=date(2023, 12, 1),
        routes=(RouteVersion(1, date(2020, 12, 1), None, line),),
        posts=(
            Post("P01", ("South gate",), (46.5, 39.51), PostKind.CHECKPOINT),
            Post("P02", ("North gate",), (46.5, 39.85), PostKind.CHECKPOINT),
        ),
    )


def test_band_is_five_km_wide_perpendicular_to_the_route() -> None:
    geom = CorridorGeometry(straight_corridor()).version_at(DAY)
    line = geom.line_m
    for fraction in (0.1, 0.3, 0.5, 0.7, 0.9):
        centre = line.interpolate(fraction, normalized=True)
        ahead = line.interpolate(fraction * line.length + 10.0)
        dx, dy = ahead.x - centre.x, ahead.y - centre.y
        nx, ny = -dy / np.hypot(dx, dy), dx / np.hypot(dx, dy)
        chord = LineString(
            [
                (centre.x - 10_000 * nx, centre.y - 10_000 * ny),
                (centre.x + 10_000 * nx, centre.y + 10_000 * ny),
            ]
        )
        width = shapely.intersection(chord, geom.band_m).length
        assert width == pytest.approx(5000.0, rel=0.01)


def test_points_two_km_off_are_in_and_three_km_off_are_out() -> None:
    geo = CorridorGeometry(straight_corridor())
    proj = geo.projection
    x, y = proj.point_to_metres(46.5, 39.68)
    for offset, expected in (
        (0.0, True),
        (2000.0, True),
        (-2000.0, True),
        (3000.0, False),
        (-3000.0, False),
        (2499.0, True),
        (2501.0, False),
    ):
        lon, lat = proj.to_lonlat_point(x + offset, y)
        assert geo.contains(lon, lat, DAY) is expected, offset
        assert geo.distance_from_route_m(lon, lat, DAY) == pytest.approx(abs(offset), abs=0.5)


def test_flat_caps_end_the_band_at_the_route_ends() -> None:
    geo = CorridorGeometry(straight_corridor())
    x, y = geo.projection.point_to_metres(46.5, 39.5)
    lon, lat = geo.projection.to_lonlat_point(x, y - 100.0)
    assert not geo.contains(lon, lat, DAY)
    lon, lat = geo.projection.to_lonlat_point(x, y + 100.0)
    assert geo.contains(lon, lat, DAY)


def test_contains_many_is_vectorised_and_matches_contains() -> None:
    geo = CorridorGeometry(straight_corridor())
    rng = np.random.default_rng(7)
    lons = rng.uniform(46.4, 46.6, 500)
    lats = rng.uniform(39.45, 39.9, 500)
    many = geo.contains_many(lons, lats, DAY)
    assert many.dtype == np.bool_ and many.shape == (500,)
    assert 0 < many.sum() < 500
    for lon, lat, flag in zip(lons[:50], lats[:50], many[:50], strict=True):
        assert geo.contains(float(lon), float(lat), DAY) is bool(flag)


def test_chainage_runs_from_zero_to_the_route_length() -> None:
    corridor = straight_corridor()
    geo = CorridorGeometry(corridor)
    length = geo.route_length_m(DAY)
    assert length == pytest.approx(40_000, rel=0.01)
    assert geo.chainage_m(46.5, 39.5, DAY) == pytest.approx(0.0, abs=1e-6)
    assert geo.chainage_m(46.5, 39.86, DAY) == pytest.approx(length)
    # a point off to the side projects onto the route
    assert geo.chainage_m(46.51, 39.68, DAY) == pytest.approx(length / 2, rel=0.01)
    assert chainage(corridor, 46.5, 39.68, datetime(2021, 1, 1, tzinfo=UTC)) == pytest.approx(
        length / 2, rel=0.01
    )


def test_point_at_chainage_inverts_chainage() -> None:
    geo = CorridorGeometry(straight_corridor())
    lon, lat = geo.point_at_chainage(12_345.0, DAY)
    assert geo.chainage_m(lon, lat, DAY) == pytest.approx(12_345.0, abs=0.01)


def test_geometry_is_cached_per_route_version() -> None:
    geo = CorridorGeometry(straight_corridor())
    assert geo.version_at(DAY) is geo.version_at(date(2023, 1, 1))


def test_bad_geometry_is_refused() -> None:
    with pytest.raises(ValidationError, match="width"):
        CorridorGeometry(straight_corridor(width_m=0))
    corridor = straight_corridor()
    one_point = RouteVersion(1, date(2020, 12, 1), None, ((46.5, 39.5),))
    geo = CorridorGeometry(corridor)
    with pytest.raises(ValidationError, match="two points"):
        geo.for_route(one_point)
