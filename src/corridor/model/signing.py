"""Ed25519 signatures over log entries, and the signed envelope the log stores.

Every log entry is the canonical JSON of an envelope::

    {"type": "passage", "body": {...public entry...}, "key": "<base64 public key>",
     "sig": "<base64 signature>"}

The signature covers ``b"corridor/<type>/v1\\n" + canonical(body)``: the prefix separates the
domains, so a post's signature over a passage can never pass for a key registration or a bulletin.
Verification uses libsodium (PyNaCl), the fastest Ed25519 verifier available to Python here
(docs/performance.md compares it with OpenSSL).
"""

from __future__ import annotations

import base64
import binascii
import string
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import nacl.bindings
import nacl.exceptions
import nacl.signing
import orjson

from corridor.errors import EntryTooLargeError, SignatureError, ValidationError
from corridor.model.canonical import canonical_json
from corridor.model.events import PublicEntry
from corridor.model.wire import decode_envelope, encode_canonical

#: A tlog entry is at most 65,535 bytes (entry bundles frame it with a uint16 length).
MAX_ENTRY_BYTES = 65_535
PUBLIC_KEY_BYTES = 32
SIGNATURE_BYTES = 64


class EntryType(StrEnum):
    """Kinds of entry in the corridor log."""

    PASSAGE = "passage"
    KEY_REGISTRATION = "key_registration"
    KEY_REVOCATION = "key_revocation"
    BULLETIN = "bulletin"


def signed_message(entry_type: EntryType, body_bytes: bytes) -> bytes:
    """The bytes a signer signs for a body of the given type."""
    return b"corridor/" + entry_type.value.encode() + b"/v1\n" + body_bytes


@dataclass(frozen=True, slots=True)
class SigningKey:
    """An Ed25519 private key (a post's, HQ's or the mission admin's)."""

    seed: bytes

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(bytes(nacl.signing.SigningKey.generate()))

    @property
    def public_key(self) -> bytes:
        return bytes(nacl.signing.SigningKey(self.seed).verify_key)

    def sign(self, message: bytes) -> bytes:
        return nacl.signing.SigningKey(self.seed).sign(message).signature

    def signer(self) -> _CachedSigner:
        """A signer that keeps the expanded key, for signing many entries."""
        return _CachedSigner(nacl.signing.SigningKey(self.seed))


class _CachedSigner:
    def __init__(self, key: nacl.signing.SigningKey) -> None:
        self._key = key
        self.public_key = bytes(key.verify_key)

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message).signature


def verify_signature(public_key: bytes, message: bytes, signature: bytes) -> None:
    """Raise :class:`SignatureError` unless ``signature`` is ``public_key``'s over ``message``."""
    try:
        nacl.bindings.crypto_sign_open(signature + message, public_key)
    except (nacl.exceptions.BadSignatureError, ValueError, TypeError) as exc:
        raise SignatureError("signature does not verify for this entry and key") from exc


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: object, field: str, length: int | None = None) -> bytes:
    """Decode strict, canonical base64, naming ``field`` when it is not."""
    if not isinstance(text, str):
        raise ValidationError(field, "expected base64 text")
    try:
        data = binascii.a2b_base64(text, strict_mode=True)
    except (binascii.Error, ValueError) as exc:
        raise ValidationError(field, "not valid base64") from exc
    if not _canonical_tail(text):
        # One value, one spelling: otherwise the same signature could be logged twice.
        raise ValidationError(field, "not in canonical base64 form")
    if length is not None and len(data) != length:
        raise ValidationError(field, f"expected {length} bytes, got {len(data)}")
    return data


_BASE64_VALUE = {
    char: value
    for value, char in enumerate(
        string.ascii_uppercase + string.ascii_lowercase + string.digits + "+/"
    )
}


def _canonical_tail(text: str) -> bool:
    """Whether text that strict base64 decoding accepted is the one canonical spelling of its
    bytes: strict mode already refuses other alphabets, bad padding and stray characters, so
    what is left is the bits below the padding, which must be zero (RFC 4648, section 3.5).
    Checking them is the same test as encoding the bytes again, without the copy."""
    if text.endswith("=="):
        return _BASE64_VALUE[text[-3]] & 0b1111 == 0
    if text.endswith("="):
        return _BASE64_VALUE[text[-2]] & 0b11 == 0
    return True


@dataclass(frozen=True, slots=True)
class Envelope:
    """A signed log entry of any type. ``body`` is the parsed JSON body."""

    type: EntryType
    body: Mapping[str, Any]
    public_key: bytes
    signature: bytes
    raw: bytes

    @property
    def body_bytes(self) -> bytes:
        return canonical_json(self.body)

    def verify(self) -> None:
        """Check the signature (not whether the key was valid then: that is the registry's)."""
        verify_signature(
            self.public_key, signed_message(self.type, self.body_bytes), self.signature
        )

    @classmethod
    def from_bytes(cls, raw: bytes) -> Envelope:
        """Parse a log entry; it must be canonical JSON of a known envelope type."""
        obj = _load_envelope(raw)
        try:
            entry_type = EntryType(obj["type"])
        except ValueError as exc:
            raise ValidationError("type", f"unknown entry type {obj['type']!r}") from exc
        if not isinstance(obj["body"], dict):
            raise ValidationError("body", "expected an object")
        if canonical_json(obj) != raw:
            raise ValidationError("entry", "not in RFC 8785 canonical form")
        return cls(
            type=entry_type,
            body=obj["body"],
            public_key=unb64(obj["key"], "key", PUBLIC_KEY_BYTES),
            signature=unb64(obj["sig"], "sig", SIGNATURE_BYTES),
            raw=raw,
        )


