"""C2SP tlog-proof (``c2sp.org/tlog-proof@v1``): an offline-verifiable receipt that an entry
is in a log, made of its index, an inclusion proof and the signed checkpoint::

    c2sp.org/tlog-proof@v1
    [extra <base64 opaque data>]
    index <decimal>
    <base64 hash>            zero or more, leaf sibling first
    <blank line>
    <checkpoint note, verbatim>

The extra data is not authenticated; applications must not trust it.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from dataclasses import dataclass

from corridor.errors import VerificationError
from corridor.ledger.checkpoint import Checkpoint, open_checkpoint
from corridor.ledger.cosignature import verify_cosignatures
from corridor.ledger.keys import Verifier
from corridor.ledger.merkle import HASH_SIZE, leaf_hash
from corridor.ledger.note import Note
from corridor.ledger.proofs import HashReader, inclusion_proof
from corridor.ledger.verify import verify_inclusion

__all__ = ["TLOG_PROOF_HEADER", "TlogProof", "verify_proof"]

TLOG_PROOF_HEADER = "c2sp.org/tlog-proof@v1"
"""First line of every proof."""

_INDEX = re.compile(r"index (0|[1-9][0-9]*)")
_MAX_HASHES = 64


def _b64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise VerificationError(f"malformed tlog-proof: {what} is not base64") from exc


@dataclass(frozen=True, slots=True)
class TlogProof:
    """An entry's index, its inclusion proof, the checkpoint note it is proved against, and
    optional unauthenticated extra data."""

    index: int
    hashes: tuple[bytes, ...]
    checkpoint: Note
    extra: bytes | None = None

    @classmethod
    def create(
        cls, index: int, checkpoint: Note, reader: HashReader, extra: bytes | None = None
    ) -> TlogProof:
        """Build the proof of entry ``index`` against the signed ``checkpoint`` from a tree."""
        size = Checkpoint.from_text(checkpoint.text).size
        return cls(index, tuple(inclusion_proof(index, size, reader)), checkpoint, extra)

    @classmethod
    def from_text(cls, text: str | bytes) -> TlogProof:
        """Parse a tlog-proof; the checkpoint is parsed as a note but not verified here."""
        if isinstance(text, bytes):
            try:
                text = text.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise VerificationError("malformed tlog-proof: not valid UTF-8") from exc
        lines = text.split("\n")
        if lines[0] != TLOG_PROOF_HEADER:
            raise VerificationError(f"malformed tlog-proof: first line must be {TLOG_PROOF_HEADER}")
        at = 1
        extra = None
        if len(lines) > at and lines[at].startswith("extra "):
            extra = _b64(lines[at][len("extra ") :], "extra data")
            at += 1
        match = _INDEX.fullmatch(lines[at]) if len(lines) > at else None
        if match is None:
            raise VerificationError("malformed tlog-proof: missing or bad 'index <n>' line")
        index = int(match[1])
        at += 1
        hashes: list[bytes] = []
        while at < len(lines) and lines[at]:
            value = _b64(lines[at], f"proof hash {len(hashes)}")
            if len(value) != HASH_SIZE:
                raise VerificationError(f"malformed tlog-proof: proof hash {len(hashes)} size")
            hashes.append(value)
            if len(hashes) > _MAX_HASHES:
                raise VerificationError("malformed tlog-proof: too many proof hashes")
            at += 1
        if at >= len(lines):
            raise VerificationError("malformed tlog-proof: no blank line before the checkpoint")
        note = Note.from_text("\n".join(lines[at + 1 :]))
        return cls(index, tuple(hashes), note, extra)

    def to_text(self) -> str:
        """Render the proof; the checkpoint note is written as rendered by :class:`Note`."""
        lines = [TLOG_PROOF_HEADER]
        if self.extra is not None:
            lines.append("extra " + base64.b64encode(self.extra).decode())
        lines.append(f"index {self.index}")
        lines.extend(base64.b64encode(h).decode() for h in self.hashes)
        return "\n".join(lines) + "\n\n" + self.checkpoint.to_text()


def verify_proof(
    proof: TlogProof,
    entry: bytes,
    verifiers: Iterable[Verifier],
    origin: str | None = None,
    witnesses: Iterable[Verifier] = (),
    quorum: int = 0,
) -> None:
    """Check that ``entry`` is at ``proof.index`` in the log whose checkpoint is signed by one
    of ``verifiers`` (the log's keys) and, if ``quorum`` > 0, cosigned by that many
    ``witnesses``. Raises :class:`~corridor.errors.VerificationError` otherwise."""
    checkpoint = open_checkpoint(proof.checkpoint, verifiers, origin)
    if quorum > 0:
        verify_cosignatures(proof.checkpoint, witnesses, quorum)
    verify_inclusion(
        leaf_hash(entry), proof.index, checkpoint.size, proof.hashes, checkpoint.root_hash
    )
