"""Stores to test against: SQLite always, PostgreSQL when a server is reachable.

PostgreSQL tests use ``CORRIDOR_TEST_POSTGRES_URL`` (default ``postgresql://postgres@127.0.0.1:5432/test``,
the server CI provides), create a fresh database for the run and drop it at the end.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from corridor.store.engine import Store, open_store, sqlite_url

POSTGRES_URL = os.environ.get(
    "CORRIDOR_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


def _postgres_admin() -> object:
    import psycopg

    try:
        return psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(
            f"PostgreSQL not reachable at {POSTGRES_URL} ({exc.__class__.__name__}): install and "
            "start postgresql, or set CORRIDOR_TEST_POSTGRES_URL"
        )


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test run; its URL."""
    import psycopg

    admin = _postgres_admin()
    assert isinstance(admin, psycopg.Connection)
    name = f"corridor_test_{uuid.uuid4().hex[:12]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = POSTGRES_URL.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


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
