"""What HQ's monitor starts from: the registries' crews and convoys, and, after a restart, the
recent past replayed from the store.

The monitor's state lives in memory. A restarted HQ must not forget a truck that passed post A an
hour ago (overdue), the flow of the last days (the disruption baseline), or which posts spoke
recently (silent post); and an alert whose condition ended while HQ was down must not stay open
for ever. So before the first tick HQ replays the passages of the last :data:`PASSAGES_BACK` and
the positions of the last :data:`POSITIONS_BACK` through the same rules (conditions still true
take over their open alert rows, by key), tells the monitor each post's last contact, and then
closes every open monitor alert the replay did not reopen, saying so.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, select, update

from corridor.hq.convoys import load_convoy_plans
from corridor.hq.crews import load_crew_zones
from corridor.hq.monitoring import HqMonitor
from corridor.hq.sync import LAST_CONTACT
from corridor.model.corridor import Corridor
from corridor.model.events import format_time, parse_time
from corridor.model.vocabulary import Direction, PassageKind, VehicleClass
from corridor.monitor.alerts import SubjectKind
from corridor.monitor.convoys import ConvoyPlan
from corridor.monitor.crews import CrewAssignment
from corridor.monitor.observations import PassageObservation, PositionFix
from corridor.store.engine import Store
from corridor.store.schema import alerts, passages, positions, store_meta

#: How far back a warm start replays passages: the disruption rule's baseline (7 days) and the
#: window it judges, with a day to spare.
PASSAGES_BACK = timedelta(days=8)
#: How far back it replays positions: longer than any stop, excursion or crew check lasts.
POSITIONS_BACK = timedelta(hours=2)
STEP = timedelta(minutes=1)
RESTART_NOTE = " (closed when HQ restarted: the condition was no longer seen)"


def registry_plans(
    store: Store, corridor: Corridor, pseudonym_key: bytes, active: frozenset[str]
) -> tuple[Sequence[CrewAssignment], Sequence[ConvoyPlan]]:
    """The crews' zones and the convoys of the registries, as the monitor's rules take them; a
    convoy's route keeps the posts the monitor expects to hear from."""
    crews = [
        CrewAssignment(z.crew_id, z.zone, z.starts_at, z.ends_at) for z in load_crew_zones(store)
    ]
    convoys = []
    for plan in load_convoy_plans(store, corridor, pseudonym_key):
        route = tuple(post for post in plan.route if post in active)
        if route:
            convoys.append(ConvoyPlan(plan.convoy_id, plan.members, plan.planned_departure, route))
    return crews, convoys


def recent_passages(
    conn: Connection, since: datetime, registered: frozenset[str]
) -> list[PassageObservation]:
    """The passages observed since ``since``, oldest first, as the rules see them; a vehicle is
    registered if its pseudonym is in ``registered``."""
    rows = conn.execute(
        select(
            passages.c.event_id,
            passages.c.post,
            passages.c.observed_at,
            passages.c.kind,
            passages.c.direction,
            passages.c.vehicle_class,
            passages.c.vehicle,
            passages.c.convoy,
        )
        .where(passages.c.observed_at >= format_time(since))
        .order_by(passages.c.observed_at, passages.c.log_index)
    )
    return [
        PassageObservation(
            event_id=r.event_id,
            post_id=r.post,
            observed_at=parse_time(r.observed_at),
            kind=PassageKind(r.kind),
            direction=Direction(r.direction),
            vehicle_class=VehicleClass(r.vehicle_class),
            vehicle=r.vehicle,
            registered=r.vehicle in registered,
            convoy=r.convoy,
        )
        for r in rows
    ]


def recent_positions(conn: Connection, since: datetime) -> list[PositionFix]:
    """The positions fixed since ``since``, oldest first, as the rules see them."""
    rows = conn.execute(
        select(positions)
        .where(positions.c.fixed_at_ms >= int(since.timestamp() * 1000))
        .order_by(positions.c.fixed_at_ms, positions.c.id)
    )
    return [
        PositionFix(
            id=str(r.id),
            device_id=r.device_id,
            subject_id=r.subject_id,
            lon=r.lon,
            lat=r.lat,
            at=datetime.fromtimestamp(r.fixed_at_ms / 1000, UTC),
            subject_kind=SubjectKind.CREW if r.subject_kind == "crew" else SubjectKind.VEHICLE,
            speed_kmh=None if r.speed_mps is None else r.speed_mps * 3.6,
        )
        for r in rows
    ]


def last_contacts(conn: Connection) -> list[tuple[str, datetime]]:
    """Each post's last push or registry pull HQ recorded, oldest first."""
    rows = conn.execute(select(store_meta).where(store_meta.c.key.startswith(LAST_CONTACT)))
    found = [(r.key.removeprefix(LAST_CONTACT), parse_time(r.value)) for r in rows]
    return sorted(found, key=lambda contact: contact[1])


def warm_start(monitor: HqMonitor, now: datetime | None = None) -> int:
    """Replay the recent past into ``monitor`` (see the module's doc) and close the monitor's
    open alerts the replay did not reopen; returns how many were closed."""
    moment = now or monitor.clock()
    with monitor.store.read() as conn:
        seen = recent_passages(conn, moment - PASSAGES_BACK, monitor.registry.pseudonyms)
        fixes = recent_positions(conn, moment - POSITIONS_BACK)
        contacts = last_contacts(conn)
        open_before = set(
            conn.execute(
                select(alerts.c.alert_key).where(
                    alerts.c.alert_key.is_not(None), alerts.c.closed_at.is_(None)
                )
            ).scalars()
        )
    # A post's last contact is told once, at its time: the replay's passages speak for the rest.
    monitor.replay(seen, fixes, contacts, until=moment, step=STEP)
    still_open = {alert.key for alert in monitor.monitor.open_alerts()}
    stale = sorted(open_before - still_open)
    if stale:
        with monitor.store.write() as conn:
            for key in stale:
                conn.execute(
                    update(alerts)
                    .where(alerts.c.alert_key == key, alerts.c.closed_at.is_(None))
                    .values(closed_at=format_time(moment), message=alerts.c.message + RESTART_NOTE)
                )
    return len(stale)
