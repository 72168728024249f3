"""Browser tests' shared parts: Debian's Chromium (never a downloaded one), an app served by
uvicorn in a thread, and a page that records console errors and requests to other hosts."""

from __future__ import annotations

import threading
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pytest
import uvicorn
from fastapi import FastAPI
from playwright.sync_api import ConsoleMessage, Page, Route, sync_playwright

from tests.processes import free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require_chromium() -> Path:
    """Debian's Chromium, or skip with what to install."""
    if not CHROMIUM.exists():
        pytest.skip("Chromium not found: apt-get install chromium (Debian) to run browser tests")
    return CHROMIUM


@contextmanager
def served(
    app: FastAPI | Callable[..., Awaitable[None]],
    name: str = "uvicorn-test",
    *,
    lifespan: Literal["on", "off"] = "off",
    access_log: bool = True,
) -> Iterator[str]:
    """``app`` served on a free port of 127.0.0.1 in a thread; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan=lifespan,
            access_log=access_log,
        )
    )
    thread = threading.Thread(target=server.run, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"uvicorn did not start on port {port}")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@dataclass
class WatchedPage:
    """A page, and what went wrong on it: console errors and warnings, page errors, and
    requests to anywhere but the server under test (which are refused)."""

    page: Page
    problems: list[str] = field(default_factory=list)
    elsewhere: list[str] = field(default_factory=list)


@contextmanager
def watched_page(
    server: str, chromium: Path, extra_args: Sequence[str] = ()
) -> Iterator[WatchedPage]:
    """A page in headless Chromium (``CHROMIUM_ARGS`` plus ``extra_args``), watched."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium), args=[*CHROMIUM_ARGS, *extra_args]
        )
        try:
            watched = WatchedPage(browser.new_page(viewport={"width": 1400, "height": 1000}))

            def on_console(message: ConsoleMessage) -> None:
                if message.type in ("error", "warning"):
                    watched.problems.append(f"console {message.type}: {message.text}")

            def only_our_server(route: Route) -> None:
                if route.request.url.startswith(server + "/"):
                    route.continue_()
                else:
                    watched.elsewhere.append(route.request.url)
                    route.abort()

            watched.page.on("console", on_console)
            watched.page.on("pageerror", lambda error: watched.problems.append(f"{error}"))
            watched.page.route("**/*", only_our_server)
            yield watched
        finally:
            browser.close()
