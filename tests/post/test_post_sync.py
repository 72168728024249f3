"""The sync client against a real FastAPI HQ implementing docs/sync.md (tests/post/fakehq.py):
exactly-once pushes, refusals that never drop rows, backoff, checkpoints, receipts."""

from __future__ import annotations

import random
import threading

import httpx
import pytest
from sqlalchemy import select

from corridor.errors import ConflictError, SignatureError, VerificationError
from corridor.ledger.checkpoint import Checkpoint
from corridor.ledger.note import Note
from corridor.ledger.tlogproof import TlogProof
from corridor.model.pseudonym import vehicle_pseudonym
from corridor.post.checkpoints import HqUnavailableError, newest_seen
from corridor.post.node import PostNode
from corridor.post.sync_client import Backoff, SyncClient
from corridor.post.wire import request_message
from corridor.store.schema import keys, operators, outbox, permits, seen_checkpoints, vehicles
from tests.post.conftest import FAST_HASHER, POST
from tests.post.fakehq import FakeHq
from tests.post.test_post_node import TRUCK


def seen_sizes(node: PostNode) -> list[int]:
    with node.store.read() as conn:
        return sorted(int(s) for s in conn.execute(select(seen_checkpoints.c.size)).scalars())


def alert_kinds(node: PostNode) -> list[str]:
    return [str(a["kind"]) for a in node.open_alerts()]


def test_the_request_signature_is_hqs(node: PostNode) -> None:
    sync_hq = pytest.importorskip("corridor.sync_hq")
    for purpose, body in (("push", b'{"events":[]}'), ("registry", b"")):
        assert request_message(purpose, body) == sync_hq.request_message(purpose, body)


def test_registry_pull_stores_everything_the_post_needs(
    node: PostNode, sync: SyncClient, hq: FakeHq
) -> None:
    hq.operators = [
        {
            "username": "hq-op",
            "post": POST,
            "role": "operator",
            "password_hash": FAST_HASHER.hash("pulled password"),
            "active": 1,
        },
        {"username": "elsewhere", "post": "P03", "role": "operator", "password_hash": "x"},
    ]
    update = sync.pull_registry()
    assert (update.vehicles, update.permits, update.keys, update.operators) == (3, 1, 1, 1)
    with node.store.read() as conn:
        assert sorted(conn.execute(select(vehicles.c.plate)).scalars()) == [
            "10XY001",
            "34AA123",
            "34AB777",
        ]
        assert conn.execute(select(permits.c.code)).scalars().all() == ["PRM-2023-0042"]
        assert conn.execute(select(keys.c.owner)).scalars().all() == [POST]
        assert conn.execute(select(operators.c.username)).scalars().all() == ["hq-op"]
    assert node.pseudonym_key() == hq.pseudonym_key
    assert node.log_vkey() == hq.vkey
    assert [v.plate for v in node.find_vehicles("34 a")] == ["34 AA 123", "34 AB 777"]
    assert node.find_permit("PRM-2023-0042").vehicle_class == "bus"


def test_a_log_key_change_is_an_alert_not_an_update(
    node: PostNode, sync: SyncClient, hq: FakeHq
) -> None:
    sync.pull_registry()
    first = hq.vkey
    hq.log_key = type(hq.log_key).generate(hq.log_key.name)
    assert sync.pull_registry().log_key_changed
    assert node.log_vkey() == first
    assert alert_kinds(node) == ["log_key_changed"]


def test_push_acknowledges_each_row_with_its_log_index(
    pulled: PostNode, sync: SyncClient, hq: FakeHq
) -> None:
    rows = [pulled.record_passage(TRUCK, "amira") for _ in range(3)]
    result = sync.push_once()
    assert (result.sent, result.acknowledged, result.duplicates) == (3, 3, 0)
    assert [hq.by_id[r.event_id] for r in rows] == [0, 1, 2]
    assert hq.seqs[POST] == {1: rows[0].event_id, 2: rows[1].event_id, 3: rows[2].event_id}
    assert [pulled.row(r.seq).log_index for r in rows] == [0, 1, 2]
    counts = pulled.counts()
    assert (counts.pending, counts.synced, counts.last_sync_at) == (0, 3, "2023-03-01T09:30:00Z")
    assert sync.push_once().sent == 0
    # HQ got the private record exactly as recorded, with the plate the pseudonym hides.
    assert hq.private[rows[0].event_id]["plate"] == "34 aa-123"
    assert rows[0].public.vehicle == vehicle_pseudonym("34AA123", hq.pseudonym_key)
    assert seen_sizes(pulled) == [3]


