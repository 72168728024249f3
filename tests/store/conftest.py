"""Stores to test against: SQLite always, PostgreSQL when a server is reachable (see the
``postgres_database`` fixture in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from corridor.store.engine import Store, open_store, sqlite_url

StoreFactory = Callable[[], Store]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreFactory]:
    """Open a migrated, empty store of each kind (each call on the same database)."""
    opened: list[Store] = []
    if request.param == "sqlite":
        url = sqlite_url(tmp_path / "corridor.db")
    else:
        url = request.getfixturevalue("postgres_database")
        _reset_postgres(url)

    def factory() -> Store:
        store = open_store(url)
        opened.append(store)
        return store

    yield factory
    for store in opened:
        store.dispose()


def _reset_postgres(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
