"""``GET /api/v1/passages`` (latest, newest first) and ``GET /api/v1/passages/{event_id}``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from corridor.reports.passages import MAX_LIMIT, latest_passages, passage_entry
from corridor.web.api.models import ErrorBody, PassageEntry, PassagePage
from corridor.web.context import Context, Reader

router = APIRouter(tags=["passages"])


@router.get("/passages", response_model=PassagePage)
def get_passages(
    context: Context,
    conn: Reader,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Passages per page.")] = 50,
    before: Annotated[
        int | None, Query(ge=0, description="Only passages with a log index below this.")
    ] = None,
) -> dict[str, Any]:
    """The latest passages, newest first in log order, public fields only."""
    return {"simulated": context.simulated, **latest_passages(conn, limit=limit, before=before)}


@router.get(
    "/passages/{event_id}",
    response_model=PassageEntry,
    responses={404: {"model": ErrorBody}, 422: {"model": ErrorBody}},
)
def get_passage(context: Context, conn: Reader, event_id: str) -> dict[str, Any]:
    """One passage's public entry exactly as logged (the signed envelope) and its log index."""
    return {"simulated": context.simulated, **passage_entry(conn, event_id)}
