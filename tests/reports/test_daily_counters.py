"""The daily counters ingest keeps must always equal a GROUP BY over the stored passages: after a
demo, after a rejected batch, after a migration's backfill, on SQLite and PostgreSQL, and over
random batches; the figures read from them must be what the passages say."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, text

from corridor.demo.embedded import run_demo
from corridor.errors import ConflictError
from corridor.hq.ingest import Ingestor
from corridor.hq.registry import ROLE_ADMIN, ROLE_POST, register_key
from corridor.model.corridor import Corridor
from corridor.model.events import CargoLine, People, PublicEntry, Submission
from corridor.model.signing import SignedPassage, SigningKey
from corridor.model.vocabulary import (
    CargoCategory,
    Direction,
    PassageKind,
    ReasonCode,
    VehicleClass,
)
from corridor.reports import summary
from corridor.reports.daily import FlowRow, flow_rows
from corridor.sim.scenario import default_scenario_path
from corridor.store import counters
from corridor.store.engine import Store, open_store, sqlite_url
from tests.conftest import PRIVATE, SALT
from tests.store.conftest import StoreFactory, make_store  # noqa: F401  (the fixture)

ADMIN = SigningKey(b"\x01" * 32)
KEYS = {"P01": SigningKey(b"\x0b" * 32), "P02": SigningKey(b"\x0c" * 32)}
SINCE = datetime(2020, 12, 1, tzinfo=UTC)
NOW = datetime(2020, 12, 20, tzinfo=UTC)
WITH_REASON = (PassageKind.DENIED, PassageKind.TURNED_BACK)

# The counters' meaning, written out independently of store/counters.py.
SUMS = "COUNT(*), SUM(residents), SUM(returnees), SUM(crew), SUM(other), SUM(cargo_kg)"
RAW = {
    "daily_flow": (
        f"SELECT day, post, kind, direction, vehicle_class, {SUMS} FROM passages"
        " GROUP BY day, post, kind, direction, vehicle_class"
    ),
    "daily_totals": (
        f"SELECT kind, day, direction, vehicle_class, {SUMS} FROM passages"
        " GROUP BY kind, day, direction, vehicle_class"
    ),
    "daily_cargo": (
        "SELECT kind, day, category, SUM(kg) FROM cargo_lines GROUP BY kind, day, category"
    ),
    "daily_reasons": (
        "SELECT kind, day, reason, COUNT(*) FROM passages WHERE reason IS NOT NULL"
        " GROUP BY kind, day, reason"
    ),
}


def raw_counts(conn: Connection) -> dict[str, set[tuple[Any, ...]]]:
    return {
        name: {tuple(int(v) if not isinstance(v, str) else v for v in row) for row in rows}
        for name, rows in ((n, conn.execute(text(sql)).all()) for n, sql in RAW.items())
    }


def counter_rows(conn: Connection) -> dict[str, set[tuple[Any, ...]]]:
    return {
        name: {
            tuple(int(v) if not isinstance(v, str) else v for v in row)
            for row in conn.execute(text(f"SELECT * FROM {name}")).all()
        }
        for name in RAW
    }


def assert_counters_match(store: Store) -> None:
    with store.read() as conn:
        assert counter_rows(conn) == raw_counts(conn)
        flows = flow_rows(conn)
        raw_flow = sorted(conn.execute(text(RAW["daily_flow"])).all())
    assert flows == [FlowRow(*row[:5], *(int(v) for v in row[5:])) for row in raw_flow]


@pytest.fixture
def store(make_store: StoreFactory) -> Store:  # noqa: F811
    store = make_store()
    register_key(store, "test", ADMIN, "admin", ROLE_ADMIN, ADMIN.public_key, SINCE)
    for post, key in KEYS.items():
        register_key(store, "test", ADMIN, post, ROLE_POST, key.public_key, SINCE)
    return store


def random_submission(
    rng: random.Random, corridor: Corridor, event_id: uuid.UUID | None = None
) -> Submission:
    kind = rng.choice(list(PassageKind))
    post = rng.choice(sorted(KEYS))
    cargo = tuple(
        CargoLine(rng.choice(list(CargoCategory)), rng.randint(1, 20_000))
        for _ in range(rng.randint(0, 3))
    )
    entry = PublicEntry(
        event_id=event_id or uuid.UUID(int=rng.getrandbits(122), version=4),
        corridor=corridor.id,
        post=post,
        observed_at=SINCE + timedelta(minutes=rng.randint(0, 4 * 24 * 60)),
        kind=kind,
        direction=rng.choice(list(Direction)),
        vehicle_class=rng.choice(list(VehicleClass)),
        vehicle=f"{rng.getrandbits(128):032x}",
        people=People(*(rng.randint(0, 40) for _ in range(4))),
        cargo=cargo,
        reason=rng.choice(list(ReasonCode)) if kind in WITH_REASON else None,
        private=PRIVATE.commitment(SALT),
    )
    return Submission(SignedPassage.sign(entry, KEYS[post]).raw, PRIVATE, SALT)


def test_counters_equal_the_passages_after_random_batches(store: Store, corridor: Corridor) -> None:
    rng = random.Random(6)
    ingestor = Ingestor(store, corridor, clock=lambda: NOW)
    batches = [[random_submission(rng, corridor) for _ in range(n)] for n in (1, 40, 250)]
    for batch in batches:
        ingestor.ingest(batch)
    ingestor.ingest(batches[1][:10])  # duplicates: acknowledged, not counted again
    assert_counters_match(store)
    with store.read() as conn:
        events = sum(row.events for row in flow_rows(conn))
        assert events == 291 == summary.summary(conn)["events"]


def test_a_rejected_batch_leaves_the_counters_as_they_were(
    store: Store, corridor: Corridor
) -> None:
    rng = random.Random(7)
    ingestor = Ingestor(store, corridor, clock=lambda: NOW)
    first = [random_submission(rng, corridor) for _ in range(30)]
    ingestor.ingest(first)
    with store.read() as conn:
        before = counter_rows(conn)
    # Same event id as an ingested one, other content: the whole batch is refused.
    taken = SignedPassage.from_bytes(first[0].raw).entry.event_id
    clash = random_submission(rng, corridor, event_id=taken)
    assert clash.raw != first[0].raw
    batch = [random_submission(rng, corridor) for _ in range(20)] + [clash]
    with pytest.raises(ConflictError, match=r"events\[20\]: event .* already logged"):
        ingestor.ingest(batch)
    with store.read() as conn:
        assert counter_rows(conn) == before
    assert_counters_match(store)


def test_flow_rows_filter_by_days_and_post(store: Store, corridor: Corridor) -> None:
    rng = random.Random(8)
    Ingestor(store, corridor, clock=lambda: NOW).ingest(
        [random_submission(rng, corridor) for _ in range(200)]
    )
    with store.read() as conn:
        every = flow_rows(conn)
        some = flow_rows(conn, first_day="2020-12-02", last_day="2020-12-03", post_id="P02")
    expected = [r for r in every if "2020-12-02" <= r.day <= "2020-12-03" and r.post_id == "P02"]
    assert some == expected and 0 < len(some) < len(every)
    keys = [(r.day, r.post_id, r.kind, r.direction, r.vehicle_class) for r in every]
    assert keys == sorted(keys)


def test_the_migration_backfills_the_counters_from_stored_passages(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "old.db")
    old = open_store(url, migrate=False)
    config = Config()
    config.set_main_option("script_location", str(Path(counters.__file__).parent / "migrations"))
    with old.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0005")
        rows = [
            (n, f"e{n}", f"P0{n % 2 + 1}", f"2020-12-0{n % 3 + 1}", kind, n % 3, n * 10)
            for n, kind in enumerate(["passed", "denied", "passed", "arrived", "passed"] * 4)
        ]
        for n, event_id, post, day, kind, crew, kg in rows:
            conn.execute(text("INSERT INTO log_entries VALUES (:n, 'passage', x'00')"), {"n": n})
            conn.execute(
                text(
                    "INSERT INTO passages (log_index, event_id, post, observed_at, day, kind,"
                    " direction, vehicle_class, vehicle, residents, returnees, crew, other,"
                    " cargo_kg, reason, received_at, skew_seconds) VALUES (:n, :e, :post,"
                    " :day || 'T08:00:00Z', :day, :kind, 'inbound', 'truck', 'v', 1, 2, :crew,"
                    " 0, :kg, :reason, '2020-12-05T00:00:00Z', 0)"
                ),
                {
                    "n": n,
                    "e": event_id,
                    "post": post,
                    "day": day,
                    "kind": kind,
                    "crew": crew,
                    "kg": kg,
                    "reason": "no_permit" if kind == "denied" else None,
                },
            )
            if kg:
                conn.execute(
                    text("INSERT INTO cargo_lines VALUES (:n, 0, 'food', :kg, :day, :kind)"),
                    {"n": n, "kg": kg, "day": day, "kind": kind},
                )
    old.dispose()
    store = open_store(url)
    try:
        assert_counters_match(store)
        with store.read() as conn:
            assert summary.people_by_category(conn)["crew"] == sum(
                r[5] for r in rows if r[4] == "passed"
            )
            assert summary.denials_by_reason(conn)["no_permit"] == 4
    finally:
        store.dispose()


def test_rebuild_recomputes_the_counters(store: Store, corridor: Corridor) -> None:
    rng = random.Random(9)
    Ingestor(store, corridor, clock=lambda: NOW).ingest(
        [random_submission(rng, corridor) for _ in range(50)]
    )
    with store.write() as conn:
        conn.execute(text("UPDATE daily_flow SET events = events + 1"))
        counters.rebuild(conn)
    assert_counters_match(store)


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    result = run_demo(
        tmp_path_factory.mktemp("demo") / "data", default_scenario_path(), days=1, seed=5
    )
    store = open_store(sqlite_url(result.datadir.path / "corridor.db"), migrate=False)
    yield store
    store.dispose()


def test_counters_equal_the_passages_after_a_demo(demo_store: Store) -> None:
    assert_counters_match(demo_store)


def test_the_figures_read_from_the_counters_are_the_passages(demo_store: Store) -> None:
    with demo_store.read() as conn:
        figures = summary.summary(conn)
        total = conn.execute(text("SELECT COUNT(*) FROM passages")).scalar_one()
        returnees = conn.execute(
            text("SELECT SUM(returnees) FROM passages WHERE kind = 'passed'")
        ).scalar_one()
        denials: dict[str, int] = dict(
            conn.execute(
                text(
                    "SELECT reason, COUNT(*) FROM passages"
                    " WHERE kind IN ('denied', 'turned_back') GROUP BY reason"
                )
            ).all()
        )
        daily = summary.daily_counts(conn)
        by_class = conn.execute(
            text(
                "SELECT direction, vehicle_class, COUNT(*) FROM passages WHERE kind = 'passed'"
                " GROUP BY direction, vehicle_class"
            )
        ).all()
        cargo: dict[str, int] = dict(
            conn.execute(
                text(
                    "SELECT category, SUM(kg) FROM cargo_lines WHERE kind = 'passed'"
                    " GROUP BY category"
                )
            ).all()
        )
    assert figures["events"] == total > 0
    assert figures["returnees_cumulative"] == returnees
    assert {r: n for r, n in figures["denials_by_reason"].items() if n} == denials
    for direction, vehicle_class, count in by_class:
        assert sum(d["passed"][direction][vehicle_class] for d in daily) == count
    assert {c: t for c, t in figures["cargo_tonnes"].items() if t} == {
        c: kg / 1000 for c, kg in cargo.items()
    }


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sizes=st.lists(st.integers(1, 30), min_size=1, max_size=4), seed=st.integers(0, 2**32))
def test_counters_match_over_random_batches(
    tmp_path: Path, corridor: Corridor, sizes: list[int], seed: int
) -> None:
    store = open_store(sqlite_url(tmp_path / f"h{uuid.uuid4().hex}.db"))
    try:
        register_key(store, "test", ADMIN, "admin", ROLE_ADMIN, ADMIN.public_key, SINCE)
        for post, key in KEYS.items():
            register_key(store, "test", ADMIN, post, ROLE_POST, key.public_key, SINCE)
        rng = random.Random(seed)
        ingestor = Ingestor(store, corridor, clock=lambda: NOW)
        for size in sizes:
            ingestor.ingest([random_submission(rng, corridor) for _ in range(size)])
        assert_counters_match(store)
    finally:
        store.dispose()
