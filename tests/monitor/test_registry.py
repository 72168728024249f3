"""unknown_vehicle and unknown_device."""

from __future__ import annotations

from datetime import timedelta

from corridor.model.events import People, PublicEntry
from corridor.model.vocabulary import Direction, PassageKind, ReasonCode, VehicleClass
from corridor.monitor import AlertKind, ChangeKind, PassageObservation, RegistryRule, Severity
from tests.monitor.factories import T0, fix, passage

FLEET = frozenset({"veh-1", "veh-2"})


def test_a_registered_vehicle_raises_nothing() -> None:
    assert RegistryRule(FLEET).on_passage(passage("P01", T0)) == []
    assert RegistryRule().on_passage(passage("P01", T0, vehicle="anything")) == []


def test_an_unregistered_vehicle_is_one_alert_that_grows_and_closes_when_quiet() -> None:
    rule = RegistryRule(FLEET)
    denied = passage("P01", T0, kind=PassageKind.DENIED, vehicle="stranger", event_id="e1")
    opened = rule.on_passage(denied)
    assert [c.change for c in opened] == [ChangeKind.OPENED]
    alert = opened[0].alert
    assert alert.kind is AlertKind.UNKNOWN_VEHICLE and alert.subject == "stranger"
    assert alert.severity is Severity.WARNING and alert.evidence == ("e1",)
    assert rule.on_passage(denied) == []  # the same event twice
    passed = passage("P03", T0 + timedelta(hours=2), vehicle="stranger", event_id="e2")
    updated = rule.on_passage(passed)
    assert updated[0].change is ChangeKind.UPDATED
    assert updated[0].alert.severity is Severity.CRITICAL  # it is in the corridor now
    assert updated[0].alert.figures == {"sightings": 2, "last_post": "P03"}
    assert rule.tick(T0 + timedelta(hours=25)) == []
    closed = rule.tick(T0 + timedelta(hours=27))
    assert closed[0].change is ChangeKind.CLOSED
    assert closed[0].alert.closed_at == T0 + timedelta(hours=26)


def test_the_registered_flag_alone_marks_a_vehicle_unknown() -> None:
    changes = RegistryRule().on_passage(passage("P01", T0, registered=False))
    assert changes[0].alert.subject == "veh-1"


def test_a_registry_update_closes_alerts_of_vehicles_now_known() -> None:
    rule = RegistryRule(FLEET)
    rule.on_passage(passage("P01", T0, vehicle="newcomer"))
    closed = rule.update_registry(T0 + timedelta(hours=1), vehicles=FLEET | {"newcomer"})
    assert closed[0].change is ChangeKind.CLOSED and closed[0].alert.figures["registered"] == 1
    assert not rule.alerts


def test_unknown_devices_alert_once_and_count_their_fixes() -> None:
    rule = RegistryRule(devices=frozenset({"dev-1"}))
    assert rule.on_position(fix((46.5, 39.6), T0)) == []
    opened = rule.on_position(fix((46.5, 39.6), T0, device="dev-x", fix_id="x0"))
    assert opened[0].alert.kind is AlertKind.UNKNOWN_DEVICE
    assert opened[0].alert.subject == "dev-x" and opened[0].alert.evidence == ("x0",)
    for n in range(1, 30):
        at = T0 + timedelta(minutes=n)
        assert rule.on_position(fix((46.5, 39.6), at, device="dev-x")) == []
    closed = rule.tick(T0 + timedelta(days=2))
    assert closed[0].alert.figures["sightings"] == 30
    assert RegistryRule().on_position(fix((46.5, 39.6), T0, device="dev-x")) == []


def test_from_entry_reads_the_posts_verdict() -> None:
    entry = PublicEntry(
        event_id=__import__("uuid").UUID(int=5),
        corridor="lachin",
        post="P01",
        observed_at=T0,
        kind=PassageKind.DENIED,
        direction=Direction.INBOUND,
        vehicle_class=VehicleClass.CAR,
        vehicle="ab" * 16,
        people=People(residents=1),
        cargo=(),
        private="00" * 32,
        reason=ReasonCode.UNREGISTERED_VEHICLE,
    )
    obs = PassageObservation.from_entry(entry)
    assert not obs.registered and obs.event_id == "00000000-0000-0000-0000-000000000005"
    assert PassageObservation.from_entry(entry, registered=True).registered
