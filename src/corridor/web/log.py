"""The public log over HTTP, exactly as C2SP tlog-tiles lays it out, under ``/log/``.

``/log/checkpoint`` (text, never cached), ``/log/tile/<L>/<N>[.p/<W>]`` and
``/log/tile/entries/<N>[.p/<W>]`` (octet-stream; full tiles cached forever, being immutable),
and ``/log/vkey``, the key to verify checkpoints with. What is not published yet is a 404.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse, Response

from corridor.errors import NotFoundError
from corridor.hq.logread import published, read_tile_file
from corridor.store import queries
from corridor.web.context import Reader

router = APIRouter(prefix="/log", tags=["log"])

IMMUTABLE = "public, max-age=31536000, immutable"
NOT_CACHED = "no-store"


@router.get("/checkpoint", response_class=PlainTextResponse)
def checkpoint(conn: Reader) -> Response:
    """The latest signed checkpoint (C2SP tlog-checkpoint in a signed note)."""
    _, note = published(conn)
    return Response(
        note.to_text(),
        media_type="text/plain; charset=utf-8",
        headers={"Cache-Control": NOT_CACHED},
    )


@router.get("/vkey", response_class=PlainTextResponse)
def vkey(conn: Reader) -> Response:
    """The log's verifier key (signed-note vkey), to give to ``corridor audit --vkey``."""
    key = queries.get_meta(conn, "log_vkey")
    if key is None:
        raise NotFoundError("the log has no key yet")
    return Response(key + "\n", media_type="text/plain; charset=utf-8")


@router.get("/tile/{path:path}")
def tile(conn: Reader, path: str) -> Response:
    """A hash tile or an entry bundle."""
    found = read_tile_file(conn, f"tile/{path}")
    return Response(
        found.data,
        media_type="application/octet-stream",
        headers={"Cache-Control": IMMUTABLE if found.immutable else "public, max-age=60"},
    )
