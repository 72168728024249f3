"""The workspace's JSON endpoints and its live event stream, for the pages' script.

::

    GET  /hq/api/me                          who is logged in, their role, the CSRF token
    GET  /hq/api/alerts?kind=&severity=&state=open|closed&acknowledged=yes|no&subject=
                       &since=&until=&limit=1..500&offset=     alerts, newest first, one page
    POST /hq/api/alerts/{id}/acknowledge     acknowledge (X-CSRF-Token header)
    GET  /hq/api/positions                   latest fix per tracker (coordinators, admins)
    GET  /hq/api/zones                       crews' zones, one GeoJSON FeatureCollection
    GET  /hq/api/posts                       posts, their keys and last sync
    GET  /hq/api/events                      text/event-stream of corridor.hq.live's topics

The stream sends ``event: <topic>`` / ``data: <JSON>`` messages, the topics filtered by role
(:data:`corridor.web.coordinator.access.TOPIC_ACCESS`: viewers never receive ``position``),
a keep-alive comment when idle, and ends after ``Workspace.stream_max_age`` seconds (the
browser reconnects after the ``retry`` it was given).
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from corridor.errors import ValidationError
from corridor.hq import alerts as alert_store
from corridor.hq import live
from corridor.hq import workspace as queries
from corridor.web.context import Context
from corridor.web.coordinator import access
from corridor.web.coordinator.deps import User, Workspace, WorkspaceDep

router = APIRouter(
    prefix="/hq/api", include_in_schema=False, dependencies=[Depends(access.authorize)]
)

#: Milliseconds the browser waits before reconnecting a stream that ended.
RETRY_MS = 2000


@router.get("/me", name="hq_api_me")
def me(user: User) -> dict[str, Any]:
    role = user.operator.role
    return {
        "username": user.operator.username,
        "role": role,
        "csrf": user.csrf,
        "topics": access.topics_for(role),
    }


@router.get("/alerts", name="hq_api_alerts")
def alerts(request: Request, context: Context, _user: User) -> dict[str, Any]:
    known = {"kind", "severity", "state", "acknowledged", "subject", "since", "until"}
    known |= {"limit", "offset"}
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        raise ValidationError(unknown[0], f"not a filter; known: {sorted(known)}")
    where = alert_store.AlertFilter.parse(**dict(request.query_params))
    with context.store.read() as conn:
        page = alert_store.list_alerts(conn, where)
    return {"alerts": page.items, "total": page.total, "limit": page.limit, "offset": page.offset}


@router.post("/alerts/{alert_id}/acknowledge", name="hq_api_acknowledge")
async def acknowledge(
    alert_id: int, context: Context, workspace: WorkspaceDep, user: User
) -> dict[str, Any]:
    alert = await run_in_threadpool(
        alert_store.acknowledge,
        context.store,
        alert_id,
        user.operator.username,
        workspace.clock(),
    )
    workspace.feed.publish(live.ALERT, {**alert, "change": "acknowledged"})
    return alert


@router.get("/positions", name="hq_api_positions")
def positions(context: Context, _user: User) -> dict[str, Any]:
    with context.store.read() as conn:
        found = queries.latest_positions(conn)
    return {"positions": found, "simulated": context.simulated}


@router.get("/zones", name="hq_api_zones")
def zones(context: Context, _user: User) -> dict[str, Any]:
    with context.store.read() as conn:
        return queries.zones_geojson(conn)


@router.get("/posts", name="hq_api_posts")
def posts(context: Context, _user: User) -> dict[str, Any]:
    with context.store.read() as conn:
        return {"posts": queries.posts_overview(conn, context.corridor)}


def sse(event: str | None, data: Any = None, *, event_id: int | None = None) -> str:
    """One server-sent event (or a comment, when ``event`` is None)."""
    if event is None:
        return ": keep-alive\n\n"
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


async def _stream(workspace: Workspace, topics: list[str]) -> AsyncIterator[str]:
    subscription = workspace.feed.subscribe(topics)
    deadline = time.monotonic() + workspace.stream_max_age
    try:
        yield f"retry: {RETRY_MS}\n" + sse("hello", {"topics": topics})
        while (left := deadline - time.monotonic()) > 0:
            try:
                message = await subscription.get(timeout=min(workspace.heartbeat, left))
            except live.FeedClosed:
                return
            if message is None:
                yield sse(None)
            else:
                yield sse(message.topic, message.data, event_id=message.seq)
    finally:
        subscription.close()


@router.get("/events", name="hq_api_events")
def events(workspace: WorkspaceDep, user: User) -> StreamingResponse:
    topics = access.topics_for(user.operator.role)
    return StreamingResponse(
        _stream(workspace, topics),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
