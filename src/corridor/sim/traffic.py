"""Seeded traffic simulation of a scenario: signed passage events, day by day.

Everything random comes from one ``random.Random(seed)``, and the simulation's keys and salts are
derived from the seed, so the same seed gives byte-identical log entries (real posts use fresh
random keys and salts: :class:`corridor.model.signing.SigningKey` and
:func:`corridor.model.events.new_salt`).
The events go through :class:`corridor.ingest.Ingestor` like any post's: there is no back door.

How a trip becomes events (docs/data-model.md explains the counting rule):

* at the entry checkpoint of its direction: ``passed``, or ``inspected`` then ``passed``, or
  ``denied`` / ``turned_back`` with a reason;
* a trip that passed is seen again at the exit checkpoint as ``arrived``, after the travel time
  at the scenario's average speed.

Figures (people, cargo) count ``passed`` events only, so nobody is counted twice.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from corridor.geo.band import CorridorGeometry
from corridor.geo.projection import LocalProjection
from corridor.model.corridor import Corridor
from corridor.model.events import PrivateRecord, PublicEntry, Submission
from corridor.model.pseudonym import vehicle_pseudonym
from corridor.model.signing import SignedPassage, SigningKey
from corridor.model.vocabulary import Direction, PassageKind, ReasonCode, VehicleClass
from corridor.sim.hours import INSPECTION_TIME
from corridor.sim.incidents import (
    entry_point,
    incident_trips,
    incident_vehicles,
    silences,
    straggling,
)
from corridor.sim.itinerary import RouteTrack, trip_path
from corridor.sim.registry import (
    ConvoyRecord,
    CrewRecord,
    DeviceRecord,
    PostSync,
    SubjectKind,
    crew_path,
    crew_records,
    device_id,
    syncs,
    unknown_device_path,
)
from corridor.sim.scenario import IncidentKind, Scenario
from corridor.sim.tracking import Path, TrackerFix, merged
from corridor.sim.trips import Trip, Vehicle, convoy_id, plan_day, travel_time

#: Registry sizes per class: enough vehicles for plates to repeat across days, as they do.
FLEET_SIZES = {
    VehicleClass.BUS: 60,
    VehicleClass.CAR: 900,
    VehicleClass.TRUCK: 200,
    VehicleClass.AMBULANCE: 12,
    VehicleClass.REPAIR: 30,
    VehicleClass.OFFICIAL: 40,
    VehicleClass.HUMANITARIAN: 30,
}


def derive_key(seed: int, label: str) -> SigningKey:
    """A simulation key derived from the seed (never use this for a real post)."""
    return SigningKey(hashlib.sha256(f"corridor-sim/{seed}/{label}".encode()).digest())


@dataclass
class SimulatedDay:
    """One day: the signed passages, the posts' syncs, the day's convoys and crews, and the
    tracker paths, which :meth:`fixes` samples lazily (a day is about 10,000 fixes)."""

    day: date
    submissions: list[Submission]
    end: datetime
    syncs: list[PostSync] = field(default_factory=list)
    convoys: list[ConvoyRecord] = field(default_factory=list)
    crews: list[CrewRecord] = field(default_factory=list)
    paths: list[Path] = field(default_factory=list)
    projection: LocalProjection | None = None
    fix_interval_s: int = 60
    seed: int = 0

    def fixes(self) -> Iterator[TrackerFix]:
        """The day's tracker fixes in time order, generated as they are read."""
        if self.projection is None:
            return iter(())
        return merged(self.paths, self.projection, self.fix_interval_s, self.seed)


