"""C2SP signed-note v1.0.0: a text ending in a newline, a blank line, and signature lines.

::

    <text, ending in "\\n">
    <blank line>
    — <key name> base64(uint32 key ID || signature)
    ...

Parsing follows golang.org/x/mod/sumdb/note ``Open``: valid UTF-8 with no control character but
newline; the text ends at the *last* blank line; at least one and at most 100 signature lines,
each ending in a newline, with a valid key name and at least 5 decoded bytes. Verification
ignores signatures from unknown ``(name, key ID)`` pairs, rejects the note if a known key's
signature fails, and requires at least one known signature to verify.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from dataclasses import dataclass

from corridor.errors import VerificationError
from corridor.ledger.keys import Signer, Verifier, is_valid_key_name

__all__ = ["MAX_SIGNATURES", "Note", "NoteSignature", "open_note", "verify_note"]

MAX_SIGNATURES = 100
"""Most signature lines a note may carry (the spec requires accepting at least 16)."""

_SIG_PREFIX = "\u2014 "  # em dash, space


@dataclass(frozen=True, slots=True)
class NoteSignature:
    """One signature line: key name, key ID and the signature bytes after the key ID."""

    name: str
    key_id: int
    signature: bytes

    @classmethod
    def from_line(cls, line: str) -> NoteSignature:
        """Parse one signature line, without its newline."""
        if not line.startswith(_SIG_PREFIX):
            raise VerificationError(f"malformed note: {line[:40]!r} is not a signature line")
        name, _, b64 = line[len(_SIG_PREFIX) :].partition(" ")
        if not is_valid_key_name(name):
            raise VerificationError(f"malformed note: invalid key name {name!r}")
        try:
            raw = base64.b64decode(b64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise VerificationError(f"malformed note: signature of {name!r} is not base64") from exc
        if len(raw) < 5:
            raise VerificationError(f"malformed note: signature of {name!r} is too short")
        return cls(name, int.from_bytes(raw[:4], "big"), raw[4:])

    def to_line(self) -> str:
        """Render as a signature line, with its newline."""
        raw = self.key_id.to_bytes(4, "big") + self.signature
        return f"{_SIG_PREFIX}{self.name} {base64.b64encode(raw).decode()}\n"


def _check_characters(message: str) -> None:
    for ch in message:
        if ch < " " and ch != "\n":
            raise VerificationError(f"malformed note: control character {ch!r}")


@dataclass(frozen=True, slots=True)
class Note:
    """A note text (ending in a newline) and its signatures, in order."""

    text: str
    signatures: tuple[NoteSignature, ...] = ()

    @classmethod
    def from_text(cls, message: str | bytes) -> Note:
        """Parse a signed note. Signatures are not checked here; see :func:`verify_note`."""
        if isinstance(message, bytes):
            try:
                message = message.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise VerificationError("malformed note: not valid UTF-8") from exc
        _check_characters(message)
        split = message.rfind("\n\n")
        if split < 0:
            raise VerificationError("malformed note: no blank line before signatures")
        text, block = message[: split + 1], message[split + 2 :]
        if not block.endswith("\n"):
            raise VerificationError("malformed note: signature block must end with a newline")
        lines = block[:-1].split("\n")
        if len(lines) > MAX_SIGNATURES:
            raise VerificationError(f"malformed note: more than {MAX_SIGNATURES} signatures")
        return cls(text, tuple(NoteSignature.from_line(line) for line in lines))

    def to_text(self) -> str:
        """Render the signed note. A note needs at least one signature to be rendered."""
        if not self.text.endswith("\n"):
            raise ValueError("note text must end with a newline")
        if not self.signatures:
            raise ValueError("a signed note needs at least one signature")
        return self.text + "\n" + "".join(s.to_line() for s in self.signatures)

    def to_bytes(self) -> bytes:
        """:meth:`to_text`, UTF-8 encoded."""
        return self.to_text().encode()

    def sign(self, *signers: Signer) -> Note:
        """Return this note with a signature from each signer added after the existing ones;
        an existing signature by the same ``(name, key ID)`` is replaced."""
        if not self.text.endswith("\n"):
            raise ValueError("note text must end with a newline")
        _check_characters(self.text)
        message = self.text.encode()
        new = []
        for signer in signers:
            if not is_valid_key_name(signer.name):
                raise ValueError(f"invalid signer name {signer.name!r}")
            new.append(NoteSignature(signer.name, signer.key_id, signer.sign(message)))
        replaced = {(s.name, s.key_id) for s in new}
        kept = [s for s in self.signatures if (s.name, s.key_id) not in replaced]
        return Note(self.text, (*kept, *new))

    def verified_signatures(self, verifiers: Iterable[Verifier]) -> tuple[NoteSignature, ...]:
        """Return the signatures made by known keys, each verified (repeats are skipped).

        Signatures by unknown ``(name, key ID)`` pairs are ignored. Raises
        :class:`~corridor.errors.VerificationError` if a known key's signature fails or two
        verifiers share a name and key ID. The result may be empty.
        """
        known: dict[tuple[str, int], Verifier] = {}
        for v in verifiers:
            if (v.name, v.key_id) in known:
                raise VerificationError(f"ambiguous verifiers for key {v.name}+{v.key_id:08x}")
            known[(v.name, v.key_id)] = v
        message = self.text.encode()
        seen: set[tuple[str, int]] = set()
        good: list[NoteSignature] = []
        for sig in self.signatures:
            ident = (sig.name, sig.key_id)
            verifier = known.get(ident)
            if verifier is None or ident in seen:
                continue
            seen.add(ident)
            if not verifier.verify(message, sig.signature):
                raise VerificationError(f"invalid signature for key {sig.name}+{sig.key_id:08x}")
            good.append(sig)
        return tuple(good)


def verify_note(note: Note, verifiers: Iterable[Verifier]) -> None:
    """Raise :class:`~corridor.errors.VerificationError` unless at least one signature from a
    known key verifies and none from a known key fails."""
    if not note.verified_signatures(verifiers):
        raise VerificationError("note has no valid signature from a known key")


def open_note(message: str | bytes, verifiers: Iterable[Verifier]) -> Note:
    """Parse a signed note and verify it (see :func:`verify_note`); return the note."""
    note = Note.from_text(message)
    verify_note(note, verifiers)
    return note
