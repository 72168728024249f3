"""Integration: the hash tiles that change when a tree grows. Pure, over bytes.

Appending leaf hashes to a tree of ``old_size`` changes the rightmost tile of each level and adds
new ones. A level-L tile that becomes full contributes its root as one hash to level L+1; a
partial tile never does (C2SP tlog-tiles), so the upper levels only ever see complete subtrees.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from corridor.ledger.merkle import HASH_SIZE
from corridor.ledger.tilehash import tile_root
from corridor.ledger.tiles import TILE_WIDTH

FULL_TILE_BYTES = TILE_WIDTH * HASH_SIZE

#: Reads the stored data of the tile at (level, index), or b"" if there is none.
EdgeReader = Callable[[int, int], bytes]


def updated_tiles(
    old_size: int, leaf_hashes: Sequence[bytes], read_edge: EdgeReader
) -> dict[tuple[int, int], bytes]:
    """The new contents of every tile touched by appending ``leaf_hashes`` to a tree of
    ``old_size`` leaves, keyed by (level, index). ``read_edge`` gives the rightmost partial tile
    of a level as it was at ``old_size`` (only called for levels with one)."""
    changed: dict[tuple[int, int], bytes] = {}
    level = 0
    count_before = old_size  # hashes stored at this level before the append
    new_hashes = b"".join(leaf_hashes)
    while new_hashes:
        first_tile = count_before // TILE_WIDTH
        if count_before % TILE_WIDTH:
            edge = read_edge(level, first_tile)
            expected = (count_before % TILE_WIDTH) * HASH_SIZE
            if len(edge) < expected:
                raise ValueError(
                    f"tile {level}/{first_tile} has {len(edge)} bytes, need {expected}"
                )
            edge = edge[:expected]
        else:
            edge = b""
        data = edge + new_hashes
        promoted = []
        for offset in range(0, len(data), FULL_TILE_BYTES):
            chunk = data[offset : offset + FULL_TILE_BYTES]
            changed[(level, first_tile + offset // FULL_TILE_BYTES)] = chunk
            if len(chunk) == FULL_TILE_BYTES:
                promoted.append(tile_root(chunk))
        new_hashes = b"".join(promoted)
        count_before //= TILE_WIDTH
        level += 1
    return changed
