"""The intake's store path on SQLite and on PostgreSQL: group-committed batches keep every
request's positions with their committed ids, refuse a revoked device's request alone, alert an
unknown device once, and purge by age."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from corridor.errors import ValidationError
from corridor.hq.devices import (
    DEVICE_TTL_SECONDS,
    DeviceCache,
    DeviceRevokedError,
    revoke_device,
)
from corridor.hq.osmand import PositionReport
from corridor.hq.position_retention import purge_positions
from corridor.hq.position_writer import PositionWriter
from corridor.hq.positions import PositionIntake
from corridor.store.engine import Store, open_store, sqlite_url
from tests.hq.positions_support import (
    CREW_DEVICE,
    NOW,
    NOW_S,
    PSEUDONYM_KEY,
    VEHICLE_DEVICE,
    Received,
    alert_rows,
    populate,
    stored_rows,
)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        url = sqlite_url(tmp_path / "hq.db")
    else:
        import psycopg

        url = request.getfixturevalue("postgres_database")
        with psycopg.connect(url, autocommit=True) as conn:  # empty for each test
            conn.execute("DROP SCHEMA public CASCADE")
            conn.execute("CREATE SCHEMA public")
    opened = open_store(url)
    populate(opened)
    yield opened
    opened.dispose()


def at(device: str, lat: float, seconds_ago: int = 0) -> PositionReport:
    return PositionReport(device, lat, 46.5, (NOW_S - seconds_ago) * 1000)


def test_a_batch_of_requests_in_one_transaction(any_store: Store) -> None:
    received = Received()
    intake = PositionIntake(any_store, PSEUDONYM_KEY, clock=lambda: NOW, on_positions=received)
    revoke_device(any_store, CREW_DEVICE, NOW)
    requests = [
        ([at(VEHICLE_DEVICE, 39.1), at(VEHICLE_DEVICE, 39.2)], NOW_S * 1000),
        ([at(CREW_DEVICE, 39.3)], NOW_S * 1000),
        ([at("NEW1", 39.4)], NOW_S * 1000),
        ([at("NEW1", 39.5)], NOW_S * 1000),
    ]
    outcomes = intake.store_batch(requests)
    assert isinstance(outcomes[1], DeviceRevokedError)
    kept = [p for o in outcomes if isinstance(o, list) for p in o]
    rows = stored_rows(any_store)
    assert [(p.id, p.lat) for p in kept] == [(r["id"], r["lat"]) for r in rows]
    assert [r["lat"] for r in rows] == [39.1, 39.2, 39.4, 39.5]
    assert [a["alert_key"] for a in alert_rows(any_store)] == ["unknown_device:NEW1"]


def test_the_writer_commits_then_hands_on(any_store: Store) -> None:
    received = Received()
    seconds = [0.0]
    cache = DeviceCache(monotonic=lambda: seconds[0])
    intake = PositionIntake(
        any_store, PSEUDONYM_KEY, clock=lambda: NOW, on_positions=received, devices=cache
    )
    writer = PositionWriter(intake)
    futures = [writer.submit([at(VEHICLE_DEVICE, 39 + i / 100)]) for i in range(50)]
    stored = [f.result(timeout=10)[0] for f in futures]
    writer.close()
    assert [p.id for p in stored] == [r["id"] for r in stored_rows(any_store)]
    assert sorted(p.id for call in received.calls for p in call) == [p.id for p in stored]
    with pytest.raises(DeviceRevokedError, match="is revoked"):
        revoke_device(any_store, VEHICLE_DEVICE, NOW)
        seconds[0] += DEVICE_TTL_SECONDS  # the cached registry is reloaded: the revocation holds
        intake.keep([at(VEHICLE_DEVICE, 40)])
    assert len(stored_rows(any_store)) == 50


def test_purge_by_age(any_store: Store) -> None:
    intake = PositionIntake(any_store, PSEUDONYM_KEY, clock=lambda: NOW)
    intake.keep([at(VEHICLE_DEVICE, 39.0, 20 * 86400), at(VEHICLE_DEVICE, 39.1, 3600)])
    assert purge_positions(any_store, timedelta(days=7), lambda: NOW) == 1
    assert [r["lat"] for r in stored_rows(any_store)] == [39.1]
    with pytest.raises(ValidationError, match="older than the retention"):
        intake.keep([at(VEHICLE_DEVICE, 39.2, 31 * 86400)])
