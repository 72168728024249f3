"""The band of the built-in Lachin scenario: width, in/out, chainage, the route switch, GeoJSON."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, Point

from corridor.geo import CorridorGeometry
from corridor.model.corridor import Corridor, PostKind
from corridor.sim.scenario import default_scenario_path, load_scenario

BEFORE_SWITCH = date(2022, 8, 31)
SWITCH = date(2022, 9, 1)  # the illustrative effective date of route version 2
AFTER_SWITCH = date(2023, 6, 1)
LACHIN_CITY = (46.546, 39.639)  # Lachin / Berdzor


@pytest.fixture(scope="module")
def corridor() -> Corridor:
    return load_scenario(default_scenario_path()).corridor


@pytest.fixture(scope="module")
def geo(corridor: Corridor) -> CorridorGeometry:
    return CorridorGeometry(corridor)


def _normals(line: LineString) -> list[tuple[Point, float, float]]:
    """Each segment's midpoint with the unit normal to that segment."""
    coords = np.asarray(line.coords)
    out = []
    for (x0, y0), (x1, y1) in zip(coords[:-1], coords[1:], strict=True):
        length = np.hypot(x1 - x0, y1 - y0)
        out.append((Point((x0 + x1) / 2, (y0 + y1) / 2), -(y1 - y0) / length, (x1 - x0) / length))
    return out


@pytest.mark.parametrize("day", [BEFORE_SWITCH, AFTER_SWITCH])
def test_band_is_five_km_wide_perpendicular_to_the_route(geo: CorridorGeometry, day: date) -> None:
    geom = geo.version_at(day)
    widths = []
    for mid, nx, ny in _normals(geom.line_m):
        chord = LineString(
            [(mid.x - 6000 * nx, mid.y - 6000 * ny), (mid.x + 6000 * nx, mid.y + 6000 * ny)]
        )
        pieces = shapely.intersection(chord, geom.band_m)
        parts = getattr(pieces, "geoms", [pieces])
        widths.append(next(p.length for p in parts if p.distance(mid) < 1e-6))
    # On a winding road the band of a neighbouring bend can widen a chord, never narrow it.
    assert min(widths) == pytest.approx(5000.0, rel=0.01)
    assert all(w >= 5000.0 * 0.99 for w in widths)
    # ... and it never reaches further than half the width from the route anywhere.
    boundary = np.asarray(geom.band_m.exterior.coords)
    distances = shapely.distance(geom.line_m, shapely.points(boundary))
    assert distances.max() == pytest.approx(2500.0, rel=0.01)
    assert distances.min() == pytest.approx(2500.0, rel=0.01)


def test_two_km_from_the_road_is_in_and_three_km_is_out(geo: CorridorGeometry) -> None:
    proj = geo.projection
    geom = geo.version_at(BEFORE_SWITCH)
    clear_outs = 0
    for mid, nx, ny in _normals(geom.line_m):
        for side in (1.0, -1.0):
            lon, lat = proj.to_lonlat_point(mid.x + side * 2000 * nx, mid.y + side * 2000 * ny)
            assert geo.contains(lon, lat, BEFORE_SWITCH)
            lon, lat = proj.to_lonlat_point(mid.x + side * 3000 * nx, mid.y + side * 3000 * ny)
            distance = geo.distance_from_route_m(lon, lat, BEFORE_SWITCH)
            # 3 km off one segment may still be near another bend of the road; where it is
            # truly 3 km from the route it must be out.
            assert geo.contains(lon, lat, BEFORE_SWITCH) is (distance <= 2500.0)
            if distance >= 2999.0:
                clear_outs += 1
    assert clear_outs >= 10


def test_contains_many_agrees_with_distance(geo: CorridorGeometry) -> None:
    rng = np.random.default_rng(1)
    lons = rng.uniform(46.35, 46.8, 2000)
    lats = rng.uniform(39.42, 39.85, 2000)
    inside = geo.contains_many(lons, lats, BEFORE_SWITCH)
    distance = geo.distance_many(lons, lats, BEFORE_SWITCH)
    clear = np.abs(distance - 2500.0) > 1.0  # leave out points within a metre of the edge
    # Flat caps: near the two ends a point can be within 2.5 km of the route and still out.
    chainage = geo.chainage_many(lons, lats, BEFORE_SWITCH)
    length = geo.route_length_m(BEFORE_SWITCH)
    mid_route = (chainage > 1.0) & (chainage < length - 1.0)
    mask = clear & mid_route
    assert np.array_equal(inside[mask], distance[mask] <= 2500.0)
    assert inside.sum() > 100


