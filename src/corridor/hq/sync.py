"""HQ's side of sync: authenticate a post's push, ingest it exactly once, track its sequence.

The contract is docs/sync.md. In short: a push is signed by the post's registered, unrevoked
key; its events go through the one ingest path in one transaction together with the post's
sequence numbers; the answer gives each event's log index and every gap in the post's numbering.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import msgspec
from sqlalchemy import Connection, func, select, update

from corridor.errors import (
    ConflictError,
    PayloadTooLargeError,
    SignatureError,
    ValidationError,
)
from corridor.hq.ingest import Accepted, Clock, Ingestor
from corridor.hq.push_order import PushOrder
from corridor.hq.registry import ROLE_POST
from corridor.model.events import PrivateRecord, Submission, format_time
from corridor.model.signing import unb64, verify_signature
from corridor.store import queries
from corridor.store.engine import Store
from corridor.store.schema import post_sequence_state, post_sequences

MAX_EVENTS = 1000
MAX_BODY_BYTES = 8 * 1024 * 1024
PUSH = "push"
REGISTRY = "registry"


def request_message(purpose: str, body: bytes) -> bytes:
    """What a post signs to authenticate a request: the purpose and the body's SHA-256."""
    return f"corridor/{purpose}/v1\n".encode() + hashlib.sha256(body).digest()


@dataclass(frozen=True, slots=True)
class PostCredentials:
    """The three X-Corridor-* headers of a request."""

    post: str
    key: str
    signature: str

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> PostCredentials:
        values = [headers.get(f"x-corridor-{name}") for name in ("post", "key", "signature")]
        if not all(values):
            raise SignatureError(
                "missing X-Corridor-Post, X-Corridor-Key or X-Corridor-Signature header"
            )
        post, key, signature = (str(v) for v in values)
        return cls(post, key, signature)


