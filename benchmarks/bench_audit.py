"""``corridor audit`` of a large log on disk against bare Ed25519 verification, in the same run.

Goals (issue "corridor audit"): the audit verifies at least 50% as many events per second as a
bare Ed25519 verify loop (the faster of libsodium via PyNaCl and OpenSSL via ``cryptography``),
and its peak RSS stays under 300 MB, whatever the size of the log.

The log (``n`` signed passages after the admin's and the post's key registrations) is built once
per run in a temporary directory, as a static tlog-tiles log, and removed at the end. The audit
runs in a subprocess started by a small launcher process, which reads its peak RSS
(``RUSAGE_CHILDREN``); the audit process also reports its ``VmHWM`` as a cross-check. The bare loops
verify ``n`` signatures cycling over the first ``min(n, 65,536)`` entries of the log (the cost of
one verification does not depend on which entry it is).

Run directly: ``python -m benchmarks.bench_audit [n]`` (default 1,000,000; building the log takes
about a minute per million entries).
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import nacl.bindings
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from benchmarks.common import Result, median_seconds
from corridor.hq.registry import registration_body
from corridor.ledger import (
    HASH_SIZE,
    TILE_WIDTH,
    Checkpoint,
    Ed25519Signer,
    MemoryTileReader,
    Tile,
    build_tiles,
    encode_entry_bundle,
    entries_path,
    root_from_tiles,
    sign_checkpoint,
    tile_path,
    tile_root,
)
from corridor.model.events import CargoLine, People, PublicEntry
from corridor.model.signing import EntryType, SignedPassage, SigningKey, sign_body, signed_message
from corridor.model.vocabulary import CargoCategory, Direction, PassageKind, VehicleClass

START = datetime(2020, 12, 1, tzinfo=UTC)
SAMPLE = 65_536
QUICK = 20_000
LOG = Ed25519Signer("bench.example/log", b"\x11" * 32)
ADMIN = SigningKey(b"\x12" * 32)
POST = SigningKey(b"\x13" * 32)

_AUDIT = """
import json, sys, time
from corridor.audit import DirectorySource, audit
start = time.perf_counter()
report = audit(DirectorySource(sys.argv[1]), sys.argv[2])
seconds = time.perf_counter() - start
with open("/proc/self/status") as status:
    hwm = next((int(l.split()[1]) for l in status if l.startswith("VmHWM:")), 0)
print(json.dumps({"seconds": seconds, "ok": report.ok, "entries": report.counts.entries,
                  "vm_hwm_kb": hwm, "findings": [str(f) for f in report.findings[:5]]}))
"""

# A small launcher runs the audit and reads its RUSAGE_CHILDREN: a child spawned straight from
# this (large) process would inherit this process's peak RSS in its ru_maxrss (Linux records the
# old address space's high-water mark at exec, and subprocess uses vfork).
_LAUNCH = """
import json, resource, subprocess, sys
out = subprocess.run([sys.executable, "-c", sys.argv[1], *sys.argv[2:]], capture_output=True,
                     text=True, check=True).stdout
