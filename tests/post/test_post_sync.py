"""The sync client against the real HQ (its data directory and web app, in process, through
:class:`tests.post.conftest.HqLink`): exactly-once pushes, refusals that never drop rows,
backoff, checkpoints, receipts."""

from __future__ import annotations

import hashlib
import json
import random
import threading
from datetime import UTC, datetime, timedelta

import httpx
import msgspec
import pytest
from sqlalchemy import func, select

from corridor.errors import (
    ConfigError,
    ConflictError,
    SignatureError,
    ValidationError,
    VerificationError,
)
from corridor.hq.registry import revoke_key
from corridor.hq.services import LOG_KEY_FILE
from corridor.keyfile import write_log_key
from corridor.ledger.checkpoint import Checkpoint, sign_checkpoint
from corridor.ledger.keys import Ed25519Signer
from corridor.ledger.note import Note
from corridor.ledger.tiles import Tile
from corridor.ledger.tlogproof import TlogProof
from corridor.model.events import People, Submission
from corridor.model.pseudonym import vehicle_pseudonym
from corridor.model.signing import SignedPassage
from corridor.post.auth import add_operator
from corridor.post.checkpoints import (
    HqUnavailableError,
    HttpTileReader,
    LogKeyReset,
    describe_log_key,
    newest_seen,
    trust_log_key,
)
from corridor.post.node import PostNode
from corridor.post.registry import META_LOG_VKEY_OFFERED, apply_registry, log_key_fingerprint
from corridor.post.sync_client import Backoff, SyncClient
from corridor.post.wire import request_message
from corridor.store.schema import (
    alerts,
    keys,
    operators,
    outbox,
    passages,
    permits,
    post_sequence_state,
    post_sequences,
    private_records,
    seen_checkpoints,
    vehicles,
)
from tests.post.conftest import FAST_HASHER, NOW, POST, HqLink, RealHq
from tests.post.test_post_node import TRUCK


def seen_sizes(node: PostNode) -> list[int]:
    with node.store.read() as conn:
        return sorted(int(s) for s in conn.execute(select(seen_checkpoints.c.size)).scalars())


def alert_kinds(node: PostNode) -> list[str]:
    return [str(a["kind"]) for a in node.open_alerts()]


def forged_checkpoint(hq: RealHq, size: int, signer: Ed25519Signer | None = None) -> str:
    """A checkpoint signed with HQ's log key (or ``signer``) for a tree HQ does not have."""
    checkpoint = Checkpoint(hq.keys.log.name, size, bytes(range(32)))
    return sign_checkpoint(checkpoint, signer or hq.keys.log).to_text()


def test_the_request_signature_is_hqs(node: PostNode) -> None:
    sync_hq = pytest.importorskip("corridor.hq.sync")
    for purpose, body in (("push", b'{"events":[]}'), ("registry", b"")):
        assert request_message(purpose, body) == sync_hq.request_message(purpose, body)


def test_registry_pull_stores_everything_the_post_needs(
    node: PostNode, sync: SyncClient, hq: RealHq
) -> None:
    add_operator(hq.services.store, "hq-op", POST, "pulled password", hasher=FAST_HASHER)
    add_operator(hq.services.store, "elsewhere", "P03", "other password", hasher=FAST_HASHER)
    update = sync.pull_registry()
    # Keys: the admin's, HQ's and this post's registrations.
    assert (update.vehicles, update.permits, update.keys, update.operators) == (3, 1, 3, 1)
    with node.store.read() as conn:
        assert sorted(conn.execute(select(vehicles.c.plate)).scalars()) == [
            "10XY001",
            "34AA123",
            "34AB777",
        ]
        assert conn.execute(select(permits.c.code)).scalars().all() == ["PRM-2023-0042"]
        assert sorted(conn.execute(select(keys.c.owner)).scalars()) == [POST, "admin", "hq"]
        assert conn.execute(select(operators.c.username)).scalars().all() == ["hq-op"]
    assert node.pseudonym_key() == hq.keys.pseudonym
    assert node.log_vkey() == hq.vkey
    assert [v.plate for v in node.find_vehicles("34 a")] == ["34 AA 123", "34 AB 777"]
    assert node.find_permit("PRM-2023-0042").vehicle_class == "bus"


