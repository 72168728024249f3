"""Tests for corridor.ledger.keys and corridor.ledger.note against golang/mod sumdb/note values.

Every rule and must-reject case of signed-note/golang-note-vectors.json is exercised here.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from corridor.errors import VerificationError
from corridor.ledger.keys import (
    ALG_ED25519,
    Ed25519Signer,
    Ed25519Verifier,
    VerifierKey,
    is_valid_key_name,
    key_id,
)
from corridor.ledger.note import MAX_SIGNATURES, Note, NoteSignature, open_note, verify_note

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
GO = json.loads((VECTORS / "signed-note" / "golang-note-vectors.json").read_text())
PETER = GO["signers"]["PeterNeumann"]
ENOCH = GO["signers"]["EnochRoot"]
TEXT = GO["note_text"]
REJECT = GO["must_reject"]


def peter() -> Ed25519Signer:
    return Ed25519Signer.from_skey(PETER["skey"])


def both_signed() -> str:
    lines = GO["signature_lines"]
    return str(TEXT + "\n" + lines["PeterNeumann"] + lines["EnochRoot"])


def test_rules_are_the_ones_implemented() -> None:
    assert len(GO["rules"]) == 5  # each rule has a test below; a new rule needs a new test


def test_rule_key_id() -> None:
    for signer in (PETER, ENOCH):
        vkey = VerifierKey.from_text(signer["vkey"])
        raw = vkey.name.encode() + b"\n" + b"\x01" + vkey.public_key
        assert vkey.key_id == int.from_bytes(hashlib.sha256(raw).digest()[:4], "big")
        assert f"{vkey.key_id:08x}" == signer["key_id_hex"]
        assert key_id(vkey.name, ALG_ED25519, vkey.public_key) == vkey.key_id


def test_rule_vkey_format_round_trip() -> None:
    for signer in (PETER, ENOCH):
        verifier = Ed25519Verifier.from_vkey(signer["vkey"])
        assert verifier.to_vkey() == signer["vkey"]
        name, hex_id, key64 = signer["vkey"].split("+")
        assert base64.b64decode(key64) == b"\x01" + verifier.public_key
    assert peter().verifier().to_vkey() == PETER["vkey"]


def test_rule_skey_format_round_trip() -> None:
    signer = peter()
    assert signer.name == "PeterNeumann"
    assert signer.to_skey() == PETER["skey"]
    assert "seed" not in repr(signer) and PETER["skey"][-10:] not in repr(signer)


def test_rule_signature_lines_are_exact() -> None:
    note = Note(TEXT).sign(peter())
    assert note.to_text() == GO["signed_note_by_PeterNeumann"]
    assert note.signatures[0].to_line() == GO["signature_lines"]["PeterNeumann"]
    line = GO["signature_lines"]["EnochRoot"]
    assert line.startswith("\u2014 EnochRoot ")
    assert NoteSignature.from_line(line[:-1]).to_line() == line


def test_rule_signed_message_is_text_with_final_newline() -> None:
    sig = Note.from_text(GO["signed_note_by_PeterNeumann"]).signatures[0]
    verifier = Ed25519Verifier.from_vkey(PETER["vkey"])
    assert TEXT.endswith("\n")
    assert verifier.verify(TEXT.encode(), sig.signature)
    assert not verifier.verify(TEXT.encode()[:-1], sig.signature)


def test_two_signers_verify_with_any_known_subset() -> None:
    p, e = Ed25519Verifier.from_vkey(PETER["vkey"]), Ed25519Verifier.from_vkey(ENOCH["vkey"])
    note = open_note(both_signed(), [p, e])
    assert [s.name for s in note.verified_signatures([p, e])] == ["PeterNeumann", "EnochRoot"]
    assert [s.name for s in note.verified_signatures([e])] == ["EnochRoot"]
    verify_note(note, [p])
    assert note.to_text() == both_signed()


def test_unknown_keys_are_ignored_but_one_known_must_verify() -> None:
    note = Note.from_text(both_signed())
    stranger = Ed25519Signer.generate("PeterNeumann")  # same name, other key ID
    with pytest.raises(VerificationError, match="no valid signature from a known key"):
        verify_note(note, [stranger.verifier()])
    with pytest.raises(VerificationError, match="no valid signature"):
        verify_note(note, [])


def test_same_name_and_id_but_wrong_key_fails_the_note() -> None:
    """A verifier claiming Peter's name and key ID with another key: signature must fail."""

    class Impostor:
        name = "PeterNeumann"
        key_id = int(PETER["key_id_hex"], 16)

        def verify(self, message: bytes, signature: bytes) -> bool:
            return Ed25519Signer.generate("x").verifier().verify(message, signature)

    enoch = Ed25519Verifier.from_vkey(ENOCH["vkey"])
    with pytest.raises(VerificationError, match="invalid signature for key PeterNeumann"):
        verify_note(Note.from_text(both_signed()), [Impostor(), enoch])


def test_tampered_text_fails() -> None:
    bad = both_signed().replace("cryptography", "cryptographY", 1)
    with pytest.raises(VerificationError, match="invalid signature"):
        open_note(bad, [Ed25519Verifier.from_vkey(PETER["vkey"])])


