"""Ingest of signed events into SQLite against bare Ed25519 verification, in the same run.

Goal (issue #2): ingest at least 50% of the faster bare verify rate (libsodium or OpenSSL).
"""

from __future__ import annotations

import statistics
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import nacl.bindings
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from benchmarks.common import Result, median_seconds
from corridor.hq.ingest import Ingestor
from corridor.hq.registry import ROLE_ADMIN, ROLE_POST, register_key
from corridor.model.corridor import Corridor, Place, Post, PostKind, RouteVersion
from corridor.model.events import CargoLine, People, PrivateRecord, PublicEntry, Submission
from corridor.model.signing import EntryType, SignedPassage, SigningKey, signed_message
from corridor.model.vocabulary import CargoCategory, Direction, PassageKind, VehicleClass
from corridor.store.engine import open_store, sqlite_url

BATCH = 1000
ROUNDS = 5
START = datetime(2020, 12, 1, tzinfo=UTC)

CORRIDOR = Corridor(
    id="bench",
    names=("Benchmark corridor",),
    width_m=5000,
    endpoints=(Place(("A",), (46.4, 39.46)), Place(("B",), (46.75, 39.81))),
    mandate_start=date(2020, 12, 1),
    mandate_end=date(2023, 12, 1),
    routes=(RouteVersion(1, date(2020, 12, 1), None, ((46.4, 39.46), (46.75, 39.81))),),
    posts=(Post("P01", ("A gate",), (46.4, 39.46), PostKind.CHECKPOINT),),
)


def make_submissions(
    count: int, key: SigningKey, *, corridor: str = "bench", post: str = "P01"
) -> list[Submission]:
    """``count`` signed passed-truck events of ``post``, with their private records."""
    signer = key.signer()
    private = PrivateRecord(plate="BENCH 0001", driver="Benchmark driver")
    salt = b"\x01" * 16
    out = []
    for n in range(count):
        entry = PublicEntry(
            event_id=uuid.UUID(int=n + 1, version=4),
            corridor=corridor,
            post=post,
            observed_at=START + timedelta(seconds=n),
            kind=PassageKind.PASSED,
            direction=Direction.INBOUND,
            vehicle_class=VehicleClass.TRUCK,
            vehicle=f"{n % 5000:032x}",
            people=People(crew=2),
            cargo=(CargoLine(CargoCategory.FOOD, 10_000 + n % 5000),),
            private=private.commitment(salt),
        )
        out.append(Submission(SignedPassage.sign(entry, signer).raw, private, salt))
    return out


def run(quick: bool = False, count: int = 20_000) -> list[Result]:
    if quick:
        count = 5_000
    key = SigningKey(b"\x02" * 32)
    submissions = make_submissions(count, key)
    parsed = [SignedPassage.from_bytes(s.raw) for s in submissions]
    messages = [(signed_message(EntryType.PASSAGE, p.body), p.signature) for p in parsed]
    public = key.public_key
    openssl_key = Ed25519PublicKey.from_public_bytes(public)

    def verify_sodium() -> None:
        for message, signature in messages:
            nacl.bindings.crypto_sign_open(signature + message, public)

    def verify_openssl() -> None:
        for message, signature in messages:
            openssl_key.verify(signature, message)

    def ingest() -> float:
        """Seconds to ingest every event into a fresh store (set-up not counted)."""
        with tempfile.TemporaryDirectory() as tmp:
            store = open_store(sqlite_url(Path(tmp) / "bench.db"))
            admin = SigningKey(b"\x03" * 32)
            register_key(store, "bench", admin, "admin", ROLE_ADMIN, admin.public_key, START)
            register_key(store, "bench", admin, "P01", ROLE_POST, public, START)
            ingestor = Ingestor(store, CORRIDOR, clock=lambda: START + timedelta(days=365))
            started = time.perf_counter()
            for i in range(0, count, BATCH):
                ingestor.ingest(submissions[i : i + BATCH])
            elapsed = time.perf_counter() - started
            store.dispose()
        return elapsed

    # Interleaved rounds, so that a change in the machine's speed during the run touches the
    # three measures alike; each figure is the median of its rounds.
    sodium_s, openssl_s, ingest_s = [], [], []
    for _ in range(ROUNDS):
        sodium_s.append(median_seconds(verify_sodium, repeats=1))
        openssl_s.append(median_seconds(verify_openssl, repeats=1))
        ingest_s.append(ingest())
    sodium = count / statistics.median(sodium_s)
    openssl = count / statistics.median(openssl_s)
    ingest_rate = count / statistics.median(ingest_s)
    ratios = [
        count / i / max(count / a, count / b)
        for a, b, i in zip(sodium_s, openssl_s, ingest_s, strict=True)
    ]
    ratio = statistics.median(ratios)
    return [
        Result(
            name="Ingest: signed events into SQLite vs bare Ed25519 verify (one core)",
            figures={
                "events": f"{count:,}, batches of {BATCH:,}",
                "bare verify, libsodium (PyNaCl)": f"{sodium:,.0f} signatures/s",
                "bare verify, OpenSSL (cryptography)": f"{openssl:,.0f} signatures/s",
                "ingest (parse, verify, validate, dedupe, sequence, store)": (
                    f"{ingest_rate:,.0f} events/s"
                ),
                "ingest / fastest bare verify, median of the rounds' ratios": f"{ratio:.0%}",
                "ratios of the rounds": ", ".join(f"{r:.0%}" for r in ratios),
            },
            goal="ingest >= 50% of the faster bare verify rate",
            met=ratio >= 0.5,
            notes=[
                f"{ROUNDS} interleaved rounds of the three measures; each ingest run starts from "
                "an empty SQLite store (WAL, synchronous=FULL), whose set-up is not timed.",
            ],
        )
    ]


if __name__ == "__main__":
    for result in run():
        print(result)
