"""The one ingest path: idempotency, conflicts, all-or-nothing batches, key validity."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select, text

from corridor.errors import ConflictError, NegativeCountError, SignatureError, ValidationError
from corridor.hq.ingest import Ingestor
from corridor.hq.registry import ROLE_ADMIN, ROLE_POST, register_key, revoke_key
from corridor.model.corridor import Corridor
from corridor.model.events import People, Submission
from corridor.model.signing import SignedPassage, SigningKey
from corridor.store import queries
from corridor.store.engine import Store
from corridor.store.schema import metadata
from tests.conftest import PRIVATE, SALT, EntryFactory
from tests.store.conftest import StoreFactory

NOW = datetime(2020, 12, 2, tzinfo=UTC)
SINCE = datetime(2020, 12, 1, tzinfo=UTC)
ADMIN = SigningKey(b"\x01" * 32)


@pytest.fixture
def store(make_store: StoreFactory, post_key: SigningKey) -> Store:
    store = make_store()
    register_key(store, "test", ADMIN, "admin", ROLE_ADMIN, ADMIN.public_key, SINCE)
    register_key(store, "test", ADMIN, "P01", ROLE_POST, post_key.public_key, SINCE)
    return store


@pytest.fixture
def ingestor(store: Store, corridor: Corridor) -> Ingestor:
    return Ingestor(store, corridor, clock=lambda: NOW)


def snapshot(store: Store) -> dict[str, list[Any]]:
    """Every row of every table, to prove a rejected batch changed nothing."""
    with store.read() as conn:
        return {
            table.name: sorted(map(tuple, conn.execute(select(table)).all()), key=repr)
            for table in metadata.sorted_tables
        }


def entry_id(n: int) -> uuid.UUID:
    return uuid.UUID(int=1000 + n, version=4)


def submission(make_entry: EntryFactory, key: SigningKey, n: int, **changes: Any) -> Submission:
    entry = make_entry(event_id=entry_id(n), **changes)
    return Submission(SignedPassage.sign(entry, key).raw, PRIVATE, SALT)


def test_events_get_contiguous_log_indices_after_the_registrations(
    ingestor: Ingestor, make_entry: EntryFactory, post_key: SigningKey, store: Store
) -> None:
    results = ingestor.ingest([submission(make_entry, post_key, n) for n in range(5)])
    assert [r.log_index for r in results] == [2, 3, 4, 5, 6]
    assert not any(r.duplicate for r in results)
    with store.read() as conn:
        assert queries.log_size(conn) == 7
        assert queries.count_passages(conn) == 5
        stored = conn.execute(text("SELECT record FROM private_records")).scalars().all()
    assert len(stored) == 5 and all("34 AA 123" in r for r in stored)


def test_the_same_event_twice_is_acknowledged_with_its_first_index(
    ingestor: Ingestor, make_entry: EntryFactory, post_key: SigningKey, store: Store
) -> None:
    first = ingestor.ingest([submission(make_entry, post_key, 1)])
    before = snapshot(store)
    again = ingestor.ingest([submission(make_entry, post_key, 1)])
    assert again[0].log_index == first[0].log_index and again[0].duplicate
    assert snapshot(store) == before


def test_a_duplicate_inside_one_batch_is_stored_once(
    ingestor: Ingestor, make_entry: EntryFactory, post_key: SigningKey, store: Store
) -> None:
    one = submission(make_entry, post_key, 1)
    results = ingestor.ingest([one, one])
    assert results[0].log_index == results[1].log_index and results[1].duplicate
    with store.read() as conn:
        assert queries.count_passages(conn) == 1


def test_same_id_other_content_is_a_conflict_and_changes_nothing(
    ingestor: Ingestor, make_entry: EntryFactory, post_key: SigningKey, store: Store
) -> None:
    ingestor.ingest([submission(make_entry, post_key, 1)])
    before = snapshot(store)
    changed = submission(make_entry, post_key, 1, people=People(crew=3))
    with pytest.raises(ConflictError, match=r"events\[1\]: event .* already logged at index 2"):
        ingestor.ingest([submission(make_entry, post_key, 2), changed])
    assert snapshot(store) == before


def test_one_bad_event_rejects_the_whole_batch(
    ingestor: Ingestor, make_entry: EntryFactory, post_key: SigningKey, store: Store
) -> None:
    before = snapshot(store)
    batch = [submission(make_entry, post_key, n) for n in range(3)]
    batch.append(submission(make_entry, post_key, 3, people=People(returnees=-1)))
    with pytest.raises(NegativeCountError, match=r"^events\[3\]\.people\.returnees: must not"):
        ingestor.ingest(batch)
    assert snapshot(store) == before


def test_a_tampered_event_is_refused(
    ingestor: Ingestor, make_entry: EntryFactory, post_key: SigningKey, store: Store
) -> None:
    good = submission(make_entry, post_key, 1)
    tampered = Submission(good.raw.replace(b'"kg":12000', b'"kg":12001'), PRIVATE, SALT)
    before = snapshot(store)
    with pytest.raises(SignatureError, match=r"^events\[0\]: signature does not verify"):
        ingestor.ingest([tampered])
    assert snapshot(store) == before


def test_an_unregistered_key_is_refused(ingestor: Ingestor, make_entry: EntryFactory) -> None:
    stranger = SigningKey(b"\x09" * 32)
    with pytest.raises(SignatureError, match="is not a registered key of post 'P01'"):
        ingestor.ingest([submission(make_entry, stranger, 1)])


def test_a_key_signs_only_for_its_own_post(
    ingestor: Ingestor, make_entry: EntryFactory, post_key: SigningKey
) -> None:
    with pytest.raises(SignatureError, match="is not a registered key of post 'P02'"):
        ingestor.ingest([submission(make_entry, post_key, 1, post="P02")])


def test_events_after_a_revocation_are_refused(
    ingestor: Ingestor, make_entry: EntryFactory, post_key: SigningKey, store: Store
) -> None:
    revoked_at = datetime(2020, 12, 1, 10, 0, tzinfo=UTC)
    revoke_key(store, "test", ADMIN, post_key.public_key, revoked_at)
    before_revocation = datetime(2020, 12, 1, 9, 59, tzinfo=UTC)
    ingestor.ingest([submission(make_entry, post_key, 1, observed_at=before_revocation)])
    with pytest.raises(SignatureError, match="was revoked at 2020-12-01T10:00:00Z"):
        ingestor.ingest([submission(make_entry, post_key, 2, observed_at=revoked_at)])


def test_a_private_record_must_match_its_commitment(
    ingestor: Ingestor, make_entry: EntryFactory, post_key: SigningKey
) -> None:
    good = submission(make_entry, post_key, 1)
    with pytest.raises(ValidationError, match=r"^events\[0\]\.private: the private record"):
        ingestor.ingest([Submission(good.raw, PRIVATE, b"\x00" * 16)])


def test_registrations_are_signed_log_entries(store: Store, post_key: SigningKey) -> None:
    from corridor.model.signing import EntryType, Envelope

    with store.read() as conn:
        entries = list(queries.iter_log_entries(conn))
    assert [t for _, t, _ in entries] == ["key_registration", "key_registration"]
    for _, _, raw in entries:
        envelope = Envelope.from_bytes(raw)
        envelope.verify()
        assert envelope.type is EntryType.KEY_REGISTRATION
        assert envelope.public_key == ADMIN.public_key


def test_only_the_admin_key_registers_keys(store: Store) -> None:
    intruder = SigningKey(b"\x05" * 32)
    with pytest.raises(SignatureError, match="not the registered admin key"):
        register_key(store, "test", intruder, "P02", ROLE_POST, intruder.public_key, SINCE)


def test_a_revocation_may_not_reach_back_over_logged_events(
    ingestor: Ingestor, make_entry: EntryFactory, post_key: SigningKey, store: Store
) -> None:
    observed = datetime(2020, 12, 1, 12, 0, tzinfo=UTC)
    ingestor.ingest([submission(make_entry, post_key, 1, observed_at=observed)])
    with pytest.raises(ConflictError, match="already signed event .* revoke it from a later"):
        revoke_key(store, "test", ADMIN, post_key.public_key, datetime(2020, 12, 1, tzinfo=UTC))
    revoke_key(store, "test", ADMIN, post_key.public_key, datetime(2020, 12, 1, 13, tzinfo=UTC))
