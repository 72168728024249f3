"""Tests for corridor.ledger.proofs: generated proofs match the vectors and always verify."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corridor.errors import VerificationError
from corridor.ledger.merkle import EMPTY_ROOT, leaf_hash, root_from_leaf_hashes
from corridor.ledger.proofs import MemoryTree, consistency_proof, inclusion_proof, tree_hash
from corridor.ledger.verify import verify_consistency, verify_inclusion

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
MERKLE = VECTORS / "transparency-dev-merkle"
TREE8 = json.loads((MERKLE / "tree-8-leaves.json").read_text())
LEAVES8 = [leaf_hash(bytes.fromhex(h)) for h in TREE8["leaf_inputs_hex"]]
ROOTS8 = [bytes.fromhex(h) for h in TREE8["root_hashes_hex_by_size"]]


def tree_of(size: int) -> MemoryTree:
    return MemoryTree([leaf_hash(i.to_bytes(4, "big")) for i in range(size)])


def load(path: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads(path.read_text())
    return data


def hashes(values: object) -> list[bytes]:
    assert isinstance(values, list)
    return [base64.b64decode(v) for v in values]


@pytest.mark.parametrize("case", ["0", "1", "2", "3", "4"])
def test_inclusion_proof_matches_vector(case: str) -> None:
    v = load(MERKLE / "testdata" / "inclusion" / case / "happy-path.json")
    index, size = v["leafIdx"], v["treeSize"]
    assert isinstance(index, int) and isinstance(size, int)
    tree = MemoryTree(LEAVES8[:size])
    assert tree.root() == ROOTS8[size] == base64.b64decode(str(v["root"]))
    assert inclusion_proof(index, size, tree) == hashes(v["proof"] or [])


@pytest.mark.parametrize("case", ["0", "1", "2", "3", "4"])
def test_consistency_proof_matches_vector(case: str) -> None:
    v = load(MERKLE / "testdata" / "consistency" / case / "happy-path.json")
    size1, size2 = v["size1"], v["size2"]
    assert isinstance(size1, int) and isinstance(size2, int)
    tree = MemoryTree(LEAVES8)
    assert tree.root(size1) == base64.b64decode(str(v["root1"]))
    assert consistency_proof(size1, size2, tree) == hashes(v["proof"] or [])


def test_tree8_roots_through_memory_tree() -> None:
    tree = MemoryTree(LEAVES8)
    assert [tree.root(n) for n in range(9)] == ROOTS8
    assert tree_hash(0, tree) == EMPTY_ROOT


def test_c2sp_seven_leaf_example() -> None:
    """The 7-entry example of C2SP merkle-tree: PATH and SUBPROOF by name."""
    tree = tree_of(7)
    a, b, c, d, e, f, g = (tree.read_hashes([(0, i)])[0] for i in range(7))
    h, i, j = (tree.read_hashes([(1, n)])[0] for n in range(3))
    k = tree.read_hashes([(2, 0)])[0]
    l_ = root_from_leaf_hashes([e, f, g])
    assert inclusion_proof(0, 7, tree) == [b, i, l_]
    assert inclusion_proof(3, 7, tree) == [c, h, l_]
    assert inclusion_proof(4, 7, tree) == [f, g, k]
    assert inclusion_proof(6, 7, tree) == [j, k]
    assert consistency_proof(3, 7, tree) == [c, d, h, l_]
    assert consistency_proof(4, 7, tree) == [l_]
    assert consistency_proof(6, 7, tree) == [j, g, k]


def test_bad_arguments() -> None:
    tree = tree_of(4)
    with pytest.raises(ValueError, match="outside a tree of size 4"):
        inclusion_proof(4, 4, tree)
    with pytest.raises(ValueError, match="empty tree"):
        consistency_proof(0, 4, tree)
    with pytest.raises(ValueError, match="greater than size2"):
        consistency_proof(3, 2, tree)
    assert consistency_proof(4, 4, tree) == []
    with pytest.raises(LookupError):
        inclusion_proof(0, 5, tree)
    with pytest.raises(ValueError, match="32 bytes"):
        tree.append(b"x")


def mutations(proof: Sequence[bytes]) -> list[list[bytes]]:
    """Every way we damage a proof: flip a bit in each hash, drop, add, swap."""
    out: list[list[bytes]] = []
    for n, h in enumerate(proof):
        flipped = bytes([h[0] ^ 1]) + h[1:]
        out.append([*proof[:n], flipped, *proof[n + 1 :]])
        out.append([*proof[:n], *proof[n + 1 :]])
    out.append([*proof, EMPTY_ROOT])
    out.append([EMPTY_ROOT, *proof])
    if len(proof) > 1 and proof[0] != proof[1]:
        out.append([proof[1], proof[0], *proof[2:]])
    return out


@settings(max_examples=200)
@given(st.integers(1, 300), st.data())
def test_inclusion_proofs_verify_and_mutations_fail(size: int, data: st.DataObject) -> None:
    tree = tree_of(size)
    index = data.draw(st.integers(0, size - 1))
    leaf = leaf_hash(index.to_bytes(4, "big"))
    root = tree.root()
    proof = inclusion_proof(index, size, tree)
    verify_inclusion(leaf, index, size, proof, root)
    for bad in mutations(proof):
        with pytest.raises(VerificationError):
            verify_inclusion(leaf, index, size, bad, root)
    with pytest.raises(VerificationError):
        verify_inclusion(leaf_hash(b"other"), index, size, proof, root)
    if size > 1:
        with pytest.raises(VerificationError):
            verify_inclusion(leaf, (index + 1) % size, size, proof, root)


@settings(max_examples=200)
@given(st.integers(1, 300), st.data())
def test_consistency_proofs_verify_and_mutations_fail(size2: int, data: st.DataObject) -> None:
    tree = tree_of(size2)
    size1 = data.draw(st.integers(1, size2))
    root1, root2 = tree.root(size1), tree.root(size2)
    proof = consistency_proof(size1, size2, tree)
    verify_consistency(size1, size2, proof, root1, root2)
    for bad in mutations(proof):
        with pytest.raises(VerificationError):
            verify_consistency(size1, size2, bad, root1, root2)
    if size1 < size2:
        with pytest.raises(VerificationError):
            verify_consistency(size1, size2, proof, root2, root2)
        with pytest.raises(VerificationError):
            verify_consistency(size1, size2, proof, root1, root1)


@given(st.integers(1, 2**40), st.data())
def test_inclusion_proof_length_is_logarithmic(size: int, data: st.DataObject) -> None:
    """Proof shape for huge trees, with a reader that fakes every node by its address."""

    class Fake:
        def read_hashes(self, nodes: Sequence[tuple[int, int]]) -> list[bytes]:
            return [leaf_hash(f"{lv}/{ix}".encode()) for lv, ix in nodes]

    index = data.draw(st.integers(0, size - 1))
    proof = inclusion_proof(index, size, Fake())
    assert len(proof) <= (size - 1).bit_length()
