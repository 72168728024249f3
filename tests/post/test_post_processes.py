"""A post and HQ as real processes (`corridor serve --role hq|post`): a passage saved at the
console reaches HQ's log through the background sync loop, survives a power cut of the post
(SIGKILL right after "saved"), and the post stops cleanly on Ctrl-C."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from corridor.hq.provision import init_hq
from corridor.hq.registry import ROLE_POST, register_key
from corridor.post.auth import add_operator
from corridor.post.setup import init_post
from corridor.sim.scenario import default_scenario_path
from tests.post.conftest import FAST_HASHER, PASSWORD
from tests.post.test_post_console import PASSAGE
from tests.processes import CorridorProcess, free_port

pytestmark = pytest.mark.slow

FAST = {"CORRIDOR_SYNC_INTERVAL": "0.2", "CORRIDOR_PUBLISH_INTERVAL": "0.2"}


@pytest.fixture
def hq_url(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    datadir, store, keys = init_hq(tmp_path / "hq", default_scenario_path())
    setup = init_post(tmp_path / "post", "P01", "http://127.0.0.1:1", default_scenario_path())
    since = datetime(2020, 12, 1, tzinfo=UTC)
    register_key(store, "lachin", keys.admin, "P01", ROLE_POST, setup.public_key, since)
    add_operator(store, "amira", "P01", PASSWORD, hasher=FAST_HASHER)
    store.dispose()
    port = free_port()
    hq = CorridorProcess(
        ["serve", "--role", "hq", "--dir", str(datadir.path), "--port", str(port)],
        tmp_path / "hq.log",
        FAST,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        hq.wait_http(url + "/log/checkpoint")
        yield url, setup.datadir.path
    finally:
        hq.stop()


def start_post(directory: Path, hq: str, log: Path) -> tuple[CorridorProcess, str]:
    port = free_port()
    args = ["serve", "--role", "post", "--dir", str(directory), "--port", str(port)]
    process = CorridorProcess([*args, "--hq", hq], log, FAST)
    url = f"http://127.0.0.1:{port}"
    process.wait_http(url + "/login")
    return process, url


def log_in(client: httpx.Client, timeout: float = 20.0) -> str:
    """Log in as the operator HQ added; it reaches the post with the first registry pull."""
    deadline = time.monotonic() + timeout
    while True:
        client.get("/login")
        csrf = client.cookies["corridor_csrf"]
        data = {"username": "amira", "password": PASSWORD, "csrf": csrf}
        answer = client.post("/login", data=data)
        if answer.status_code == 303:
            return str(client.cookies["corridor_csrf"])
        assert time.monotonic() < deadline, "the operator never arrived with the registry"
        time.sleep(0.2)


def wait_for(client: httpx.Client, pattern: str, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        page = client.get("/console").text
        if re.search(pattern, page, re.S):
            return page
        assert time.monotonic() < deadline, f"{pattern!r} never appeared on the console"
        time.sleep(0.2)


def test_saved_passages_reach_hq_and_survive_a_power_cut(
    hq_url: tuple[str, Path], tmp_path: Path
) -> None:
    hq, post_dir = hq_url
    post, url = start_post(post_dir, hq, tmp_path / "post1.log")
    try:
        with httpx.Client(base_url=url) as client:
            csrf = log_in(client)
            saved = client.post("/console/passages", data={**PASSAGE, "csrf": csrf})
            assert saved.status_code == 303 and saved.headers["location"] == "/console?saved=1"
            wait_for(client, r"logged at index \d+")
            # A power cut right after the second "saved": the row is on disk, maybe not pushed.
            saved = client.post("/console/passages", data={**PASSAGE, "csrf": csrf})
            assert saved.headers["location"] == "/console?saved=2"
        post.kill()
        post, url = start_post(post_dir, hq, tmp_path / "post2.log")
        with httpx.Client(base_url=url) as client:
            log_in(client)
            page = wait_for(client, r'<dd id="synced">2</dd>')
            assert '<dd id="pending">0</dd>' in page
            wait_for(client, r"receipt</a>.*receipt</a>", timeout=20)
    finally:
        post.stop()
    assert post.process.returncode == 0, post.log.read_text()
    checkpoint = httpx.get(f"{hq}/log/checkpoint").text
    assert int(checkpoint.splitlines()[1]) >= 4  # two registrations and two passages
