"""Tests for corridor.ledger.tlogproof."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corridor.errors import VerificationError
from corridor.ledger.checkpoint import Checkpoint, sign_checkpoint
from corridor.ledger.cosignature import Cosigner
from corridor.ledger.keys import Ed25519Signer
from corridor.ledger.merkle import leaf_hash
from corridor.ledger.note import Note
from corridor.ledger.proofs import MemoryTree
from corridor.ledger.tlogproof import TLOG_PROOF_HEADER, TlogProof, verify_proof

LOG = Ed25519Signer(name="corridor.example/log", seed=bytes(range(32)))
WITNESS = Cosigner("witness.example", bytes(range(1, 33)), clock=lambda: 1_750_000_000)
ENTRIES = [f"entry {i}".encode() for i in range(13)]


def signed_tree(size: int = len(ENTRIES)) -> tuple[MemoryTree, Note]:
    tree = MemoryTree([leaf_hash(e) for e in ENTRIES[:size]])
    note = sign_checkpoint(Checkpoint(LOG.name, size, tree.root()), LOG, WITNESS)
    return tree, note


def test_round_trip_and_layout() -> None:
    tree, note = signed_tree()
    proof = TlogProof.create(5, note, tree, extra=b"context")
    text = proof.to_text()
    lines = text.split("\n")
    assert lines[0] == TLOG_PROOF_HEADER
    assert lines[1] == "extra Y29udGV4dA=="
    assert lines[2] == "index 5"
    assert lines[3 : 3 + len(proof.hashes)] == [base64.b64encode(h).decode() for h in proof.hashes]
    assert text.endswith("\n\n" + note.to_text())
    assert TlogProof.from_text(text) == proof
    assert TlogProof.from_text(text.encode()) == proof
    verify_proof(proof, ENTRIES[5], [LOG.verifier()], LOG.name, [WITNESS.verifier()], quorum=1)


def test_without_extra_and_single_entry_tree() -> None:
    tree, note = signed_tree(1)
    proof = TlogProof.create(0, note, tree)
    assert proof.hashes == ()
    assert proof.to_text().startswith(f"{TLOG_PROOF_HEADER}\nindex 0\n\n{LOG.name}\n1\n")
    assert TlogProof.from_text(proof.to_text()) == proof
    verify_proof(proof, ENTRIES[0], [LOG.verifier()])


def test_verification_failures() -> None:
    tree, note = signed_tree()
    proof = TlogProof.create(5, note, tree)
    with pytest.raises(VerificationError, match="root mismatch"):
        verify_proof(proof, ENTRIES[6], [LOG.verifier()])
    with pytest.raises(VerificationError, match="no valid signature"):
        verify_proof(proof, ENTRIES[5], [Ed25519Signer.generate(LOG.name).verifier()])
    with pytest.raises(VerificationError, match="not the expected"):
        verify_proof(proof, ENTRIES[5], [LOG.verifier()], origin="other.example")
    with pytest.raises(VerificationError, match="policy needs 2"):
        verify_proof(proof, ENTRIES[5], [LOG.verifier()], witnesses=[WITNESS.verifier()], quorum=2)
    moved = TlogProof(6, proof.hashes, proof.checkpoint)
    with pytest.raises(VerificationError):
        verify_proof(moved, ENTRIES[5], [LOG.verifier()])


@pytest.mark.parametrize(
    ("mangle", "why"),
    [
        (lambda t: t.replace(TLOG_PROOF_HEADER, "c2sp.org/tlog-proof@v2"), "first line"),
        (lambda t: t.replace("index 5", "index 05"), "index"),
        (lambda t: t.replace("index 5\n", ""), "index"),
        (lambda t: t.replace("extra Y29udGV4dA==", "extra !!"), "extra data is not base64"),
        (lambda t: t.replace("\n\n", "\n", 1), "malformed"),
        (lambda t: t.split("\n\n")[0], "no blank line"),
        (lambda t: t.replace("index 5\n", "index 5\nAAAA\n"), "proof hash 0 size"),
        (lambda t: t.replace("index 5\n", "index 5\n@@@@\n"), "not base64"),
        (lambda t: t.replace("index 5\n", "index 5\n" + ("A" * 43 + "=\n") * 70), "too many"),
    ],
)
def test_rejects_malformed(mangle: Callable[[str], str], why: str) -> None:
    tree, note = signed_tree()
    text = TlogProof.create(5, note, tree, extra=b"context").to_text()
    with pytest.raises(VerificationError, match=why):
        TlogProof.from_text(mangle(text))


def test_go_style_proof_text_parses() -> None:
    """Built the way transparency-dev/merkle NewTLogProofWithExtra writes it."""
    tree, note = signed_tree()
    proof = TlogProof.create(12, note, tree)
    go = "c2sp.org/tlog-proof@v1\nextra \nindex 12\n"
    go += "".join(base64.b64encode(h).decode() + "\n" for h in proof.hashes)
    go += "\n" + note.to_text()
    parsed = TlogProof.from_text(go)
    assert parsed.extra == b""
    verify_proof(parsed, ENTRIES[12], [LOG.verifier()])


@settings(max_examples=50)
@given(st.integers(1, len(ENTRIES)), st.data())
def test_any_entry_has_a_verifying_receipt(size: int, data: st.DataObject) -> None:
    tree, note = signed_tree(size)
    index = data.draw(st.integers(0, size - 1))
    proof = TlogProof.from_text(TlogProof.create(index, note, tree).to_text())
    verify_proof(proof, ENTRIES[index], [LOG.verifier()], LOG.name, [WITNESS.verifier()], 1)
