"""Build real corridor logs for audit tests: signed entries and a static tlog-tiles directory.

:func:`write_log` writes ``checkpoint``, every tile (full and partial, every level) and every
entry bundle for a list of entries, with the ledger's own functions. :func:`corridor_entries`
makes a realistic log: the admin's self-registration, two post keys, an HQ key, passages over two
days, a revocation, and a bulletin with the right figures. Tamper helpers edit files in place.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from corridor.hq.registry import registration_body, revocation_body
from corridor.ledger import (
    Checkpoint,
    Ed25519Signer,
    Note,
    build_tiles,
    encode_entry_bundle,
    entry_bundles_for_size,
    leaf_hash,
    root_from_leaf_hashes,
    sign_checkpoint,
)
from corridor.model.events import CargoLine, People, PublicEntry
from corridor.model.signing import EntryType, SignedPassage, SigningKey, sign_body
from corridor.model.vocabulary import (
    CargoCategory,
    Direction,
    PassageKind,
    ReasonCode,
    VehicleClass,
)
from corridor.reports.bulletin import bulletin_body, bulletin_figures

ORIGIN = "audit.test/log"
CORRIDOR = "test"
START = datetime(2020, 12, 1, 6, 0, tzinfo=UTC)
DAY1 = START.date()
PRIVATE = "ab" * 32


def checkpoint_for(entries: Sequence[bytes], signer: Ed25519Signer) -> Note:
    """The signed checkpoint of a log holding ``entries``."""
    root = root_from_leaf_hashes(leaf_hash(e) for e in entries)
    return sign_checkpoint(Checkpoint(signer.name, len(entries), root), signer)


def write_log(directory: Path, entries: Sequence[bytes], signer: Ed25519Signer) -> Note:
    """Write the static log of ``entries`` to ``directory``; return its checkpoint note."""
    directory.mkdir(parents=True, exist_ok=True)
    for tile, data in build_tiles([leaf_hash(e) for e in entries]).items():
        path = directory / tile.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    for bundle in entry_bundles_for_size(len(entries)):
        start = bundle.index * 256
        path = directory / bundle.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(encode_entry_bundle(entries[start : start + bundle.width]))
    note = checkpoint_for(entries, signer)
    (directory / "checkpoint").write_bytes(note.to_bytes())
    return note


def passage(
    n: int,
    key: SigningKey,
    post: str = "P01",
    at: datetime | None = None,
    kind: PassageKind = PassageKind.PASSED,
) -> bytes:
    """A signed passage entry; ``n`` makes it unique."""
    entry = PublicEntry(
        event_id=uuid.UUID(int=n + 1, version=4),
        corridor=CORRIDOR,
        post=post,
        observed_at=at or START + timedelta(minutes=n),
        kind=kind,
        direction=Direction.INBOUND if n % 3 else Direction.OUTBOUND,
        vehicle_class=VehicleClass.TRUCK if n % 2 else VehicleClass.CAR,
        vehicle=f"{n:032x}",
        people=People(crew=1 + n % 2, residents=n % 4),
        cargo=(CargoLine(CargoCategory.FOOD, 1000 + n),) if kind is PassageKind.PASSED else (),
        private=PRIVATE,
        reason=ReasonCode.NO_PERMIT if kind is PassageKind.DENIED else None,
    )
    return SignedPassage.sign(entry, key).raw


def register(admin: SigningKey, owner: str, role: str, key: SigningKey) -> bytes:
    body = registration_body(CORRIDOR, owner, role, key.public_key, START - timedelta(days=1))
    return sign_body(EntryType.KEY_REGISTRATION, body, admin)


def revoke(admin: SigningKey, owner: str, key: SigningKey, at: datetime) -> bytes:
    body = revocation_body(CORRIDOR, owner, key.public_key, at)
    return sign_body(EntryType.KEY_REVOCATION, body, admin)


def bulletin(hq: SigningKey, day: date, entries: Sequence[bytes], tree_size: int) -> bytes:
    """A bulletin of ``day`` with the figures of the passages among ``entries[:tree_size]``."""
    passages = []
    for raw in entries[:tree_size]:
        try:
            passages.append(SignedPassage.from_bytes(raw).entry)
        except Exception:  # noqa: BLE001 - not a passage
            continue
    body = bulletin_body(CORRIDOR, day, tree_size, bulletin_figures(passages, day), simulated=True)
    return sign_body(EntryType.BULLETIN, body, hq)


@dataclass
class Keys:
    """The keys of a test log."""

    log: Ed25519Signer = field(default_factory=lambda: Ed25519Signer(ORIGIN, b"\x01" * 32))
    admin: SigningKey = field(default_factory=lambda: SigningKey(b"\x02" * 32))
    p01: SigningKey = field(default_factory=lambda: SigningKey(b"\x03" * 32))
    p02: SigningKey = field(default_factory=lambda: SigningKey(b"\x04" * 32))
    hq: SigningKey = field(default_factory=lambda: SigningKey(b"\x05" * 32))

    @property
    def vkey(self) -> str:
        return self.log.verifier().to_vkey()


REVOKED_AT = START + timedelta(hours=2)


def corridor_entries(keys: Keys, passages: int = 300) -> list[bytes]:
    """A clean log: registrations, ``passages`` passages over two posts and two days, the
    revocation of P02's key (after its last passage), and a bulletin for day one."""
    entries = [
        register(keys.admin, "admin", "admin", keys.admin),
        register(keys.admin, "P01", "post", keys.p01),
        register(keys.admin, "P02", "post", keys.p02),
        register(keys.admin, "HQ", "hq", keys.hq),
    ]
    for n in range(passages):
        at = START + timedelta(minutes=7 * n)
        if n < 10:
            entries.append(passage(n, keys.p02, "P02", at=START + timedelta(minutes=n)))
        else:
            kind = PassageKind.DENIED if n % 11 == 0 else PassageKind.PASSED
            entries.append(passage(n, keys.p01, "P01", at=at, kind=kind))
        if n == 10:
            entries.append(revoke(keys.admin, "P02", keys.p02, REVOKED_AT))
    entries.append(bulletin(keys.hq, DAY1, entries, len(entries)))
    return entries
