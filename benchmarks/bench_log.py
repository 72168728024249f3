"""The log's own code paths, measured against their bounds in the same run (issue #3):

* **Hashing**: integrating 1M entries into hash tiles the way the publisher does (leaf hashes,
  then :func:`corridor.ledger.integrate.updated_tiles` in batches of 1,000), against the bare
  cost of the 2N SHA-256 calls a tree of N leaves needs. Goal: at least 50% of bare.
* **Proofs**: inclusion proofs for random indices of a 10M-entry log, read from the tiles stored
  in SQLite (the same reader receipts use). Goal: median under 1 ms.
"""

from __future__ import annotations

import hashlib
import random
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.common import Result, median_seconds
from corridor.hq.logread import StoredTileReader
from corridor.ledger import inclusion_proof, leaf_hash, root_from_leaf_hashes, verify_inclusion
from corridor.ledger.integrate import updated_tiles
from corridor.ledger.tilehash import TileHashReader, root_from_tiles
from corridor.store import queries
from corridor.store.engine import open_store, sqlite_url

BATCH = 1000


def _entries(n: int) -> list[bytes]:
    return [i.to_bytes(8, "big") * 40 for i in range(n)]


def _integrate(entries: list[bytes]) -> dict[tuple[int, int], bytes]:
    tiles: dict[tuple[int, int], bytes] = {}
    for start in range(0, len(entries), BATCH):
        hashes = [leaf_hash(e) for e in entries[start : start + BATCH]]
        tiles.update(updated_tiles(start, hashes, lambda lv, ix: tiles.get((lv, ix), b"")))
    return tiles


def hashing(n: int) -> Result:
    entries = _entries(n)
    sha = hashlib.sha256

    def bare() -> None:
        for entry in entries:
            h = sha(b"\x00" + entry).digest()
            sha(b"\x01" + h + h).digest()

    bare_s = median_seconds(bare)
    integrate_s = median_seconds(lambda: _integrate(entries))
    ratio = bare_s / integrate_s
    return Result(
        name=f"Hashing: integrating {n:,} entries into tiles vs bare 2N SHA-256",
        figures={
            "bare 2N SHA-256": f"{bare_s:.2f} s ({n / bare_s:,.0f} entries/s)",
            "integration (leaf hashes + tiles, batches of 1,000)": (
                f"{integrate_s:.2f} s ({n / integrate_s:,.0f} entries/s)"
            ),
            "integration speed / bare speed": f"{ratio:.0%}",
        },
        goal="at least 50% of bare",
        met=ratio >= 0.5,
        notes=["Entries of 320 bytes; medians of 3 runs."],
    )


def proofs(n: int, count: int = 2000) -> Result:
    leaves = [hashlib.sha256(i.to_bytes(8, "big")).digest() for i in range(n)]
    build_start = time.perf_counter()
    tiles: dict[tuple[int, int], bytes] = {}
    for start in range(0, n, 100_000):
        tiles.update(
            updated_tiles(
                start, leaves[start : start + 100_000], lambda lv, ix: tiles.get((lv, ix), b"")
            )
        )
    build_s = time.perf_counter() - build_start
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(sqlite_url(Path(tmp) / "proofs.db"))
        with store.write() as conn:
            queries.write_tiles(conn, tiles)
        db_mb = (Path(tmp) / "proofs.db").stat().st_size / 1e6
        rng = random.Random(2026)
        indices = [rng.randrange(n) for _ in range(count)]
        times = []
        with store.read() as conn:
            reader = TileHashReader(n, StoredTileReader(conn))
            root = root_from_tiles(n, StoredTileReader(conn))
            for index in indices:
                start = time.perf_counter()
                proof = inclusion_proof(index, n, reader)
                times.append(time.perf_counter() - start)
            for index in indices[:50]:
                verify_inclusion(leaves[index], index, n, inclusion_proof(index, n, reader), root)
        store.dispose()
    if n <= 100_000:
        assert root == root_from_leaf_hashes(leaves)
    median_ms = statistics.median(times) * 1000
    return Result(
        name=f"Proofs: inclusion proofs in a {n:,}-entry log from tiles stored in SQLite",
        figures={
            "tiles": f"{len(tiles):,} ({db_mb:,.0f} MB of SQLite), built in {build_s:.1f} s",
            "proofs": f"{count:,} random indices, {len(proof)} hashes each",
            "median": f"{median_ms:.3f} ms",
            "p95": f"{sorted(times)[int(count * 0.95)] * 1000:.3f} ms",
        },
        goal="median under 1 ms",
        met=median_ms < 1.0,
        notes=["Each proof reads its tiles from SQLite; 50 proofs are verified against the root."],
    )


def run(quick: bool = False) -> list[Result]:
    return [hashing(100_000 if quick else 1_000_000), proofs(100_000 if quick else 10_000_000)]


if __name__ == "__main__":
    for result in run(quick=True):
        print(result)
