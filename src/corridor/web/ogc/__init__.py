"""OGC API - Features at ``/ogc/`` (Part 1: Core, GeoJSON, HTML and OpenAPI 3.0 classes).

The corridor's layers as collections GDAL's OAPIF driver and QGIS read as they are; see
docs/ogc.md. Modules: ``routes`` (the endpoints), ``params`` (``f``, ``limit``, ``offset``,
``bbox``, ``datetime``), ``documents`` (the JSON bodies), ``catalog`` (titles), ``openapi``
(the ``service-desc``); the features come from :mod:`corridor.reports.features`.
"""

from corridor.web.ogc.routes import router

__all__ = ["router"]
