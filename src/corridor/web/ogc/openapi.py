"""The OpenAPI 3.0 definition of ``/ogc/`` (the landing page's ``service-desc``).

Written out rather than taken from FastAPI's: the OGC conformance class "OpenAPI 3.0" asks for
3.0, and clients read the ``limit`` parameter's ``maximum`` and ``default`` from it (GDAL's
OAPIF driver pages with the largest ``limit`` the definition allows).
"""

from __future__ import annotations

from typing import Any

from corridor import __version__
from corridor.reports.features import COLLECTIONS
from corridor.web.ogc.params import DEFAULT_LIMIT, MAX_LIMIT


def _param(name: str, description: str, schema: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
        **more,
    }


_F = _param("f", "The format of the answer.", {"type": "string", "enum": ["json", "html"]})
_COLLECTION = {
    "name": "collectionId",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "enum": list(COLLECTIONS)},
}
_FEATURE = {"name": "featureId", "in": "path", "required": True, "schema": {"type": "string"}}
_ITEMS_PARAMS = [
    _param(
        "limit",
        f"Features per page, 1 to {MAX_LIMIT}.",
        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
        style="form",
        explode=False,
    ),
    _param(
        "offset",
        "Matching features to skip (the next link carries it).",
        {"type": "integer", "minimum": 0, "default": 0},
    ),
    _param(
        "bbox",
        "west,south,east,north in CRS84 longitude and latitude.",
        {"type": "array", "minItems": 4, "maxItems": 4, "items": {"type": "number"}},
        style="form",
        explode=False,
    ),
    _param("bbox-crs", "Only CRS84.", {"type": "string", "format": "uri"}),
    _param(
        "datetime",
        "An RFC 3339 instant, or an interval start/end with '..' for an open end.",
        {"type": "string"},
        style="form",
        explode=False,
    ),
    _F,
]


def _get(summary: str, op_id: str, params: list[dict[str, Any]], media: str) -> dict[str, Any]:
    answer = {"description": summary, "content": {media: {}, "text/html": {}}}
    errors = {
        "400": {"description": "A malformed parameter; the message names it."},
        "404": {"description": "No such collection or feature."},
    }
    return {
        "get": {
            "summary": summary,
            "operationId": op_id,
            "parameters": params,
            "responses": {"200": answer, **errors},
        }
    }


def definition(server: str) -> dict[str, Any]:
    """The definition, ``server`` being the absolute URL of ``/ogc``."""
    geojson = "application/geo+json"
    json = "application/json"
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "corridor OGC API - Features",
            "version": __version__,
            "description": "The corridor's map layers as OGC API - Features collections.",
        },
        "servers": [{"url": server}],
        "paths": {
            "/": _get("Landing page", "getLandingPage", [_F], json),
            "/api": {
                "get": {
                    "summary": "This API definition",
                    "operationId": "getAPI",
                    "responses": {
                        "200": {
                            "description": "OpenAPI 3.0",
                            "content": {"application/vnd.oai.openapi+json;version=3.0": {}},
                        }
                    },
                }
            },
            "/conformance": _get("Conformance classes", "getConformance", [_F], json),
            "/collections": _get("Feature collections", "getCollections", [_F], json),
            "/collections/{collectionId}": _get(
                "One collection", "describeCollection", [_COLLECTION, _F], json
            ),
            "/collections/{collectionId}/items": _get(
                "A page of a collection's features",
                "getFeatures",
                [_COLLECTION, *_ITEMS_PARAMS],
                geojson,
            ),
            "/collections/{collectionId}/items/{featureId}": _get(
                "One feature", "getFeature", [_COLLECTION, _FEATURE, _F], geojson
            ),
        },
    }
