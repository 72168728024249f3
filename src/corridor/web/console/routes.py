"""The console's pages: login, the passage form with today's passages, and receipts.

Handlers parse, call the node (:mod:`corridor.post`) and render; log-ins go through the throttle
(:func:`corridor.post.throttle.log_in`: 429 with ``Retry-After`` while locked, and a
``login_locked`` alert when a lock starts); "saved" is shown only after
:meth:`~corridor.post.node.PostNode.record_passage` returned, i.e. after the outbox commit
(post/redirect/get: the page after a save is ``/console?saved=<seq>``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from corridor.errors import CorridorError, NotFoundError, ValidationError
from corridor.post import auth, throttle
from corridor.post.form import PassageForm
from corridor.web.console import views
from corridor.web.console.deps import Console, ConsoleContext, LoggedIn, check_csrf

TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")

router = APIRouter(include_in_schema=False)


def _cookie(response: Response, context: ConsoleContext, name: str, value: str) -> None:
    response.set_cookie(
        name,
        value,
        httponly=True,
        samesite="strict",
        secure=context.secure_cookies,
        path="/",
    )


def render(
    request: Request,
    context: ConsoleContext,
    template: str,
    values: dict[str, Any],
    *,
    csrf: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """Render a page with a CSRF token in it and in this browser's CSRF cookie."""
    token = csrf or request.cookies.get(auth.CSRF_COOKIE) or auth.new_csrf_token()
    node = context.node
    page = {"post": node.post_id, "corridor": node.corridor.label, "csrf": token, **values}
    response = TEMPLATES.TemplateResponse(request, template, page, status_code=status_code)
    if request.cookies.get(auth.CSRF_COOKIE) != token:
        _cookie(response, context, auth.CSRF_COOKIE, token)
    return response


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/console", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, context: Console) -> HTMLResponse:
    return render(request, context, "login.html", {"error": None, "username": ""})


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request, context: Console) -> Response:
    form = await request.form()
    check_csrf(request, _field(form, auth.CSRF_FIELD), None)
    username = _field(form, "username")
    node = context.node
    try:
        # The throttle refuses before the (deliberately slow) Argon2 check, in the same call.
        operator = await run_in_threadpool(
            throttle.log_in,
            node.store,
            node.post_id,
            username,
            _field(form, "password"),
            request.client.host if request.client else "unknown",
            context.throttle,
            hasher=context.hasher,
        )
    except throttle.LoginThrottled as exc:
        for lockout in exc.lockouts:
            await run_in_threadpool(
                node.raise_alert, throttle.LOCKOUT_ALERT, lockout.describe(), "console"
            )
        message = exc.explain(_retry_at(node.clock(), exc.retry_after))
        page = render(
            request,
            context,
            "login.html",
            {"error": message, "username": username},
            status_code=429,
        )
        page.headers["Retry-After"] = str(exc.retry_after)
        return page
    except auth.AuthenticationError as exc:
        values = {"error": str(exc), "username": username}
        return render(request, context, "login.html", values, status_code=401)
    token, session = context.sessions.start(operator)
    response = RedirectResponse("/console", status_code=303)
    _cookie(response, context, auth.SESSION_COOKIE, token)
    _cookie(response, context, auth.CSRF_COOKIE, session.csrf)
    return response


@router.post("/logout")
async def logout(request: Request, context: Console, session: LoggedIn) -> Response:
    form = await request.form()
    check_csrf(request, _field(form, auth.CSRF_FIELD), session)
    context.sessions.end(request.cookies.get(auth.SESSION_COOKIE))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(auth.SESSION_COOKIE, path="/")
    return response


def _console_page(
    request: Request,
    context: ConsoleContext,
    session: auth.Session,
    *,
    submitted: dict[str, Any] | None = None,
    error: ValidationError | CorridorError | None = None,
    saved: int | None = None,
) -> HTMLResponse:
    node = context.node
    values = views.form_values(submitted)
    page = {
        "operator": session.operator.username,
        "choices": views.choices(node),
        "reason_kinds": views.reason_kinds(),
        "values": values,
        "error_target": views.error_target(getattr(error, "field", None)),
        "error": str(error) if error is not None else None,
        "saved": saved,
        "counts": node.counts(),
        "passages": [views.passage_line(row) for row in node.today()],
        "alerts": node.open_alerts(),
        "registry_ready": node.pseudonym_key() is not None,
    }
    status = error.status_code if error is not None else 200
    return render(request, context, "console.html", page, csrf=session.csrf, status_code=status)


@router.get("/console", response_class=HTMLResponse)
def console(
    request: Request,
    context: Console,
    session: LoggedIn,
    saved: int | None = None,
    permit: str | None = None,
) -> HTMLResponse:
    submitted: dict[str, Any] | None = None
    if permit:
        # Without JavaScript the permit box is a GET form: fill plate and class from it.
        try:
            found = context.node.find_permit(permit)
        except NotFoundError as exc:
            return _console_page(
                request, context, session, error=ValidationError("permit", str(exc))
            )
        submitted = {
            "plate": found.plate,
            "vehicle_class": found.vehicle_class or "",
            "permit": found.code,
        }
    return _console_page(request, context, session, submitted=submitted, saved=saved)


@router.post("/console/passages", response_class=HTMLResponse)
async def record(request: Request, context: Console, session: LoggedIn) -> Response:
    form = await request.form()
    check_csrf(request, _field(form, auth.CSRF_FIELD), session)
    try:
        passage = PassageForm.from_form(form)
        row = await run_in_threadpool(
            context.node.record_passage, passage, session.operator.username
        )
    except CorridorError as exc:
        submitted: dict[str, Any] = {key: _field(form, key) for key in form if key != "csrf"}
        categories, weights = form.getlist("cargo_category"), form.getlist("cargo_kg")
        submitted["cargo"] = list(zip(map(str, categories), map(str, weights), strict=False)) or [
            ("", "")
        ]
        return _console_page(request, context, session, submitted=submitted, error=exc)
    return RedirectResponse(f"/console?saved={row.seq}", status_code=303)


@router.post("/console/alerts/{alert_id}/acknowledge")
async def acknowledge_alert(
    request: Request, context: Console, session: LoggedIn, alert_id: int
) -> Response:
    form = await request.form()
    check_csrf(request, _field(form, auth.CSRF_FIELD), session)
    await run_in_threadpool(context.node.acknowledge_alert, alert_id)
    return RedirectResponse("/console", status_code=303)


@router.get("/console/passages/{seq}/receipt", response_class=HTMLResponse)
def receipt(request: Request, context: Console, session: LoggedIn, seq: int) -> HTMLResponse:
    view = views.receipt_view(context.node.row(seq))
    return render(request, context, "receipt.html", view, csrf=session.csrf)


@router.get("/console/passages/{seq}/receipt.png")
def receipt_qr(context: Console, session: LoggedIn, seq: int) -> Response:
    view = views.receipt_view(context.node.row(seq))
    return Response(views.qr_png(view["proof"]), media_type="image/png")


def _retry_at(now: datetime, seconds: int) -> str:
    """The post's wall-clock time ``seconds`` from ``now``, rounded up to the minute."""
    at = now.astimezone(UTC) + timedelta(seconds=seconds)
    if at.second or at.microsecond:
        at = at.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return at.strftime("%H:%M UTC")


def _field(form: Any, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""
