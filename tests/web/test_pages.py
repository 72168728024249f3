"""The dashboard page, the app factory over a data directory, and the privacy boundary."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from corridor.errors import ConfigError
from corridor.sim.scenario import Scenario
from corridor.store.engine import Store
from corridor.web.app import create_app, create_app_for_dir


def test_dashboard_names_the_corridor_and_says_simulated(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "Lachin corridor / Berdzor corridor" in page
    assert "Kornidzor and Stepanakert / Khankendi" in page
    assert 'id="simulated-label"' in page and "SIMULATED DATA" in page


def test_dashboard_loads_nothing_from_elsewhere(client: TestClient) -> None:
    page = client.get("/").text
    references = re.findall(r'(?:src|href)="([^"]*)"', page)
    assert references, "the page links its scripts and styles"
    for reference in references:
        assert not re.match(r"^(?:[a-z]+:)?//", reference), reference
    # No inline scripts or handlers: the CSP would block them anyway. A JSON data block (the
    # script's translated words) is data, not script: the browser never runs it.
    assert re.search(r'<script(?![^>]*\b(?:src=|type="application/json"))[^>]*>', page) is None
    assert re.search(r"\son[a-z]+=", page) is None
    assert "style=" not in page


def test_real_data_has_no_simulated_label(store: Store, scenario: Scenario) -> None:
    real = TestClient(create_app(store, scenario, simulated=False))
    page = real.get("/").text
    assert "SIMULATED" not in page
    assert real.get("/api/v1/summary").json()["simulated"] is False


def test_app_for_a_data_directory(demo_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CORRIDOR_DATABASE_URL", raising=False)
    app = create_app_for_dir(demo_dir)
    try:
        with TestClient(app) as client:
            assert client.get("/api/v1/summary").json()["events"] > 0
            assert "SIMULATED DATA" in client.get("/").text
    finally:
        app.state.context.store.dispose()


def test_app_for_something_else_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a corridor data directory"):
        create_app_for_dir(tmp_path)
    with pytest.raises(ConfigError, match="not a corridor data directory"):
        create_app_for_dir(tmp_path / "missing")


def _private_values(store: Store) -> set[str]:
    values: set[str] = set()
    with store.read() as conn:
        for (record,) in conn.execute(text("SELECT record FROM private_records")):
            data = json.loads(record)
            values.update([data["plate"], data["driver"], *data["documents"], data["notes"]])
            for person in data["manifest"]:
                values.update(person.values())
    return {value for value in values if len(value) >= 6}


def test_no_private_field_reaches_any_response(client: TestClient, store: Store) -> None:
    private = _private_values(store)
    assert any(value.startswith("SIM ") for value in private), "the sim's plates are private"
    assert any(value.startswith("Simulated driver") for value in private)
    bodies = [
        client.get(path).text
        for path in (
            "/",
            "/api/v1/corridor",
            "/api/v1/summary",
            "/api/v1/counts/daily",
            "/api/v1/returnees",
            "/api/v1/cargo",
            "/api/v1/openapi.json",
        )
    ]
    before: int | None = None
    while True:
        page = client.get(
            "/api/v1/passages?limit=500" + ("" if before is None else f"&before={before}")
        )
        bodies.append(page.text)
        for passage in page.json()["passages"][::50]:
            bodies.append(client.get(f"/api/v1/passages/{passage['event_id']}").text)
        before = page.json()["next_before"]
        if before is None:
            break
    everything = "\n".join(bodies)
    assert "SIM " not in everything
    assert "Simulated driver" not in everything
    leaked = sorted(value for value in private if value in everything)
    assert leaked == []


def test_dashboard_answers_head(client: TestClient) -> None:
    response = client.head("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")


def test_the_dashboard_shows_the_log_key_and_how_to_audit(client: TestClient) -> None:
    vkey = client.get("/log/vkey").text.strip()
    page = client.get("/").text
    assert f'<code class="vkey" id="log-vkey">{vkey}</code>' in page
    assert f"corridor audit http://testserver/log/ --vkey {vkey}" in page
