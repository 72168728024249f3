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

from corridor.model.corridor import Corridor
from corridor.model.events import CargoLine, People, PrivateRecord, PublicEntry, Submission
from corridor.model.pseudonym import vehicle_pseudonym
from corridor.model.signing import SignedPassage, SigningKey
from corridor.model.vocabulary import (
    CargoCategory,
    Direction,
    PassageKind,
    ReasonCode,
    VehicleClass,
)
from corridor.sim.scenario import Scenario, TrafficParameters

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
GOODS_CATEGORIES = (
    CargoCategory.MEDICINE,
    CargoCategory.FUEL,
    CargoCategory.CONSTRUCTION,
    CargoCategory.HUMANITARIAN_OTHER,
    CargoCategory.COMMERCIAL_OTHER,
)
DENIAL_REASONS = (ReasonCode.NO_PERMIT, ReasonCode.DOCUMENT_MISMATCH, ReasonCode.PROHIBITED_CARGO)
#: Traffic runs between these hours (UTC), about 06:00 to 20:00 local time (UTC+4).
DAY_START_UTC = time(2, 0)
DAY_LENGTH = timedelta(hours=14)
INSPECTION_TIME = timedelta(minutes=20)


def derive_key(seed: int, label: str) -> SigningKey:
    """A simulation key derived from the seed (never use this for a real post)."""
    return SigningKey(hashlib.sha256(f"corridor-sim/{seed}/{label}".encode()).digest())


@dataclass(frozen=True, slots=True)
class Vehicle:
    plate: str
    vehicle_class: VehicleClass
    registered: bool = True


@dataclass(frozen=True, slots=True)
class Trip:
    """One vehicle's journey through the corridor, before it becomes events."""

    departure: datetime
    direction: Direction
    vehicle: Vehicle
    people: People
    cargo: tuple[CargoLine, ...] = ()
    outcome: PassageKind = PassageKind.PASSED
    reason: ReasonCode | None = None
    inspected: bool = False
    convoy: str | None = None


@dataclass
class SimulatedDay:
    day: date
    submissions: list[Submission]
    end: datetime


@dataclass
class Simulation:
    """A seeded simulation of ``scenario``: call :meth:`days` to get the events day by day."""

    scenario: Scenario
    seed: int
    post_keys: dict[str, SigningKey] = field(init=False)
    pseudonym_key: bytes = field(init=False)
    fleet: dict[VehicleClass, list[Vehicle]] = field(init=False)

    def __post_init__(self) -> None:
        corridor = self.scenario.corridor
        self.post_keys = {p.id: derive_key(self.seed, f"post/{p.id}") for p in corridor.posts}
        self.pseudonym_key = hashlib.sha256(f"corridor-sim/{self.seed}/pseudonym".encode()).digest()
        self.fleet = {
            cls: [Vehicle(f"SIM {cls.value[:2].upper()} {n:04d}", cls) for n in range(size)]
            for cls, size in FLEET_SIZES.items()
        }

    @property
    def corridor(self) -> Corridor:
        return self.scenario.corridor

    def days(self, count: int) -> Iterator[SimulatedDay]:
        rng = random.Random(self.seed)
        signers = {post: key.signer() for post, key in self.post_keys.items()}
        start = self.scenario.traffic.start_date
        for offset in range(count):
            day = start + timedelta(days=offset)
            trips = _trips_for_day(rng, self, offset, day)
            events = [e for trip in trips for e in self._events(rng, trip)]
            events.sort(key=lambda item: (item[0].observed_at, str(item[0].event_id)))
            submissions = [
                Submission(SignedPassage.sign(entry, signers[entry.post]).raw, private, salt)
                for entry, private, salt in events
            ]
            end = datetime.combine(day + timedelta(days=1), time(0), UTC)
            yield SimulatedDay(day, submissions, end)

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
            steps.append(
                (exit_post, moment + _travel_time(self, traffic), PassageKind.ARRIVED, None)
            )
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


def _travel_time(sim: Simulation, traffic: TrafficParameters) -> timedelta:
    corridor = sim.corridor
    first = corridor.post(traffic.inbound_entry_post).chainage_m
    last = corridor.post(traffic.outbound_entry_post).chainage_m
    hours = abs(last - first) / 1000 / max(traffic.average_speed_kmh, 1.0)
    return timedelta(seconds=round(hours * 3600))