def test_pushes_go_oldest_first_in_batches(pulled: PostNode, sync: SyncClient, hq: FakeHq) -> None:
    rows = [pulled.record_passage(TRUCK, "amira") for _ in range(5)]
    assert sync.push_once(batch_size=2).acknowledged == 2
    assert pulled.counts().pending == 3
    assert sync.push_all(batch_size=2) == 3
    assert [hq.by_id[r.event_id] for r in rows] == [0, 1, 2, 3, 4]
    assert seen_sizes(pulled) == [2, 4, 5]


def test_a_lost_answer_is_pushed_again_and_logged_once(
    pulled: PostNode, sync: SyncClient, hq: FakeHq
) -> None:
    rows = [pulled.record_passage(TRUCK, "amira") for _ in range(2)]
    hq.fail_after_ingest = True
    with pytest.raises(HqUnavailableError, match="503"):
        sync.push_once()
    assert pulled.counts().pending == 2  # HQ logged them, but the post never heard
    result = sync.push_once()
    assert (result.acknowledged, result.duplicates) == (2, 2)
    assert len(hq.entries) == 2
    assert [pulled.row(r.seq).log_index for r in rows] == [0, 1]


def test_a_conflict_raises_an_alert_and_keeps_the_rows(
    pulled: PostNode, sync: SyncClient, hq: FakeHq
) -> None:
    pulled.record_passage(TRUCK, "amira")
    hq.fail = [409, 409]
    with pytest.raises(ConflictError, match="409"):
        sync.push_once()
    with pytest.raises(ConflictError):
        sync.push_once()
    assert alert_kinds(pulled) == ["push_conflict"]  # raised once, not once per retry
    assert pulled.counts().pending == 1
    assert sync.push_once().acknowledged == 1  # once HQ is fixed, the row goes through


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_keep_every_row(
    pulled: PostNode, sync: SyncClient, hq: FakeHq, status: int
) -> None:
    pulled.record_passage(TRUCK, "amira")
    hq.fail = [status]
    with pytest.raises(HqUnavailableError, match=str(status)):
        sync.push_once()
    assert pulled.counts().pending == 1
    assert not pulled.open_alerts()


def test_an_unregistered_post_key_is_refused(
    pulled: PostNode, sync: SyncClient, hq: FakeHq
) -> None:
    pulled.record_passage(TRUCK, "amira")
    hq.post_keys[POST] = b"\x01" * 32
    with pytest.raises(SignatureError, match="401"):
        sync.push_once()
    assert alert_kinds(pulled) == ["push_unauthorized"]
    assert pulled.counts().pending == 1


def test_network_errors_and_backoff_schedule(pulled: PostNode) -> None:
    pulled.record_passage(TRUCK, "amira")
    attempts: list[str] = []

    def unreachable(request: httpx.Request) -> httpx.Response:
        attempts.append(request.url.path)
        raise httpx.ConnectError("no route to HQ", request=request)

    stop = threading.Event()
    delays: list[float] = []

    def sleep(seconds: float) -> None:
        delays.append(seconds)
        if len(delays) == 9:
            stop.set()

    transport = httpx.Client(transport=httpx.MockTransport(unreachable), base_url="http://hq")
    client = SyncClient(pulled, transport, sleep=sleep, backoff=Backoff(rng=random.Random(7)))
    client.run(stop)
    ceilings = [1, 2, 4, 8, 16, 30, 30, 30, 30]
    assert [client.backoff.ceiling(n) for n in range(1, 10)] == ceilings
    for delay, ceiling in zip(delays, ceilings, strict=True):
        assert ceiling / 2 <= delay <= ceiling
    assert len(set(delays)) == len(delays)  # jittered
    assert len(attempts) == 9
    assert pulled.counts().pending == 1


def test_the_loop_backs_off_then_recovers(
    pulled: PostNode, hq_client: httpx.Client, hq: FakeHq
) -> None:
    pulled.record_passage(TRUCK, "amira")
    hq.fail = [503, 503]
    stop = threading.Event()
    delays: list[float] = []

    def sleep(seconds: float) -> None:
        delays.append(seconds)
        if len(delays) == 4:
            stop.set()

    client = SyncClient(
        pulled, hq_client, sleep=sleep, interval=5.0, backoff=Backoff(rng=random.Random(1))
    )
    client.run(stop)
    assert delays[0] <= 1 and 1 <= delays[1] <= 2
    assert delays[2:] == [5.0, 5.0]  # healthy again: the normal interval, backoff reset
    assert pulled.counts().pending == 0


def test_a_consistent_checkpoint_is_stored(pulled: PostNode, sync: SyncClient, hq: FakeHq) -> None:
    for _ in range(3):
        pulled.record_passage(TRUCK, "amira")
    sync.push_all(batch_size=1)
    assert seen_sizes(pulled) == [1, 2, 3]
    newest = newest_seen(pulled)
    assert newest is not None and newest.size == 3
    # The same checkpoint again, and an older one that is a prefix, are fine and not re-stored.
    sync.check_checkpoint(hq.note)
    assert seen_sizes(pulled) == [1, 2, 3]
    assert not pulled.open_alerts()


