"""Dwell and transit times as the public may see them (``GET /api/v1/transit``): median and 90th
percentile per day, post, direction and class, withheld for groups of fewer than 5 vehicles (a
small group's figure could point at one driver's trip). Coordinators see every group at
``/hq/transit``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from corridor.reports.transit import (
    MIN_VEHICLES,
    dwell_times,
    public_figures,
    transit_days,
    transit_times,
)
from corridor.web.context import Context, Reader

router = APIRouter(tags=["figures"])

Day = Annotated[
    str | None,
    Query(pattern=r"^\d{4}-\d{2}-\d{2}$", description="A day, UTC (YYYY-MM-DD)."),
]


@router.get("/transit")
def get_transit(
    context: Context,
    conn: Reader,
    day_from: Annotated[Day, Query(alias="from")] = None,
    day_to: Annotated[Day, Query(alias="to")] = None,
) -> dict[str, Any]:
    """Dwell at posts and transit between them; by default the last 7 days with passages."""
    asked = {k: v for k, v in (("from", day_from), ("to", day_to)) if v is not None}
    first, last = transit_days(conn, asked)
    return {
        "simulated": context.simulated,
        "from": first,
        "to": last,
        "min_vehicles": MIN_VEHICLES,
        "dwell": [f.to_json() for f in public_figures(dwell_times(conn, first, last))],
        "transit": [f.to_json() for f in public_figures(transit_times(conn, first, last))],
    }
