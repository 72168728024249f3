"""The workspace in headless Chromium (Debian's): log in, open the live map, see a position and
an alert published through corridor.hq.live appear without a reload, then acknowledge the alert
from the alert list. No request leaves the server under test, no console error."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from corridor.hq.alerts import get_alert
from corridor.hq.live import ALERT, POSITION
from tests.browser import served, watched_page
from tests.post.conftest import PASSWORD
from tests.web.coordinator.conftest import Hq, insert_alert

pytestmark = pytest.mark.browser


def wait_subscribers(hq: Hq, count: int) -> None:
    deadline = time.monotonic() + 10
    while hq.feed.subscribers() < count:
        assert time.monotonic() < deadline, "the page never opened its event stream"
        time.sleep(0.05)


def test_live_map_and_alerts_update_without_reload(hq: Hq, chromium_path: Path) -> None:
    # The module's workspace ends streams every 0.6 s: the page reconnects, as after a drop.
    alert_id = insert_alert(hq.store, kind="overdue", message="bus overdue at Lachin / Berdzor")
    with served(hq.app) as url, watched_page(url, chromium_path) as watched:
        page = watched.page
        page.goto(url + "/hq/login")
        page.fill("#username", "coordinator")
        page.fill("#password", PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url(url + "/hq/")
        page.wait_for_selector('#map[data-ready="true"]', timeout=10_000)
        page.evaluate("() => { window.__loaded = performance.timeOrigin; }")
        wait_subscribers(hq, 1)
        deadline = time.monotonic() + 10
        while page.query_selector("#position-tracker-9") is None:
            assert time.monotonic() < deadline, "the position never appeared"
            hq.feed.publish(
                POSITION,
                {
                    "device_id": "tracker-9",
                    "subject_kind": "vehicle",
                    "subject": "cd" * 16,
                    "lat": 39.6,
                    "lon": 46.55,
                    "fixed_at": "2021-03-01T08:00:00Z",
                },
            )
            time.sleep(0.3)
        with hq.store.read() as conn:
            alert = get_alert(conn, alert_id)
        hq.feed.publish(ALERT, {**alert, "change": "opened"})
        page.wait_for_selector(f"#open-alert-{alert_id}", timeout=10_000)
        assert page.evaluate("() => window.__loaded") is not None  # the same document: no reload

        page.get_by_role("link", name="Alerts", exact=True).click()
        page.wait_for_selector(f"#alert-{alert_id}")
        page.click(f"#alert-{alert_id} button")
        page.wait_for_function(
            f"() => document.querySelector('#alert-{alert_id} .ack').textContent"
            ".includes('coordinator')",
            timeout=10_000,
        )
        with hq.store.read() as conn:
            assert get_alert(conn, alert_id)["acknowledged_by"] == "coordinator"
        assert not watched.elsewhere, watched.elsewhere
        assert not watched.problems, watched.problems
