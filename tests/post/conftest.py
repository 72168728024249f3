"""Fixtures of the post tests: a post data directory (P01 of the built-in scenario), the real HQ
(a data directory made by ``init_hq`` with the post's key and the registries, and HQ's own web
app) reached in process through :class:`HqLink`, a sync client, and the console app.

Faults are injected on the link, never inside HQ: a gateway answering 5xx before a push reaches
HQ, an answer lost after HQ handled the push, a receipt request redirected to another passage.
HQ's publish loop does not run in these tests: the link has HQ publish everything sequenced just
before each request reaches it (as if the loop had just run), unless a test publishes itself. So
a push is answered with the checkpoint of the log as it was before that push.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from sqlalchemy import delete, func, select, update

from corridor.hq.provision import HqKeys, init_hq
from corridor.hq.registry import ROLE_POST, register_key
from corridor.hq.services import HqServices
from corridor.hq.vehicles import Permit, RegisteredVehicle, register_vehicles
from corridor.model.vocabulary import VehicleClass
from corridor.post.auth import add_operator
from corridor.post.node import PostNode
from corridor.post.setup import init_post
from corridor.post.sync_client import SyncClient
from corridor.post.wire import PUSH_PATH
from corridor.sim.scenario import default_scenario_path
from corridor.store import queries
from corridor.store.schema import log_entries, log_state, passages, post_sequences, tiles
from corridor.web.app import create_app_for_dir
from corridor.web.console import create_post_app
from corridor.web.context import WebContext

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=r"Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

POST = "P01"
HQ_URL = "http://hq.test"
PASSWORD = "correct horse battery"
#: A fixed "now" inside the scenario's mandate.
NOW = datetime(2023, 3, 1, 9, 30, tzinfo=UTC)
#: When the post keys registered at HQ take effect.
KEYS_SINCE = datetime(2020, 12, 1, tzinfo=UTC)
#: Cheap Argon2 parameters so that tests log in fast (production uses the library defaults).
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)

VEHICLES = [
    RegisteredVehicle("34 AA 123", VehicleClass.TRUCK),
    RegisteredVehicle("34 AB 777", VehicleClass.BUS),
    RegisteredVehicle("10 XY 001", VehicleClass.CAR),
]
PERMITS = [Permit("PRM-2023-0042", "34 AB 777", "2023-01-01T00:00:00Z", "2023-12-31T00:00:00Z")]


class RealHq:
    """HQ's data directory and its web app (``create_app_for_dir``), served in process."""

    def __init__(self, path: Path, keys: HqKeys) -> None:
        self.path = path
        self.keys = keys
        self.app: FastAPI = create_app_for_dir(path)
        self.client = TestClient(self.app, base_url=HQ_URL)

    @property
    def services(self) -> HqServices:
        context: WebContext = self.app.state.context
        return context.require_hq()

    @property
    def vkey(self) -> str:
        return self.keys.log.verifier().to_vkey()

    def restart(self) -> None:
        """Build HQ's app again from its data directory (after its keys changed on disk)."""
        self.close()
        self.app = create_app_for_dir(self.path)
        self.client = TestClient(self.app, base_url=HQ_URL)

    def publish(self) -> str:
        """Integrate and publish now, as HQ's publish loop does; the checkpoint's note text."""
        return self.services.publisher.publish()[1]

    def checkpoint(self) -> str:
        return str(self.client.get("/log/checkpoint").text)

    def log_size(self) -> int:
        with self.services.store.read() as conn:
            return queries.log_size(conn)

    def passages(self) -> int:
        with self.services.store.read() as conn:
            return int(conn.execute(select(func.count()).select_from(passages)).scalar_one())

    def sequences(self, post: str = POST) -> dict[int, str]:
        """HQ's record of ``post``'s numbering: seq -> event id."""
        with self.services.store.read() as conn:
            rows = conn.execute(
                select(post_sequences.c.seq, post_sequences.c.event_id).where(
                    post_sequences.c.post == post
                )
            ).all()
        return {int(seq): str(event_id) for seq, event_id in rows}

    def index_of(self, event_id: str) -> int:
        with self.services.store.read() as conn:
            index = conn.execute(
                select(passages.c.log_index).where(passages.c.event_id == event_id)
            ).scalar_one()
        return int(index)

    def rewrite(self, index: int, raw: bytes) -> None:
        """Behave as a dishonest HQ: replace a logged entry, drop the tiles and the published
        checkpoint, so that the next publication signs the rewritten tree."""
        with self.services.store.write() as conn:
            conn.execute(update(log_entries).where(log_entries.c.idx == index).values(entry=raw))
            conn.execute(delete(tiles))
            conn.execute(delete(log_state))

    def close(self) -> None:
        self.client.close()
        self.services.store.dispose()


