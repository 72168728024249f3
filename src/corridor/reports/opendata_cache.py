"""The open data files, built once per state of the log and kept on disk.

Files live in ``<root>/<key>/``, where the key is the published tree size and a fingerprint of
the corridor, the SIMULATED flag and the files' format version: a log that grows (or a new
scenario, or a new layout) gives a new directory and fresh files, and repeated downloads of one
state read the files already built. A file is built on its first request; older directories are
removed once a newer one is built and they have not been used for :data:`GRACE_SECONDS`, so a
download that started from one is not cut short.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
import time
from pathlib import Path

from sqlalchemy import Connection

from corridor.model.corridor import Corridor
from corridor.reports.opendata import published_size
from corridor.reports.opendata_fields import FORMAT_VERSION
from corridor.reports.opendata_package import FILES, build_file, data_file

#: How long an older directory is kept after a newer one was built, for downloads under way.
GRACE_SECONDS = 120.0


class OpenDataCache:
    """Built files under ``root`` for one corridor (``simulated`` as the node says)."""

    def __init__(self, root: Path, corridor: Corridor, *, simulated: bool) -> None:
        self.root = root
        self.corridor = corridor
        self.simulated = simulated
        identity = f"{FORMAT_VERSION}|{simulated}|{corridor!r}".encode()
        self._fingerprint = hashlib.sha256(identity).hexdigest()[:12]
        # One build at a time: concurrent first downloads wait for the file instead of each
        # exporting the whole log.
        self._lock = threading.Lock()

    def key(self, conn: Connection) -> str:
        return f"{published_size(conn)}-{self._fingerprint}"

    def directory(self, conn: Connection) -> Path:
        return self.root / self.key(conn)

    def built(self, conn: Connection, name: str) -> Path | None:
        """The file ``name`` for this state of the log if it has been built, else None."""
        path = self.directory(conn) / data_file(name).name
        return path if path.is_file() else None

    def file(self, conn: Connection, name: str) -> Path:
        """The file ``name`` for the state of the log ``conn`` sees, built if need be."""
        directory = self.directory(conn)
        path = directory / data_file(name).name
        if path.is_file():
            os.utime(directory)  # in use: kept for GRACE_SECONDS more (see _prune)
            return path
        with self._lock:
            # The Data Package describes (sizes and hashes) every other file: build them first.
            needed = [f.name for f in FILES] if name == FILES[-1].name else [name]
            for each in needed:
                if not (directory / each).is_file():
                    build_file(
                        each, conn, self.corridor, simulated=self.simulated, directory=directory
                    )
            self._prune(keep=directory)
        return path

    def _prune(self, keep: Path) -> None:
        if not self.root.is_dir():
            return
        cutoff = time.time() - GRACE_SECONDS
        for old in self.root.iterdir():
            if old != keep and old.is_dir() and old.stat().st_mtime < cutoff:
                shutil.rmtree(old, ignore_errors=True)
