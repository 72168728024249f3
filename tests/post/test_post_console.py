"""The console over HTTP (in-process): pages render with strict headers and no inline script,
a passage goes through the form into the outbox, errors name fields, lookups, receipts."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from corridor.post.node import PostNode
from corridor.post.sync_client import SyncClient
from corridor.web.security import CONTENT_SECURITY_POLICY
from tests.post.conftest import RealHq, csrf_of, log_in

PASSAGE = {
    "plate": "34 AA 123",
    "vehicle_class": "truck",
    "direction": "inbound",
    "kind": "passed",
    "residents": "0",
    "returnees": "0",
    "crew": "2",
    "other": "0",
    "cargo_category": "food",
    "cargo_kg": "12000",
}


def test_pages_have_strict_headers_and_no_inline_script(console: TestClient) -> None:
    login = console.get("/login")
    log_in(console)
    page = console.get("/console")
    for response in (login, page):
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert response.headers["x-frame-options"] == "DENY"
        scripts = re.findall(r"<script[^>]*>", response.text)
        assert all(' src="' in tag for tag in scripts)
        assert not re.search(r"\son[a-z]+=", response.text)  # no inline event handlers
        assert "style=" not in response.text
    assert '<script src="/static/vendor/jsqr/jsQR.js" defer>' in page.text
    assert console.get("/static/vendor/jsqr/jsQR.js").status_code == 200
    assert console.get("/console/static/console.js").status_code == 200


def test_the_console_shows_the_form_counts_and_shortcuts(console: TestClient) -> None:
    log_in(console)
    page = console.get("/console").text
    assert 'id="plate"' in page and "autofocus" in page
    assert "inbound (Kornidzor → Stepanakert / Khankendi)" in page
    assert "(Alt+D)" in page
    assert '<dd id="pending">0</dd>' in page
    assert '<dd id="last-sync">never</dd>' in page
    assert "not pulled its registry" not in page
    # Tab order follows the page: plate, class, direction, decision, reason, people, cargo.
    fields = re.findall(r"<(?:input|select)[^>]*>", page)
    ids = [re.findall(r' id="([^"]+)"', f) for f in fields if 'type="hidden"' not in f]
    order = [found[0] for found in ids if found]
    expected = ["plate", "vehicle_class", "direction", "kind", "reason", "residents", "returnees"]
    assert order[: len(expected)] == expected
    assert order.index("cargo-kg-0") < order.index("convoy")
    assert "tabindex" not in page


def test_a_passage_recorded_through_the_form_is_saved(
    console: TestClient, pulled: PostNode
) -> None:
    log_in(console)
    response = console.post(
        "/console/passages", data={**PASSAGE, "csrf": csrf_of(console)}, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/console?saved=1"
    assert pulled.counts().pending == 1  # committed before the redirect was sent
    row = pulled.row(1)
    assert row.operator == "amira" and row.private.plate == "34 AA 123"
    page = console.get(response.headers["location"]).text
    assert "Saved: passage 1 is in the outbox." in page
    assert '<dd id="pending">1</dd>' in page
    assert re.search(r'<tr data-seq="1" data-state="pending">.*?34 AA 123', page, re.S)


def test_an_invalid_passage_is_not_saved_and_names_its_field(
    console: TestClient, pulled: PostNode
) -> None:
    log_in(console)
    response = console.post(
        "/console/passages",
        data={**PASSAGE, "kind": "denied", "crew": "3", "csrf": csrf_of(console)},
    )
    assert response.status_code == 422
    assert "reason: a denied passage needs a reason code" in response.text
    assert re.search(r'<select id="reason"[^>]*aria-invalid="true"', response.text)
    assert 'data-error-target="reason"' in response.text
    assert (
        'value="34 AA 123"' in response.text
        and 'id="crew" name="crew" inputmode="numeric" value="3"' in response.text
    )
    assert "Saved" not in response.text
    assert pulled.counts().pending == 0
    response = console.post(
        "/console/passages",
        data={**PASSAGE, "cargo_kg": "", "csrf": csrf_of(console)},
    )
    assert "cargo[0].kg: food cargo has no weight" in response.text
    assert 'data-error-target="cargo-kg-0"' in response.text


def test_plate_completion_and_permit_lookup(console: TestClient) -> None:
    log_in(console)
    found = console.get("/console/api/vehicles", params={"prefix": "34a"}).json()
    assert found == {
        "vehicles": [
            {"plate": "34 AA 123", "vehicle_class": "truck"},
            {"plate": "34 AB 777", "vehicle_class": "bus"},
        ]
    }
    assert console.get("/console/api/vehicles", params={"prefix": "34AA-1"}).json()["vehicles"] == [
        {"plate": "34 AA 123", "vehicle_class": "truck"}
    ]
    permit = console.get("/console/api/permits/PRM-2023-0042").json()
    assert permit["plate"] == "34 AB 777" and permit["vehicle_class"] == "bus"
    missing = console.get("/console/api/permits/NOPE")
    assert missing.status_code == 404 and "no permit" in missing.json()["message"]
    # Without JavaScript the permit box is a GET form that fills the passage form.
    page = console.get("/console", params={"permit": "PRM-2023-0042"}).text
    assert 'id="plate" name="plate"' in page and 'value="34 AB 777"' in page
    assert 'name="permit" id="permit" value="PRM-2023-0042"' in page
    assert re.search(r'<option value="bus" selected>', page)


def test_status_endpoint(console: TestClient, pulled: PostNode, sync: SyncClient) -> None:
    log_in(console)
    console.post("/console/passages", data={**PASSAGE, "csrf": csrf_of(console)})
    assert console.get("/console/api/status").json() == {
        "pending": 1,
        "synced": 0,
        "last_sync_at": None,
        "alerts": 0,
    }
    sync.push_once()
    status = console.get("/console/api/status").json()
    assert (status["pending"], status["synced"]) == (0, 1)
    assert status["last_sync_at"] == "2023-03-01T09:30:00Z"


def test_receipts_once_logged(
    console: TestClient, pulled: PostNode, sync: SyncClient, hq: RealHq
) -> None:
    log_in(console)
    console.post("/console/passages", data={**PASSAGE, "csrf": csrf_of(console)})
    early = console.get("/console/passages/1/receipt")
    assert early.status_code == 404 and "no receipt yet" in early.text
    sync.push_once()
    sync.fetch_receipts()
    index = hq.index_of(pulled.row(1).event_id)
    assert pulled.row(1).log_index == index
    page = console.get("/console").text
    assert f"logged at index {index}" in page
    assert 'href="/console/passages/1/receipt"' in page
    receipt = console.get("/console/passages/1/receipt")
    assert receipt.status_code == 200
    assert f'<strong id="log-index">{index}</strong>' in receipt.text
    assert "c2sp.org/tlog-proof@v1" in receipt.text
    assert "34 AA 123" not in receipt.text  # the receipt shows public fields only
    assert pulled.row(1).public.vehicle in receipt.text
    qr = console.get("/console/passages/1/receipt.png")
    assert qr.headers["content-type"] == "image/png" and qr.content.startswith(b"\x89PNG")
    assert console.get("/console/passages/9/receipt").status_code == 404


def test_a_post_without_registry_says_so(node: PostNode, operator: tuple[str, str]) -> None:
    from corridor.web.console import create_post_app

    with TestClient(create_post_app(node)) as client:
        log_in(client)
        page = client.get("/console").text
        assert "not pulled its registry from HQ yet" in page
        response = client.post("/console/passages", data={**PASSAGE, "csrf": csrf_of(client)})
        assert response.status_code == 400
        assert "must sync its registry with HQ once" in response.text


def test_alerts_are_shown_and_acknowledged(console: TestClient, pulled: PostNode) -> None:
    pulled.raise_alert("push_conflict", "HQ refused the push (409): event already logged")
    log_in(console)
    page = console.get("/console").text
    assert 'data-kind="push_conflict"' in page and "event already logged" in page
    (alert_id,) = [a["id"] for a in pulled.open_alerts()]
    url = f"/console/alerts/{alert_id}/acknowledge"
    assert console.post(url, data={}).status_code == 403
    response = console.post(url, data={"csrf": csrf_of(console)}, follow_redirects=False)
    assert response.status_code == 303
    assert pulled.open_alerts() == []
    assert 'data-kind="push_conflict"' not in console.get("/console").text
    assert (
        console.post("/console/alerts/999/acknowledge", data={"csrf": csrf_of(console)}).status_code
        == 404
    )
