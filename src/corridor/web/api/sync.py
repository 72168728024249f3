"""``POST /api/v1/sync/push`` and ``GET /api/v1/sync/registry``: posts talking to HQ.

Both require the X-Corridor-Post, -Key and -Signature headers (docs/sync.md); the handlers only
read the raw body and headers and call :class:`corridor.hq.HqServices`.
"""

from __future__ import annotations

from typing import Any

import msgspec
from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from corridor.errors import PayloadTooLargeError, ValidationError
from corridor.hq.sync import MAX_BODY_BYTES, PostCredentials
from corridor.web.api.models import ErrorBody
from corridor.web.context import get_context

router = APIRouter(prefix="/sync", tags=["sync"])
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody} for code in (401, 404, 409, 413, 422)
}


@router.post("/push", responses=ERRORS, response_class=Response)
async def push(request: Request) -> Response:
    """Accept a post's signed batch of events exactly once; answer each event's log index,
    the gaps in the post's sequence numbers and the latest checkpoint."""
    hq = get_context(request).require_hq()
    credentials = PostCredentials.from_headers(request.headers)
    declared = int(request.headers.get("content-length") or 0)
    if declared > MAX_BODY_BYTES:
        raise PayloadTooLargeError(f"push of {declared:,} bytes, over {MAX_BODY_BYTES:,}")
    try:
        body = await request.body()
    except ClientDisconnect as exc:
        # The post's link dropped mid-request: an ordinary event (it pushes the batch again),
        # not a server error. Nothing was read, so nothing is stored.
        raise ValidationError("body", "the push was cut off before its end") from exc
    answer = await run_in_threadpool(hq.sync.push, credentials, body)
    answer["checkpoint"] = await run_in_threadpool(hq.publisher.checkpoint_text)
    # Encoded directly: FastAPI's generic encoder walks a thousand results a push, slowly.
    return Response(msgspec.json.encode(answer), media_type="application/json")


@router.get("/registry", responses=ERRORS)
async def registry(request: Request) -> dict[str, Any]:
    """Keys, vehicles, permits, the post's operators, the pseudonym key and the log's vkey."""
    hq = get_context(request).require_hq()
    credentials = PostCredentials.from_headers(request.headers)
    return await run_in_threadpool(hq.registry_for, credentials)
