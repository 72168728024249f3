"""The key registry as the log states it, replayed entry by entry.

The first entry must be the admin key's self-registration (role ``admin``, signed by itself);
every later registration and revocation must be signed by that admin key. A key is valid for an
entry observed at ``t`` when ``valid_from <= t < revoked_at``. Revocations take effect from their
place in the log on: the audit checks each entry against the registry as it stood when the entry
was sequenced, which is what HQ checked when it accepted it.

Each method returns ``None`` when all is well or the reason of a finding.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from corridor.errors import ValidationError
from corridor.model.events import parse_time
from corridor.model.signing import PUBLIC_KEY_BYTES, unb64

__all__ = ["ROLE_ADMIN", "ROLE_HQ", "ROLE_POST", "KeyRecord", "KeyRing"]

ROLE_ADMIN = "admin"
ROLE_POST = "post"
ROLE_HQ = "hq"
_ROLES = frozenset({ROLE_ADMIN, ROLE_POST, ROLE_HQ})
_REGISTRATION_KEYS = frozenset({"corridor", "owner", "role", "key", "valid_from"})
_REVOCATION_KEYS = frozenset({"corridor", "owner", "key", "revoked_at"})


@dataclass(slots=True)
class KeyRecord:
    """One registered key: whose, which role, valid from when, revoked when (if)."""

    owner: str
    role: str
    valid_from: datetime
    index: int
    revoked_at: datetime | None = None
    revoked_text: str = ""


def _short(key: bytes) -> str:
    return base64.b64encode(key).decode()


def _fields(body: Mapping[str, Any], allowed: frozenset[str]) -> dict[str, str]:
    if set(body) != allowed:
        raise ValidationError("body", f"expected the fields {', '.join(sorted(allowed))}")
    values = {k: body[k] for k in allowed}
    for name, value in values.items():
        if not isinstance(value, str) or not value:
            raise ValidationError(name, "expected non-empty text")
    return values


class KeyRing:
    """The registry of keys built from the log's registration and revocation entries."""

    def __init__(self) -> None:
        self.keys: dict[bytes, KeyRecord] = {}
        self.admin: bytes | None = None
        self.corridor: str | None = None

    def register(self, index: int, body: Mapping[str, Any], signer: bytes) -> str | None:
        """Apply a ``key_registration`` entry signed by ``signer``."""
        try:
            values = _fields(body, _REGISTRATION_KEYS)
            key = unb64(values["key"], "key", PUBLIC_KEY_BYTES)
            valid_from = parse_time(values["valid_from"], "valid_from")
        except ValidationError as exc:
            return f"malformed key registration: {exc}"
        role = values["role"]
        if role not in _ROLES:
            return f"unknown role {role!r} (want one of {', '.join(sorted(_ROLES))})"
        if self.admin is None:
            if index != 0 or role != ROLE_ADMIN or key != signer:
                return "the first entry must register the admin key, signed by itself"
            self.admin, self.corridor = key, values["corridor"]
        elif signer != self.admin:
            return f"key registration signed by {_short(signer)}, not by the admin key"
        elif values["corridor"] != self.corridor:
            return f"registration for corridor {values['corridor']!r}, log is {self.corridor!r}"
        if key in self.keys:
            return f"key {_short(key)} is already registered to {self.keys[key].owner}"
        self.keys[key] = KeyRecord(values["owner"], role, valid_from, index)
        return None

    def revoke(self, index: int, body: Mapping[str, Any], signer: bytes) -> str | None:
        """Apply a ``key_revocation`` entry signed by ``signer``."""
        try:
            values = _fields(body, _REVOCATION_KEYS)
            key = unb64(values["key"], "key", PUBLIC_KEY_BYTES)
            revoked_at = parse_time(values["revoked_at"], "revoked_at")
        except ValidationError as exc:
            return f"malformed key revocation: {exc}"
        if self.admin is None or signer != self.admin:
            return f"key revocation signed by {_short(signer)}, not by the admin key"
        record = self.keys.get(key)
        if record is None:
            return f"revokes key {_short(key)}, which is not registered"
        if record.owner != values["owner"]:
            return f"revokes key {_short(key)} of {values['owner']!r}, registered to {record.owner}"
        if record.revoked_at is not None:
            return f"key {_short(key)} is already revoked at {record.revoked_text}"
        record.revoked_at, record.revoked_text = revoked_at, values["revoked_at"]
        return None

    def check_post_key(self, key: bytes, post: str, observed: datetime) -> str | None:
        """Whether ``key`` may sign a passage of ``post`` observed at ``observed``."""
        record = self.keys.get(key)
        if record is None:
            return f"key {_short(key)} is not registered"
        if record.role != ROLE_POST:
            return f"key {_short(key)} is registered with role {record.role!r}, not 'post'"
        if record.owner != post:
            return f"key {_short(key)} is registered to {record.owner}, the entry names {post}"
        if observed < record.valid_from:
            return f"key {_short(key)} of {post} is not valid before {record.valid_from:%FT%TZ}"
        if record.revoked_at is not None and observed >= record.revoked_at:
            return (
                f"key {_short(key)} of {post} revoked at {record.revoked_text}, "
                f"entry observed at {observed:%FT%TZ}"
            )
        return None

    def check_hq_key(self, key: bytes) -> str | None:
        """Whether ``key`` may sign a bulletin now (registered as ``hq``, not revoked)."""
        record = self.keys.get(key)
        if record is None:
            return f"bulletin key {_short(key)} is not registered"
        if record.role != ROLE_HQ:
            return f"bulletin key {_short(key)} has role {record.role!r}, not 'hq'"
        if record.revoked_at is not None:
            return f"bulletin key {_short(key)} was revoked at {record.revoked_text}"
        return None
