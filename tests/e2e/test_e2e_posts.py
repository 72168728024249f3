"""HQ and two post nodes as real processes, each post reaching HQ through its own flaky link.

Set up the way an administrator does it, with the CLI: ``corridor hq init``, ``corridor post
init`` (which prints the key to register), ``corridor keys register``, ``corridor operators add``;
then ``corridor serve --role hq`` and ``corridor serve --role post`` for P01 and P23, each post's
HQ URL being a :class:`~corridor.sim.network.FlakyProxy` run in this process. Passages are
recorded the operator's way, through each post's console over HTTP (log in, form, CSRF token).

The tests share one network (module fixture) and each one leaves it settled: every outbox row
acknowledged with its log index and its receipt fetched. Each ends by checking exactly once
against both stores: HQ holds each post's events once, at the indices the post recorded, with
the post's sequence numbers and no gap, and no log entry twice.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from corridor.cli import app
from corridor.hq.provision import ADMIN_KEY_FILE
from corridor.hq.registry import ROLE_POST, register_key
from corridor.keyfile import read_key
from corridor.model.signing import SigningKey
from corridor.sim.network import FlakyProxy
from corridor.store.engine import Store
from tests.e2e.console_client import ConsoleClient
from tests.processes import CorridorProcess, free_port
from tests.pushing import event, push_request

pytestmark = pytest.mark.slow

POSTS = ("P01", "P23")
#: A post with a registered key and no node: the tests push to HQ with its key directly.
DIRECT = "P07"
OPERATOR = "amira"
PASSWORD = "correct horse battery"
HQ_ENV = {"CORRIDOR_PUBLISH_INTERVAL": "0.2"}
POST_ENV = {"CORRIDOR_SYNC_INTERVAL": "0.2"}
#: Where P01's link cuts a push: past the request's headers, well before the end of its body.
CUT_AFTER = 1200
PUSH_LINE = "pushed {n} event(s): {n} acknowledged, {duplicates} already at HQ"


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting until {what}"
        time.sleep(0.05)


def cli(*args: str, env: dict[str, str] | None = None) -> str:
    """Run a ``corridor`` command (in this process: the same Typer app, without the cost of
    starting Python again); its stdout, or fail with its output."""
    result = CliRunner().invoke(app, list(args), env=env)
    assert result.exit_code == 0, f"corridor {' '.join(args)}:\n{result.output}"
    return result.stdout


def query(database: Path, sql: str, *params: object) -> list[tuple[Any, ...]]:
    """Read a node's SQLite store (read-only, while its process runs)."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10) as conn:
        return conn.execute(sql, params).fetchall()


@dataclass
class PostNodeProcess:
    """One post: its data directory, its link to HQ, its process and an operator's console."""

    post: str
    directory: Path
    proxy: FlakyProxy
    logs: Path
    process: CorridorProcess | None = None
    console: ConsoleClient = field(init=False)
    port: int = 0
    runs: int = 0

    def start(self) -> None:
        self.launch()
        self.ready()

    def launch(self) -> None:
        """Start ``corridor serve --role post`` on the post's directory."""
        self.runs += 1
        self.port = free_port()
        args = ["serve", "--role", "post", "--dir", str(self.directory), "--port", str(self.port)]
        self.process = CorridorProcess(args, self.log_file(self.runs), POST_ENV)

    def ready(self) -> None:
        """Wait for the console, log in, and wait until the registry was pulled."""
        assert self.process is not None
        url = f"http://127.0.0.1:{self.port}"
        self.process.wait_http(url + "/login")
        self.console = ConsoleClient(url)
        self.console.log_in(OPERATOR, PASSWORD)
        self.console.wait_until_ready()

    def log_file(self, run: int) -> Path:
        return self.logs / f"{self.post}-{run}.log"

    def log_text(self, since: int = 0) -> str:
        """The output of its latest run, from offset ``since`` (see :meth:`log_mark`)."""
        return self.log_file(self.runs).read_text()[since:]

    def log_mark(self) -> int:
        return len(self.log_text())

    def kill(self) -> None:
        assert self.process is not None
        self.console.close()
        self.process.kill()

    def stop(self) -> None:
        if self.process is not None:
            self.console.close()
            self.process.stop()

    def outbox(self) -> list[tuple[int, str, int | None, bool]]:
        """(seq, event id, log index, has a receipt) of every outbox row, by seq."""
        rows = query(
            self.directory / "corridor.db",
            "SELECT seq, event_id, log_index, receipt IS NOT NULL FROM outbox ORDER BY seq",
        )
        return [(int(s), str(e), None if i is None else int(i), bool(r)) for s, e, i, r in rows]

    def settled(self) -> bool:
        return all(index is not None and receipt for _, _, index, receipt in self.outbox())

    def take_link_down(self) -> None:
        """The link drops: new connections are refused and the open ones cut."""
        self.proxy.faults.down = True
        self.proxy.sever()