_BODY_PREFIX = b'{"body":'
_KEY_MARK = b',"key":"'
_PASSAGE_TAIL = b'"type":"passage"}'
_PASSAGE_PREFIX = signed_message(EntryType.PASSAGE, b"")
_ENVELOPE_KEYS = frozenset({"type", "body", "key", "sig"})


def _load_envelope(raw: bytes) -> dict[str, Any]:
    """JSON-decode a log entry and check the envelope's shape (orjson: strict UTF-8, fast)."""
    if len(raw) > MAX_ENTRY_BYTES:
        raise EntryTooLargeError("entry", f"{len(raw):,} bytes, over {MAX_ENTRY_BYTES:,}")
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ValidationError("entry", f"not JSON: {exc}") from exc
    if not isinstance(obj, dict) or obj.keys() != _ENVELOPE_KEYS:
        raise ValidationError("entry", "expected an object with type, body, key and sig")
    return obj


def seal(entry_type: EntryType, body_bytes: bytes, public_key: bytes, signature: bytes) -> bytes:
    """Assemble canonical envelope bytes from an already canonical body.

    Keys sort as body < key < sig < type, so the canonical form can be built by concatenation.
    """
    raw = b"".join(
        (
            b'{"body":',
            body_bytes,
            b',"key":"',
            b64(public_key).encode(),
            b'","sig":"',
            b64(signature).encode(),
            b'","type":"',
            entry_type.value.encode(),
            b'"}',
        )
    )
    if len(raw) > MAX_ENTRY_BYTES:
        raise EntryTooLargeError("entry", f"{len(raw):,} bytes, over {MAX_ENTRY_BYTES:,}")
    return raw


def sign_body(entry_type: EntryType, body: Mapping[str, Any], key: SigningKey) -> bytes:
    """Sign any JSON body and return the log entry bytes (used for registrations, bulletins)."""
    body_bytes = canonical_json(body)
    return seal(
        entry_type, body_bytes, key.public_key, key.sign(signed_message(entry_type, body_bytes))
    )


@dataclass(frozen=True, slots=True)
class SignedPassage:
    """A public passage entry with its post's signature: one log entry."""

    entry: PublicEntry
    body: bytes
    public_key: bytes
    signature: bytes
    raw: bytes

    @classmethod
    def sign(cls, entry: PublicEntry, signer: SigningKey | _CachedSigner) -> SignedPassage:
        body = entry.canonical()
        signature = signer.sign(signed_message(EntryType.PASSAGE, body))
        raw = seal(EntryType.PASSAGE, body, signer.public_key, signature)
        return cls(entry, body, signer.public_key, signature, raw)

    @classmethod
    def from_bytes(cls, raw: bytes) -> SignedPassage:
        """Parse log entry bytes as a passage (signature not yet checked).

        The strict schema (:mod:`corridor.model.wire`) decodes and validates in one pass;
        re-encoding the decoded envelope with sorted keys gives exactly the RFC 8785 form, so
        comparing it with ``raw`` proves ``raw`` canonical, and the signed body is then a slice
        of ``raw``.
        """
        if len(raw) > MAX_ENTRY_BYTES:
            raise EntryTooLargeError("entry", f"{len(raw):,} bytes, over {MAX_ENTRY_BYTES:,}")
        if not raw.endswith(_PASSAGE_TAIL):
            # Canonical JSON puts "type" last; anything else is another type or not canonical.
            obj = _load_envelope(raw)
            if obj["type"] != EntryType.PASSAGE.value:
                raise ValidationError("type", f"expected a passage, got {obj['type']!r}")
            raise ValidationError("entry", "not in RFC 8785 canonical form")
        wire = decode_envelope(raw)
        entry = PublicEntry.from_wire(wire.body)
        public_key = unb64(wire.key, "key", PUBLIC_KEY_BYTES)
        signature = unb64(wire.sig, "sig", SIGNATURE_BYTES)
        if encode_canonical(wire) != raw:
            raise ValidationError("entry", "not in RFC 8785 canonical form")
        body = raw[len(_BODY_PREFIX) : raw.rindex(_KEY_MARK)]
        return cls(entry, body, public_key, signature, raw)

    def verify(self) -> None:
        """Raise :class:`SignatureError` unless the signature matches the entry and key."""
        verify_signature(
            self.public_key, signed_message(EntryType.PASSAGE, self.body), self.signature
        )
