"""Fixtures of the workspace tests: a fresh HQ data directory (real SQLite store, real keys),
one user per role, the HQ app with its workspace over a feed the tests publish to, and helpers
to log in through the real log-in form."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI

from corridor.hq.live import LiveFeed
from corridor.hq.provision import init_hq
from corridor.hq.services import HqServices
from corridor.hq.vehicles import RegisteredVehicle, register_vehicles
from corridor.model.vocabulary import VehicleClass
from corridor.post.auth import add_operator
from corridor.sim.scenario import default_scenario_path
from corridor.store.engine import Store
from corridor.store.schema import crews
from corridor.web.app import create_app
from corridor.web.coordinator import Workspace, access
from tests.hq.alert_rows import insert_alert  # noqa: F401  (for the tests here)
from tests.post.conftest import FAST_HASHER, PASSWORD

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=r"Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

#: One HQ user per role, named after it.
ROLES = ("viewer", "coordinator", "admin")
PLATES = ("34 AA 101", "34 AA 102", "34 AA 103")


@dataclass
class Hq:
    store: Store
    services: HqServices
    feed: LiveFeed
    app: FastAPI


@pytest.fixture(scope="module")
def hq(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hq]:
    directory = tmp_path_factory.mktemp("hq") / "corridor-hq"
    datadir, store, _keys = init_hq(directory, default_scenario_path())
    services = HqServices.for_datadir(datadir, store)
    for role in ROLES:
        add_operator(store, role, None, PASSWORD, role, hasher=FAST_HASHER)
    register_vehicles(store, [RegisteredVehicle(p, VehicleClass.BUS) for p in PLATES])
    with store.write() as conn:
        conn.execute(crews.insert().values(crew_id="K1", name="Road repair crew 1"))
    workspace = Workspace(feed=services.live, hasher=FAST_HASHER, heartbeat=0.2, stream_max_age=0.6)
    app = create_app(store, datadir.scenario(), simulated=True, hq=services, workspace=workspace)
    yield Hq(store, services, services.live, app)
    services.live.close()
    store.dispose()


@pytest.fixture(scope="module")
def client(hq: Hq) -> Iterator[TestClient]:
    with TestClient(hq.app, follow_redirects=False) as test_client:
        yield test_client


Login = Callable[[str], TestClient]


@pytest.fixture
def login(hq: Hq) -> Iterator[Login]:
    """``login(role)``: a fresh in-process client logged in as that role's user."""
    opened: list[TestClient] = []

    def log_in(role: str) -> TestClient:
        client = TestClient(hq.app, follow_redirects=False)
        opened.append(client)
        log_in_client(client, role)
        return client

    yield log_in
    for client in opened:
        client.close()


def log_in_client(client: Any, username: str, password: str = PASSWORD) -> str:
    """Log ``client`` (TestClient or httpx.Client) in through the form; its CSRF token."""
    page = client.get("/hq/login")
    assert page.status_code == 200
    token = client.cookies.get(access.CSRF_COOKIE)
    answer = client.post(
        "/hq/login", data={"csrf": token, "username": username, "password": password}
    )
    assert answer.status_code == 303, answer.text
    csrf = client.cookies.get(access.CSRF_COOKIE)
    assert isinstance(csrf, str)
    return csrf