@dataclass
class Network:
    """HQ (a process), the posts, and what the tests need to check them."""

    hq_dir: Path
    hq_port: int
    vkey: str
    direct_key: SigningKey
    logs: Path
    posts: dict[str, PostNodeProcess]
    hq: CorridorProcess | None = None
    hq_runs: int = 0

    @property
    def hq_url(self) -> str:
        return f"http://127.0.0.1:{self.hq_port}"

    def start_hq(self, *, wait: bool = True) -> None:
        self.hq_runs += 1
        args = ["serve", "--role", "hq", "--dir", str(self.hq_dir), "--port", str(self.hq_port)]
        self.hq = CorridorProcess(args, self.logs / f"hq-{self.hq_runs}.log", HQ_ENV)
        if wait:
            self.hq.wait_http(self.hq_url + "/log/checkpoint")

    def stop_all(self) -> None:
        for node in self.posts.values():
            node.stop()
        if self.hq is not None:
            self.hq.stop()

    def stop_hq(self) -> None:
        assert self.hq is not None
        self.hq.stop()
        assert self.hq.process.returncode == 0, self.hq.log.read_text()

    def hq_log(self) -> str:
        """The output of every HQ run so far."""
        return "".join(
            (self.logs / f"hq-{run}.log").read_text() for run in range(1, self.hq_runs + 1)
        )

    def hq_query(self, sql: str, *params: object) -> list[tuple[Any, ...]]:
        return query(self.hq_dir / "corridor.db", sql, *params)

    def hq_passages(self, post: str) -> dict[str, int]:
        """event id -> log index of the post's passages at HQ."""
        rows = self.hq_query("SELECT event_id, log_index FROM passages WHERE post = ?", post)
        return {str(e): int(i) for e, i in rows}

    def settle(self, timeout: float = 30.0) -> None:
        """Wait until every post's rows are acknowledged and have their receipts."""
        for node in self.posts.values():
            wait_for(node.settled, f"{node.post} is settled", timeout)

    def assert_exactly_once(self) -> None:
        for node in self.posts.values():
            rows = node.outbox()
            assert [seq for seq, *_ in rows] == list(range(1, len(rows) + 1))
            assert all(index is not None for _, _, index, _ in rows), "a row has no log index"
            # Each event at HQ once, at the index the post was given, under its seq number.
            assert self.hq_passages(node.post) == {e: i for _, e, i, _ in rows}
            sequences = self.hq_query(
                "SELECT seq, event_id FROM post_sequences WHERE post = ? ORDER BY seq", node.post
            )
            assert sequences == [(seq, event_id) for seq, event_id, *_ in rows]
            status = node.console.status()
            assert (status["pending"], status["synced"], status["alerts"]) == (0, len(rows), 0)
        # No sync alert at HQ (a gap, a conflict). The monitor's alerts (with an alert_key) are
        # about the traffic itself: the test's vehicles are not in the registry.
        assert (
            self.hq_query(
                "SELECT kind, source FROM alerts WHERE source != ? AND alert_key IS NULL", DIRECT
            )
            == []
        )
        ((size, largest, distinct),) = self.hq_query(
            "SELECT count(*), max(idx), count(DISTINCT entry) FROM log_entries"
        )
        assert size == largest + 1 == distinct


