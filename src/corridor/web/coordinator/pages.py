"""The workspace's pages: log-in and log-out, the live map, alerts, convoys, crews and zones,
the registry, posts, users. Handlers read (corridor.hq.*) and render; the forms that change
something are in :mod:`corridor.web.coordinator.forms`. Who may open which page is
:data:`corridor.web.coordinator.access.ACCESS`.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from corridor.errors import CorridorError
from corridor.hq import workspace as queries
from corridor.hq.alerts import AlertFilter, list_alerts
from corridor.hq.convoys import list_convoys
from corridor.hq.devices import list_devices
from corridor.model.vocabulary import VehicleClass
from corridor.post import auth, throttle
from corridor.reports.transit import dwell_times, transit_days, transit_times
from corridor.store.schema import permits, vehicles
from corridor.web.context import Context
from corridor.web.coordinator import access
from corridor.web.coordinator.deps import User, Workspace, WorkspaceDep

TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")

router = APIRouter(prefix="/hq", include_in_schema=False, dependencies=[Depends(access.authorize)])


def set_cookie(response: Response, workspace: Workspace, name: str, value: str) -> None:
    response.set_cookie(
        name, value, httponly=True, samesite="strict", secure=workspace.secure_cookies, path="/hq"
    )


def render(
    request: Request, template: str, values: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    """A page with the corridor's name, the user, the navigation and a CSRF token (also put in
    this browser's CSRF cookie when it differs)."""
    context = request.app.state.context
    workspace: Workspace = request.app.state.workspace
    session: auth.Session | None = getattr(request.state, "hq_session", None)
    token = (
        session.csrf
        if session is not None
        else request.cookies.get(access.CSRF_COOKIE) or auth.new_csrf_token()
    )
    role = session.operator.role if session is not None else None
    page = {
        "corridor": context.corridor.label,
        "simulated": context.simulated,
        "user": session.operator.username if session is not None else None,
        "role": role,
        "can": {
            name: role is not None and access.allows(role, needed)
            for name, needed in access.ACCESS.items()
        },
        "csrf": token,
        **values,
    }
    response = TEMPLATES.TemplateResponse(request, template, page, status_code=status_code)
    if request.cookies.get(access.CSRF_COOKIE) != token:
        set_cookie(response, workspace, access.CSRF_COOKIE, token)
    return response


def error_page(request: Request, exc: CorridorError) -> HTMLResponse:
    """An error on a page (not /hq/api/): its status, the message, and the way on."""
    login = isinstance(exc, access.LoginRequired)
    way = '<a href="/hq/login">Log in</a>' if login else '<a href="/hq/">Back to the map</a>'
    body = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>HQ workspace: '
        f'error {exc.status_code}</title><link rel="stylesheet" href="/hq/static/workspace.css">'
        f'</head><body><main class="error-page"><h1>{exc.status_code} {type(exc).__name__}</h1>'
        f'<p role="alert">{html.escape(str(exc))}</p><p>{way}</p></main></body></html>'
    )
    return HTMLResponse(body, status_code=exc.status_code)


@router.get("/login", response_class=HTMLResponse, name="hq_login_page")
def login_page(request: Request) -> HTMLResponse:
    return render(request, "login.html", {"error": None, "username": ""})


@router.post("/login", response_class=HTMLResponse, name="hq_login")
async def login(request: Request, workspace: WorkspaceDep, context: Context) -> Response:
    form = await request.form()
    username, password = str(form.get("username") or ""), str(form.get("password") or "")
    try:
        # The throttle refuses before the (deliberately slow) Argon2 check, in the same call.
        operator = await run_in_threadpool(
            throttle.log_in,
            context.store,
            None,
            username,
            password,
            request.client.host if request.client else "unknown",
            workspace.throttle,
            hasher=workspace.hasher,
            roles=auth.HQ_ROLES,
        )
    except throttle.LoginThrottled as exc:
        whose = "from this computer" if exc.scope == throttle.ADDRESS else "for this username"
        message = f"Too many failed log-ins {whose}: try again in {exc.retry_after} seconds."
        page = render(
            request, "login.html", {"error": message, "username": username}, status_code=429
        )
        page.headers["Retry-After"] = str(exc.retry_after)
        return page
    except auth.AuthenticationError:
        values = {"error": "Wrong username or password.", "username": username}
        return render(request, "login.html", values, status_code=401)
    old = request.cookies.get(access.SESSION_COOKIE)
    workspace.sessions.end(old)
    token, session = workspace.sessions.start(operator)
    response = RedirectResponse("/hq/", status_code=303)
    set_cookie(response, workspace, access.SESSION_COOKIE, token)
    set_cookie(response, workspace, access.CSRF_COOKIE, session.csrf)
    return response


