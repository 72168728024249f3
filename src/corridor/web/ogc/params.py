"""The query parameters of ``/ogc/``: ``f``, ``limit``, ``offset``, ``bbox`` and ``datetime``.

Each parser takes the raw text (or None) and the reader's :class:`~corridor.web.i18n.Localizer`,
and raises :class:`~corridor.errors.BadRequestError` naming the parameter and what it accepts.
"""

from __future__ import annotations

import re
from datetime import datetime

import shapely
from shapely.geometry import box

from corridor.errors import BadRequestError
from corridor.reports.features import Window
from corridor.web.i18n import Localizer

DEFAULT_LIMIT = 10
MAX_LIMIT = 1000
FORMATS = ("json", "html")
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"

# RFC 3339 section 5.6 date-time (``T`` and ``Z`` in either case, a fractional second allowed).
_DATE_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})", re.ASCII
)


def output_format(text: str | None, accept: str, loc: Localizer) -> str:
    """``json`` or ``html``: ``f`` if given, else HTML when the client accepts ``text/html``
    (a browser), else JSON (GDAL, QGIS and scripts ask for JSON or send no ``Accept``)."""
    if text is not None:
        if text not in FORMATS:
            raise BadRequestError(
                loc.gettext("f: unknown format %(f)r; use f=json or f=html", f=text)
            )
        return text
    return "html" if "text/html" in accept.lower() else "json"


def limit(text: str | None, loc: Localizer) -> int:
    """``limit``: 1 to :data:`MAX_LIMIT` features per page, :data:`DEFAULT_LIMIT` if absent."""
    if text is None:
        return DEFAULT_LIMIT
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_LIMIT:
        raise BadRequestError(
            loc.gettext(
                "limit: expected a whole number from 1 to %(max)s, got %(got)r",
                max=MAX_LIMIT,
                got=text,
            )
        )
    return int(text)


def offset(text: str | None, loc: Localizer) -> int:
    """``offset``: how many matching features to skip (0 if absent)."""
    if text is None:
        return 0
    if not text.isascii() or not text.isdigit():
        raise BadRequestError(
            loc.gettext("offset: expected a whole number of 0 or more, got %(got)r", got=text)
        )
    return int(text)


def bbox(text: str | None, crs: str | None, loc: Localizer) -> shapely.Geometry | None:
    """``bbox=west,south,east,north`` in CRS84 longitude and latitude, as an area to intersect.

    A west edge east of the east edge crosses the antimeridian (OGC API - Features 1.0,
    section 7.15.3), so the area is then two boxes.
    """
    if crs is not None and crs != CRS84:
        raise BadRequestError(loc.gettext("bbox-crs: only %(crs)s is supported", crs=CRS84))
    if text is None:
        return None
    parts = text.split(",")
    if len(parts) != 4:
        raise BadRequestError(
            loc.gettext(
                "bbox: expected 4 numbers west,south,east,north (longitude and latitude), "
                "got %(n)s values in %(got)r",
                n=len(parts),
                got=text,
            )
        )
    try:
        west, south, east, north = (float(part) for part in parts)
    except ValueError:
        raise BadRequestError(
            loc.gettext("bbox: %(got)r holds something that is not a number", got=text)
        ) from None
    if not all(-180 <= lon <= 180 for lon in (west, east)):
        raise BadRequestError(
            loc.gettext("bbox: longitudes must lie from -180 to 180, got %(got)r", got=text)
        )
    if not all(-90 <= lat <= 90 for lat in (south, north)):
        raise BadRequestError(
            loc.gettext("bbox: latitudes must lie from -90 to 90, got %(got)r", got=text)
        )
    if south > north:
        raise BadRequestError(
            loc.gettext("bbox: the south edge lies north of the north edge in %(got)r", got=text)
        )
    if west > east:
        return shapely.union(box(west, south, 180, north), box(-180, south, east, north))
    return box(west, south, east, north)


def _moment(text: str, whole: str, loc: Localizer) -> datetime:
    if not _DATE_TIME.fullmatch(text) and text == whole:
        raise BadRequestError(
            loc.gettext(
                "datetime: %(got)r is not an RFC 3339 date-time such as 2020-12-01T08:00:00Z, "
                "nor an interval such as 2020-12-01T00:00:00Z/..",
                got=text,
            )
        )
    if not _DATE_TIME.fullmatch(text):
        raise BadRequestError(
            loc.gettext(
                "datetime: %(part)r in %(got)r is not an RFC 3339 date-time such as "
                "2020-12-01T08:00:00Z",
                part=text,
                got=whole,
            )
        )
    try:
        return datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:
        raise BadRequestError(
            loc.gettext("datetime: %(part)r is not a real date and time", part=text)
        ) from None


def datetime_window(text: str | None, loc: Localizer) -> Window | None:
    """``datetime``: an instant (``[t, t]``) or an interval ``start/end``, ``..`` or nothing
    leaving an end open; both ends are inside it."""
    if text is None:
        return None
    if "/" not in text:
        instant = _moment(text, text, loc)
        return (instant, instant)
    parts = text.split("/")
    if len(parts) != 2:
        raise BadRequestError(
            loc.gettext("datetime: an interval has one '/', got %(got)r", got=text)
        )
    start, end = (None if part in ("", "..") else _moment(part, text, loc) for part in parts)
    if start is None and end is None:
        raise BadRequestError(
            loc.gettext("datetime: an interval needs at least one end, got %(got)r", got=text)
        )
    if start is not None and end is not None and end < start:
        raise BadRequestError(
            loc.gettext("datetime: the interval %(got)r ends before it starts", got=text)
        )
    return (start, end)
