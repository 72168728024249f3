"""The JSON documents of ``/ogc/``: landing page, conformance, collections, items and features.

Links are absolute (OGC API - Features 1.0, section 7.2.4 permits either; GDAL and QGIS follow
both) and built from the request's own address, so a server behind a proxy links to itself as
the proxy names it. Titles go through the reader's language like every public page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from corridor.model.events import format_time
from corridor.reports.features import Bounds, Feature, Window
from corridor.web.i18n import Localizer
from corridor.web.ogc.params import CRS84

GEOJSON = "application/geo+json"
JSON = "application/json"
HTML = "text/html"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
GREGORIAN = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"

CONFORMANCE = (
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
)


def link(href: str, rel: str, media_type: str, title: str) -> dict[str, str]:
    return {"href": href, "rel": rel, "type": media_type, "title": title}


def with_format(url: str, fmt: str) -> str:
    """``url`` with ``f=fmt`` in place of any ``f`` it had."""
    base, _, query = url.partition("?")
    kept = [part for part in query.split("&") if part and not part.startswith("f=")]
    return f"{base}?{'&'.join([*kept, f'f={fmt}'])}"


def self_links(url: str, media_type: str, loc: Localizer) -> list[dict[str, str]]:
    """``self`` in ``media_type`` and ``alternate`` in the other of JSON and HTML."""
    if media_type == HTML:
        return [
            link(with_format(url, "html"), "self", HTML, loc.gettext("This page")),
            link(with_format(url, "json"), "alternate", JSON, loc.gettext("This page as JSON")),
        ]
    return [
        link(with_format(url, "json"), "self", media_type, loc.gettext("This document")),
        link(with_format(url, "html"), "alternate", HTML, loc.gettext("This document as HTML")),
    ]


def landing(base: str, url: str, media_type: str, title: str, loc: Localizer) -> dict[str, Any]:
    ogc_rel = "http://www.opengis.net/def/rel/ogc/1.0/"
    conformance = link(
        f"{base}/conformance", "conformance", JSON, loc.gettext("Conformance classes")
    )
    data = link(f"{base}/collections", "data", JSON, loc.gettext("Feature collections"))
    return {
        "title": title,
        "description": loc.gettext(
            "The corridor's map layers as OGC API - Features collections: band, routes, posts, "
            "repair crews' zones and daily flow per post."
        ),
        "links": [
            *self_links(url, media_type, loc),
            link(f"{base}/api", "service-desc", OPENAPI, loc.gettext("The API definition")),
            conformance,
            {**conformance, "rel": ogc_rel + "conformance"},
            data,
            {**data, "rel": ogc_rel + "data"},
        ],
    }


def conformance() -> dict[str, Any]:
    return {"conformsTo": list(CONFORMANCE)}


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else format_time(moment)


def collection(
    base: str,
    collection_id: str,
    text: tuple[str, str],
    bounds: Bounds,
    window: Window,
    loc: Localizer,
) -> dict[str, Any]:
    """One collection's description; ``text`` is its title and description."""
    here = f"{base}/collections/{collection_id}"
    return {
        "id": collection_id,
        "title": text[0],
        "description": text[1],
        "links": [
            link(here, "self", JSON, loc.gettext("This collection")),
            link(with_format(here, "html"), "alternate", HTML, loc.gettext("This collection")),
            link(f"{here}/items", "items", GEOJSON, loc.gettext("Its features")),
            link(with_format(f"{here}/items", "html"), "items", HTML, loc.gettext("Its features")),
        ],
        "extent": {
            "spatial": {"bbox": [list(bounds)], "crs": CRS84},
            "temporal": {"interval": [[_time(window[0]), _time(window[1])]], "trs": GREGORIAN},
        },
        "itemType": "feature",
        "crs": [CRS84],
        "storageCrs": CRS84,
    }


def collections(
    url: str, media_type: str, each: Sequence[Mapping[str, Any]], loc: Localizer
) -> dict[str, Any]:
    return {"links": self_links(url, media_type, loc), "collections": list(each)}


def page_links(
    url: str, query: Mapping[str, str], offset: int, limit: int, matched: int, loc: Localizer
) -> list[dict[str, str]]:
    """``next`` while features remain after this page, ``prev`` unless it is the first."""
    base = url.partition("?")[0]
    rest = {key: value for key, value in query.items() if key not in ("offset", "f")}

    def at(start: int) -> str:
        params = {**rest, "offset": str(start), "limit": str(limit), "f": "json"}
        return base + "?" + "&".join(f"{key}={_quote(value)}" for key, value in params.items())

    links = []
    if offset + limit < matched:
        links.append(link(at(offset + limit), "next", GEOJSON, loc.gettext("Next page")))
    if offset > 0:
        links.append(
            link(
                at(max(0, min(offset, matched) - limit)),
                "prev",
                GEOJSON,
                loc.gettext("Previous page"),
            )
        )
    return links


def _quote(value: str) -> str:
    return quote(value, safe=",:/.")


def items(
    features: Sequence[Feature],
    matched: int,
    links: list[dict[str, str]],
    simulated: bool,
) -> dict[str, Any]:
    """A page of features as a GeoJSON FeatureCollection with the OGC members; ``simulated``
    is a foreign member (RFC 7946 section 6.1) so a script reading the file sees it too."""
    return {
        "type": "FeatureCollection",
        "features": [feature.to_geojson() for feature in features],
        "numberMatched": matched,
        "numberReturned": len(features),
        "timeStamp": format_time(datetime.now(UTC)),
        "links": links,
        "simulated": simulated,
    }


def feature(feature: Feature, links: list[dict[str, str]]) -> dict[str, Any]:
    return {**feature.to_geojson(), "links": links}
