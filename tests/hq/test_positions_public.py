"""Positions are private: after HQ has stored positions, nothing the public can reach, anonymous
requests to every route of HQ's web app, returns a coordinate or a device id; and no public
module reads the positions or devices tables."""

from __future__ import annotations

import ast
from pathlib import Path

import httpx
import pytest

from corridor.datadir import DataDir
from corridor.demo.embedded import run_demo
from corridor.hq.osmand import PositionReport
from corridor.hq.positions import PositionIntake
from corridor.sim.scenario import default_scenario_path
from corridor.web.app import create_app_for_dir
from tests.browser import served
from tests.conftest import REPO

# Distinctive values: if any of them appears in an answer, a position leaked.
LAT, LON, DEVICE = 39.5123457, 46.6198765, "SECRETTRACKER42"
SECRETS = ("39.51234", "46.61987", DEVICE)
#: The pages, and the coordinators' workspace asked without a session (which must refuse).
PAGES = ("/", "/log/checkpoint", "/hq/", "/hq/alerts", "/hq/registry", "/hq/crews")
PAGES += ("/hq/api/me", "/hq/api/alerts", "/hq/api/positions", "/hq/api/zones", "/hq/api/posts")
#: Packages and modules that serve the public: pages, API, log, reports, audit.
PUBLIC = ("web/api", "web/pages", "web/log.py", "web/app.py", "reports", "audit")


@pytest.fixture(scope="module")
def hq_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("public") / "hq"
    run_demo(directory, default_scenario_path(), days=1, seed=5)
    store = DataDir(directory).open_store()
    intake = PositionIntake(store, b"k" * 32)  # HQ's own clock: the fixes are "now"
    intake.keep([PositionReport(DEVICE, LAT, LON, None, speed_mps=12.5)])
    intake.keep([PositionReport(DEVICE, LAT + 0.0001, LON, None)])
    store.dispose()
    return directory


def test_no_anonymous_answer_of_the_hq_app_holds_a_position(hq_dir: Path) -> None:
    app = create_app_for_dir(hq_dir)
    api = [p for p, ops in app.openapi()["paths"].items() if "get" in ops and "{" not in p]
    assert "/api/v1/passages" in api
    urls = {*api, *PAGES, "/log/tile/entries/000", "/log/tile/0/000"}
    with served(app) as base, httpx.Client(base_url=base, follow_redirects=True) as client:
        checked = 0
        for url in sorted(urls):
            answer = client.get(url)
            body = answer.content.decode("utf-8", "replace")
            for secret in SECRETS:
                assert secret not in body, f"{url} answered {secret!r}"
            checked += answer.status_code == 200
    assert checked >= 6


def test_no_public_module_reads_positions_or_devices() -> None:
    package = REPO / "src" / "corridor"
    files = [
        path
        for part in PUBLIC
        for path in ([package / part] if part.endswith(".py") else (package / part).rglob("*.py"))
    ]
    assert len(files) > 10
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "corridor.store.schema":
                names = {alias.name for alias in node.names}
                assert not names & {"positions", "devices"}, f"{path} imports {names}"
            if isinstance(node, ast.ImportFrom) and node.module is not None:
                assert node.module not in ("corridor.hq.positions", "corridor.hq.devices"), path
