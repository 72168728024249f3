"""C2SP tlog-cosignature v1.0.1, Ed25519 type (0x04): a witness's timestamped signature of a
checkpoint, carried as one more signature line of the checkpoint note.

::

    key ID    = SHA-256(name || "\\n" || 0x04 || 32-byte public key)[:4]
    message   = "cosignature/v1\\n" + "time " + <decimal timestamp> + "\\n" + <checkpoint text>
    signature = uint64 big-endian timestamp || Ed25519 signature of message   (72 bytes)

The ML-DSA-44 subtree cosignature of the same spec is not implemented.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import ClassVar

import nacl.exceptions
import nacl.signing

from corridor.errors import VerificationError
from corridor.ledger.keys import (
    ALG_ED25519,
    Ed25519Verifier,
    Ed25519VerifierBase,
    Verifier,
    VerifierKey,
    is_valid_key_name,
    key_id,
)
from corridor.ledger.note import Note

__all__ = [
    "ALG_COSIGNATURE_V1",
    "CosignatureVerifier",
    "Cosigner",
    "cosignature_message",
    "cosignature_timestamp",
    "parse_verifier_key",
    "verify_cosignatures",
]

ALG_COSIGNATURE_V1 = 0x04
"""Signature type byte of an Ed25519 cosignature/v1."""

_MAX_TIMESTAMP = (1 << 63) - 1


def cosignature_message(checkpoint_text: str | bytes, timestamp: int) -> bytes:
    """The message a cosignature/v1 signs: header, time line, then the checkpoint text."""
    if not 0 <= timestamp <= _MAX_TIMESTAMP:
        raise ValueError(f"timestamp {timestamp} is outside 0..2**63-1")
    body = checkpoint_text.encode() if isinstance(checkpoint_text, str) else checkpoint_text
    return b"cosignature/v1\ntime %d\n" % timestamp + body


def _now() -> int:
    return int(time.time())


@dataclass(frozen=True, slots=True)
class CosignatureVerifier(Ed25519VerifierBase):
    """Verifier of a witness's Ed25519 cosignatures (a note :class:`Verifier`)."""

    algorithm: ClassVar[int] = ALG_COSIGNATURE_V1
    kind: ClassVar[str] = "a cosignature/v1"

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Whether ``signature`` (timestamp || Ed25519) cosigns the checkpoint text ``message``."""
        if len(signature) != 72:
            return False
        timestamp = int.from_bytes(signature[:8], "big")
        if timestamp > _MAX_TIMESTAMP:
            return False
        return self._valid(cosignature_message(message, timestamp), signature[8:])


@dataclass(frozen=True, slots=True)
class Cosigner:
    """A witness key that cosigns checkpoints (a note :class:`~corridor.ledger.keys.Signer`).

    ``clock`` gives the POSIX time written into each cosignature; inject one in tests.
    """

    name: str
    seed: bytes = field(repr=False)
    clock: Callable[[], int] = field(default=_now, compare=False)
    _key: nacl.signing.SigningKey = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not is_valid_key_name(self.name):
            raise ValueError(f"invalid key name {self.name!r}")
        if len(self.seed) != 32:
            raise ValueError("an Ed25519 seed is 32 bytes")
        object.__setattr__(self, "_key", nacl.signing.SigningKey(self.seed))

    @classmethod
    def generate(cls, name: str, clock: Callable[[], int] = _now) -> Cosigner:
        """A new random witness key."""
        return cls(name, bytes(nacl.signing.SigningKey.generate()), clock)

    @property
    def public_key(self) -> bytes:
        """The 32-byte Ed25519 public key."""
        return bytes(self._key.verify_key)

    @property
    def key_id(self) -> int:
        """Key ID for type 0x04."""
        return key_id(self.name, ALG_COSIGNATURE_V1, self.public_key)

    def verifier(self) -> CosignatureVerifier:
        """The matching verifier."""
        return CosignatureVerifier(self.name, self.public_key)

    def sign(self, message: bytes) -> bytes:
        """Cosign the checkpoint text ``message`` at ``clock()``: timestamp || signature."""
        timestamp = self.clock()
        signed = self._key.sign(cosignature_message(message, timestamp)).signature
        return timestamp.to_bytes(8, "big") + signed


def parse_verifier_key(vkey: str) -> Ed25519Verifier | CosignatureVerifier:
    """Parse a vkey of type 0x01 (note signer, e.g. a log) or 0x04 (witness)."""
    algorithm = VerifierKey.from_text(vkey).algorithm
    if algorithm == ALG_ED25519:
        return Ed25519Verifier.from_vkey(vkey)
    if algorithm == ALG_COSIGNATURE_V1:
        return CosignatureVerifier.from_vkey(vkey)
    raise VerificationError(f"verifier key type 0x{algorithm:02x} is not supported")


def cosignature_timestamp(note: Note, verifier: CosignatureVerifier) -> int:
    """Verify ``verifier``'s cosignature on ``note`` and return its timestamp."""
    for sig in note.verified_signatures([verifier]):
        return int.from_bytes(sig.signature[:8], "big")
    raise VerificationError(f"no cosignature from {verifier.name}+{verifier.key_id:08x}")


def verify_cosignatures(note: Note, verifiers: Iterable[Verifier], quorum: int = 1) -> None:
    """Require valid cosignatures on ``note`` from at least ``quorum`` of ``verifiers``; any
    known signature that fails rejects the note."""
    good = note.verified_signatures(verifiers)
    if len(good) < quorum:
        raise VerificationError(f"{len(good)} valid cosignature(s), the policy needs {quorum}")
