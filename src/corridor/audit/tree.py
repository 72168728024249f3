"""The tree checks of an audit: tiles against each other and the checkpoint, entry bundles
against their level-0 tile, and an earlier checkpoint against the current tree.

This is :func:`corridor.ledger.verify_tiles` made streaming and exhaustive: the tiles above level
0 (1/256 of the hashes) are read once and kept; each level-0 tile is read with its entry bundle,
checked against its hash one level up, and dropped. Every problem becomes a finding naming the
tile path instead of stopping at the first.
"""

from __future__ import annotations

import hashlib

from corridor.audit.report import AuditReport, CheckpointInfo
from corridor.audit.source import LogUnavailableError, SourceTileReader
from corridor.errors import CorridorError
from corridor.ledger import (
    HASH_SIZE,
    TILE_WIDTH,
    Checkpoint,
    MemoryTileReader,
    Tile,
    TileHashReader,
    build_tiles,
    consistency_proof,
    decode_entry_bundle,
    entry_bundles_for_size,
    root_from_tiles,
    tile_for_size,
    tile_root,
    tiles_for_size,
)
from corridor.ledger import verify_consistency as _verify_consistency

__all__ = ["TreeChecker"]

_DIFFERS = "differs from the tile rebuilt from the entries (which give the checkpoint's root)"


def _leaves(entries: list[bytes]) -> bytes:
    """The concatenated leaf hashes of ``entries`` (the level-0 tile they should have)."""
    sha = hashlib.sha256
    return b"".join([sha(b"\x00" + entry).digest() for entry in entries])


