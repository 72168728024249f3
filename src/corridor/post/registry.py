"""The registries a post pulls from HQ, and the console's lookups in them.

HQ answers ``GET /api/v1/sync/registry`` (docs/sync.md) with keys, vehicles, permits, this
post's operators, the vehicle pseudonym key and the log's verifier key. :func:`apply_registry`
stores it in one transaction: vehicles, permits and keys are replaced by HQ's lists (HQ is their
source of truth); operators of this post are inserted or updated (operators added locally stay);
the pseudonym key is replaced (HQ may rotate it); the log's key is kept once known: a different
one raises an alert and is not taken (trust on first use; a log key change is a human decision).
The key HQ names instead is kept aside as ``log_vkey_offered``, for an administrator to accept
with ``corridor post trust-log-key`` (:func:`corridor.post.checkpoints.trust_log_key`) once
they have checked it with HQ over another channel; it is forgotten if HQ names the trusted key
again.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, select, update

from corridor.errors import NotFoundError, ValidationError
from corridor.ledger.keys import Ed25519Verifier
from corridor.model.pseudonym import normalise_plate
from corridor.store import queries
from corridor.store.schema import keys, operators, permits, vehicles

META_PSEUDONYM = "pseudonym_key"
META_LOG_VKEY = "log_vkey"
#: The log key HQ's registry names when it is not the trusted one (until a reset or a pull
#: that names the trusted key again).
META_LOG_VKEY_OFFERED = "log_vkey_offered"


def log_key_fingerprint(vkey: str) -> str:
    """SHA-256 (hex) of the vkey as HQ publishes it, one line in ``/log/vkey``: at HQ,
    ``sha256sum <data dir>/log/vkey`` prints the same digest."""
    return hashlib.sha256((vkey + "\n").encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class RegistryUpdate:
    """What a pull changed (counts only: the registries hold personal data)."""

    vehicles: int
    permits: int
    keys: int
    operators: int
    log_key_changed: bool


@dataclass(frozen=True, slots=True)
class VehicleMatch:
    """A registered vehicle, as the console offers it for completion."""

    plate: str
    vehicle_class: str


@dataclass(frozen=True, slots=True)
class PermitMatch:
    """A permit and the vehicle it is for."""

    code: str
    plate: str
    vehicle_class: str | None
    valid_from: str
    valid_to: str


def _list(answer: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
    items = answer.get(name, [])
    if not isinstance(items, list) or not all(isinstance(i, Mapping) for i in items):
        raise ValidationError(name, "expected a list of objects in HQ's registry answer")
    return items


def _text(item: Mapping[str, Any], key: str, where: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value:
        raise ValidationError(f"{where}.{key}", "missing in HQ's registry answer")
    return value


def _b64(text: str, where: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValidationError(where, "not valid base64 in HQ's registry answer") from exc


def apply_registry(conn: Connection, post: str, answer: Mapping[str, Any]) -> RegistryUpdate:
    """Store HQ's registry answer for ``post`` in the open write transaction ``conn``."""
    fleet = []
    for i, item in enumerate(_list(answer, "vehicles")):
        plate = _text(item, "plate", f"vehicles[{i}]")
        fleet.append(
            {
                "plate": normalise_plate(plate),
                "plate_display": str(item.get("plate_display") or plate),
                "vehicle_class": _text(item, "vehicle_class", f"vehicles[{i}]"),
                "registered": 1 if item.get("registered", 1) else 0,
            }
        )
    permit_rows = [
        {
            "code": _text(item, "code", f"permits[{i}]"),
            "plate": normalise_plate(_text(item, "plate", f"permits[{i}]")),
            "valid_from": _text(item, "valid_from", f"permits[{i}]"),
            "valid_to": _text(item, "valid_to", f"permits[{i}]"),
        }
        for i, item in enumerate(_list(answer, "permits"))
    ]
    key_rows = [
        {
            "public_key": _b64(_text(item, "key", f"keys[{i}]"), f"keys[{i}].key"),
            "owner": _text(item, "owner", f"keys[{i}]"),
            "role": _text(item, "role", f"keys[{i}]"),
            "valid_from": _text(item, "valid_from", f"keys[{i}]"),
            "revoked_at": item.get("revoked_at"),
            "log_index": None,
        }
        for i, item in enumerate(_list(answer, "keys"))
    ]
    staff = [
        item
        for item in _list(answer, "operators")
        if item.get("post") == post and isinstance(item.get("password_hash"), str)
    ]
    pseudonym = answer.get("pseudonym_key")
    if pseudonym is not None:
        if not isinstance(pseudonym, str) or len(_b64(pseudonym, "pseudonym_key")) < 16:
            raise ValidationError("pseudonym_key", "expected at least 16 bytes of base64")
    vkey = answer.get("log_vkey")
    if vkey is not None:
        if not isinstance(vkey, str):
            raise ValidationError("log_vkey", "expected a signed-note verifier key")
        Ed25519Verifier.from_vkey(vkey)  # raises VerificationError if malformed

    conn.execute(delete(vehicles))
    queries.bulk_insert(conn, vehicles, fleet)
    conn.execute(delete(permits))
    queries.bulk_insert(conn, permits, permit_rows)
    conn.execute(delete(keys))
    queries.bulk_insert(conn, keys, key_rows)
    for i, item in enumerate(staff):
        _upsert_operator(conn, item, f"operators[{i}]")
    if pseudonym is not None:
        queries.set_meta(conn, META_PSEUDONYM, pseudonym)
    changed = False
    if vkey is not None:
        known = queries.get_meta(conn, META_LOG_VKEY)
        if known is None:
            queries.set_meta(conn, META_LOG_VKEY, vkey)
        changed = known is not None and known != vkey
        if changed:
            queries.set_meta(conn, META_LOG_VKEY_OFFERED, vkey)
        else:
            queries.delete_meta(conn, META_LOG_VKEY_OFFERED)
    return RegistryUpdate(len(fleet), len(permit_rows), len(key_rows), len(staff), changed)


