"""The public pages' four languages: English, Russian, Armenian and Azerbaijani.

A reader's language is, in order: ``?lang=`` on the request (and then remembered in a cookie),
the cookie, the browser's ``Accept-Language``, English. Catalogs are gettext ``.po`` files under
``web/locale/<lang>/LC_MESSAGES/messages.po``, read once and compiled in memory by Babel (no
build step, no binary ``.mo`` in the repository); ``make messages`` extracts the strings of the
templates and the web code (``babel.cfg``) and merges them into every catalog.

::

    language_of(request)                  the reader's language (BadRequestError on ?lang=xx)
    localizer(lang)                       gettext, ngettext, number and date formatting
    render(request, "page.html", {...})   a public page in the reader's language

Templates use Jinja's i18n extension in its "newstyle" form: ``{{ _("%(n)s days", n=x) }}``
escapes ``x`` and formats after translating. Filters ``number`` and ``date`` format per locale.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from babel import Locale, negotiate_locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape

from corridor.errors import BadRequestError

WEB_DIR = Path(__file__).resolve().parent
TEMPLATE_DIR = WEB_DIR / "templates"
LOCALE_DIR = WEB_DIR / "locale"
DOMAIN = "messages"

DEFAULT_LANGUAGE = "en"
# Each language named in itself, as the switch shows it.
LANGUAGES: dict[str, str] = {
    "en": "English",
    "ru": "Русский",
    "hy": "Հայերեն",
    "az": "Azərbaycanca",
}
COOKIE = "corridor_lang"
COOKIE_MAX_AGE = 365 * 24 * 3600


def catalog_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(lang: str) -> NullTranslations:
    """The compiled catalog of ``lang`` (English is the source language: no catalog)."""
    path = catalog_path(lang)
    if lang == DEFAULT_LANGUAGE or not path.is_file():
        return NullTranslations()
    with path.open("rb") as po:
        catalog = read_po(po, locale=lang, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def _check(lang: str) -> str:
    if lang not in LANGUAGES:
        offered = ", ".join(LANGUAGES)
        raise BadRequestError(f"lang: unknown language {lang!r}; this site offers {offered}")
    return lang


def requested_language(request: Request) -> str | None:
    """The language asked for by ``?lang=`` (checked), if any. An unknown one is a 400 in the
    language the reader would otherwise get."""
    asked = request.query_params.get("lang")
    if asked is None or asked in LANGUAGES:
        return asked
    loc = localizer(_remembered_or_accepted(request))
    raise BadRequestError(
        loc.gettext(
            "lang: unknown language %(asked)s; this site offers %(offered)s",
            asked=repr(asked),
            offered=", ".join(f"{code} ({name})" for code, name in LANGUAGES.items()),
        )
    )


def language_of(request: Request) -> str:
    """The reader's language: ``?lang=``, the cookie, ``Accept-Language``, English."""
    asked = requested_language(request)
    return asked if asked is not None else _remembered_or_accepted(request)


def _remembered_or_accepted(request: Request) -> str:
    remembered = request.cookies.get(COOKIE)
    if remembered in LANGUAGES:
        return str(remembered)
    header = request.headers.get("accept-language", "")
    return negotiate_locale(_accepted(header), list(LANGUAGES), sep="-") or DEFAULT_LANGUAGE


def _accepted(header: str) -> list[str]:
    """``Accept-Language`` as a list of tags, highest quality first (``ru-RU;q=0.8`` -> ``ru``
    is tried after ``ru-RU``)."""
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip()
        if not tag or tag == "*":
            continue
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if quality > 0:
            weighted.append((-quality, position, tag))
    tags: list[str] = []
    for _, _, tag in sorted(weighted):
        tags.append(tag)
        primary = tag.split("-")[0]
        if primary != tag:
            tags.append(primary)
    return tags


@dataclass(frozen=True)
class Localizer:
    """Translation and formatting in one language, for Python code and templates alike."""

    lang: str

    @property
    def locale(self) -> Locale:
        return Locale.parse(self.lang)

    def gettext(self, message: str, **variables: Any) -> str:
        translated = translations(self.lang).gettext(message)
        return translated % variables if variables else translated

    def ngettext(self, singular: str, plural: str, n: int, **variables: Any) -> str:
        translated = translations(self.lang).ngettext(singular, plural, n)
        return translated % {"num": n, **variables}

    def number(self, value: float | int, digits: int | None = None) -> str:
        """``value`` with the locale's grouping and decimal signs; ``digits`` fixes the
        number of decimals."""
        if digits is not None:
            pattern = "#,##0" + ("." + "0" * digits if digits else "")
            return format_decimal(value, format=pattern, locale=self.lang)
        return format_decimal(value, locale=self.lang)

    def date(self, value: date | str, form: str = "long") -> str:
        day = date.fromisoformat(value) if isinstance(value, str) else value
        return format_date(day, format=form, locale=self.lang)

    def datetime(self, value: datetime, form: str = "medium") -> str:
        return format_datetime(value, format=form, locale=self.lang, tzinfo=value.tzinfo)


@cache
def localizer(lang: str) -> Localizer:
    return Localizer(_check(lang))


@cache
def _environment(lang: str) -> Environment:
    loc = localizer(lang)
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(),
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.filters["number"] = loc.number
    env.filters["date"] = loc.date
    env.filters["datetime"] = loc.datetime
    return env


@cache
def templates(lang: str) -> Jinja2Templates:
    """The public templates, translated into ``lang``."""
    return Jinja2Templates(env=_environment(lang))


def switch_url(request: Request, lang: str) -> str:
    """This page's address in ``lang``, relative (``?lang=ru``, other query parameters kept)."""
    query = [(key, value) for key, value in request.query_params.multi_items() if key != "lang"]
    return "?" + urlencode([*query, ("lang", lang)])


def root_of(request: Request) -> str:
    """The app's root relative to this page (``./`` at ``/``, ``../`` at ``/bulletins/x``), so
    links and assets also work when the app is served under a path prefix."""
    depth = request.url.path.count("/") - 1
    return "../" * depth if depth > 0 else "./"


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any],
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
    lang: str | None = None,
) -> HTMLResponse:
    """``template`` in the reader's language (or ``lang``). A ``?lang=`` choice is remembered in
    a cookie."""
    lang = language_of(request) if lang is None else _check(lang)
    web = request.app.state.context
    page_context = {
        "corridor_label": web.corridor.label,
        "simulated": web.simulated,
        "root": root_of(request),
        "lang": lang,
        "loc": localizer(lang),
        "languages": LANGUAGES,
        "language_urls": {code: switch_url(request, code) for code in LANGUAGES},
        **context,
    }
    response = templates(lang).TemplateResponse(
        request, template, page_context, status_code=status_code, headers=headers
    )
    response.headers.setdefault("content-language", lang)
    response.headers.append("vary", "accept-language, cookie")
    if request.query_params.get("lang") == lang:
        response.set_cookie(COOKIE, lang, max_age=COOKIE_MAX_AGE, samesite="lax", httponly=True)
    return response
