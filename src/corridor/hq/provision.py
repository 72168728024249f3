"""Setting up an HQ node: its data directory, its keys, and the first entries of its log.

:func:`init_hq` is what `corridor hq init` and `corridor demo` run: it writes the admin, HQ and
log keys and the pseudonym key (mode 0600), registers the admin key (the log's first entry) and
the HQ key, and publishes the first checkpoint.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, time
from pathlib import Path

from corridor.datadir import DataDir, log_origin
from corridor.hq.bulletins import ROLE_HQ
from corridor.hq.publish import LogPublisher
from corridor.hq.registry import ROLE_ADMIN, register_key
from corridor.hq.services import LOG_KEY_FILE, PSEUDONYM_KEY_FILE
from corridor.keyfile import write_key, write_log_key, write_secret
from corridor.ledger.keys import Ed25519Signer
from corridor.model.signing import SigningKey
from corridor.sim.scenario import Scenario
from corridor.store.engine import Store

ADMIN_KEY_FILE = "admin.key"
HQ_KEY_FILE = "hq.key"


@dataclass(frozen=True)
class HqKeys:
    """The keys of an HQ: admin (signs key registrations), HQ (signs bulletins), log (signs
    checkpoints; its name is the log's origin) and the vehicle pseudonym key (HMAC)."""

    admin: SigningKey
    hq: SigningKey
    log: Ed25519Signer
    pseudonym: bytes

    @classmethod
    def generate(cls, origin: str) -> HqKeys:
        return cls(
            SigningKey.generate(),
            SigningKey.generate(),
            Ed25519Signer(origin, os.urandom(32)),
            os.urandom(32),
        )

    def write(self, keys_dir: Path) -> None:
        write_key(keys_dir / ADMIN_KEY_FILE, self.admin)
        write_key(keys_dir / HQ_KEY_FILE, self.hq)
        write_log_key(keys_dir / LOG_KEY_FILE, self.log)
        write_secret(keys_dir / PSEUDONYM_KEY_FILE, self.pseudonym)


def init_hq(
    directory: Path,
    scenario_file: Path,
    *,
    database_url: str | None = None,
    keys: HqKeys | None = None,
    scenario: Scenario | None = None,
    demo: bool = False,
) -> tuple[DataDir, Store, HqKeys]:
    """Make a fresh HQ data directory and store; returns them and the keys (the store is open:
    dispose of it when done). ``scenario``, if given, is ``scenario_file`` already loaded."""
    datadir = DataDir.create_fresh(directory, scenario_file, demo=demo)
    corridor = (scenario or datadir.scenario()).corridor
    keys = keys or HqKeys.generate(log_origin(corridor.id))
    keys.write(datadir.keys)
    store = datadir.open_store(database_url)
    since = datetime.combine(corridor.mandate_start, time(0), UTC)
    admin = keys.admin
    register_key(store, corridor.id, admin, "admin", ROLE_ADMIN, admin.public_key, since)
    register_key(store, corridor.id, admin, "hq", ROLE_HQ, keys.hq.public_key, since)
    LogPublisher(store, keys.log, export_dir=datadir.log).publish()
    return datadir, store, keys
