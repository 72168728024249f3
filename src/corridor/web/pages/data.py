"""The open data: ``/data/`` (what each file is, its rows and size, the licence, how a row traces
to the log), ``/data/dictionary`` (every column of every file) and the files themselves,
``/data/passages.csv``, ``passages.parquet``, ``daily.csv``, ``daily.parquet``,
``corridor.geojson`` and ``datapackage.json``.

Files are built from the store on first download and kept per published tree size
(:class:`corridor.reports.opendata_cache.OpenDataCache`): in the data directory's ``opendata/``
when the node has one, else in a temporary directory of this app, removed when the app goes.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import weakref
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq  # type: ignore[import-untyped]
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse
from sqlalchemy import Connection

from corridor.ledger.tiles import TILE_WIDTH, entries_path
from corridor.reports.opendata import (
    count_published_passages,
    first_published_passage,
    published_size,
)
from corridor.reports.opendata_cache import OpenDataCache
from corridor.reports.opendata_fields import (
    DAILY_FIELDS,
    GEOJSON_PROPERTIES,
    LICENCE,
    PASSAGE_FIELDS,
    Field,
    arrow_type,
)
from corridor.reports.opendata_package import FILES, data_file
from corridor.web.context import Context, Reader, WebContext
from corridor.web.i18n import render

router = APIRouter(include_in_schema=False)

_CACHE_LOCK = threading.Lock()


def _cache_root(state: Any, context: WebContext) -> Path:
    if context.log_dir is not None:  # a node with a data directory: <dir>/opendata/
        return context.log_dir.parent / "opendata"
    root = Path(tempfile.mkdtemp(prefix="corridor-opendata-"))
    weakref.finalize(state, shutil.rmtree, root, True)
    return root


def cache_of(request: Request, context: WebContext) -> OpenDataCache:
    """This app's open data cache, made on first use."""
    state = request.app.state
    with _CACHE_LOCK:
        cache = getattr(state, "opendata_cache", None)
        if cache is None:
            root = _cache_root(state, context)
            cache = OpenDataCache(root, context.corridor, simulated=context.simulated)
            state.opendata_cache = cache
    assert isinstance(cache, OpenDataCache)
    return cache


def _rows(conn: Connection, context: WebContext, cache: OpenDataCache, name: str) -> int | None:
    """Rows of file ``name``, without building it: a table's from its Parquet footer once built
    (the CSV holds the same rows), the passages' by a count before that; the daily flow's are
    left unknown until built (counting them means aggregating every passage)."""
    if name.endswith((".csv", ".parquet")):
        built = cache.built(conn, name.rsplit(".", 1)[0] + ".parquet")
        if built is not None:
            return int(pq.ParquetFile(built).metadata.num_rows)
        return count_published_passages(conn) if name.startswith("passages.") else None
    if name == "corridor.geojson":
        return 2 * len(context.corridor.routes) + len(context.corridor.posts)
    return len(FILES) - 1


def _trace_example(conn: Connection) -> dict[str, Any] | None:
    """The first published passage and where its entry is: entry ``index mod 256`` of the
    entry bundle ``index div 256`` (C2SP tlog-tiles), partial while the bundle is not full."""
    first = first_published_passage(conn)
    if first is None:
        return None
    index, event_id = first
    bundle = index // TILE_WIDTH
    width = min(TILE_WIDTH, published_size(conn) - bundle * TILE_WIDTH)
    return {
        "log_index": index,
        "event_id": event_id,
        "bundle": entries_path(bundle, width),
        "position": index % TILE_WIDTH,
    }


@router.api_route("/data/", methods=["GET", "HEAD"], response_class=HTMLResponse)
def index(request: Request, context: Context, conn: Reader) -> HTMLResponse:
    cache = cache_of(request, context)
    files = []
    for spec in FILES:
        built = cache.built(conn, spec.name)
        files.append(
            {
                "name": spec.name,
                "format": spec.format,
                "mediatype": spec.mediatype,
                "rows": _rows(conn, context, cache, spec.name),
                "size": None if built is None else built.stat().st_size,
            }
        )
    return render(
        request,
        "data.html",
        {
            "files": files,
            "licence": LICENCE,
            "log_size": published_size(conn),
            "example": _trace_example(conn),
        },
    )


def _described(fields: tuple[Field, ...], *, parquet: bool = True) -> list[dict[str, Any]]:
    return [
        {
            "name": f.name,
            "hxl": f.hxl,
            "type": f.type,
            "parquet": str(arrow_type(f)) if parquet else "",
            "required": f.required,
            "description": f.description,
            "allowed": f.values,
        }
        for f in fields
    ]


@router.api_route("/data/dictionary", methods=["GET", "HEAD"], response_class=HTMLResponse)
def dictionary(request: Request) -> HTMLResponse:
    return render(
        request,
        "data_dictionary.html",
        {
            "passage_fields": _described(PASSAGE_FIELDS),
            "daily_fields": _described(DAILY_FIELDS),
            "geojson_properties": _described(GEOJSON_PROPERTIES, parquet=False),
        },
    )


@router.api_route("/data/{name}", methods=["GET", "HEAD"])
def download(request: Request, context: Context, conn: Reader, name: str) -> FileResponse:
    """One file, built from the store if this state of the log has not been exported yet."""
    spec = data_file(name)
    path = cache_of(request, context).file(conn, spec.name)
    media_type = spec.mediatype + ("; charset=utf-8" if spec.format in ("csv", "json") else "")
    return FileResponse(
        path,
        media_type=media_type,
        filename=spec.name,  # as datapackage.json names it: a downloaded set still opens
        headers={"Cache-Control": "public, max-age=60"},
    )