def provision(root: Path, proxies: dict[str, FlakyProxy], hq_port: int) -> Network:
    """HQ's and the posts' data directories, made with the CLI as an administrator does."""
    hq_dir = root / "hq"
    printed = cli("hq", "init", "--dir", str(hq_dir))
    vkey = printed.split("log key (give it to auditors):")[1].strip()
    for post in POSTS:
        hq_url = f"http://127.0.0.1:{proxies[post].port}"
        key = cli("post", "init", "--dir", str(root / post), "--post", post, "--hq", hq_url)
        cli("keys", "register", "--dir", str(hq_dir), "--post", post, "--key", key.strip())
        cli(
            *("operators", "add", "--dir", str(root / post), "--username", OPERATOR),
            env={"CORRIDOR_PASSWORD": PASSWORD},
        )
    direct_key = SigningKey.generate()
    store = Store(f"sqlite:///{hq_dir / 'corridor.db'}")
    try:
        admin = read_key(hq_dir / "keys" / ADMIN_KEY_FILE)
        since = datetime(2020, 12, 1, tzinfo=UTC)
        register_key(store, "lachin", admin, DIRECT, ROLE_POST, direct_key.public_key, since)
    finally:
        store.dispose()
    logs = root / "logs"
    logs.mkdir()
    nodes = {post: PostNodeProcess(post, root / post, proxies[post], logs) for post in POSTS}
    return Network(hq_dir, hq_port, vkey, direct_key, logs, nodes)


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Network]:
    hq_port = free_port()
    with contextlib.ExitStack() as stack:
        proxies = {}
        for n, post in enumerate(POSTS):
            proxies[post] = FlakyProxy("127.0.0.1", hq_port, seed=n)
            proxies[post].start()
            stack.callback(proxies[post].stop)
        net = provision(tmp_path_factory.mktemp("e2e-posts"), proxies, hq_port)
        stack.callback(net.stop_all)
        # All three start at once; a post that finds HQ not up yet retries within a second.
        net.start_hq(wait=False)
        for node in net.posts.values():
            node.launch()
        assert net.hq is not None
        net.hq.wait_http(net.hq_url + "/log/checkpoint")
        for node in net.posts.values():
            node.ready()
        yield net


def test_posts_record_while_hq_is_down_and_sync_once_it_is_back(network: Network) -> None:
    network.settle()
    before = {post: len(network.hq_passages(post)) for post in POSTS}
    network.stop_hq()
    for node in network.posts.values():
        for n in range(1, 4):
            seq = node.console.record()
            assert seq == len(node.outbox())
            status = node.console.status()
            assert (status["pending"], status["alerts"]) == (n, 0)  # saved, not yet at HQ
    assert {post: len(network.hq_passages(post)) for post in POSTS} == before
    network.start_hq()
    network.settle()
    for post in POSTS:
        assert len(network.hq_passages(post)) == before[post] + 3
    network.assert_exactly_once()


def test_a_cut_batch_and_a_lost_answer_are_pushed_again(network: Network) -> None:
    network.settle()
    cutting, losing = network.posts["P01"], network.posts["P23"]
    cuts, marks = {}, {}
    for node in (cutting, losing):
        node.take_link_down()
        cuts[node.post], marks[node.post] = node.proxy.cuts, node.log_mark()
        for _ in range(3):
            node.console.record()
        assert node.console.status()["pending"] == 3
    # Back up, but P01's next push is cut half-way through its body, and P23's next push
    # reaches HQ while its answer never comes back.
    batch = query(
        cutting.directory / "corridor.db", "SELECT entry FROM outbox WHERE log_index IS NULL"
    )
    assert sum(len(entry) for (entry,) in batch) > CUT_AFTER  # the body alone is longer
    cutting.proxy.faults.cut_upstream_after = CUT_AFTER
    losing.proxy.faults.drop_next_reply = True
    for node in (cutting, losing):
        node.proxy.faults.down = False
    network.settle()
    assert cutting.proxy.cuts - cuts["P01"] == losing.proxy.cuts - cuts["P23"] == 1
    # The cut push never reached ingest: its retry is new to HQ. The lost answer's retry is
    # acknowledged as duplicates, with the first indices (checked against HQ's store below).
    assert PUSH_LINE.format(n=3, duplicates=0) in cutting.log_text(marks["P01"])
    assert PUSH_LINE.format(n=3, duplicates=3) in losing.log_text(marks["P23"])
    # A push cut mid-way is an ordinary event for HQ too, not a server error with a traceback.
    assert "Exception in ASGI application" not in network.hq_log()
    network.assert_exactly_once()


