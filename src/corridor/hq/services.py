"""HQ's services over one data directory: ingest, publishing, sync and the registries.

The web app and the CLI build one :class:`HqServices` and call it; nothing here knows HTTP.
"""

from __future__ import annotations

import base64
import threading
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from corridor.datadir import DataDir
from corridor.errors import NotFoundError
from corridor.hq.ingest import Clock, Ingestor, system_clock
from corridor.hq.publish import LogPublisher
from corridor.hq.sync import REGISTRY, PostCredentials, SyncService, authenticate
from corridor.keyfile import read_log_key, read_secret
from corridor.model.corridor import Corridor
from corridor.store import queries
from corridor.store.engine import Store
from corridor.store.schema import operators, permits, vehicles

PSEUDONYM_KEY_FILE = "pseudonym.key"
LOG_KEY_FILE = "log.key"


@dataclass
class HqServices:
    """Ingest, publishing and sync of one HQ node."""

    store: Store
    corridor: Corridor
    publisher: LogPublisher
    pseudonym_key: bytes
    clock: Clock = system_clock
    ingestor: Ingestor = field(init=False)
    sync: SyncService = field(init=False)

    def __post_init__(self) -> None:
        # HQ never refuses an event for its time: a post's clock may be wrong (docs/sync.md).
        self.ingestor = Ingestor(self.store, self.corridor, clock=self.clock, max_future=None)
        self.sync = SyncService(self.store, self.ingestor, self.clock)

    @classmethod
    def for_datadir(cls, datadir: DataDir, store: Store) -> HqServices:
        log_key_path = datadir.keys / LOG_KEY_FILE
        if not log_key_path.exists():
            raise NotFoundError(f"{log_key_path} is missing: this data directory has no log key")
        publisher = LogPublisher(store, read_log_key(log_key_path), export_dir=datadir.log)
        pseudonym = read_secret(datadir.keys / PSEUDONYM_KEY_FILE)
        return cls(store, datadir.scenario().corridor, publisher, pseudonym)

    def registry_for(self, credentials: PostCredentials) -> dict[str, Any]:
        """What a post pulls: keys, vehicles, permits, its operators, the pseudonym key and the
        log's verifier key. Only for a post that signs the request with its own key."""
        authenticate(self.store, credentials, REGISTRY, b"", self.clock())
        with self.store.read() as conn:
            keys = [
                {
                    "owner": k.owner,
                    "role": k.role,
                    "key": base64.b64encode(k.public_key).decode(),
                    "valid_from": k.valid_from,
                    "revoked_at": k.revoked_at,
                }
                for k in queries.all_keys(conn)
            ]
            fleet = [dict(row._mapping) for row in conn.execute(select(vehicles))]
            permit_rows = [dict(row._mapping) for row in conn.execute(select(permits))]
            staff = [
                dict(row._mapping)
                for row in conn.execute(
                    select(operators).where(operators.c.post == credentials.post)
                )
            ]
        return {
            "post": credentials.post,
            "keys": keys,
            "vehicles": fleet,
            "permits": permit_rows,
            "operators": staff,
            "pseudonym_key": base64.b64encode(self.pseudonym_key).decode(),
            "log_vkey": self.publisher.vkey,
        }


class PublishLoop:
    """Publishes a checkpoint every ``interval`` seconds while the log grows (background)."""

    def __init__(self, publisher: LogPublisher, interval: float) -> None:
        self.publisher = publisher
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="publisher", daemon=True)

    def start(self) -> None:
        self.publisher.repair()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self.publisher.publish()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.publisher.publish()
