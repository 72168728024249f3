"""The one way into the store: verify, validate, dedupe, sequence and store, in one transaction.

Real posts, the simulator and (later) the sync endpoint all call :meth:`Ingestor.ingest`. A batch
is all or nothing: if any event is bad the whole batch is rejected with an error naming the event
and the field, and the store and the log are left exactly as they were.

Order of work, and why:

1. Outside the write transaction, the CPU-heavy part: parse each entry, check it is canonical,
   check its signature and the commitment to its private record, and validate its rules.
2. Inside one write transaction (one writer): check each key was registered to the entry's post
   and in force at the observed time; dedupe by event id against the store and within the batch
   (same id and same bytes: acknowledged with the index it already has; same id, other bytes:
   :class:`ConflictError`); give new entries the next contiguous log indices; insert the log
   entries, the public rows and the private records. The commit makes them durable together.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import Connection

from corridor.errors import ConflictError, CorridorError, SignatureError, ValidationError
from corridor.model.corridor import Corridor
from corridor.model.events import PrivateRecord, Submission, format_time
from corridor.model.signing import EntryType, SignedPassage
from corridor.model.validation import DEFAULT_MAX_FUTURE, validate_entry
from corridor.store import queries
from corridor.store.engine import Store

Clock = Callable[[], datetime]
AlsoInTransaction = Callable[[Connection, list["Accepted"]], None]
#: Told of the passages a batch newly stored, once they are committed (HQ's monitor).
OnStored = Callable[[Sequence[tuple[SignedPassage, PrivateRecord | None]]], None]


def system_clock() -> datetime:
    return datetime.now(UTC)


class CheckedBatch(NamedTuple):
    """A batch that passed :meth:`Ingestor.check`: each event parsed and verified, with its
    canonical private record, and the clock reading it was checked against."""

    batch: Sequence[Submission]
    checked: list[tuple[SignedPassage, bytes | None]]
    now: datetime


class Accepted(NamedTuple):
    """The outcome for one submitted event: its log index, and whether it was already stored."""

    event_id: str
    log_index: int
    duplicate: bool
    skew_seconds: int = 0


def _at(position: int, exc: CorridorError) -> CorridorError:
    """The same error, with the event's position in the batch in front of its field."""
    if isinstance(exc, ValidationError):
        return type(exc)(f"events[{position}].{exc.field}", exc.reason)
    return type(exc)(f"events[{position}]: {exc.message}")


