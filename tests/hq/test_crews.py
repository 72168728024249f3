"""The crew registry: crews, zones checked against the corridor band of the route in force in
their window, on SQLite and PostgreSQL, and the `corridor crews` commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from sqlalchemy import select
from typer.testing import CliRunner

from corridor.cli import crews as crews_cli
from corridor.datadir import DataDir
from corridor.errors import ConflictError, NotFoundError, ValidationError
from corridor.hq.crews import (
    add_crew,
    add_zone,
    list_crews,
    list_zones,
    load_crew_zones,
    remove_crew,
    remove_zone,
    zones_active_at,
)
from corridor.model.corridor import Corridor
from corridor.model.events import parse_time
from corridor.sim.scenario import default_scenario_path, load_scenario
from corridor.store.engine import Store
from corridor.store.schema import crew_zones, crews
from tests.store.conftest import StoreFactory, make_store  # noqa: F401  (the fixture)

LACHIN_CITY = (46.5460, 39.6390)  # on route version 1 only: version 2 bypasses the city
KM_7 = (46.4451, 39.5090)  # on both versions
WINDOW = {"active_from": "2021-03-01T06:00:00Z", "active_to": "2021-03-05T18:00:00Z"}


def square(centre: tuple[float, float], half: float = 0.005) -> list[list[float]]:
    lon, lat = centre
    return [
        [lon - half, lat - half],
        [lon + half, lat - half],
        [lon + half, lat + half],
        [lon - half, lat + half],
        [lon - half, lat - half],
    ]


def polygon(ring: list[list[float]], *holes: list[list[float]]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [ring, *holes]}


def feature(geometry: dict[str, Any], name: str | None = None) -> dict[str, Any]:
    return {"type": "Feature", "properties": {"name": name} if name else {}, "geometry": geometry}


@pytest.fixture(scope="module")
def lachin() -> Corridor:
    return load_scenario(default_scenario_path()).corridor


@pytest.fixture
def store(make_store: StoreFactory) -> Store:  # noqa: F811
    store = make_store()
    add_crew(store, "R-04", "Road repair team 4")
    return store


def zone_rows(store: Store) -> list[Any]:
    with store.read() as conn:
        return [tuple(r) for r in conn.execute(select(crew_zones))]


def test_crews_and_zones_are_stored_listed_and_removed(store: Store, lachin: Corridor) -> None:
    add_crew(store, "B-01", "Bridge crew")
    assert [c.crew_id for c in list_crews(store)] == ["B-01", "R-04"]
    first = add_zone(
        store,
        lachin,
        crew_id="R-04",
        geojson=feature(polygon(square(LACHIN_CITY)), "City"),
        **WINDOW,
    )
    later = add_zone(
        store,
        lachin,
        crew_id="R-04",
        geojson=json.dumps(
            {"type": "FeatureCollection", "features": [feature(polygon(square(KM_7)))]}
        ),
        active_from="2022-10-01T06:00:00Z",
        active_to="2022-10-02T06:00:00Z",
        name="Km 7 culvert",
    )
    bridge = add_zone(
        store, lachin, crew_id="B-01", geojson=polygon(square(KM_7)), name="Km 7", **WINDOW
    )
    assert first.name == "City" and first.geometry == polygon(square(LACHIN_CITY))
    assert list_zones(store, "R-04") == [first, later]
    assert list_zones(store) == [bridge, first, later]
    assert zones_active_at(store, "2021-03-05T17:59:59Z") == [bridge, first]
    assert zones_active_at(store, parse_time("2021-03-05T18:00:00Z")) == []  # the end is open
    assert zones_active_at(store, "2022-10-01T12:00:00Z") == [later]

    remove_zone(store, first.zone_id)
    assert list_zones(store, "R-04") == [later]
    with pytest.raises(NotFoundError, match=f"no crew zone {first.zone_id}"):
        remove_zone(store, first.zone_id)
    remove_crew(store, "R-04")
    assert [c.crew_id for c in list_crews(store)] == ["B-01"]
    assert list_zones(store) == [bridge]
    with pytest.raises(NotFoundError, match="no crew 'R-04'"):
        remove_crew(store, "R-04")


def test_the_monitor_loads_rings_polygons_and_windows(store: Store, lachin: Corridor) -> None:
    stored = add_zone(
        store, lachin, crew_id="R-04", geojson=polygon(square(KM_7)), name="A", **WINDOW
    )
    [zone] = load_crew_zones(store)
    assert zone.zone == tuple(tuple(p) for p in square(KM_7))
    assert zone.polygon.contains(zone.polygon.centroid)
    assert zone.polygon.centroid.coords[0] == pytest.approx(KM_7)
    assert (zone.crew_id, zone.zone_id, zone.name) == ("R-04", stored.zone_id, "A")
    assert zone.starts_at == parse_time(WINDOW["active_from"])
    assert zone.ends_at == parse_time(WINDOW["active_to"])


def test_a_zone_off_the_new_road_is_refused_once_the_new_road_is_in_force(
    store: Store, lachin: Corridor
) -> None:
    city = polygon(square(LACHIN_CITY))
    for start, end in (
        ("2023-01-01T00:00:00Z", "2023-01-02T00:00:00Z"),
        ("2022-08-31T00:00:00Z", "2022-09-02T00:00:00Z"),  # spans the switch to version 2
    ):
        with pytest.raises(
            ValidationError,
            match=r"geojson: the zone does not meet the corridor band of route version 2 "
            r"\(in force 2022-09-01 to on\): it is \d+\.\d km from it",
        ):
            add_zone(
                store,
                lachin,
                crew_id="R-04",
                geojson=city,
                name="x",
                active_from=start,
                active_to=end,
            )
    assert zone_rows(store) == []


OPEN = square(KM_7)[:-1] + [[KM_7[0], KM_7[1] + 0.01]]
BOWTIE = [[46.44, 39.50], [46.46, 39.53], [46.46, 39.50], [46.44, 39.52], [46.44, 39.50]]
FAR = (44.5, 40.2)  # Yerevan: nowhere near the corridor

BAD_ZONES = [
    ("{not json", "geojson: not JSON: Expecting property name"),
    ([1, 2], "geojson: expected a GeoJSON object, got list"),
    (
        {"type": "Point", "coordinates": list(KM_7)},
        "geojson.type: a zone is one Polygon, not 'Point'",
    ),
    (
        {"type": "MultiPolygon", "coordinates": [[square(KM_7)]]},
        "geojson.type: a zone is one Polygon, not 'MultiPolygon'",
    ),
    (
        {"type": "FeatureCollection", "features": [feature(polygon(square(KM_7)))] * 2},
        "geojson.features: the collection holds 2 features; a zone is exactly one Polygon",
    ),
    ({"type": "Feature", "properties": {}}, "geojson.geometry: the feature has no geometry"),
    (polygon(OPEN), r"geojson.coordinates\[0\]: the ring is not closed"),
    (polygon(square(KM_7)[:2] + [square(KM_7)[0]]), r"at least 4 positions .* got 3"),
    (polygon(square(KM_7), square(KM_7, 0.001)), "geojson.coordinates: the polygon has 1 hole"),
    (
        polygon([[46.4, 95.0], *square(KM_7)[1:-1], [46.4, 95.0]]),
        r"geojson.coordinates\[0\]\[0\]: \[46.4, 95.0\] is out of range",
    ),
    (
        polygon([[200.0, 39.5], *square(KM_7)[1:-1], [200.0, 39.5]]),
        r"out of range: .*is it \[latitude, longitude\]",
    ),
    (polygon([["46.4", 39.5], *square(KM_7)[1:]]), r"\[0\]\[0\]: expected \[longitude, latitude\]"),
    (polygon(BOWTIE), "geojson: not a valid polygon: Self-intersection"),
    (
        polygon([[46.44, 39.50], [46.45, 39.50], [46.46, 39.50], [46.44, 39.50]]),
        "geojson: the polygon is empty: its corners lie on one line",
    ),
    (
        polygon([[lat, lon] for lon, lat in square(LACHIN_CITY)]),
        r"swapped: GeoJSON positions are \[longitude, latitude\]",
    ),
    (polygon(square(FAR)), "does not meet the corridor band of route version 1"),
    (polygon(square(KM_7, 0.00001)), "the zone covers .* km²; a crew's zone is between 100 m²"),
    (polygon(square((46.58, 39.64), 0.6)), "the zone covers .* km²; .* and 100 km²"),
]


@pytest.mark.parametrize(("geojson", "message"), BAD_ZONES)
def test_a_bad_zone_is_refused_saying_what_is_wrong_and_nothing_is_stored(
    store: Store, lachin: Corridor, geojson: Any, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        add_zone(store, lachin, crew_id="R-04", geojson=geojson, name="zone", **WINDOW)
    assert zone_rows(store) == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"active_to": WINDOW["active_from"]}, "active_to: the window must end after it starts"),
        ({"active_from": "2021-03-01"}, "active_from: expected a UTC time"),
        ({"active_to": "soon"}, "active_to: expected a UTC time"),
        ({"crew_id": "R-99"}, "crew_id: no crew 'R-99': add the crew first"),
        ({"name": "  "}, "name: a zone needs a name"),
        ({"name": None}, r"name: a zone needs a name \(or a Feature with a 'name' property\)"),
    ],
)
def test_a_bad_window_crew_or_name_is_refused(
    store: Store, lachin: Corridor, changes: dict[str, Any], message: str
) -> None:
    fields: dict[str, Any] = {"crew_id": "R-04", "name": "zone", **WINDOW, **changes}
    with pytest.raises(ValidationError, match=message):
        add_zone(store, lachin, geojson=polygon(square(KM_7)), **fields)
    assert zone_rows(store) == []


def test_bad_crews_are_refused(store: Store) -> None:
    with pytest.raises(ValidationError, match="crew_id: 'R 5' is not a crew id"):
        add_crew(store, "R 5", "x")
    with pytest.raises(ValidationError, match="name: a crew needs a name"):
        add_crew(store, "R-05", " ")
    with pytest.raises(ConflictError, match="crew 'R-04' is already registered"):
        add_crew(store, "R-04", "Another team")
    with store.read() as conn:
        assert [tuple(r) for r in conn.execute(select(crews))] == [("R-04", "Road repair team 4")]


# -- the commands -------------------------------------------------------------------------------


@pytest.fixture
def app() -> typer.Typer:
    application = typer.Typer()
    crews_cli.register(application)
    return application


def test_the_commands_add_a_crew_and_a_zone_from_a_file_and_list_them(
    app: typer.Typer, tmp_path: Path
) -> None:
    hq = DataDir.create_fresh(tmp_path / "hq", default_scenario_path(), demo=False).path
    runner = CliRunner()
    result = runner.invoke(
        app, ["crews", "add", "--dir", str(hq), "--id", "R-04", "--name", "Team 4"]
    )
    assert result.exit_code == 0, result.output
    zone_file = tmp_path / "km7-culvert.geojson"
    zone_file.write_text(json.dumps(feature(polygon(square(KM_7)))))
    zone = ["crews", "zone-add", "--dir", str(hq), "--crew", "R-04", "--geojson", str(zone_file)]
    zone += ["--from", "2021-03-01T06:00:00Z", "--to", "2021-03-02T18:00:00Z"]
    result = runner.invoke(app, zone)
    assert result.exit_code == 0, result.output
    assert "zone 1 (km7-culvert) added to crew R-04" in result.output

    zone_file.write_text(json.dumps(polygon(OPEN)))
    refused = runner.invoke(app, zone)
    assert isinstance(refused.exception, ValidationError)
    assert "the ring is not closed" in str(refused.exception)

    listed = runner.invoke(app, ["crews", "list", "--dir", str(hq)])
    assert listed.exit_code == 0, listed.output
    assert listed.output.splitlines() == [
        "R-04\tTeam 4",
        "  zone 1\t2021-03-01T06:00:00Z to 2021-03-02T18:00:00Z\tkm7-culvert",
    ]
