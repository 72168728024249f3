"""Every route of the workspace, for every role: anonymous 401, a role too low 403, the right
roles 2xx/3xx. The routes are enumerated from the app, so a new route cannot be forgotten: one
without an entry in access.ACCESS, or without a request here, fails the walk."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from corridor.web.coordinator import Workspace, access, mount
from tests.browser import served
from tests.post.conftest import PASSWORD
from tests.web.coordinator.conftest import (
    PLATES,
    ROLES,
    Hq,
    Login,
    TestClient,
    insert_alert,
    log_in_client,
)

_unique = itertools.count(1)

GEOJSON = b'{"type":"Polygon","coordinates":[[[46.5,39.6],[46.52,39.6],[46.52,39.62],[46.5,39.6]]]}'

#: How to call each route validly: (method, path, form data, files).
Request = tuple[str, str, dict[str, str] | None, dict[str, Any] | None]


def valid_request(name: str, hq: Hq, role: str) -> Request:
    n = next(_unique)
    alert = insert_alert(hq.store) if "acknowledge" in name else 0
    requests: dict[str, Callable[[], Request]] = {
        "hq_login_page": lambda: ("GET", "/hq/login", None, None),
        "hq_login": lambda: ("POST", "/hq/login", {"username": role, "password": PASSWORD}, None),
        "hq_logout": lambda: ("POST", "/hq/logout", {}, None),
        "hq_map": lambda: ("GET", "/hq/", None, None),
        "hq_alerts": lambda: ("GET", "/hq/alerts?state=open&severity=warning", None, None),
        "hq_alert_acknowledge": lambda: ("POST", f"/hq/alerts/{alert}/acknowledge", {}, None),
        "hq_convoys": lambda: ("GET", "/hq/convoys", None, None),
        "hq_convoy_add": lambda: (
            "POST",
            "/hq/convoys",
            {
                "convoy_id": f"C-{n}",
                "name": f"Returnees {n}",
                "direction": "inbound",
                "planned_departure": "2021-03-01T08:00:00Z",
                "plates": "\n".join(PLATES[:2]),
            },
            None,
        ),
        "hq_crews": lambda: ("GET", "/hq/crews", None, None),
        "hq_transit": lambda: ("GET", "/hq/transit?from=2021-03-01&to=2021-03-07", None, None),
        "hq_crew_add": lambda: (
            "POST",
            "/hq/crews",
            {"crew_id": f"K-{n}", "name": f"Crew {n}"},
            None,
        ),
        "hq_zone_upload": lambda: (
            "POST",
            "/hq/crews/zones",
            {
                "crew_id": "K1",
                "name": f"zone {n}",
                "active_from": "2021-03-01T06:00:00Z",
                "active_to": "2021-03-01T18:00:00Z",
            },
            {"file": ("zone.geojson", GEOJSON, "application/geo+json")},
        ),
        "hq_registry": lambda: ("GET", "/hq/registry", None, None),
        "hq_vehicle_add": lambda: (
            "POST",
            "/hq/registry/vehicles",
            {"plate": f"77 ZZ {n:03d}", "vehicle_class": "truck"},
            None,
        ),
        "hq_device_add": lambda: (
            "POST",
            "/hq/registry/devices",
            {"device_id": f"tracker-{n}", "subject_kind": "crew", "subject": "K1"},
            None,
        ),
        "hq_posts": lambda: ("GET", "/hq/posts", None, None),
        "hq_users": lambda: ("GET", "/hq/users", None, None),
        "hq_user_add": lambda: (
            "POST",
            "/hq/users",
            {"username": f"user{n}", "role": "viewer", "password": "long enough pw"},
            None,
        ),
        "hq_api_me": lambda: ("GET", "/hq/api/me", None, None),
        "hq_api_alerts": lambda: ("GET", "/hq/api/alerts?limit=5", None, None),
        "hq_api_acknowledge": lambda: ("POST", f"/hq/api/alerts/{alert}/acknowledge", {}, None),
        "hq_api_positions": lambda: ("GET", "/hq/api/positions", None, None),
        "hq_api_zones": lambda: ("GET", "/hq/api/zones", None, None),
        "hq_api_posts": lambda: ("GET", "/hq/api/posts", None, None),
        "hq_api_events": lambda: ("GET", "/hq/api/events", None, None),
    }
    return requests[name]()


def api_routes(routes: Sequence[BaseRoute]) -> Iterator[APIRoute]:
    """Every APIRoute of an app, inside included routers too (FastAPI wraps those)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from api_routes(inner.routes)


