"""The post's operator console: a FastAPI app over one :class:`~corridor.post.node.PostNode`,
meant for ``localhost`` at the post.

Same strict headers as HQ's app (:mod:`corridor.web.security`: CSP ``default-src 'self'``, no
inline script); the console's own files under ``/console/static``, the vendored libraries
(jsQR) under ``/static/vendor``. Errors: pages redirect to the login page when there is no
session and show a short error page otherwise; the JSON endpoints answer
``{"error", "message"}`` with the error's status.
"""

from __future__ import annotations

import html
from pathlib import Path

from argon2 import PasswordHasher
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from corridor import __version__
from corridor.errors import CorridorError
from corridor.post.auth import Sessions
from corridor.post.node import PostNode
from corridor.post.throttle import LoginThrottle
from corridor.web.console import api, routes
from corridor.web.console.deps import ConsoleContext, LoginRequired
from corridor.web.security import SecurityHeaders

HERE = Path(__file__).resolve().parent
VENDOR_DIR = HERE.parent / "static" / "vendor"


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/console/api/")


async def _error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CorridorError)
    if _wants_json(request):
        return JSONResponse(
            {"error": type(exc).__name__, "message": str(exc)}, status_code=exc.status_code
        )
    if isinstance(exc, LoginRequired):
        return RedirectResponse("/login", status_code=303)
    body = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Console: error'
        '</title><link rel="stylesheet" href="/console/static/console.css"></head><body>'
        f'<main class="error-page"><h1>{exc.status_code}</h1><p role="alert">'
        f"{html.escape(str(exc))}</p>"
        '<p><a href="/console">Back to the console</a></p></main></body></html>'
    )
    return HTMLResponse(body, status_code=exc.status_code)


def create_post_app(
    node: PostNode,
    *,
    sessions: Sessions | None = None,
    throttle: LoginThrottle | None = None,
    hasher: PasswordHasher | None = None,
    secure_cookies: bool = False,
) -> FastAPI:
    """The console app over ``node``. ``secure_cookies`` adds the Secure flag to the cookies
    (use it when the console is served over HTTPS). ``throttle`` counts failed log-ins (a fresh
    one with the default policy if not given); ``hasher`` checks passwords (argon2-cffi's
    defaults if not given)."""
    app = FastAPI(
        title=f"corridor post {node.post_id}",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.console = ConsoleContext(
        node, sessions or Sessions(), secure_cookies, throttle or LoginThrottle(), hasher
    )
    app.add_exception_handler(CorridorError, _error)
    app.add_middleware(SecurityHeaders)
    app.include_router(routes.router)
    app.include_router(api.router)
    app.mount("/console/static", StaticFiles(directory=HERE / "static"), name="console-static")
    app.mount("/static/vendor", StaticFiles(directory=VENDOR_DIR), name="vendor")
    return app
