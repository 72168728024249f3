"""The console's small JSON endpoints (logged-in operators only: plates are personal data).

``GET /console/api/vehicles?prefix=34AA``   registered vehicles whose plate starts so
``GET /console/api/permits/{code}``         a permit (from its QR code or typed) and its vehicle
``GET /console/api/status``                 pending and synced counts, last sync, open alerts
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Query

from corridor.web.console.deps import Console, LoggedIn

router = APIRouter(prefix="/console/api", include_in_schema=False)


@router.get("/vehicles")
def vehicles(
    context: Console, _session: LoggedIn, prefix: str = Query("", max_length=32)
) -> dict[str, Any]:
    found = context.node.find_vehicles(prefix)
    return {"vehicles": [asdict(v) for v in found]}


@router.get("/permits/{code}")
def permit(context: Console, _session: LoggedIn, code: str) -> dict[str, Any]:
    return asdict(context.node.find_permit(code))


@router.get("/status")
def status(context: Console, _session: LoggedIn) -> dict[str, Any]:
    counts = context.node.counts()
    return {
        "pending": counts.pending,
        "synced": counts.synced,
        "last_sync_at": counts.last_sync_at,
        "alerts": len(context.node.open_alerts()),
    }
