"""HQ's monitoring: the monitor fed from ingest's commits and posts' contacts, its alerts kept in
the store one row per key, published to the live feed, and never able to fail an ingest."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from corridor.hq.ingest import Ingestor
from corridor.hq.live import ALERT, LiveFeed
from corridor.hq.monitoring import HqMonitor, collapsed, store_changes
from corridor.hq.registry import ROLE_ADMIN, ROLE_POST, register_key
from corridor.hq.vehicles import RegisteredVehicle, register_vehicles
from corridor.model.corridor import Corridor
from corridor.model.events import PrivateRecord, Submission
from corridor.model.pseudonym import vehicle_pseudonym
from corridor.model.signing import SignedPassage, SigningKey
from corridor.model.vocabulary import VehicleClass
from corridor.monitor.alerts import (
    Alert,
    AlertChange,
    AlertKind,
    ChangeKind,
    Severity,
    SubjectKind,
)
from corridor.monitor.config import MonitorConfig, SilenceConfig
from corridor.store.engine import Store
from corridor.store.schema import alerts
from tests.conftest import SALT, EntryFactory
from tests.store.conftest import StoreFactory, make_store  # noqa: F401  (the fixture)

NOW = datetime(2020, 12, 2, 10, tzinfo=UTC)
SINCE = datetime(2020, 12, 1, tzinfo=UTC)
ADMIN = SigningKey(b"\x01" * 32)
PSEUDONYM_KEY = b"\x05" * 32
KNOWN = "34 AA 123"


@pytest.fixture
def store(make_store: StoreFactory, post_key: SigningKey) -> Store:  # noqa: F811
    store = make_store()
    register_key(store, "test", ADMIN, "admin", ROLE_ADMIN, ADMIN.public_key, SINCE)
    register_key(store, "test", ADMIN, "P01", ROLE_POST, post_key.public_key, SINCE)
    register_vehicles(store, [RegisteredVehicle(KNOWN, VehicleClass.TRUCK)])
    return store


class Published:
    """A publish seam that keeps what it was given."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, Mapping[str, Any]]] = []

    def __call__(self, topic: str, data: Mapping[str, Any]) -> None:
        self.messages.append((topic, data))


def alert_rows(store: Store) -> list[dict[str, Any]]:
    with store.read() as conn:
        return [dict(r._mapping) for r in conn.execute(select(alerts).order_by(alerts.c.id))]


def passage(make_entry: EntryFactory, key: SigningKey, n: int, plate: str) -> Submission:
    private = PrivateRecord(plate=plate)
    entry = make_entry(
        event_id=uuid.UUID(int=5000 + n, version=4),
        vehicle=vehicle_pseudonym(plate, PSEUDONYM_KEY),
        observed_at=NOW + timedelta(minutes=n),
        private=private.commitment(SALT),
    )
    return Submission(SignedPassage.sign(entry, key).raw, private, SALT)


def test_a_passage_by_an_unregistered_plate_is_one_stored_alert_with_its_evidence(
    store: Store, corridor: Corridor, make_entry: EntryFactory, post_key: SigningKey
) -> None:
    published = Published()
    monitor = HqMonitor(store, corridor, PSEUDONYM_KEY, clock=lambda: NOW, publish=published)
    ingestor = Ingestor(store, corridor, clock=lambda: NOW, on_stored=monitor.on_passages)
    known = passage(make_entry, post_key, 1, KNOWN)
    stranger = passage(make_entry, post_key, 2, "99 ZZ 999")
    again = passage(make_entry, post_key, 3, "99-zz-999")
    ingestor.ingest([known, stranger])
    ingestor.ingest([again, stranger])  # the second copy of `stranger` is a duplicate
    monitor.flush()
    rows = alert_rows(store)
    assert [r["kind"] for r in rows] == [AlertKind.UNKNOWN_VEHICLE.value]
    row = rows[0]
    stranger_id = str(SignedPassage.from_bytes(stranger.raw).entry.event_id)
    again_id = str(SignedPassage.from_bytes(again.raw).entry.event_id)
    assert json.loads(row["evidence"]) == [stranger_id, again_id]
    assert row["subject"] == vehicle_pseudonym("99 ZZ 999", PSEUDONYM_KEY)
    assert "99" not in row["message"] and "ZZ" not in row["message"]  # no plate in an alert
    assert row["raised_at"] == "2020-12-02T10:02:00Z" and row["closed_at"] is None
    assert row["acknowledged"] == 0 and row["alert_key"].startswith("unknown_vehicle:")
    # One change per key and batch: the first push opened it, the second updated it.
    assert [m["change"] for topic, m in published.messages if topic == ALERT] == [
        "opened",
        "updated",
    ]


