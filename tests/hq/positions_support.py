"""What the position tests share: a store with a vehicle, a crew and their trackers, a clock
that tests move, and the intake app served by uvicorn on a real socket."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from corridor.hq.devices import register_device
from corridor.hq.position_writer import PositionWriter
from corridor.hq.positions import PositionIntake, StoredPosition
from corridor.hq.vehicles import RegisteredVehicle, register_vehicles
from corridor.model.vocabulary import VehicleClass
from corridor.store.engine import Store, open_store, sqlite_url
from corridor.store.schema import alerts, crews, positions
from corridor.web.positions import create_positions_app
from tests.browser import served

PSEUDONYM_KEY = b"\x11" * 32
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
NOW_S = int(NOW.timestamp())
PLATE = "34 AA 123"
VEHICLE_DEVICE = "100001"
CREW_DEVICE = "200002"
CREW = "C1"


@dataclass
class Clock:
    """HQ's clock, set by the test."""

    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Received:
    """What ``on_positions`` was handed, call by call."""

    calls: list[list[StoredPosition]] = field(default_factory=list)

    def __call__(self, stored: list[StoredPosition]) -> None:
        self.calls.append(list(stored))


def populate(store: Store) -> None:
    """One registered vehicle and one crew, each with its tracker."""
    register_vehicles(store, [RegisteredVehicle(PLATE, VehicleClass.TRUCK)])
    with store.write() as conn:
        conn.execute(crews.insert().values(crew_id=CREW, name="Power line crew 1"))
    register_device(store, VEHICLE_DEVICE, NOW, vehicle=PLATE)
    register_device(store, CREW_DEVICE, NOW, crew=CREW)


def stored_rows(store: Store) -> list[dict[str, object]]:
    with store.read() as conn:
        return [dict(r._mapping) for r in conn.execute(select(positions).order_by(positions.c.id))]


def alert_rows(store: Store) -> list[dict[str, object]]:
    with store.read() as conn:
        return [dict(r._mapping) for r in conn.execute(select(alerts).order_by(alerts.c.id))]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(sqlite_url(tmp_path / "hq.db"))
    populate(opened)
    yield opened
    opened.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def received() -> Received:
    return Received()


@pytest.fixture
def intake(store: Store, clock: Clock, received: Received) -> PositionIntake:
    return PositionIntake(store, PSEUDONYM_KEY, clock=clock, on_positions=received)


def serve_intake(intake: PositionIntake, **options: int) -> AbstractContextManager[str]:
    """The intake app over ``intake`` served by uvicorn (lifespan on, access log off) in a
    thread on a free port; yields its base URL."""
    app = create_positions_app(PositionWriter(intake), **options)
    return served(app, "intake-test", lifespan="on", access_log=False)


@pytest.fixture
def server(intake: PositionIntake) -> Iterator[str]:
    with serve_intake(intake) as url:
        yield url