def change_log_key(hq: RealHq) -> str:
    """Restart HQ with another log key in its data directory (same store, same tree); the new
    key's vkey."""
    log_key = hq.path / "keys" / LOG_KEY_FILE
    log_key.unlink()
    write_log_key(log_key, Ed25519Signer.generate(hq.keys.log.name))
    hq.restart()
    return hq.services.publisher.vkey


def test_a_log_key_change_is_an_alert_not_an_update(
    pulled: PostNode, sync: SyncClient, hq: RealHq
) -> None:
    first = hq.vkey
    new = change_log_key(hq)
    assert new != first
    assert sync.pull_registry().log_key_changed
    assert pulled.log_vkey() == first
    assert pulled.meta(META_LOG_VKEY_OFFERED) == new
    assert alert_kinds(pulled) == ["log_key_changed"]
    # HQ signed its tree again with the new key: the checkpoint in the push's answer is refused
    # (an alert; the round fails), though the push itself was logged and acknowledged.
    row = pulled.record_passage(TRUCK, "amira")
    with pytest.raises(VerificationError, match="no valid signature"):
        sync.push_once()
    with pytest.raises(VerificationError, match="no valid signature"):
        sync.check_checkpoint(hq.publish())
    assert pulled.row(row.seq).state == "logged"
    assert pulled.log_vkey() == first
    assert alert_kinds(pulled) == ["log_key_changed", "bad_checkpoint"]


def test_a_log_key_reset_needs_the_exact_new_key(
    pulled: PostNode, sync: SyncClient, hq: RealHq
) -> None:
    first = hq.vkey
    for _ in range(2):
        pulled.record_passage(TRUCK, "amira")
    sync.sync_once()
    seen_before = seen_sizes(pulled)
    assert seen_before
    new = change_log_key(hq)
    sync.pull_registry()
    waiting = pulled.record_passage(TRUCK, "amira")
    with pytest.raises(VerificationError, match="no valid signature"):
        sync.push_once()  # logged, but answered with a checkpoint of HQ's new key
    assert pulled.row(waiting.seq).state == "logged"
    with pytest.raises(VerificationError, match="no valid signature"):
        sync.fetch_receipts()  # signed by HQ's new log key: not trusted

    stranger = Ed25519Signer.generate(hq.keys.log.name).verifier().to_vkey()
    for wrong in (stranger, first, log_key_fingerprint(stranger)):
        with pytest.raises(VerificationError, match="is not the log key HQ's registry names"):
            trust_log_key(pulled, wrong)
    with pytest.raises(ValidationError, match="key: expected the log's verifier key"):
        trust_log_key(pulled, "not a key")
    # Refused: nothing changed.
    assert pulled.log_vkey() == first and seen_sizes(pulled) == seen_before
    assert alert_kinds(pulled) == ["log_key_changed", "bad_checkpoint", "bad_receipt"]

    # HQ's administrator reads out `sha256sum log/vkey`: the digest of what HQ publishes.
    fingerprint = hashlib.sha256(hq.client.get("/log/vkey").content).hexdigest()
    assert fingerprint == log_key_fingerprint(new)
    reset = trust_log_key(pulled, f"  {fingerprint.upper()}\n", by="admin tamar")
    assert reset == LogKeyReset(first, new, forgotten=len(seen_before), acknowledged=1)
    assert pulled.log_vkey() == new and pulled.meta(META_LOG_VKEY_OFFERED) is None
    assert seen_sizes(pulled) == []
    assert alert_kinds(pulled) == ["bad_checkpoint", "bad_receipt", "log_key_reset"]
    audit = pulled.open_alerts()[-1]
    assert audit["source"] == "admin tamar"
    assert describe_log_key(new) in str(audit["message"])
    assert log_key_fingerprint(first) in str(audit["message"])

    # The next checkpoint, signed by the new key, is accepted as a new start; the log grows
    # from it consistently, and receipts verify with the new key.
    size = hq.log_size()
    sync.check_checkpoint(hq.checkpoint())
    assert seen_sizes(pulled) == [size]
    row = pulled.record_passage(TRUCK, "amira")
    sync.sync_once()
    sync.check_checkpoint(hq.publish())
    assert seen_sizes(pulled) == [size, size + 1]
    assert pulled.row(waiting.seq).receipt is not None
    assert pulled.row(row.seq).state == "logged"
    assert alert_kinds(pulled) == ["bad_checkpoint", "bad_receipt", "log_key_reset"]
    # Once trusted, the key HQ names is the post's again: there is nothing more to reset.
    sync.pull_registry()
    with pytest.raises(ConfigError, match="nothing to reset"):
        trust_log_key(pulled, new)


