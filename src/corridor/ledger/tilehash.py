"""Tree hashes from tiles: a :class:`~corridor.ledger.proofs.HashReader` over tlog tiles, tile
contents built from leaf hashes, the root from tiles, and the audit check of a whole tile set.

A node ``(level, index)`` (see :mod:`corridor.ledger.merkle`) lives in the tile at tile level
``level // 8``; when ``level % 8 == r`` is not 0 it is the hash of ``2**r`` consecutive hashes
of that tile, recomputed on read (at most 255 hashes). Tile bytes come from a
:class:`TileReader`, so the same code serves a database, a directory or a remote log.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping, Sequence
from typing import Protocol

from corridor.errors import VerificationError
from corridor.ledger.merkle import HASH_SIZE, NODE_PREFIX, leaf_hash
from corridor.ledger.proofs import Node, tree_hash
from corridor.ledger.tiles import (
    TILE_HEIGHT,
    TILE_WIDTH,
    Tile,
    decode_entry_bundle,
    tile_for_size,
    tiles_for_size,
)

__all__ = [
    "MemoryTileReader",
    "TileHashReader",
    "TileReader",
    "build_tiles",
    "root_from_tiles",
    "tile_root",
    "verify_entry_bundle",
    "verify_tiles",
]


class TileReader(Protocol):
    """Source of tile contents. Returns one ``bytes`` per requested tile, in order; raises
    ``LookupError`` (or a ``CorridorError``) for a tile it does not have."""

    def read_tiles(self, tiles: Sequence[Tile]) -> list[bytes]:
        """Return the contents of each tile."""
        ...


class MemoryTileReader:
    """A :class:`TileReader` over a mapping of tiles to contents (tests, benchmarks, tools).

    A request for a partial tile is served from a wider tile (partial or full) when only that is
    held, as a client may do once a log has replaced the partial tile.
    """

    def __init__(self, tiles: Mapping[Tile, bytes]) -> None:
        self._tiles = tiles

    def read_tiles(self, tiles: Sequence[Tile]) -> list[bytes]:
        """Return the contents of each tile (see :class:`TileReader`)."""
        out: list[bytes] = []
        for tile in tiles:
            data = self._tiles.get(tile)
            if data is None:
                # Hashes are only ever appended to a tile: a wider one starts with this one.
                for width in range(tile.width + 1, TILE_WIDTH + 1):
                    wider = self._tiles.get(Tile(tile.level, tile.index, width))
                    if wider is not None:
                        data = wider[: tile.width * HASH_SIZE]
                        break
            if data is None:
                raise LookupError(f"no tile {tile.path}")
            out.append(data)
        return out


def _check_tile(tile: Tile, data: bytes) -> None:
    if len(data) != tile.width * HASH_SIZE:
        raise VerificationError(f"{tile.path} has {len(data)} bytes, want {tile.width * HASH_SIZE}")


def _hashes_root(data: bytes, start: int, count: int) -> bytes:
    """Root of ``count`` (a power of two) consecutive hashes of a tile starting at ``start``."""
    end = (start + count) * HASH_SIZE
    row = [data[i : i + HASH_SIZE] for i in range(start * HASH_SIZE, end, HASH_SIZE)]
    sha, prefix = hashlib.sha256, NODE_PREFIX
    while len(row) > 1:
        it = iter(row)
        row = [sha(prefix + a + b).digest() for a, b in zip(it, it, strict=True)]
    return row[0]


@functools.lru_cache(maxsize=512)
def _full_tile_tree(data: bytes) -> tuple[tuple[bytes, ...], ...]:
    """Every node of a full tile's subtree, level by level (the tile's hashes, then 128 nodes,
    ..., then its root). A full tile never changes, so its nodes are kept by content: the few
    upper tiles every proof passes through are hashed once, not 247 hashes a proof each
    (at most 512 tiles, about 8 MB). Only proofs use it: integration and audits see each tile
    once and hash it directly (:func:`tile_root`)."""
    row = tuple(data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE))
    levels = [row]
    sha, prefix = hashlib.sha256, NODE_PREFIX
    while len(row) > 1:
        it = iter(row)
        row = tuple(sha(prefix + a + b).digest() for a, b in zip(it, it, strict=True))
        levels.append(row)
    return tuple(levels)


def tile_root(data: bytes) -> bytes:
    """Hash of a full tile: the node one tile level up (partial tiles have none)."""
    if len(data) != TILE_WIDTH * HASH_SIZE:
        raise ValueError("only a full tile has a hash at the level above")
    return _hashes_root(data, 0, TILE_WIDTH)


class TileHashReader:
    """A :class:`~corridor.ledger.proofs.HashReader` for the tree of ``size`` leaves whose
    tiles come from ``reader``. Every tile is read once per ``read_hashes`` call, in one batch,
    and checked for length."""

    def __init__(self, size: int, reader: TileReader) -> None:
        self.size = size
        self._reader = reader

    def read_hashes(self, nodes: Sequence[Node]) -> list[bytes]:
        """Return the hash of each complete subtree in ``nodes``."""
        places: list[tuple[Tile, int, int]] = []
        for level, index in nodes:
            tile_level, r = divmod(level, TILE_HEIGHT)
            first = index << r  # index of the first covered hash at this tile level
            tile = tile_for_size(tile_level, first >> TILE_HEIGHT, self.size)
            offset = first & (TILE_WIDTH - 1)
            if offset + (1 << r) > tile.width:
                raise LookupError(f"node ({level}, {index}) is not complete at size {self.size}")
            places.append((tile, offset, 1 << r))
        wanted = list(dict.fromkeys(tile for tile, _, _ in places))
        contents = dict(zip(wanted, self._reader.read_tiles(wanted), strict=True))
        for tile, data in contents.items():
            _check_tile(tile, data)
        out: list[bytes] = []
        for tile, offset, count in places:
            data = contents[tile]
            if count == 1:
                out.append(data[offset * HASH_SIZE : (offset + 1) * HASH_SIZE])
            elif len(data) == TILE_WIDTH * HASH_SIZE:
                out.append(_full_tile_tree(data)[count.bit_length() - 1][offset // count])
            else:
                out.append(_hashes_root(data, offset, count))
        return out


def root_from_tiles(size: int, reader: TileReader) -> bytes:
    """Root hash of the tree of ``size`` leaves, computed from the fewest tiles."""
    return tree_hash(size, TileHashReader(size, reader))


def build_tiles(leaf_hashes: Sequence[bytes]) -> dict[Tile, bytes]:
    """Every tile (full and partial) of the tree with these leaf hashes."""
    tiles: dict[Tile, bytes] = {}
    row = b"".join(leaf_hashes)
    level = 0
    while row:
        count = len(row) // HASH_SIZE
        full, rest = divmod(count, TILE_WIDTH)
        step = TILE_WIDTH * HASH_SIZE
        above: list[bytes] = []
        for n in range(full):
            data = row[n * step : (n + 1) * step]
            tiles[Tile(level, n)] = data
            above.append(tile_root(data))
        if rest:
            tiles[Tile(level, full, rest)] = row[full * step :]
        row = b"".join(above)
        level += 1
    return tiles


def verify_tiles(size: int, reader: TileReader, root: bytes) -> None:
    """Audit a tile set: every hash in a tile above level 0 must be the hash of the full tile
    below it, and the tiles must give ``root`` for ``size``. Reads every tile of the tree."""
    tiles = tiles_for_size(size)
    contents = dict(zip(tiles, reader.read_tiles(tiles), strict=True))
    for tile, data in contents.items():
        _check_tile(tile, data)
        if tile.level == 0:
            continue
        for i in range(tile.width):
            below = contents[Tile(tile.level - 1, tile.index * TILE_WIDTH + i)]
            if tile_root(below) != data[i * HASH_SIZE : (i + 1) * HASH_SIZE]:
                raise VerificationError(
                    f"hash {i} of {tile.path} does not match tile "
                    f"{Tile(tile.level - 1, tile.index * TILE_WIDTH + i).path}"
                )
    got = root_from_tiles(size, MemoryTileReader(contents))
    if got != root:
        raise VerificationError(f"tiles give root {got.hex()} for size {size}, want {root.hex()}")


def verify_entry_bundle(bundle: bytes, tile: Tile, tile_data: bytes) -> list[bytes]:
    """Check that an entry bundle hashes to the level-0 ``tile``; return its entries."""
    if tile.level != 0:
        raise ValueError("an entry bundle corresponds to a level-0 tile")
    _check_tile(tile, tile_data)
    entries = decode_entry_bundle(bundle, tile.width)
    for i, entry in enumerate(entries):
        if leaf_hash(entry) != tile_data[i * HASH_SIZE : (i + 1) * HASH_SIZE]:
            raise VerificationError(
                f"entry {tile.index * TILE_WIDTH + i} does not hash to {tile.path}"
            )
    return entries
