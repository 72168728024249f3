"""The dashboard in headless Chromium (Debian's, never downloaded): map, charts, table, label,
no console errors, no request leaving the server."""

from __future__ import annotations

from pathlib import Path

import pytest

from corridor.sim.scenario import Scenario
from tests.browser import watched_page

pytestmark = pytest.mark.browser

READY = "charts map passages tiles"

CANVAS_HAS_INK = """(id) => {
  const canvas = document.getElementById(id);
  const context = canvas.getContext("2d");
  const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
  let inked = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) inked += 1;
  return inked;
}"""


def test_dashboard_draws_map_charts_and_table(
    live_server: str, chromium_path: Path, scenario: Scenario, tmp_path: Path
) -> None:
    with watched_page(live_server, chromium_path) as watched:
        page = watched.page
        page.goto(live_server + "/")
        page.wait_for_selector(f'body[data-ready="{READY}"]', timeout=20_000)

        assert page.locator("#simulated-label").is_visible()
        assert "SIMULATED DATA" in page.locator("#simulated-label").inner_text()
        assert page.locator("h1").inner_text() == "Lachin corridor / Berdzor corridor"

        assert page.locator("#map path.corridor-band").count() == 1
        assert page.locator("#map path.corridor-route").count() == 1
        posts = page.locator("#map path.corridor-post")
        assert posts.count() == len(scenario.corridor.posts)
        band_box = page.locator("#map path.corridor-band").bounding_box()
        map_box = page.locator("#map").bounding_box()
        assert band_box is not None and map_box is not None
        # Fitted to the band: it fills most of the map's height.
        assert band_box["height"] > 0.6 * map_box["height"]

        for chart in ("chart-daily", "chart-returnees", "chart-cargo"):
            assert page.evaluate(CANVAS_HAS_INK, chart) > 500, chart

        assert page.locator("#passages tbody tr").count() == 25
        assert page.locator("#tile-events").inner_text() not in ("", "…")

        posts.first.click()
        assert page.locator(".leaflet-popup-content").is_visible()
        page.locator(".leaflet-popup-close-button").click()
        page.locator(".leaflet-popup").wait_for(state="detached")

        page.locator("#more-passages").click()
        page.locator("#passages tbody tr").nth(49).wait_for()

        page.evaluate("() => window.scrollTo(0, 0)")
        screenshot = tmp_path / "dashboard.png"
        page.screenshot(path=str(screenshot), full_page=True)
        assert screenshot.stat().st_size > 10_000

    assert watched.problems == []
    assert watched.elsewhere == []
