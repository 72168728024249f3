"""C2SP tlog-checkpoint v1.0.0: the signed tree head of a log, as the text of a signed note.

::

    <origin>
    <tree size, decimal, no leading zeroes>
    <root hash, base64>
    [<extension line>...]

The log signs the checkpoint with a note key whose name is the origin. Witnesses add
cosignatures (:mod:`corridor.ledger.cosignature`); clients ignore signatures they do not know.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from dataclasses import dataclass

from corridor.errors import VerificationError
from corridor.ledger.keys import Signer, Verifier
from corridor.ledger.merkle import HASH_SIZE
from corridor.ledger.note import Note, verify_note

__all__ = ["Checkpoint", "open_checkpoint", "sign_checkpoint"]

_SIZE = re.compile(r"0|[1-9][0-9]*")
_MAX_SIZE = (1 << 64) - 1


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A log's tree head: origin, tree size, root hash and optional extension lines."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin:
            raise ValueError("a checkpoint origin is one non-empty line")
        if not 0 <= self.size <= _MAX_SIZE:
            raise ValueError(f"tree size {self.size} is not a 64-bit unsigned integer")
        if len(self.root_hash) != HASH_SIZE:
            raise ValueError(f"root hash must be {HASH_SIZE} bytes")
        if any(not line or "\n" in line for line in self.extensions):
            raise ValueError("extension lines must be single non-empty lines")

    @classmethod
    def from_text(cls, text: str) -> Checkpoint:
        """Parse a checkpoint body (the note text, ending in a newline).

        The root hash must be canonical base64 of 32 bytes, so that :meth:`to_text` gives back
        exactly the signed text.
        """
        if not text.endswith("\n"):
            raise VerificationError("malformed checkpoint: text must end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise VerificationError("malformed checkpoint: want origin, size and root hash lines")
        origin, size_text, root_text, *extensions = lines
        if not origin:
            raise VerificationError("malformed checkpoint: empty origin line")
        if not _SIZE.fullmatch(size_text) or int(size_text) > _MAX_SIZE:
            raise VerificationError(f"malformed checkpoint: bad tree size {size_text[:30]!r}")
        try:
            root = base64.b64decode(root_text, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise VerificationError("malformed checkpoint: root hash is not base64") from exc
        if len(root) != HASH_SIZE or base64.b64encode(root).decode() != root_text:
            raise VerificationError("malformed checkpoint: root hash is not 32 bytes of base64")
        if any(not line for line in extensions):
            raise VerificationError("malformed checkpoint: empty extension line")
        return cls(origin, int(size_text), root, tuple(extensions))

    def to_text(self) -> str:
        """Render the checkpoint body, ending in a newline."""
        lines = [self.origin, str(self.size), base64.b64encode(self.root_hash).decode()]
        return "\n".join([*lines, *self.extensions]) + "\n"


def sign_checkpoint(checkpoint: Checkpoint, signer: Signer, *others: Signer) -> Note:
    """Sign ``checkpoint`` as a note with the log's key (named like the origin), then ``others``."""
    if signer.name != checkpoint.origin:
        raise ValueError(
            f"the log key is named {signer.name!r} but the checkpoint origin is "
            f"{checkpoint.origin!r}"
        )
    return Note(checkpoint.to_text()).sign(signer, *others)


def open_checkpoint(
    message: str | bytes | Note, verifiers: Iterable[Verifier], origin: str | None = None
) -> Checkpoint:
    """Parse and verify a signed checkpoint; return its body.

    ``verifiers`` should be the log's key(s): at least one of them must have signed (see
    :func:`~corridor.ledger.note.verify_note`). Check witnesses with
    :func:`~corridor.ledger.cosignature.verify_cosignatures`. If ``origin`` is given the
    checkpoint must carry it.
    """
    note = message if isinstance(message, Note) else Note.from_text(message)
    verify_note(note, verifiers)
    checkpoint = Checkpoint.from_text(note.text)
    if origin is not None and checkpoint.origin != origin:
        raise VerificationError(
            f"checkpoint origin {checkpoint.origin!r} is not the expected {origin!r}"
        )
    return checkpoint
