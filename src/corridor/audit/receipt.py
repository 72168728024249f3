"""Offline check of a passage receipt: a C2SP tlog-proof and the raw entry it is for."""

from __future__ import annotations

from dataclasses import dataclass

from corridor.errors import CorridorError, VerificationError
from corridor.ledger import Checkpoint, Ed25519Verifier, TlogProof, verify_proof
from corridor.model.signing import Envelope

__all__ = ["ReceiptResult", "verify_receipt"]


@dataclass(frozen=True, slots=True)
class ReceiptResult:
    """A verified receipt: the entry's index, the checkpoint it is proved against, its type."""

    index: int
    origin: str
    size: int
    entry_type: str


def verify_receipt(proof_text: str | bytes, entry: bytes, log_vkey: str) -> ReceiptResult:
    """Check that ``entry`` is at the proof's index in the log whose checkpoint, carried in the
    proof, is signed by ``log_vkey``; and that the entry's own signature verifies.

    Whether the entry's key was registered and valid needs the log (``corridor audit``).
    Raises :class:`~corridor.errors.VerificationError` with the reason otherwise.
    """
    verifier = Ed25519Verifier.from_vkey(log_vkey)
    proof = TlogProof.from_text(proof_text)
    verify_proof(proof, entry, [verifier], origin=verifier.name)
    checkpoint = Checkpoint.from_text(proof.checkpoint.text)
    try:
        envelope = Envelope.from_bytes(entry)
        envelope.verify()
    except CorridorError as exc:
        raise VerificationError(f"entry {proof.index} is in the log but {exc}") from exc
    return ReceiptResult(proof.index, checkpoint.origin, checkpoint.size, envelope.type.value)
