"""``GET /api/v1/corridor``: the corridor's band, route and posts as GeoJSON."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query

from corridor.reports.layers import corridor_layers
from corridor.web.api.models import CorridorLayers
from corridor.web.context import Context, Reader

router = APIRouter(tags=["corridor"])


@router.get("/corridor", response_model=CorridorLayers)
def get_corridor(
    context: Context,
    conn: Reader,
    at: Annotated[
        date | None,
        Query(description="Day (YYYY-MM-DD) of the route version; default: latest day with data."),
    ] = None,
) -> dict[str, Any]:
    """Band, route and posts in force on a day, as one GeoJSON FeatureCollection."""
    return corridor_layers(conn, context.corridor, at=at, simulated=context.simulated)
