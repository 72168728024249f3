"""Shared fixtures: a small corridor, keys, a factory for valid entries, and a fresh PostgreSQL
database per test run.

PostgreSQL tests use ``CORRIDOR_TEST_POSTGRES_URL`` (default
``postgresql://postgres@127.0.0.1:5432/test``, the server CI provides). Without a reachable
server they skip with a message saying what to install; under CI they fail instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
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


POSTGRES_URL = os.environ.get(
    "CORRIDOR_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


def _postgres_admin() -> object:
    import psycopg

    try:
        return psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(
            f"PostgreSQL not reachable at {POSTGRES_URL} ({exc.__class__.__name__}): install and "
            "start postgresql, or set CORRIDOR_TEST_POSTGRES_URL"
        )


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test run; its URL."""
    import psycopg

    admin = _postgres_admin()
    assert isinstance(admin, psycopg.Connection)
    name = f"corridor_test_{uuid.uuid4().hex[:12]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = POSTGRES_URL.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """Debian's Chromium, or skip: the browser tests never download a browser."""
    from tests.browser import require_chromium

    return require_chromium()