@dataclass
class Simulation:
    """A seeded simulation of ``scenario``: call :meth:`days` to get the events day by day."""

    scenario: Scenario
    seed: int
    post_keys: dict[str, SigningKey] = field(init=False)
    pseudonym_key: bytes = field(init=False)
    fleet: dict[VehicleClass, list[Vehicle]] = field(init=False)
    devices: list[DeviceRecord] = field(init=False)

    def __post_init__(self) -> None:
        corridor = self.scenario.corridor
        self.post_keys = {p.id: derive_key(self.seed, f"post/{p.id}") for p in corridor.posts}
        self.pseudonym_key = hashlib.sha256(f"corridor-sim/{self.seed}/pseudonym".encode()).digest()
        self._pool = {
            cls: [Vehicle(f"SIM {cls.value[:2].upper()} {n:04d}", cls) for n in range(size)]
            for cls, size in FLEET_SIZES.items()
        }
        # The registry: the fleet trips are drawn from, plus the incidents' own trucks.
        self.fleet = {cls: list(vehicles) for cls, vehicles in self._pool.items()}
        self.fleet[VehicleClass.TRUCK] += incident_vehicles(self.scenario)
        tracked = set(self.scenario.traffic.tracked_classes)
        self._tracked = frozenset(tracked)
        self.devices = [
            DeviceRecord(device_id(v.plate), v.plate, SubjectKind.VEHICLE)
            for cls, vehicles in self.fleet.items()
            for v in vehicles
            if cls in tracked or v in incident_vehicles(self.scenario)
        ] + [DeviceRecord(device_id(c.id), c.id, SubjectKind.CREW) for c in self.scenario.crews]
        self._tracked_plates = frozenset(d.subject for d in self.devices)
        self.geometry = CorridorGeometry(corridor)
        self.track = RouteTrack(self.geometry)

    @property
    def corridor(self) -> Corridor:
        return self.scenario.corridor

    @property
    def recording_posts(self) -> tuple[str, ...]:
        """The checkpoints that record passages (and sync) in the simulation: the entry posts.
        These are the monitor's active posts."""
        traffic = self.scenario.traffic
        return (traffic.inbound_entry_post, traffic.outbound_entry_post)

    def days(self, count: int) -> Iterator[SimulatedDay]:
        rng = random.Random(self.seed)
        # Incident trips draw their ids and salts from their own stream, so the ordinary traffic
        # is the same with or without them.
        side = random.Random(f"{self.seed}/incidents")
        signers = {post: key.signer() for post, key in self.post_keys.items()}
        start = self.scenario.traffic.start_date
        for offset in range(count):
            day = start + timedelta(days=offset)
            trips = plan_day(rng, self.scenario, self._pool, self._tracked, offset, day)
            trips = straggling(self.scenario, trips, offset, day)
            extra = incident_trips(self.scenario, self.track, offset, day)
            events = [e for trip in trips for e in self._events(rng, trip)]
            events += [e for trip in extra for e in self._events(side, trip)]
            events.sort(key=lambda item: (item[0].observed_at, str(item[0].event_id)))
            submissions = [
                Submission(SignedPassage.sign(entry, signers[entry.post]).raw, private, salt)
                for entry, private, salt in events
            ]
            end = datetime.combine(day + timedelta(days=1), time(0), UTC)
            yield SimulatedDay(
                day,
                submissions,
                end,
                syncs=syncs(self.recording_posts, day, silences(self.scenario, offset, day)),
                convoys=self._convoys(trips, day),
                crews=crew_records(self.scenario, day),
                paths=self._paths(trips + extra, offset, day),
                projection=self.geometry.projection,
                fix_interval_s=self.scenario.traffic.fix_interval_s,
                seed=self.seed,
            )

    def _convoys(self, trips: list[Trip], day: date) -> list[ConvoyRecord]:
        records = []
        for spec in self.scenario.convoys:
            cid = convoy_id(day, spec)
            members = sorted((t for t in trips if t.convoy == cid), key=lambda t: t.departure)
            if len(members) >= 2:
                records.append(
                    ConvoyRecord(
                        cid,
                        tuple(t.vehicle.plate for t in members),
                        datetime.combine(day, spec.departure, UTC),
                        spec.direction,
                        self.recording_posts
                        if spec.direction is Direction.INBOUND
                        else self.recording_posts[::-1],
                    )
                )
        return records

    def _paths(self, trips: list[Trip], offset: int, day: date) -> list[Path]:
        paths = []
        for trip in trips:
            if trip.outcome is not PassageKind.PASSED:
                continue  # turned away at the entry: never on the corridor's road
            if trip.vehicle.plate not in self._tracked_plates:
                continue
            entry, exit_ = entry_point(self.scenario, self.track, trip.direction)
            first = trip.departure
            passed = first + (INSPECTION_TIME if trip.inspected else timedelta(0))
            paths.append(
                trip_path(
                    self.track,
                    device_id(trip.vehicle.plate),
                    entry=entry,
                    exit_=exit_,
                    first_seen=first,
                    passed=passed,
                    arrived=passed + travel_time(self.scenario) + trip.extra,
                    detour=trip.detour,
                )
            )
        for crew in self.scenario.crews:
            paths.append(crew_path(self.scenario, self.track, crew, offset))
        for incident in self.scenario.incidents:
            if incident.kind is IncidentKind.UNKNOWN_DEVICE and incident.day == offset:
                paths.append(unknown_device_path(self.scenario, self.track, incident, day, offset))
        return paths

    def _events(
        self, rng: random.Random, trip: Trip
    ) -> list[tuple[PublicEntry, PrivateRecord, bytes]]:
        traffic = self.scenario.traffic
        inbound = trip.direction is Direction.INBOUND
        entry_post = traffic.inbound_entry_post if inbound else traffic.outbound_entry_post
        exit_post = traffic.outbound_entry_post if inbound else traffic.inbound_entry_post
        private = PrivateRecord(
            plate=trip.vehicle.plate,
            driver=f"Simulated driver {rng.randrange(10_000):04d}",
            documents=(f"SIM-PERMIT-{rng.randrange(1_000_000):06d}",),
            manifest=tuple(
                {"name": f"Simulated person {rng.randrange(1_000_000):06d}"}
                for _ in range(trip.people.total)
            ),
        )
        pseudonym = vehicle_pseudonym(trip.vehicle.plate, self.pseudonym_key)
        steps: list[tuple[str, datetime, PassageKind, ReasonCode | None]] = []
        moment = trip.departure
        if trip.inspected:
            steps.append((entry_post, moment, PassageKind.INSPECTED, None))
            moment += INSPECTION_TIME
        steps.append((entry_post, moment, trip.outcome, trip.reason))
        if trip.outcome is PassageKind.PASSED:
            arrived = moment + travel_time(self.scenario) + trip.extra
            steps.append((exit_post, arrived, PassageKind.ARRIVED, None))
        out = []
        for post, observed, kind, reason in steps:
            salt = rng.randbytes(16)
            entry = PublicEntry(
                event_id=uuid.UUID(int=rng.getrandbits(128), version=4),
                corridor=self.corridor.id,
                post=post,
                observed_at=observed,
                kind=kind,
                direction=trip.direction,
                vehicle_class=trip.vehicle.vehicle_class,
                vehicle=pseudonym,
                people=trip.people,
                cargo=trip.cargo,
                private=private.commitment(salt),
                reason=reason,
                convoy=trip.convoy,
            )
            out.append((entry, private, salt))
        return out