class TreeChecker:
    """Tile checks for the tree of ``checkpoint.size`` leaves, recording findings in ``report``."""

    def __init__(self, reader: SourceTileReader, checkpoint: Checkpoint, report: AuditReport):
        self.reader = reader
        self.size = checkpoint.size
        self.root = checkpoint.root_hash
        self.report = report
        self.published: dict[Tile, bytes | None] = {}  # as read (None: unreadable)
        self.upper: dict[Tile, bytes | None] = {}  # as trusted (None: unreadable or wrong)
        self.root_ok = False
        self.trusted = False

    def _read(self, tile: Tile) -> bytes | None:
        """A tile's bytes, or ``None`` (with a finding) if missing or of the wrong length."""
        try:
            data = self.reader.read_tile(tile)
        except LogUnavailableError:
            raise  # the log cannot be read at all: nothing more to check
        except CorridorError as exc:
            self.report.add(None, tile.path, f"cannot read tile: {exc}")
            return None
        if len(data) != tile.width * HASH_SIZE:
            self.report.add(
                None, tile.path, f"truncated or padded: {len(data)} bytes, want {tile.width * 32}"
            )
            return None
        return data

    def _mismatch(self, tile: Tile) -> str:
        parent = tile_for_size(tile.level + 1, tile.index // TILE_WIDTH, self.size)
        return f"does not match hash {tile.index % TILE_WIDTH} of {parent.path}"

    def parent_hash(self, tile: Tile) -> bytes | None:
        """The hash one level up that commits to the full ``tile``, if that tile is readable."""
        parent = self.upper.get(tile_for_size(tile.level + 1, tile.index // TILE_WIDTH, self.size))
        if parent is None:
            return None
        at = (tile.index % TILE_WIDTH) * HASH_SIZE
        return parent[at : at + HASH_SIZE]

    def check_upper(self) -> bool:
        """Read every tile above level 0, check each full one against the level above (top
        down, so each is checked against a trusted tile), and the root against the checkpoint.
        Returns whether all of that held; a tile that fails is not trusted afterwards."""
        tiles = [tile for tile in tiles_for_size(self.size) if tile.level > 0]
        for tile in tiles:
            self.published[tile] = self.upper[tile] = self._read(tile)
        ok = all(data is not None for data in self.upper.values())
        for tile in reversed(tiles):
            data = self.upper[tile]
            if data is None or tile.is_partial:
                continue
            want = self.parent_hash(tile)
            if want is None or tile_root(data) != want:
                if want is not None:
                    self.report.add(None, tile.path, self._mismatch(tile))
                self.upper[tile], ok = None, False
        try:
            root = root_from_tiles(self.size, self.reader)
        except LogUnavailableError:
            raise  # the log cannot be read at all: nothing more to check
        except (CorridorError, LookupError) as exc:
            self.report.add(None, "tiles", f"cannot rebuild the root: {exc}")
            return False
        if root != self.root:
            self.report.add(
                None,
                "tiles",
                f"tiles give root {root.hex()} for size {self.size}, checkpoint says "
                f"{self.root.hex()}",
            )
            return False
        self.root_ok = True
        return ok

    def rebuild_from_entries(self) -> None:
        """When the tiles do not give the checkpoint's root, rebuild the tree from the entries
        alone (a pass that only hashes). If that gives the root, the entries are authentic: each
        published tile that differs from the rebuilt one is named, and the entries are trusted."""
        level1, tail = bytearray(), b""
        for bundle in entry_bundles_for_size(self.size):
            try:
                entries = decode_entry_bundle(self.reader.source.read(bundle.path), bundle.width)
            except LogUnavailableError:
                raise  # the log cannot be read at all: nothing more to check
            except CorridorError:
                return  # reported by the main pass
            leaves = _leaves(entries)
            if bundle.is_partial:
                tail = leaves
            else:
                level1 += tile_root(leaves)
        rebuilt = {
            Tile(t.level + 1, t.index, t.width): d
            for t, d in build_tiles(
                [bytes(level1[i : i + HASH_SIZE]) for i in range(0, len(level1), HASH_SIZE)]
            ).items()
        }
        if tail:
            rebuilt[tile_for_size(0, self.size // TILE_WIDTH, self.size)] = tail
        if root_from_tiles(self.size, MemoryTileReader(rebuilt)) != self.root:
            self.report.add(None, "tiles", "the entries do not give the checkpoint's root")
            return
        self.trusted = True
        for tile, data in rebuilt.items():
            published = self.published.get(tile) if tile.level else self._read(tile)
            if published is not None and published != data:
                self.report.add(None, tile.path, _DIFFERS)

    def bundle(self, bundle: Tile) -> list[tuple[int, bytes]]:
        """Read entry bundle ``bundle`` and its level-0 tile; return the ``(index, entry)``
        pairs whose bytes the tree commits to, with a finding for every other one."""
        report, first = self.report, bundle.index * TILE_WIDTH
        tile = Tile(0, bundle.index, bundle.width)
        try:
            entries = decode_entry_bundle(self.reader.source.read(bundle.path))
        except LogUnavailableError:
            raise  # the log cannot be read at all: nothing more to check
        except CorridorError as exc:
            report.add(first, bundle.path, f"cannot read entry bundle: {exc}")
            return []
        if len(entries) != bundle.width:
            report.add(first, bundle.path, f"holds {len(entries)} entries, want {bundle.width}")
        entries = entries[: bundle.width]
        leaves = _leaves(entries)
        if self.trusted:  # the entries alone give the checkpoint's root
            if not tile.is_partial:  # (partial tiles were compared by rebuild_from_entries)
                data = self._read(tile)
                if data is not None and data != leaves:
                    report.add(None, tile.path, _DIFFERS)
            return list(enumerate(entries, first))
        data = self._read(tile)
        want = None if tile.is_partial else self.parent_hash(tile)
        if tile.is_partial:
            if not self.root_ok:
                data = None  # not authenticated: the root check failed (already a finding)
        elif want is None:
            data = None  # its parent is unreadable or wrong (already a finding)
        elif data is not None and tile_root(data) != want:
            report.add(None, tile.path, self._mismatch(tile))
            data = None
        if data is None:
            # No trusted level-0 tile: the entries can stand in for it if they hash to its
            # parent (a garbled tile, an intact bundle).
            if len(leaves) == TILE_WIDTH * HASH_SIZE and want is not None:
                if tile_root(leaves) == want:
                    return list(enumerate(entries, first))
            report.add(first, bundle.path, "entries cannot be checked: no valid level-0 tile")
            return []
        if leaves == data:
            return list(enumerate(entries, first))
        good = []
        for i, entry in enumerate(entries):
            if (
                leaves[i * HASH_SIZE : (i + 1) * HASH_SIZE]
                == data[i * HASH_SIZE : (i + 1) * HASH_SIZE]
            ):
                good.append((first + i, entry))
            else:
                report.add(first + i, bundle.path, "entry bundle does not match level-0 hashes")
        return good

    def check_previous(self, previous: Checkpoint) -> None:
        """Check that an earlier checkpoint of this log is a prefix of the current tree."""
        self.report.previous = CheckpointInfo(previous.origin, previous.size, previous.root_hash)
        where = "previous checkpoint"
        if previous.size > self.size:
            self.report.add(
                None,
                where,
                f"size {previous.size} is larger than the current {self.size}: "
                "the log was rolled back",
            )
        elif previous.size == self.size:
            if previous.root_hash != self.root:
                self.report.add(
                    None,
                    where,
                    f"forked history: size {self.size} with root "
                    f"{previous.root_hash.hex()}, the current checkpoint has {self.root.hex()}",
                )
        elif previous.size > 0:
            try:
                reader = TileHashReader(self.size, self.reader)
                proof = consistency_proof(previous.size, self.size, reader)
                _verify_consistency(previous.size, self.size, proof, previous.root_hash, self.root)
            except LogUnavailableError:
                raise  # the log cannot be read at all: nothing more to check
            except (CorridorError, LookupError) as exc:
                self.report.add(
                    None,
                    where,
                    f"forked history: size {previous.size} is not a prefix of the "
                    f"current tree: {exc}",
                )
