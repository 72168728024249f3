"""Building signed pushes to HQ the way a post does (docs/sync.md), for HQ-side tests."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from corridor.hq.sync import request_message
from corridor.model.events import CargoLine, People, PrivateRecord, PublicEntry
from corridor.model.signing import SignedPassage, SigningKey
from corridor.model.vocabulary import CargoCategory, Direction, PassageKind, VehicleClass

PRIVATE = PrivateRecord(plate="SIM CA 0001", driver="Simulated driver 0001")
OBSERVED = datetime(2020, 12, 3, 9, 0, tzinfo=UTC)


def event(key: SigningKey, n: int, post: str = "P01", **changes: Any) -> dict[str, Any]:
    """Event number ``n`` of ``post`` as a push item (seq ``n``), signed by ``key``."""
    salt = bytes([n % 256]) * 16
    fields: dict[str, Any] = {
        "event_id": uuid.uuid5(uuid.NAMESPACE_URL, f"corridor-test/{post}/{n}"),
        "corridor": "lachin",
        "post": post,
        "observed_at": OBSERVED + timedelta(seconds=n),
        "kind": PassageKind.PASSED,
        "direction": Direction.INBOUND,
        "vehicle_class": VehicleClass.TRUCK,
        "vehicle": "ab" * 16,
        "people": People(crew=1),
        "cargo": (CargoLine(CargoCategory.FOOD, 5_000),),
        "private": PRIVATE.commitment(salt),
    }
    fields.update(changes)
    raw = SignedPassage.sign(PublicEntry(**fields), key).raw
    return {
        "seq": n,
        "entry": base64.b64encode(raw).decode(),
        "private": PRIVATE.to_json(),
        "salt": base64.b64encode(salt).decode(),
    }


def push_request(
    key: SigningKey, events: list[dict[str, Any]], post: str = "P01", body: bytes | None = None
) -> tuple[bytes, dict[str, str]]:
    """(body, headers) of a push signed by ``key``."""
    if body is None:
        payload = {"post": post, "sent_at": "2020-12-03T10:00:00Z", "events": events}
        body = json.dumps(payload).encode()
    headers = {
        "X-Corridor-Post": post,
        "X-Corridor-Key": base64.b64encode(key.public_key).decode(),
        "X-Corridor-Signature": base64.b64encode(key.sign(request_message("push", body))).decode(),
    }
    return body, headers
