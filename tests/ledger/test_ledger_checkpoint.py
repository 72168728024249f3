"""Tests for corridor.ledger.checkpoint."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from corridor.errors import VerificationError
from corridor.ledger.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from corridor.ledger.keys import Ed25519Signer
from corridor.ledger.merkle import EMPTY_ROOT, leaf_hash

ROOT = base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
SPEC_BODY = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"


def test_spec_example_round_trip() -> None:
    cp = Checkpoint.from_text(SPEC_BODY)
    assert cp == Checkpoint("example.com/behind-the-sofa", 20852163, ROOT)
    assert cp.to_text() == SPEC_BODY


def test_extensions_and_empty_tree() -> None:
    cp = Checkpoint("o", 0, EMPTY_ROOT, ("ext one", "ext two"))
    assert cp.to_text() == f"o\n0\n{base64.b64encode(EMPTY_ROOT).decode()}\next one\next two\n"
    assert Checkpoint.from_text(cp.to_text()) == cp


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("o\n1\n" + base64.b64encode(ROOT).decode(), "end with a newline"),
        ("o\n1\n", "origin, size and root"),
        ("\n1\n" + base64.b64encode(ROOT).decode() + "\n", "empty origin"),
        ("o\n01\n" + base64.b64encode(ROOT).decode() + "\n", "bad tree size"),
        ("o\n-1\n" + base64.b64encode(ROOT).decode() + "\n", "bad tree size"),
        ("o\n+1\n" + base64.b64encode(ROOT).decode() + "\n", "bad tree size"),
        ("o\n18446744073709551616\n" + base64.b64encode(ROOT).decode() + "\n", "bad tree size"),
        ("o\n1\nnot base64!\n", "not base64"),
        ("o\n1\n" + base64.b64encode(ROOT[:31]).decode() + "\n", "not 32 bytes"),
        ("o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=\n", "not 32 bytes"),
        ("o\n1\n" + base64.b64encode(ROOT).decode() + "\n\next\n", "empty extension"),
    ],
)
def test_rejects_malformed(text: str, why: str) -> None:
    with pytest.raises(VerificationError, match=why):
        Checkpoint.from_text(text)


def test_constructor_checks_values() -> None:
    with pytest.raises(ValueError, match="origin"):
        Checkpoint("", 1, ROOT)
    with pytest.raises(ValueError, match="64-bit"):
        Checkpoint("o", -1, ROOT)
    with pytest.raises(ValueError, match="32 bytes"):
        Checkpoint("o", 1, b"x")
    with pytest.raises(ValueError, match="extension"):
        Checkpoint("o", 1, ROOT, ("",))


def test_sign_and_open() -> None:
    log = Ed25519Signer.generate("corridor.example/log")
    cp = Checkpoint("corridor.example/log", 3, leaf_hash(b"x"))
    note = sign_checkpoint(cp, log)
    assert note.text == cp.to_text()
    assert open_checkpoint(note.to_text(), [log.verifier()], "corridor.example/log") == cp
    assert open_checkpoint(note, [log.verifier()]) == cp
    with pytest.raises(VerificationError, match="not the expected"):
        open_checkpoint(note.to_bytes(), [log.verifier()], "other.example/log")
    other = Ed25519Signer.generate("corridor.example/log")
    with pytest.raises(VerificationError, match="no valid signature"):
        open_checkpoint(note.to_text(), [other.verifier()])
    forged = note.to_text().replace("\n3\n", "\n4\n")
    with pytest.raises(VerificationError, match="invalid signature"):
        open_checkpoint(forged, [log.verifier()])
    with pytest.raises(ValueError, match="origin"):
        sign_checkpoint(cp, Ed25519Signer.generate("someone.else"))


@given(
    st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1),
    st.integers(0, 2**64 - 1),
    st.binary(min_size=32, max_size=32),
    st.lists(st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1)),
)
def test_round_trip(origin: str, size: int, root: bytes, extensions: list[str]) -> None:
    cp = Checkpoint(origin, size, root, tuple(extensions))
    assert Checkpoint.from_text(cp.to_text()) == cp
