"""Opening a store: the engine, SQLite's durability settings, migrations, and the one writer.

SQLite runs in WAL mode with ``synchronous=FULL`` so that a committed write survives a power cut,
and every write transaction starts with ``BEGIN IMMEDIATE`` under a process-wide lock: there is
exactly one writer, and it never meets ``SQLITE_BUSY`` half-way through a transaction. Readers
use their own connections and see the last committed state (WAL snapshot isolation).
On PostgreSQL (``postgresql://...``, through psycopg 3) several processes may share the
database, so every write transaction first takes one transaction-scoped advisory lock: whichever
process holds it is the sequencer, and log indices stay contiguous with no gap and no duplicate.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError

from corridor.errors import ConfigError

#: The advisory lock key of the sequencer (any constant; "corridor" in ASCII, truncated).
SEQUENCER_LOCK = 0x636F72726964


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def _normalise_url(url: str) -> str:
    # Accept the libpq form and choose psycopg 3, the maintained driver.
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (pysqlite's own
        # implicit BEGIN is deferred, which invites SQLITE_BUSY mid-transaction).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        # Bigger page cache and rarer WAL checkpoints: faster bulk ingest, same durability
        # (a committed transaction is in the fsynced WAL whether or not it was checkpointed).
        cursor.execute("PRAGMA cache_size=-65536")
        cursor.execute("PRAGMA wal_autocheckpoint=8192")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


class Store:
    """A database holding one corridor's log, passages and registries.

    Use :meth:`write` for every write (one writer, one transaction) and :meth:`read` for reads.
    """

    def __init__(self, url: str) -> None:
        self.url = _normalise_url(url)
        self.is_sqlite = self.url.startswith("sqlite")
        self.engine = create_engine(self.url, future=True, pool_pre_ping=not self.is_sqlite)
        if self.is_sqlite:
            _configure_sqlite(self.engine)
        self._write_lock = threading.Lock()

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction: committed when the block ends, rolled back on any error."""
        with self._write_lock:
            conn = self.engine.connect()
            if self.is_sqlite:
                conn = conn.execution_options(sqlite_begin="IMMEDIATE")
            try:
                with conn.begin():
                    if not self.is_sqlite:
                        conn.execute(
                            text("SELECT pg_advisory_xact_lock(:key)"), {"key": SEQUENCER_LOCK}
                        )
                    yield conn
            finally:
                conn.close()

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only snapshot."""
        with self.engine.connect() as conn, conn.begin():
            yield conn

    def migrate(self) -> None:
        """Bring the schema to the newest migration (creates it on an empty database)."""
        config = Config()
        config.set_main_option(
            "script_location", str(resources.files("corridor.store") / "migrations")
        )
        try:
            with self.engine.begin() as conn:
                config.attributes["connection"] = conn
                command.upgrade(config, "head")
        except OperationalError as exc:
            raise ConfigError(f"cannot open or migrate the store at {self.url}: {exc}") from exc

    def dispose(self) -> None:
        self.engine.dispose()


def open_store(url: str, *, migrate: bool = True) -> Store:
    """Open (and by default migrate) the store at ``url``."""
    store = Store(url)
    if migrate:
        store.migrate()
    return store
