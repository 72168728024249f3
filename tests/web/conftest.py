"""Fixtures of the web tests: one demo data directory for the session, an app over its real
SQLite store, an in-process client, a server on a real socket, and headless Chromium."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from corridor.datadir import DataDir
from corridor.demo.embedded import run_demo
from corridor.sim.scenario import Scenario, default_scenario_path
from corridor.store.engine import Store
from corridor.web.app import create_app
from tests.browser import served

# Starlette 1.x warns that its TestClient prefers the `httpx2` package over httpx (which the
# project depends on); the client works the same with httpx. Remove this once the dev
# environment has httpx2 (or add an `ignore` for it to pytest's filterwarnings).
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=r"Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two simulated days of the built-in scenario (seed 3), through the one ingest path."""
    directory = tmp_path_factory.mktemp("web") / "corridor-data"
    run_demo(directory, default_scenario_path(), days=2, seed=3)
    return directory


@pytest.fixture(scope="session")
def scenario(demo_dir: Path) -> Scenario:
    return DataDir(demo_dir).scenario()


@pytest.fixture(scope="session")
def store(demo_dir: Path) -> Iterator[Store]:
    opened = DataDir(demo_dir).open_store()
    yield opened
    opened.dispose()


@pytest.fixture(scope="session")
def app(store: Store, scenario: Scenario) -> FastAPI:
    return create_app(store, scenario, simulated=scenario.traffic.simulated)


@pytest.fixture(scope="session")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def live_server(app: FastAPI) -> Iterator[str]:
    """The app served by uvicorn on a free port of 127.0.0.1, in a thread; yields its base URL."""
    with served(app) as url:
        yield url


@pytest.fixture(autouse=True)
def forget_language(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test that asks for ``?lang=`` leaves a cookie in the shared client; the next test must
    start with the reader's default language again."""
    yield
    if "client" in request.fixturenames:
        request.getfixturevalue("client").cookies.clear()
