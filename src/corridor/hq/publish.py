"""Integration and publishing of the log, the two steps after sequencing (which is ingest's).

* **Integrate**: hash the entries sequenced since the last checkpoint into the tiles
  (:func:`corridor.ledger.integrate.updated_tiles`).
* **Publish**: sign a checkpoint for the new size with the log key and store it by
  compare-and-swap, in the *same* transaction as the tiles: a checkpoint is never visible before
  the tiles it commits to are durable. Zero rows swapped means another publisher got there
  first: a fatal conflict, never an overwrite.
* **Export** (optional): write the new tiles and entry bundles as static files, fsync them, then
  replace ``checkpoint`` atomically. Files are written in that order for the same reason.

HQ publishes at most every ``CORRIDOR_PUBLISH_INTERVAL`` seconds while it runs
(:class:`corridor.hq.PublishLoop`), and on demand (``corridor hq publish``, the demo).
After a crash, :meth:`LogPublisher.repair` integrates whatever was sequenced but not published
and rewrites any static file that is missing or short.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from corridor.errors import ConflictError
from corridor.hq.logread import StoredTileReader
from corridor.ledger.checkpoint import Checkpoint, sign_checkpoint
from corridor.ledger.integrate import updated_tiles
from corridor.ledger.keys import Ed25519Signer
from corridor.ledger.merkle import HASH_SIZE, leaf_hash
from corridor.ledger.tilehash import root_from_tiles
from corridor.ledger.tiles import (
    TILE_WIDTH,
    Tile,
    encode_entry_bundle,
    entries_path,
    tile_path,
    tiles_for_size,
)
from corridor.store import queries
from corridor.store.engine import Store


class LogPublisher:
    """Integrates and publishes one store's log, signed by ``signer`` (name = log origin)."""

    def __init__(
        self,
        store: Store,
        signer: Ed25519Signer,
        *,
        export_dir: Path | None = None,
    ) -> None:
        self.store = store
        self.signer = signer
        self.export_dir = export_dir

    @property
    def origin(self) -> str:
        return self.signer.name

    @property
    def vkey(self) -> str:
        return self.signer.verifier().to_vkey()

    def checkpoint_text(self) -> str:
        """The current published checkpoint (publishing the empty tree if there is none)."""
        with self.store.read() as conn:
            state = queries.published_state(conn)
        return state[1] if state is not None else self.publish()[1]

    def publish(self) -> tuple[int, str]:
        """Integrate everything sequenced and publish a checkpoint for it: (size, note text)."""
        with self.store.write() as conn:
            state = queries.published_state(conn)
            old_size, old_text = state if state is not None else (0, None)
            size = queries.log_size(conn)
            # Read once from the start of the first entry tile touched: the new entries are
            # hashed, and the export bundles the whole tile (it may hold older entries).
            first = old_size - old_size % TILE_WIDTH
            entries: list[bytes] = []
            # Nothing new and signed by this key: keep it. A new log key (same tree) signs the
            # same size again, so HQ's checkpoint and vkey name the key its registry names.
            same_key = queries.get_meta(conn, "log_vkey") == self.vkey
            if old_text is not None and size == old_size and same_key:
                result = (old_size, old_text)
                changed: dict[tuple[int, int], bytes] = {}
            else:
                entries = queries.log_entries_range(conn, first, size)
                hashes = [leaf_hash(e) for e in entries[old_size - first :]]
                changed = updated_tiles(
                    old_size, hashes, lambda level, index: queries.read_tile(conn, level, index)
                )
                queries.write_tiles(conn, changed)
                root = root_from_tiles(size, StoredTileReader(conn, changed))
                note = sign_checkpoint(Checkpoint(self.origin, size, root), self.signer)
                text = note.to_text()
                queries.set_meta(conn, "log_vkey", self.vkey)
                if not queries.swap_checkpoint(conn, old_text, size, text):
                    raise ConflictError(
                        "the published checkpoint changed under this publisher; "
                        "another process is publishing the same log"
                    )
                result = (size, text)
        if self.export_dir is not None and result[1] != old_text:
            self._export(changed, result[1], _EntrySource(first, entries))
        return result

    def repair(self) -> tuple[int, str]:
        """Bring the log to a consistent state after a crash: publish what was sequenced, then
        rewrite any static file that is missing or shorter than the store's."""
        size, text = self.publish()
        if self.export_dir is not None:
            with self.store.read() as conn:
                every = {
                    (tile.level, tile.index): queries.read_tile(conn, tile.level, tile.index)
                    for tile in _hash_tiles(size)
                }
            self._export(every, text, _EntrySource(0, []), only_missing=True)
        return size, text

    def _export(
        self,
        changed: dict[tuple[int, int], bytes],
        checkpoint: str,
        known: _EntrySource,
        *,
        only_missing: bool = False,
    ) -> None:
        assert self.export_dir is not None
        root = self.export_dir
        touched: set[Path] = set()
        with self.store.read() as conn:
            for (level, index), data in sorted(changed.items()):
                width = len(data) // HASH_SIZE
                _write_file(root / tile_path(level, index, width), data, only_missing, touched)
                if level == 0:
                    start = index * TILE_WIDTH
                    entries = known.get(start, start + width)
                    if entries is None:
                        entries = queries.log_entries_range(conn, start, start + width)
                    bundle = encode_entry_bundle(entries)
                    _write_file(root / entries_path(index, width), bundle, only_missing, touched)
        vkey = (self.vkey + "\n").encode()
        vkey_path = root / "vkey"
        if not vkey_path.exists() or vkey_path.read_bytes() != vkey:
            _write_file(vkey_path, vkey, False, touched)
        # Every tile's file and name are durable before the checkpoint that commits to them.
        _sync_directories(touched)
        _write_file(root / "checkpoint", checkpoint.encode(), False, touched)
        _sync_directories({root})


@dataclass(frozen=True, slots=True)
class _EntrySource:
    """Log entries already read, ``entries[i]`` being the one at index ``first + i``."""

    first: int
    entries: list[bytes]

    def get(self, start: int, stop: int) -> list[bytes] | None:
        """Entries ``start`` to ``stop`` if all of them are here, else None."""
        if start < self.first or stop > self.first + len(self.entries):
            return None
        return self.entries[start - self.first : stop - self.first]


def _hash_tiles(size: int) -> list[Tile]:
    return [tile for tile in tiles_for_size(size) if not tile.is_entries]


def _write_file(path: Path, data: bytes, only_missing: bool, touched: set[Path]) -> None:
    """Write ``data`` atomically and fsync it (temp file, fsync, rename); the directory that
    names it is added to ``touched``, for :func:`_sync_directories` to make the name durable."""
    if only_missing and path.exists() and path.stat().st_size >= len(data):
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    touched.add(path.parent)


def _sync_directories(directories: set[Path]) -> None:
    """fsync each directory once, however many files were renamed into it."""
    for directory in sorted(directories):
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
