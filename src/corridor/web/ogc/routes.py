"""The ``/ogc/`` endpoints: parse, ask :mod:`corridor.reports.features`, answer JSON or HTML.

Every endpoint answers JSON (GeoJSON for features) or HTML: ``f=json``/``f=html``, else HTML for
a browser (``Accept: text/html``), else JSON. Paging is by ``offset``: an offset at or past the
last match answers an empty page (200, ``numberReturned: 0``) with a ``prev`` link, as the
standard's next links never lead there but a client may ask.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from corridor.errors import BadRequestError, NotFoundError
from corridor.reports import features as layer
from corridor.web.context import Context, Reader
from corridor.web.i18n import Localizer, language_of, localizer, render
from corridor.web.ogc import catalog, documents, params
from corridor.web.ogc.documents import GEOJSON, HTML, JSON, OPENAPI
from corridor.web.ogc.openapi import definition

router = APIRouter(prefix="/ogc", include_in_schema=False)

#: The query parameters ``items`` reads (``lang`` is every public page's); any other is a 400,
#: as OGC API - Features 1.0 requirement /req/core/query-param-unknown asks.
_ITEMS_QUERY = frozenset({"limit", "offset", "bbox", "bbox-crs", "datetime", "f", "lang"})
_METHODS = ["GET", "HEAD"]


def _loc(request: Request) -> Localizer:
    return localizer(language_of(request))


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/ogc"


def _answer(
    request: Request,
    fmt: str,
    document: dict[str, Any],
    media_type: str,
    template: str,
    extra: dict[str, Any] | None = None,
) -> Response:
    if fmt == "html":
        response: Response = render(request, template, {"doc": document, **(extra or {})})
    else:
        response = JSONResponse(document, media_type=media_type)
    response.headers.append("vary", "accept")
    return response


def _format(request: Request, loc: Localizer) -> str:
    accept = request.headers.get("accept", "")
    return params.output_format(request.query_params.get("f"), accept, loc)


@router.api_route("", methods=_METHODS)
@router.api_route("/", methods=_METHODS)
def landing_page(request: Request, context: Context) -> Response:
    loc = _loc(request)
    fmt = _format(request, loc)
    media = HTML if fmt == "html" else JSON
    title = context.corridor.label
    url = _base(request) + "/"
    document = documents.landing(_base(request), url, media, title, loc)
    return _answer(request, fmt, document, JSON, "ogc_landing.html")


@router.api_route("/api", methods=_METHODS)
def api_definition(request: Request) -> Response:
    return JSONResponse(definition(_base(request)), media_type=OPENAPI)


@router.api_route("/conformance", methods=_METHODS)
def conformance(request: Request) -> Response:
    loc = _loc(request)
    fmt = _format(request, loc)
    return _answer(request, fmt, documents.conformance(), JSON, "ogc_conformance.html")


def _collection(request: Request, context: Context, conn: Reader, cid: str) -> dict[str, Any]:
    loc = _loc(request)
    found = layer.collection_features(conn, context.corridor, cid)
    return documents.collection(
        _base(request),
        cid,
        catalog.describe(cid, loc, simulated=context.simulated),
        layer.spatial_extent(context.corridor, found),
        layer.temporal_extent(context.corridor, found),
        loc,
    )


@router.api_route("/collections", methods=_METHODS)
def collections(request: Request, context: Context, conn: Reader) -> Response:
    loc = _loc(request)
    fmt = _format(request, loc)
    each = [_collection(request, context, conn, cid) for cid in layer.COLLECTIONS]
    media = HTML if fmt == "html" else JSON
    url = _base(request) + "/collections"
    document = documents.collections(url, media, each, loc)
    return _answer(request, fmt, document, JSON, "ogc_collections.html")


@router.api_route("/collections/{collection_id}", methods=_METHODS)
def collection(request: Request, context: Context, conn: Reader, collection_id: str) -> Response:
    loc = _loc(request)
    fmt = _format(request, loc)
    cid = catalog.require(collection_id, loc)
    document = _collection(request, context, conn, cid)
    return _answer(request, fmt, document, JSON, "ogc_collection.html")


def _check_query(request: Request, loc: Localizer) -> dict[str, str]:
    query = dict(request.query_params)
    unknown = sorted(set(query) - _ITEMS_QUERY)
    if unknown:
        raise BadRequestError(
            loc.gettext(
                "%(names)s: unknown parameter; items accept %(known)s",
                names=", ".join(unknown),
                known=", ".join(sorted(_ITEMS_QUERY)),
            )
        )
    return query


@router.api_route("/collections/{collection_id}/items", methods=_METHODS)
def items(request: Request, context: Context, conn: Reader, collection_id: str) -> Response:
    loc = _loc(request)
    query = _check_query(request, loc)
    fmt = _format(request, loc)
    cid = catalog.require(collection_id, loc)
    limit = params.limit(query.get("limit"), loc)
    offset = params.offset(query.get("offset"), loc)
    area = params.bbox(query.get("bbox"), query.get("bbox-crs"), loc)
    window = params.datetime_window(query.get("datetime"), loc)
    every = layer.collection_features(conn, context.corridor, cid, window=window)
    matched = layer.select(every, area, window)
    page = matched[offset : offset + limit]
    url = f"{_base(request)}/collections/{cid}/items"
    here = str(request.url)
    pages = documents.page_links(url, query, offset, limit, len(matched), loc)
    links = [
        *documents.self_links(here, HTML if fmt == "html" else GEOJSON, loc),
        *pages,
        documents.link(
            f"{_base(request)}/collections/{cid}", "collection", JSON, loc.gettext("The collection")
        ),
    ]
    document = documents.items(page, len(matched), links, context.simulated)
    title, _ = catalog.describe(cid, loc, simulated=context.simulated)
    html_pages = [{**each, "href": documents.with_format(each["href"], "html")} for each in pages]
    extra = {"collection_id": cid, "title": title, "offset": offset, "pages": html_pages}
    return _answer(request, fmt, document, GEOJSON, "ogc_items.html", extra)


@router.api_route("/collections/{collection_id}/items/{feature_id}", methods=_METHODS)
def item(
    request: Request, context: Context, conn: Reader, collection_id: str, feature_id: str
) -> Response:
    loc = _loc(request)
    fmt = _format(request, loc)
    cid = catalog.require(collection_id, loc)
    found = [
        f for f in layer.collection_features(conn, context.corridor, cid) if f.id == feature_id
    ]
    if not found:
        raise NotFoundError(
            loc.gettext("no feature %(id)r in collection %(cid)r", id=feature_id, cid=cid)
        )
    here = f"{_base(request)}/collections/{cid}/items/{feature_id}"
    links = [
        *documents.self_links(here, HTML if fmt == "html" else GEOJSON, loc),
        documents.link(
            f"{_base(request)}/collections/{cid}", "collection", JSON, loc.gettext("The collection")
        ),
    ]
    document = documents.feature(found[0], links)
    title, _ = catalog.describe(cid, loc, simulated=context.simulated)
    extra = {"collection_id": cid, "title": title}
    return _answer(request, fmt, document, GEOJSON, "ogc_item.html", extra)
