"""Benchmarks of the pure log library (``corridor.ledger``). Plain functions returning dicts.

- :func:`bench_tree_hashing`: the incremental tree hasher against the bare cost of the same
  number of SHA-256 calls (2N), in the same run. Target: at least 50% of the bare speed.
- :func:`bench_inclusion_proofs`: inclusion proofs for random indices served from an
  in-memory tile store (the same :class:`~corridor.ledger.TileHashReader` path as stored
  tiles). Target: a 10M-entry log, under 1 ms median per proof.

Run directly for a quick look: ``python benchmarks/bench_ledger.py [n_hash] [n_log]``.
"""

from __future__ import annotations

import hashlib
import random
import statistics
import sys
import time
from typing import Any

from corridor.ledger import (
    TILE_WIDTH,
    MemoryTileReader,
    Tile,
    TileHashReader,
    TreeBuilder,
    inclusion_proof,
    leaf_hash,
    root_from_tiles,
    tile_root,
    verify_inclusion,
)


def _entries(n: int) -> list[bytes]:
    """``n`` distinct 64-byte entries (about the size of a small signed event digest)."""
    return [i.to_bytes(8, "big") * 8 for i in range(n)]


def bench_tree_hashing(n: int = 1_000_000, repeat: int = 3) -> dict[str, Any]:
    """Build the tree hash of ``n`` entries with :class:`TreeBuilder` and time it against
    ``2n`` bare ``hashlib.sha256`` calls (``n`` leaf hashes of the entries, ``n`` node hashes of
    64 bytes), median of ``repeat`` runs each. ``speed_ratio`` is bare time / builder time."""
    entries = _entries(n)
    sha = hashlib.sha256

    def bare() -> float:
        start = time.perf_counter()
        for entry in entries:
            h = sha(b"\x00" + entry).digest()
            sha(b"\x01" + h + h).digest()
        return time.perf_counter() - start

    root = b""

    def builder() -> float:
        nonlocal root
        start = time.perf_counter()
        tree = TreeBuilder()
        tree.extend_entries(entries)
        root = tree.root()
        return time.perf_counter() - start

    bare_s = statistics.median(bare() for _ in range(repeat))
    builder_s = statistics.median(builder() for _ in range(repeat))
    return {
        "n": n,
        "repeat": repeat,
        "bare_2n_sha256_seconds": round(bare_s, 4),
        "tree_builder_seconds": round(builder_s, 4),
        "speed_ratio": round(bare_s / builder_s, 3),
        "target_speed_ratio": 0.5,
        "entries_per_second": round(n / builder_s),
        "root": root.hex(),
    }


def build_tile_store(n: int) -> tuple[dict[Tile, bytes], float]:
    """Tiles of a log of ``n`` synthetic entries, built tile by tile as a log integrates them
    (no list of all leaf hashes is kept). Returns the tiles and the seconds it took."""
    start = time.perf_counter()
    tiles: dict[Tile, bytes] = {}
    sha = hashlib.sha256
    row: list[bytes] = []  # the full-tile roots of the level being filled, bottom up
    for first in range(0, n, TILE_WIDTH):
        width = min(TILE_WIDTH, n - first)
        data = b"".join(
            sha(b"\x00" + i.to_bytes(8, "big") * 8).digest() for i in range(first, first + width)
        )
        tiles[Tile(0, first // TILE_WIDTH, width)] = data
        if width == TILE_WIDTH:
            row.append(tile_root(data))
    level = 1
    while row:
        above: list[bytes] = []
        for index in range(0, len(row), TILE_WIDTH):
            chunk = row[index : index + TILE_WIDTH]
            data = b"".join(chunk)
            tiles[Tile(level, index // TILE_WIDTH, len(chunk))] = data
            if len(chunk) == TILE_WIDTH:
                above.append(tile_root(data))
        row = above
        level += 1
    return tiles, time.perf_counter() - start


def bench_inclusion_proofs(
    n: int = 10_000_000, proofs: int = 2_000, seed: int = 2026, verify_sample: int = 100
) -> dict[str, Any]:
    """Inclusion proofs for ``proofs`` random indices of an ``n``-entry log served from an
    in-memory tile store through :class:`TileHashReader` (one batched tile read per proof,
    interior nodes rehashed from tile contents on every proof, no cache).

    Building the store is timed separately (about 2N SHA-256 calls; for 10M entries expect
    tens of seconds and ~0.7 GB). ``verify_sample`` proofs are checked against the root.
    """
    tiles, build_s = build_tile_store(n)
    reader = MemoryTileReader(tiles)
    hashes = TileHashReader(n, reader)
    root = root_from_tiles(n, reader)
    rng = random.Random(seed)
    indices = [rng.randrange(n) for _ in range(proofs)]
    timings: list[float] = []
    results: list[list[bytes]] = []
    for index in indices:
        start = time.perf_counter()
        proof = inclusion_proof(index, n, hashes)
        timings.append(time.perf_counter() - start)
        results.append(proof)
    for index, proof in list(zip(indices, results, strict=True))[:verify_sample]:
        entry = index.to_bytes(8, "big") * 8
        verify_inclusion(leaf_hash(entry), index, n, proof, root)
    timings.sort()
    return {
        "n": n,
        "proofs": proofs,
        "store_build_seconds": round(build_s, 2),
        "tiles": len(tiles),
        "proof_hashes": len(results[0]),
        "median_ms": round(statistics.median(timings) * 1000, 4),
        "p95_ms": round(timings[int(len(timings) * 0.95)] * 1000, 4),
        "max_ms": round(timings[-1] * 1000, 4),
        "target_median_ms": 1.0,
        "verified": min(verify_sample, proofs),
        "root": root.hex(),
    }


if __name__ == "__main__":
    n_hash = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    n_log = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000_000
    print(bench_tree_hashing(n_hash))
    print(bench_inclusion_proofs(n_log))