class Ingestor:
    """Accepts batches of signed passage events into a store."""

    def __init__(
        self,
        store: Store,
        corridor: Corridor,
        *,
        clock: Clock = system_clock,
        max_future: timedelta | None = DEFAULT_MAX_FUTURE,
        on_stored: OnStored | None = None,
    ) -> None:
        """``max_future=None`` accepts events from any time and only records their skew: HQ
        must never drop what a post with a wrong clock recorded (docs/sync.md). ``on_stored``
        hears of each batch's new passages after the commit, never of duplicates."""
        self.store = store
        self.corridor = corridor
        self.clock = clock
        self.max_future = max_future
        self.on_stored = on_stored

    def _check(
        self, position: int, submission: Submission, now: datetime
    ) -> tuple[SignedPassage, bytes | None]:
        """Parse, verify and validate one event; returns it with its canonical private record."""
        private_record = None
        try:
            passage = SignedPassage.from_bytes(submission.raw)
            passage.verify()
            validate_entry(
                passage.entry,
                self.corridor,
                now,
                max_future=self.max_future,
                entry_bytes=len(submission.raw),
            )
            if submission.private is not None:
                if submission.salt is None:
                    raise ValidationError("salt", "a private record needs its salt")
                private_record = submission.private.canonical()
                digest = hashlib.sha256(submission.salt + private_record).hexdigest()
                if digest != passage.entry.private:
                    raise ValidationError(
                        "private", "the private record does not match the entry's commitment"
                    )
        except CorridorError as exc:
            raise _at(position, exc) from exc
        return passage, private_record

    def ingest(
        self,
        batch: Sequence[Submission],
        also: AlsoInTransaction | None = None,
        *,
        only_post: str | None = None,
    ) -> list[Accepted]:
        """Store a batch of events, all or none. Returns one :class:`Accepted` per event.

        ``also(conn, results)`` runs inside the same transaction after the events are stored
        (sync records the posts' sequence numbers there); if it raises, nothing is stored.
        ``only_post`` refuses events of any other post (a post pushes its own events only)."""
        return self.store_checked(self.check(batch, only_post=only_post), also)

    def check(self, batch: Sequence[Submission], *, only_post: str | None = None) -> CheckedBatch:
        """Step 1 alone (no store access): parse, verify and validate every event, or raise for
        the first bad one. Sync runs it for one push while the previous push is being written."""
        now = self.clock()
        checked = [self._check(i, s, now) for i, s in enumerate(batch)]
        if only_post is not None:
            for i, (passage, _) in enumerate(checked):
                if passage.entry.post != only_post:
                    raise SignatureError(
                        f"events[{i}]: an event of post {passage.entry.post!r} pushed by "
                        f"post {only_post!r}"
                    )
        return CheckedBatch(batch, checked, now)

    def store_checked(
        self, checked_batch: CheckedBatch, also: AlsoInTransaction | None = None
    ) -> list[Accepted]:
        """Step 2: the write transaction for a batch :meth:`check` accepted."""
        batch, checked, now = checked_batch
        passages = [passage for passage, _ in checked]
        received_at = format_time(now)
        with self.store.write() as conn:
            registry = queries.all_keys(conn)
            by_key = {record.public_key: record for record in registry}
            observed = [format_time(p.entry.observed_at) for p in passages]
            for position, (passage, when) in enumerate(zip(passages, observed, strict=True)):
                self._check_key(position, passage, when, by_key)
            ids = [str(p.entry.event_id) for p in passages]
            stored = queries.existing_passages(conn, set(ids))
            first_index = queries.log_size(conn)
            new: list[queries.StoredPassage] = []
            results: list[Accepted] = []
            seen: dict[str, tuple[int, bytes]] = {}
            fresh: list[tuple[SignedPassage, PrivateRecord | None]] = []
            for position, (event_id, when, (passage, private_record), submission) in enumerate(
                zip(ids, observed, checked, batch, strict=True)
            ):
                earlier = stored.get(event_id) or seen.get(event_id)
                if earlier is not None:
                    index, raw = earlier
                    if raw != passage.raw:
                        raise ConflictError(
                            f"events[{position}]: event {event_id} is already logged at index "
                            f"{index} with different content; nothing was stored"
                        )
                    results.append(Accepted(event_id, index, True, 0))
                    continue
                index = first_index + len(new)
                seen[event_id] = (index, passage.raw)
                skew = int((passage.entry.observed_at - now).total_seconds())
                new.append(
                    queries.StoredPassage(
                        passage.entry,
                        event_id,
                        when,
                        passage.raw,
                        received_at,
                        skew,
                        private_record,
                        submission.salt,
                    )
                )
                results.append(Accepted(event_id, index, False, skew))
                fresh.append((passage, submission.private))
            queries.append_log_entries(
                conn, first_index, [(EntryType.PASSAGE.value, item.raw) for item in new]
            )
            queries.insert_passages(conn, first_index, new)
            if also is not None:
                also(conn, results)
        if fresh and self.on_stored is not None:
            self.on_stored(fresh)
        return results

    def _check_key(
        self,
        position: int,
        passage: SignedPassage,
        observed: str,
        by_key: dict[bytes, queries.KeyRecord],
    ) -> None:
        entry = passage.entry
        record = by_key.get(passage.public_key)
        if record is None or record.role != "post" or record.owner != entry.post:
            raise SignatureError(
                f"events[{position}]: key {_fingerprint(passage.public_key)} is not a "
                f"registered key of post {entry.post!r}"
            )
        if observed >= record.valid_from and (
            record.revoked_at is None or observed < record.revoked_at
        ):
            return
        where = f"events[{position}]: key {_fingerprint(passage.public_key)} of post {entry.post!r}"
        if observed < record.valid_from:
            raise SignatureError(
                f"{where} is valid from {record.valid_from}; the event was observed earlier, "
                f"at {observed}"
            )
        raise SignatureError(
            f"{where} was revoked at {record.revoked_at}; the event was observed after that, "
            f"at {observed}"
        )


def _fingerprint(public_key: bytes) -> str:
    """A short, stable name for a key in messages."""
    return hashlib.sha256(public_key).hexdigest()[:16]