def workspace_routes() -> list[APIRoute]:
    """The workspace's routes as HQ's app serves them (everything under /hq/)."""
    app = FastAPI()
    mount(app, Workspace())
    return [r for r in api_routes(app.routes) if r.path.startswith("/hq/")]


def test_every_route_is_in_the_access_table_and_mounted(hq: Hq) -> None:
    names = {r.name for r in workspace_routes()}
    assert len(names) == len(workspace_routes()), "two routes share a name"
    assert names == set(access.ACCESS), "ACCESS and the routes disagree"
    on_hq = {r.name for r in api_routes(hq.app.routes) if r.path.startswith("/hq/")}
    assert on_hq == names


def send(client: Any, request: Request, csrf: str | None) -> httpx.Response:
    method, path, data, files = request
    if method == "GET":
        return client.get(path)  # type: ignore[no-any-return]
    form = dict(data or {})
    if csrf is not None:
        form["csrf"] = csrf
    return client.post(path, data=form, files=files)  # type: ignore[no-any-return]


@pytest.mark.parametrize("route", workspace_routes(), ids=lambda r: r.name)
def test_route_for_every_role(route: APIRoute, hq: Hq, login: Login) -> None:
    needed = access.ACCESS[route.name]
    with TestClient(hq.app, follow_redirects=False) as nobody:
        nobody.get("/hq/login")
        csrf = nobody.cookies.get(access.CSRF_COOKIE)
        answer = send(nobody, valid_request(route.name, hq, "viewer"), csrf)
        if needed == access.PUBLIC:
            assert answer.status_code < 500
        else:
            assert answer.status_code == 401, (route.name, answer.text)
    for role in ROLES:
        client = login(role)
        csrf = client.cookies.get(access.CSRF_COOKIE)
        answer = send(client, valid_request(route.name, hq, role), csrf)
        if access.allows(role, needed):
            assert 200 <= answer.status_code < 400, (route.name, role, answer.text)
        else:
            assert answer.status_code == 403, (route.name, role, answer.text)
            assert "needs the" in answer.text


def test_a_sample_over_a_real_socket(hq: Hq) -> None:
    """Positions and acknowledging over uvicorn: viewer 403, coordinator 200, nobody 401."""
    alert = insert_alert(hq.store)
    with served(hq.app) as url:
        with httpx.Client(base_url=url) as nobody:
            assert nobody.get("/hq/api/positions").status_code == 401
            assert nobody.get("/hq/alerts").status_code == 401
        with httpx.Client(base_url=url) as viewer:
            csrf = log_in_client(viewer, "viewer")
            assert viewer.get("/hq/api/positions").status_code == 403
            refused = viewer.post(
                f"/hq/api/alerts/{alert}/acknowledge", headers={"X-CSRF-Token": csrf}
            )
            assert refused.status_code == 403
            assert refused.json()["error"] == "RoleError"
        with httpx.Client(base_url=url) as coordinator:
            csrf = log_in_client(coordinator, "coordinator")
            assert coordinator.get("/hq/api/positions").status_code == 200
            done = coordinator.post(
                f"/hq/api/alerts/{alert}/acknowledge", headers={"X-CSRF-Token": csrf}
            )
            assert done.status_code == 200
            assert done.json()["acknowledged_by"] == "coordinator"
