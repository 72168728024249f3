"""The coordinator's workspace at HQ, behind a log-in: live map, alerts, convoys, crews and
zones, the registry, posts, users; live updates over server-sent events. See docs/coordinator.md.

:func:`mount` adds it to HQ's app under ``/hq/``; :data:`access.ACCESS` says who may do what.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from corridor.errors import CorridorError
from corridor.web.coordinator import access, api, forms, pages
from corridor.web.coordinator.deps import Workspace, workspace_for

__all__ = ["Workspace", "access", "error_response", "is_page", "mount", "routers", "workspace_for"]

STATIC_DIR = Path(__file__).resolve().parent / "static"

# `forms` adds its routes to `pages.router` when imported (above).
routers = (pages.router, api.router)
_ = forms


def mount(app: FastAPI, workspace: Workspace) -> None:
    """Add the workspace to ``app`` (HQ's app): its routers, static files and state."""
    app.state.workspace = workspace
    for router in routers:
        app.include_router(router)
    app.mount("/hq/static", StaticFiles(directory=STATIC_DIR), name="hq-static")


def is_page(request: Request) -> bool:
    """A workspace page (HTML errors), not its JSON API (the project's JSON error shape)."""
    path = request.url.path
    return path.startswith("/hq/") and not path.startswith("/hq/api/")


def error_response(request: Request, exc: CorridorError) -> Response:
    return pages.error_page(request, exc)