def test_hq_naming_the_trusted_key_again_forgets_the_offered_one(
    node: PostNode, sync: SyncClient, hq: RealHq
) -> None:
    sync.pull_registry()
    first = hq.vkey
    with node.store.write() as conn:
        apply_registry(conn, POST, {"log_vkey": Ed25519Signer.generate("x").verifier().to_vkey()})
    assert node.meta(META_LOG_VKEY_OFFERED) is not None
    sync.pull_registry()
    assert node.meta(META_LOG_VKEY_OFFERED) is None
    with pytest.raises(ConfigError, match="nothing to reset"):
        trust_log_key(node, first)
    assert node.log_vkey() == first


def test_push_acknowledges_each_row_with_its_log_index(
    pulled: PostNode, sync: SyncClient, hq: RealHq
) -> None:
    base = hq.log_size()
    rows = [pulled.record_passage(TRUCK, "amira") for _ in range(3)]
    result = sync.push_once()
    assert (result.sent, result.acknowledged, result.duplicates) == (3, 3, 0)
    assert [hq.index_of(r.event_id) for r in rows] == [base, base + 1, base + 2]
    seqs = hq.sequences()
    with hq.services.store.read() as conn:
        private = conn.execute(
            select(private_records.c.record)
            .join(passages, passages.c.log_index == private_records.c.log_index)
            .where(passages.c.event_id == rows[0].event_id)
        ).scalar_one()
    assert seqs == {1: rows[0].event_id, 2: rows[1].event_id, 3: rows[2].event_id}
    assert [pulled.row(r.seq).log_index for r in rows] == [base, base + 1, base + 2]
    counts = pulled.counts()
    assert (counts.pending, counts.synced, counts.last_sync_at) == (0, 3, "2023-03-01T09:30:00Z")
    assert sync.push_once().sent == 0
    # HQ got the private record exactly as recorded, with the plate the pseudonym hides.
    assert json.loads(private)["plate"] == "34 aa-123"
    assert rows[0].public.vehicle == vehicle_pseudonym("34AA123", hq.keys.pseudonym)
    # The answer carried HQ's checkpoint from before the push; the next one covers it.
    assert seen_sizes(pulled) == [base]
    sync.check_checkpoint(hq.publish())
    assert seen_sizes(pulled) == [base, base + 3]


def test_pushes_go_oldest_first_in_batches(pulled: PostNode, sync: SyncClient, hq: RealHq) -> None:
    base = hq.log_size()
    rows = [pulled.record_passage(TRUCK, "amira") for _ in range(5)]
    assert sync.push_once(batch_size=2).acknowledged == 2
    assert pulled.counts().pending == 3
    assert sync.push_all(batch_size=2) == 3
    assert [hq.index_of(r.event_id) for r in rows] == [base + n for n in range(5)]
    assert seen_sizes(pulled) == [base, base + 2, base + 4]  # each push answered with the log
    # as it was before that push


def test_two_pushes_are_in_flight_once_the_first_is_answered(
    pulled: PostNode, sync: SyncClient, hq: RealHq, link: HqLink
) -> None:
    link.pair_second_and_third = True
    base = hq.log_size()
    rows = [pulled.record_passage(TRUCK, "amira") for _ in range(7)]
    assert sync.push_all(batch_size=2) == 7
    timeline = link.push_timeline
    assert timeline.index("end 1") < timeline.index("start 2")  # the first push goes alone
    assert timeline.index("start 3") < timeline.index("end 2")  # then two at a time
    assert [hq.index_of(r.event_id) for r in rows] == list(range(base, base + 7))
    assert [pulled.row(r.seq).log_index for r in rows] == list(range(base, base + 7))
    assert not pulled.open_alerts()
    with hq.services.store.read() as conn:
        gap_alerts = conn.execute(
            select(func.count()).select_from(alerts).where(alerts.c.kind == "sequence_gap")
        ).scalar_one()
    assert gap_alerts == 0


