"""Dwell and transit times: from passages ingested through HQ's real ingest path, on SQLite and
PostgreSQL, checked against figures this test computes on its own from the same events."""

from __future__ import annotations

import random
import statistics
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Connection, select, text
from sqlalchemy import event as sa_event

from corridor.errors import ValidationError
from corridor.hq.ingest import Ingestor
from corridor.hq.registry import ROLE_ADMIN, ROLE_POST, register_key
from corridor.model.corridor import Corridor, Place, Post, PostKind, RouteVersion
from corridor.model.events import People, PublicEntry, Submission
from corridor.model.signing import SignedPassage, SigningKey
from corridor.model.vocabulary import Direction, PassageKind, ReasonCode, VehicleClass
from corridor.reports.transit import (
    MAX_SECONDS,
    MIN_VEHICLES,
    DurationFigure,
    dwell_times,
    percentile,
    public_figures,
    transit_times,
)
from corridor.store.engine import Store, open_store, sqlite_url
from corridor.store.schema import passages
from tests.conftest import PRIVATE, SALT
from tests.store.conftest import StoreFactory, make_store  # noqa: F401  (the fixture)

ADMIN = SigningKey(b"\x01" * 32)
KEYS = {f"P0{i}": SigningKey(bytes([i + 10]) * 32) for i in (1, 2, 3)}
START = datetime(2021, 3, 1, tzinfo=UTC)
ORDER = ("P01", "P02", "P03")

CORRIDOR = Corridor(
    id="test",
    names=("Test corridor",),
    width_m=5000,
    endpoints=(Place(("West",), (46.40, 39.46)), Place(("East",), (46.75, 39.81))),
    mandate_start=date(2020, 12, 1),
    mandate_end=date(2023, 12, 1),
    routes=(RouteVersion(1, date(2020, 12, 1), None, ((46.40, 39.46), (46.75, 39.81))),),
    posts=tuple(
        Post(pid, (f"Gate {pid}",), (46.40 + 0.175 * i, 39.46 + 0.175 * i), PostKind.CHECKPOINT)
        for i, pid in enumerate(ORDER)
    ),
)


@dataclass(frozen=True)
class Event:
    vehicle: str
    post: str
    at: datetime
    kind: PassageKind
    direction: Direction
    vehicle_class: VehicleClass


def simulated_trips(seed: int, days: int, vehicles: int) -> list[Event]:
    """Trips along the three posts, each way, with inspections, turn-backs, an entry post that
    records no arrival, and now and then an arrival left unrecorded."""
    rng = random.Random(seed)
    events: list[Event] = []
    for n in range(vehicles):
        vehicle = f"{n:032x}"
        cls = VehicleClass.TRUCK if n % 3 else VehicleClass.BUS
        for day in range(days):
            direction = Direction.INBOUND if (n + day) % 2 else Direction.OUTBOUND
            posts = ORDER if direction is Direction.INBOUND else ORDER[::-1]
            moment = START + timedelta(
                days=day, hours=rng.randint(5, 20), minutes=rng.randint(0, 59)
            )
            for i, post in enumerate(posts):

                def add(kind: PassageKind) -> None:
                    events.append(Event(vehicle, post, moment, kind, direction, cls))  # noqa: B023

                if i > 0:
                    moment += timedelta(minutes=rng.randint(20, 90), seconds=rng.randint(0, 59))
                    if rng.random() > 0.05:
                        add(PassageKind.ARRIVED)
                    moment += timedelta(minutes=rng.randint(1, 40), seconds=rng.randint(0, 59))
                if rng.random() < 0.3:
                    add(PassageKind.INSPECTED)
                    moment += timedelta(minutes=rng.randint(5, 30))
                if i > 0 and rng.random() < 0.05:
                    add(PassageKind.TURNED_BACK)
                    break
                add(PassageKind.PASSED)
    return events


Key = tuple[str, str, str, str | None, str, str]


@dataclass
class Expected:
    dwell: dict[Key, list[float]]
    transit: dict[Key, list[float]]
    vehicles: dict[Key, set[str]]


