"""The local metric projection: round trips and true distances."""

from __future__ import annotations

import numpy as np
import pytest

from corridor.errors import ValidationError
from corridor.geo.projection import LocalProjection, projection_for


def test_round_trip_is_lossless_to_a_millimetre() -> None:
    proj = LocalProjection(46.57, 39.64)
    lons = np.array([46.404, 46.546, 46.752])
    lats = np.array([39.462, 39.639, 39.815])
    xs, ys = proj.to_metres(lons, lats)
    back_lon, back_lat = proj.to_lonlat(xs, ys)
    assert np.allclose(back_lon, lons, atol=1e-8)
    assert np.allclose(back_lat, lats, atol=1e-8)


def test_centre_projects_to_origin() -> None:
    proj = LocalProjection(46.57, 39.64)
    assert proj.point_to_metres(46.57, 39.64) == pytest.approx((0.0, 0.0), abs=1e-6)


def test_distances_are_metres_not_degrees() -> None:
    proj = LocalProjection(46.57, 39.64)
    # 0.01 degree of latitude is about 1,110 m anywhere; 0.01 degree of longitude at 39.64 N is
    # about 857 m: a degree-based band would be wrong by a quarter on one axis.
    x0, y0 = proj.point_to_metres(46.57, 39.64)
    x1, y1 = proj.point_to_metres(46.58, 39.64)
    x2, y2 = proj.point_to_metres(46.57, 39.65)
    assert np.hypot(x1 - x0, y1 - y0) == pytest.approx(857.5, rel=0.005)
    assert np.hypot(x2 - x0, y2 - y0) == pytest.approx(1110.5, rel=0.005)


def test_line_helpers_round_trip() -> None:
    proj = projection_for([(46.4, 39.4), (46.8, 39.8)])
    assert (proj.centre_lon, proj.centre_lat) == pytest.approx((46.6, 39.6))
    line = [(46.45, 39.5), (46.55, 39.6)]
    back = proj.line_to_lonlat(proj.line_to_metres(line))
    assert np.allclose(back, line, atol=1e-8)
    assert proj.line_to_metres([]) == []


def test_mismatched_arrays_are_refused() -> None:
    with pytest.raises(ValidationError, match="differ in shape"):
        LocalProjection(46.57, 39.64).to_metres([1.0, 2.0], [3.0])


def test_projection_needs_points() -> None:
    with pytest.raises(ValidationError, match="at least one"):
        projection_for([])
