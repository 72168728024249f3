"""Simulated-looking traffic for the monitor tests, built from a scenario's parameters.

It mirrors :mod:`corridor.sim.traffic` (the same daily rates, departures spread over the 14
hours of daylight, entry and exit checkpoints, travel at the scenario's average speed, a few
denials and inspections) and adds what the monitor needs: tracker fixes for some trips with GPS
noise, syncs from the two active posts every 10 minutes, a crew at work in its zone, a planned
convoy each day. It builds observations, not signed entries, so it does not depend on ingest.
With ``incidents=True`` the scenario's incidents are injected (kinds it does not know are
ignored), and ``feed.incident_subjects`` names the subject each one should raise an alert for.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import numpy as np

from corridor.geo import CorridorGeometry
from corridor.model.vocabulary import Direction, PassageKind, VehicleClass
from corridor.monitor import (
    AlertChange,
    ConvoyPlan,
    CrewAssignment,
    Monitor,
    PassageObservation,
    PositionFix,
    SubjectKind,
)
from corridor.sim.scenario import Incident, Scenario
from tests.monitor.factories import off_route, off_route_many

DAY_START = time(2, 0)
DAY_SECONDS = 14 * 3600
FIX_EVERY = timedelta(seconds=60)
SYNC_EVERY = timedelta(minutes=10)
FLEET = {
    VehicleClass.BUS: 60,
    VehicleClass.CAR: 900,
    VehicleClass.TRUCK: 200,
    VehicleClass.AMBULANCE: 12,
    VehicleClass.REPAIR: 30,
    VehicleClass.OFFICIAL: 40,
    VehicleClass.HUMANITARIAN: 30,
}
CREW = "CREW-7"
#: Vehicles the incidents use, numbered apart from the fleet so no normal trip mixes in.
INCIDENT_VEHICLES = {
    "left_band": "SIM-car-9001",
    "long_stop": "SIM-car-9002",
    "overdue": "SIM-truck-9001",
}
UNREGISTERED = "SIM-UNREG-0001"
STRAY_DEVICE = "trk-STRAY"


@dataclass
class Feed:
    """Everything a run of days produced, and who is registered."""

    passages: list[PassageObservation] = field(default_factory=list)
    fixes: list[PositionFix] = field(default_factory=list)
    syncs: list[tuple[str, datetime]] = field(default_factory=list)
    convoys: list[ConvoyPlan] = field(default_factory=list)
    crews: list[CrewAssignment] = field(default_factory=list)
    fleet: frozenset[str] = frozenset()
    devices: frozenset[str] = frozenset()
    incident_subjects: dict[str, str] = field(default_factory=dict)


class Traffic:
    """Seeded traffic for ``scenario``."""

    def __init__(self, scenario: Scenario, seed: int, *, incidents: bool = False) -> None:
        self.scenario = scenario
        self.corridor = scenario.corridor
        self.geometry = CorridorGeometry(scenario.corridor)
        self.rng = random.Random(seed)
        self.incidents = incidents
        t = scenario.traffic
        self.entry = {
            Direction.INBOUND: t.inbound_entry_post,
            Direction.OUTBOUND: t.outbound_entry_post,
        }
        self.exit = {
            Direction.INBOUND: t.outbound_entry_post,
            Direction.OUTBOUND: t.inbound_entry_post,
        }
        fleet = {f"SIM-{cls.value}-{n:04d}" for cls, size in FLEET.items() for n in range(size)}
        fleet |= set(INCIDENT_VEHICLES.values())
        fleet |= {f"SIM-humanitarian-{n:04d}" for n in range(9100, 9103)}  # the convoy
        self.feed = Feed(fleet=frozenset(fleet))
        self.feed.devices = frozenset(f"trk-{v}" for v in fleet) | {f"trk-{CREW}"}
        self._n = 0

    def _id(self, prefix: str) -> str:
        self._n += 1
        return f"{prefix}-{self._n:07d}"

    def chainage(self, post: str, day: date) -> float:
        p = self.corridor.post(post)
        return self.geometry.chainage_m(p.point[0], p.point[1], day)

    def days(self, count: int) -> Feed:
        for offset in range(count):
            self._day(offset, self.scenario.traffic.start_date + timedelta(days=offset))
        return self.feed

    def _count(self, rate: float) -> int:
        return max(0, round(self.rng.gauss(rate, max(rate, 1.0) ** 0.5))) if rate > 0 else 0

    def _today(self, offset: int) -> list[Incident]:
        return [i for i in self.scenario.incidents if self.incidents and i.day == offset]

    def _factor(self, offset: int) -> float:
        factor = 1.0
        for i in self.scenario.incidents if self.incidents else ():
            if i.kind == "disruption" and i.day <= offset < i.day + i.days:
                factor *= i.flow_factor
        return factor

    def _day(self, offset: int, day: date) -> None:
        t = self.scenario.traffic
        rng, factor, today = self.rng, self._factor(offset), self._today(offset)
        start = datetime.combine(day, DAY_START, UTC)
        plan: list[tuple[Direction, VehicleClass, float]] = [
            (Direction.INBOUND, VehicleClass.BUS, t.returnee_buses_per_day),
            (Direction.INBOUND, VehicleClass.CAR, t.cars_inbound_per_day),
            (Direction.OUTBOUND, VehicleClass.CAR, t.cars_outbound_per_day),
            (Direction.INBOUND, VehicleClass.TRUCK, t.food_trucks_per_day + t.goods_trucks_per_day),
        ]
        for cls, rate in (
            (VehicleClass.AMBULANCE, t.ambulances_per_day),
            (VehicleClass.REPAIR, t.repair_crews_per_day),
            (VehicleClass.OFFICIAL, t.official_per_day),
            (VehicleClass.HUMANITARIAN, t.humanitarian_per_day),
        ):
            plan += [(d, cls, rate / 2) for d in Direction]
        for direction, cls, rate in plan:
            for _ in range(self._count(rate * factor)):
                depart = start + timedelta(seconds=rng.randrange(DAY_SECONDS))
                vehicle = f"SIM-{cls.value}-{rng.randrange(FLEET[cls]):04d}"
                self.trip(depart, direction, cls, vehicle, tracked=rng.random() < 0.15)
        late = sum(
            (timedelta(minutes=i.minutes or 0) for i in today if i.kind == "convoy"), timedelta()
        )
        self._convoy(day, start + timedelta(hours=3), late)
        self._crew(day, next((i for i in today if i.kind == "crew_zone"), None))
        self._syncs(day, [i for i in today if i.kind == "silent_post"])
        for incident in today:
            self._incident(incident, start)

    def trip(
        self,
        depart: datetime,
        direction: Direction,
        cls: VehicleClass,
        vehicle: str,
        *,
        tracked: bool = False,
        delay: timedelta = timedelta(0),
        registered: bool = True,
        convoy: str | None = None,
        route: Callable[[np.ndarray], np.ndarray] | None = None,
        denied: bool | None = None,
    ) -> None:
        """One trip: entry passage(s), fixes along the route if tracked, exit arrival."""
        rng, feed = self.rng, self.feed
        entry, leave = self.entry[direction], self.exit[direction]

        def emit(post: str, at: datetime, kind: PassageKind) -> None:
            feed.passages.append(
                PassageObservation(
                    self._id("ev"), post, at, kind, direction, cls, vehicle, registered, convoy
                )
            )

        if cls is VehicleClass.TRUCK and rng.random() < self.scenario.traffic.inspection_rate:
            emit(entry, depart, PassageKind.INSPECTED)
            depart += timedelta(minutes=20)
        if denied is None:
            rate = self.scenario.traffic.denial_rate
            denied = cls is not VehicleClass.AMBULANCE and rng.random() < rate
        if denied:
            emit(entry, depart, PassageKind.DENIED)
            return
        emit(entry, depart, PassageKind.PASSED)
        a, b = self.chainage(entry, depart.date()), self.chainage(leave, depart.date())
        travel = timedelta(hours=abs(b - a) / 1000 / self.scenario.traffic.average_speed_kmh)
        emit(leave, depart + travel + delay, PassageKind.ARRIVED)
        if tracked:
            steps = int(travel / FIX_EVERY)
            times = [depart + n * FIX_EVERY for n in range(steps + 1)]
            chainages = a + (b - a) * np.arange(steps + 1) / max(steps, 1)
            offsets = np.array([rng.gauss(0, 10) for _ in times])
            if route is not None:
                offsets = offsets + route(chainages)
            self._fixes(vehicle, times, chainages, offsets, depart.date())

    def _fixes(
        self,
        vehicle: str,
        times: list[datetime],
        chainages: np.ndarray,
        offsets: np.ndarray,
        day: date,
        device: str | None = None,
    ) -> None:
        lons, lats = off_route_many(self.geometry, chainages, offsets, day)
        device = device or f"trk-{vehicle}"
        subject = None if device == STRAY_DEVICE else vehicle
        for at, lon, lat in zip(times, lons.tolist(), lats.tolist(), strict=True):
            self.feed.fixes.append(PositionFix(self._id("fx"), device, subject, lon, lat, at))

    def _syncs(self, day: date, silences: list[Incident]) -> None:
        quiet = [
            (i.post, datetime.combine(day, i.at, UTC), timedelta(minutes=i.minutes or 0))
            for i in silences
            if i.at is not None
        ]
        for post in (self.entry[Direction.INBOUND], self.entry[Direction.OUTBOUND]):
            moment = datetime.combine(day, time(0), UTC)
            while moment.date() == day:
                if not any(p == post and a <= moment < a + m for p, a, m in quiet):
                    self.feed.syncs.append((post, moment))
                moment += SYNC_EVERY

    def _convoy(self, day: date, depart: datetime, late: timedelta) -> None:
        """Three humanitarian trucks 2 min apart; the last one ``late`` behind its place."""
        members = tuple(f"SIM-humanitarian-{n:04d}" for n in range(9100, 9103))
        convoy = f"CONVOY-{day:%Y%m%d}"
        route = (self.entry[Direction.INBOUND], self.exit[Direction.INBOUND])
        self.feed.convoys.append(ConvoyPlan(convoy, members, depart, route))
        if late:
            self.feed.incident_subjects["convoy"] = convoy
        for n, member in enumerate(members):
            at = (
                depart + timedelta(minutes=2 * n) + (late if n == len(members) - 1 else timedelta())
            )
            cls = VehicleClass.HUMANITARIAN
            self.trip(at, Direction.INBOUND, cls, member, convoy=convoy, denied=False)

    def crew_zone(self, day: date) -> tuple[tuple[float, float], ...]:
        """A 600 m square work zone, 1.2 to 1.8 km east of the route at chainage 20 km."""
        corners = [(-300, 1200), (-300, 1800), (300, 1800), (300, 1200)]
        return tuple(off_route(self.geometry, 20_000 + along, side, day) for along, side in corners)

    def _crew(self, day: date, incident: Incident | None) -> None:
        """The crew works in its zone 04:00-12:00, a fix every 5 min; an incident takes it
        ``offset_m`` beyond the zone's far edge for ``minutes`` from ``at``."""
        begin = datetime.combine(day, time(4), UTC)
        zone = self.crew_zone(day)
        self.feed.crews.append(CrewAssignment(CREW, zone, begin, begin + timedelta(hours=8)))
        away_from = away_to = begin
        if incident is not None and incident.at is not None:
            self.feed.incident_subjects["crew_zone"] = CREW
            away_from = datetime.combine(day, incident.at, UTC)
            away_to = away_from + timedelta(minutes=incident.minutes or 0)
        moment = begin + timedelta(minutes=5)
        while moment < begin + timedelta(hours=8):
            along, side = self.rng.uniform(-250, 250), self.rng.uniform(1250, 1750)
            if away_from <= moment < away_to and incident is not None:
                side = 1800 + (incident.offset_m or 0.0)
            lon, lat = off_route(self.geometry, 20_000 + along, side, day)
            device = f"trk-{CREW}"
            self.feed.fixes.append(
                PositionFix(self._id("fx"), device, CREW, lon, lat, moment, SubjectKind.CREW)
            )
            moment += timedelta(minutes=5)

    def _incident(self, i: Incident, start: datetime) -> None:
        subjects = self.feed.incident_subjects
        at = start + timedelta(hours=2)
        if i.kind == "leaves_band" and i.post is not None and i.offset_m is not None:
            c, off = self.chainage(i.post, at.date()) + 1000, i.offset_m
            vehicle = subjects["left_band"] = INCIDENT_VEHICLES["left_band"]

            def detour(ch: np.ndarray) -> np.ndarray:
                return np.where((ch > c) & (ch < c + 8000), off, 0.0)

            cls = VehicleClass.CAR
            self.trip(at, Direction.INBOUND, cls, vehicle, tracked=True, denied=False, route=detour)
        elif i.kind == "overdue":
            vehicle = subjects["overdue"] = INCIDENT_VEHICLES["overdue"]
            late = timedelta(minutes=i.minutes or 0)
            self.trip(at, Direction.INBOUND, VehicleClass.TRUCK, vehicle, denied=False, delay=late)
        elif i.kind == "long_stop" and i.post is not None and i.minutes is not None:
            vehicle = subjects["long_stop"] = INCIDENT_VEHICLES["long_stop"]
            stop_at = self.chainage(i.post, at.date()) + 2000
            self._stop_trip(at, vehicle, stop_at, timedelta(minutes=i.minutes))
        elif i.kind == "unregistered_vehicle":
            subjects["unknown_vehicle"] = UNREGISTERED
            cls = VehicleClass.CAR
            self.trip(at, Direction.INBOUND, cls, UNREGISTERED, registered=False, denied=True)
        elif i.kind == "unknown_device":
            subjects["unknown_device"] = STRAY_DEVICE
            moment = datetime.combine(start.date(), i.at or time(6), UTC)
            count = i.minutes or 30
            times = [moment + n * FIX_EVERY for n in range(count)]
            chainages = np.linspace(5000.0, 5000.0 + count * 600, count)
            self._fixes("", times, chainages, np.zeros(count), start.date(), STRAY_DEVICE)
        elif i.kind == "silent_post" and i.post is not None:
            subjects["silent_post"] = i.post

    def _stop_trip(self, depart: datetime, vehicle: str, stop_at: float, stop: timedelta) -> None:
        """A tracked inbound car that stands at chainage ``stop_at`` for ``stop``."""
        self.trip(depart, Direction.INBOUND, VehicleClass.CAR, vehicle, delay=stop, denied=False)
        a = self.chainage(self.entry[Direction.INBOUND], depart.date())
        b = self.chainage(self.exit[Direction.INBOUND], depart.date())
        step = self.scenario.traffic.average_speed_kmh / 3.6 * FIX_EVERY.total_seconds()
        times: list[datetime] = []
        chainages: list[float] = []
        moment, here = depart, a
        while here < b:
            times.append(moment)
            chainages.append(here)
            moment += FIX_EVERY
            if here < stop_at <= here + step:
                here, until = stop_at, moment + stop
                while moment < until:
                    times.append(moment)
                    chainages.append(here)
                    moment += FIX_EVERY
            here += step
        offsets = np.array([self.rng.gauss(0, 8) for _ in times])
        self._fixes(vehicle, times, np.array(chainages), offsets, depart.date())


