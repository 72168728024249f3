"""RFC 9162 Merkle tree hashing: leaf and node hashes, roots, and an incremental builder.

The tree over entries ``D[0:n]`` is the one of RFC 9162 section 2.1 (and C2SP merkle-tree)::

    MTH({})      = SHA-256("")
    MTH({d})     = SHA-256(0x00 || d)                       leaf hash
    MTH(D[0:n])  = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))   k = largest power of 2 < n

A node is addressed by ``(level, index)``: the complete subtree of ``2**level`` leaves starting at
leaf ``index * 2**level``. Level 0 holds the leaf hashes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "TreeBuilder",
    "leaf_hash",
    "node_hash",
    "root_from_leaf_hashes",
    "subtree_nodes",
]

HASH_SIZE = 32
"""Size in bytes of every hash in the tree (SHA-256)."""

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""Root hash of the empty tree: SHA-256 of the empty string."""

_sha256 = hashlib.sha256


def leaf_hash(entry: bytes) -> bytes:
    """Return the RFC 9162 leaf hash of ``entry``: SHA-256(0x00 || entry)."""
    return _sha256(LEAF_PREFIX + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the RFC 9162 interior node hash: SHA-256(0x01 || left || right)."""
    return _sha256(NODE_PREFIX + left + right).digest()


def subtree_nodes(start: int, end: int) -> list[tuple[int, int]]:
    """Split the leaf range ``[start, end)`` into maximal complete subtrees, left to right.

    ``start`` must be aligned so that the range is a subtree of the tree (as every range met in
    RFC 9162 proofs is). Folding the hashes of the returned nodes from the right with
    :func:`node_hash` gives ``MTH(D[start:end])``.
    """
    if not 0 <= start < end:
        raise ValueError(f"empty or negative leaf range [{start}, {end})")
    nodes: list[tuple[int, int]] = []
    while start < end:
        # The largest power of two that both divides start and fits in what is left.
        size = 1 << ((end - start).bit_length() - 1)
        if start:
            size = min(size, start & -start)
        level = size.bit_length() - 1
        nodes.append((level, start >> level))
        start += size
    return nodes


def fold_right(hashes: Sequence[bytes]) -> bytes:
    """Fold the hashes of consecutive complete subtrees (as from :func:`subtree_nodes`)."""
    result = hashes[-1]
    for h in reversed(hashes[:-1]):
        result = _sha256(NODE_PREFIX + h + result).digest()
    return result


def root_from_leaf_hashes(leaf_hashes: Iterable[bytes]) -> bytes:
    """Return the root hash of the tree whose leaf hashes are given, in order."""
    builder = TreeBuilder()
    builder.extend(leaf_hashes)
    return builder.root()


class TreeBuilder:
    """Append-only tree hasher that keeps only the *frontier*: the hashes of the complete
    subtrees the current tree decomposes into (one per set bit of the size, largest first).

    Appending is amortised one leaf plus one node hash; memory is O(log n). Use
    :meth:`extend_entries` for bulk loads: it runs one tight loop with no per-call overhead.
    """

    __slots__ = ("_frontier", "_size")

    def __init__(self) -> None:
        self._frontier: list[bytes] = []
        self._size = 0

    @property
    def size(self) -> int:
        """Number of leaves appended so far."""
        return self._size

    @property
    def frontier(self) -> tuple[bytes, ...]:
        """Hashes of the maximal complete subtrees of the current tree, left to right."""
        return tuple(self._frontier)

    def append(self, leaf: bytes) -> None:
        """Append one leaf hash (see :func:`leaf_hash`)."""
        if len(leaf) != HASH_SIZE:
            raise ValueError(f"leaf hash must be {HASH_SIZE} bytes, got {len(leaf)}")
        self.extend((leaf,))

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        """Append leaf hashes in order."""
        frontier = self._frontier
        pop = frontier.pop
        push = frontier.append
        sha = _sha256
        prefix = NODE_PREFIX
        n = self._size
        for h in leaf_hashes:
            m = n
            while m & 1:
                h = sha(prefix + pop() + h).digest()
                m >>= 1
            push(h)
            n += 1
        self._size = n

    def extend_entries(self, entries: Iterable[bytes]) -> None:
        """Hash each entry as a leaf and append it: the fast path for building large trees."""
        frontier = self._frontier
        pop = frontier.pop
        push = frontier.append
        sha = _sha256
        node_prefix = NODE_PREFIX
        leaf_prefix = LEAF_PREFIX
        n = self._size
        for entry in entries:
            h = sha(leaf_prefix + entry).digest()
            m = n
            while m & 1:
                h = sha(node_prefix + pop() + h).digest()
                m >>= 1
            push(h)
            n += 1
        self._size = n

    def root(self) -> bytes:
        """Root hash of the tree at its current size (``EMPTY_ROOT`` when empty)."""
        if not self._frontier:
            return EMPTY_ROOT
        return fold_right(self._frontier)
