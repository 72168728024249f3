"""Verification of RFC 9162 inclusion and consistency proofs, and of their subtree variants.

The algorithms are those of transparency-dev/merkle ``proof/verify.go`` (equivalent to RFC 9162
sections 2.1.3.2 and 2.1.4.2): a proof splits into *inner* hashes, below the level where the
paths to the leaf and to the last leaf diverge, and *border* hashes, all left siblings, above it.

Rules fixed by the published vectors: an index must be below the size; a consistency proof from
size 0 is an error; equal sizes need an empty proof and equal roots. Every failure raises
:class:`~corridor.errors.VerificationError`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from corridor.errors import VerificationError
from corridor.ledger.merkle import EMPTY_ROOT, HASH_SIZE, NODE_PREFIX

__all__ = [
    "root_from_inclusion_proof",
    "verify_consistency",
    "verify_inclusion",
    "verify_subtree_consistency",
    "verify_subtree_inclusion",
]

_MAX_SIZE = (1 << 64) - 1
_sha256 = hashlib.sha256


def _node(left: bytes, right: bytes) -> bytes:
    return _sha256(NODE_PREFIX + left + right).digest()


def _chain_inner(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    for i, h in enumerate(proof):
        seed = _node(h, seed) if (index >> i) & 1 else _node(seed, h)
    return seed


def _chain_inner_right(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    """Like :func:`_chain_inner` but only with left siblings: the older version of the subtree."""
    for i, h in enumerate(proof):
        if (index >> i) & 1:
            seed = _node(h, seed)
    return seed


def _chain_border_right(seed: bytes, proof: Sequence[bytes]) -> bytes:
    for h in proof:
        seed = _node(h, seed)
    return seed


def _decompose(index: int, size: int) -> tuple[int, int]:
    """Lengths of the inner and border parts of the inclusion proof of ``index`` in ``size``."""
    inner = (index ^ (size - 1)).bit_length()
    border = (index >> inner).bit_count()
    return inner, border


def _check_size(name: str, value: int) -> None:
    if not 0 <= value <= _MAX_SIZE:
        raise VerificationError(f"{name} {value} is not a 64-bit unsigned integer")


def _check_proof(proof: Sequence[bytes]) -> None:
    for i, h in enumerate(proof):
        if len(h) != HASH_SIZE:
            raise VerificationError(f"proof hash {i} has {len(h)} bytes, want {HASH_SIZE}")


def _match(name: str, calculated: bytes, expected: bytes) -> None:
    if calculated != expected:
        raise VerificationError(
            f"{name} mismatch: proof gives {calculated.hex()}, expected {expected.hex()}"
        )


def _check_subtree(start: int, end: int) -> None:
    """A valid subtree is ``[start, end)`` with ``start`` a multiple of the smallest power of
    two at least ``end - start``."""
    _check_size("subtree start", start)
    _check_size("subtree end", end)
    if start >= end:
        raise VerificationError(f"subtree [{start}, {end}) is empty")
    width = 1 << (end - start - 1).bit_length()
    if start % width:
        raise VerificationError(f"[{start}, {end}) is not a subtree: start is not aligned")


def root_from_inclusion_proof(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes]
) -> bytes:
    """Return the root that ``proof`` implies for leaf ``index`` in a tree of ``size`` leaves."""
    _check_size("tree size", size)
    if not 0 <= index < size:
        raise VerificationError(f"leaf index {index} is outside a tree of size {size}")
    if len(leaf_hash) != HASH_SIZE:
        raise VerificationError(f"leaf hash has {len(leaf_hash)} bytes, want {HASH_SIZE}")
    _check_proof(proof)
    inner, border = _decompose(index, size)
    if len(proof) != inner + border:
        raise VerificationError(
            f"inclusion proof has {len(proof)} hashes, want {inner + border} "
            f"for index {index} in size {size}"
        )
    return _chain_border_right(_chain_inner(leaf_hash, proof[:inner], index), proof[inner:])


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that the leaf with ``leaf_hash`` sits at ``index`` in the tree (``size``, ``root``)."""
    _match("root", root_from_inclusion_proof(leaf_hash, index, size, proof), root)


