"""The demo's monitoring: the simulated trackers, crews and convoys put in HQ's registries, and
HQ's monitor fed each simulated day as it would have seen it live.

The monitor is HQ's own (:class:`corridor.hq.monitoring.HqMonitor`): the same rules, the same
alerts table, the same live feed. Only time is the simulation's: each day's passages, syncs and
tracker fixes are replayed in windows of :data:`STEP` with the time-driven rules ticked at each
window's end, instead of waiting for the wall clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import func, select

from corridor.hq.convoys import add_convoy
from corridor.hq.crews import add_crew, add_zone
from corridor.hq.devices import register_device
from corridor.hq.monitoring import HqMonitor
from corridor.model.events import format_time
from corridor.model.pseudonym import vehicle_pseudonym
from corridor.model.signing import SignedPassage
from corridor.monitor.alerts import SubjectKind
from corridor.monitor.config import MonitorConfig
from corridor.monitor.convoys import ConvoyPlan
from corridor.monitor.crews import CrewAssignment
from corridor.monitor.observations import PositionFix
from corridor.sim.registry import DeviceRecord
from corridor.sim.registry import SubjectKind as SimulatedSubject
from corridor.sim.scenario import Scenario
from corridor.sim.traffic import SimulatedDay, Simulation
from corridor.store.engine import Store
from corridor.store.schema import alerts

#: How far simulated time moves between two ticks of the time-driven rules.
STEP = timedelta(minutes=5)
KMH_PER_MPS = 3.6


def register_tracking(store: Store, scenario: Scenario, simulation: Simulation) -> None:
    """Every simulated tracker and crew in HQ's registries (the vehicles are there already)."""
    since = datetime.combine(scenario.traffic.start_date, time(), UTC)
    for crew in scenario.crews:
        add_crew(store, crew.id, " / ".join(crew.names))
    for device in simulation.devices:
        if device.subject_kind is SimulatedSubject.CREW:
            register_device(store, device.device_id, since, crew=device.subject)
        else:
            register_device(store, device.device_id, since, vehicle=device.subject)


class DemoMonitor:
    """HQ's monitor over the simulated days, fed one day at a time."""

    def __init__(self, store: Store, scenario: Scenario, simulation: Simulation) -> None:
        self.store = store
        self.scenario = scenario
        self.key = simulation.pseudonym_key
        start = datetime.combine(scenario.traffic.start_date, time(), UTC)
        # The simulation records passages at its entry posts only: the others are not expected
        # to speak, and a leg between two of them is never "overdue".
        config = MonitorConfig(active_posts=frozenset(simulation.recording_posts))
        self.hq = HqMonitor(
            store, scenario.corridor, self.key, config=config, clock=lambda: start, start=start
        )
        self._subjects = {d.device_id: self._subject(d) for d in simulation.devices}

    def _subject(self, device: DeviceRecord) -> tuple[SubjectKind, str]:
        """What a tracker follows, as the monitor names it: a crew id, or a vehicle's pseudonym
        (never its plate)."""
        if device.subject_kind is SimulatedSubject.CREW:
            return SubjectKind.CREW, device.subject
        return SubjectKind.VEHICLE, vehicle_pseudonym(device.subject, self.key)

    def feed(self, day: SimulatedDay) -> None:
        """Register the day's convoys and crew zones, then replay its traffic into the monitor."""
        corridor = self.scenario.corridor
        for convoy in day.convoys:
            add_convoy(
                self.store,
                corridor,
                convoy_id=convoy.convoy_id,
                name=f"Returnee buses {convoy.convoy_id} (SIMULATED)",
                direction=convoy.direction.value,
                planned_departure=format_time(convoy.planned_departure),
                plates=convoy.members,
                clock=lambda: day.end,
            )
            self.hq.monitor.add_convoy(
                ConvoyPlan(
                    convoy.convoy_id,
                    tuple(vehicle_pseudonym(p, self.key) for p in convoy.members),
                    convoy.planned_departure,
                    convoy.route,
                )
            )
        for crew in day.crews:
            add_zone(
                self.store,
                corridor,
                crew_id=crew.crew_id,
                geojson={"type": "Polygon", "coordinates": [_closed_ring(crew.zone)]},
                active_from=format_time(crew.starts_at),
                active_to=format_time(crew.ends_at),
                name=f"{' / '.join(crew.names)}: {crew.starts_at:%Y-%m-%d} (SIMULATED)",
            )
        self.hq.monitor.set_crew_assignments(
            CrewAssignment(c.crew_id, c.zone, c.starts_at, c.ends_at) for c in day.crews
        )
        passages = sorted(
            (
                self.hq.observation(SignedPassage.from_bytes(s.raw), s.private)
                for s in day.submissions
            ),
            key=lambda o: o.observed_at,
        )
        syncs = sorted(((s.post_id, s.at) for s in day.syncs), key=lambda s: s[1])
        self.hq.replay(
            passages,
            self._fixes(day),
            syncs,
            until=day.end,
            step=STEP,
        )

    def _fixes(self, day: SimulatedDay) -> Iterator[PositionFix]:
        for fix in day.fixes():
            kind, subject = self._subjects.get(fix.device_id, (SubjectKind.VEHICLE, None))
            yield PositionFix(
                id=f"{fix.device_id}@{fix.at:%Y%m%dT%H%M%S}",
                device_id=fix.device_id,
                subject_id=subject,
                lon=fix.lon,
                lat=fix.lat,
                at=fix.at,
                subject_kind=kind,
                speed_kmh=fix.speed_mps * KMH_PER_MPS,
            )


def _closed_ring(ring: tuple[tuple[float, float], ...]) -> list[list[float]]:
    """A GeoJSON ring: its last position repeats the first (RFC 7946)."""
    points = [list(p) for p in ring]
    return points if points[0] == points[-1] else [*points, points[0]]


def alerts_by_kind(store: Store) -> dict[str, int]:
    """Alert kind -> how many alerts the monitor raised (opened), over the whole demo."""
    with store.read() as conn:
        rows = conn.execute(
            select(alerts.c.kind, func.count())
            .where(alerts.c.alert_key.is_not(None))
            .group_by(alerts.c.kind)
        ).all()
    return {str(kind): int(n) for kind, n in sorted(rows)}
