"""Recording at a post: durable before "saved", validated, signed, numbered, never lost."""

from __future__ import annotations

import base64
import hashlib
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update
from starlette.datastructures import FormData

from corridor.config import load_settings
from corridor.datadir import DataDir
from corridor.errors import (
    ConfigError,
    FutureTimeError,
    MissingReasonError,
    MissingWeightError,
    NegativeCountError,
    NotFoundError,
    UnknownPostError,
    ValidationError,
)
from corridor.model.events import CargoLine, People
from corridor.model.pseudonym import vehicle_pseudonym
from corridor.model.signing import SignedPassage
from corridor.model.vocabulary import (
    CargoCategory,
    Direction,
    PassageKind,
    ReasonCode,
    VehicleClass,
)
from corridor.post.form import PassageForm
from corridor.post.node import META_LAST_SEQ, PostNode, Purge
from corridor.post.setup import init_post
from corridor.sim.scenario import default_scenario_path
from corridor.store.engine import Store
from corridor.store.schema import outbox, store_meta
from tests.post.conftest import NOW, POST

TRUCK = PassageForm(
    plate="34 aa-123",
    vehicle_class=VehicleClass.TRUCK,
    direction=Direction.INBOUND,
    kind=PassageKind.PASSED,
    people=People(crew=2),
    cargo=(CargoLine(CargoCategory.FOOD, 12_000),),
    driver="A. Driver",
    documents=("PRM-1",),
)


def form(**fields: str | list[str]) -> FormData:
    """A submitted console form: a passed truck, with ``fields`` replacing values."""
    values: dict[str, str | list[str]] = {
        "plate": "34 AA 123",
        "vehicle_class": "truck",
        "direction": "inbound",
        "kind": "passed",
        "crew": "2",
        "cargo_category": ["food"],
        "cargo_kg": ["12000"],
    }
    values.update(fields)
    items = [
        (key, item)
        for key, value in values.items()
        for item in (value if isinstance(value, list) else [value])
    ]
    return FormData(items)


def test_recording_commits_before_returning(pulled: PostNode, post_dir: Path) -> None:
    row = pulled.record_passage(TRUCK, "amira")

    # A second, independent store over the same file sees the committed row.
    other = Store(DataDir(post_dir).database_url())
    try:
        with other.read() as conn:
            stored = conn.execute(select(outbox).where(outbox.c.seq == row.seq)).one()
    finally:
        other.dispose()
    assert stored.event_id == row.event_id
    assert stored.log_index is None
    assert stored.operator == "amira"
    passage = SignedPassage.from_bytes(bytes(stored.entry))
    passage.verify()
    assert passage.public_key == pulled.key.public_key
    entry = passage.entry
    assert entry.post == POST and entry.corridor == "lachin"
    assert entry.observed_at == NOW
    key = pulled.pseudonym_key()
    assert key is not None
    assert entry.vehicle == vehicle_pseudonym("34AA123", key)
    commitment = hashlib.sha256(bytes(stored.salt) + row.private.canonical()).hexdigest()
    assert entry.private == commitment
    assert "34 aa-123" not in bytes(stored.entry).decode()


def test_sequence_numbers_are_contiguous_and_counted(pulled: PostNode) -> None:
    rows = [pulled.record_passage(TRUCK, "amira") for _ in range(3)]
    assert [r.seq for r in rows] == [1, 2, 3]
    assert len({r.event_id for r in rows}) == 3
    counts = pulled.counts()
    assert (counts.pending, counts.synced, counts.last_sync_at) == (3, 0, None)
    assert [r.seq for r in pulled.today()] == [3, 2, 1]


def test_recording_needs_the_registry_once(node: PostNode) -> None:
    with pytest.raises(ConfigError, match="must sync its registry with HQ once"):
        node.record_passage(TRUCK, "amira")


