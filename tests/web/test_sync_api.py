"""HQ's sync endpoints: signed pushes are accepted exactly once, gaps are reported, every bad
push is refused with a 4xx that names the problem, and a refused push changes nothing."""

from __future__ import annotations

import base64
import hashlib
import random
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from corridor.datadir import DataDir
from corridor.demo.embedded import run_demo
from corridor.hq.registry import revoke_key
from corridor.hq.sync import request_message
from corridor.keyfile import read_key
from corridor.model.events import People
from corridor.model.signing import SigningKey
from corridor.sim.scenario import default_scenario_path
from corridor.store.schema import alerts, log_entries, passages
from corridor.web.app import create_app_for_dir
from tests.pushing import OBSERVED, event, push_request
from tests.web.conftest import TestClient


@pytest.fixture
def hq(tmp_path: Path) -> Iterator[tuple[Any, Path]]:
    directory = tmp_path / "hq"
    run_demo(directory, default_scenario_path(), days=1, seed=5)
    app = create_app_for_dir(directory)
    with TestClient(app) as client:
        yield client, directory


def post_key(directory: Path, post: str = "P01") -> SigningKey:
    return read_key(directory / "keys" / "posts" / f"{post}.key")


def push(
    client: Any, key: SigningKey, events: list[dict[str, Any]], post: str = "P01", **kw: Any
) -> Any:
    body, headers = push_request(key, events, post, kw.get("body"))
    headers.update(kw.get("headers", {}))
    return client.post("/api/v1/sync/push", content=body, headers=headers)


def counts(directory: Path) -> tuple[int, int]:
    store = DataDir(directory).open_store()
    with store.read() as conn:
        result = (
            conn.execute(select(func.count()).select_from(log_entries)).scalar_one(),
            conn.execute(select(func.count()).select_from(passages)).scalar_one(),
        )
    store.dispose()
    return result


def test_a_push_is_logged_and_answered_with_indices(hq: tuple[Any, Path]) -> None:
    client, directory = hq
    key = post_key(directory)
    before = counts(directory)
    response = push(client, key, [event(key, n) for n in (1, 2, 3)])
    assert response.status_code == 200, response.text
    body = response.json()
    indices = [r["log_index"] for r in body["results"]]
    assert indices == [before[0], before[0] + 1, before[0] + 2]
    assert body["gaps"] == [] and body["highest_seq"] == 3
    assert counts(directory) == (before[0] + 3, before[1] + 3)
    assert body["checkpoint"].startswith("corridor.local/lachin\n")


def test_the_same_push_again_is_acknowledged_not_duplicated(hq: tuple[Any, Path]) -> None:
    client, directory = hq
    key = post_key(directory)
    first = push(client, key, [event(key, 1), event(key, 2)]).json()
    middle = counts(directory)
    again = push(client, key, [event(key, 1), event(key, 2)]).json()
    assert [r["log_index"] for r in again["results"]] == [r["log_index"] for r in first["results"]]
    assert all(r["duplicate"] for r in again["results"])
    assert counts(directory) == middle


def test_same_id_other_content_is_409_and_changes_nothing(hq: tuple[Any, Path]) -> None:
    client, directory = hq
    key = post_key(directory)
    push(client, key, [event(key, 1)])
    before = counts(directory)
    changed = event(key, 1, people=People(crew=2))
    response = push(client, key, [event(key, 2), changed])
    assert response.status_code == 409
    assert "already logged" in response.json()["message"]
    assert counts(directory) == before


def test_a_seq_reused_for_another_event_is_409_and_changes_nothing(hq: tuple[Any, Path]) -> None:
    client, directory = hq
    key = post_key(directory)
    first = push(client, key, [event(key, 1), event(key, 2)]).json()
    before = counts(directory)
    response = push(client, key, [dict(event(key, 3), seq=2)])
    assert response.status_code == 409
    owner = first["results"][1]["event_id"]
    assert (
        f"sequence number 2 of post 'P01' already belongs to event {owner}"
        in (response.json()["message"])
    )
    within = push(client, key, [event(key, 4), dict(event(key, 5), seq=4)])
    assert within.status_code == 409 and "sequence number 4" in within.json()["message"]
    assert counts(directory) == before


