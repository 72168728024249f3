"""Tests for corridor.ledger.tiles and corridor.ledger.tilehash, including the real 300-entry
Sunlight tree."""

from __future__ import annotations

import base64
import gzip
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corridor.errors import EntryTooLargeError, VerificationError
from corridor.ledger.merkle import leaf_hash, root_from_leaf_hashes
from corridor.ledger.proofs import MemoryTree, consistency_proof, inclusion_proof
from corridor.ledger.tilehash import (
    MemoryTileReader,
    TileHashReader,
    build_tiles,
    root_from_tiles,
    tile_root,
    verify_entry_bundle,
    verify_tiles,
)
from corridor.ledger.tiles import (
    ENTRIES_LEVEL,
    Tile,
    TilePathError,
    decode_entry_bundle,
    encode_entry_bundle,
    entries_path,
    entry_bundles_for_size,
    parse_tile_path,
    tile_for_size,
    tile_path,
    tiles_for_size,
)

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
SUNLIGHT = next((VECTORS / "sunlight-tiles").glob("000*"))


class DirectoryTiles:
    """Tiles read from a directory laid out like the log's URL space."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def read_tiles(self, tiles: Sequence[Tile]) -> list[bytes]:
        return [(self.root / t.path).read_bytes() for t in tiles]


def sunlight_checkpoint() -> tuple[int, bytes]:
    origin, size, root = (SUNLIGHT / "checkpoint").read_text().split("\n")[:3]
    assert origin == "rome2026h1.example.org"
    return int(size), base64.b64decode(root)


def test_paths() -> None:
    assert tile_path(0, 0) == "tile/0/000"
    assert tile_path(1, 1234067) == "tile/1/x001/x234/067"
    assert tile_path(0, 1, 44) == "tile/0/001.p/44"
    assert tile_path(2, 1000, 1) == "tile/2/x001/000.p/1"
    assert entries_path(0) == "tile/entries/000"
    assert entries_path(1, 44) == "tile/entries/001.p/44"
    assert Tile(ENTRIES_LEVEL, 5, 3).path == "tile/entries/005.p/3"


@pytest.mark.parametrize(
    ("path", "tile"),
    [
        ("tile/0/000", Tile(0, 0)),
        ("tile/0/001.p/44", Tile(0, 1, 44)),
        ("tile/1/000.p/1", Tile(1, 0, 1)),
        ("tile/63/x001/x234/067", Tile(63, 1234067)),
        ("tile/entries/x999/255.p/255", Tile(ENTRIES_LEVEL, 999255, 255)),
    ],
)
def test_parse_round_trip(path: str, tile: Tile) -> None:
    assert parse_tile_path(path) == tile
    assert tile.path == path


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("tile/0/1", "not a tile path"),
        ("tile/00/000", "not a tile path"),
        ("tile/64/000", "outside 0..63"),
        ("tile/0/x000/001", "not canonical"),
        ("tile/0/001.p/256", "not canonical"),
        ("tile/0/001.p/257", "outside 1..256"),
        ("tile/0/001.p/0", "not a tile path"),
        ("tile/0/001.p/044", "not a tile path"),
        ("tile/0/001/.p/4", "not a tile path"),
        ("tile/0/x001", "not a tile path"),
        ("/tile/0/000", "not a tile path"),
        ("tile/entries/000.p/", "not a tile path"),
        ("checkpoint", "not a tile path"),
        ("tile/0/０００", "not a tile path"),
    ],
)
def test_parse_rejects(path: str, why: str) -> None:
    with pytest.raises(TilePathError, match=why) as info:
        parse_tile_path(path)
    assert isinstance(info.value, ValueError)
    assert info.value.status_code == 400


def test_tiles_for_size_follows_the_spec_example() -> None:
    tiles = tiles_for_size(70_000)
    by_level = {level: [t for t in tiles if t.level == level] for level in (0, 1, 2)}
    assert len(tiles) == sum(len(v) for v in by_level.values())
    assert [t for t in by_level[0] if not t.is_partial] == [Tile(0, n) for n in range(273)]
    assert by_level[0][-1] == Tile(0, 273, 112)
    assert by_level[1] == [Tile(1, 0), Tile(1, 1, 17)]
    assert by_level[2] == [Tile(2, 0, 1)]
    assert tiles_for_size(256) == [Tile(0, 0), Tile(1, 0, 1)]
    assert tiles_for_size(0) == []
    assert entry_bundles_for_size(300) == [Tile(-1, 0), Tile(-1, 1, 44)]
    assert tile_for_size(0, 1, 300) == Tile(0, 1, 44)
    with pytest.raises(LookupError):
        tile_for_size(0, 2, 300)
    assert Tile(1, 1, 17).leaf_range == (65536, 65536 + 17 * 256)


def test_sunlight_root_from_tiles_matches_checkpoint() -> None:
    size, root = sunlight_checkpoint()
    assert size == 300
    reader = DirectoryTiles(SUNLIGHT)
    assert root_from_tiles(size, reader) == root
    verify_tiles(size, reader, root)
    level1 = (SUNLIGHT / "tile/1/000.p/1").read_bytes()
    assert tile_root((SUNLIGHT / "tile/0/000").read_bytes()) == level1


def test_sunlight_tiles_serve_proofs() -> None:
    size, root = sunlight_checkpoint()
    leaves = (SUNLIGHT / "tile/0/000").read_bytes() + (SUNLIGHT / "tile/0/001.p/44").read_bytes()
    tree = MemoryTree([leaves[i : i + 32] for i in range(0, len(leaves), 32)])
    assert tree.root() == root
    tiles = TileHashReader(size, DirectoryTiles(SUNLIGHT))
    for index in (0, 1, 255, 256, 299):
        assert inclusion_proof(index, size, tiles) == inclusion_proof(index, size, tree)


def test_sunlight_tampered_tiles_fail() -> None:
    size, root = sunlight_checkpoint()
    tiles = {t: (SUNLIGHT / t.path).read_bytes() for t in tiles_for_size(size)}
    bad = dict(tiles)
    data = tiles[Tile(0, 1, 44)]
    bad[Tile(0, 1, 44)] = data[:100] + bytes([data[100] ^ 1]) + data[101:]
    with pytest.raises(VerificationError, match="tiles give root"):
        verify_tiles(size, MemoryTileReader(bad), root)
    bad = dict(tiles)
    bad[Tile(1, 0, 1)] = bytes(32)
    with pytest.raises(VerificationError, match="hash 0 of tile/1/000.p/1"):
        verify_tiles(size, MemoryTileReader(bad), root)
    bad = dict(tiles)
    bad[Tile(0, 1, 44)] = data[:-1]
    with pytest.raises(VerificationError, match="has 1407 bytes, want 1408"):
        root_from_tiles(size, MemoryTileReader(bad))


def test_sunlight_entry_bundles_are_gzip_placeholders() -> None:
    """The vector's bundles are gzip-compressed placeholder text, not uint16 framing: decoding
    must reject them rather than invent entries."""
    for path, width in (("tile/entries/000", 256), ("tile/entries/001.p/44", 44)):
        text = gzip.decompress((SUNLIGHT / path).read_bytes())
        assert text.startswith(b"fake mirrored")
        with pytest.raises(VerificationError, match="claims"):
            decode_entry_bundle(text, width)


def test_entry_bundle_round_trip_and_errors() -> None:
    entries = [b"", b"a", b"x" * 65535]
    bundle = encode_entry_bundle(entries)
    assert bundle[:5] == b"\x00\x00\x00\x01a"
    assert decode_entry_bundle(bundle, 3) == entries
    with pytest.raises(VerificationError, match="expected 2"):
        decode_entry_bundle(bundle, 2)
    with pytest.raises(VerificationError, match="inside a length prefix"):
        decode_entry_bundle(b"\x00")
    with pytest.raises(VerificationError, match="claims 2 bytes but 1 remain"):
        decode_entry_bundle(b"\x00\x02a")
    with pytest.raises(EntryTooLargeError, match="65536 bytes"):
        encode_entry_bundle([b"x" * 65536])
    with pytest.raises(VerificationError, match="more than 256"):
        decode_entry_bundle(b"\x00\x00" * 257)


def test_verify_entry_bundle() -> None:
    entries = [i.to_bytes(2, "big") for i in range(300)]
    tiles = build_tiles([leaf_hash(e) for e in entries])
    bundle = encode_entry_bundle(entries[256:])
    assert verify_entry_bundle(bundle, Tile(0, 1, 44), tiles[Tile(0, 1, 44)]) == entries[256:]
    with pytest.raises(VerificationError, match="entry 257 does not hash"):
        verify_entry_bundle(
            encode_entry_bundle([entries[256], b"?", *entries[258:]]),
            Tile(0, 1, 44),
            tiles[Tile(0, 1, 44)],
        )


def test_build_tiles_across_three_levels() -> None:
    size = 65536 + 256 * 3 + 7
    leaves = [leaf_hash(i.to_bytes(4, "big")) for i in range(size)]
    tiles = build_tiles(leaves)
    assert set(tiles) == set(tiles_for_size(size))
    root = root_from_leaf_hashes(leaves)
    reader = MemoryTileReader(tiles)
    assert root_from_tiles(size, reader) == root
    verify_tiles(size, reader, root)
    tree = MemoryTree(leaves)
    hashes = TileHashReader(size, reader)
    for index in (0, 65535, 65536, 66000, size - 1):
        assert inclusion_proof(index, size, hashes) == inclusion_proof(index, size, tree)
    for size1 in (1, 255, 256, 65536, 65537, size - 1):
        assert consistency_proof(size1, size, hashes) == consistency_proof(size1, size, tree)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 1500), st.data())
def test_tile_reader_matches_memory_tree(size: int, data: st.DataObject) -> None:
    leaves = [leaf_hash(i.to_bytes(4, "big")) for i in range(size)]
    tree = MemoryTree(leaves)
    tiles = TileHashReader(size, MemoryTileReader(build_tiles(leaves)))
    index = data.draw(st.integers(0, size - 1))
    size1 = data.draw(st.integers(1, size))
    assert inclusion_proof(index, size, tiles) == inclusion_proof(index, size, tree)
    assert consistency_proof(size1, size, tiles) == consistency_proof(size1, size, tree)
    # An older tree read from the newer tiles (partial tiles served from full ones).
    old = TileHashReader(size1, MemoryTileReader(build_tiles(leaves)))
    assert root_from_tiles(size1, MemoryTileReader(build_tiles(leaves))) == tree.root(size1)
    assert inclusion_proof(size1 - 1, size1, old) == inclusion_proof(size1 - 1, size1, tree)
