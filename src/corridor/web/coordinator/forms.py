"""The workspace's forms that change something: acknowledge an alert, plan a convoy, upload a
crew's zone, register a vehicle or a tracker, add a user. Each parses, calls corridor.hq (or
:func:`corridor.post.auth.add_operator` for users) and redirects back (post/redirect/get); a
bad field is a 4xx error page naming it, and nothing is stored. Roles and CSRF are checked by
:func:`corridor.web.coordinator.access.authorize` before any handler runs.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from corridor.errors import ValidationError
from corridor.hq import alerts as alert_store
from corridor.hq import live
from corridor.hq import workspace as queries
from corridor.hq.convoys import add_convoy
from corridor.hq.crews import add_crew, add_zone
from corridor.hq.devices import register_device
from corridor.hq.vehicles import RegisteredVehicle, register_vehicles
from corridor.model.vocabulary import VehicleClass
from corridor.post.auth import add_operator
from corridor.web.context import Context
from corridor.web.coordinator.deps import User, WorkspaceDep
from corridor.web.coordinator.pages import router


def _text(form: Any, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _back(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


@router.post("/alerts/{alert_id}/acknowledge", name="hq_alert_acknowledge")
async def acknowledge(
    alert_id: int, context: Context, workspace: WorkspaceDep, user: User
) -> RedirectResponse:
    """The page's fallback without JavaScript (the script calls the JSON endpoint)."""
    alert = await run_in_threadpool(
        alert_store.acknowledge,
        context.store,
        alert_id,
        user.operator.username,
        workspace.clock(),
    )
    workspace.feed.publish(live.ALERT, {**alert, "change": "acknowledged"})
    return _back("/hq/alerts")


@router.post("/convoys", name="hq_convoy_add")
async def convoy_add(
    request: Request, context: Context, workspace: WorkspaceDep, _user: User
) -> RedirectResponse:
    form = await request.form()
    plates = [p for p in _text(form, "plates").replace(",", "\n").splitlines() if p.strip()]
    route = _text(form, "route_version")
    if route and not route.isdigit():
        raise ValidationError("route_version", "a route version number, or empty")
    await run_in_threadpool(
        lambda: add_convoy(
            context.store,
            context.corridor,
            convoy_id=_text(form, "convoy_id"),
            name=_text(form, "name"),
            direction=_text(form, "direction"),
            planned_departure=_text(form, "planned_departure"),
            plates=plates,
            route_version=int(route) if route else None,
            clock=workspace.clock,
        )
    )
    return _back("/hq/convoys")


@router.post("/crews", name="hq_crew_add")
async def crew_add(request: Request, context: Context, _user: User) -> RedirectResponse:
    form = await request.form()
    crew_id, name = _text(form, "crew_id"), _text(form, "name")
    await run_in_threadpool(add_crew, context.store, crew_id, name)
    return _back("/hq/crews")


@router.post("/crews/zones", name="hq_zone_upload")
async def zone_upload(request: Request, context: Context, _user: User) -> RedirectResponse:
    form = await request.form()
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise ValidationError("file", "choose a GeoJSON file to upload")
        raw = await upload.read(queries.MAX_ZONE_BYTES + 1)
    finally:
        await form.close()  # the upload's temporary file
    if len(raw) > queries.MAX_ZONE_BYTES:
        raise ValidationError("file", f"larger than {queries.MAX_ZONE_BYTES:,} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationError("file", "a GeoJSON file is UTF-8 text") from exc
    await run_in_threadpool(
        lambda: add_zone(
            context.store,
            context.corridor,
            crew_id=_text(form, "crew_id"),
            geojson=text,
            active_from=_text(form, "active_from"),
            active_to=_text(form, "active_to"),
            name=_text(form, "name") or None,
        )
    )
    return _back("/hq/crews")


@router.post("/registry/vehicles", name="hq_vehicle_add")
async def vehicle_add(request: Request, context: Context, _user: User) -> RedirectResponse:
    form = await request.form()
    plate, kind = _text(form, "plate"), _text(form, "vehicle_class")
    if not plate or len(plate) > 32:
        raise ValidationError("plate", "1 to 32 characters")
    try:
        vehicle_class = VehicleClass(kind)
    except ValueError as exc:
        known = ", ".join(c.value for c in VehicleClass)
        raise ValidationError("vehicle_class", f"one of {known}") from exc
    await run_in_threadpool(
        register_vehicles, context.store, [RegisteredVehicle(plate, vehicle_class)]
    )
    return _back("/hq/registry")


@router.post("/registry/devices", name="hq_device_add")
async def device_add(
    request: Request, context: Context, workspace: WorkspaceDep, _user: User
) -> RedirectResponse:
    form = await request.form()
    kind, subject = _text(form, "subject_kind"), _text(form, "subject")
    if kind not in ("vehicle", "crew"):
        raise ValidationError("subject_kind", "vehicle or crew")
    await run_in_threadpool(
        lambda: register_device(
            context.store,
            _text(form, "device_id"),
            workspace.clock(),
            vehicle=subject if kind == "vehicle" else None,
            crew=subject if kind == "crew" else None,
        )
    )
    return _back("/hq/registry")


@router.post("/users", name="hq_user_add")
async def user_add(
    request: Request, context: Context, workspace: WorkspaceDep, _user: User
) -> RedirectResponse:
    form = await request.form()
    role = _text(form, "role")
    if not role:
        raise ValidationError("role", "choose a role")
    password = form.get("password")
    await run_in_threadpool(
        lambda: add_operator(
            context.store,
            _text(form, "username"),
            None,
            password if isinstance(password, str) else "",
            role,
            **({"hasher": workspace.hasher} if workspace.hasher else {}),
        )
    )
    return _back("/hq/users")
