"""The HTTP source against a real socket: a static log served by ``http.server``."""

from __future__ import annotations

import functools
import socket
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from corridor.audit import HttpSource, LogUnavailableError, audit, open_source
from corridor.errors import NotFoundError
from tests.audit.logbuilder import Keys


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass


@pytest.fixture
def served(clean_log: Path) -> Iterator[str]:
    """The clean log's parent directory served over HTTP; yields the URL of ``/log1/``."""
    handler = functools.partial(_QuietHandler, directory=str(clean_log.parent))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/{clean_log.name}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_audit_over_http(served: str, keys: Keys) -> None:
    source = open_source(served)
    assert isinstance(source, HttpSource)
    try:
        report = audit(source, keys.vkey)
    finally:
        source.close()
    assert report.ok, report.findings
    assert report.log == served
    assert report.counts.entries == 306


def test_http_missing_file_is_not_found(served: str) -> None:
    source = HttpSource(served.rstrip("/"))  # a trailing slash is added
    with pytest.raises(NotFoundError, match=r"/log1/tile/9/000: not found \(404\)"):
        source.read("tile/9/000")
    source.close()


def test_http_tampered_log_over_http(served: str, clean_log: Path, keys: Keys) -> None:
    path = clean_log / "tile/0/000"
    path.write_bytes(path.read_bytes()[:64])
    source = HttpSource(served)
    report = audit(source, keys.vkey)
    source.close()
    assert [f.where for f in report.findings] == ["tile/0/000"]


def test_http_connection_refused_names_the_url() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    source = HttpSource(f"http://127.0.0.1:{port}/log/")
    with pytest.raises(LogUnavailableError, match=rf"http://127.0.0.1:{port}/log/checkpoint: "):
        source.read("checkpoint")
    source.close()


def test_http_audit_of_unreachable_log_is_an_error(keys: Keys) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    source = HttpSource(f"http://127.0.0.1:{port}/log/")
    with pytest.raises(LogUnavailableError, match="ConnectError"):
        audit(source, keys.vkey)
    source.close()


def test_http_server_error_names_the_url() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(503))
    source = HttpSource("https://log.example/log/", transport=transport)
    with pytest.raises(
        LogUnavailableError, match=r"https://log.example/log/checkpoint: HTTP 503, want 200"
    ):
        source.read("checkpoint")
    source.close()
