"""HQ's side of sync: authenticate a post's push, ingest it exactly once, track its sequence.

The contract is docs/sync.md. In short: a push is signed by the post's registered, unrevoked
key; its events go through the one ingest path in one transaction together with the post's
sequence numbers; the answer gives each event's log index and every gap in the post's numbering.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import msgspec
from sqlalchemy import Connection, func, select

from corridor.errors import (
    ConflictError,
    PayloadTooLargeError,
    SignatureError,
    ValidationError,
)
from corridor.ingest import Accepted, AlsoInTransaction, Clock, Ingestor, Submission
from corridor.model.events import PrivateRecord, format_time
from corridor.model.signing import unb64, verify_signature
from corridor.registry import ROLE_POST
from corridor.store import queries
from corridor.store.engine import Store
from corridor.store.schema import alerts, post_sequences

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
    private: dict[str, Any]
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
                private=PrivateRecord.from_json(item.private),
                salt=unb64(item.salt, f"events[{i}].salt", 16),
            ),
        )
        for i, item in enumerate(push.events)
    ]


def sequence_gaps(conn: Connection, post: str) -> tuple[int, list[list[int]]]:
    """(highest seq, [[first missing, last missing], ...]) of a post's numbering at HQ."""
    # Fast path: seqs are distinct whole numbers from 1, so as many as the highest means none is
    # missing. Two aggregates over the primary key instead of every row into Python per push.
    count, highest_seq = conn.execute(
        select(func.count(), func.coalesce(func.max(post_sequences.c.seq), 0)).where(
            post_sequences.c.post == post
        )
    ).one()
    if int(count) == int(highest_seq):
        return int(highest_seq), []
    previous = func.lag(post_sequences.c.seq).over(order_by=post_sequences.c.seq)
    rows = conn.execute(
        select(post_sequences.c.seq, previous.label("previous")).where(
            post_sequences.c.post == post
        )
    ).all()
    highest = 0
    gaps: list[list[int]] = []
    for seq, prev in rows:
        before = 0 if prev is None else int(prev)
        if int(seq) > before + 1:
            gaps.append([before + 1, int(seq) - 1])
        highest = int(seq)
    return highest, gaps


def _record_sequences(post: str, seqs: list[int], now: str) -> AlsoInTransaction:
    """The step ingest runs in its transaction: remember each (post, seq), refuse a seq reused
    for another event, and raise an alert while the post's numbering has gaps."""

    def record(conn: Connection, results: list[Accepted]) -> None:
        known = dict(
            conn.execute(
                select(post_sequences.c.seq, post_sequences.c.event_id).where(
                    post_sequences.c.post == post, post_sequences.c.seq.in_(seqs)
                )
            ).all()
        )
        fresh: dict[int, str] = {}
        for seq, result in zip(seqs, results, strict=True):
            earlier = known.get(seq) or fresh.get(seq)
            if earlier is not None and earlier != result.event_id:
                raise ConflictError(
                    f"sequence number {seq} of post {post!r} already belongs to event {earlier}"
                )
            if earlier is None:
                fresh[seq] = result.event_id
        queries.bulk_insert(
            conn,
            post_sequences,
            [{"post": post, "seq": s, "event_id": e} for s, e in fresh.items()],
        )
        _, gaps = sequence_gaps(conn, post)
        if gaps:
            conn.execute(
                alerts.insert().values(
                    raised_at=now,
                    kind="sequence_gap",
                    source=post,
                    message=f"post {post} sequence numbers never received: {gaps}",
                    acknowledged=0,
                )
            )

    return record


class SyncService:
    """What HQ's sync endpoints call."""

    def __init__(self, store: Store, ingestor: Ingestor, clock: Clock) -> None:
        self.store = store
        self.ingestor = ingestor
        self.clock = clock

    def push(self, credentials: PostCredentials, body: bytes) -> dict[str, Any]:
        now = self.clock()
        authenticate(self.store, credentials, PUSH, body, now)
        events = _parse_push(body, credentials.post)
        seqs = [seq for seq, _ in events]
        results = self.ingestor.ingest(
            [s for _, s in events],
            also=_record_sequences(credentials.post, seqs, format_time(now)),
            only_post=credentials.post,
        )
        with self.store.read() as conn:
            highest, gaps = sequence_gaps(conn, credentials.post)
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
            "gaps": gaps,
            "highest_seq": highest,
        }
