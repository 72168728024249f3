"""The position intake's own app, served on its own port (``CORRIDOR_POSITIONS_PORT``, 5055 as on
a Traccar server): OsmAnd GET or POST on any path, Traccar Client's JSON POST.

A bare ASGI callable, neither FastAPI nor Starlette: it is HQ's busiest endpoint, it has one
route that parses its own bytes, and it needs none of their routing, request objects,
dependency injection or OpenAPI document. Measured with benchmarks/bench_positions.py (64
clients, SQLite on tmpfs so that fsync does not hide it), the same intake as a Starlette route
took about 950 requests/s and as this callable about 2,200.

Answers are plain text, because trackers only look at the status: 200 once the position is
committed, 400 with the reason for bad input (nothing stored), 403 for a revoked device, 405 for
a method other than GET or POST, 503 when the store failed (the tracker sends it again).

Positions are private: this app logs nothing about a request, and its server must run with
uvicorn's access log off (OsmAnd puts the coordinates in the URL).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from corridor.errors import CorridorError, ValidationError
from corridor.hq.devices import DeviceRevokedError
from corridor.hq.osmand import decode_request
from corridor.hq.position_writer import PositionWriter

#: Largest body accepted: a Traccar Client JSON location is under 1 KiB; 64 KiB leaves room for
#: a batch and keeps a runaway client from holding HQ's memory.
MAX_BODY = 64 * 1024

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_TEXT = (b"content-type", b"text/plain; charset=utf-8")


class _TooLarge(Exception):
    pass


def create_positions_app(writer: PositionWriter, *, max_body: int = MAX_BODY) -> ASGIApp:
    """The intake over ``writer`` (its intake decides what is kept). The end of the server's
    lifespan commits what is queued and stops the writer."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send, writer)
            return
        if scope["type"] != "http":
            return
        if scope["method"] not in ("GET", "POST"):
            await _answer(send, 405, "method: send GET or POST\n", allow=True)
            return
        status, text = await _take(scope, receive, writer, max_body)
        await _answer(send, status, text)

    return app


async def _take(
    scope: Scope, receive: Receive, writer: PositionWriter, max_body: int
) -> tuple[int, str]:
    content_type = None
    length = None
    for name, value in scope["headers"]:
        if name == b"content-type":
            content_type = value.decode("latin-1")
        elif name == b"content-length":
            length = value
    try:
        if length is not None and length.isdigit() and int(length) > max_body:
            raise _TooLarge
        body = await _read_body(receive, max_body)
    except _TooLarge:
        return 400, f"body: larger than {max_body} bytes\n"
    try:
        reports = decode_request(scope["query_string"], content_type, body)
        await writer.submit_async(reports)
    except DeviceRevokedError as exc:
        return 403, f"{exc}\n"
    except ValidationError as exc:
        return 400, f"{exc}\n"
    except CorridorError as exc:
        return exc.status_code, f"{exc}\n"
    except Exception:
        return 503, "HQ could not store the position now; send it again later\n"
    return 200, ""


async def _read_body(receive: Receive, limit: int) -> bytes:
    """The body, refused as soon as it passes ``limit`` bytes (a chunked body has no length)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client went away
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _answer(send: Send, status: int, text: str, *, allow: bool = False) -> None:
    body = text.encode()
    headers = [_TEXT, (b"content-length", str(len(body)).encode())]
    if allow:
        headers.append((b"allow", b"GET, POST"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive: Receive, send: Send, writer: PositionWriter) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            writer.close()
            await send({"type": "lifespan.shutdown.complete"})
            return
