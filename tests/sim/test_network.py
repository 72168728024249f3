"""The flaky link of the demo and the end-to-end tests: it forwards, fails on command, and
stopping it releases everything it opened."""

from __future__ import annotations

import gc
import socket
import socketserver
import threading
import warnings
from collections.abc import Iterator

import pytest

from corridor.sim.network import FlakyProxy


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        while data := self.request.recv(65536):
            self.request.sendall(data)


@pytest.fixture
def echo_port() -> Iterator[int]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Echo)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def _connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=5)


def test_it_forwards_and_refuses_while_down(echo_port: int) -> None:
    proxy = FlakyProxy("127.0.0.1", echo_port)
    port = proxy.start()
    try:
        with _connect(port) as conn:
            conn.sendall(b"hello")
            assert conn.recv(5) == b"hello"
        proxy.faults.down = True
        with _connect(port) as conn:
            assert conn.recv(5) == b""  # closed at once
        assert proxy.connections == 2
    finally:
        proxy.stop()


def test_stop_closes_its_loop_and_every_socket(echo_port: int) -> None:
    """stop() used to stop the loop without closing it, and to leave the connections that were
    open at that moment unclosed: ResourceWarnings (errors under pytest) at garbage collection."""
    proxy = FlakyProxy("127.0.0.1", echo_port)
    port = proxy.start()
    with _connect(port) as idle, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        idle.sendall(b"ping")
        assert idle.recv(4) == b"ping"  # a kept-alive connection, open while the proxy stops
        proxy.stop()
        assert idle.recv(4) == b""  # cut by stop()
        loop = proxy._loop
        del proxy
        gc.collect()
    assert loop.is_closed()
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []
