"""The convoy registry: validated as one transaction on SQLite and PostgreSQL, loaded for the
monitor as pseudonyms, and the `corridor convoys` commands."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import typer
from sqlalchemy import select, update
from typer.testing import CliRunner

from corridor.cli import convoys as convoys_cli
from corridor.datadir import DataDir
from corridor.errors import ConflictError, NotFoundError, ValidationError
from corridor.geo.band import CorridorGeometry
from corridor.hq.convoys import (
    add_convoy,
    get_convoy,
    list_convoys,
    load_convoy_plans,
    remove_convoy,
)
from corridor.hq.vehicles import RegisteredVehicle, register_vehicles
from corridor.model.corridor import Corridor
from corridor.model.pseudonym import normalise_plate, vehicle_pseudonym
from corridor.model.vocabulary import Direction, VehicleClass
from corridor.sim.scenario import default_scenario_path, load_scenario
from corridor.store.engine import Store
from corridor.store.schema import convoy_members, convoys, vehicles
from tests.store.conftest import StoreFactory, make_store  # noqa: F401  (the fixture)

PLATES = ("34 AA 101", "34 AA 102", "34 AA 103", "35 BB 201")
UNREGISTERED = "99 ZZ 999"
CREATED = datetime(2021, 2, 27, 9, 30, tzinfo=UTC)
KEY = b"k" * 32


@pytest.fixture(scope="module")
def lachin() -> Corridor:
    return load_scenario(default_scenario_path()).corridor


@pytest.fixture
def store(make_store: StoreFactory) -> Store:  # noqa: F811
    store = make_store()
    register_vehicles(store, [RegisteredVehicle(p, VehicleClass.BUS) for p in PLATES])
    with store.write() as conn:  # a vehicle struck off the registry
        conn.execute(
            vehicles.insert().values(
                plate="36CC301", plate_display="36 CC 301", vehicle_class="bus", registered=0
            )
        )
    return store


def convoy(**changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "convoy_id": "C-20210301-01",
        "name": "Returnee buses, 1 March",
        "direction": "inbound",
        "planned_departure": "2021-03-01T08:00:00Z",
        "plates": list(PLATES[:3]),
    }
    return {**fields, **changes}


def rows(store: Store) -> tuple[list[Any], list[Any]]:
    with store.read() as conn:
        return (
            [tuple(r) for r in conn.execute(select(convoys))],
            [tuple(r) for r in conn.execute(select(convoy_members))],
        )


def test_a_convoy_is_stored_with_its_members_in_order_and_read_back(
    store: Store, lachin: Corridor
) -> None:
    added = add_convoy(
        store, lachin, **convoy(plates=["34aa-103", "34 AA 101"]), clock=lambda: CREATED
    )
    assert added.plates == ("34AA103", "34AA101")
    assert added.created_at == "2021-02-27T09:30:00Z"
    assert get_convoy(store, "C-20210301-01") == added
    second = add_convoy(
        store,
        lachin,
        **convoy(convoy_id="C-0", planned_departure="2021-02-28T08:00:00Z", direction="outbound"),
        route_version=1,
    )
    assert list_convoys(store) == [second, added]  # by planned departure
    remove_convoy(store, "C-20210301-01")
    assert list_convoys(store) == [second]
    assert rows(store)[1] == [("C-0", i, normalise_plate(p)) for i, p in enumerate(PLATES[:3], 1)]


def test_the_monitor_gets_pseudonyms_and_the_posts_in_travel_order(
    store: Store, lachin: Corridor
) -> None:
    add_convoy(store, lachin, **convoy())
    add_convoy(
        store,
        lachin,
        **convoy(
            convoy_id="C-2",
            direction="outbound",
            planned_departure="2022-10-01T08:00:00Z",
            plates=[PLATES[3], PLATES[0]],
        ),
    )
    first, later = load_convoy_plans(store, lachin, KEY)
    assert first.members == tuple(vehicle_pseudonym(p, KEY) for p in PLATES[:3])
    assert later.members == (vehicle_pseudonym(PLATES[3], KEY), vehicle_pseudonym(PLATES[0], KEY))
    assert "34AA101" not in repr(first)
    assert first.planned_departure == datetime(2021, 3, 1, 8, tzinfo=UTC)
    assert (first.route_version, later.route_version) == (1, 2)

    geometry = CorridorGeometry(lachin)
    for plan, day in (
        (first, datetime(2021, 3, 1, tzinfo=UTC)),
        (later, datetime(2022, 10, 1, tzinfo=UTC)),
    ):
        on_road = [p for p in lachin.checkpoints if geometry.contains(*p.point, day)]
        by_chainage = sorted(on_road, key=lambda p: geometry.chainage_m(*p.point, day))
        ids = tuple(p.id for p in by_chainage)
        assert plan.route == (ids if plan.direction is Direction.INBOUND else ids[::-1])
    assert "P10" in first.route and "P10" not in later.route  # Lachin / Berdzor city: bypassed
    assert later.route[0] == "P23"


BAD = [
    ({"convoy_id": "C 1"}, "convoy_id: 'C 1' is not a convoy id"),
    ({"convoy_id": ""}, "convoy_id: '' is not a convoy id"),
    ({"convoy_id": "C" * 65}, "convoy_id: .* is not a convoy id"),
    ({"name": "   "}, "name: a convoy needs a name"),
    ({"name": "x" * 201}, "name: at most 200 characters, got 201"),
    ({"direction": "north"}, "direction: 'north' is not one of inbound, outbound"),
    ({"planned_departure": "2021-03-01 08:00"}, "planned_departure: expected a UTC time"),
    ({"plates": [PLATES[0]]}, r"members: a convoy has at least 2 vehicles, got 1"),
    ({"plates": [f"P{i}" for i in range(101)]}, "members: a convoy has at most 100 vehicles"),
    ({"plates": [PLATES[0], "34aa101"]}, r"members\[1\]: plate '34aa101' is already member 1"),
    ({"plates": [PLATES[0], "--"]}, r"members\[1\]: '--' holds no letter or digit"),
    (
        {"plates": [PLATES[0], PLATES[1], UNREGISTERED]},
        r"members\[2\]: plate 99ZZ999 is not a registered vehicle",
    ),
    ({"plates": ["36 CC 301", PLATES[1]]}, r"members\[0\]: plate 36CC301 is not a registered"),
    ({"route_version": 9}, "route_version: corridor 'lachin' has no route version 9 \\(1, 2\\)"),
    (
        {"route_version": 1, "planned_departure": "2023-01-05T08:00:00Z"},
        "route_version: route version 1 is not in force on 2023-01-05, the planned departure; "
        "version 2 is",
    ),
]


@pytest.mark.parametrize(("changes", "message"), BAD)
def test_a_bad_convoy_is_refused_naming_the_field_and_leaves_nothing(
    store: Store, lachin: Corridor, changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        add_convoy(store, lachin, **convoy(**changes))
    assert rows(store) == ([], [])


def test_a_taken_id_is_a_conflict_and_the_first_convoy_stays_whole(
    store: Store, lachin: Corridor
) -> None:
    add_convoy(store, lachin, **convoy())
    before = rows(store)
    with pytest.raises(ConflictError, match="convoy 'C-20210301-01' is already registered"):
        add_convoy(store, lachin, **convoy(plates=[PLATES[3], PLATES[0]]))
    assert rows(store) == before


def test_unknown_convoys_are_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError, match="no convoy 'C-9'"):
        get_convoy(store, "C-9")
    with pytest.raises(NotFoundError, match="no convoy 'C-9'"):
        remove_convoy(store, "C-9")


def test_a_vehicle_struck_off_after_planning_still_loads(store: Store, lachin: Corridor) -> None:
    add_convoy(store, lachin, **convoy())
    with store.write() as conn:
        conn.execute(update(vehicles).where(vehicles.c.plate == "34AA101").values(registered=0))
    [plan] = load_convoy_plans(store, lachin, KEY)
    assert plan.members[0] == vehicle_pseudonym(PLATES[0], KEY)


# -- the commands -------------------------------------------------------------------------------


@pytest.fixture
def hq_dir(tmp_path: Path) -> Path:
    datadir = DataDir.create_fresh(tmp_path / "hq", default_scenario_path(), demo=False)
    store = datadir.open_store()
    try:
        register_vehicles(store, [RegisteredVehicle(p, VehicleClass.BUS) for p in PLATES])
    finally:
        store.dispose()
    return datadir.path


@pytest.fixture
def app() -> typer.Typer:
    application = typer.Typer()
    convoys_cli.register(application)
    return application


def test_the_commands_add_list_and_remove_and_list_prints_no_plate(
    app: typer.Typer, hq_dir: Path
) -> None:
    runner = CliRunner()
    add = ["convoys", "add", "--dir", str(hq_dir), "--id", "C-1", "--name", "Buses 1 March"]
    add += ["--direction", "inbound", "--departure", "2021-03-01T08:00:00Z"]
    result = runner.invoke(app, [*add, "--member", PLATES[0], "--member", PLATES[1]])
    assert result.exit_code == 0, result.output
    assert (
        "convoy C-1 registered: 2 vehicles, inbound, leaving 2021-03-01T08:00:00Z" in result.output
    )

    listed = runner.invoke(app, ["convoys", "list", "--dir", str(hq_dir)])
    assert listed.exit_code == 0, listed.output
    assert "C-1\t2021-03-01T08:00:00Z\tinbound\t2 vehicles\troute in force\tBuses 1 March" in (
        listed.output
    )
    assert not any(p in listed.output or normalise_plate(p) in listed.output for p in PLATES)

    other = [*add[:4], "--id", "C-2", *add[6:]]
    again = runner.invoke(app, [*other, "--member", PLATES[0], "--member", UNREGISTERED])
    assert isinstance(again.exception, ValidationError)
    assert "members[1]: plate 99ZZ999 is not a registered vehicle" in str(again.exception)

    removed = runner.invoke(app, ["convoys", "remove", "--dir", str(hq_dir), "--id", "C-1"])
    assert removed.exit_code == 0, removed.output
    assert runner.invoke(app, ["convoys", "list", "--dir", str(hq_dir)]).output == "no convoys\n"