def run(
    monitor: Monitor,
    feed: Feed,
    until: datetime,
    tick_every: timedelta = timedelta(minutes=5),
) -> list[AlertChange]:
    """Feed ``monitor`` everything in time order, ticking every ``tick_every``, up to ``until``.

    Fixes are handed over in batches (those between two ticks), as positions intake would."""
    changes: list[AlertChange] = []
    for plan in feed.convoys:
        changes += monitor.add_convoy(plan)
    monitor.set_crew_assignments(feed.crews)
    items: list[tuple[datetime, int, int, object]] = []
    items += [(s[1], 0, n, s) for n, s in enumerate(feed.syncs)]
    items += [(p.observed_at, 1, n, p) for n, p in enumerate(feed.passages)]
    items += [(f.at, 2, n, f) for n, f in enumerate(feed.fixes)]
    heapq.heapify(items)
    now = items[0][0]
    while now <= until:
        batch: list[PositionFix] = []
        while items and items[0][0] <= now:
            item = heapq.heappop(items)[3]
            if isinstance(item, PositionFix):
                batch.append(item)
                continue
            changes += monitor.on_positions(batch)
            batch = []
            if isinstance(item, PassageObservation):
                changes += monitor.on_passage(item)
            else:
                assert isinstance(item, tuple)
                changes += monitor.on_sync(item[0], item[1])
        changes += monitor.on_positions(batch)
        changes += monitor.tick(now)
        now += tick_every
    return changes
