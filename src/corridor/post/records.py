"""Values a post node hands out: an outbox row and the console's counts."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from corridor.model.events import PrivateRecord, PublicEntry
from corridor.model.signing import SignedPassage

PENDING = "pending"
LOGGED = "logged"


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """One recorded passage: its post sequence number, the signed log entry, the private part
    (plate, driver, documents: personal data, never logged), and what HQ answered."""

    seq: int
    event_id: str
    entry: bytes
    private_record: str
    salt: bytes
    recorded_at: str
    operator: str
    log_index: int | None = None
    acked_at: str | None = None
    receipt: str | None = None

    @property
    def state(self) -> str:
        """``pending`` until HQ acknowledged the row with a log index, then ``logged``."""
        return PENDING if self.log_index is None else LOGGED

    @property
    def public(self) -> PublicEntry:
        """The public entry the row's log entry carries."""
        return SignedPassage.from_bytes(self.entry).entry

    @property
    def private(self) -> PrivateRecord:
        return PrivateRecord.from_json(json.loads(self.private_record))

    def __repr__(self) -> str:
        # Never show the private record (a repr may end up in a log line or a traceback).
        return (
            f"OutboxRow(seq={self.seq}, event_id={self.event_id!r}, state={self.state!r}, "
            f"log_index={self.log_index})"
        )


def row_from_db(values: Mapping[Any, Any]) -> OutboxRow:
    """An :class:`OutboxRow` from an ``outbox`` row mapping."""
    log_index = values["log_index"]
    return OutboxRow(
        seq=int(values["seq"]),
        event_id=str(values["event_id"]),
        entry=bytes(values["entry"]),
        private_record=str(values["private_record"]),
        salt=bytes(values["salt"]),
        recorded_at=str(values["recorded_at"]),
        operator=str(values["operator"]),
        log_index=None if log_index is None else int(log_index),
        acked_at=values["acked_at"],
        receipt=values["receipt"],
    )


@dataclass(frozen=True, slots=True)
class Counts:
    """What the console shows of the sync state."""

    pending: int
    synced: int
    last_sync_at: str | None
