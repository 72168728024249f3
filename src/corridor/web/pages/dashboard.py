"""The public dashboard: the page shell, rendered once; ``static/dashboard.js`` fills it from the
JSON API. The corridor's names and the SIMULATED label are in the HTML itself, so they show even
before (or without) the scripts."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from corridor.store import queries
from corridor.web.api import PREFIX
from corridor.web.context import Context, Reader

TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")

router = APIRouter(include_in_schema=False)


@router.api_route("/", methods=["GET", "HEAD"], response_class=HTMLResponse)
def dashboard(request: Request, context: Context, conn: Reader) -> HTMLResponse:
    corridor = context.corridor
    state = queries.published_state(conn)
    return TEMPLATES.TemplateResponse(
        request,
        "dashboard.html",
        {
            "corridor_label": corridor.label,
            "endpoints": [place.label for place in corridor.endpoints],
            "width_km": corridor.width_m / 1000,
            "simulated": context.simulated,
            # Relative to the page, so the app also works behind a path prefix.
            "api": PREFIX.lstrip("/"),
            "log_vkey": queries.get_meta(conn, "log_vkey"),
            "log_size": None if state is None else state[0],
            "log_url": str(request.base_url) + "log/",
        },
    )
