"""C2SP tlog-tiles layout: tile paths, which tiles a tree has, and entry bundles.

Pure functions only; see :mod:`corridor.ledger.tilehash` for reading hashes out of tiles.

A tile at level ``L`` and index ``N`` holds up to 256 consecutive hashes of the tree at height
``8 * L``: hash ``i`` is ``MTH(D[(N * 256 + i) * 256**L : (N * 256 + i + 1) * 256**L])``. The
rightmost tiles of a tree are *partial* (width 1 to 255, path suffix ``.p/<W>``); a partial tile
is never hashed into the level above. Entry bundles (``tile/entries/<N>[.p/<W>]``) hold the
entries whose leaf hashes form level-0 tile ``N``, each as a uint16 big-endian length + bytes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from corridor.errors import EntryTooLargeError, VerificationError

__all__ = [
    "ENTRIES_LEVEL",
    "MAX_ENTRY_SIZE",
    "TILE_HEIGHT",
    "TILE_WIDTH",
    "Tile",
    "TilePathError",
    "decode_entry_bundle",
    "encode_entry_bundle",
    "entries_path",
    "entry_bundles_for_size",
    "parse_tile_path",
    "tile_for_size",
    "tile_path",
    "tiles_for_size",
]

TILE_HEIGHT = 8
"""Tree levels per tile level."""
TILE_WIDTH = 1 << TILE_HEIGHT
"""Hashes (or entries) in a full tile: 256."""
MAX_TILE_LEVEL = 63
ENTRIES_LEVEL = -1
"""The ``level`` of a :class:`Tile` that is an entry bundle."""
MAX_ENTRY_SIZE = 0xFFFF
"""Largest entry an entry bundle can frame: 65,535 bytes."""


class TilePathError(VerificationError, ValueError):
    """A path is not a canonical tlog-tiles tile or entry-bundle path."""

    status_code = 400


@dataclass(frozen=True, slots=True)
class Tile:
    """One tile (``level >= 0``) or entry bundle (``level == ENTRIES_LEVEL``) of ``width``
    hashes or entries; ``width < 256`` means a partial tile."""

    level: int
    index: int
    width: int = TILE_WIDTH

    def __post_init__(self) -> None:
        if not ENTRIES_LEVEL <= self.level <= MAX_TILE_LEVEL:
            raise ValueError(f"tile level {self.level} is outside 0..{MAX_TILE_LEVEL}")
        if self.index < 0:
            raise ValueError(f"negative tile index {self.index}")
        if not 1 <= self.width <= TILE_WIDTH:
            raise ValueError(f"tile width {self.width} is outside 1..{TILE_WIDTH}")

    @property
    def is_entries(self) -> bool:
        """Whether this is an entry bundle rather than a hash tile."""
        return self.level == ENTRIES_LEVEL

    @property
    def is_partial(self) -> bool:
        """Whether the tile holds fewer than 256 hashes (and may later be replaced)."""
        return self.width < TILE_WIDTH

    @property
    def path(self) -> str:
        """The tile's path below the log prefix, e.g. ``tile/0/x001/234.p/7``."""
        if self.is_entries:
            return entries_path(self.index, self.width)
        return tile_path(self.level, self.index, self.width)

    @property
    def leaf_range(self) -> tuple[int, int]:
        """The leaves ``[start, end)`` this tile's hashes cover, at its width."""
        per_hash = 1 << (TILE_HEIGHT * max(self.level, 0))
        start = self.index * TILE_WIDTH * per_hash
        return start, start + self.width * per_hash


def _encode_index(index: int) -> str:
    digits = f"{index:03d}"
    digits = "0" * (-len(digits) % 3) + digits
    parts = [digits[i : i + 3] for i in range(0, len(digits), 3)]
    return "/".join([*("x" + p for p in parts[:-1]), parts[-1]])


def _suffix(width: int) -> str:
    if not 1 <= width <= TILE_WIDTH:
        raise ValueError(f"tile width {width} is outside 1..{TILE_WIDTH}")
    return "" if width == TILE_WIDTH else f".p/{width}"


def tile_path(level: int, index: int, width: int = TILE_WIDTH) -> str:
    """Return ``tile/<L>/<N>[.p/<W>]``, with ``N`` in the ``x001/x234/067`` encoding."""
    if not 0 <= level <= MAX_TILE_LEVEL or index < 0:
        raise ValueError(f"no tile at level {level}, index {index}")
    return f"tile/{level}/{_encode_index(index)}{_suffix(width)}"