def _upsert_operator(conn: Connection, item: Mapping[str, Any], where: str) -> None:
    values = {
        "post": item.get("post"),
        "role": _text(item, "role", where),
        "password_hash": _text(item, "password_hash", where),
        "active": 1 if item.get("active", 1) else 0,
    }
    username = _text(item, "username", where)
    found = conn.execute(select(operators.c.username).where(operators.c.username == username))
    if found.first() is None:
        conn.execute(operators.insert().values(username=username, **values))
    else:
        conn.execute(update(operators).where(operators.c.username == username).values(**values))


def find_vehicles(conn: Connection, prefix: str, limit: int = 10) -> list[VehicleMatch]:
    """Registered vehicles whose normalised plate starts with ``prefix``'s, by plate."""
    wanted = normalise_plate(prefix)
    if not wanted:
        return []
    query = (
        select(vehicles.c.plate_display, vehicles.c.vehicle_class)
        .where(vehicles.c.plate.startswith(wanted, autoescape=True), vehicles.c.registered == 1)
        .order_by(vehicles.c.plate)
        .limit(limit)
    )
    return [VehicleMatch(str(p), str(c)) for p, c in conn.execute(query)]


def find_permit(conn: Connection, code: str) -> PermitMatch:
    """The permit with this code (as a QR code or a typed code carries it) and its vehicle."""
    wanted = code.strip()
    row = conn.execute(select(permits).where(permits.c.code == wanted)).first()
    if row is None:
        raise NotFoundError("no permit with this code in the registry pulled from HQ")
    vehicle = conn.execute(
        select(vehicles.c.plate_display, vehicles.c.vehicle_class).where(
            vehicles.c.plate == row.plate
        )
    ).first()
    plate = str(vehicle[0]) if vehicle is not None else str(row.plate)
    vehicle_class = str(vehicle[1]) if vehicle is not None else None
    return PermitMatch(str(row.code), plate, vehicle_class, str(row.valid_from), str(row.valid_to))