def authenticate(
    store: Store, credentials: PostCredentials, purpose: str, body: bytes, now: datetime
) -> None:
    """Raise :class:`SignatureError` unless the request is signed by a registered, unrevoked
    key of the post it names."""
    try:
        public_key = base64.b64decode(credentials.key, validate=True)
        signature = base64.b64decode(credentials.signature, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SignatureError("X-Corridor-Key and X-Corridor-Signature must be base64") from exc
    with store.read() as conn:
        record = {r.public_key: r for r in queries.all_keys(conn)}.get(public_key)
    if record is None or record.role != ROLE_POST or record.owner != credentials.post:
        raise SignatureError(
            f"the request key is not a registered key of post {credentials.post!r}"
        )
    if record.revoked_at is not None and format_time(now) >= record.revoked_at:
        raise SignatureError(
            f"the key of post {credentials.post!r} was revoked at {record.revoked_at}; "
            "register a new key before pushing"
        )
    verify_signature(public_key, request_message(purpose, body), signature)


class _PushEvent(msgspec.Struct, forbid_unknown_fields=True):
    seq: Annotated[int, msgspec.Meta(ge=1)]
    entry: str
    # Typed, so msgspec builds the record in C; a field of the wrong type is a 422 naming it.
    private: PrivateRecord
    salt: str


class _PushBody(msgspec.Struct):
    post: str
    events: list[_PushEvent]
    sent_at: str | None = None


_push_decoder = msgspec.json.Decoder(_PushBody)


def _parse_push(body: bytes, post: str) -> list[tuple[int, Submission]]:
    """Decode a push body (msgspec: one validating pass in C) into submissions."""
    if len(body) > MAX_BODY_BYTES:
        raise PayloadTooLargeError(f"push of {len(body):,} bytes, over {MAX_BODY_BYTES:,}")
    try:
        push = _push_decoder.decode(body)
    except msgspec.ValidationError as exc:
        what, _, where = str(exc).partition(" - at `$.")
        raise ValidationError(where.rstrip("`") or "body", what) from exc
    except msgspec.DecodeError as exc:
        raise ValidationError("body", f"not JSON: {exc}") from exc
    if push.post != post:
        raise ValidationError("post", "the body's post differs from X-Corridor-Post")
    if len(push.events) > MAX_EVENTS:
        raise PayloadTooLargeError(f"push of {len(push.events):,} events, over {MAX_EVENTS:,}")
    return [
        (
            item.seq,
            Submission(
                raw=unb64(item.entry, f"events[{i}].entry"),
                private=item.private,
                salt=unb64(item.salt, f"events[{i}].salt", 16),
            ),
        )
        for i, item in enumerate(push.events)
    ]


@dataclass(frozen=True, slots=True)
class SequenceReport:
    """A post's numbering as HQ holds it: the highest seq, and every run of missing seqs below
    it as ``[first, last]``."""

    highest: int
    gaps: list[list[int]]


def _report_above(conn: Connection, post: str, through: int) -> SequenceReport:
    """The post's numbering, read from the seqs above ``through``, its gap-free prefix (kept in
    ``post_sequence_state``): one index range scan of about one push's rows while nothing is
    missing, instead of the post's whole history on every push."""
    above = conn.execute(
        select(post_sequences.c.seq)
        .where(post_sequences.c.post == post, post_sequences.c.seq > through)
        .order_by(post_sequences.c.seq)
    ).scalars()
    expected = through + 1
    gaps: list[list[int]] = []
    for seq in above:
        if seq > expected:
            gaps.append([expected, int(seq) - 1])
        expected = int(seq) + 1
    return SequenceReport(expected - 1, gaps)


def _contiguous_through(conn: Connection, post: str) -> int:
    found = conn.execute(
        select(post_sequence_state.c.contiguous_through).where(post_sequence_state.c.post == post)
    ).scalar()
    return 0 if found is None else int(found)


def _highest_seq(conn: Connection, post: str) -> int:
    found = conn.execute(
        select(func.max(post_sequences.c.seq)).where(post_sequences.c.post == post)
    ).scalar()
    return 0 if found is None else int(found)


def _advance_contiguous(conn: Connection, post: str, before: int, report: SequenceReport) -> None:
    """Move the post's gap-free prefix from ``before`` up to just below its first gap (or to
    its highest seq)."""
    through = report.gaps[0][0] - 1 if report.gaps else report.highest
    if through == before:
        return
    updated = conn.execute(
        update(post_sequence_state)
        .where(post_sequence_state.c.post == post)
        .values(contiguous_through=through)
    ).rowcount
    if not updated:
        conn.execute(post_sequence_state.insert().values(post=post, contiguous_through=through))


class _SequenceRecorder:
    """The step ingest runs in its transaction (``also``): remember each (post, seq), refuse a
    seq reused for another event, and raise an alert while the post's numbering has gaps. After
    the call, :attr:`report` is the post's numbering including this push."""

    def __init__(self, post: str, seqs: list[int], now: str) -> None:
        self.post = post
        self.seqs = seqs
        self.now = now
        self.report = SequenceReport(0, [])

    def __call__(self, conn: Connection, results: list[Accepted]) -> None:
        post = self.post
        known: dict[int, str] = {}
        if self.seqs and min(self.seqs) <= _highest_seq(conn, post):
            # Only a push that goes back over seqs HQ may hold (a retry) needs to look them up.
            known = dict(
                conn.execute(
                    select(post_sequences.c.seq, post_sequences.c.event_id).where(
                        post_sequences.c.post == post, post_sequences.c.seq.in_(self.seqs)
                    )
                ).all()
            )
        fresh: dict[int, str] = {}
        for seq, result in zip(self.seqs, results, strict=True):
            earlier = known.get(seq) or fresh.get(seq)
            if earlier is not None and earlier != result.event_id:
                raise ConflictError(
                    f"sequence number {seq} of post {post!r} already belongs to event {earlier}"
                )
            if earlier is None:
                fresh[seq] = result.event_id
        queries.insert_rows(conn, post_sequences, [(post, s, e) for s, e in fresh.items()])
        before = _contiguous_through(conn, post)
        self.report = _report_above(conn, post, before)
        _advance_contiguous(conn, post, before, self.report)
        if self.report.gaps:
            queries.raise_alert(
                conn,
                self.now,
                "sequence_gap",
                post,
                f"post {post} sequence numbers never received: {self.report.gaps}",
            )


#: store_meta key of a post's last push or registry pull: ``last_contact:P07``.
LAST_CONTACT = "last_contact:"

#: Told of a post's accepted push: (post, when, events newly stored).
OnContact = Callable[[str, datetime, int], None]


class SyncService:
    """What HQ's sync endpoints call."""

    def __init__(
        self,
        store: Store,
        ingestor: Ingestor,
        clock: Clock,
        order: PushOrder | None = None,
        *,
        on_contact: OnContact | None = None,
    ) -> None:
        """``on_contact(post, at, stored)`` hears of each push HQ accepted, with the number of
        events it newly stored (the monitor's ``silent_post``, the coordinator's last sync)."""
        self.store = store
        self.ingestor = ingestor
        self.clock = clock
        self.order = order or PushOrder()
        self.on_contact = on_contact

    def push(self, credentials: PostCredentials, body: bytes) -> dict[str, Any]:
        now = self.clock()
        authenticate(self.store, credentials, PUSH, body, now)
        events = _parse_push(body, credentials.post)
        seqs = [seq for seq, _ in events]
        recorder = _SequenceRecorder(credentials.post, seqs, format_time(now))
        with self.order.in_flight(credentials.post, min(seqs, default=0)) as wait_for_earlier:
            # Verify while an earlier push of this post may still be writing; write after it.
            checked = self.ingestor.check([s for _, s in events], only_post=credentials.post)
            wait_for_earlier()
            results = self.ingestor.store_checked(checked, also=recorder)
        if self.on_contact is not None:
            self.on_contact(credentials.post, now, sum(not r.duplicate for r in results))
        return {
            "results": [
                {
                    "seq": seq,
                    "event_id": r.event_id,
                    "log_index": r.log_index,
                    "duplicate": r.duplicate,
                    "skew_seconds": r.skew_seconds,
                }
                for seq, r in zip(seqs, results, strict=True)
            ],
            "gaps": recorder.report.gaps,
            "highest_seq": recorder.report.highest,
        }
