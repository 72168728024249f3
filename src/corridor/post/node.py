"""A post node: records passages into its outbox, durably, before the console says "saved".

::

    post-data/
      scenario.yaml     the corridor (a copy of HQ's scenario)
      corridor.db       this post's own SQLite store (same schema as HQ, other tables in use)
      keys/post.key     the post's Ed25519 key (signs every event and every request to HQ)

``store_meta`` holds ``post_id`` and ``hq_url`` (set by ``corridor post init``),
``pseudonym_key`` and ``log_vkey`` (pulled from HQ, :mod:`corridor.post.registry`), and the
outbox's bookkeeping: ``outbox_last_seq``, the highest ``seq`` ever given (so that a purge of the
newest rows never lets a number be given twice), and ``outbox_purged``, how many logged rows
were purged (they still count as synced).

Recording is one linear function, :meth:`PostNode.record_passage`: validate on the post's
clock, build the private record and the public entry, sign, then insert into ``outbox`` with the
next ``seq`` in one committed write transaction. Only then does it return, and only then does
the console show "saved". Outbox rows are never deleted before HQ has given them a log index
and their receipt is stored (:meth:`PostNode.purge_acknowledged`).
:meth:`PostNode.enqueue_signed` queues events signed elsewhere (the simulator in
``corridor demo --posts``, benchmarks) through the same insert.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Connection, and_, delete, func, or_, select, update

from corridor.datadir import DataDir
from corridor.errors import ConfigError, CorridorError, NotFoundError, ValidationError
from corridor.keyfile import read_key
from corridor.model.corridor import Corridor
from corridor.model.events import PrivateRecord, PublicEntry, format_time, new_salt
from corridor.model.pseudonym import vehicle_pseudonym
from corridor.model.signing import SignedPassage, SigningKey
from corridor.model.validation import validate_entry
from corridor.post.form import PassageForm
from corridor.post.records import Counts, OutboxRow, row_from_db
from corridor.post.registry import (
    META_LOG_VKEY,
    META_PSEUDONYM,
    PermitMatch,
    VehicleMatch,
    find_permit,
    find_vehicles,
)
from corridor.store import queries
from corridor.store.engine import Store
from corridor.store.schema import alerts, outbox

Clock = Callable[[], datetime]

POST_KEY_FILE = "post.key"
META_POST = "post_id"
META_HQ = "hq_url"
META_LAST_SYNC = "last_sync_at"
META_LAST_PULL = "last_registry_pull_at"
#: The highest seq this post ever gave, updated in the transaction of each insert.
META_LAST_SEQ = "outbox_last_seq"
#: How many logged rows were purged from the outbox.
META_PURGED = "outbox_purged"
#: The shortest retention a purge accepts: today's passages stay in the console's list.
MIN_RETENTION = timedelta(days=1)
#: Seconds between purges of the running node's retention loop.
PURGE_EVERY = 3600.0

log = logging.getLogger("corridor.post.retention")


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Purge:
    """What :meth:`PostNode.purge_acknowledged` deleted, and the older rows it had to keep."""

    #: Rows recorded before this time (the post's clock minus the retention) were candidates.
    cutoff: str
    #: Rows deleted, and the lowest and highest seq among them (None when nothing was).
    rows: int
    first_seq: int | None
    last_seq: int | None
    #: Rows recorded before the cutoff still without a log index or a receipt: kept.
    kept: int


class PostNode:
    """One post's recording and bookkeeping over its data directory.

    ``store`` defaults to the directory's own SQLite file; ``clock`` is the post's clock
    (validation refuses times too far in its future). ``post`` and ``hq_url`` override what
    ``corridor post init`` stored; a ``post`` other than the stored one is refused, since the
    key belongs to the stored post.
    """

    def __init__(
        self,
        datadir: DataDir,
        *,
        store: Store | None = None,
        clock: Clock = system_clock,
        post: str | None = None,
        hq_url: str | None = None,
    ) -> None:
        self.datadir = datadir
        self.corridor: Corridor = datadir.scenario().corridor
        self.store = store if store is not None else datadir.open_store()
        self.clock = clock
        #: Set after every recorded passage, so the sync loop pushes at once.
        self.recorded = threading.Event()
        with self.store.read() as conn:
            stored_post = queries.get_meta(conn, META_POST)
            stored_hq = queries.get_meta(conn, META_HQ)
        if stored_post is None:
            raise ConfigError(
                f"{datadir.path} is not a post data directory (no post id); "
                "run `corridor post init` first"
            )
        if post is not None and post != stored_post:
            raise ConfigError(
                f"{datadir.path} belongs to post {stored_post}, not {post}: its key is that post's"
            )
        self.post_id = stored_post
        self.corridor.post(self.post_id)
        self.hq_url = (hq_url or stored_hq or "").rstrip("/")
        self.key: SigningKey = read_key(datadir.keys / POST_KEY_FILE)
        self._signer = self.key.signer()

    @classmethod
    def open(
        cls,
        directory: Path,
        *,
        post: str | None = None,
        hq_url: str | None = None,
        clock: Clock = system_clock,
    ) -> PostNode:
        """A node over the post data directory at ``directory`` and its own SQLite store."""
        if not directory.is_dir():
            raise ConfigError(
                f"{directory} is not a post data directory (no such directory); "
                "run `corridor post init` first"
            )
        return cls(DataDir(directory), post=post, hq_url=hq_url, clock=clock)

    # -- settings pulled from HQ ---------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        with self.store.read() as conn:
            return queries.get_meta(conn, key)

    def pseudonym_key(self) -> bytes | None:
        text = self.meta(META_PSEUDONYM)
        return None if text is None else base64.b64decode(text)

    def log_vkey(self) -> str | None:
        return self.meta(META_LOG_VKEY)

    def find_vehicles(self, prefix: str, limit: int = 10) -> list[VehicleMatch]:
        """Registered vehicles whose plate starts like ``prefix`` (console completion)."""
        with self.store.read() as conn:
            return find_vehicles(conn, prefix, limit)

    def find_permit(self, code: str) -> PermitMatch:
        """The permit a scanned or typed code names, with its vehicle."""
        with self.store.read() as conn:
            return find_permit(conn, code)

    # -- recording -----------------------------------------------------------------------------

    def record_passage(
        self, form: PassageForm, operator: str, now: datetime | None = None
    ) -> OutboxRow:
        """Validate, sign and durably queue one passage; return its outbox row.

        Raises :class:`~corridor.errors.ValidationError` (naming the field) for a bad passage,
        and :class:`~corridor.errors.ConfigError` before the registry was ever pulled (the
        vehicle pseudonym needs HQ's key). The row is committed when this returns.
        """
        now = now or self.clock()
        key = self.pseudonym_key()
        if key is None:
            raise ConfigError(
                "this post has no vehicle pseudonym key yet: it must sync its registry with HQ "
                "once before recording passages"
            )
        observed = form.observed_at or now
        private = PrivateRecord(
            plate=form.plate,
            driver=form.driver,
            documents=form.documents,
            notes=form.notes,
        )
        salt = new_salt()
        entry = PublicEntry(
            event_id=uuid.uuid4(),
            corridor=self.corridor.id,
            post=self.post_id,
            observed_at=observed.replace(microsecond=0),
            kind=form.kind,
            direction=form.direction,
            vehicle_class=form.vehicle_class,
            vehicle=vehicle_pseudonym(form.plate, key),
            people=form.people,
            cargo=form.cargo,
            private=private.commitment(salt),
            reason=form.reason,
            convoy=form.convoy,
        )
        validate_entry(entry, self.corridor, now)
        signed = SignedPassage.sign(entry, self._signer)
        return self._insert([(signed, private, salt)], operator, now)[0]

    def enqueue_signed(
        self,
        events: Iterable[tuple[bytes, PrivateRecord, bytes]],
        operator: str = "simulator",
        now: datetime | None = None,
    ) -> list[OutboxRow]:
        """Queue events signed elsewhere (the simulator, a benchmark): ``(raw log entry,
        private record, salt)`` each, in the order given, through the same outbox insert as
        :meth:`record_passage` (one transaction for all of them). Every entry must parse and be
        this post's; no signature or rule is checked here, HQ's ingest does that."""
        items = []
        for position, (raw, private, salt) in enumerate(events):
            try:
                signed = SignedPassage.from_bytes(raw)
            except CorridorError as exc:
                raise ValidationError(f"events[{position}].entry", str(exc)) from exc
            if signed.entry.post != self.post_id:
                raise ValidationError(
                    f"events[{position}].post",
                    f"an event of post {signed.entry.post} cannot be queued at {self.post_id}",
                )
            items.append((signed, private, salt))
        return self._insert(items, operator, now or self.clock())

    def _insert(
        self,
        items: Sequence[tuple[SignedPassage, PrivateRecord, bytes]],
        operator: str,
        now: datetime,
    ) -> list[OutboxRow]:
        recorded_at = format_time(now)
        rows: list[dict[str, object]] = []
        # One write transaction: the next seqs, the rows and the high-water mark commit together
        # (one writer, BEGIN IMMEDIATE), so seq numbers are contiguous, never given twice (even
        # after a purge emptied the outbox), and nothing is "saved" that is not on disk.
        with self.store.write() as conn:
            first = _next_seq(conn)
            for offset, (signed, private, salt) in enumerate(items):
                rows.append(
                    {
                        "seq": first + offset,
                        "event_id": str(signed.entry.event_id),
                        "entry": signed.raw,
                        "private_record": json.dumps(
                            private.to_json(), ensure_ascii=False, sort_keys=True
                        ),
                        "salt": salt,
                        "recorded_at": recorded_at,
                        "operator": operator,
                        "log_index": None,
                        "acked_at": None,
                        "receipt": None,
                    }
                )
            if rows:
                conn.execute(outbox.insert(), rows)
                queries.set_meta(conn, META_LAST_SEQ, str(first + len(rows) - 1))
        self.recorded.set()
        return [row_from_db(values) for values in rows]

    # -- reading the outbox --------------------------------------------------------------------

    def counts(self) -> Counts:
        """Pending (no log index yet) and synced rows, and the last successful push. Synced
        rows include those purged since (HQ logged every one of them)."""
        with self.store.read() as conn:
            pending = conn.execute(
                select(func.count()).select_from(outbox).where(outbox.c.log_index.is_(None))
            ).scalar_one()
            synced = conn.execute(
                select(func.count()).select_from(outbox).where(outbox.c.log_index.is_not(None))
            ).scalar_one()
            purged = int(queries.get_meta(conn, META_PURGED) or 0)
            last = queries.get_meta(conn, META_LAST_SYNC)
        return Counts(int(pending), int(synced) + purged, last)

    def unacknowledged(self, limit: int, after: int = 0) -> list[OutboxRow]:
        """The oldest rows HQ has not yet acknowledged, by seq (only those after seq ``after``)."""
        query = (
            select(outbox)
            .where(outbox.c.log_index.is_(None), outbox.c.seq > after)
            .order_by(outbox.c.seq)
            .limit(limit)
        )
        with self.store.read() as conn:
            return [row_from_db(r._mapping) for r in conn.execute(query)]

    def without_receipt(self, limit: int = 100) -> list[OutboxRow]:
        """Acknowledged rows whose receipt has not been fetched yet, oldest first."""
        query = (
            select(outbox)
            .where(outbox.c.log_index.is_not(None), outbox.c.receipt.is_(None))
            .order_by(outbox.c.seq)
            .limit(limit)
        )
        with self.store.read() as conn:
            return [row_from_db(r._mapping) for r in conn.execute(query)]

    def recorded_since(self, since: datetime) -> list[OutboxRow]:
        """Rows recorded at or after ``since``, newest first (the console's list of today)."""
        query = (
            select(outbox)
            .where(outbox.c.recorded_at >= format_time(since))
            .order_by(outbox.c.seq.desc())
        )
        with self.store.read() as conn:
            return [row_from_db(r._mapping) for r in conn.execute(query)]

    def today(self) -> list[OutboxRow]:
        """Rows recorded since midnight UTC on the post's clock, newest first."""
        start = self.clock().astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        return self.recorded_since(start)

    def row(self, seq: int) -> OutboxRow:
        with self.store.read() as conn:
            found = conn.execute(select(outbox).where(outbox.c.seq == seq)).first()
            given = last_seq_given(conn) if found is None else seq
        if found is None:
            if 1 <= seq <= given:
                raise NotFoundError(
                    f"passage number {seq} was purged from this post after HQ logged it and its "
                    "receipt was stored; HQ keeps it and can print its receipt"
                )
            raise NotFoundError(f"no passage number {seq} at this post")
        return row_from_db(found._mapping)

    # -- alerts and retention ------------------------------------------------------------------

    def raise_alert(self, kind: str, message: str, source: str = "hq") -> None:
        """Record an alert, once: an identical unacknowledged alert is not repeated."""
        with self.store.write() as conn:
            queries.raise_alert(conn, format_time(self.clock()), kind, source, message)

    def open_alerts(self) -> list[dict[str, object]]:
        query = select(alerts).where(alerts.c.acknowledged == 0).order_by(alerts.c.id)
        with self.store.read() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def acknowledge_alert(self, alert_id: int) -> None:
        """Mark an alert as seen by an operator (a repeat of its cause raises it again)."""
        with self.store.write() as conn:
            done = conn.execute(
                update(alerts).where(alerts.c.id == alert_id).values(acknowledged=1)
            ).rowcount
        if not done:
            raise NotFoundError(f"no alert {alert_id} at this post")

    def purge_acknowledged(self, older_than: timedelta) -> Purge:
        """Delete rows HQ logged and whose receipt is stored, recorded more than
        ``older_than`` (at least :data:`MIN_RETENTION`) ago on the post's clock. A row without
        a log index or without a receipt is never deleted, whatever its age.

        Deleting the newest rows must not lower the next ``seq`` (HQ refuses a seq it holds for
        another event): the high-water mark is written first, in the same transaction."""
        if older_than < MIN_RETENTION:
            raise ValidationError(
                "older_than",
                "keep passages at least one day, so that today's stay in the console's list",
            )
        cutoff = format_time(self.clock() - older_than)
        logged = and_(outbox.c.log_index.is_not(None), outbox.c.receipt.is_not(None))
        older = outbox.c.recorded_at < cutoff
        with self.store.write() as conn:
            queries.set_meta(conn, META_LAST_SEQ, str(_next_seq(conn) - 1))
            rows, first, last = conn.execute(
                select(func.count(), func.min(outbox.c.seq), func.max(outbox.c.seq)).where(
                    logged, older
                )
            ).one()
            kept = conn.execute(
                select(func.count())
                .select_from(outbox)
                .where(older, or_(outbox.c.log_index.is_(None), outbox.c.receipt.is_(None)))
            ).scalar_one()
            if rows:
                conn.execute(delete(outbox).where(logged, older))
                purged = int(queries.get_meta(conn, META_PURGED) or 0) + int(rows)
                queries.set_meta(conn, META_PURGED, str(purged))
        return Purge(
            cutoff=cutoff,
            rows=int(rows),
            first_seq=None if first is None else int(first),
            last_seq=None if last is None else int(last),
            kept=int(kept),
        )

    def keep_purging(
        self, older_than: timedelta, stop: threading.Event, every: float = PURGE_EVERY
    ) -> None:
        """Purge (:meth:`purge_acknowledged`) now, then every ``every`` seconds until ``stop``
        is set: the running node's retention (``CORRIDOR_OUTBOX_RETENTION_DAYS``)."""
        while True:
            try:
                done = self.purge_acknowledged(older_than)
            except Exception:  # a failed purge must not stop the next one
                log.exception("purge failed; trying again in %.0f s", every)
            else:
                if done.rows or done.kept:
                    log.info(
                        "purged %d logged passage(s) recorded before %s; kept %d older one(s) "
                        "without a log index or receipt",
                        done.rows,
                        done.cutoff,
                        done.kept,
                    )
            if stop.wait(every):
                return

    def close(self) -> None:
        self.store.dispose()


def last_seq_given(conn: Connection) -> int:
    """The highest seq ever given: the high-water mark, which no purge lowers (or the outbox's
    highest row, in a store written before the mark was kept)."""
    mark = int(queries.get_meta(conn, META_LAST_SEQ) or 0)
    top = int(conn.execute(select(func.coalesce(func.max(outbox.c.seq), 0))).scalar_one())
    return max(mark, top)


def _next_seq(conn: Connection) -> int:
    return last_seq_given(conn) + 1