def test_ambiguous_verifiers_are_rejected() -> None:
    p = Ed25519Verifier.from_vkey(PETER["vkey"])
    with pytest.raises(VerificationError, match="ambiguous"):
        verify_note(Note.from_text(both_signed()), [p, p])


def test_reject_vkey_wrong_length_key() -> None:
    with pytest.raises(VerificationError, match="wrong Ed25519 key length"):
        Ed25519Verifier.from_vkey(REJECT["vkey_wrong_length_key"])


def test_reject_vkey_unknown_algorithm() -> None:
    with pytest.raises(VerificationError, match="unknown algorithm"):
        Ed25519Verifier.from_vkey(REJECT["vkey_unknown_algorithm"])


@pytest.mark.parametrize(
    ("vkey", "why"),
    [
        ("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "does not match"),
        ("PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "malformed"),
        ("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "malformed"),
        ("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T", "base64"),
        ("PeterNeumann+c74f20a3+", "no key material"),
        ("PeterNeumann", "malformed"),
    ],
)
def test_reject_other_bad_vkeys(vkey: str, why: str) -> None:
    with pytest.raises(VerificationError, match=why):
        Ed25519Verifier.from_vkey(vkey)


@pytest.mark.parametrize(
    "skey",
    [
        PETER["skey"].replace("PRIVATE+KEY", "PRIVATE+KEX"),
        PETER["skey"].replace("c74f20a3", "c74f20a4"),
        PETER["skey"][:-4] + "AAA=",
        "PRIVATE+KEY+PeterNeumann+c74f20a3",
    ],
)
def test_reject_bad_skeys(skey: str) -> None:
    with pytest.raises(VerificationError):
        Ed25519Signer.from_skey(skey)


def test_reject_note_without_signatures() -> None:
    with pytest.raises(VerificationError, match="no blank line"):
        Note.from_text(REJECT["note_without_signatures"])


def test_reject_note_with_unexpected_trailing_line() -> None:
    with pytest.raises(VerificationError, match="not a signature line"):
        Note.from_text(REJECT["note_with_unexpected_trailing_line"])


def test_reject_note_with_space_in_signer_name() -> None:
    with pytest.raises(VerificationError, match="malformed note"):
        Note.from_text(REJECT["note_with_space_in_signer_name"])
    with pytest.raises(VerificationError, match="not base64"):
        Note.from_text(REJECT["note_with_space_in_signer_name"] + "\n")


@pytest.mark.parametrize(
    ("message", "why"),
    [
        (TEXT + "\n\u2014 PeterNeumann x08g\n", "too short"),
        (TEXT + "\n\u2014  x08go/ZJ\n", "invalid key name"),
        (TEXT + "\n\u2014 Peter+Neumann x08go/ZJ\n", "invalid key name"),
        (TEXT + "\n- PeterNeumann x08go/ZJ\n", "not a signature line"),
        (TEXT + "\n" + GO["signature_lines"]["PeterNeumann"] + "\n", "end with a newline"),
        ("tab\there\n\n" + GO["signature_lines"]["PeterNeumann"], "control character"),
        ("cr\r\n\n" + GO["signature_lines"]["PeterNeumann"], "control character"),
        (b"bad \xff utf8\n\n" + GO["signature_lines"]["PeterNeumann"].encode(), "UTF-8"),
        (TEXT + "\n" + GO["signature_lines"]["PeterNeumann"] * 101, "more than 100"),
    ],
)
def test_reject_malformed_notes(message: str | bytes, why: str) -> None:
    with pytest.raises(VerificationError, match=why):
        Note.from_text(message)


def test_text_may_contain_blank_lines_and_signatures_are_after_the_last() -> None:
    signer = Ed25519Signer.generate("example.com/k")
    note = Note("a\n\nb\n").sign(signer)
    parsed = open_note(note.to_bytes(), [signer.verifier()])
    assert parsed.text == "a\n\nb\n"
    assert len(
        Note.from_text(TEXT + "\n" + GO["signature_lines"]["PeterNeumann"] * 100).signatures
    ) == (MAX_SIGNATURES)


def test_sign_replaces_same_key_and_keeps_others() -> None:
    note = Note.from_text(both_signed())
    resigned = note.sign(peter())
    assert [s.name for s in resigned.signatures] == ["EnochRoot", "PeterNeumann"]
    with pytest.raises(ValueError, match="end with a newline"):
        Note("no newline").sign(peter())
    with pytest.raises(ValueError, match="at least one signature"):
        Note(TEXT).to_text()


def test_key_names() -> None:
    assert is_valid_key_name("example.com/log")
    for bad in ("", "a b", "a+b", "a\u00a0b", "a\u2003b"):
        assert not is_valid_key_name(bad)
    with pytest.raises(ValueError, match="invalid key name"):
        Ed25519Signer.generate("bad name")


@given(st.text(alphabet=st.characters(min_codepoint=0x20, blacklist_categories=["Cs"])), st.data())
def test_any_text_signs_and_verifies(line: str, data: st.DataObject) -> None:
    signer = peter()
    note = Note(line + "\n").sign(signer)
    parsed = Note.from_text(note.to_text())
    assert parsed == note
    verify_note(parsed, [signer.verifier()])