@pytest.mark.parametrize(
    ("lost_with", "error"), [(None, "cannot reach HQ"), (504, "HQ answered 504")]
)
def test_a_lost_answer_is_pushed_again_and_logged_once(
    pulled: PostNode, sync: SyncClient, hq: RealHq, link: HqLink, lost_with: int | None, error: str
) -> None:
    base = hq.log_size()
    rows = [pulled.record_passage(TRUCK, "amira") for _ in range(2)]
    link.lose_next_push_answer, link.lost_answer_status = True, lost_with
    with pytest.raises(HqUnavailableError, match=error):
        sync.push_once()
    assert hq.passages() == 2  # HQ logged them, but the post never heard
    assert pulled.counts().pending == 2
    result = sync.push_once()
    assert (result.acknowledged, result.duplicates) == (2, 2)
    assert link.pushes_reaching_hq == 2
    assert hq.passages() == 2 and hq.log_size() == base + 2
    assert [pulled.row(r.seq).log_index for r in rows] == [base, base + 1]


def test_a_conflict_raises_an_alert_and_keeps_the_rows(
    pulled: PostNode, sync: SyncClient, hq: RealHq
) -> None:
    row = pulled.record_passage(TRUCK, "amira")
    # HQ already holds this event id with other content (signed by the post's own key).
    other = msgspec.structs.replace(row.public, people=People(crew=5))
    raw = SignedPassage.sign(other, pulled.key).raw
    hq.services.ingestor.ingest([Submission(raw, row.private, row.salt)])
    with pytest.raises(ConflictError, match="409"):
        sync.push_once()
    with pytest.raises(ConflictError):
        sync.push_once()
    assert alert_kinds(pulled) == ["push_conflict"]  # raised once, not once per retry
    assert pulled.counts().pending == 1
    assert hq.passages() == 1  # only the other content; nothing of ours was stored


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_keep_every_row(
    pulled: PostNode, sync: SyncClient, hq: RealHq, link: HqLink, status: int
) -> None:
    pulled.record_passage(TRUCK, "amira")
    link.fail_pushes = [status]
    with pytest.raises(HqUnavailableError, match=str(status)):
        sync.push_once()
    assert pulled.counts().pending == 1
    assert not pulled.open_alerts()
    assert sync.push_once().acknowledged == 1
    assert hq.passages() == 1


def test_a_revoked_post_key_is_refused(pulled: PostNode, sync: SyncClient, hq: RealHq) -> None:
    pulled.record_passage(TRUCK, "amira")
    revoked_at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    revoke_key(hq.services.store, "lachin", hq.keys.admin, pulled.key.public_key, revoked_at)
    with pytest.raises(SignatureError, match="401.*revoked"):
        sync.push_once()
    assert alert_kinds(pulled) == ["push_unauthorized"]
    assert pulled.counts().pending == 1
    assert hq.passages() == 0


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
    pulled: PostNode, hq_client: httpx.Client, hq: RealHq, link: HqLink
) -> None:
    pulled.record_passage(TRUCK, "amira")
    link.fail_pushes = [503, 503]
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
    assert hq.passages() == 1


def test_a_consistent_checkpoint_is_stored(pulled: PostNode, sync: SyncClient, hq: RealHq) -> None:
    base = hq.log_size()
    for _ in range(3):
        pulled.record_passage(TRUCK, "amira")
    sync.push_all(batch_size=1, depth=1)  # one at a time: each answer follows one publish
    assert seen_sizes(pulled) == [base, base + 1, base + 2]
    sync.check_checkpoint(hq.publish())
    newest = newest_seen(pulled)
    assert newest is not None and newest.size == base + 3
    # The same checkpoint again is fine and not stored twice.
    sync.check_checkpoint(hq.checkpoint())
    assert seen_sizes(pulled) == [base, base + 1, base + 2, base + 3]
    assert not pulled.open_alerts()