def _count(rng: random.Random, rate: float) -> int:
    """A whole number of trips with the given mean, varying a little from day to day."""
    if rate <= 0:
        return 0
    return max(0, round(rng.gauss(rate, max(rate, 1.0) ** 0.5)))


def _flow_factor(scenario: Scenario, offset: int) -> float:
    factor = 1.0
    for incident in scenario.incidents:
        if incident.kind == "disruption" and incident.day <= offset < incident.day + incident.days:
            factor *= incident.flow_factor
    return factor


def _trips_for_day(rng: random.Random, sim: Simulation, offset: int, day: date) -> list[Trip]:
    traffic = sim.scenario.traffic
    factor = _flow_factor(sim.scenario, offset)
    start = datetime.combine(day, DAY_START_UTC, UTC)

    def departure() -> datetime:
        return start + timedelta(seconds=rng.randrange(int(DAY_LENGTH.total_seconds())))

    def vehicle(cls: VehicleClass) -> Vehicle:
        return rng.choice(sim.fleet[cls])

    trips: list[Trip] = []
    buses = _count(rng, traffic.returnee_buses_per_day * factor)
    for n in range(buses):
        returnees = max(1, round(rng.gauss(traffic.people_per_bus, 4)))
        trips.append(
            Trip(
                departure(),
                Direction.INBOUND,
                vehicle(VehicleClass.BUS),
                People(returnees=returnees, crew=1),
                convoy=f"SIM-{day:%Y%m%d}-{n // 5 + 1:02d}",
            )
        )
    for direction, rate in (
        (Direction.INBOUND, traffic.cars_inbound_per_day),
        (Direction.OUTBOUND, traffic.cars_outbound_per_day),
    ):
        for _ in range(_count(rng, rate * factor)):
            people = max(1, round(rng.gauss(traffic.people_per_car, 1.0)))
            trips.append(
                Trip(departure(), direction, vehicle(VehicleClass.CAR), People(residents=people))
            )
    for rate, food in ((traffic.food_trucks_per_day, True), (traffic.goods_trucks_per_day, False)):
        for _ in range(_count(rng, rate * factor)):
            category = CargoCategory.FOOD if food else rng.choice(GOODS_CATEGORIES)
            kg = rng.randint(traffic.truck_cargo_kg_min, traffic.truck_cargo_kg_max)
            trips.append(
                Trip(
                    departure(),
                    Direction.INBOUND,
                    vehicle(VehicleClass.TRUCK),
                    People(crew=rng.choice((1, 2))),
                    cargo=(CargoLine(category, kg),),
                    inspected=rng.random() < traffic.inspection_rate,
                )
            )
    for cls, rate, crew in (
        (VehicleClass.AMBULANCE, traffic.ambulances_per_day, 2),
        (VehicleClass.REPAIR, traffic.repair_crews_per_day, 4),
        (VehicleClass.OFFICIAL, traffic.official_per_day, 2),
        (VehicleClass.HUMANITARIAN, traffic.humanitarian_per_day, 2),
    ):
        for _ in range(
            _count(rng, rate * max(factor, 0.5 if cls is VehicleClass.AMBULANCE else 0))
        ):
            direction = rng.choice((Direction.INBOUND, Direction.OUTBOUND))
            other = 1 if cls is VehicleClass.AMBULANCE else 0
            trips.append(Trip(departure(), direction, vehicle(cls), People(crew=crew, other=other)))
    trips = [_maybe_denied(rng, traffic, trip) for trip in trips]
    for incident in sim.scenario.incidents:
        if incident.kind == "unregistered_vehicle" and incident.day == offset:
            trips.append(
                Trip(
                    departure(),
                    Direction.INBOUND,
                    Vehicle(f"SIM UNREG {offset:04d}", VehicleClass.CAR, registered=False),
                    People(residents=1),
                    outcome=PassageKind.DENIED,
                    reason=ReasonCode.UNREGISTERED_VEHICLE,
                )
            )
    return trips


def _maybe_denied(rng: random.Random, traffic: TrafficParameters, trip: Trip) -> Trip:
    if trip.vehicle.vehicle_class is VehicleClass.AMBULANCE or rng.random() >= traffic.denial_rate:
        return trip
    outcome = rng.choice((PassageKind.DENIED, PassageKind.TURNED_BACK))
    return Trip(
        trip.departure,
        trip.direction,
        trip.vehicle,
        trip.people,
        trip.cargo,
        outcome=outcome,
        reason=rng.choice(DENIAL_REASONS),
        inspected=trip.inspected,
        convoy=trip.convoy,
    )
