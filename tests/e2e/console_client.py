"""An operator at a post's console, over HTTP, as a browser would do it: log in, open the passage
form for its CSRF token, post the form, follow the redirect to "Saved"; and the status counts."""

from __future__ import annotations

import re
import time
from typing import Any

import httpx

#: A typical passage, as the form sends it (docs/console.md).
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

_CSRF = re.compile(r'<input type="hidden" name="csrf" value="([^"]+)">')
_SAVED = re.compile(r"^/console\?saved=(\d+)$")


def csrf_token(page: str) -> str:
    """The CSRF token of the first form on ``page``."""
    found = _CSRF.search(page)
    assert found is not None, "the page has no form with a CSRF token"
    return found.group(1)


class ConsoleClient:
    """One operator's browser session at the console served at ``url``."""

    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=15.0)

    def log_in(self, username: str, password: str) -> None:
        token = csrf_token(self.http.get("/login").text)
        answer = self.http.post(
            "/login", data={"username": username, "password": password, "csrf": token}
        )
        assert answer.status_code == 303, answer.text
        assert answer.headers["location"] == "/console"

    def page(self) -> str:
        answer = self.http.get("/console")
        assert answer.status_code == 200, answer.text
        return answer.text

    def wait_until_ready(self, timeout: float = 20.0) -> None:
        """Wait until the post pulled its registry from HQ (it refuses to record before)."""
        deadline = time.monotonic() + timeout
        while "not pulled its registry" in self.page():
            assert time.monotonic() < deadline, "the post never pulled its registry"
            time.sleep(0.1)

    def record(self, **changes: str) -> int:
        """Record a passage through the form; return its number once the console said "saved"."""
        token = csrf_token(self.page())
        answer = self.http.post("/console/passages", data={**PASSAGE, **changes, "csrf": token})
        assert answer.status_code == 303, answer.text
        saved = _SAVED.match(answer.headers["location"])
        assert saved is not None, answer.headers["location"]
        seq = int(saved.group(1))
        page = self.http.get(answer.headers["location"]).text
        assert f"Saved: passage {seq} is in the outbox." in page
        return seq

    def status(self) -> dict[str, Any]:
        """Pending and synced counts, last sync and open alerts (``/console/api/status``)."""
        answer = self.http.get("/console/api/status")
        assert answer.status_code == 200, answer.text
        status: dict[str, Any] = answer.json()
        return status

    def close(self) -> None:
        self.http.close()
