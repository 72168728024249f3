"""A restarted HQ's monitor: the recent past replayed from the store, conditions still true keep
their alert rows, alerts whose condition ended while HQ was down are closed, saying so; and the
plans of the registries (crews' zones, convoys) as the rules take them."""

from __future__ import annotations

from datetime import timedelta

from corridor.hq.convoys import add_convoy
from corridor.hq.ingest import Ingestor
from corridor.hq.monitor_start import RESTART_NOTE, recent_passages, registry_plans, warm_start
from corridor.hq.monitoring import HqMonitor, store_changes
from corridor.hq.vehicles import RegisteredVehicle, register_vehicles
from corridor.model.corridor import Corridor
from corridor.model.pseudonym import vehicle_pseudonym
from corridor.model.signing import SigningKey
from corridor.model.vocabulary import VehicleClass
from corridor.monitor.alerts import AlertChange, ChangeKind
from corridor.store.engine import Store
from tests.conftest import EntryFactory
from tests.hq.test_monitoring import KNOWN, NOW, PSEUDONYM_KEY, _alert, alert_rows, passage, store
from tests.store.conftest import make_store  # noqa: F401  (the fixture)

__all__ = ["store"]  # the fixture, shared with test_monitoring


def test_a_restart_keeps_what_is_still_true_and_closes_what_is_not(
    store: Store, corridor: Corridor, make_entry: EntryFactory, post_key: SigningKey
) -> None:
    before = HqMonitor(store, corridor, PSEUDONYM_KEY, clock=lambda: NOW)
    Ingestor(store, corridor, clock=lambda: NOW, on_stored=before.on_passages).ingest(
        [passage(make_entry, post_key, 1, "99 ZZ 999")]
    )
    before.flush()
    with store.write() as conn:  # a stop HQ saw before it went down, and that has ended since
        store_changes(conn, [AlertChange(ChangeKind.OPENED, _alert(NOW - timedelta(hours=1)))])
    later = NOW + timedelta(minutes=30)
    after = HqMonitor(store, corridor, PSEUDONYM_KEY, clock=lambda: later)
    assert warm_start(after) == 1
    rows = {r["kind"]: r for r in alert_rows(store)}
    assert len(alert_rows(store)) == 2  # the unknown vehicle kept its row: no second one
    assert rows["unknown_vehicle"]["closed_at"] is None
    assert rows["long_stop"]["closed_at"] == "2020-12-02T10:30:00Z"
    assert rows["long_stop"]["message"].endswith(RESTART_NOTE)
    assert {a.kind.value for a in after.monitor.open_alerts()} == {"unknown_vehicle"}


def test_the_replay_reads_passages_since_its_start_with_the_registry_verdict(
    store: Store, corridor: Corridor, make_entry: EntryFactory, post_key: SigningKey
) -> None:
    Ingestor(store, corridor, clock=lambda: NOW).ingest(
        [passage(make_entry, post_key, n, plate) for n, plate in ((1, "34 AA 123"), (5, "X 1"))]
    )
    monitor = HqMonitor(store, corridor, PSEUDONYM_KEY, clock=lambda: NOW)
    with store.read() as conn:
        seen = recent_passages(conn, NOW + timedelta(minutes=2), monitor.registry.pseudonyms)
        everything = recent_passages(conn, NOW, monitor.registry.pseudonyms)
    assert [o.registered for o in everything] == [True, False]
    assert [o.observed_at for o in seen] == [NOW + timedelta(minutes=5)]


def test_plans_come_from_the_registries_with_routes_cut_to_active_posts(
    store: Store, corridor: Corridor
) -> None:
    active = frozenset(p.id for p in corridor.checkpoints)
    assert registry_plans(store, corridor, PSEUDONYM_KEY, active) == ([], [])
    register_vehicles(store, [RegisteredVehicle("55 BB 555", VehicleClass.BUS)])
    add_convoy(
        store,
        corridor,
        convoy_id="C1",
        name="Returnees",
        direction="inbound",
        planned_departure="2020-12-02T08:00:00Z",
        plates=[KNOWN, "55 BB 555"],
    )
    _, (plan,) = registry_plans(store, corridor, PSEUDONYM_KEY, active)
    assert plan.members == (
        vehicle_pseudonym(KNOWN, PSEUDONYM_KEY),
        vehicle_pseudonym("55 BB 555", PSEUDONYM_KEY),
    )
    assert set(plan.route) <= active and plan.route
    first = plan.route[0]
    _, (cut,) = registry_plans(store, corridor, PSEUDONYM_KEY, frozenset({first}))
    assert cut.route == (first,)
