"""A day's trips, before they become events: how many of each class, when, and in which convoy.

Every draw comes from the simulation's one ``random.Random`` in a fixed order, so a seed gives the
same trips. Buses fill the scenario's daily convoys in order (the rest travel alone); a tracked
vehicle makes one trip a day at most, so its tracker is never in two places at once.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

from corridor.model.events import CargoLine, People
from corridor.model.vocabulary import (
    CargoCategory,
    Direction,
    PassageKind,
    ReasonCode,
    VehicleClass,
)
from corridor.sim.hours import DAY_LENGTH, DAY_START_UTC
from corridor.sim.itinerary import Detour
from corridor.sim.scenario import ConvoySpec, Scenario, TrafficParameters

GOODS_CATEGORIES = (
    CargoCategory.MEDICINE,
    CargoCategory.FUEL,
    CargoCategory.CONSTRUCTION,
    CargoCategory.HUMANITARIAN_OTHER,
    CargoCategory.COMMERCIAL_OTHER,
)
DENIAL_REASONS = (ReasonCode.NO_PERMIT, ReasonCode.DOCUMENT_MISMATCH, ReasonCode.PROHIBITED_CARGO)


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
    detour: Detour | None = None

    @property
    def extra(self) -> timedelta:
        return self.detour.extra if self.detour is not None else timedelta(0)


def convoy_id(day: date, spec: ConvoySpec) -> str:
    return f"SIM-{day:%Y%m%d}-{spec.id}"


def _count(rng: random.Random, rate: float) -> int:
    """A whole number of trips with the given mean, varying a little from day to day."""
    if rate <= 0:
        return 0
    return max(0, round(rng.gauss(rate, max(rate, 1.0) ** 0.5)))


def flow_factor(scenario: Scenario, offset: int) -> float:
    factor = 1.0
    for incident in scenario.incidents:
        if incident.kind == "disruption" and incident.day <= offset < incident.day + incident.days:
            factor *= incident.flow_factor
    return factor


class _Picker:
    """Draws vehicles; a tracked vehicle already on the road today is swapped for the next free
    one in fleet order (the draw itself is unchanged, so the random stream is too)."""

    def __init__(
        self,
        rng: random.Random,
        pool: Mapping[VehicleClass, Sequence[Vehicle]],
        tracked: frozenset[VehicleClass],
    ) -> None:
        self.rng, self.pool, self.tracked = rng, pool, tracked
        self.used: set[str] = set()

    def __call__(self, cls: VehicleClass) -> Vehicle:
        vehicles = self.pool[cls]
        chosen = self.rng.choice(vehicles)
        if cls not in self.tracked:
            return chosen
        start = vehicles.index(chosen)
        for step in range(len(vehicles)):
            candidate = vehicles[(start + step) % len(vehicles)]
            if candidate.plate not in self.used:
                self.used.add(candidate.plate)
                return candidate
        return chosen  # more trips than vehicles: one tracker makes two trips


def plan_day(
    rng: random.Random,
    scenario: Scenario,
    pool: Mapping[VehicleClass, Sequence[Vehicle]],
    tracked: frozenset[VehicleClass],
    offset: int,
    day: date,
) -> list[Trip]:
    """The ordinary trips of day ``offset`` (incident trips are added by :mod:`.incidents`)."""
    traffic = scenario.traffic
    factor = flow_factor(scenario, offset)
    start = datetime.combine(day, DAY_START_UTC, DAY_START_UTC.tzinfo)
    start = start.replace(tzinfo=UTC)

    def departure() -> datetime:
        return start + timedelta(seconds=rng.randrange(int(DAY_LENGTH.total_seconds())))

    vehicle: Callable[[VehicleClass], Vehicle] = _Picker(rng, pool, tracked)
    slots = _convoy_slots(scenario.convoys, day)
    trips: list[Trip] = []
    for n in range(_count(rng, traffic.returnee_buses_per_day * factor)):
        returnees = max(1, round(rng.gauss(traffic.people_per_bus, 4)))
        on_board = People(returnees=returnees, crew=1)
        trip = Trip(departure(), Direction.INBOUND, vehicle(VehicleClass.BUS), on_board)
        if n < len(slots):
            leaves, convoy = slots[n]
            trip = replace(trip, departure=leaves, convoy=convoy)
        trips.append(trip)
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
    for incident in scenario.incidents:
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
    return _whole_convoys(trips)


def _convoy_slots(convoys: Sequence[ConvoySpec], day: date) -> list[tuple[datetime, str]]:
    """(departure, convoy id) of each bus place in the day's convoys, earliest convoy first."""
    slots = []
    for spec in sorted(convoys, key=lambda c: (c.departure, c.id)):
        leaves = datetime.combine(day, spec.departure, UTC)
        for place in range(spec.buses):
            slots.append((leaves + timedelta(seconds=place * spec.headway_s), convoy_id(day, spec)))
    return slots


def _whole_convoys(trips: list[Trip]) -> list[Trip]:
    """A bus turned away leaves its convoy; a convoy left with one bus is no convoy."""
    trips = [replace(t, convoy=None) if t.outcome is not PassageKind.PASSED else t for t in trips]
    sizes: dict[str, int] = {}
    for trip in trips:
        if trip.convoy is not None:
            sizes[trip.convoy] = sizes.get(trip.convoy, 0) + 1
    return [replace(t, convoy=None) if t.convoy and sizes[t.convoy] < 2 else t for t in trips]


def _maybe_denied(rng: random.Random, traffic: TrafficParameters, trip: Trip) -> Trip:
    if trip.vehicle.vehicle_class is VehicleClass.AMBULANCE or rng.random() >= traffic.denial_rate:
        return trip
    outcome = rng.choice((PassageKind.DENIED, PassageKind.TURNED_BACK))
    return replace(trip, outcome=outcome, reason=rng.choice(DENIAL_REASONS))


def travel_time(scenario: Scenario) -> timedelta:
    """Entry to exit checkpoint at the scenario's average speed (every trip drives it)."""
    corridor, traffic = scenario.corridor, scenario.traffic
    first = corridor.post(traffic.inbound_entry_post).chainage_m
    last = corridor.post(traffic.outbound_entry_post).chainage_m
    hours = abs(last - first) / 1000 / max(traffic.average_speed_kmh, 1.0)
    return timedelta(seconds=round(hours * 3600))
