"""The lon/lat sieve in front of ``contains_many`` changes its speed, never its answer."""

from __future__ import annotations

from datetime import date

import numpy as np
import numpy.typing as npt
import pytest
import shapely

from corridor.errors import ValidationError
from corridor.geo import CorridorGeometry
from corridor.sim.scenario import default_scenario_path, load_scenario

DAYS = [date(2021, 6, 1), date(2023, 6, 1)]  # route versions 1 and 2


@pytest.fixture(scope="module")
def geo() -> CorridorGeometry:
    return CorridorGeometry(load_scenario(default_scenario_path()).corridor)


def exact(
    geo: CorridorGeometry, lon: npt.ArrayLike, lat: npt.ArrayLike, day: date
) -> npt.NDArray[np.bool_]:
    """The check without the sieve: project every point, test it against the metric band."""
    xs, ys = geo.projection.to_metres(lon, lat)
    return np.asarray(shapely.intersects_xy(geo.version_at(day).band_m, xs, ys), dtype=np.bool_)


def edge_points(
    geo: CorridorGeometry, day: date, count: int, spread_m: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Points scattered ``spread_m`` (standard deviation) about the band's edge, in lon/lat."""
    rng = np.random.default_rng(7)
    edge = shapely.get_coordinates(shapely.segmentize(geo.version_at(day).band_m.exterior, 5.0))
    i = rng.integers(0, len(edge) - 1, count)
    along = edge[i] + (edge[i + 1] - edge[i]) * rng.random(count)[:, None]
    xy = along + rng.normal(0.0, spread_m, (count, 2))
    return geo.projection.to_lonlat(xy[:, 0], xy[:, 1])


@pytest.mark.parametrize("day", DAYS)
def test_the_sieve_is_in_use_for_the_lachin_band(geo: CorridorGeometry, day: date) -> None:
    # Everything below checks the sieved path; it must be the one contains_many takes.
    assert geo._sieve(geo.version_at(day)) is not None


@pytest.mark.parametrize("day", DAYS)
@pytest.mark.parametrize("spread_m", [0.02, 0.5, 3.0])
def test_agrees_with_the_exact_check_at_the_edge(
    geo: CorridorGeometry, day: date, spread_m: float
) -> None:
    lon, lat = edge_points(geo, day, 50_000, spread_m)
    inside = geo.contains_many(lon, lat, day)
    assert np.array_equal(inside, exact(geo, lon, lat, day))
    assert 0.3 < inside.mean() < 0.7  # the points really straddle the edge


@pytest.mark.parametrize("day", DAYS)
def test_agrees_with_the_exact_check_across_the_region(geo: CorridorGeometry, day: date) -> None:
    rng = np.random.default_rng(3)
    lon, lat = rng.uniform(46.2, 47.0, 200_000), rng.uniform(39.3, 40.0, 200_000)
    inside = geo.contains_many(lon, lat, day)
    assert np.array_equal(inside, exact(geo, lon, lat, day))
    assert 10_000 < inside.sum() < 190_000


def test_keeps_the_shape_of_its_input(geo: CorridorGeometry) -> None:
    lon, lat = edge_points(geo, DAYS[0], 600, 50.0)
    grid = geo.contains_many(lon.reshape(20, 30), lat.reshape(20, 30), DAYS[0])
    assert grid.shape == (20, 30)
    assert np.array_equal(grid.ravel(), geo.contains_many(lon, lat, DAYS[0]))


def test_nan_and_infinite_positions_are_outside(geo: CorridorGeometry) -> None:
    lon = [np.nan, 46.55, np.inf, 46.55]
    lat = [39.64, np.nan, 39.64, 39.64]
    assert geo.contains_many(lon, lat, DAYS[0]).tolist() == [False, False, False, True]


def test_mismatched_arrays_are_refused(geo: CorridorGeometry) -> None:
    with pytest.raises(ValidationError, match="differ in shape"):
        geo.contains_many([46.5, 46.6], [39.6], DAYS[0])