@pytest.mark.parametrize("day", [BEFORE_SWITCH, AFTER_SWITCH])
def test_route_is_sixty_to_sixty_five_km(geo: CorridorGeometry, day: date) -> None:
    assert 60_000 <= geo.route_length_m(day) <= 65_000


@pytest.mark.parametrize("day", [BEFORE_SWITCH, AFTER_SWITCH])
def test_chainage_increases_along_the_route_vertices(geo: CorridorGeometry, day: date) -> None:
    line = geo.corridor.route_at(day).line
    chainages = geo.chainage_many([p[0] for p in line], [p[1] for p in line], day)
    assert chainages[0] == pytest.approx(0.0, abs=0.01)
    assert chainages[-1] == pytest.approx(geo.route_length_m(day), abs=0.01)
    assert np.all(np.diff(chainages) > 0)


def test_chainage_increases_along_the_checkpoints(
    corridor: Corridor, geo: CorridorGeometry
) -> None:
    checkpoints = corridor.checkpoints
    assert [p.id for p in checkpoints] == sorted(p.id for p in checkpoints)
    chainages = [p.chainage_m for p in checkpoints]
    assert all(b > a for a, b in zip(chainages, chainages[1:], strict=False))
    for post in checkpoints:  # the loader's chainage is geo's, on the route at the mandate start
        expected = geo.chainage_m(*post.point, corridor.mandate_start)
        assert post.chainage_m == pytest.approx(expected, abs=0.1)


def test_every_post_is_inside_the_first_band(corridor: Corridor, geo: CorridorGeometry) -> None:
    lons = [p.point[0] for p in corridor.posts]
    lats = [p.point[1] for p in corridor.posts]
    assert geo.contains_many(lons, lats, corridor.mandate_start).all()


def test_lachin_city_leaves_the_corridor_when_the_bypass_opens(geo: CorridorGeometry) -> None:
    assert geo.corridor.route_at(BEFORE_SWITCH).version == 1
    assert geo.corridor.route_at(SWITCH).version == 2
    assert geo.contains(*LACHIN_CITY, BEFORE_SWITCH)
    assert not geo.contains(*LACHIN_CITY, SWITCH)
    assert not geo.contains(*LACHIN_CITY, AFTER_SWITCH)
    # clearly outside: at least 3.5 km from the band's edge (the bypass keeps 5 km or more)
    assert geo.distance_from_route_m(*LACHIN_CITY, SWITCH) >= 2500.0 + 3500.0


def test_both_routes_share_their_ends(corridor: Corridor) -> None:
    first, second = corridor.routes
    assert first.line[0] == second.line[0] and first.line[-1] == second.line[-1]
    assert first.effective_to == second.effective_from == SWITCH


def test_geojson_feature_collection(corridor: Corridor, geo: CorridorGeometry) -> None:
    doc = geo.to_geojson(BEFORE_SWITCH)
    json.dumps(doc)  # plain JSON types only
    assert doc["type"] == "FeatureCollection"
    features = doc["features"]
    assert [f["properties"]["layer"] for f in features[:2]] == ["band", "route"]
    assert len(features) == 2 + len(corridor.posts) == 25
    band, route, *posts = features
    assert band["geometry"]["type"] == "Polygon"
    ring = band["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1]
    assert all(46.0 < lon < 47.2 and 39.3 < lat < 40.0 for lon, lat in ring)
    assert band["properties"]["width_m"] == 5000.0
    assert route["geometry"]["type"] == "LineString"
    assert route["properties"]["route_version"] == 1
    assert route["geometry"]["coordinates"][0] == pytest.approx(list(corridor.routes[0].line[0]))
    for feature, post in zip(posts, corridor.posts, strict=True):
        props = feature["properties"]
        assert feature["geometry"] == {"type": "Point", "coordinates": list(post.point)}
        assert props["id"] == post.id and props["label"] == post.label
        assert props["names"] == list(post.names)
        assert props["kind"] in {k.value for k in PostKind}
        assert props["chainage_m"] == pytest.approx(post.chainage_m, abs=0.1)
    labels = {f["properties"]["label"] for f in posts}
    assert {"Lachin / Berdzor", "Shusha / Shushi", "Stepanakert / Khankendi"} <= labels


def test_geojson_follows_the_route_version(geo: CorridorGeometry) -> None:
    after = geo.to_geojson(AFTER_SWITCH)
    assert after["features"][1]["properties"]["route_version"] == 2
    by_id = {f["properties"]["id"]: f["properties"] for f in after["features"][2:]}
    assert by_id["P10"]["in_band"] is False  # the Lachin / Berdzor checkpoint, off the bypass
    assert by_id["P01"]["in_band"] is True
