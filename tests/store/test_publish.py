"""Integration and publishing: tiles equal a from-scratch build, checkpoints by compare-and-swap,
nothing published without its tiles, repair after a crash, and bulletins."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from corridor.hq.bulletins import ROLE_HQ, write_bulletin
from corridor.hq.ingest import Ingestor
from corridor.hq.publish import LogPublisher
from corridor.hq.registry import ROLE_ADMIN, ROLE_POST, register_key
from corridor.ledger import (
    EMPTY_ROOT,
    Checkpoint,
    Ed25519Signer,
    Note,
    Tile,
    build_tiles,
    leaf_hash,
    open_checkpoint,
    root_from_leaf_hashes,
)
from corridor.model.corridor import Corridor
from corridor.model.events import Submission
from corridor.model.signing import Envelope, SignedPassage, SigningKey
from corridor.reports.bulletin import bulletin_figures
from corridor.store import queries
from corridor.store.engine import Store
from tests.conftest import PRIVATE, SALT, EntryFactory
from tests.store.conftest import StoreFactory
from tests.store.test_ingest import entry_id

SINCE = datetime(2020, 12, 1, tzinfo=UTC)
ADMIN = SigningKey(b"\x01" * 32)
HQ = SigningKey(b"\x04" * 32)
LOG = Ed25519Signer("corridor.local/test", b"\x06" * 32)


@pytest.fixture
def store(make_store: StoreFactory, post_key: SigningKey) -> Iterator[Store]:
    store = make_store()
    register_key(store, "test", ADMIN, "admin", ROLE_ADMIN, ADMIN.public_key, SINCE)
    register_key(store, "test", ADMIN, "hq", ROLE_HQ, HQ.public_key, SINCE)
    register_key(store, "test", ADMIN, "P01", ROLE_POST, post_key.public_key, SINCE)
    yield store


def add_passages(
    store: Store, corridor: Corridor, make_entry: EntryFactory, key: SigningKey, first: int, n: int
) -> None:
    ingestor = Ingestor(store, corridor, clock=lambda: datetime(2020, 12, 2, tzinfo=UTC))
    batch = [
        Submission(
            SignedPassage.sign(make_entry(event_id=entry_id(first + i)), key).raw, PRIVATE, SALT
        )
        for i in range(n)
    ]
    ingestor.ingest(batch)


def all_entries(store: Store) -> list[bytes]:
    with store.read() as conn:
        return [raw for _, _, raw in queries.iter_log_entries(conn)]


def stored_tiles(store: Store, size: int) -> dict[Tile, bytes]:
    from corridor.ledger import tiles_for_size

    with store.read() as conn:
        return {
            tile: queries.read_tile(conn, tile.level, tile.index)[: tile.width * 32]
            for tile in tiles_for_size(size)
            if not tile.is_entries
        }


def test_the_empty_log_publishes_the_empty_root(make_store: StoreFactory) -> None:
    size, text = LogPublisher(make_store(), LOG).publish()
    checkpoint = open_checkpoint(text, [LOG.verifier()])
    assert (size, checkpoint.size, checkpoint.root_hash) == (0, 0, EMPTY_ROOT)


def test_growing_in_steps_gives_the_tiles_of_a_build_from_scratch(
    store: Store, corridor: Corridor, make_entry: EntryFactory, post_key: SigningKey
) -> None:
    publisher = LogPublisher(store, LOG)
    first = 0
    for step in (1, 250, 7, 300, 1):
        add_passages(store, corridor, make_entry, post_key, first, step)
        first += step
        size, text = publisher.publish()
        hashes = [leaf_hash(e) for e in all_entries(store)]
        assert size == len(hashes)
        checkpoint = open_checkpoint(text, [LOG.verifier()])
        assert checkpoint.root_hash == root_from_leaf_hashes(hashes)
        assert stored_tiles(store, size) == build_tiles(hashes)


def test_publishing_without_new_entries_keeps_the_checkpoint(store: Store) -> None:
    publisher = LogPublisher(store, LOG)
    assert publisher.publish() == publisher.publish()


def test_a_new_log_key_signs_the_same_tree_again_at_once(store: Store, tmp_path: Path) -> None:
    """Without waiting for new entries: HQ's checkpoint and exported vkey must name the key its
    registry now names, or a post administrator checking the key out of band reads the old one."""
    size, old_text = LogPublisher(store, LOG, export_dir=tmp_path).publish()
    new_key = Ed25519Signer("corridor.local/test", b"\x07" * 32)
    publisher = LogPublisher(store, new_key, export_dir=tmp_path)
    new_size, new_text = publisher.publish()
    assert new_size == size and new_text != old_text
    old = open_checkpoint(old_text, [LOG.verifier()])
    new = open_checkpoint(new_text, [new_key.verifier()])
    assert (new.size, new.root_hash) == (old.size, old.root_hash)
    assert (tmp_path / "checkpoint").read_text() == new_text
    assert (tmp_path / "vkey").read_text() == publisher.vkey + "\n"
    assert publisher.publish() == (new_size, new_text)  # then it is kept as before


def test_the_checkpoint_is_swapped_only_from_the_state_read(store: Store) -> None:
    LogPublisher(store, LOG).publish()
    with store.write() as conn:
        assert not queries.swap_checkpoint(conn, "some other checkpoint", 99, "x")
        assert not queries.swap_checkpoint(conn, None, 99, "x")
    with store.read() as conn:
        state = queries.published_state(conn)
    assert state is not None and state[0] == 3


class FailingSigner(Ed25519Signer):
    def sign(self, message: bytes) -> bytes:
        raise RuntimeError("power cut while signing")


def test_a_failed_publish_leaves_tiles_and_checkpoint_as_they_were(
    store: Store, corridor: Corridor, make_entry: EntryFactory, post_key: SigningKey
) -> None:
    before_size, before = LogPublisher(store, LOG).publish()
    tiles_before = stored_tiles(store, before_size)
    add_passages(store, corridor, make_entry, post_key, 0, 10)
    with pytest.raises(RuntimeError, match="power cut"):
        LogPublisher(store, FailingSigner(LOG.name, b"\x06" * 32)).publish()
    with store.read() as conn:
        assert queries.published_state(conn) == (before_size, before)
    assert stored_tiles(store, before_size) == tiles_before
    size, _ = LogPublisher(store, LOG).publish()
    assert size == before_size + 10


def test_the_export_after_each_step_holds_every_tile_and_bundle_of_its_size(
    store: Store, corridor: Corridor, make_entry: EntryFactory, post_key: SigningKey, tmp_path: Path
) -> None:
    """Partial entry tiles are bundled again as they fill, from entries read in earlier steps
    and in this one; every file must match the log at that size."""
    from corridor.ledger.tiles import (
        decode_entry_bundle,
        entries_path,
        entry_bundles_for_size,
        tile_path,
        tiles_for_size,
    )

    publisher = LogPublisher(store, LOG, export_dir=tmp_path)
    first = 0
    for step in (3, 250, 7, 300, 1, 256):
        add_passages(store, corridor, make_entry, post_key, first, step)
        first += step
        size, text = publisher.publish()
        entries = all_entries(store)
        hashes = [leaf_hash(e) for e in entries]
        assert (tmp_path / "checkpoint").read_text() == text
        for bundle in entry_bundles_for_size(size):
            data = (tmp_path / entries_path(bundle.index, bundle.width)).read_bytes()
            start = bundle.index * 256
            assert decode_entry_bundle(data, bundle.width) == entries[start : start + bundle.width]
        expected = build_tiles(hashes)
        for tile in tiles_for_size(size):
            if not tile.is_entries:
                path = tmp_path / tile_path(tile.level, tile.index, tile.width)
                assert path.read_bytes() == expected[tile]


def test_repair_publishes_what_was_sequenced_and_rewrites_lost_files(
    store: Store, corridor: Corridor, make_entry: EntryFactory, post_key: SigningKey, tmp_path: Path
) -> None:
    publisher = LogPublisher(store, LOG, export_dir=tmp_path)
    add_passages(store, corridor, make_entry, post_key, 0, 300)
    publisher.publish()
    add_passages(store, corridor, make_entry, post_key, 300, 5)  # sequenced, then a "crash"
    (tmp_path / "tile" / "0" / "000").unlink()
    (tmp_path / "tile" / "entries" / "000").unlink()
    size, text = LogPublisher(store, LOG, export_dir=tmp_path).repair()
    assert size == 308
    assert (tmp_path / "checkpoint").read_text() == text
    hashes = [leaf_hash(e) for e in all_entries(store)]
    assert (tmp_path / "tile" / "0" / "000").read_bytes() == b"".join(hashes[:256])
    assert (tmp_path / "tile" / "0" / "001.p" / "52").read_bytes() == b"".join(hashes[256:])
    assert open_checkpoint(text, [LOG.verifier()]).root_hash == root_from_leaf_hashes(hashes)


def test_a_bulletin_counts_exactly_the_entries_before_it(
    store: Store, corridor: Corridor, make_entry: EntryFactory, post_key: SigningKey
) -> None:
    add_passages(store, corridor, make_entry, post_key, 0, 12)
    index, body = write_bulletin(store, "test", HQ, date(2020, 12, 1), simulated=True)
    entries = all_entries(store)
    assert index == body["tree_size"] == len(entries) - 1
    bulletin = Envelope.from_bytes(entries[index])
    bulletin.verify()
    assert bulletin.public_key == HQ.public_key
    passages = [
        SignedPassage.from_bytes(raw).entry
        for raw in entries[:index]
        if Envelope.from_bytes(raw).type.value == "passage"
    ]
    assert bulletin.body["figures"] == bulletin_figures(passages, date(2020, 12, 1))
    assert bulletin.body["figures"]["cargo_kg"]["food"] == 12 * 12_000


def test_only_a_registered_hq_key_writes_bulletins(store: Store, post_key: SigningKey) -> None:
    from corridor.errors import SignatureError

    with pytest.raises(SignatureError, match="not a registered, unrevoked HQ key"):
        write_bulletin(store, "test", post_key, date(2020, 12, 1), simulated=True)


def test_checkpoint_text_is_a_signed_note_for_the_origin(store: Store) -> None:
    _, text = LogPublisher(store, LOG).publish()
    note = Note.from_text(text)
    assert Checkpoint.from_text(note.text).origin == "corridor.local/test"
