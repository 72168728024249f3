"""Tests for corridor.ledger.cosignature, with the real cosigned Sunlight checkpoint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from corridor.errors import VerificationError
from corridor.ledger.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from corridor.ledger.cosignature import (
    ALG_COSIGNATURE_V1,
    CosignatureVerifier,
    Cosigner,
    cosignature_message,
    cosignature_timestamp,
    parse_verifier_key,
    verify_cosignatures,
)
from corridor.ledger.keys import Ed25519Signer, Ed25519Verifier, VerifierKey, key_id
from corridor.ledger.merkle import leaf_hash
from corridor.ledger.note import Note, verify_note

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
SUNLIGHT = VECTORS / "sunlight-tiles"
MIRROR = json.loads((SUNLIGHT / "mirror.v0.json").read_text())
CHECKPOINT = next(SUNLIGHT.glob("000*")).joinpath("checkpoint").read_text()


def witness() -> CosignatureVerifier:
    (vkey,) = MIRROR["verifier_keys"]
    return CosignatureVerifier.from_vkey(vkey)


def test_witness_vkey_is_type_4_with_its_key_id() -> None:
    w = witness()
    assert w.name == MIRROR["name"] == "mirror.example.org"
    assert f"{w.key_id:08x}" == "3fb148ef"
    assert w.key_id == key_id(w.name, ALG_COSIGNATURE_V1, w.public_key)
    assert w.to_vkey() == MIRROR["verifier_keys"][0]
    assert VerifierKey.from_text(w.to_vkey()).algorithm == 0x04


def test_sunlight_checkpoint_cosignature_verifies() -> None:
    note = Note.from_text(CHECKPOINT)
    verify_note(note, [witness()])
    verify_cosignatures(note, [witness()], quorum=1)
    assert cosignature_timestamp(note, witness()) == 0x69546780
    cp = open_checkpoint(CHECKPOINT, [witness()], "rome2026h1.example.org")
    assert cp.size == 300
    assert note.to_text() == CHECKPOINT
    # The vector carries no log signature and mirror.v0.json gives no log vkey: nothing more
    # to check for the log itself.
    assert [s.name for s in note.signatures] == ["mirror.example.org"]


@pytest.mark.parametrize("position", range(0, len(CHECKPOINT.encode()), 7))
def test_sunlight_checkpoint_any_changed_byte_fails(position: int) -> None:
    raw = bytearray(CHECKPOINT.encode())
    raw[position] ^= 0x01
    with pytest.raises(VerificationError):
        open_checkpoint(bytes(raw), [witness()], "rome2026h1.example.org")


def test_message_format() -> None:
    assert cosignature_message("o\n1\nroot\n", 1679315147) == (
        b"cosignature/v1\ntime 1679315147\no\n1\nroot\n"
    )
    with pytest.raises(ValueError, match="2\\*\\*63"):
        cosignature_message("o\n", 2**63)


def test_cosigner_round_trip_with_injected_clock() -> None:
    log = Ed25519Signer.generate("corridor.example/log")
    w1 = Cosigner.generate("witness.example/one", clock=lambda: 1_700_000_000)
    w2 = Cosigner.generate("witness.example/two", clock=lambda: 1_700_000_001)
    note = sign_checkpoint(Checkpoint(log.name, 5, leaf_hash(b"r")), log, w1, w2)
    assert len(note.signatures[1].signature) == 72
    parsed = Note.from_text(note.to_text())
    verify_note(parsed, [log.verifier()])
    verify_cosignatures(parsed, [w1.verifier(), w2.verifier()], quorum=2)
    assert cosignature_timestamp(parsed, w2.verifier()) == 1_700_000_001
    with pytest.raises(VerificationError, match="policy needs 3"):
        verify_cosignatures(parsed, [w1.verifier(), w2.verifier()], quorum=3)
    stranger = Cosigner.generate("witness.example/three").verifier()
    with pytest.raises(VerificationError, match="no cosignature"):
        cosignature_timestamp(parsed, stranger)


def test_cosignature_is_not_a_note_signature_and_vice_versa() -> None:
    """The same Ed25519 key as type 0x01 and 0x04 has two key IDs; messages differ too."""
    seed = bytes(range(32))
    as_log, as_witness = Ed25519Signer("k.example", seed), Cosigner("k.example", seed)
    assert as_log.key_id != as_witness.key_id
    text = b"o\n1\n" + b"A" * 43 + b"=\n"
    cosig = as_witness.sign(text)
    assert as_witness.verifier().verify(text, cosig)
    assert not as_log.verifier().verify(text, cosig[8:])
    assert not as_witness.verifier().verify(text, cosig[:8] + as_log.sign(text))
    bad_time = (2**63).to_bytes(8, "big") + cosig[8:]
    assert not as_witness.verifier().verify(text, bad_time)
    assert not as_witness.verifier().verify(text, cosig[:-1])


def test_parse_verifier_key_dispatches_on_type() -> None:
    log = Ed25519Signer.generate("log.example")
    assert isinstance(parse_verifier_key(log.verifier().to_vkey()), Ed25519Verifier)
    assert isinstance(parse_verifier_key(MIRROR["verifier_keys"][0]), CosignatureVerifier)
    with pytest.raises(VerificationError, match="not a cosignature/v1 key"):
        CosignatureVerifier.from_vkey(log.verifier().to_vkey())
    unknown = VerifierKey("x.example", 0x05, bytes(32)).to_text()
    with pytest.raises(VerificationError, match="0x05 is not supported"):
        parse_verifier_key(unknown)
