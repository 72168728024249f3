"""HQ's services over one data directory: ingest, publishing, sync, the registries, monitoring
and the live feed.

The web app and the CLI build one :class:`HqServices` and call it; nothing here knows HTTP.
Ingest tells the monitor of each batch's new passages once committed, a post's push or registry
pull counts as its contact (for ``silent_post`` and the coordinator's "last sync"), and the
monitor's alerts and every contact go to the live feed the coordinator's pages follow.
"""

from __future__ import annotations

import base64
import threading
from dataclasses import asdict, dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import select

from corridor.datadir import DataDir
from corridor.errors import NotFoundError
from corridor.hq.ingest import Clock, Ingestor, system_clock
from corridor.hq.live import POSITION, SYNC, LiveFeed
from corridor.hq.monitor_start import registry_plans
from corridor.hq.monitoring import HqMonitor
from corridor.hq.positions import StoredPosition
from corridor.hq.publish import LogPublisher
from corridor.hq.sync import LAST_CONTACT, REGISTRY, PostCredentials, SyncService, authenticate
from corridor.hq.workspace import position_json
from corridor.keyfile import read_log_key, read_secret
from corridor.model.corridor import Corridor
from corridor.model.events import format_time
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
    monitoring: bool = True
    live: LiveFeed = field(default_factory=LiveFeed)
    monitor: HqMonitor | None = field(init=False)
    ingestor: Ingestor = field(init=False)
    sync: SyncService = field(init=False)

    def __post_init__(self) -> None:
        self.monitor = None
        if self.monitoring:
            active = frozenset(post.id for post in self.corridor.checkpoints)
            self.monitor = HqMonitor(
                self.store,
                self.corridor,
                self.pseudonym_key,
                clock=self.clock,
                publish=self.live.publish,
                plans=partial(
                    registry_plans, self.store, self.corridor, self.pseudonym_key, active
                ),
            )
        # HQ never refuses an event for its time: a post's clock may be wrong (docs/sync.md).
        self.ingestor = Ingestor(
            self.store,
            self.corridor,
            clock=self.clock,
            max_future=None,
            on_stored=self.monitor.on_passages if self.monitor is not None else None,
        )
        self.sync = SyncService(self.store, self.ingestor, self.clock, on_contact=self.contact)

    def positions_stored(self, stored: list[StoredPosition]) -> None:
        """Positions the intake has just committed: to the monitor, and to the coordinators'
        live map (the ``position`` topic, which only coordinators and admins receive)."""
        if self.monitor is not None:
            self.monitor.on_positions([p.fix() for p in stored])
        for position in stored:
            self.live.publish(POSITION, position_json(asdict(position)))

    def contact(self, post: str, at: datetime, stored: int) -> None:
        """A post pushed (``stored`` new events) or pulled its registry at ``at``."""
        with self.store.write() as conn:
            queries.set_meta(conn, LAST_CONTACT + post, format_time(at))
        if self.monitor is not None:
            self.monitor.on_sync(post, at)
        self.live.publish(SYNC, {"post": post, "accepted": stored, "at": format_time(at)})

    @classmethod
    def for_datadir(cls, datadir: DataDir, store: Store, *, monitoring: bool = True) -> HqServices:
        log_key_path = datadir.keys / LOG_KEY_FILE
        if not log_key_path.exists():
            raise NotFoundError(f"{log_key_path} is missing: this data directory has no log key")
        publisher = LogPublisher(store, read_log_key(log_key_path), export_dir=datadir.log)
        pseudonym = read_secret(datadir.keys / PSEUDONYM_KEY_FILE)
        return cls(store, datadir.scenario().corridor, publisher, pseudonym, monitoring=monitoring)

    def registry_for(self, credentials: PostCredentials) -> dict[str, Any]:
        """What a post pulls: keys, vehicles, permits, its operators, the pseudonym key and the
        log's verifier key. Only for a post that signs the request with its own key."""
        now = self.clock()
        authenticate(self.store, credentials, REGISTRY, b"", now)
        self.contact(credentials.post, now, 0)
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