def test_many_entries_prove_consistency_across_tile_levels(
    pulled: PostNode, sync: SyncClient, hq: FakeHq
) -> None:
    for _ in range(300):
        pulled.record_passage(TRUCK, "amira")
    assert sync.push_once(batch_size=7).acknowledged == 7
    assert sync.push_all(batch_size=290) == 293
    assert seen_sizes(pulled) == [7, 297, 300]


def test_an_inconsistent_checkpoint_raises_an_alert_and_is_not_stored(
    pulled: PostNode, sync: SyncClient, hq: FakeHq
) -> None:
    for _ in range(3):
        pulled.record_passage(TRUCK, "amira")
    sync.push_once()
    # HQ rewrites entry 1, logs a new event and publishes, serving the rewritten tree's tiles.
    hq.rewrite(1, b"rewritten")
    pulled.record_passage(TRUCK, "amira")
    with pytest.raises(VerificationError, match="inconsistent"):
        sync.push_once()
    assert pulled.counts().pending == 0  # acknowledged: HQ did log it, at an index
    assert seen_sizes(pulled) == [3]
    assert alert_kinds(pulled) == ["inconsistent_checkpoint"]
    with pytest.raises(VerificationError, match="inconsistent"):
        sync.check_checkpoint(hq.note)  # and it stays refused
    with pytest.raises(VerificationError, match="another root"):
        sync.check_checkpoint(hq.forged_checkpoint(3))
    assert seen_sizes(pulled) == [3]


def test_an_older_checkpoint_must_be_a_prefix_of_the_newest(
    pulled: PostNode, sync: SyncClient, hq: FakeHq
) -> None:
    for _ in range(3):
        pulled.record_passage(TRUCK, "amira")
    sync.push_once()
    with pytest.raises(VerificationError, match="not consistent with size 3"):
        sync.check_checkpoint(hq.forged_checkpoint(2))
    assert seen_sizes(pulled) == [3]
    assert alert_kinds(pulled) == ["inconsistent_checkpoint"]


def test_a_checkpoint_hq_cannot_prove_is_not_stored(
    pulled: PostNode, sync: SyncClient, hq: FakeHq
) -> None:
    pulled.record_passage(TRUCK, "amira")
    sync.push_once()
    with pytest.raises(HqUnavailableError, match="cannot prove size 9"):
        sync.check_checkpoint(hq.forged_checkpoint(9))
    assert seen_sizes(pulled) == [1]


def test_a_checkpoint_not_signed_by_the_log_key_is_refused(
    pulled: PostNode, sync: SyncClient, hq: FakeHq
) -> None:
    real_key = hq.log_key
    hq.log_key = type(real_key).generate(real_key.name)
    with pytest.raises(VerificationError, match="no valid signature"):
        sync.check_checkpoint(hq.publish_now())
    assert seen_sizes(pulled) == []
    assert alert_kinds(pulled) == ["bad_checkpoint"]


def test_receipts_are_fetched_once_published(
    pulled: PostNode, sync: SyncClient, hq: FakeHq
) -> None:
    rows = [pulled.record_passage(TRUCK, "amira") for _ in range(2)]
    hq.publish = False
    sync.push_once()
    assert sync.fetch_receipts() == 0  # logged, not yet in a published checkpoint: wait
    assert [pulled.row(r.seq).receipt for r in rows] == [None, None]
    hq.publish_now()
    assert sync.fetch_receipts() == 2
    receipt = pulled.row(rows[1].seq).receipt
    assert receipt is not None
    proof = TlogProof.from_text(receipt)
    assert proof.index == 1
    assert Checkpoint.from_text(Note.from_text(proof.checkpoint.to_text()).text).size == 2
    assert sync.fetch_receipts() == 0
    with pulled.store.read() as conn:
        assert conn.execute(select(outbox.c.receipt).where(outbox.c.receipt.is_(None))).all() == []


def test_a_receipt_that_does_not_prove_our_entry_is_refused(
    pulled: PostNode, sync: SyncClient, hq: FakeHq
) -> None:
    for _ in range(2):
        pulled.record_passage(TRUCK, "amira")
    sync.push_once()
    hq.wrong_receipts = True
    assert sync.fetch_receipts(limit=1) == 1  # passage 1 is entry 0: its receipt is right
    with pytest.raises(VerificationError, match="receipt is for index 0"):
        sync.fetch_receipts()
    assert pulled.row(2).receipt is None
    assert alert_kinds(pulled) == ["bad_receipt"]


def test_sync_once_pulls_pushes_and_fetches(node: PostNode, sync: SyncClient) -> None:
    sync.sync_once()  # first round: the registry, nothing to push
    node.record_passage(TRUCK, "amira")
    sync.sync_once()
    row = node.row(1)
    assert row.log_index == 0 and row.receipt is not None