def entries_path(index: int, width: int = TILE_WIDTH) -> str:
    """Return ``tile/entries/<N>[.p/<W>]`` for entry bundle ``index``."""
    if index < 0:
        raise ValueError(f"negative entry bundle index {index}")
    return f"tile/entries/{_encode_index(index)}{_suffix(width)}"


_PATH = re.compile(
    r"tile/(?P<level>entries|0|[1-9][0-9]?)/(?P<index>(?:x[0-9]{3}/)*[0-9]{3})"
    r"(?:\.p/(?P<width>[1-9][0-9]{0,2}))?"
)


def parse_tile_path(path: str) -> Tile:
    """Parse a canonical tile or entry-bundle path (relative to the log prefix).

    Raises :class:`TilePathError` for anything else, including non-canonical spellings such as
    ``x000/001`` for index 1 or ``.p/256``, so each tile has exactly one path.
    """
    match = _PATH.fullmatch(path)
    if match is None:
        raise TilePathError(f"{path!r} is not a tile path (tile/<L>/<N>[.p/<W>])")
    level_text, width_text = match["level"], match["width"]
    level = ENTRIES_LEVEL if level_text == "entries" else int(level_text)
    index = int(match["index"].replace("x", "").replace("/", ""))
    width = TILE_WIDTH if width_text is None else int(width_text)
    try:
        tile = Tile(level, index, width)
    except ValueError as exc:
        raise TilePathError(f"{path!r}: {exc}") from exc
    if tile.path != path:
        raise TilePathError(f"{path!r} is not canonical; the tile's path is {tile.path!r}")
    return tile


def _level_count(size: int, level: int) -> int:
    """Number of hashes a tree of ``size`` leaves has at tile level ``level``."""
    return size >> (TILE_HEIGHT * level)


def tile_for_size(level: int, index: int, size: int) -> Tile:
    """Return tile ``(level, index)`` as it exists in a tree of ``size`` leaves: full, or
    partial with the right width. Raises ``LookupError`` if that tree has no such tile."""
    available = _level_count(size, max(level, 0)) - index * TILE_WIDTH
    if available <= 0 or index < 0:
        raise LookupError(f"a tree of size {size} has no tile at level {level}, index {index}")
    return Tile(level, index, min(available, TILE_WIDTH))


def tiles_for_size(size: int) -> list[Tile]:
    """Every hash tile of a tree of ``size`` leaves, level by level, full then partial."""
    tiles: list[Tile] = []
    level = 0
    while (count := _level_count(size, level)) > 0:
        full, rest = divmod(count, TILE_WIDTH)
        tiles.extend(Tile(level, n) for n in range(full))
        if rest:
            tiles.append(Tile(level, full, rest))
        level += 1
    return tiles


def entry_bundles_for_size(size: int) -> list[Tile]:
    """Every entry bundle of a tree of ``size`` leaves, full then partial."""
    full, rest = divmod(size, TILE_WIDTH)
    bundles = [Tile(ENTRIES_LEVEL, n) for n in range(full)]
    if rest:
        bundles.append(Tile(ENTRIES_LEVEL, full, rest))
    return bundles


def encode_entry_bundle(entries: Iterable[bytes]) -> bytes:
    """Frame entries as an entry bundle: each one as uint16 big-endian length + bytes."""
    parts: list[bytes] = []
    for n, entry in enumerate(entries):
        if len(entry) > MAX_ENTRY_SIZE:
            raise EntryTooLargeError(
                f"entry {n}", f"{len(entry)} bytes, at most {MAX_ENTRY_SIZE} fit in a bundle"
            )
        parts.append(len(entry).to_bytes(2, "big"))
        parts.append(entry)
    if len(parts) > 2 * TILE_WIDTH:
        raise ValueError(f"an entry bundle holds at most {TILE_WIDTH} entries")
    return b"".join(parts)


def decode_entry_bundle(data: bytes, width: int | None = None) -> list[bytes]:
    """Split an entry bundle into its entries; if ``width`` is given, require that many."""
    entries: list[bytes] = []
    at = 0
    while at < len(data):
        if len(data) - at < 2:
            raise VerificationError(f"entry bundle ends inside a length prefix at byte {at}")
        length = int.from_bytes(data[at : at + 2], "big")
        at += 2
        if len(data) - at < length:
            raise VerificationError(
                f"entry {len(entries)} claims {length} bytes but {len(data) - at} remain"
            )
        entries.append(data[at : at + length])
        at += length
        if len(entries) > TILE_WIDTH:
            raise VerificationError(f"entry bundle holds more than {TILE_WIDTH} entries")
    if width is not None and len(entries) != width:
        raise VerificationError(f"entry bundle holds {len(entries)} entries, expected {width}")
    return entries
