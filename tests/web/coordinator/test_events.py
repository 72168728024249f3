"""The live stream over a real socket: role-filtered server-sent events (viewers never receive
positions), and every bad request answered with the project's error shape, changing nothing."""

from __future__ import annotations

import threading
import time

import httpx

from corridor.hq.live import ALERT, POSITION
from corridor.web.coordinator import access
from tests.browser import served
from tests.web.coordinator.conftest import Hq, Login, insert_alert, log_in_client


def read_events(client: httpx.Client, into: list[tuple[str, str]]) -> None:
    """Collect (event, data) pairs until the stream ends (Workspace.stream_max_age)."""
    event = ""
    with client.stream("GET", "/hq/api/events") as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("event: "):
                event = line.removeprefix("event: ")
            elif line.startswith("data: "):
                into.append((event, line.removeprefix("data: ")))


def test_viewers_never_receive_positions(hq: Hq) -> None:
    seen: dict[str, list[tuple[str, str]]] = {"viewer": [], "coordinator": []}
    with served(hq.app) as url:
        clients = {role: httpx.Client(base_url=url, timeout=5) for role in seen}
        try:
            for role, client in clients.items():
                log_in_client(client, role)
            readers = [
                threading.Thread(target=read_events, args=(clients[role], seen[role]))
                for role in seen
            ]
            for reader in readers:
                reader.start()
            deadline = time.monotonic() + 5
            while hq.feed.subscribers() < 2 and time.monotonic() < deadline:
                time.sleep(0.01)
            hq.feed.publish(POSITION, {"device_id": "t-1", "lat": 39.6, "lon": 46.5})
            hq.feed.publish(ALERT, {"id": 1, "kind": "left_band", "change": "opened"})
            for reader in readers:
                reader.join(timeout=5)
        finally:
            for client in clients.values():
                client.close()
    kinds = {role: [event for event, _ in events] for role, events in seen.items()}
    assert kinds["coordinator"] == ["hello", "position", "alert"]
    assert kinds["viewer"] == ["hello", "alert"]
    assert '"topics":["alert","sync"]' in seen["viewer"][0][1]


def test_bad_requests_get_a_clear_4xx_and_change_nothing(hq: Hq, login: Login) -> None:
    coordinator = login("coordinator")
    csrf = coordinator.cookies.get(access.CSRF_COOKIE)
    assert isinstance(csrf, str)
    alert = insert_alert(hq.store)
    header = {"X-CSRF-Token": csrf}

    missing = coordinator.post("/hq/api/alerts/999999/acknowledge", headers=header)
    assert (missing.status_code, missing.json()["error"]) == (404, "NotFoundError")
    no_token = coordinator.post(f"/hq/api/alerts/{alert}/acknowledge")
    assert no_token.status_code == 403 and "reload the page" in no_token.json()["message"]
    assert (
        coordinator.get("/hq/api/alerts?subject=" + "ab" * 16).json()["alerts"][0]["acknowledged"]
        is False
    )  # the refused requests changed nothing
    assert coordinator.post(f"/hq/api/alerts/{alert}/acknowledge", headers=header).is_success
    twice = coordinator.post(f"/hq/api/alerts/{alert}/acknowledge", headers=header)
    assert twice.status_code == 409 and "already acknowledged by coordinator" in twice.text

    for query, message in [
        ("severity=loud", "severity: one of"),
        ("limit=100000", "limit: between 1 and 500"),
        ("offset=-1", "offset: between 0"),
        ("since=today", "since:"),
        ("colour=red", "colour: not a filter"),
    ]:
        answer = coordinator.get("/hq/api/alerts?" + query)
        assert answer.status_code == 422, query
        assert answer.json() == {"error": "ValidationError", "message": answer.json()["message"]}
        assert message in answer.json()["message"], query
    page = coordinator.get("/hq/alerts?state=half")
    assert page.status_code == 422 and "state: one of open, closed" in page.text


def test_an_invalid_geojson_upload_is_refused_and_stores_nothing(hq: Hq, login: Login) -> None:
    coordinator = login("coordinator")
    csrf = coordinator.cookies.get(access.CSRF_COOKIE)
    form = {
        "csrf": str(csrf),
        "crew_id": "K1",
        "name": "bad zone",
        "active_from": "2021-03-01T06:00:00Z",
        "active_to": "2021-03-01T18:00:00Z",
    }
    before = coordinator.get("/hq/api/zones").json()["features"]
    bow_tie = b'{"type":"Polygon","coordinates":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]}'
    for raw, message in [
        (b"not json", "geojson: not JSON"),
        (b"\xff\xfe", "a GeoJSON file is UTF-8 text"),
        (
            b'{"type":"Point","coordinates":[46.5,39.6]}',
            "a zone is one Polygon, not &#x27;Point&#x27;",
        ),
        (bow_tie, "the polygon is empty"),
        (b'{"type":"Polygon","coordinates":[[[500,0],[501,1],[501,0],[500,0]]]}', "out of range"),
    ]:
        answer = coordinator.post(
            "/hq/crews/zones", data=form, files={"file": ("z.geojson", raw, "application/json")}
        )
        assert answer.status_code == 422, raw
        assert message in answer.text, raw
    assert coordinator.get("/hq/api/zones").json()["features"] == before


def test_login_is_throttled(hq: Hq, login: Login) -> None:
    client = login("viewer")
    client.post("/hq/logout", data={"csrf": str(client.cookies.get(access.CSRF_COOKIE))})
    statuses = []
    for _ in range(6):
        token = client.cookies.get(access.CSRF_COOKIE)
        answer = client.post(
            "/hq/login", data={"csrf": str(token), "username": "nobody-x", "password": "wrong"}
        )
        statuses.append(answer.status_code)
    assert statuses[:4] == [401] * 4
    assert statuses[-1] == 429
    assert "Too many failed log-ins" in answer.text and answer.headers["Retry-After"]
