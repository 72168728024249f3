"""Key registrations and revocations, as signed entries in the log.

The mission's admin key signs every registration and revocation of a post key; the first entry of
a log registers the admin key itself. So the public log alone says which key was valid when, and
an auditor needs nothing but the log's verification key to check who signed what.
Each change is written to the log and to the ``keys`` table in the same transaction.
"""

from __future__ import annotations

from datetime import datetime

from corridor.errors import ConflictError, NotFoundError, SignatureError
from corridor.model.events import format_time
from corridor.model.signing import EntryType, SigningKey, b64, sign_body
from corridor.store import queries
from corridor.store.engine import Store

ROLE_ADMIN = "admin"
ROLE_POST = "post"


def registration_body(
    corridor: str, owner: str, role: str, public_key: bytes, valid_from: datetime
) -> dict[str, str]:
    return {
        "corridor": corridor,
        "owner": owner,
        "role": role,
        "key": b64(public_key),
        "valid_from": format_time(valid_from),
    }


def revocation_body(
    corridor: str, owner: str, public_key: bytes, revoked_at: datetime
) -> dict[str, str]:
    return {
        "corridor": corridor,
        "owner": owner,
        "key": b64(public_key),
        "revoked_at": format_time(revoked_at),
    }


def register_key(
    store: Store,
    corridor: str,
    admin: SigningKey,
    owner: str,
    role: str,
    public_key: bytes,
    valid_from: datetime,
) -> int:
    """Log and store a key registration signed by ``admin``; returns its log index.

    The first registration of a store must be the admin key itself (``role="admin"``).
    """
    body = registration_body(corridor, owner, role, public_key, valid_from)
    raw = sign_body(EntryType.KEY_REGISTRATION, body, admin)
    with store.write() as conn:
        known = {record.public_key: record for record in queries.all_keys(conn)}
        admins = [r for r in known.values() if r.role == ROLE_ADMIN and r.revoked_at is None]
        if admins and admin.public_key not in {r.public_key for r in admins}:
            raise SignatureError("this admin key is not the registered admin key of this store")
        if not admins and (role != ROLE_ADMIN or public_key != admin.public_key):
            raise SignatureError("the first key registered must be the admin key itself")
        if public_key in known:
            raise ConflictError(
                f"key {b64(public_key)} is already registered to {known[public_key].owner}"
            )
        index = queries.log_size(conn)
        queries.append_log_entries(conn, index, [(EntryType.KEY_REGISTRATION.value, raw)])
        queries.insert_key(conn, public_key, owner, role, body["valid_from"], index)
    return index


def revoke_key(
    store: Store, corridor: str, admin: SigningKey, public_key: bytes, revoked_at: datetime
) -> int:
    """Log and store the revocation of a key; events it signs from ``revoked_at`` on are refused.

    ``revoked_at`` may not come before an event this key signed that is already logged."""
    with store.write() as conn:
        known = {record.public_key: record for record in queries.all_keys(conn)}
        record = known.get(public_key)
        if record is None:
            raise NotFoundError(f"no registered key {b64(public_key)}")
        admin_record = known.get(admin.public_key)
        if admin_record is None or admin_record.role != ROLE_ADMIN:
            raise SignatureError("this admin key is not the registered admin key of this store")
        body = revocation_body(corridor, record.owner, public_key, revoked_at)
        signed_after = queries.first_entry_signed_since(
            conn, record.owner, public_key, body["revoked_at"]
        )
        if signed_after is not None:
            # A revocation only looks forward in the log: auditors replay it from its place on,
            # so it must not make entries already logged invalid after the fact.
            raise ConflictError(
                f"key {b64(public_key)} already signed event {signed_after[0]} observed at "
                f"{signed_after[1]}, after the revocation time {body['revoked_at']}; revoke it "
                "from a later time"
            )
        raw = sign_body(EntryType.KEY_REVOCATION, body, admin)
        index = queries.log_size(conn)
        queries.append_log_entries(conn, index, [(EntryType.KEY_REVOCATION.value, raw)])
        if not queries.revoke_key(conn, public_key, body["revoked_at"]):
            raise ConflictError(f"key {b64(public_key)} is already revoked")
    return index
