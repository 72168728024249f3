"""The app over a real socket: uvicorn in a thread, plain HTTP requests."""

from __future__ import annotations

import httpx


def test_dashboard_and_summary_over_a_socket(live_server: str) -> None:
    with httpx.Client(base_url=live_server, timeout=10) as client:
        page = client.get("/")
        assert page.status_code == 200
        assert "SIMULATED DATA" in page.text
        summary = client.get("/api/v1/summary")
        assert summary.status_code == 200
        assert summary.json()["events"] > 0
        assert summary.headers["content-security-policy"].startswith("default-src 'self'")