def expected(events: list[Event], first: date, last: date) -> Expected:
    """Dwell and transit samples by group, worked out stay by stay in plain Python."""
    by_vehicle: dict[str, list[Event]] = defaultdict(list)
    for event in events:  # already in time order per vehicle
        by_vehicle[event.vehicle].append(event)
    dwell: dict[Key, list[float]] = defaultdict(list)
    transit: dict[Key, list[float]] = defaultdict(list)
    vehicles: dict[Key, set[str]] = defaultdict(set)
    for vehicle, seen in by_vehicle.items():
        stays: list[list[Event]] = []
        for event in seen:
            if (
                stays
                and stays[-1][-1].post == event.post
                and stays[-1][-1].direction == event.direction
                and event.kind is not PassageKind.ARRIVED
            ):
                stays[-1].append(event)
            else:
                stays.append([event])
        for stay in stays:
            head = stay[0]
            decided = [e for e in stay if e.kind is not PassageKind.ARRIVED]
            if head.kind is PassageKind.ARRIVED and decided:
                key = (
                    "dwell",
                    head.at.date().isoformat(),
                    head.post,
                    None,
                    head.direction,
                    head.vehicle_class,
                )
                if first <= head.at.date() <= last:
                    dwell[key].append((decided[-1].at - head.at).total_seconds())
                    vehicles[key].add(vehicle)
        for here, there in zip(stays, stays[1:], strict=False):
            left = [e for e in here if e.kind is PassageKind.PASSED]
            if not left or there[0].post == here[0].post:
                continue
            if there[0].direction != here[0].direction:
                continue
            out = left[-1]
            key = (
                "transit",
                out.at.date().isoformat(),
                out.post,
                there[0].post,
                out.direction,
                out.vehicle_class,
            )
            if first <= out.at.date() <= last:
                transit[key].append((there[0].at - out.at).total_seconds())
                vehicles[key].add(vehicle)
    return Expected(dict(dwell), dict(transit), dict(vehicles))


def p90(values: list[float]) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=10, method="inclusive")[8]


def ingest(store: Store, events: list[Event]) -> None:
    register_key(store, "test", ADMIN, "admin", ROLE_ADMIN, ADMIN.public_key, START - timedelta(1))
    for post, key in KEYS.items():
        register_key(store, "test", ADMIN, post, ROLE_POST, key.public_key, START - timedelta(1))
    ingestor = Ingestor(store, CORRIDOR, clock=lambda: START + timedelta(days=400))
    batch = []
    for n, e in enumerate(sorted(events, key=lambda e: e.at)):
        denial = e.kind is PassageKind.TURNED_BACK
        entry = PublicEntry(
            event_id=uuid.UUID(int=n + 1, version=4),
            corridor="test",
            post=e.post,
            observed_at=e.at,
            kind=e.kind,
            direction=e.direction,
            vehicle_class=e.vehicle_class,
            vehicle=e.vehicle,
            people=People(crew=1),
            cargo=(),
            private=PRIVATE.commitment(SALT),
            reason=ReasonCode.ROUTE_CLOSED if denial else None,
        )
        batch.append(Submission(SignedPassage.sign(entry, KEYS[e.post]).raw, PRIVATE, SALT))
    for i in range(0, len(batch), 500):
        ingestor.ingest(batch[i : i + 500])


@pytest.fixture
def store(make_store: StoreFactory) -> Store:  # noqa: F811
    return make_store()


@pytest.fixture
def conn(store: Store) -> Iterator[Connection]:
    with store.read() as connection:
        yield connection


def check(
    figures: list[DurationFigure], samples: dict[Key, list[float]], vehicles: dict[Key, set[str]]
) -> None:
    got = {(f.measure, f.day, f.post, f.to_post, f.direction, f.vehicle_class): f for f in figures}
    assert set(got) == set(samples)
    for key, values in samples.items():
        figure = got[key]
        assert figure.samples == len(values)
        assert figure.vehicles == len(vehicles[key])
        assert figure.median_s == pytest.approx(statistics.median(values))
        assert figure.p90_s == pytest.approx(p90(values))


def test_dwell_and_transit_match_figures_worked_out_from_the_same_passages(store: Store) -> None:
    events = simulated_trips(seed=7, days=4, vehicles=14)
    ingest(store, events)
    first, last = date(2021, 3, 2), date(2021, 3, 3)
    want = expected(events, first, last)
    assert want.dwell and want.transit
    with store.read() as conn:
        check(dwell_times(conn, first, last), want.dwell, want.vehicles)
        check(transit_times(conn, "2021-03-02", "2021-03-03"), want.transit, want.vehicles)


def test_a_trip_leaving_on_the_last_day_is_timed_to_its_arrival_after_midnight(
    store: Store,
) -> None:
    late = datetime(2021, 3, 1, 23, 50, tzinfo=UTC)
    events = []
    for n in range(MIN_VEHICLES):
        v = f"{n:032x}"
        at = late + timedelta(minutes=n)
        events += [
            Event(v, "P01", at, PassageKind.PASSED, Direction.INBOUND, VehicleClass.CAR),
            Event(
                v,
                "P02",
                at + timedelta(minutes=30 + n),
                PassageKind.ARRIVED,
                Direction.INBOUND,
                VehicleClass.CAR,
            ),
        ]
    ingest(store, events)
    with store.read() as conn:
        [figure] = transit_times(conn, "2021-03-01", "2021-03-01")
        assert transit_times(conn, "2021-03-02", "2021-03-02") == []
    assert (figure.day, figure.post, figure.to_post) == ("2021-03-01", "P01", "P02")
    assert figure.median_s == statistics.median(30 * 60 + n * 60 for n in range(MIN_VEHICLES))