@pytest.mark.parametrize(
    ("fields", "error", "field"),
    [
        ({"plate": "  "}, ValidationError, "plate"),
        ({"vehicle_class": "tank"}, ValidationError, "vehicle_class"),
        ({"direction": ""}, ValidationError, "direction"),
        ({"crew": "-1"}, NegativeCountError, "people.crew"),
        ({"residents": "two"}, ValidationError, "people.residents"),
        ({"cargo_kg": [""]}, MissingWeightError, "cargo[0].kg"),
        ({"cargo_kg": ["0"]}, MissingWeightError, "cargo[0].kg"),
        ({"cargo_kg": ["-5"]}, NegativeCountError, "cargo[0].kg"),
        ({"cargo_category": [""], "cargo_kg": ["300"]}, ValidationError, "cargo[0].category"),
        ({"kind": "denied"}, MissingReasonError, "reason"),
        ({"kind": "turned_back"}, MissingReasonError, "reason"),
        ({"reason": "no_permit"}, MissingReasonError, "reason"),
        ({"observed_at": "2023-03-01T10:00"}, FutureTimeError, "observed_at"),
        ({"observed_at": "yesterday"}, ValidationError, "observed_at"),
    ],
)
def test_validation_errors_name_the_field(
    pulled: PostNode, fields: dict[str, str], error: type[ValidationError], field: str
) -> None:
    with pytest.raises(error) as caught:
        pulled.record_passage(PassageForm.from_form(form(**fields)), "amira")
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ")
    assert pulled.counts().pending == 0


def test_a_valid_form_records_denials_with_reason_and_blank_cargo_rows(pulled: PostNode) -> None:
    parsed = PassageForm.from_form(
        form(
            kind="denied",
            reason="no_permit",
            cargo_category=["", "medicine", ""],
            cargo_kg=["", "1 500", ""],
            permit="PRM-7",
            documents="D1, D2",
            observed_at="2023-03-01T09:00",
        )
    )
    assert parsed.reason is ReasonCode.NO_PERMIT
    assert parsed.cargo == (CargoLine(CargoCategory.MEDICINE, 1500),)
    assert parsed.documents == ("PRM-7", "D1", "D2")
    row = pulled.record_passage(parsed, "amira")
    assert row.public.kind is PassageKind.DENIED
    assert row.public.observed_at == NOW - timedelta(minutes=30)


def test_unknown_post_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UnknownPostError, match="P99"):
        init_post(tmp_path / "p", "P99", "http://hq.test", default_scenario_path())
    assert not (tmp_path / "p").exists()


def test_a_node_refuses_another_post_id(post_dir: Path) -> None:
    with pytest.raises(ConfigError, match="belongs to post P01"):
        PostNode.open(post_dir, post="P03")


def test_init_refuses_a_non_empty_directory(post_dir: Path) -> None:
    with pytest.raises(ConfigError, match="not empty"):
        init_post(post_dir, POST, "http://hq.test", default_scenario_path())


def test_init_writes_a_private_key(post_dir: Path, node: PostNode) -> None:
    key_file = post_dir / "keys" / "post.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert base64.b64decode(key_file.read_text()) == node.key.seed


def test_purge_deletes_only_old_rows_with_a_log_index_and_a_receipt(pulled: PostNode) -> None:
    rows = [pulled.record_passage(TRUCK, "amira") for _ in range(4)]
    with pulled.store.write() as conn:
        conn.execute(update(outbox).where(outbox.c.seq == 1).values(log_index=0, receipt="proof"))
        conn.execute(update(outbox).where(outbox.c.seq == 2).values(log_index=1))  # no receipt
        conn.execute(update(outbox).where(outbox.c.seq == 3).values(receipt="proof"))  # no index
    later = PostNode(pulled.datadir, store=pulled.store, clock=lambda: NOW + timedelta(days=90))
    purge = later.purge_acknowledged(timedelta(days=30))
    assert purge == Purge("2023-04-30T09:30:00Z", rows=1, first_seq=1, last_seq=1, kept=3)
    assert [r.seq for r in later.recorded_since(NOW - timedelta(days=1))] == [4, 3, 2]
    counts = later.counts()
    assert (counts.pending, counts.synced) == (2, 2)  # the purged row still counts as synced
    assert rows[2].state == "pending"
    with pytest.raises(NotFoundError, match="passage number 1 was purged"):
        later.row(1)
    with pytest.raises(NotFoundError, match="no passage number 5"):
        later.row(5)
    # Nothing more is old enough; a second purge deletes nothing and keeps the same rows.
    assert later.purge_acknowledged(timedelta(days=30)).rows == 0