def test_gaps_and_out_of_order_pushes_are_reported(hq: tuple[Any, Path]) -> None:
    client, directory = hq
    key = post_key(directory)
    body = push(client, key, [event(key, 5), event(key, 1)]).json()
    assert body["gaps"] == [[2, 4]] and body["highest_seq"] == 5
    body = push(client, key, [event(key, 3), event(key, 2), event(key, 4)]).json()
    assert body["gaps"] == []
    store = DataDir(directory).open_store()
    with store.read() as conn:
        raised = conn.execute(select(alerts.c.message).where(alerts.c.kind == "sequence_gap"))
        assert any("[[2, 4]]" in message for (message,) in raised)
    store.dispose()


def test_gaps_are_tracked_across_many_pushes_as_they_open_and_fill(
    hq: tuple[Any, Path],
) -> None:
    """HQ keeps the gap-free prefix of each post's numbering between pushes; the report after
    every push must still equal the true missing seqs below the highest."""
    client, directory = hq
    key = post_key(directory)
    rng = random.Random(7)
    order = list(range(1, 41))
    rng.shuffle(order)
    held: set[int] = set()
    while order:
        size = rng.randint(1, 7)
        chunk, order = order[:size], order[size:]
        body = push(client, key, [event(key, n) for n in chunk]).json()
        held.update(chunk)
        highest = max(held)
        missing = sorted(set(range(1, highest + 1)) - held)
        assert body["highest_seq"] == highest
        assert [n for first, last in body["gaps"] for n in range(first, last + 1)] == missing
    assert body["gaps"] == [] and body["highest_seq"] == 40


def test_a_gap_left_open_is_one_alert_however_many_pushes_report_it(
    hq: tuple[Any, Path],
) -> None:
    client, directory = hq
    key = post_key(directory)
    for n in (1, 3, 4, 5):
        assert push(client, key, [event(key, n)]).json()["gaps"] == ([[2, 2]] if n > 1 else [])
    store = DataDir(directory).open_store()
    with store.read() as conn:
        messages = (
            conn.execute(select(alerts.c.message).where(alerts.c.kind == "sequence_gap"))
            .scalars()
            .all()
        )
    store.dispose()
    assert messages == ["post P01 sequence numbers never received: [[2, 2]]"]


def test_a_refused_push_leaves_the_sequence_report_as_it_was(hq: tuple[Any, Path]) -> None:
    client, directory = hq
    key = post_key(directory)
    push(client, key, [event(key, 1), event(key, 4)])
    refused = push(
        client, key, [event(key, 2), event(key, 3), event(key, 1, people=People(crew=2))]
    )
    assert refused.status_code == 409
    body = push(client, key, [event(key, 5)]).json()
    assert body["gaps"] == [[2, 3]] and body["highest_seq"] == 5


def test_overlapping_pushes_of_a_post_are_written_in_its_order(hq: tuple[Any, Path]) -> None:
    """A push (seqs 2-3) that overtakes an earlier one (seq 1, still in flight) is verified,
    then waits to be written until the earlier one is: no race-made gap, indices in seq order."""
    client, directory = hq
    key = post_key(directory)
    order = client.app.state.context.require_hq().sync.order
    before = counts(directory)
    answers: dict[str, Any] = {}

    def push_later() -> None:
        answers["later"] = push(client, key, [event(key, 2), event(key, 3)])

    with order.in_flight("P01", 1):  # push 1 is still on its way through HQ
        later = threading.Thread(target=push_later)
        later.start()
        later.join(0.5)
        assert later.is_alive() and counts(directory) == before
        answers["first"] = push(client, key, [event(key, 1)])
    later.join(10)
    first, second = answers["first"].json(), answers["later"].json()
    assert first["gaps"] == [] and second["gaps"] == [] and second["highest_seq"] == 3
    indices = [r["log_index"] for r in first["results"] + second["results"]]
    assert indices == sorted(indices) == list(range(before[0], before[0] + 3))


