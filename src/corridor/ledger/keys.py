"""Signed-note keys: names, key IDs, verifier keys (vkeys) and Ed25519 signers and verifiers.

C2SP signed-note v1.0.0 and golang.org/x/mod/sumdb/note::

    key ID = SHA-256(name || 0x0A || type || public key)[:4]          (big-endian uint32)
    vkey   = name + "+" + hex8(key ID) + "+" + base64(type || public key)
    skey   = "PRIVATE+KEY+" + name + "+" + hex8(key ID) + "+" + base64(type || seed)  (Go)

Type 0x01 is an Ed25519 note signature; type 0x04 (a witness cosignature) lives in
:mod:`corridor.ledger.cosignature`. Key material goes through PyNaCl.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass, field
from typing import ClassVar, Protocol, Self

import nacl.exceptions
import nacl.signing

from corridor.errors import VerificationError

__all__ = [
    "ALG_ED25519",
    "Ed25519Signer",
    "Ed25519Verifier",
    "Signer",
    "Verifier",
    "VerifierKey",
    "is_valid_key_name",
    "key_id",
]

ALG_ED25519 = 0x01
"""Signature type byte of an Ed25519 note signature."""

_HEX8 = re.compile(r"[0-9a-fA-F]{8}")


class Verifier(Protocol):
    """Checks note signatures made by one key, identified by ``(name, key_id)``."""

    @property
    def name(self) -> str:
        """Key name, as written in signature lines."""
        ...

    @property
    def key_id(self) -> int:
        """32-bit key ID, the first four bytes of every signature from this key."""
        ...

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Whether ``signature`` (without the key ID) is valid for the note text ``message``."""
        ...


class Signer(Protocol):
    """Signs note texts with one key."""

    @property
    def name(self) -> str:
        """Key name, as written in signature lines."""
        ...

    @property
    def key_id(self) -> int:
        """32-bit key ID."""
        ...

    def sign(self, message: bytes) -> bytes:
        """Return the signature (without the key ID) of the note text ``message``."""
        ...


def is_valid_key_name(name: str) -> bool:
    """A key name is non-empty and contains no Unicode space and no ``+``."""
    return bool(name) and "+" not in name and not any(c.isspace() for c in name)


