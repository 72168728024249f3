"""Store set-up: migrations match the schema, SQLite is durable (WAL, synchronous=FULL)."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from corridor.store import queries
from corridor.store.engine import open_store, sqlite_url
from corridor.store.schema import metadata
from tests.store.conftest import StoreFactory


def test_migrations_create_exactly_the_schema(make_store: StoreFactory) -> None:
    store = make_store()
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_migrating_twice_is_harmless(make_store: StoreFactory) -> None:
    store = make_store()
    with store.write() as conn:
        queries.set_meta(conn, "corridor", "lachin")
    make_store()
    with store.read() as conn:
        assert queries.get_meta(conn, "corridor") == "lachin"


def test_sqlite_runs_in_wal_mode_with_full_sync(tmp_path: Path) -> None:
    store = open_store(sqlite_url(tmp_path / "c.db"))
    with store.read() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    store.dispose()


def test_a_committed_write_is_seen_by_a_new_process_view(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "c.db")
    writer = open_store(url)
    with writer.write() as conn:
        queries.set_meta(conn, "k", "v")
    reader = open_store(url, migrate=False)
    with reader.read() as conn:
        assert queries.get_meta(conn, "k") == "v"
    writer.dispose()
    reader.dispose()


def test_a_failed_write_rolls_back(make_store: StoreFactory) -> None:
    store = make_store()
    try:
        with store.write() as conn:
            queries.set_meta(conn, "k", "v")
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    with store.read() as conn:
        assert queries.get_meta(conn, "k") is None