def test_a_clock_far_off_is_flagged_not_dropped(hq: tuple[Any, Path]) -> None:
    client, directory = hq
    key = post_key(directory)
    future = datetime.now(UTC) + timedelta(days=2)
    response = push(client, key, [event(key, 1, observed_at=future)])
    assert response.status_code == 200
    assert response.json()["results"][0]["skew_seconds"] > 86_400


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        (
            {"headers": {"X-Corridor-Signature": base64.b64encode(b"x" * 64).decode()}},
            401,
            "does not verify",
        ),
        ({"headers": {"X-Corridor-Post": "P99"}}, 401, "not a registered key of post 'P99'"),
        ({"body": b"{not json"}, 422, "body: not JSON"),
    ],
)
def test_bad_requests_are_refused(
    hq: tuple[Any, Path], change: dict[str, Any], status: int, message: str
) -> None:
    client, directory = hq
    key = post_key(directory)
    before = counts(directory)
    response = push(client, key, [event(key, 1)], **change)
    assert response.status_code == status and message in response.json()["message"]
    assert counts(directory) == before


def test_a_malformed_body_names_the_field(hq: tuple[Any, Path]) -> None:
    client, directory = hq
    key = post_key(directory)
    bad = event(key, 1)
    bad["salt"] = "short"
    response = push(client, key, [event(key, 2), bad])
    assert response.status_code == 422
    assert response.json()["message"].startswith("events[1].salt:")


def test_a_private_record_of_the_wrong_shape_names_the_field(hq: tuple[Any, Path]) -> None:
    client, directory = hq
    key = post_key(directory)
    before = counts(directory)
    bad = event(key, 2)
    bad["private"] = dict(bad["private"], plate=7)
    response = push(client, key, [event(key, 1), bad])
    assert response.status_code == 422
    assert response.json()["message"].startswith("events[1].private.plate:")
    assert counts(directory) == before


def test_an_invalid_event_rejects_the_whole_batch(hq: tuple[Any, Path]) -> None:
    client, directory = hq
    key = post_key(directory)
    before = counts(directory)
    response = push(client, key, [event(key, 1), event(key, 2, people=People(returnees=-1))])
    assert response.status_code == 422
    assert response.json()["message"].startswith("events[1].people.returnees:")
    assert counts(directory) == before


def test_another_posts_events_are_refused(hq: tuple[Any, Path]) -> None:
    client, directory = hq
    own, other = post_key(directory), post_key(directory, "P23")
    response = push(client, own, [event(other, 1, post="P23")])
    assert response.status_code == 401
    assert "pushed by post 'P01'" in response.json()["message"]


def test_oversized_batches_are_413(hq: tuple[Any, Path]) -> None:
    client, directory = hq
    key = post_key(directory)
    one = event(key, 1)
    response = push(client, key, [dict(one, seq=n + 1) for n in range(1001)])
    assert response.status_code == 413 and "1,001 events" in response.json()["message"]


def test_a_revoked_key_cannot_push_and_its_late_events_are_refused(hq: tuple[Any, Path]) -> None:
    client, directory = hq
    key = post_key(directory)
    datadir = DataDir(directory)
    store = datadir.open_store()
    admin = read_key(datadir.keys / "admin.key")
    revoke_key(store, "lachin", admin, key.public_key, OBSERVED + timedelta(minutes=2))
    store.dispose()
    response = push(client, key, [event(key, 1)])
    assert response.status_code == 401 and "was revoked at" in response.json()["message"]


def test_the_registry_is_only_for_a_signed_post(hq: tuple[Any, Path]) -> None:
    client, directory = hq
    key = post_key(directory)
    headers = {
        "X-Corridor-Post": "P01",
        "X-Corridor-Key": base64.b64encode(key.public_key).decode(),
        "X-Corridor-Signature": base64.b64encode(
            key.sign(request_message("registry", b""))
        ).decode(),
    }
    registry = client.get("/api/v1/sync/registry", headers=headers)
    assert registry.status_code == 200
    body = registry.json()
    assert len(body["keys"]) == 25 and body["log_vkey"].startswith("corridor.local/lachin+")
    assert body["vehicles"] and body["permits"]
    assert client.get("/api/v1/sync/registry").status_code == 401
    forged = dict(headers, **{"X-Corridor-Post": "P02"})
    assert client.get("/api/v1/sync/registry", headers=forged).status_code == 401


def test_request_signatures_cover_the_body() -> None:
    assert request_message("push", b"a") != request_message("push", b"b")
    assert request_message("push", b"a").endswith(hashlib.sha256(b"a").digest())
