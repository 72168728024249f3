"""Build the web app: API routers, the dashboard, static files, error mapping, headers.

::

    create_app(store, scenario)        an app over an open store (tests, embedding)
    create_app_for_dir(directory)      an app over a data directory (`corridor serve`)

Errors: every :class:`~corridor.errors.CorridorError` becomes ``{"error": <class name>,
"message": <text>}`` with the error's HTTP status; a request that fails parameter validation
answers the same shape with 422. The OpenAPI document is at ``/api/v1/openapi.json``; the
interactive Swagger and ReDoc pages are off because they load from a CDN.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from corridor import __version__
from corridor.config import load_settings
from corridor.datadir import DataDir
from corridor.errors import ConfigError, CorridorError
from corridor.hq.monitor_start import warm_start
from corridor.hq.monitoring import MonitorLoop
from corridor.hq.services import HqServices, PublishLoop
from corridor.sim.scenario import Scenario
from corridor.store.engine import Store
from corridor.web import api, coordinator, log, ogc, pages
from corridor.web.context import WebContext
from corridor.web.pages import errors as page_errors
from corridor.web.security import SecurityHeaders

STATIC_DIR = Path(__file__).resolve().parent / "static"
Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def _error(status: int, kind: str, message: str) -> JSONResponse:
    return JSONResponse({"error": kind, "message": message}, status_code=status)


async def _corridor_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CorridorError)
    if coordinator.is_page(request):  # the workspace's pages answer a page, its API JSON
        return coordinator.error_response(request, exc)
    if page_errors.wants_page(request):  # a public page answers a page, in the reader's language
        return page_errors.corridor_error_page(request, exc)
    return _error(exc.status_code, type(exc).__name__, str(exc))


async def _http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own errors (no such route, method not allowed) in the same shapes."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        message = page_errors.not_found_message(request)
        if page_errors.wants_page(request):
            return page_errors.error_page(request, 404, message)
        return _error(404, "NotFoundError", message)
    return _error(exc.status_code, "HTTPError", str(exc.detail))


async def _request_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [
        f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}" for error in exc.errors()
    ]
    return _error(422, "ValidationError", "; ".join(problems))


def _lifespan(hq: HqServices | None, publish_interval: float, monitor_interval: float) -> Lifespan:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loop = PublishLoop(hq.publisher, publish_interval) if hq is not None else None
        ticks = (
            MonitorLoop(hq.monitor, monitor_interval)
            if hq is not None and hq.monitor is not None
            else None
        )
        if ticks is not None:
            await run_in_threadpool(warm_start, ticks.monitor)
        for background in (loop, ticks):
            if background is not None:
                background.start()
        try:
            yield
        finally:
            app.state.workspace.feed.close()  # end the open event streams
            if ticks is not None:
                ticks.stop()
                ticks.monitor.close()
            if loop is not None:
                loop.stop()

    return lifespan


def create_app(
    store: Store,
    scenario: Scenario,
    *,
    simulated: bool = True,
    log_dir: Path | None = None,
    hq: HqServices | None = None,
    publish_interval: float = 1.0,
    monitor_interval: float = 10.0,
    workspace: coordinator.Workspace | None = None,
) -> FastAPI:
    """The web app over ``store`` for ``scenario``'s corridor.

    ``simulated`` puts the SIMULATED label on the page and a ``simulated`` flag in every figure.
    The public log is served from the store under ``/log/`` (:mod:`corridor.web.log`);
    ``log_dir`` is where its static copy lives, if any. With ``hq`` the node accepts pushes
    from posts and publishes a checkpoint every ``publish_interval`` seconds while the log grows,
    and, if its monitor runs, ticks the monitor every ``monitor_interval`` seconds.
    ``workspace`` is the coordinator's workspace under ``/hq/`` (if not given, a fresh one
    following ``hq``'s live feed).
    """
    corridor = scenario.corridor
    app = FastAPI(
        title=f"corridor API: {corridor.label}",
        version=__version__,
        description=(
            "Public figures, map layers and log entries of one transit corridor. "
            "Figures count passed vehicles; see docs/data-model.md for the counting rule."
        ),
        openapi_url=f"{api.PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=_lifespan(hq, publish_interval, monitor_interval),
    )
    app.state.context = WebContext(store, scenario, simulated, log_dir, hq)
    app.add_exception_handler(CorridorError, _corridor_error)
    app.add_exception_handler(RequestValidationError, _request_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_middleware(SecurityHeaders)
    app.include_router(api.router)
    app.include_router(log.router)
    app.include_router(pages.router)
    app.include_router(ogc.router)
    coordinator.mount(app, workspace or coordinator.workspace_for(hq))
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app


def create_app_for_dir(directory: Path) -> FastAPI:
    """The web app over the data directory at ``directory`` (its scenario, its store or the
    database ``CORRIDOR_DATABASE_URL`` names)."""
    if not directory.is_dir():
        raise ConfigError(
            f"{directory} is not a corridor data directory (no such directory); "
            "run `corridor demo --dir` to make one"
        )
    settings = load_settings()
    datadir = DataDir(directory)
    scenario = datadir.scenario()
    store = datadir.open_store(settings.database_url)
    interval = settings.publish_interval
    hq = HqServices.for_datadir(datadir, store, monitoring=settings.monitor)
    return create_app(
        store,
        scenario,
        simulated=scenario.traffic.simulated,
        log_dir=datadir.log,
        hq=hq,
        publish_interval=interval,
        monitor_interval=settings.monitor_interval,
    )