def test_gaps_over_a_day_and_changes_of_direction_are_not_trips(store: Store) -> None:
    v = "a" * 32
    t = datetime(2021, 3, 1, 8, 0, tzinfo=UTC)
    car = VehicleClass.CAR
    ingest(
        store,
        [
            Event(v, "P01", t, PassageKind.PASSED, Direction.INBOUND, car),
            # seen next at P02 two days later: an arrival was not recorded, not a 48-hour trip
            Event(v, "P02", t + timedelta(days=2), PassageKind.ARRIVED, Direction.INBOUND, car),
            Event(
                v,
                "P02",
                t + timedelta(days=2, minutes=5),
                PassageKind.PASSED,
                Direction.INBOUND,
                car,
            ),
            # back the other way from P02: no transit P02 -> P01 inbound, and no dwell at P01
            Event(
                v,
                "P01",
                t + timedelta(days=2, hours=1),
                PassageKind.ARRIVED,
                Direction.OUTBOUND,
                car,
            ),
        ],
    )
    with store.read() as conn:
        assert transit_times(conn, "2021-03-01", "2021-03-03") == []
        [dwell] = dwell_times(conn, "2021-03-01", "2021-03-03")
    assert (dwell.post, dwell.median_s, dwell.vehicles) == ("P02", 300.0, 1)
    assert MAX_SECONDS < 2 * 86400


def test_public_figures_withhold_what_fewer_than_five_vehicles_give(store: Store) -> None:
    events = simulated_trips(seed=3, days=2, vehicles=30)
    ingest(store, events)
    with store.read() as conn:
        figures = transit_times(conn, "2021-03-01", "2021-03-02")
    public = public_figures(figures)
    small = [f for f in figures if f.vehicles < MIN_VEHICLES]
    assert small and len(small) < len(figures)
    for mine, shown in zip(figures, public, strict=True):
        if mine.vehicles < MIN_VEHICLES:
            assert shown.median_s is None and shown.p90_s is None
            assert shown.note == f"withheld: fewer than {MIN_VEHICLES} vehicles"
            assert shown.vehicles == mine.vehicles
        else:
            assert shown == mine and shown.note is None
    assert "vehicle" not in public[0].to_json()  # a figure names no vehicle


def test_percentile_interpolates_like_percentile_cont() -> None:
    rng = random.Random(1)
    for size in (1, 2, 3, 10, 101):
        values = sorted(rng.uniform(0, 1000) for _ in range(size))
        assert percentile(values, 0.5) == pytest.approx(statistics.median(values))
        assert percentile(values, 0.9) == pytest.approx(p90(values))
    with pytest.raises(ValueError, match="no values"):
        percentile([], 0.5)


@pytest.mark.parametrize(
    ("day_from", "day_to", "field"),
    [
        ("2021-3-1", "2021-03-02", "day_from: expected a day like 2020-12-01, got '2021-3-1'"),
        ("2021-03-01", "tomorrow", "day_to: expected a day like"),
        ("2021-03-05", "2021-03-01", "day_to: 2021-03-01 comes before day_from 2021-03-05"),
        ("2021-01-01", "2022-06-01", "day_to: at most 366 days at once"),
    ],
)
def test_bad_day_ranges_are_refused_naming_the_field(
    conn: Connection, day_from: str, day_to: str, field: str
) -> None:
    for figures in (dwell_times, transit_times):
        with pytest.raises(ValidationError, match=field):
            figures(conn, day_from, day_to)


def test_the_sqlite_plan_reads_the_day_index_and_no_correlated_subquery(tmp_path: Path) -> None:
    store = open_store(sqlite_url(tmp_path / "plan.db"))
    try:
        with store.read() as conn:
            for query in _captured_queries(conn):
                plan = " | ".join(
                    row[-1] for row in conn.execute(text(f"EXPLAIN QUERY PLAN {query}"))
                )
                assert "ix_passages_day" in plan, plan
                assert "CORRELATED" not in plan, plan
                assert plan.count("SCAN passages") == 0, plan
    finally:
        store.dispose()


def _captured_queries(conn: Connection) -> list[str]:
    """The SQL the two reports run, with their parameters inlined."""
    captured: list[str] = []

    def keep(_c: object, _cursor: object, statement: str, params: object, *_: object) -> None:
        if "lag(" in statement.lower():
            rendered = statement
            for value in params if isinstance(params, tuple) else ():
                rendered = rendered.replace("?", repr(value), 1)
            captured.append(rendered)

    engine = conn.engine
    sa_event.listen(engine, "before_cursor_execute", keep)
    try:
        dwell_times(conn, "2021-03-01", "2021-03-02")
        transit_times(conn, "2021-03-01", "2021-03-02")
    finally:
        sa_event.remove(engine, "before_cursor_execute", keep)
    assert len(captured) == 2
    assert conn.execute(select(passages.c.log_index)).first() is None
    return captured
