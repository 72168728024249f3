"""The daily bulletins: ``/bulletins/`` (every day, newest first), ``/bulletins/{day}`` (one
day's page), ``/bulletins/{day}.pdf`` (the same page laid out for print, as PDF) and
``/bulletins/{day}.json`` (the signed log entry as published, with its log index).

Only bulletins a published checkpoint covers are shown (:mod:`corridor.reports.bulletin_pages`).
A day is written ``YYYY-MM-DD``: anything else is a 400, a day without a bulletin a 404, each
with its message in the reader's language.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy import Connection

from corridor.errors import BadRequestError, NotFoundError
from corridor.reports.bulletin_pages import BulletinPage, bulletin_page, published_bulletins
from corridor.store import queries
from corridor.web.bulletin_view import headline, page_context
from corridor.web.context import Context, Reader, WebContext
from corridor.web.i18n import language_of, localizer, render
from corridor.web.labels import labels
from corridor.web.pdf import html_to_pdf

router = APIRouter(include_in_schema=False)

DAY_FORM = re.compile(r"\d{4}-\d{2}-\d{2}")


def _day(request: Request, text: str) -> date:
    loc = localizer(language_of(request))
    try:
        if DAY_FORM.fullmatch(text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise BadRequestError(
        loc.gettext(
            "day: %(day)s is not a date; write the day as YYYY-MM-DD, for example 2020-12-01",
            day=repr(text),
        )
    )


def _page(request: Request, conn: Connection, text: str) -> BulletinPage:
    day = _day(request, text)
    page = bulletin_page(conn, day)
    if page is None:
        loc = localizer(language_of(request))
        raise NotFoundError(
            loc.gettext(
                "No bulletin has been published for %(day)s; the index at /bulletins/ "
                "lists every published day",
                day=day.isoformat(),
            )
        )
    return page


def _audit(request: Request, conn: Connection) -> dict[str, Any]:
    vkey = queries.get_meta(conn, "log_vkey")
    log_url = str(request.base_url) + "log/"
    return {
        "log_url": log_url,
        "log_vkey": vkey,
        "audit_command": None if vkey is None else f"corridor audit {log_url} --vkey {vkey}",
    }


@router.api_route("/bulletins/", methods=["GET", "HEAD"], response_class=HTMLResponse)
def index(request: Request, conn: Reader) -> HTMLResponse:
    bulletins = published_bulletins(conn)
    days = [(b, headline(b)) for b in reversed(bulletins)]
    words = labels(localizer(language_of(request)))
    return render(
        request,
        "bulletins.html",
        {"days": days, "direction_labels": words.directions, **_audit(request, conn)},
    )


@router.get("/bulletins/{day}.json")
def entry(request: Request, conn: Reader, day: str) -> JSONResponse:
    bulletin = _page(request, conn, day).bulletin
    return JSONResponse({"log_index": bulletin.log_index, "entry": bulletin.entry})


def _html(
    request: Request, context: WebContext, conn: Connection, day: str, *, for_print: bool
) -> HTMLResponse:
    page = _page(request, conn, day)
    return render(
        request,
        "bulletin.html",
        {
            **page_context(page, localizer(language_of(request))),
            **_audit(request, conn),
            "endpoints": [place.label for place in context.corridor.endpoints],
            "for_print": for_print,
        },
    )


@router.get("/bulletins/{day}.pdf")
def pdf(request: Request, context: Context, conn: Reader, day: str) -> Response:
    # A plain `def`: FastAPI runs it in its thread pool, so the second of CPU that laying out
    # a PDF takes stays off the event loop.
    html = _html(request, context, conn, day, for_print=True)
    document = html_to_pdf(bytes(html.body).decode(), request.url.path)
    return Response(
        document,
        media_type="application/pdf",
        headers={
            "content-disposition": f'inline; filename="bulletin-{day}.pdf"',
            "content-language": html.headers["content-language"],
        },
    )


@router.api_route("/bulletins/{day}", methods=["GET", "HEAD"], response_class=HTMLResponse)
def bulletin(request: Request, context: Context, conn: Reader, day: str) -> HTMLResponse:
    return _html(request, context, conn, day, for_print=False)