def verify_subtree_inclusion(
    leaf_hash: bytes, index: int, start: int, end: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check an inclusion proof of leaf ``index`` in the subtree ``[start, end)`` whose hash is
    ``root`` (the subtrees of the Merkle Tree Certificates draft)."""
    _check_subtree(start, end)
    if not start <= index < end:
        raise VerificationError(f"leaf index {index} is outside subtree [{start}, {end})")
    calculated = root_from_inclusion_proof(leaf_hash, index - start, end - start, proof)
    _match("subtree root", calculated, root)


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> None:
    """Check that the tree (``size1``, ``root1``) is a prefix of the tree (``size2``, ``root2``).

    Requires ``0 < size1 <= size2``; equal sizes need an empty proof and equal roots.
    """
    _check_size("size1", size1)
    _check_size("size2", size2)
    if size2 < size1:
        raise VerificationError(f"size2 ({size2}) is smaller than size1 ({size1})")
    if size1 == 0:
        raise VerificationError("a consistency proof from the empty tree (size 0) is meaningless")
    if size1 == size2:
        if proof:
            raise VerificationError("sizes are equal but the consistency proof is not empty")
        _match("root", root1, root2)
        return
    _match("root2", _root_from_subtree_consistency(0, size1, size2, proof, root1), root2)


def verify_subtree_consistency(
    start: int, end: int, size: int, proof: Sequence[bytes], subtree_root: bytes, root: bytes
) -> None:
    """Check that the subtree ``[start, end)`` with hash ``subtree_root`` is part of the tree
    (``size``, ``root``).

    The empty subtree (``start == end``) is part of every tree: it needs an empty proof and the
    empty-tree hash as ``subtree_root``, whatever ``root`` is.
    """
    _check_size("tree size", size)
    if start == end and 0 <= end <= size:
        if proof:
            raise VerificationError("the subtree is empty but the proof is not")
        _match("empty subtree root", subtree_root, EMPTY_ROOT)
        return
    _check_subtree(start, end)
    if size < end:
        raise VerificationError(f"tree size {size} is smaller than subtree end {end}")
    if start == 0 and end == size:
        if proof:
            raise VerificationError("the subtree is the whole tree but the proof is not empty")
        _match("root", subtree_root, root)
        return
    _match("root", _root_from_subtree_consistency(start, end, size, proof, subtree_root), root)


def _root_from_subtree_consistency(
    start: int, end: int, size: int, proof: Sequence[bytes], sub_root: bytes
) -> bytes:
    """Root of the tree of ``size`` implied by ``proof`` for the subtree ``[start, end)``;
    raises if the proof does not also rebuild ``sub_root``. Requires a valid subtree and
    ``end <= size`` with ``(start, end) != (0, size)``."""
    if not proof:
        raise VerificationError("empty consistency proof")
    _check_proof(proof)
    if end == size:
        # One left sibling for each level where the subtree's ancestor is a right child.
        height = ((end - 1) ^ start).bit_length()
        want = (start >> height).bit_count()
        if len(proof) != want:
            raise VerificationError(f"consistency proof has {len(proof)} hashes, want {want}")
        return _chain_border_right(sub_root, proof)

    fork, border = _decompose(end - 1, size)
    shift = ((end - start) & -(end - start)).bit_length() - 1  # trailing zeros of end - start
    inner = fork - shift
    # The proof starts with the root of the rightmost perfect subtree within [start, end),
    # unless [start, end) is itself perfect: then that root is sub_root, already known.
    perfect = end - start == 1 << shift
    seed, first = (sub_root, 0) if perfect else (proof[0], 1)
    if len(proof) != first + inner + border:
        raise VerificationError(
            f"consistency proof has {len(proof)} hashes, want {first + inner + border}"
        )
    rest = proof[first:]
    mask = (end - 1) >> shift
    if not perfect:
        height = ((end - 1) ^ start).bit_length()
        sub_inner = min(height, fork) - shift
        sub_border = max(0, border - ((end - 1) >> height).bit_count())
        older = _chain_inner_right(seed, rest[:sub_inner], mask)
        older = _chain_border_right(older, rest[inner : inner + sub_border])
        _match("root1", older, sub_root)
    return _chain_border_right(_chain_inner(seed, rest[:inner], mask), rest[inner:])