def test_pushes_out_of_order_report_gaps_then_close_them(network: Network) -> None:
    key = network.direct_key
    events = {n: event(key, n, DIRECT) for n in range(1, 5)}

    def push(*seqs: int) -> dict[str, Any]:
        body, headers = push_request(key, [events[n] for n in seqs], DIRECT)
        answer = httpx.post(network.hq_url + "/api/v1/sync/push", content=body, headers=headers)
        assert answer.status_code == 200, answer.text
        data: dict[str, Any] = answer.json()
        assert [r["seq"] for r in data["results"]] == list(seqs)
        return data

    first = push(3, 4)
    assert (first["gaps"], first["highest_seq"]) == ([[1, 2]], 4)
    assert [r["duplicate"] for r in first["results"]] == [False, False]
    second = push(1)
    assert (second["gaps"], second["highest_seq"]) == ([[2, 2]], 4)
    third = push(4, 2)
    assert (third["gaps"], third["highest_seq"]) == ([], 4)
    assert [r["duplicate"] for r in third["results"]] == [True, False]
    assert third["results"][0]["log_index"] == first["results"][1]["log_index"]
    answers = [r for answer in (first, second, third) for r in answer["results"]]
    indices = {r["seq"]: r["log_index"] for r in answers}
    ids = {r["seq"]: r["event_id"] for r in answers}
    assert len(set(indices.values())) == len(set(ids.values())) == 4
    assert network.hq_passages(DIRECT) == {ids[n]: indices[n] for n in range(1, 5)}
    # HQ logged them in arrival order, and said so while the numbering had holes.
    assert indices[3] < indices[4] < indices[1] < indices[2]
    alerts = network.hq_query("SELECT message FROM alerts WHERE kind = 'sequence_gap'")
    assert f"post {DIRECT} sequence numbers never received: [[1, 2]]" in {m for (m,) in alerts}
    sequences = network.hq_query("SELECT seq FROM post_sequences WHERE post = ?", DIRECT)
    assert sorted(s for (s,) in sequences) == [1, 2, 3, 4]


def test_a_post_killed_during_sync_loses_and_duplicates_nothing(network: Network) -> None:
    network.settle()
    node = network.posts["P01"]
    node.take_link_down()
    seqs = [node.console.record() for _ in range(3)]
    fresh = {event_id for seq, event_id, _, _ in node.outbox() if seq in seqs}
    node.proxy.faults.drop_next_reply = True
    node.proxy.faults.down = False
    # The push reaches HQ and is logged; its answer is lost; the post is killed before it
    # retries (its backoff is at least half a second).
    wait_for(lambda: fresh <= network.hq_passages("P01").keys(), "HQ logged the batch", 15)
    node.kill()
    unacknowledged = [seq for seq, _, index, _ in node.outbox() if index is None]
    assert unacknowledged == seqs
    node.start()
    network.settle()
    assert PUSH_LINE.format(n=3, duplicates=3) in node.log_text()
    assert node.console.record() == seqs[-1] + 1  # numbering goes on after the restart
    network.settle()
    network.assert_exactly_once()


def test_hq_counts_equal_the_posts_and_the_log_audits_clean(network: Network) -> None:
    network.settle()
    network.assert_exactly_once()
    at_posts = {post: node.console.status()["synced"] for post, node in network.posts.items()}
    assert all(count > 0 for count in at_posts.values())
    direct = len(network.hq_passages(DIRECT))
    ((entries,),) = network.hq_query("SELECT count(*) FROM log_entries")
    size = int(entries)

    def published() -> bool:
        checkpoint = httpx.get(network.hq_url + "/log/checkpoint").text
        return int(checkpoint.splitlines()[1]) == size

    wait_for(published, "HQ published every entry", 15)
    summary = httpx.get(network.hq_url + "/api/v1/summary").json()
    assert summary["events"] == sum(at_posts.values()) + direct
    audit = subprocess.run(
        [
            sys.executable,
            "-m",
            "corridor",
            "audit",
            network.hq_url + "/log/",
            "--vkey",
            network.vkey,
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert audit.returncode == 0, audit.stdout + audit.stderr
    report = json.loads(audit.stdout)
    assert report["ok"] is True and report["findings"] == []
    assert report["checkpoint"]["size"] == size
    # Registrations: admin, HQ and the three posts' keys.
    assert report["counts"]["passages"] == sum(at_posts.values()) + direct
    assert report["counts"]["registrations"] == 5
