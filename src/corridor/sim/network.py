"""A TCP proxy that simulates a bad link between a post and HQ, for the demo and the tests.

It forwards connections from a local port to a target and, on command or by a seeded schedule:
refuses every connection (the link is down), or cuts a connection after a given number of bytes
sent upstream (a batch cut mid-way), or after the request went through but before the answer
came back (the answer is lost). Faults planned for new connections never touch a kept-alive
one: :meth:`FlakyProxy.sever` cuts every open connection at once (the link drops). It runs an
asyncio loop in a background thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import threading
from dataclasses import dataclass, field


@dataclass
class LinkFaults:
    """What the link does to the next connections. Changed while the proxy runs."""

    down: bool = False
    #: Cut the next connection after this many bytes sent upstream (then reset to None).
    cut_upstream_after: int | None = None
    #: Drop the answer of the next connection: the request arrives, the reply never does.
    drop_next_reply: bool = False
    #: Chance that a connection is cut at a random point (seeded, for the demo).
    random_cut_rate: float = 0.0
    rng: random.Random = field(default_factory=lambda: random.Random(0))


class FlakyProxy:
    """``127.0.0.1:<port>`` forwards to ``target_host:target_port`` through :class:`LinkFaults`."""

    def __init__(self, target_host: str, target_port: int, *, seed: int = 0) -> None:
        self.target = (target_host, target_port)
        self.faults = LinkFaults(rng=random.Random(seed))
        self.port = 0
        self.connections = 0
        self.cuts = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._server: asyncio.base_events.Server | None = None
        self._thread = threading.Thread(target=self._run, name="flaky-proxy", daemon=True)
        self._lock = threading.Lock()
        self._open: set[asyncio.StreamWriter] = set()

    def start(self) -> int:
        self._thread.start()
        self._ready.wait(10)
        return self.port

    def stop(self) -> None:
        """Stop listening, cut every open connection, and close the loop with its sockets."""

        async def close() -> None:
            if self._server is not None:
                self._server.close()
            for writer in list(self._open):
                writer.transport.abort()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def sever(self) -> int:
        """Cut every open connection now, each counted as a cut; returns how many were open.
        A request in flight is lost half-way, or its answer is."""

        async def cut() -> int:
            open_now = list(self._open)
            for writer in open_now:
                writer.transport.abort()
            return len(open_now)

        count = asyncio.run_coroutine_threadsafe(cut(), self._loop).result(10)
        with self._lock:
            self.cuts += count
        return count

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", 0)
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()
        # stop() ended the loop after cutting every connection: let their handlers finish (each
        # closes its streams) and the transports close, then close the loop and its own sockets.
        handlers = asyncio.all_tasks(self._loop)
        if handlers:
            self._loop.run_until_complete(asyncio.wait(handlers, timeout=5))
        for task in asyncio.all_tasks(self._loop):
            task.cancel()
        self._loop.run_until_complete(asyncio.sleep(0))
        self._loop.close()

    def _plan(self) -> tuple[bool, int | None, bool]:
        """(refuse, cut upstream after N bytes, drop the reply) for a new connection."""
        with self._lock:
            faults = self.faults
            self.connections += 1
            if faults.down:
                return True, None, False
            cut, faults.cut_upstream_after = faults.cut_upstream_after, None
            drop, faults.drop_next_reply = faults.drop_next_reply, False
            if (
                cut is None
                and faults.random_cut_rate
                and faults.rng.random() < faults.random_cut_rate
            ):
                if faults.rng.random() < 0.5:
                    cut = faults.rng.randrange(1, 4096)
                else:
                    drop = True
            if cut is not None or drop:
                self.cuts += 1
            return False, cut, drop

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        refuse, cut_after, drop_reply = self._plan()
        if refuse:
            writer.close()
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return

        async def pipe(
            source: asyncio.StreamReader, sink: asyncio.StreamWriter, limit: int | None
        ) -> None:
            sent = 0
            with contextlib.suppress(OSError, asyncio.CancelledError):
                while data := await source.read(65536):
                    if limit is not None and sent + len(data) >= limit:
                        sink.write(data[: max(0, limit - sent)])
                        await sink.drain()
                        break
                    sink.write(data)
                    await sink.drain()
                    sent += len(data)

        self._open.add(writer)
        upstream = asyncio.ensure_future(pipe(reader, upstream_writer, cut_after))
        downstream = asyncio.ensure_future(pipe(upstream_reader, writer, 0 if drop_reply else None))
        try:
            # With drop_reply, the downstream pipe ends at the answer's first byte: the request
            # has been handled by then, and the answer is what gets lost.
            await asyncio.wait({upstream, downstream}, return_when=asyncio.FIRST_COMPLETED)
        finally:  # also when stop() cancels this handler
            self._open.discard(writer)
            for task in (upstream, downstream):
                task.cancel()
            for stream in (writer, upstream_writer):
                with contextlib.suppress(OSError):
                    stream.close()