def key_id(name: str, algorithm: int, public_key: bytes) -> int:
    """Return the key ID: the first 4 bytes, big-endian, of
    SHA-256(name || 0x0A || algorithm || public_key)."""
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([algorithm]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def _b64decode(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise VerificationError(f"{what} is not valid base64") from exc


@dataclass(frozen=True, slots=True)
class VerifierKey:
    """A decoded vkey: key name, signature type byte and public key bytes."""

    name: str
    algorithm: int
    public_key: bytes

    @property
    def key_id(self) -> int:
        """The key ID this vkey carries (checked on parsing)."""
        return key_id(self.name, self.algorithm, self.public_key)

    @classmethod
    def from_text(cls, vkey: str) -> VerifierKey:
        """Parse ``name+hex8+base64(type || key)``; the key ID must match the key."""
        name, _, rest = vkey.partition("+")
        hex_id, _, key64 = rest.partition("+")
        if not is_valid_key_name(name) or not _HEX8.fullmatch(hex_id):
            raise VerificationError(f"malformed verifier key {vkey!r}")
        raw = _b64decode(key64, "verifier key material")
        if not raw:
            raise VerificationError(f"verifier key {name!r} has no key material")
        key = cls(name, raw[0], raw[1:])
        if key.key_id != int(hex_id, 16):
            raise VerificationError(f"verifier key {name!r}: key ID {hex_id} does not match key")
        return key

    def to_text(self) -> str:
        """Render as a vkey string."""
        raw = bytes([self.algorithm]) + self.public_key
        return f"{self.name}+{self.key_id:08x}+{base64.b64encode(raw).decode()}"


@dataclass(frozen=True, slots=True)
class Ed25519VerifierBase:
    """What every Ed25519 verifier shares: name, public key, key ID and vkey for the signature
    type ``algorithm``. Subclasses say how a signature line's bytes are checked."""

    algorithm: ClassVar[int]
    kind: ClassVar[str]
    name: str
    public_key: bytes
    _key: nacl.signing.VerifyKey = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not is_valid_key_name(self.name):
            raise ValueError(f"invalid key name {self.name!r}")
        if len(self.public_key) != 32:
            raise ValueError("an Ed25519 public key is 32 bytes")
        object.__setattr__(self, "_key", nacl.signing.VerifyKey(self.public_key))

    @property
    def key_id(self) -> int:
        """Key ID for this signature type."""
        return key_id(self.name, self.algorithm, self.public_key)

    @classmethod
    def from_vkey(cls, vkey: str) -> Self:
        """Parse a vkey of this signature type."""
        key = VerifierKey.from_text(vkey)
        if key.algorithm != cls.algorithm:
            raise VerificationError(
                f"verifier key {key.name!r} is not {cls.kind} key "
                f"(unknown algorithm 0x{key.algorithm:02x} here)"
            )
        if len(key.public_key) != 32:
            raise VerificationError(f"verifier key {key.name!r}: wrong Ed25519 key length")
        return cls(key.name, key.public_key)

    def to_vkey(self) -> str:
        """Render as a vkey string."""
        return VerifierKey(self.name, self.algorithm, self.public_key).to_text()

    def _valid(self, message: bytes, signature: bytes) -> bool:
        try:
            self._key.verify(message, signature)
        except nacl.exceptions.BadSignatureError:
            return False
        return True


@dataclass(frozen=True, slots=True)
class Ed25519Verifier(Ed25519VerifierBase):
    """Verifier of Ed25519 (type 0x01) note signatures."""

    algorithm: ClassVar[int] = ALG_ED25519
    kind: ClassVar[str] = "an Ed25519 note"

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Whether ``signature`` is a valid Ed25519 signature of ``message``."""
        return len(signature) == 64 and self._valid(message, signature)


@dataclass(frozen=True, slots=True)
class Ed25519Signer:
    """Signer of Ed25519 (type 0x01) note signatures from a 32-byte seed."""

    name: str
    seed: bytes = field(repr=False)
    _key: nacl.signing.SigningKey = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not is_valid_key_name(self.name):
            raise ValueError(f"invalid key name {self.name!r}")
        if len(self.seed) != 32:
            raise ValueError("an Ed25519 seed is 32 bytes")
        object.__setattr__(self, "_key", nacl.signing.SigningKey(self.seed))

    @classmethod
    def generate(cls, name: str) -> Ed25519Signer:
        """A new random key named ``name``."""
        return cls(name, bytes(nacl.signing.SigningKey.generate()))

    @classmethod
    def from_skey(cls, skey: str) -> Ed25519Signer:
        """Parse Go's ``PRIVATE+KEY+name+hex8+base64(0x01 || seed)``; the key ID is checked
        against the derived public key."""
        parts = skey.split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise VerificationError("malformed signer key: want PRIVATE+KEY+name+id+key")
        _, _, name, hex_id, key64 = parts
        if not is_valid_key_name(name) or not _HEX8.fullmatch(hex_id):
            raise VerificationError("malformed signer key name or key ID")
        raw = _b64decode(key64, "signer key material")
        if len(raw) != 33 or raw[0] != ALG_ED25519:
            raise VerificationError(f"signer key {name!r} is not an Ed25519 seed")
        signer = cls(name, raw[1:])
        if signer.key_id != int(hex_id, 16):
            raise VerificationError(f"signer key {name!r}: key ID {hex_id} does not match key")
        return signer

    def to_skey(self) -> str:
        """Render in Go's private key format (keep it secret)."""
        raw = base64.b64encode(bytes([ALG_ED25519]) + self.seed).decode()
        return f"PRIVATE+KEY+{self.name}+{self.key_id:08x}+{raw}"

    @property
    def public_key(self) -> bytes:
        """The 32-byte Ed25519 public key."""
        return bytes(self._key.verify_key)

    @property
    def key_id(self) -> int:
        """Key ID for type 0x01."""
        return key_id(self.name, ALG_ED25519, self.public_key)

    def verifier(self) -> Ed25519Verifier:
        """The matching verifier."""
        return Ed25519Verifier(self.name, self.public_key)

    def sign(self, message: bytes) -> bytes:
        """Return the 64-byte Ed25519 signature of ``message``."""
        return self._key.sign(message).signature