def test_a_silent_post_opens_on_a_tick_and_closes_when_it_syncs(
    store: Store, corridor: Corridor
) -> None:
    config = MonitorConfig(silence=SilenceConfig(silent_after=timedelta(hours=1)))
    monitor = HqMonitor(store, corridor, PSEUDONYM_KEY, config=config, start=NOW)
    for post in [p.id for p in corridor.checkpoints]:
        monitor.on_sync(post, NOW)
    assert monitor.tick(NOW + timedelta(minutes=30)) == []
    monitor.on_sync("P01", NOW + timedelta(hours=2))
    opened = monitor.tick(NOW + timedelta(hours=2))
    silent = {c.alert.subject for c in opened if c.alert.kind is AlertKind.SILENT_POST}
    assert silent == {p.id for p in corridor.checkpoints} - {"P01"}
    rows = alert_rows(store)
    assert {r["subject"] for r in rows} == silent and all(r["closed_at"] is None for r in rows)
    for post in silent:
        monitor.on_sync(post, NOW + timedelta(hours=3))
    monitor.flush()
    assert all(r["closed_at"] is not None for r in alert_rows(store))


def _alert(opened: datetime, closed: datetime | None = None, figure: int = 1) -> Alert:
    return Alert(
        kind=AlertKind.LONG_STOP,
        key="long_stop:v1",
        severity=Severity.WARNING,
        subject="v1",
        subject_kind=SubjectKind.VEHICLE,
        opened_at=opened,
        summary=f"stopped {figure}",
        evidence=("fix-1",),
        figures={"minutes": figure},
        closed_at=closed,
    )


def test_one_row_per_open_key_and_acknowledgement_is_never_overwritten(store: Store) -> None:
    with store.write() as conn:
        store_changes(conn, [AlertChange(ChangeKind.OPENED, _alert(NOW))])
        conn.execute(alerts.update().values(acknowledged=1, acknowledged_by="coordinator"))
        store_changes(conn, [AlertChange(ChangeKind.UPDATED, _alert(NOW, figure=7))])
    (row,) = alert_rows(store)
    assert json.loads(row["figures"]) == {"minutes": 7} and row["message"] == "stopped 7"
    assert row["acknowledged_by"] == "coordinator"
    later = NOW + timedelta(hours=1)
    with store.write() as conn:
        store_changes(conn, [AlertChange(ChangeKind.CLOSED, _alert(NOW, later, 9))])
        store_changes(conn, [AlertChange(ChangeKind.OPENED, _alert(later + timedelta(hours=1)))])
    first, second = alert_rows(store)
    assert first["closed_at"] == "2020-12-02T11:00:00Z" and second["closed_at"] is None
    assert second["raised_at"] == "2020-12-02T12:00:00Z"


def test_after_a_restart_an_open_alert_of_the_same_key_is_taken_over(store: Store) -> None:
    with store.write() as conn:
        store_changes(conn, [AlertChange(ChangeKind.OPENED, _alert(NOW))])
        # A monitor started afresh opens the same condition again: still one row.
        store_changes(conn, [AlertChange(ChangeKind.OPENED, _alert(NOW, figure=3))])
    (row,) = alert_rows(store)
    assert row["message"] == "stopped 3"


def test_a_failing_monitor_never_fails_an_ingest(
    store: Store,
    corridor: Corridor,
    make_entry: EntryFactory,
    post_key: SigningKey,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(topic: str, data: Mapping[str, Any]) -> None:
        raise RuntimeError("the live feed is down")

    monitor = HqMonitor(store, corridor, PSEUDONYM_KEY, clock=lambda: NOW, publish=broken)
    ingestor = Ingestor(store, corridor, clock=lambda: NOW, on_stored=monitor.on_passages)
    with caplog.at_level(logging.ERROR, logger="corridor.hq.monitoring"):
        (accepted,) = ingestor.ingest([passage(make_entry, post_key, 1, "77 XX 777")])
        monitor.flush()
    assert not accepted.duplicate
    assert "the monitor failed on passages; the data itself is stored" in caplog.text
    assert len(alert_rows(store)) == 1  # stored before the feed failed


def test_a_registered_vehicle_closes_its_unknown_vehicle_alert(
    store: Store, corridor: Corridor, make_entry: EntryFactory, post_key: SigningKey
) -> None:
    feed = LiveFeed()
    monitor = HqMonitor(store, corridor, PSEUDONYM_KEY, clock=lambda: NOW, publish=feed.publish)
    Ingestor(store, corridor, clock=lambda: NOW, on_stored=monitor.on_passages).ingest(
        [passage(make_entry, post_key, 1, "55 BB 555")]
    )
    monitor.flush()
    register_vehicles(store, [RegisteredVehicle("55 BB 555", VehicleClass.TRUCK)])
    monitor.refresh_registry(NOW + timedelta(minutes=5))
    (row,) = alert_rows(store)
    assert row["closed_at"] == "2020-12-02T10:05:00Z"


def test_one_write_per_alert_key_and_batch() -> None:
    opened = AlertChange(ChangeKind.OPENED, _alert(NOW))
    updated = AlertChange(ChangeKind.UPDATED, _alert(NOW, figure=2))
    closed = AlertChange(ChangeKind.CLOSED, _alert(NOW, NOW + timedelta(hours=1), 3))
    (only,) = collapsed([opened, updated, closed])
    assert only.change is ChangeKind.OPENED and only.alert.closed_at is not None
    (last,) = collapsed([updated, AlertChange(ChangeKind.UPDATED, _alert(NOW, figure=5))])
    assert last.change is ChangeKind.UPDATED and last.alert.figures == {"minutes": 5}
