"""Inclusion and consistency proof generation over any source of complete-subtree hashes.

Proofs follow RFC 9162 section 2.1.3 (PATH) and 2.1.4 (SUBPROOF). Each proof is planned as a
list of leaf ranges, each range is split into complete subtrees (nodes), all nodes are read from
a :class:`HashReader` in one call, and each range's hash is folded from its nodes. The same code
therefore serves an in-memory tree (:class:`MemoryTree`) and a tile store
(:class:`corridor.ledger.tiles.TileHashReader`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from corridor.ledger.merkle import EMPTY_ROOT, HASH_SIZE, fold_right, node_hash, subtree_nodes

__all__ = [
    "HashReader",
    "MemoryTree",
    "consistency_proof",
    "inclusion_proof",
    "tree_hash",
]

Node = tuple[int, int]
"""A complete subtree ``(level, index)``: leaves ``[index << level, (index + 1) << level)``."""


class HashReader(Protocol):
    """Source of the hashes of complete subtrees, addressed as ``(level, index)``.

    Implementations return one 32-byte hash per requested node, in order, and raise
    ``LookupError`` (or a ``CorridorError``) for a node they do not hold.
    """

    def read_hashes(self, nodes: Sequence[Node]) -> list[bytes]:
        """Return the hash of each node in ``nodes``."""
        ...


class MemoryTree:
    """An in-memory tree that stores every complete subtree hash, level by level.

    Memory is about two hashes per leaf. Suited to tests, tools and moderate logs; large logs are
    served from tiles instead.
    """

    __slots__ = ("_levels",)

    def __init__(self, leaf_hashes: Sequence[bytes] = ()) -> None:
        self._levels: list[list[bytes]] = [[]]
        for leaf in leaf_hashes:
            self.append(leaf)

    @property
    def size(self) -> int:
        """Number of leaves."""
        return len(self._levels[0])

    def append(self, leaf: bytes) -> None:
        """Append a leaf hash and every complete subtree hash it closes."""
        if len(leaf) != HASH_SIZE:
            raise ValueError(f"leaf hash must be {HASH_SIZE} bytes, got {len(leaf)}")
        levels = self._levels
        level, h = 0, leaf
        while True:
            if level == len(levels):
                levels.append([])
            row = levels[level]
            row.append(h)
            if len(row) & 1:
                return
            h = node_hash(row[-2], h)
            level += 1

    def read_hashes(self, nodes: Sequence[Node]) -> list[bytes]:
        """Return stored hashes of complete subtrees (see :class:`HashReader`)."""
        levels = self._levels
        try:
            return [levels[level][index] for level, index in nodes]
        except IndexError:
            raise LookupError(f"no complete subtree among {list(nodes)!r}") from None

    def root(self, size: int | None = None) -> bytes:
        """Root hash at ``size`` (default: the current size)."""
        return tree_hash(self.size if size is None else size, self)


def _largest_power_below(n: int) -> int:
    """Largest power of two strictly smaller than ``n`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


def _inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """Leaf ranges whose hashes form PATH(index, D[0:size]), leaf sibling first."""
    lo, hi = 0, size
    ranges: list[tuple[int, int]] = []
    while hi - lo > 1:
        k = _largest_power_below(hi - lo)
        if index < lo + k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo += k
    ranges.reverse()
    return ranges


def _consistency_ranges(size1: int, size2: int) -> list[tuple[int, int]]:
    """Leaf ranges whose hashes form PROOF(size1, D[0:size2]) (SUBPROOF with b = true)."""
    lo, hi, m, whole = 0, size2, size1, True
    ranges: list[tuple[int, int]] = []
    while m != hi - lo:
        k = _largest_power_below(hi - lo)
        if m <= k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo += k
            m -= k
            whole = False
    if not whole:
        ranges.append((lo, hi))
    ranges.reverse()
    return ranges


def _range_hashes(ranges: Sequence[tuple[int, int]], reader: HashReader) -> list[bytes]:
    """Hash each leaf range, reading every node needed in a single ``read_hashes`` call."""
    plans = [subtree_nodes(start, end) for start, end in ranges]
    flat = [node for plan in plans for node in plan]
    hashes = reader.read_hashes(flat)
    if len(hashes) != len(flat):
        raise LookupError(f"hash reader returned {len(hashes)} hashes for {len(flat)} nodes")
    out: list[bytes] = []
    at = 0
    for plan in plans:
        out.append(fold_right(hashes[at : at + len(plan)]))
        at += len(plan)
    return out


def inclusion_proof(index: int, size: int, reader: HashReader) -> list[bytes]:
    """Return the RFC 9162 inclusion proof for leaf ``index`` in the tree of ``size`` leaves.

    Raises ``ValueError`` unless ``0 <= index < size``.
    """
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is outside a tree of size {size}")
    return _range_hashes(_inclusion_ranges(index, size), reader)


def consistency_proof(size1: int, size2: int, reader: HashReader) -> list[bytes]:
    """Return the RFC 9162 consistency proof from tree size ``size1`` to ``size2``.

    Raises ``ValueError`` unless ``0 < size1 <= size2``: a proof from the empty tree is
    meaningless, and equal sizes give the empty proof.
    """
    if size1 <= 0:
        raise ValueError("a consistency proof from the empty tree (size 0) is meaningless")
    if size1 > size2:
        raise ValueError(f"size1 ({size1}) is greater than size2 ({size2})")
    if size1 == size2:
        return []
    return _range_hashes(_consistency_ranges(size1, size2), reader)


def tree_hash(size: int, reader: HashReader) -> bytes:
    """Return the root hash of the first ``size`` leaves (``EMPTY_ROOT`` for 0)."""
    if size < 0:
        raise ValueError(f"negative tree size {size}")
    if size == 0:
        return EMPTY_ROOT
    return _range_hashes([(0, size)], reader)[0]