def test_many_entries_prove_consistency_across_tile_levels(
    pulled: PostNode, sync: SyncClient, hq: RealHq
) -> None:
    base = hq.log_size()
    for _ in range(300):
        pulled.record_passage(TRUCK, "amira")
    assert sync.push_once(batch_size=7).acknowledged == 7
    assert sync.push_all(batch_size=290) == 293
    sync.check_checkpoint(hq.publish())
    assert seen_sizes(pulled) == [base, base + 7, base + 297, base + 300]


def test_an_inconsistent_checkpoint_raises_an_alert_and_is_not_stored(
    pulled: PostNode, sync: SyncClient, hq: RealHq
) -> None:
    base = hq.log_size()
    for _ in range(3):
        pulled.record_passage(TRUCK, "amira")
    sync.push_once()
    sync.check_checkpoint(hq.publish())
    # HQ rewrites entry 1 and republishes, serving the rewritten tree's tiles: the post's next
    # push is answered with a checkpoint of a size it saw, with another root.
    hq.rewrite(1, b"rewritten")
    pulled.record_passage(TRUCK, "amira")
    with pytest.raises(VerificationError, match="inconsistent.*another root"):
        sync.push_once()
    assert pulled.counts().pending == 0  # acknowledged: HQ did log it, at an index
    assert seen_sizes(pulled) == [base, base + 3]
    assert alert_kinds(pulled) == ["inconsistent_checkpoint"]
    # The rewritten log grows: its next checkpoint does not extend the one seen either.
    with pytest.raises(VerificationError, match=f"not consistent with size {base + 3}"):
        sync.check_checkpoint(hq.publish())
    with pytest.raises(VerificationError, match="another root"):
        sync.check_checkpoint(forged_checkpoint(hq, base + 3))
    assert seen_sizes(pulled) == [base, base + 3]


def test_an_older_checkpoint_must_be_a_prefix_of_the_newest(
    pulled: PostNode, sync: SyncClient, hq: RealHq
) -> None:
    base = hq.log_size()
    for _ in range(3):
        pulled.record_passage(TRUCK, "amira")
    sync.push_once()
    sync.check_checkpoint(hq.publish())
    with pytest.raises(VerificationError, match=f"not consistent with size {base + 3}"):
        sync.check_checkpoint(forged_checkpoint(hq, base + 2))
    assert seen_sizes(pulled) == [base, base + 3]
    assert alert_kinds(pulled) == ["inconsistent_checkpoint"]


def test_a_checkpoint_hq_cannot_prove_is_not_stored(
    pulled: PostNode, sync: SyncClient, hq: RealHq
) -> None:
    base = hq.log_size()
    pulled.record_passage(TRUCK, "amira")
    sync.push_once()
    with pytest.raises(HqUnavailableError, match=f"cannot prove size {base + 9}"):
        sync.check_checkpoint(forged_checkpoint(hq, base + 9))
    assert seen_sizes(pulled) == [base]


def test_a_checkpoint_not_signed_by_the_log_key_is_refused(
    pulled: PostNode, sync: SyncClient, hq: RealHq
) -> None:
    other_key = Ed25519Signer.generate(hq.keys.log.name)
    with pytest.raises(VerificationError, match="no valid signature"):
        sync.check_checkpoint(forged_checkpoint(hq, hq.log_size(), other_key))
    assert seen_sizes(pulled) == []
    assert alert_kinds(pulled) == ["bad_checkpoint"]


def test_receipts_are_fetched_once_published(
    pulled: PostNode, sync: SyncClient, hq: RealHq, link: HqLink
) -> None:
    base = hq.log_size()
    rows = [pulled.record_passage(TRUCK, "amira") for _ in range(2)]
    link.publish_first = False
    hq.publish()  # everything before our passages is published
    sync.push_once()
    assert sync.fetch_receipts() == 0  # logged, not yet in a published checkpoint: wait
    assert [pulled.row(r.seq).receipt for r in rows] == [None, None]
    hq.publish()
    assert sync.fetch_receipts() == 2
    receipt = pulled.row(rows[1].seq).receipt
    assert receipt is not None
    proof = TlogProof.from_text(receipt)
    assert proof.index == base + 1
    assert Checkpoint.from_text(Note.from_text(proof.checkpoint.to_text()).text).size == base + 2
    assert sync.fetch_receipts() == 0
    with pulled.store.read() as conn:
        assert conn.execute(select(outbox.c.receipt).where(outbox.c.receipt.is_(None))).all() == []