@dataclass
class HqLink:
    """The post's link to :class:`RealHq`, an httpx transport: every request reaches HQ's real
    app unless a fault set here stops it on the way."""

    hq: RealHq
    #: Statuses a gateway answers the next pushes with; those pushes never reach HQ.
    fail_pushes: list[int] = field(default_factory=list)
    #: The next push reaches HQ and is handled, then its answer is lost: the connection drops
    #: (None) or a gateway answers with this status instead (504).
    lose_next_push_answer: bool = False
    lost_answer_status: int | None = None
    #: HQ publishes everything sequenced before each request reaches it.
    publish_first: bool = True
    #: Receipt requests are sent for this passage instead of the one asked for.
    receipts_of: str | None = None
    pushes_reaching_hq: int = 0
    #: Pushes 2 and 3 meet before reaching HQ, then go on together: a post that does not keep
    #: two pushes in flight breaks the barrier (its push fails after 5 s).
    pair_second_and_third: bool = False
    #: "start N" / "end N" of each push, in the order they happened.
    push_timeline: list[str] = field(default_factory=list)
    _pair: threading.Barrier = field(default_factory=lambda: threading.Barrier(2, timeout=5))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self._handle)

    def client(self) -> httpx.Client:
        return httpx.Client(transport=self.transport(), base_url=HQ_URL)

    def _handle(self, request: httpx.Request) -> httpx.Response:
        is_push = request.url.path == PUSH_PATH
        if not is_push:
            return self._forward(request, is_push)
        with self._lock:
            number = sum(1 for moment in self.push_timeline if moment.startswith("start")) + 1
            self.push_timeline.append(f"start {number}")
        if self.pair_second_and_third and number in (2, 3):
            self._pair.wait()
        try:
            return self._forward(request, is_push)
        finally:
            with self._lock:
                self.push_timeline.append(f"end {number}")

    def _forward(self, request: httpx.Request, is_push: bool) -> httpx.Response:
        if is_push and self.fail_pushes:
            status = self.fail_pushes.pop(0)
            return httpx.Response(status, json={"error": "Gateway", "message": f"{status}"})
        if self.receipts_of is not None and request.url.path.endswith("/receipt"):
            path = f"/api/v1/passages/{self.receipts_of}/receipt"
            request = httpx.Request("GET", request.url.copy_with(path=path))
        if self.publish_first:
            self.hq.publish()
        answer = self.hq.client.send(request)
        if is_push:
            self.pushes_reaching_hq += 1
            if self.lose_next_push_answer:
                self.lose_next_push_answer = False
                if self.lost_answer_status is None:
                    raise httpx.ReadError("the connection dropped", request=request)
                return httpx.Response(self.lost_answer_status, text="gateway timeout")
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)


def make_hq(directory: Path, post_keys: dict[str, bytes], keys: HqKeys | None = None) -> RealHq:
    """A fresh HQ data directory with ``post_keys`` registered, the test registries, and its app."""
    datadir, store, made = init_hq(directory, default_scenario_path(), keys=keys)
    try:
        for post, public_key in post_keys.items():
            register_key(store, "lachin", made.admin, post, ROLE_POST, public_key, KEYS_SINCE)
        register_vehicles(store, VEHICLES, PERMITS)
    finally:
        store.dispose()
    return RealHq(datadir.path, made)


@pytest.fixture
def post_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "post"
    init_post(directory, POST, HQ_URL, default_scenario_path())
    return directory


@pytest.fixture
def clock() -> Callable[[], datetime]:
    return lambda: NOW


@pytest.fixture
def node(post_dir: Path, clock: Callable[[], datetime]) -> Iterator[PostNode]:
    opened = PostNode.open(post_dir, clock=clock)
    yield opened
    opened.close()


@pytest.fixture
def hq(tmp_path: Path, node: PostNode) -> Iterator[RealHq]:
    """The real HQ, with this post's key registered."""
    real = make_hq(tmp_path / "hq", {POST: node.key.public_key})
    yield real
    real.close()


@pytest.fixture
def link(hq: RealHq) -> HqLink:
    return HqLink(hq)


@pytest.fixture
def hq_client(link: HqLink) -> Iterator[httpx.Client]:
    with link.client() as client:
        yield client


@pytest.fixture
def sync(node: PostNode, hq_client: httpx.Client) -> Iterator[SyncClient]:
    client = SyncClient(node, hq_client, sleep=lambda _seconds: None)
    yield client
    client.close()


@pytest.fixture
def pulled(node: PostNode, sync: SyncClient) -> PostNode:
    """The node after its first registry pull (it can record passages now)."""
    sync.pull_registry()
    return node


@pytest.fixture
def operator(node: PostNode) -> tuple[str, str]:
    add_operator(node.store, "amira", POST, PASSWORD, hasher=FAST_HASHER)
    return "amira", PASSWORD


@pytest.fixture
def console_app(pulled: PostNode, operator: tuple[str, str]) -> FastAPI:
    return create_post_app(pulled)


@pytest.fixture
def console(console_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(console_app, base_url="http://127.0.0.1:8100") as client:
        yield client


def csrf_of(client: TestClient) -> str:
    token = client.cookies.get("corridor_csrf")
    assert token, "the page set no CSRF cookie"
    return str(token)


def log_in(client: TestClient, username: str = "amira", password: str = PASSWORD) -> None:
    client.get("/login")
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf": csrf_of(client)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
