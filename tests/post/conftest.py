"""Fixtures of the post tests: a post data directory (P01 of the built-in scenario), a fake but
real HQ app (tests/post/fakehq.py), in-process clients, a sync client, and the console app."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI

from corridor.post.auth import add_operator
from corridor.post.node import PostNode
from corridor.post.setup import init_post
from corridor.post.sync_client import SyncClient
from corridor.sim.scenario import default_scenario_path
from corridor.web.console import create_post_app
from tests.post.fakehq import FakeHq

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=r"Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

POST = "P01"
HQ_URL = "http://hq.test"
PASSWORD = "correct horse battery"
#: A fixed "now" inside the scenario's mandate.
NOW = datetime(2023, 3, 1, 9, 30, tzinfo=UTC)
#: Cheap Argon2 parameters so that tests log in fast (production uses the library defaults).
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)

VEHICLES = [
    {"plate": "34AA123", "plate_display": "34 AA 123", "vehicle_class": "truck", "registered": 1},
    {"plate": "34AB777", "plate_display": "34 AB 777", "vehicle_class": "bus", "registered": 1},
    {"plate": "10XY001", "plate_display": "10 XY 001", "vehicle_class": "car", "registered": 1},
]
PERMITS = [
    {
        "code": "PRM-2023-0042",
        "plate": "34AB777",
        "valid_from": "2023-01-01T00:00:00Z",
        "valid_to": "2023-12-31T00:00:00Z",
    }
]


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
def hq(node: PostNode) -> FakeHq:
    return FakeHq(
        post_keys={POST: node.key.public_key},
        vehicles=[dict(v) for v in VEHICLES],
        permits=[dict(p) for p in PERMITS],
    )


@pytest.fixture
def hq_client(hq: FakeHq) -> Iterator[TestClient]:
    with TestClient(hq.app(), base_url=HQ_URL) as client:
        yield client


@pytest.fixture
def sync(node: PostNode, hq_client: TestClient) -> Iterator[SyncClient]:
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
