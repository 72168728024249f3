"""Shared fixtures: a small corridor, keys, and a factory for valid entries."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from corridor.model.corridor import Corridor, Place, Post, PostKind, RouteVersion
from corridor.model.events import CargoLine, People, PrivateRecord, PublicEntry
from corridor.model.signing import SigningKey
from corridor.model.vocabulary import CargoCategory, Direction, PassageKind, VehicleClass

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def corridor() -> Corridor:
    """A two-post corridor, enough for model and store rules."""
    return Corridor(
        id="test",
        names=("Test corridor",),
        width_m=5000,
        endpoints=(Place(("West",), (46.40, 39.46)), Place(("East", "Ost"), (46.75, 39.81))),
        mandate_start=date(2020, 12, 1),
        mandate_end=date(2023, 12, 1),
        routes=(RouteVersion(1, date(2020, 12, 1), None, ((46.40, 39.46), (46.75, 39.81))),),
        posts=(
            Post("P01", ("West gate",), (46.40, 39.46), PostKind.CHECKPOINT, 0.0),
            Post("P02", ("East gate", "Ost"), (46.75, 39.81), PostKind.CHECKPOINT, 50_000.0),
        ),
    )


@pytest.fixture
def post_key() -> SigningKey:
    return SigningKey(bytes(range(32)))


EntryFactory = Callable[..., PublicEntry]

PRIVATE = PrivateRecord(plate="34 AA 123", driver="A. Driver", documents=("permit-1",))
SALT = b"\x07" * 16


@pytest.fixture
def make_entry() -> EntryFactory:
    """Build a valid passed-truck entry; keyword arguments replace fields."""

    def make(**changes: Any) -> PublicEntry:
        fields: dict[str, Any] = {
            "event_id": uuid.UUID(int=len(changes) + 1, version=4),
            "corridor": "test",
            "post": "P01",
            "observed_at": datetime(2020, 12, 1, 8, 15, tzinfo=UTC),
            "kind": PassageKind.PASSED,
            "direction": Direction.INBOUND,
            "vehicle_class": VehicleClass.TRUCK,
            "vehicle": "0" * 32,
            "people": People(crew=2),
            "cargo": (CargoLine(CargoCategory.FOOD, 12_000),),
            "private": PRIVATE.commitment(SALT),
        }
        fields.update(changes)
        return PublicEntry(**fields)

    return make
