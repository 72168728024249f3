"""Errors on the public pages, as a page in the reader's language.

A reader who follows a wrong link to ``/bulletins/2031-01-01`` should see a page that says what
was wrong in their language, with the site's navigation, not a JSON document. The API, the log
and the data files keep the project's JSON error shape (:mod:`corridor.web.app`); a page is
answered only to a request that asks for HTML (a browser's navigation does) outside those.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from corridor.errors import BadRequestError, CorridorError
from corridor.web.i18n import DEFAULT_LANGUAGE, language_of, localizer, render

# Machine-readable paths: their errors stay JSON whatever the client accepts.
NOT_PAGES = ("/api/", "/log/", "/static/", "/hq/")


def wants_page(request: Request) -> bool:
    """A browser asking for a public page (not a file, not ``f=json``)."""
    path = request.url.path
    if path.startswith(NOT_PAGES) or "." in path.rsplit("/", 1)[-1]:
        return False
    if request.query_params.get("f") not in (None, "html"):
        return False
    return "text/html" in request.headers.get("accept", "")


def reader_language(request: Request) -> str:
    """The reader's language, or English when the error is the language itself."""
    try:
        return language_of(request)
    except BadRequestError:
        return DEFAULT_LANGUAGE


def error_page(request: Request, status_code: int, message: str) -> HTMLResponse:
    lang = reader_language(request)
    loc = localizer(lang)
    titles = {
        400: loc.gettext("The site cannot read this address"),
        404: loc.gettext("Nothing here"),
    }
    context = {
        "status_code": status_code,
        "title": titles.get(status_code, loc.gettext("This request could not be answered")),
        "message": message,
    }
    return render(request, "error.html", context, status_code=status_code, lang=lang)


def not_found_message(request: Request) -> str:
    loc = localizer(reader_language(request))
    return loc.gettext("There is no page at %(path)s.", path=request.url.path)


def corridor_error_page(request: Request, exc: CorridorError) -> HTMLResponse:
    return error_page(request, exc.status_code, str(exc))
