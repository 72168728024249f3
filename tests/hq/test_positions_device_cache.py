"""The intake's device cache: a batch costs no registry query, a revocation from elsewhere (the
CLI, another process) is honoured within DEVICE_TTL_SECONDS and not later, and a tracker
registered after the cache was filled is known on its first report."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import event

from corridor.hq.devices import (
    DEVICE_TTL_SECONDS,
    DeviceCache,
    DeviceRevokedError,
    register_device,
    revoke_device,
)
from corridor.hq.osmand import PositionReport
from corridor.hq.position_writer import PositionWriter
from corridor.hq.positions import PositionIntake
from corridor.store.engine import Store, open_store, sqlite_url
from tests.hq import positions_support as support
from tests.hq.positions_support import (
    CREW,
    NOW,
    NOW_S,
    PSEUDONYM_KEY,
    VEHICLE_DEVICE,
    alert_rows,
    populate,
    stored_rows,
)

store = support.store  # the shared fixture, bound here for pytest to find


class Ticks:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def report(device: str, lat: float = 39.6) -> PositionReport:
    return PositionReport(device, lat, 46.5, NOW_S * 1000)


@pytest.fixture
def ticks() -> Ticks:
    return Ticks()


@pytest.fixture
def intake(store: Store, ticks: Ticks) -> PositionIntake:
    return PositionIntake(
        store, PSEUDONYM_KEY, clock=lambda: NOW, devices=DeviceCache(monotonic=ticks)
    )


def device_queries(store: Store) -> list[str]:
    """Every statement on the devices table, from now on."""
    seen: list[str] = []

    @event.listens_for(store.engine, "before_cursor_execute")
    def _seen(_c: object, _cur: object, statement: str, *_args: object) -> None:
        if "FROM devices" in statement:
            seen.append(statement)

    return seen


def test_a_batch_costs_no_registry_query_within_the_ttl(
    store: Store, intake: PositionIntake, ticks: Ticks
) -> None:
    intake.keep([report(VEHICLE_DEVICE)])  # fills the cache
    seen = device_queries(store)
    ticks.now += DEVICE_TTL_SECONDS - 0.1
    for i in range(5):
        intake.keep([report(VEHICLE_DEVICE, 39 + i / 10)])
    assert seen == []
    ticks.now += 0.1
    intake.keep([report(VEHICLE_DEVICE)])
    assert len(seen) == 1  # reloaded once the ttl has passed
    assert len(stored_rows(store)) == 7


def test_a_revocation_is_honoured_within_the_ttl(
    store: Store, intake: PositionIntake, ticks: Ticks
) -> None:
    intake.keep([report(VEHICLE_DEVICE)])
    revoke_device(store, VEHICLE_DEVICE, NOW)
    intake.keep([report(VEHICLE_DEVICE)])  # still cached as in use: the documented bound
    ticks.now += DEVICE_TTL_SECONDS
    with pytest.raises(DeviceRevokedError, match=f"device {VEHICLE_DEVICE} is revoked"):
        intake.keep([report(VEHICLE_DEVICE, 40.0)])
    assert [r["lat"] for r in stored_rows(store)] == [39.6, 39.6]  # nothing of the refused one


def test_invalidate_makes_a_revocation_hold_at_once(store: Store, intake: PositionIntake) -> None:
    intake.keep([report(VEHICLE_DEVICE)])
    revoke_device(store, VEHICLE_DEVICE, NOW)
    intake.devices.invalidate()
    with pytest.raises(DeviceRevokedError, match="is revoked"):
        intake.keep([report(VEHICLE_DEVICE)])


def test_a_device_registered_after_the_cache_filled_is_known_at_once(
    store: Store, intake: PositionIntake
) -> None:
    intake.keep([report(VEHICLE_DEVICE)])
    register_device(store, "NEWCREW1", NOW, crew=CREW)
    stored = intake.keep([report("NEWCREW1")])
    assert (stored[0].subject_kind, stored[0].subject_id) == ("crew", CREW)
    assert alert_rows(store) == []  # not mistaken for an unknown device


def test_async_submissions_resolve_on_their_loop_after_the_commit(
    store: Store, intake: PositionIntake
) -> None:
    writer = PositionWriter(intake)

    async def many() -> list[int]:
        futures = [writer.submit_async([report(VEHICLE_DEVICE, 39 + i / 100)]) for i in range(40)]
        return [(await f)[0].id for f in futures]

    ids = asyncio.run(many())
    committed = [r["id"] for r in stored_rows(store)]
    writer.close()
    assert ids == committed and len(ids) == 40


def test_raw_sqlite_insert_continues_the_rowids(tmp_path: Path) -> None:
    opened = open_store(sqlite_url(tmp_path / "hq.db"))
    populate(opened)
    first = PositionIntake(opened, PSEUDONYM_KEY, clock=lambda: NOW)
    a = first.keep([report(VEHICLE_DEVICE), report(VEHICLE_DEVICE)])
    second = PositionIntake(opened, PSEUDONYM_KEY, clock=lambda: NOW)  # e.g. after a restart
    b = second.keep([report(VEHICLE_DEVICE)])
    assert [p.id for p in a + b] == [r["id"] for r in stored_rows(opened)] == [1, 2, 3]
    opened.dispose()
