"""Tests for corridor.ledger.merkle: hashes, roots and the incremental builder."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from corridor.ledger.merkle import (
    EMPTY_ROOT,
    TreeBuilder,
    leaf_hash,
    node_hash,
    root_from_leaf_hashes,
    subtree_nodes,
)

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
TREE8 = json.loads((VECTORS / "transparency-dev-merkle" / "tree-8-leaves.json").read_text())
ENTRIES = [bytes.fromhex(h) for h in TREE8["leaf_inputs_hex"]]
ROOTS = [bytes.fromhex(h) for h in TREE8["root_hashes_hex_by_size"]]


def reference_root(entries: list[bytes]) -> bytes:
    """MTH straight from the RFC 9162 definition."""
    if not entries:
        return hashlib.sha256(b"").digest()
    if len(entries) == 1:
        return hashlib.sha256(b"\x00" + entries[0]).digest()
    k = 1 << ((len(entries) - 1).bit_length() - 1)
    return hashlib.sha256(
        b"\x01" + reference_root(entries[:k]) + reference_root(entries[k:])
    ).digest()


def test_empty_root_is_sha256_of_nothing() -> None:
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert root_from_leaf_hashes([]) == EMPTY_ROOT


def test_leaf_and_node_prefixes() -> None:
    assert leaf_hash(b"") == hashlib.sha256(b"\x00").digest()
    a, b = leaf_hash(b"a"), leaf_hash(b"b")
    assert node_hash(a, b) == hashlib.sha256(b"\x01" + a + b).digest()


@pytest.mark.parametrize("size", range(9))
def test_tree8_roots_for_every_size(size: int) -> None:
    leaves = [leaf_hash(e) for e in ENTRIES[:size]]
    assert root_from_leaf_hashes(leaves) == ROOTS[size]
    builder = TreeBuilder()
    builder.extend_entries(ENTRIES[:size])
    assert builder.size == size
    assert builder.root() == ROOTS[size]


def test_builder_root_at_each_step() -> None:
    builder = TreeBuilder()
    assert builder.root() == ROOTS[0]
    for size, entry in enumerate(ENTRIES, start=1):
        builder.append(leaf_hash(entry))
        assert builder.root() == ROOTS[size]
        assert len(builder.frontier) == size.bit_count()


def test_builder_rejects_wrong_hash_length() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        TreeBuilder().append(b"short")


@given(st.lists(st.binary(max_size=8), max_size=70))
def test_builder_matches_definition(entries: list[bytes]) -> None:
    builder = TreeBuilder()
    builder.extend_entries(entries[:3])
    builder.extend(leaf_hash(e) for e in entries[3:])
    assert builder.root() == reference_root(entries)


@given(st.integers(0, 2**20), st.integers(1, 2**20))
def test_subtree_nodes_cover_range(start: int, width: int) -> None:
    # Align start the way every proof range is aligned: to the next power of two >= width.
    align = 1 << (width - 1).bit_length()
    start -= start % align
    nodes = subtree_nodes(start, start + width)
    at = start
    for level, index in nodes:
        assert index << level == at
        at += 1 << level
    assert at == start + width
    levels = [level for level, _ in nodes]
    assert levels == sorted(levels, reverse=True)


def test_subtree_nodes_rejects_empty_range() -> None:
    with pytest.raises(ValueError, match="empty"):
        subtree_nodes(4, 4)