def test_purge_keeps_recent_rows_and_today(pulled: PostNode) -> None:
    pulled.record_passage(TRUCK, "amira")
    with pulled.store.write() as conn:
        conn.execute(update(outbox).values(log_index=0, receipt="proof"))
    assert pulled.purge_acknowledged(timedelta(days=1)) == Purge(
        "2023-02-28T09:30:00Z", rows=0, first_seq=None, last_seq=None, kept=0
    )
    with pytest.raises(ValidationError, match="older_than: keep passages at least one day"):
        pulled.purge_acknowledged(timedelta(hours=23))
    assert [r.seq for r in pulled.today()] == [1]


def test_seqs_never_go_back_after_the_newest_rows_are_purged(pulled: PostNode) -> None:
    for _ in range(3):
        pulled.record_passage(TRUCK, "amira")
    with pulled.store.write() as conn:
        conn.execute(update(outbox).values(log_index=0, receipt="proof"))
    later = PostNode(pulled.datadir, store=pulled.store, clock=lambda: NOW + timedelta(days=2))
    assert later.purge_acknowledged(timedelta(days=1)).rows == 3
    assert pulled.today() == [] and pulled.counts().synced == 3
    assert pulled.record_passage(TRUCK, "amira").seq == 4
    # Reopened from disk, the node still knows the highest seq it gave.
    with pulled.store.write() as conn:
        conn.execute(update(outbox).values(log_index=3, receipt="proof"))
    assert later.purge_acknowledged(timedelta(days=1)).rows == 1
    reopened = PostNode.open(pulled.datadir.path, clock=lambda: NOW)
    try:
        assert reopened.enqueue_signed([]) == []
        assert reopened.record_passage(TRUCK, "amira").seq == 5
    finally:
        reopened.close()


def test_a_store_without_the_high_water_mark_still_counts_from_its_rows(
    pulled: PostNode,
) -> None:
    for _ in range(2):
        pulled.record_passage(TRUCK, "amira")
    with pulled.store.write() as conn:
        conn.execute(delete(store_meta).where(store_meta.c.key == META_LAST_SEQ))
    assert pulled.record_passage(TRUCK, "amira").seq == 3


def test_the_running_node_purges_until_stopped(pulled: PostNode) -> None:
    pulled.record_passage(TRUCK, "amira")
    with pulled.store.write() as conn:
        conn.execute(update(outbox).values(log_index=0, receipt="proof"))
    later = PostNode(pulled.datadir, store=pulled.store, clock=lambda: NOW + timedelta(days=8))
    stop = threading.Event()
    stop.set()  # one round, then stop
    later.keep_purging(timedelta(days=7), stop, every=0.01)
    assert later.counts() == pulled.counts()
    assert (pulled.counts().pending, pulled.counts().synced) == (0, 1)
    assert pulled.unacknowledged(10) == [] and pulled.without_receipt() == []
    with pytest.raises(NotFoundError, match="purged"):
        pulled.row(1)


def test_an_outbox_row_never_shows_personal_data_in_its_repr(pulled: PostNode) -> None:
    row = pulled.record_passage(TRUCK, "amira")
    assert "34" not in repr(row).replace(row.event_id, "")
    assert "Driver" not in repr(row)


def test_the_retention_setting_is_off_by_default_and_at_least_a_day(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CORRIDOR_OUTBOX_RETENTION_DAYS", raising=False)
    assert load_settings().outbox_retention_days is None
    monkeypatch.setenv("CORRIDOR_OUTBOX_RETENTION_DAYS", "30")
    assert load_settings().outbox_retention_days == 30
    monkeypatch.setenv("CORRIDOR_OUTBOX_RETENTION_DAYS", "0.5")
    with pytest.raises(
        ConfigError, match="CORRIDOR_OUTBOX_RETENTION_DAYS=.0.5.: .*greater than or equal to 1"
    ):
        load_settings()
