"""Known-answer tests for corridor.ledger.verify over every transparency-dev/merkle vector."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from corridor.errors import VerificationError
from corridor.ledger.merkle import EMPTY_ROOT, leaf_hash
from corridor.ledger.proofs import MemoryTree
from corridor.ledger.verify import (
    verify_consistency,
    verify_inclusion,
    verify_subtree_consistency,
    verify_subtree_inclusion,
)

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
TESTDATA = VECTORS / "transparency-dev-merkle" / "testdata"
FILES = sorted(TESTDATA.rglob("*.json"))


def b64(value: str) -> bytes:
    return base64.b64decode(value)


def proof_of(vector: dict[str, Any]) -> list[bytes]:
    return [b64(h) for h in vector["proof"] or []]


def check(kind: str, v: dict[str, Any]) -> None:
    if kind == "inclusion":
        verify_inclusion(
            b64(v["leafHash"]), v["leafIdx"], v["treeSize"], proof_of(v), b64(v["root"])
        )
    elif kind == "consistency":
        verify_consistency(v["size1"], v["size2"], proof_of(v), b64(v["root1"]), b64(v["root2"]))
    elif kind == "subtreeinclusion":
        verify_subtree_inclusion(
            b64(v["leafHash"]), v["leafIdx"], v["start"], v["end"], proof_of(v), b64(v["root"])
        )
    elif kind == "subtreeconsistency":
        verify_subtree_consistency(
            v["start"], v["end"], v["size"], proof_of(v), b64(v["root1"]), b64(v["root2"])
        )
    else:  # pragma: no cover - a new vector family must be wired in explicitly
        raise AssertionError(f"unknown vector family {kind}")


def test_every_vector_family_is_present() -> None:
    families = {p.relative_to(TESTDATA).parts[0] for p in FILES}
    assert families == {"inclusion", "consistency", "subtreeinclusion", "subtreeconsistency"}
    assert len(FILES) > 500


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(TESTDATA)))
def test_transparency_dev_vector(path: Path) -> None:
    vector = json.loads(path.read_text())
    kind = path.relative_to(TESTDATA).parts[0]
    if vector["wantErr"]:
        with pytest.raises(VerificationError):
            check(kind, vector)
    else:
        check(kind, vector)


def test_inclusion_errors_name_the_problem() -> None:
    leaf = leaf_hash(b"")
    with pytest.raises(VerificationError, match="outside a tree of size 0"):
        verify_inclusion(leaf, 0, 0, [], EMPTY_ROOT)
    with pytest.raises(VerificationError, match="leaf hash has 3 bytes"):
        verify_inclusion(b"abc", 0, 1, [], leaf)
    with pytest.raises(VerificationError, match="has 1 hashes, want 0"):
        verify_inclusion(leaf, 0, 1, [leaf], leaf)
    with pytest.raises(VerificationError, match="proof hash 0 has 2 bytes"):
        verify_inclusion(leaf, 0, 2, [b"xx"], leaf)
    with pytest.raises(VerificationError, match="root mismatch"):
        verify_inclusion(leaf, 0, 1, [], EMPTY_ROOT)
    with pytest.raises(VerificationError, match="64-bit"):
        verify_inclusion(leaf, 0, 2**64, [], leaf)


def test_consistency_rules_from_the_readme() -> None:
    root = leaf_hash(b"x")
    with pytest.raises(VerificationError, match="empty tree"):
        verify_consistency(0, 0, [], EMPTY_ROOT, EMPTY_ROOT)
    with pytest.raises(VerificationError, match="empty tree"):
        verify_consistency(0, 1, [], EMPTY_ROOT, root)
    with pytest.raises(VerificationError, match="not empty"):
        verify_consistency(1, 1, [root], root, root)
    with pytest.raises(VerificationError, match="root mismatch"):
        verify_consistency(1, 1, [], root, EMPTY_ROOT)
    with pytest.raises(VerificationError, match="smaller than size1"):
        verify_consistency(2, 1, [], root, root)
    with pytest.raises(VerificationError, match="empty consistency proof"):
        verify_consistency(1, 2, [], root, root)
    verify_consistency(1, 1, [], root, root)


def test_subtree_validity() -> None:
    root = leaf_hash(b"x")
    with pytest.raises(VerificationError, match="not aligned"):
        verify_subtree_inclusion(root, 3, 3, 5, [], root)
    with pytest.raises(VerificationError, match="is empty"):
        verify_subtree_inclusion(root, 2, 2, 2, [], root)
    with pytest.raises(VerificationError, match="empty subtree root mismatch"):
        verify_subtree_consistency(2, 2, 4, [], root, root)
    verify_subtree_consistency(2, 2, 4, [], EMPTY_ROOT, root)
    with pytest.raises(VerificationError, match="smaller than subtree end"):
        verify_subtree_consistency(0, 4, 3, [], root, root)


def test_subtree_consistency_at_the_right_edge() -> None:
    """A subtree ending at the tree size needs one left sibling per right-child ancestor."""
    tree = MemoryTree([leaf_hash(bytes([i])) for i in range(8)])
    left4, left2 = tree.read_hashes([(2, 0)])[0], tree.read_hashes([(1, 2)])[0]
    sub_4_8, sub_6_8 = tree.read_hashes([(2, 1)])[0], tree.read_hashes([(1, 3)])[0]
    root = tree.root()
    verify_subtree_consistency(4, 8, 8, [left4], sub_4_8, root)
    verify_subtree_consistency(6, 8, 8, [left2, left4], sub_6_8, root)
    with pytest.raises(VerificationError, match="has 1 hashes, want 2"):
        verify_subtree_consistency(6, 8, 8, [left4], sub_6_8, root)
    with pytest.raises(VerificationError, match="root mismatch"):
        verify_subtree_consistency(6, 8, 8, [left4, left2], sub_6_8, root)
