"""The console in headless Chromium (Debian's, never downloaded), from the keyboard only: log in,
type a full passage, see "saved" and the pending count go up, focus back in Plate, no console
error, no mouse. Also measures how long a scripted fast typist takes (docs/console.md)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from corridor.model.vocabulary import PassageKind, ReasonCode
from corridor.post.node import PostNode
from corridor.web.console import create_post_app
from tests.browser import served, watched_page
from tests.post.conftest import PASSWORD

pytestmark = pytest.mark.browser

#: Milliseconds between keystrokes of the scripted typist (about a trained operator's bursts).
KEY_DELAY_MS = 80

#: A typical passage, key by key: a registered truck, inbound, passed, two crew, 12 t of food.
TYPICAL_PASSAGE: list[tuple[str, str]] = [
    ("type", "34AA123"),  # plate
    ("press", "Tab"),
    ("type", "t"),  # class: truck (already filled from the registry; typing it is harmless)
    ("press", "Tab"),
    ("type", "i"),  # direction: inbound
    ("press", "Tab"),
    ("type", "p"),  # decision: passed (the default)
    ("press", "Tab"),  # reason is disabled for "passed": Tab goes to residents
    ("press", "Tab"),  # returnees
    ("press", "Tab"),  # crew
    ("type", "2"),
    ("press", "Tab"),  # other
    ("press", "Tab"),  # cargo category
    ("type", "f"),  # food
    ("press", "Tab"),  # kg
    ("type", "12000"),
    ("press", "Enter"),  # save
]

MOUSE_WATCH = """() => {
  window.__pointer = 0;
  for (const kind of ["mousedown", "pointerdown", "mouseup"]) {
    document.addEventListener(kind, () => { window.__pointer += 1; }, true);
  }
}"""


def keystrokes(script: list[tuple[str, str]]) -> int:
    return sum(len(text) if action == "type" else 1 for action, text in script)


@pytest.fixture
def console_server(pulled: PostNode, operator: tuple[str, str]) -> Iterator[str]:
    with served(create_post_app(pulled), "uvicorn-post-test") as url:
        yield url


def run(page: Page, script: list[tuple[str, str]]) -> None:
    for action, text in script:
        if action == "type":
            page.keyboard.type(text, delay=KEY_DELAY_MS)
        else:
            page.keyboard.press(text, delay=KEY_DELAY_MS)


def focused(page: Page) -> str:
    return str(page.evaluate("() => document.activeElement && document.activeElement.id"))


def wait_focus(page: Page, element_id: str, *, console: bool = True) -> None:
    """Wait (briefly) until the console's script ran and ``element_id`` has the focus."""
    if console:
        page.wait_for_selector('body[data-ready="console"]', timeout=5_000)
    page.wait_for_function(
        "(id) => document.activeElement && document.activeElement.id === id",
        arg=element_id,
        timeout=5_000,
    )


def test_a_passage_typed_from_the_keyboard_only(
    console_server: str, chromium_path: Path, pulled: PostNode
) -> None:
    with watched_page(console_server, chromium_path) as watched:
        page = watched.page

        # Log in: the username box has the focus.
        page.goto(console_server + "/console")
        assert page.url.endswith("/login")
        wait_focus(page, "username", console=False)
        page.keyboard.type("amira", delay=20)
        page.keyboard.press("Tab")
        page.keyboard.type(PASSWORD, delay=20)
        page.keyboard.press("Enter")
        page.wait_for_url("**/console")
        page.wait_for_load_state("load")
        wait_focus(page, "plate")
        page.evaluate(MOUSE_WATCH)
        assert page.locator("#pending").inner_text() == "0"

        # A typical passage, timed from the first key to "saved" on screen.
        started = time.perf_counter()
        run(page, TYPICAL_PASSAGE[:-1])
        assert page.evaluate("() => window.__pointer") == 0  # no mouse
        assert page.locator("#vehicle_class").input_value() == "truck"
        assert page.locator("#reason").is_disabled()
        page.keyboard.press("Enter", delay=KEY_DELAY_MS)
        page.locator("#saved").wait_for(timeout=10_000)
        elapsed = time.perf_counter() - started

        assert page.locator("#saved").inner_text() == "Saved: passage 1 is in the outbox."
        assert page.locator("#pending").inner_text() == "1"
        wait_focus(page, "plate")
        row = pulled.row(1)
        entry = row.public
        assert row.private.plate == "34AA123"
        assert (entry.kind, entry.direction.value, entry.people.crew) == (
            PassageKind.PASSED,
            "inbound",
            2,
        )
        assert [(c.category.value, c.kg) for c in entry.cargo] == [("food", 12_000)]

        # A denial with the shortcuts: class filled from the registry, Alt+D focuses the
        # reason, Enter on a list saves.
        page.keyboard.type("10XY001", delay=KEY_DELAY_MS)
        page.wait_for_function("() => document.getElementById('vehicle_class').value === 'car'")
        page.keyboard.press("Alt+O")
        page.keyboard.press("Alt+D")
        assert focused(page) == "reason"
        page.keyboard.type("n", delay=KEY_DELAY_MS)  # no permit
        page.keyboard.press("Enter")
        page.locator("#saved", has_text="passage 2").wait_for(timeout=10_000)
        assert page.locator("#saved").inner_text() == "Saved: passage 2 is in the outbox."
        wait_focus(page, "plate")
        assert page.locator("#pending").inner_text() == "2"
        denied = pulled.row(2).public
        assert (denied.kind, denied.reason, denied.direction.value) == (
            PassageKind.DENIED,
            ReasonCode.NO_PERMIT,
            "outbound",
        )
        assert denied.vehicle_class.value == "car"

        # A turn-back without its reason is stopped in the browser (the field is required
        # then), with the focus on the reason; choosing one saves.
        page.evaluate(MOUSE_WATCH)
        page.keyboard.type("34AB777", delay=KEY_DELAY_MS)
        page.keyboard.press("Alt+I")
        page.keyboard.press("Alt+T")
        page.keyboard.press("Enter")
        page.wait_for_timeout(300)
        assert page.locator("#saved").count() == 1  # still the page of passage 2
        assert focused(page) == "reason"
        assert page.evaluate("() => document.getElementById('reason').validity.valueMissing")
        page.keyboard.type("r", delay=KEY_DELAY_MS)  # route closed
        assert page.evaluate("() => window.__pointer") == 0
        page.keyboard.press("Enter")
        page.wait_for_function(
            "() => document.getElementById('pending').textContent.trim() === '3'"
        )
        assert pulled.row(3).public.reason is ReasonCode.ROUTE_CLOSED

        # A pasted permit code fills plate and class and moves on to Direction.
        wait_focus(page, "plate")
        page.keyboard.press("Alt+K")
        assert focused(page) == "permit-code"
        page.keyboard.insert_text("PRM-2023-0042")
        page.keyboard.press("Enter")
        wait_focus(page, "direction")
        assert page.locator("#plate").input_value() == "34 AB 777"
        assert page.locator("#vehicle_class").input_value() == "bus"
        page.keyboard.type("i", delay=KEY_DELAY_MS)
        page.keyboard.press("Enter")
        page.locator("#saved", has_text="passage 4").wait_for(timeout=10_000)
        assert pulled.row(4).private.documents == ("PRM-2023-0042",)

    assert not watched.problems, watched.problems
    assert not watched.elsewhere, watched.elsewhere
    keys = keystrokes(TYPICAL_PASSAGE)
    print(f"\ntypical passage: {keys} keystrokes, {elapsed:.2f} s at {KEY_DELAY_MS} ms a key")
    assert keys == 27
    assert elapsed < 10.0
