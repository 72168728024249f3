"""Two HQ processes on one PostgreSQL database accept pushes at the same time, and together they
keep one log with no gap and no duplicate index (one sequencer, by advisory lock)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from corridor.audit import audit, open_source
from corridor.hq.provision import init_hq
from corridor.hq.registry import ROLE_POST, register_key
from corridor.ledger import Checkpoint, Note
from corridor.model.signing import SigningKey
from corridor.sim.scenario import default_scenario_path
from tests.processes import CorridorProcess, free_port
from tests.pushing import OBSERVED, event, push_request

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

EVENTS = 300
BATCH = 25


@pytest.fixture
def hq_pair(postgres_database: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    with psycopg.connect(postgres_database, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    directory = tmp_path / "hq"
    _, store, keys = init_hq(directory, default_scenario_path(), database_url=postgres_database)
    posts = {post: SigningKey.generate() for post in ("P01", "P23")}
    for post, key in posts.items():
        register_key(store, "lachin", keys.admin, post, ROLE_POST, key.public_key, OBSERVED)
    store.dispose()
    env = {"CORRIDOR_DATABASE_URL": postgres_database, "CORRIDOR_PUBLISH_INTERVAL": "0.2"}
    ports = [free_port(), free_port()]
    processes = [
        CorridorProcess(
            ["serve", "--dir", str(directory), "--port", str(port)], tmp_path / f"hq{n}.log", env
        )
        for n, port in enumerate(ports)
    ]
    try:
        for process, port in zip(processes, ports, strict=True):
            process.wait_http(f"http://127.0.0.1:{port}/log/checkpoint")
        yield {
            "urls": [f"http://127.0.0.1:{port}" for port in ports],
            "posts": posts,
            "vkey": keys.log.verifier().to_vkey(),
            "database": postgres_database,
        }
    finally:
        for process in processes:
            process.stop()


def pusher(url: str, post: str, key: SigningKey, failures: list[str]) -> None:
    with httpx.Client(base_url=url, timeout=60) as client:
        for start in range(1, EVENTS + 1, BATCH):
            items = [event(key, n, post) for n in range(start, start + BATCH)]
            body, headers = push_request(key, items, post)
            response = client.post("/api/v1/sync/push", content=body, headers=headers)
            if response.status_code != 200:
                failures.append(f"{post} via {url}: {response.status_code} {response.text}")


def test_two_processes_keep_one_log(hq_pair: dict[str, Any]) -> None:
    first, second = hq_pair["urls"]
    posts = hq_pair["posts"]
    failures: list[str] = []
    # P01 pushes everything to both processes at once (a retry landing on the other process);
    # P23 pushes to the second. Every event must be logged exactly once.
    jobs = [
        (first, "P01"),
        (second, "P01"),
        (second, "P23"),
    ]
    threads = [
        threading.Thread(target=pusher, args=(url, post, posts[post], failures))
        for url, post in jobs
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert failures == []

    with psycopg.connect(hq_pair["database"]) as conn:
        size, largest, distinct = conn.execute(
            "SELECT count(*), max(idx), count(DISTINCT entry) FROM log_entries"
        ).fetchone()
        passages, distinct_ids = conn.execute(
            "SELECT count(*), count(DISTINCT event_id) FROM passages"
        ).fetchone()
    registrations = 4  # admin, HQ, P01, P23
    assert passages == distinct_ids == 2 * EVENTS
    assert size == largest + 1 == distinct == registrations + 2 * EVENTS

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        note = httpx.get(f"{first}/log/checkpoint").text
        if Checkpoint.from_text(Note.from_text(note).text).size == size:
            break
        time.sleep(0.2)
    source = open_source(f"{second}/log/")
    try:
        report = audit(source, hq_pair["vkey"])
    finally:
        source.close()
    assert report.ok, report.findings
    assert report.counts.passages == 2 * EVENTS