@router.post("/logout", name="hq_logout")
def logout(request: Request, workspace: WorkspaceDep, _user: User) -> Response:
    workspace.sessions.end(request.cookies.get(access.SESSION_COOKIE))
    response = RedirectResponse("/hq/login", status_code=303)
    response.delete_cookie(access.SESSION_COOKIE, path="/hq")
    return response


@router.get("/", response_class=HTMLResponse, name="hq_map")
def live_map(request: Request, user: User) -> HTMLResponse:
    positions = access.allows(user.operator.role, access.ACCESS["hq_api_positions"])
    return render(request, "map.html", {"page": "map", "show_positions": positions})


@router.get("/alerts", response_class=HTMLResponse, name="hq_alerts")
def alerts_page(request: Request, context: Context, _user: User) -> HTMLResponse:
    query = {k: v for k, v in request.query_params.items() if v}
    where = AlertFilter.parse(**_filter_args(query))
    with context.store.read() as conn:
        found = list_alerts(conn, where)
    return render(
        request,
        "alerts.html",
        {"page": "alerts", "alerts": found, "filters": query, "where": where},
    )


def _filter_args(query: dict[str, str]) -> dict[str, str]:
    names = ("kind", "severity", "state", "acknowledged", "subject", "since", "until")
    args = {name: query[name] for name in names if name in query}
    args.update({name: query[name] for name in ("limit", "offset") if name in query})
    return args


@router.get("/convoys", response_class=HTMLResponse, name="hq_convoys")
def convoys_page(request: Request, context: Context, _user: User) -> HTMLResponse:
    found = list_convoys(context.store)
    return render(request, "convoys.html", {"page": "convoys", "convoys": found})


@router.get("/crews", response_class=HTMLResponse, name="hq_crews")
def crews_page(request: Request, context: Context, _user: User) -> HTMLResponse:
    with context.store.read() as conn:
        found = queries.crews_with_zones(conn)
    return render(request, "crews.html", {"page": "crews", "crews": found})


@router.get("/registry", response_class=HTMLResponse, name="hq_registry")
def registry_page(request: Request, context: Context, _user: User) -> HTMLResponse:
    with context.store.read() as conn:
        fleet = [
            dict(r._mapping) for r in conn.execute(vehicles.select().order_by(vehicles.c.plate))
        ]
        permit_rows = [
            dict(r._mapping) for r in conn.execute(permits.select().order_by(permits.c.code))
        ]
    values = {
        "page": "registry",
        "vehicles": fleet,
        "permits": permit_rows,
        "devices": list_devices(context.store),
        "vehicle_classes": [c.value for c in VehicleClass],
    }
    return render(request, "registry.html", values)


@router.get("/transit", response_class=HTMLResponse, name="hq_transit")
def transit_page(request: Request, context: Context, _user: User) -> HTMLResponse:
    """Dwell at each post and transit between posts, median and p90 per day, direction and
    class; coordinators see every group, the public API only groups of enough vehicles."""
    with context.store.read() as conn:
        day_from, day_to = transit_days(conn, request.query_params)
        dwell = dwell_times(conn, day_from, day_to)
        transit = transit_times(conn, day_from, day_to)
    values = {
        "page": "transit",
        "day_from": day_from,
        "day_to": day_to,
        "dwell": dwell,
        "transit": transit,
    }
    return render(request, "transit.html", values)


@router.get("/posts", response_class=HTMLResponse, name="hq_posts")
def posts_page(request: Request, context: Context, _user: User) -> HTMLResponse:
    with context.store.read() as conn:
        found = queries.posts_overview(conn, context.corridor)
    return render(request, "posts.html", {"page": "posts", "posts": found})


@router.get("/users", response_class=HTMLResponse, name="hq_users")
def users_page(request: Request, context: Context, _user: User) -> HTMLResponse:
    with context.store.read() as conn:
        found = queries.hq_users(conn)
    return render(request, "users.html", {"page": "users", "users": found, "roles": auth.HQ_ROLES})
