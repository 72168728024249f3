"""Scanning a permit's QR code with the camera, in headless Chromium (Debian's, never
downloaded) with a fake camera that plays a Y4M file: the QR code of a permit of the registry
the post pulled from HQ, made with segno. The scan fills the permit, plate and class, moves the
cursor to Direction and releases the camera; the recorded passage carries the permit. A feed
without a QR code leaves the permit empty until Esc; pressing scan twice opens one camera, and
Esc closes a camera that is still opening; a camera that cannot be opened says so.

Chromium's fake camera: ``--use-fake-device-for-media-stream`` (a fake device instead of a real
one), ``--use-file-for-fake-video-capture=FILE.y4m`` (its frames, played in a loop) and
``--use-fake-ui-for-media-stream`` (grants the camera without a prompt). ``http://127.0.0.1``
is a secure context, so ``getUserMedia`` is available there without TLS.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import segno
from playwright.sync_api import Page
from sqlalchemy import select

from corridor.post.node import PostNode
from corridor.store.schema import permits
from corridor.web.console import create_post_app
from tests.browser import WatchedPage, served, watched_page
from tests.post.conftest import PASSWORD

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 640, 480
WHITE, BLACK = 0xFF, 0x00

#: ``window.__streams``: every stream ``getUserMedia`` gave the page (it still calls the real
#: one), so that a test can check that no camera track is left running.
COUNT_STREAMS = """(() => {
  const real = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  window.__streams = [];
  navigator.mediaDevices.getUserMedia = (constraints) =>
    real(constraints).then((stream) => { window.__streams.push(stream); return stream; });
})();"""

LIVE_TRACKS = """() => window.__streams
  .flatMap((stream) => stream.getTracks())
  .filter((track) => track.readyState === "live").length"""

#: Press the scan button, then these keys (key, code, Alt), all in one task: before the camera
#: can open, which real key presses cannot guarantee.
PRESS_SCAN_THEN_KEYS = """(keys) => {
  document.getElementById("scan").click();
  for (const [key, code, altKey] of keys) {
    const init = { key, code, altKey, bubbles: true, cancelable: true };
    document.activeElement.dispatchEvent(new KeyboardEvent("keydown", init));
  }
}"""

WAITING = "Point the camera at the permit's QR code (Esc to stop)."
NO_CAMERA = "No camera available: type or paste the code."


# -- the fake camera's video ------------------------------------------------------------------


def qr_luma(text: str, *, scale: int = 8) -> bytes:
    """One frame's luma plane: ``text`` as a QR code (not a micro QR: jsQR reads only the
    others), black on white with its quiet zone, in the middle of the frame."""
    rows = [
        bytes(BLACK if dark else WHITE for dark in row)
        for row in segno.make_qr(text, error="m").matrix_iter(scale=scale, border=4)
    ]
    size = len(rows)
    assert size <= min(WIDTH, HEIGHT), "the QR code does not fit in the frame"
    top, left = (HEIGHT - size) // 2, (WIDTH - size) // 2
    plane = bytearray([WHITE]) * (WIDTH * HEIGHT)
    for y, row in enumerate(rows):
        start = (top + y) * WIDTH + left
        plane[start : start + size] = row
    return bytes(plane)


def blank_luma() -> bytes:
    return bytes([WHITE]) * (WIDTH * HEIGHT)


def write_y4m(path: Path, luma: bytes, *, frames: int = 3) -> Path:
    """A YUV4MPEG2 file, 4:2:0, of ``frames`` grey-scale frames with this luma plane."""
    assert len(luma) == WIDTH * HEIGHT
    chroma = bytes([0x80]) * (2 * (WIDTH // 2) * (HEIGHT // 2))  # U and V: no colour
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420jpeg\n".encode("ascii"))
        for _ in range(frames):
            out.write(b"FRAME\n")
            out.write(luma)
            out.write(chroma)
    return path


# -- a page in a Chromium with a fake camera --------------------------------------------------


@contextmanager
def camera_page(server: str, chromium: Path, video: Path | None) -> Iterator[WatchedPage]:
    """A watched page (as ``tests.browser.watched_page``) in a Chromium whose camera plays
    ``video`` and is granted without a prompt; ``video=None``: a camera that cannot be opened
    (the fake device is asked for a file that does not exist)."""
    file = video if video is not None else Path("/nonexistent/camera.y4m")
    args = [
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={file}",
    ]
    with watched_page(server, chromium, args) as watched:
        watched.page.add_init_script(COUNT_STREAMS)
        yield watched


@pytest.fixture
def console_server(pulled: PostNode, operator: tuple[str, str]) -> Iterator[str]:
    with served(create_post_app(pulled), "uvicorn-post-camera-test") as url:
        yield url


@pytest.fixture
def permit_code(pulled: PostNode) -> str:
    """The code of a permit in the registry the post pulled from HQ."""
    with pulled.store.read() as conn:
        code = conn.execute(select(permits.c.code).order_by(permits.c.code)).scalars().first()
    assert code, "the pulled registry has no permit"
    return str(code)


def log_in(page: Page, server: str) -> None:
    page.goto(server + "/console")
    assert page.url.endswith("/login")
    page.fill("#username", "amira")
    page.fill("#password", PASSWORD)
    page.press("#password", "Enter")
    page.wait_for_url("**/console")
    page.wait_for_selector('body[data-ready="console"]', timeout=5_000)


def focused(page: Page) -> str:
    return str(page.evaluate("() => document.activeElement && document.activeElement.id"))


def scanned(page: Page, code: str) -> None:
    """Wait until a scan filled the permit, then check what the page shows."""
    page.wait_for_function(
        "(code) => document.getElementById('permit').value === code", arg=code, timeout=5_000
    )
    status = page.locator("#permit-status")
    status.filter(has_text=f"Permit {code}:").wait_for(timeout=5_000)
    assert page.locator("#permit-code").input_value() == code
    assert focused(page) == "direction"
    assert page.locator("#scan-video").is_hidden()
    assert page.evaluate("() => window.__streams.length") == 1  # the camera was opened once
    assert page.evaluate(LIVE_TRACKS) == 0  # and released


# -- the tests --------------------------------------------------------------------------------


def test_a_permit_scanned_with_the_camera_is_recorded(
    console_server: str, chromium_path: Path, pulled: PostNode, permit_code: str, tmp_path: Path
) -> None:
    permit = pulled.find_permit(permit_code)
    video = write_y4m(tmp_path / "permit.y4m", qr_luma(permit_code))
    with camera_page(console_server, chromium_path, video) as watched:
        page = watched.page
        log_in(page, console_server)

        # The button: the camera reads the QR code, the page fills the permit's vehicle.
        scan = page.locator("#scan")
        assert scan.is_visible()
        assert scan.inner_text() == "Scan QR with camera (Alt+Q)"
        scan.click()
        scanned(page, permit_code)
        assert page.locator("#permit-status").inner_text() == (
            f"Permit {permit_code}: {permit.plate}, valid {permit.valid_from} to {permit.valid_to}."
        )
        assert page.locator("#plate").input_value() == permit.plate
        assert page.locator("#vehicle_class").input_value() == permit.vehicle_class
        page.keyboard.type("i")  # direction: inbound
        page.keyboard.press("Enter")
        page.locator("#saved", has_text="passage 1").wait_for(timeout=10_000)

        # Alt+Q from the keyboard, on the page reloaded after the save.
        page.wait_for_function("() => document.activeElement.id === 'plate'")
        page.keyboard.press("Alt+Q")
        scanned(page, permit_code)
        assert page.locator("#plate").input_value() == permit.plate
        page.keyboard.type("o")  # direction: outbound
        page.keyboard.press("Enter")
        page.locator("#saved", has_text="passage 2").wait_for(timeout=10_000)

    for seq, direction in ((1, "inbound"), (2, "outbound")):
        row = pulled.row(seq)
        assert row.private.documents == (permit_code,)
        assert row.private.plate == permit.plate
        assert row.public.vehicle_class.value == permit.vehicle_class
        assert row.public.direction.value == direction
    assert not watched.problems, watched.problems
    assert not watched.elsewhere, watched.elsewhere


def test_a_feed_without_a_qr_code_leaves_the_permit_empty(
    console_server: str, chromium_path: Path, tmp_path: Path
) -> None:
    video = write_y4m(tmp_path / "blank.y4m", blank_luma())
    with camera_page(console_server, chromium_path, video) as watched:
        page = watched.page
        log_in(page, console_server)

        # The camera sees no QR code: the page keeps waiting for one (Alt+Q again opens no
        # second camera), and Esc stops the camera.
        page.locator("#scan").click()
        page.locator("#scan-video").wait_for(state="visible", timeout=5_000)
        page.wait_for_function("() => document.getElementById('scan-video').currentTime > 0.5")
        page.keyboard.press("Alt+Q")
        assert page.locator("#permit-status").inner_text() == WAITING
        assert page.locator("#permit").input_value() == ""
        assert page.locator("#permit-code").input_value() == ""
        assert page.locator("#plate").input_value() == ""
        assert page.evaluate("() => window.__streams.length") == 1
        assert page.evaluate(LIVE_TRACKS) == 1
        page.keyboard.press("Escape")
        assert page.locator("#scan-video").is_hidden()
        assert page.locator("#permit-status").inner_text() == ""
        assert page.evaluate(LIVE_TRACKS) == 0

        # The button and Alt+Q in the same moment, before the camera is open: one camera, and
        # the scan goes on (a second camera used to interrupt the first one's play(): the page
        # said "No camera available" and left the first camera running).
        page.evaluate(PRESS_SCAN_THEN_KEYS, [["q", "KeyQ", True]])
        page.locator("#scan-video").wait_for(state="visible", timeout=5_000)
        page.wait_for_function("() => document.getElementById('scan-video').currentTime > 0.5")
        assert page.locator("#permit-status").inner_text() == WAITING
        assert page.evaluate("() => window.__streams.length") == 2
        assert page.evaluate(LIVE_TRACKS) == 1
        page.keyboard.press("Escape")
        assert page.evaluate(LIVE_TRACKS) == 0

        # Esc before the camera is open: it is closed as soon as it opens.
        page.evaluate(PRESS_SCAN_THEN_KEYS, [["Escape", "Escape", False]])
        page.wait_for_function("() => window.__streams.length === 3", timeout=5_000)
        page.wait_for_function(f"() => ({LIVE_TRACKS})() === 0", timeout=2_000)
        assert page.locator("#scan-video").is_hidden()
        assert page.locator("#permit-status").inner_text() == ""
        assert page.locator("#permit").input_value() == ""
    assert not watched.problems, watched.problems
    assert not watched.elsewhere, watched.elsewhere


def test_a_camera_that_cannot_be_opened_says_so(console_server: str, chromium_path: Path) -> None:
    with camera_page(console_server, chromium_path, None) as watched:
        page = watched.page
        log_in(page, console_server)
        page.keyboard.press("Alt+Q")
        page.locator("#permit-status", has_text=NO_CAMERA).wait_for(timeout=5_000)
        assert page.locator("#permit").input_value() == ""
        assert page.locator("#permit-code").input_value() == ""
        assert page.locator("#scan-video").is_hidden()
        assert page.evaluate("() => window.__streams.length") == 0
        assert focused(page) == "plate"
    assert not watched.elsewhere, watched.elsewhere
