"""Drawing a crew's zone on the crews page, in headless Chromium (Debian's): a coordinator logs
in, draws a polygon inside the band by clicking on the map with Leaflet.draw's polygon tool and
saves it, and the registry holds the zone at the clicked corners; a polygon drawn off the band
is refused with the server's reason and stores nothing; a removed drawing leaves no file. The
toolbar's icons load from the vendored sprites, no request leaves the server, no console error."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Page, Response

from corridor.geo.band import geometry_for
from corridor.hq.crews import CrewZone, list_zones
from corridor.model.corridor import Corridor, LonLat
from tests.browser import WatchedPage, served, watched_page
from tests.post.conftest import PASSWORD
from tests.web.coordinator.conftest import Hq

pytestmark = pytest.mark.browser

DAY = date(2021, 3, 1)
WINDOW = ("2021-03-01T06:00:00Z", "2021-03-01T18:00:00Z")
#: About 330 m north-south, 260 m east-west at the corridor's latitude: a road section.
STEP = 0.003
#: Zoomed in this far a pixel is about 4 m, so a click lands within a few metres of its aim.
ZOOM = 15

#: What Chromium logs when the server refuses the form (422): the refusal the test expects.
REFUSED = (
    "console error: Failed to load resource: the server responded with a status of 422 "
    "(Unprocessable Entity)"
)
#: The viewport position (integers, as a mouse clicks) of (lon, lat) on the zone map.
TO_SCREEN = """([lon, lat]) => {
  const map = CorridorWorkspace.maps["zone-map"], el = map.getContainer();
  const box = el.getBoundingClientRect(), p = map.latLngToContainerPoint([lat, lon]);
  return [Math.round(box.left + el.clientLeft + p.x), Math.round(box.top + el.clientTop + p.y)];
}"""
#: The (lon, lat) under a viewport position: where a click there lands.
FROM_SCREEN = """([x, y]) => {
  const map = CorridorWorkspace.maps["zone-map"], el = map.getContainer();
  const box = el.getBoundingClientRect();
  const at = map.containerPointToLatLng([x - box.left - el.clientLeft, y - box.top - el.clientTop]);
  return [at.lng, at.lat];
}"""


def corridor_of(hq: Hq) -> Corridor:
    corridor: Corridor = hq.app.state.context.corridor
    return corridor


def square(centre: LonLat) -> list[LonLat]:
    """Four corners around ``centre``, anticlockwise."""
    lon, lat = centre
    return [
        (lon - STEP, lat - STEP),
        (lon + STEP, lat - STEP),
        (lon + STEP, lat + STEP),
        (lon - STEP, lat + STEP),
    ]


def on_the_road(corridor: Corridor) -> list[LonLat]:
    geometry = geometry_for(corridor)
    corners = square(geometry.point_at_chainage(30_000, DAY))
    assert all(geometry.contains(lon, lat, DAY) for lon, lat in corners)
    return corners


def off_the_road(corridor: Corridor) -> list[LonLat]:
    geometry = geometry_for(corridor)
    lon, lat = geometry.point_at_chainage(30_000, DAY)
    corners = square((lon - 0.12, lat + 0.1))
    # Every corner far outside the 2.5 km half-width: the small square cannot reach the band.
    assert all(geometry.distance_from_route_m(x, y, DAY) > 6_000 for x, y in corners)
    return corners


@pytest.fixture
def browser(hq: Hq, chromium_path: Path) -> Iterator[tuple[str, WatchedPage, list[Response]]]:
    """A watched page logged in as the coordinator, and every response it received."""
    with served(hq.app) as url, watched_page(url, chromium_path) as watched:
        responses: list[Response] = []
        watched.page.on("response", lambda response: responses.append(response))
        page = watched.page
        page.goto(url + "/hq/login")
        page.fill("#username", "coordinator")
        page.fill("#password", PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url(url + "/hq/")
        yield url, watched, responses
        # The one failure allowed is the refusal of a zone off the band, and its console line.
        failed = [f"{r.status} {r.url}" for r in responses if r.status >= 400]
        assert failed in ([], [f"422 {url}/hq/crews/zones"]), failed
        assert not watched.elsewhere, watched.elsewhere
        assert [p for p in watched.problems if p != REFUSED] == [], watched.problems


def open_zone_form(page: Page, url: str, name: str) -> None:
    page.goto(url + "/hq/crews")
    page.wait_for_selector('#zone-map[data-ready="true"]', timeout=10_000)
    page.select_option("#z-crew", "K1")
    page.fill("#z-name", name)
    page.fill("#z-from", WINDOW[0])
    page.fill("#z-to", WINDOW[1])
    page.locator("#z-from").dispatch_event("change")
    page.wait_for_selector(f'#zone-map[data-day="{DAY.isoformat()}"]', timeout=10_000)


def draw(page: Page, corners: Sequence[LonLat]) -> list[LonLat]:
    """Draw ``corners`` with the polygon tool, as a mouse would; where the clicks landed."""
    lon, lat = corners[0]
    page.evaluate(
        "([lon, lat, zoom]) => CorridorWorkspace.maps['zone-map']"
        ".setView([lat, lon], zoom, { animate: false })",
        [lon + STEP, lat + STEP, ZOOM],
    )
    page.locator("#zone-map").scroll_into_view_if_needed()
    page.get_by_role("link", name="Draw the zone (click each corner)").click()
    landed = []
    for corner in corners:
        x, y = page.evaluate(TO_SCREEN, list(corner))
        page.mouse.click(x, y)
        # Leaflet.draw ignores a press within 50 ms of the last corner; a hand is never faster.
        page.wait_for_timeout(150)
        landed.append(tuple(page.evaluate(FROM_SCREEN, [x, y])))
    page.locator(".leaflet-draw-actions a", has_text="Finish").click()
    page.wait_for_function(
        f"() => document.getElementById('zone-drawn').textContent"
        f".startsWith('Drawn zone: {len(corners)} corners')"
    )
    return landed


def drag_corner(page: Page, corner: LonLat, by: tuple[int, int]) -> LonLat:
    """Move a drawn corner with the edit tool by ``by`` pixels; where it lands."""
    page.get_by_role("link", name="Move the drawn zone's corners").click()
    x, y = page.evaluate(TO_SCREEN, list(corner))
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + by[0], y + by[1], steps=8)
    page.mouse.up()
    landed: list[float] = page.evaluate(FROM_SCREEN, [x + by[0], y + by[1]])
    return (landed[0], landed[1])


def drawn_file(page: Page) -> str | None:
    """The text of the file the form would send, or None."""
    text: str | None = page.evaluate(
        "async () => { const f = document.getElementById('z-file').files[0];"
        " return f ? await f.text() : null; }"
    )
    return text


def stored(hq: Hq, name: str) -> list[CrewZone]:
    return [zone for zone in list_zones(hq.store, "K1") if zone.name == name]


def test_a_zone_drawn_inside_the_band_is_stored_where_it_was_clicked(
    hq: Hq, browser: tuple[str, WatchedPage, list[Response]]
) -> None:
    url, watched, responses = browser
    page = watched.page
    open_zone_form(page, url, "Drawn at km 30")
    corners = on_the_road(corridor_of(hq))
    landed = draw(page, corners)
    first = drawn_file(page)
    # Edited before saving: the moved corner is what the form sends, without the toolbar's Save.
    landed[2] = drag_corner(page, landed[2], (40, -30))
    corners[2] = landed[2]
    page.wait_for_function(
        "first => document.getElementById('z-file').files[0].text().then(t => t !== first)",
        arg=first,
    )
    page.get_by_role("button", name="Save zone").click()
    page.wait_for_url(url + "/hq/crews")
    assert page.locator("#crews", has_text="Drawn at km 30").count() == 1

    [zone] = stored(hq, "Drawn at km 30")
    assert (zone.active_from, zone.active_to) == WINDOW
    ring = zone.geometry["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) == len(corners) + 1
    for (lon, lat), (clicked_lon, clicked_lat), (aim_lon, aim_lat) in zip(
        ring[:-1], landed, corners, strict=True
    ):
        # Within half a pixel (2 m) of where the click or drag landed, a pixel of its aim.
        assert abs(lon - clicked_lon) < 2e-5 and abs(lat - clicked_lat) < 2e-5, ring
        assert abs(lon - aim_lon) < 5e-5 and abs(lat - aim_lat) < 5e-5, ring

    # The toolbar drew its icons from the vendored sprites (the CSS's own SVG is not vendored).
    sprites = [r for r in responses if "/static/vendor/leaflet-draw/images/spritesheet" in r.url]
    assert sprites and all(r.status == 200 for r in sprites), [r.url for r in responses]
    image = page.eval_on_selector(
        ".leaflet-draw-draw-polygon", "a => getComputedStyle(a).backgroundImage"
    )
    assert "/static/vendor/leaflet-draw/images/spritesheet" in image and ".svg" not in image


def test_a_zone_drawn_off_the_band_is_refused_and_a_removed_drawing_sends_nothing(
    hq: Hq, browser: tuple[str, WatchedPage, list[Response]]
) -> None:
    url, watched, _responses = browser
    page = watched.page
    before = list_zones(hq.store)
    open_zone_form(page, url, "Drawn off the road")
    corridor = corridor_of(hq)

    # Drawn, then removed: the form is left without a file, so the browser asks for one.
    draw(page, on_the_road(corridor))
    page.get_by_role("button", name="Remove the drawn zone").click()
    page.wait_for_function(
        "() => document.getElementById('zone-drawn').textContent === 'No zone drawn.'"
    )
    assert drawn_file(page) is None
    assert page.eval_on_selector("#z-file", "input => input.validity.valueMissing")

    draw(page, off_the_road(corridor))
    page.get_by_role("button", name="Save zone").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "422 ValidationError"
    assert (
        "geojson: the zone does not meet the corridor band"
        in page.locator("[role=alert]").inner_text()
    )
    assert list_zones(hq.store) == before
    assert not stored(hq, "Drawn off the road")
