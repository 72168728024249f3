"""Who may call which route of the coordinator's workspace: ONE table, checked on every request.

:data:`ACCESS` maps each route's name to the lowest role that may call it (roles rank as in
:data:`corridor.post.auth.HQ_ROLES`: viewer < coordinator < admin), or :data:`PUBLIC` for the
log-in page. The router carries :func:`authorize` as a dependency, so no route can skip it, and a
route missing from the table is refused (403) rather than open: tests/web/coordinator walks
every route of the router against this table for every role.

* no session: 401 (:class:`LoginRequired`); a role below the route's: 403 (:class:`RoleError`)
* a state-changing request (POST) must carry the session's CSRF token in the ``X-CSRF-Token``
  header or the ``csrf`` form field, equal to the ``corridor_hq_csrf`` cookie (double submit),
  else 403 (:class:`~corridor.post.auth.CsrfError`)
"""

from __future__ import annotations

from fastapi import Request

from corridor.errors import CorridorError
from corridor.post.auth import HQ_ROLES, AuthenticationError, CsrfError, Session, same_token
from corridor.web.coordinator.deps import get_workspace

VIEWER, COORDINATOR, ADMIN = HQ_ROLES
PUBLIC = "public"

#: Route name -> the lowest role allowed. The one place the workspace's permissions live.
ACCESS: dict[str, str] = {
    # log-in
    "hq_login_page": PUBLIC,
    "hq_login": PUBLIC,
    "hq_logout": VIEWER,
    # pages
    "hq_map": VIEWER,
    "hq_alerts": VIEWER,
    "hq_alert_acknowledge": COORDINATOR,
    "hq_convoys": VIEWER,
    "hq_convoy_add": COORDINATOR,
    "hq_crews": VIEWER,
    "hq_crew_add": COORDINATOR,
    "hq_zone_upload": COORDINATOR,
    "hq_registry": VIEWER,
    "hq_vehicle_add": ADMIN,
    "hq_device_add": ADMIN,
    "hq_transit": VIEWER,
    "hq_posts": VIEWER,
    "hq_users": ADMIN,
    "hq_user_add": ADMIN,
    # JSON and the live feed
    "hq_api_me": VIEWER,
    "hq_api_alerts": VIEWER,
    "hq_api_acknowledge": COORDINATOR,
    "hq_api_positions": COORDINATOR,
    "hq_api_zones": VIEWER,
    "hq_api_posts": VIEWER,
    "hq_api_events": VIEWER,
}

#: Topics of the live feed (corridor.hq.live) and the lowest role that receives each: positions
#: are private, so viewers never get them.
TOPIC_ACCESS: dict[str, str] = {"position": COORDINATOR, "alert": VIEWER, "sync": VIEWER}

SESSION_COOKIE = "corridor_hq_session"
CSRF_COOKIE = "corridor_hq_csrf"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class LoginRequired(AuthenticationError):
    """No live session (401): pages offer the log-in page, the JSON endpoints say so."""


class RoleError(CorridorError):
    """The logged-in user's role may not do this (403)."""

    status_code = 403


def rank(role: str) -> int:
    """viewer 0, coordinator 1, admin 2; an unknown role ranks below every route."""
    return HQ_ROLES.index(role) if role in HQ_ROLES else -1


def allows(role: str, needed: str) -> bool:
    return needed == PUBLIC or rank(role) >= rank(needed)


def topics_for(role: str) -> list[str]:
    """The live-feed topics ``role`` may receive."""
    return [topic for topic, needed in TOPIC_ACCESS.items() if allows(role, needed)]


def route_name(request: Request) -> str | None:
    route = request.scope.get("route")
    name = getattr(route, "name", None)
    return name if isinstance(name, str) else None


async def authorize(request: Request) -> None:
    """The router's guard: session, role and CSRF as :data:`ACCESS` says for this route."""
    name = route_name(request)
    needed = ACCESS.get(name or "")
    if needed is None:
        raise RoleError(f"route {name!r} has no entry in the access table: refused")
    workspace = get_workspace(request)
    session = workspace.sessions.get(request.cookies.get(SESSION_COOKIE))
    request.state.hq_session = session
    if needed != PUBLIC:
        if session is None:
            raise LoginRequired("log in first (or your session ended)")
        role = session.operator.role
        if not allows(role, needed):
            raise RoleError(f"a {role} may not do this: it needs the {needed} role or above")
    if request.method not in SAFE_METHODS:
        await check_csrf(request, session)


async def check_csrf(request: Request, session: Session | None) -> None:
    """The request's token (header or form field) must equal this browser's CSRF cookie and,
    once logged in, the session's own token."""
    submitted = request.headers.get(CSRF_HEADER)
    form = None
    if submitted is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()  # parsed once: the handler reads the same form
        value = form.get(CSRF_FIELD)
        submitted = value if isinstance(value, str) else None
    problem = None
    if not same_token(submitted, request.cookies.get(CSRF_COOKIE)):
        problem = "this request is stale or was not sent by the workspace; reload the page"
    elif session is not None and not same_token(submitted, session.csrf):
        problem = "this request belongs to another session; reload the page"
    if problem is not None:
        if form is not None:
            await form.close()  # an upload's temporary files
        raise CsrfError(problem)
