"""Where an audit reads a log from: a static tlog-tiles directory or a ``/log/`` URL.

A :class:`LogSource` returns the bytes at a path below the log prefix (``checkpoint``,
``tile/<L>/<N>[.p/<W>]``, ``tile/entries/<N>[.p/<W>]``, as C2SP tlog-tiles lays them out) and
raises :class:`~corridor.errors.NotFoundError` for a path the log does not have.
:class:`SourceTileReader` adapts a source to the ledger's
:class:`~corridor.ledger.tilehash.TileReader`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import httpx

from corridor.errors import ConfigError, LogUnavailableError, NotFoundError
from corridor.ledger import Tile

__all__ = [
    "DirectorySource",
    "HttpSource",
    "LogSource",
    "LogUnavailableError",
    "SourceTileReader",
    "open_source",
]

#: Seconds to wait for a connection and for each read of a remote log.
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


class LogSource(Protocol):
    """Read-only access to the files of one published log."""

    @property
    def location(self) -> str:
        """Where the log is (a directory or a URL), for messages."""
        ...

    def read(self, path: str) -> bytes:
        """Return the bytes at ``path`` (relative to the log prefix); raise
        :class:`~corridor.errors.NotFoundError` if the log has no such file."""
        ...


def _check_relative(path: str) -> None:
    parts = path.split("/")
    if not path or path.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"{path!r} is not a relative log path")


class DirectorySource:
    """A static log written to a directory (the files a web server or CDN would serve)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise ConfigError(f"{self.root} is not a directory")

    @property
    def location(self) -> str:
        """The directory, as given."""
        return str(self.root)

    def read(self, path: str) -> bytes:
        """Read one file of the log."""
        _check_relative(path)
        try:
            return (self.root / path).read_bytes()
        except FileNotFoundError as exc:
            raise NotFoundError(f"{path}: no such file in {self.root}") from exc
        except OSError as exc:
            raise LogUnavailableError(f"{path}: cannot read from {self.root}: {exc}") from exc


class HttpSource:
    """A log served over http(s) under a ``/log/`` prefix; one connection pool per audit.

    ``transport`` is a seam for tests (an ``httpx`` transport); by default the network is used.
    """

    def __init__(
        self,
        url: str,
        *,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"{url!r} is not an http(s) URL")
        self.base = url if url.endswith("/") else url + "/"
        self._client = httpx.Client(
            timeout=timeout,
            transport=transport,
            follow_redirects=True,
            headers={"User-Agent": "corridor-audit"},
        )

    @property
    def location(self) -> str:
        """The log's base URL."""
        return self.base

    def read(self, path: str) -> bytes:
        """Fetch one file of the log."""
        _check_relative(path)
        url = self.base + path
        try:
            response = self._client.get(url)
        except httpx.HTTPError as exc:
            raise LogUnavailableError(f"{url}: {type(exc).__name__}: {exc}") from exc
        if response.status_code == 404:
            raise NotFoundError(f"{url}: not found (404)")
        if response.status_code != 200:
            raise LogUnavailableError(f"{url}: HTTP {response.status_code}, want 200")
        return response.content

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()


def open_source(location: str) -> DirectorySource | HttpSource:
    """A source for an http(s) URL of a ``/log/`` or for a directory."""
    if location.startswith(("http://", "https://")):
        return HttpSource(location)
    return DirectorySource(location)


class SourceTileReader:
    """A :class:`~corridor.ledger.tilehash.TileReader` over a :class:`LogSource`, with a cache of
    the tiles above level 0 (1/256 of the level-0 hashes: small even for a large log)."""

    def __init__(self, source: LogSource) -> None:
        self.source = source
        self._cache: dict[Tile, bytes] = {}

    def read_tile(self, tile: Tile) -> bytes:
        """The bytes of one tile (cached when above level 0)."""
        data = self._cache.get(tile)
        if data is None:
            data = self.source.read(tile.path)
            if tile.level > 0:
                self._cache[tile] = data
        return data

    def read_tiles(self, tiles: Sequence[Tile]) -> list[bytes]:
        """Return the contents of each tile (see the ledger's ``TileReader``)."""
        return [self.read_tile(tile) for tile in tiles]