data = json.loads(out)
data["maxrss_kb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps(data))
"""


def _entries(n: int) -> itertools.chain[bytes]:
    """The log's entries, generated lazily: two registrations, then ``n`` passages."""
    before = START - timedelta(days=1)
    head = [
        sign_body(
            EntryType.KEY_REGISTRATION,
            registration_body("bench", owner, role, key.public_key, before),
            ADMIN,
        )
        for owner, role, key in (("admin", "admin", ADMIN), ("P01", "post", POST))
    ]
    signer = POST.signer()
    private = "cd" * 32

    def passages() -> itertools.chain[bytes]:
        for i in range(n):
            entry = PublicEntry(
                event_id=uuid.UUID(int=i + 1, version=4),
                corridor="bench",
                post="P01",
                observed_at=START + timedelta(seconds=i),
                kind=PassageKind.PASSED,
                direction=Direction.INBOUND if i % 2 else Direction.OUTBOUND,
                vehicle_class=VehicleClass.TRUCK,
                vehicle=f"{i % 5000:032x}",
                people=People(crew=2),
                cargo=(CargoLine(CargoCategory.FOOD, 10_000 + i % 5000),),
                private=private,
            )
            yield SignedPassage.sign(entry, signer).raw

    return itertools.chain(head, passages())


def build_log(directory: Path, n: int) -> tuple[int, list[bytes]]:
    """Write the log to ``directory`` bundle by bundle; return its size and a sample of entries."""
    level1, sample, size = bytearray(), [], 0
    stream = _entries(n)
    tail: bytes = b""
    while batch := list(itertools.islice(stream, TILE_WIDTH)):
        index, width = size // TILE_WIDTH, len(batch)
        leaves = b"".join(nacl.bindings.crypto_hash_sha256(b"\x00" + e) for e in batch)
        for path, data in (
            (entries_path(index, width), encode_entry_bundle(batch)),
            (tile_path(0, index, width), leaves),
        ):
            (directory / path).parent.mkdir(parents=True, exist_ok=True)
            (directory / path).write_bytes(data)
        if width == TILE_WIDTH:
            level1 += tile_root(leaves)
        else:
            tail = leaves
        if len(sample) < SAMPLE:
            sample.extend(batch[: SAMPLE - len(sample)])
        size += width
    hashes = [bytes(level1[i : i + HASH_SIZE]) for i in range(0, len(level1), HASH_SIZE)]
    tiles = {Tile(t.level + 1, t.index, t.width): d for t, d in build_tiles(hashes).items()}
    for tile, data in tiles.items():
        (directory / tile.path).parent.mkdir(parents=True, exist_ok=True)
        (directory / tile.path).write_bytes(data)
    if tail:
        tiles[Tile(0, size // TILE_WIDTH, size % TILE_WIDTH)] = tail
    root = root_from_tiles(size, MemoryTileReader(tiles))
    note = sign_checkpoint(Checkpoint(LOG.name, size, root), LOG)
    (directory / "checkpoint").write_bytes(note.to_bytes())
    return size, sample


def _audit_child(directory: Path) -> dict[str, object]:
    vkey = LOG.verifier().to_vkey()
    result = subprocess.run(
        [sys.executable, "-c", _LAUNCH, _AUDIT, str(directory), vkey],
        capture_output=True,
        text=True,
        check=True,
    )
    data: dict[str, object] = json.loads(result.stdout)
    return data


def run(n: int = 1_000_000, *, quick: bool = False) -> list[Result]:
    """Build a log of ``n`` passages (20,000 if ``quick``), audit it, compare with bare Ed25519
    verification."""
    if quick:
        n = min(n, QUICK)
    with tempfile.TemporaryDirectory(prefix="corridor-bench-audit-") as tmp:
        directory = Path(tmp)
        started = time.perf_counter()
        size, sample = build_log(directory, n)
        build_seconds = time.perf_counter() - started
        parsed = [SignedPassage.from_bytes(raw) for raw in sample[2:]]
        pairs = [(signed_message(EntryType.PASSAGE, p.body), p.signature) for p in parsed]
        opened = [signature + message for message, signature in pairs]
        public = POST.public_key
        openssl_key = Ed25519PublicKey.from_public_bytes(public)

        def verify_sodium() -> None:
            for sm in itertools.islice(itertools.cycle(opened), size):
                nacl.bindings.crypto_sign_open(sm, public)

        def verify_openssl() -> None:
            for message, signature in itertools.islice(itertools.cycle(pairs), size):
                openssl_key.verify(signature, message)

        repeats = 3 if size <= 100_000 else 1
        sodium = size / median_seconds(verify_sodium, repeats)
        openssl = size / median_seconds(verify_openssl, repeats)
        runs = [_audit_child(directory) for _ in range(repeats)]
    peak_mb = max(float(str(r["maxrss_kb"])) for r in runs) / 1024
    hwm_mb = max(float(str(r["vm_hwm_kb"])) for r in runs) / 1024
    seconds = sorted(float(str(r["seconds"])) for r in runs)[len(runs) // 2]
    audit_rate = size / seconds
    fastest = max(sodium, openssl)
    ratio = audit_rate / fastest
    clean = all(r["ok"] for r in runs)
    return [
        Result(
            name="Audit: a static log on disk vs bare Ed25519 verify (one core)",
            figures={
                "log": f"{size:,} entries ({n:,} signed passages), built in {build_seconds:.0f} s",
                "bare verify, libsodium (PyNaCl)": f"{sodium:,.0f} signatures/s",
                "bare verify, OpenSSL (cryptography)": f"{openssl:,.0f} signatures/s",
                "audit (tiles, entries, signatures, keys, figures)": f"{audit_rate:,.0f} entries/s",
                "audit / fastest bare verify": f"{ratio:.0%}",
                "audit peak RSS (ru_maxrss of the audit process)": f"{peak_mb:,.0f} MB",
                "audit peak RSS (VmHWM, cross-check)": f"{hwm_mb:,.0f} MB",
                "audit result": "clean" if clean else f"FINDINGS {runs[0]['findings']}",
            },
            goal="audit >= 50% of the faster bare verify rate; peak RSS < 300 MB",
            met=ratio >= 0.5 and peak_mb < 300 and clean,
            notes=[
                f"Median of {repeats} audit run(s) in a subprocess; bare loops cycle over the "
                f"first {min(size, SAMPLE):,} entries.",
            ],
        )
    ]


if __name__ == "__main__":
    for result in run(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000):
        print(result.name)
        for key, value in result.figures.items():
            print(f"  {key}: {value}")
        print(f"  goal: {result.goal} -> {'met' if result.met else 'NOT met'}")
