"""Reading the published log: tlog-tiles files and receipts, from the store.

Only what a published checkpoint commits to is served: a tile or entry bundle beyond the
checkpoint's size answers 404 (:class:`NotFoundError`), even if it is already sequenced.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection

from corridor.errors import NotFoundError
from corridor.ledger.checkpoint import Checkpoint
from corridor.ledger.merkle import HASH_SIZE
from corridor.ledger.note import Note
from corridor.ledger.tilehash import TileHashReader
from corridor.ledger.tiles import (
    TILE_HEIGHT,
    TILE_WIDTH,
    Tile,
    encode_entry_bundle,
    parse_tile_path,
)
from corridor.ledger.tlogproof import TlogProof
from corridor.store import queries


@dataclass(frozen=True, slots=True)
class LogFile:
    """A file of the public log: its bytes and whether it may be cached forever."""

    data: bytes
    immutable: bool


def published(conn: Connection) -> tuple[int, Note]:
    state = queries.published_state(conn)
    if state is None:
        raise NotFoundError("the log has no published checkpoint yet")
    return state[0], Note.from_text(state[1])


def _count_at_level(size: int, level: int) -> int:
    return size >> (TILE_HEIGHT * level)


def read_tile_file(conn: Connection, path: str) -> LogFile:
    """The tile or entry bundle at ``path`` (``tile/0/x001/234.p/7``, ``tile/entries/000``)."""
    tile = parse_tile_path(path)
    size, _ = published(conn)
    level = 0 if tile.is_entries else tile.level
    available = _count_at_level(size, level) - tile.index * TILE_WIDTH
    if available < tile.width:
        raise NotFoundError(f"{path} is not in the log at its published size {size}")
    immutable = tile.width == TILE_WIDTH
    if tile.is_entries:
        start = tile.index * TILE_WIDTH
        entries = queries.log_entries_range(conn, start, start + tile.width)
        return LogFile(encode_entry_bundle(entries), immutable)
    data = queries.read_tile(conn, tile.level, tile.index)[: tile.width * HASH_SIZE]
    if len(data) != tile.width * HASH_SIZE:
        raise NotFoundError(f"{path} is not integrated yet")
    return LogFile(data, immutable)


class StoredTileReader:
    """A ledger ``TileReader`` over the tiles table, seeing ``pending`` changes first (the
    publisher reads the tiles it is about to commit)."""

    def __init__(
        self, conn: Connection, pending: Mapping[tuple[int, int], bytes] | None = None
    ) -> None:
        self._conn = conn
        self._pending = pending or {}

    def read_tiles(self, tiles: Sequence[Tile]) -> list[bytes]:
        out = []
        for tile in tiles:
            data = self._pending.get((tile.level, tile.index))
            if data is None:
                data = queries.read_tile(self._conn, tile.level, tile.index)
            out.append(data[: tile.width * HASH_SIZE])
        return out


def receipt(conn: Connection, log_index: int) -> TlogProof:
    """A C2SP tlog-proof of the entry at ``log_index`` against the published checkpoint."""
    size, note = published(conn)
    if log_index >= size:
        raise NotFoundError(
            f"entry {log_index} is sequenced but not yet in a published checkpoint; retry shortly"
        )
    assert Checkpoint.from_text(note.text).size == size
    return TlogProof.create(log_index, note, TileHashReader(size, StoredTileReader(conn)))
