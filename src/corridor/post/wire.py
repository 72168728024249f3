"""The post's side of the sync wire format (docs/sync.md): signed requests, the push body and
HQ's answer, as pure functions over bytes and mappings.

Every request to HQ carries ``X-Corridor-Post``, ``X-Corridor-Key`` (the post's public key,
base64) and ``X-Corridor-Signature``: the post key's Ed25519 signature over
``b"corridor/<purpose>/v1\\n" + SHA-256(body)`` (the raw 32-byte digest), with purpose ``push``
for a push and ``registry`` (over the empty body) for a registry pull.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec

from corridor.errors import ValidationError
from corridor.model.events import format_time
from corridor.model.signing import SigningKey
from corridor.post.records import OutboxRow

PUSH = "push"
REGISTRY = "registry"
PUSH_PATH = "/api/v1/sync/push"
REGISTRY_PATH = "/api/v1/sync/registry"


def request_message(purpose: str, body: bytes) -> bytes:
    """What the post signs for a request: the purpose's prefix and the body's SHA-256."""
    return f"corridor/{purpose}/v1\n".encode() + hashlib.sha256(body).digest()


def signed_headers(post: str, key: SigningKey, purpose: str, body: bytes) -> dict[str, str]:
    """The three X-Corridor-* headers of a request with ``body``."""
    signature = key.sign(request_message(purpose, body))
    return {
        "X-Corridor-Post": post,
        "X-Corridor-Key": base64.b64encode(key.public_key).decode("ascii"),
        "X-Corridor-Signature": base64.b64encode(signature).decode("ascii"),
    }


def push_body(post: str, rows: Sequence[OutboxRow], sent_at: datetime) -> bytes:
    """The JSON body of a push of ``rows`` (oldest first)."""
    events = [
        {
            "seq": row.seq,
            "entry": base64.b64encode(row.entry).decode("ascii"),
            # The outbox holds the record as the canonical JSON the post committed to: it goes
            # on the wire as those bytes, not parsed and written out again.
            "private": msgspec.Raw(row.private_record.encode("utf-8")),
            "salt": base64.b64encode(row.salt).decode("ascii"),
        }
        for row in rows
    ]
    document = {"post": post, "sent_at": format_time(sent_at), "events": events}
    return msgspec.json.encode(document)


@dataclass(frozen=True, slots=True)
class Ack:
    """HQ's answer for one pushed event."""

    seq: int
    event_id: str
    log_index: int
    duplicate: bool


@dataclass(frozen=True, slots=True)
class PushAnswer:
    """HQ's ``200`` answer to a push."""

    acks: tuple[Ack, ...]
    gaps: tuple[tuple[int, int], ...]
    highest_seq: int
    checkpoint: str | None


def _int(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(where, "expected a whole number in HQ's push answer")
    return value


def parse_push_answer(data: object) -> PushAnswer:
    """Parse HQ's push answer strictly (a malformed answer acknowledges nothing)."""
    if not isinstance(data, Mapping) or not isinstance(data.get("results"), list):
        raise ValidationError("results", "HQ's push answer has no results list")
    acks = []
    for i, item in enumerate(data["results"]):
        where = f"results[{i}]"
        if not isinstance(item, Mapping):
            raise ValidationError(where, "expected an object in HQ's push answer")
        event_id = item.get("event_id")
        if not isinstance(event_id, str):
            raise ValidationError(f"{where}.event_id", "missing in HQ's push answer")
        acks.append(
            Ack(
                seq=_int(item.get("seq"), f"{where}.seq"),
                event_id=event_id,
                log_index=_int(item.get("log_index"), f"{where}.log_index"),
                duplicate=bool(item.get("duplicate", False)),
            )
        )
    gaps = []
    for i, gap in enumerate(data.get("gaps") or []):
        if not isinstance(gap, list) or len(gap) != 2:
            raise ValidationError(f"gaps[{i}]", "expected [from, to] in HQ's push answer")
        gaps.append((_int(gap[0], f"gaps[{i}]"), _int(gap[1], f"gaps[{i}]")))
    checkpoint = data.get("checkpoint")
    return PushAnswer(
        acks=tuple(acks),
        gaps=tuple(gaps),
        highest_seq=_int(data.get("highest_seq", 0), "highest_seq"),
        checkpoint=checkpoint if isinstance(checkpoint, str) and checkpoint else None,
    )


def error_message(data: Any, fallback: str) -> str:
    """The ``message`` of HQ's error body, or ``fallback``."""
    if isinstance(data, Mapping) and isinstance(data.get("message"), str):
        return str(data["message"])
    return fallback