def test_a_receipt_that_does_not_prove_our_entry_is_refused(
    pulled: PostNode, sync: SyncClient, hq: RealHq, link: HqLink
) -> None:
    base = hq.log_size()
    rows = [pulled.record_passage(TRUCK, "amira") for _ in range(2)]
    sync.push_once()
    link.receipts_of = rows[0].event_id  # every receipt asked for is passage 1's
    assert sync.fetch_receipts(limit=1) == 1  # passage 1's receipt is right
    with pytest.raises(VerificationError, match=f"receipt is for index {base}, HQ acknowledged"):
        sync.fetch_receipts()
    assert pulled.row(2).receipt is None
    assert alert_kinds(pulled) == ["bad_receipt"]


def test_sync_once_pulls_pushes_and_fetches(node: PostNode, sync: SyncClient, hq: RealHq) -> None:
    sync.sync_once()  # first round: the registry, nothing to push
    base = hq.log_size()
    node.record_passage(TRUCK, "amira")
    sync.sync_once()
    row = node.row(1)
    assert row.log_index == base and row.receipt is not None


def test_after_purging_everything_new_passages_get_new_seqs_and_sync(
    pulled: PostNode, sync: SyncClient, hq: RealHq
) -> None:
    first = [pulled.record_passage(TRUCK, "amira") for _ in range(3)]
    sync.sync_once()
    assert all(pulled.row(r.seq).receipt is not None for r in first)
    later = PostNode(pulled.datadir, store=pulled.store, clock=lambda: NOW + timedelta(days=40))
    assert later.purge_acknowledged(timedelta(days=30)).rows == 3
    assert pulled.unacknowledged(10) == [] and pulled.today() == []

    again = [pulled.record_passage(TRUCK, "amira") for _ in range(2)]
    assert [r.seq for r in again] == [4, 5]  # never a seq HQ already holds
    sync.sync_once()
    assert not pulled.open_alerts()
    assert [pulled.row(r.seq).state for r in again] == ["logged", "logged"]
    assert hq.sequences() == {r.seq: r.event_id for r in first + again}
    assert hq.passages() == 5
    counts = pulled.counts()
    assert (counts.pending, counts.synced) == (0, 5)  # purged rows still count as synced


@pytest.mark.parametrize("purged", [False, True], ids=["kept", "purged"])
def test_hq_losing_acknowledged_seqs_raises_an_alert(
    pulled: PostNode, sync: SyncClient, hq: RealHq, purged: bool
) -> None:
    """HQ restored from an old backup no longer holds seqs it acknowledged: the gap it reports
    is an alert at the post, whether those rows are still in the outbox or were purged."""
    [pulled.record_passage(TRUCK, "amira") for _ in range(3)]
    sync.sync_once()
    if purged:
        later = PostNode(pulled.datadir, store=pulled.store, clock=lambda: NOW + timedelta(days=40))
        assert later.purge_acknowledged(timedelta(days=30)).rows == 3
    with hq.services.store.write() as conn:
        conn.execute(
            post_sequences.delete().where(post_sequences.c.post == POST, post_sequences.c.seq <= 2)
        )
        conn.execute(post_sequence_state.delete())
    assert "sequence_gap" not in alert_kinds(pulled)
    pulled.record_passage(TRUCK, "amira")
    result = sync.push_once()
    assert result.gaps == ((1, 2),)
    alerts = [a for a in pulled.open_alerts() if a["kind"] == "sequence_gap"]
    assert len(alerts) == 1 and "[(1, 2)]" in str(alerts[0]["message"])


def test_the_tile_cache_is_kept_per_log_key() -> None:
    fetched: list[str] = []

    def get(path: str) -> httpx.Response:
        fetched.append(path)
        return httpx.Response(200, content=bytes(32 * 256))

    reader = HttpTileReader(get)
    full = Tile(0, 0, 256)
    reader.for_log("old")
    reader.read_tiles([full])
    reader.read_tiles([full])
    reader.for_log("old")
    reader.read_tiles([full])
    assert len(fetched) == 1  # a full tile never changes within one log
    reader.for_log("new")
    reader.read_tiles([full])
    assert len(fetched) == 2  # a new log's tile at the same place is fetched again
