"""The open data set as a whole: its files, the corridor's map, the Data Package describing them.

::

    FILES                                      every file: name, media type, title, description
    build_file(name, conn, corridor, ...)      one file into a directory (atomically)
    export_all(conn, corridor, ..., out_dir)   every file, the Data Package last

``datapackage.json`` is a Frictionless Data Package (https://datapackage.org/): each resource's
path, format, media type, size, SHA-256 and, for the tables, the Table Schema of
:mod:`corridor.reports.opendata_fields`; the licence; and a ``simulated`` flag, with SIMULATED in
the title and description when the data is. The Parquet files are declared ``"type": "file"``:
Frictionless reads Parquet only through pandas, which the project does not need, so it checks
their size and hash, while their Table Schema documents the same columns as the CSV's.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from corridor.errors import NotFoundError
from corridor.geo import geometry_for
from corridor.model.corridor import Corridor
from corridor.reports.layers import map_day
from corridor.reports.opendata import (
    export_passages_parquet,
    published_size,
    write_daily_csv,
    write_daily_parquet,
    write_passages_csv,
)
from corridor.reports.opendata_fields import (
    DAILY_FIELDS,
    DAILY_KEY,
    LICENCE,
    PASSAGE_FIELDS,
    table_schema,
)


@dataclass(frozen=True, slots=True)
class DataFile:
    """One file of the set: its name (also its path), media type and what it holds."""

    name: str
    resource: str
    format: str
    mediatype: str
    title: str
    description: str


FILES: tuple[DataFile, ...] = (
    DataFile(
        "passages.csv",
        "passages-csv",
        "csv",
        "text/csv",
        "Passages",
        "Every published passage, one row each, with its log index (HXL hashtag row second).",
    ),
    DataFile(
        "passages.parquet",
        "passages-parquet",
        "parquet",
        "application/vnd.apache.parquet",
        "Passages (Parquet)",
        "The same rows as passages.csv, typed, for pandas, DuckDB, R or QGIS.",
    ),
    DataFile(
        "daily.csv",
        "daily-csv",
        "csv",
        "text/csv",
        "Daily flow",
        "Passages and people per day, post, kind, direction and vehicle class.",
    ),
    DataFile(
        "daily.parquet",
        "daily-parquet",
        "parquet",
        "application/vnd.apache.parquet",
        "Daily flow (Parquet)",
        "The same rows as daily.csv, typed.",
    ),
    DataFile(
        "corridor.geojson",
        "corridor",
        "geojson",
        "application/geo+json",
        "Corridor map",
        "The band and route of every route version, with their dates, and the posts.",
    ),
    DataFile(
        "datapackage.json",
        "datapackage",
        "json",
        "application/json",
        "Data Package",
        "This description of the files (Frictionless Data Package).",
    ),
)
FILES_BY_NAME = {f.name: f for f in FILES}


def data_file(name: str) -> DataFile:
    """The file called ``name``, or :class:`NotFoundError` listing those there are."""
    try:
        return FILES_BY_NAME[name]
    except KeyError:
        offered = ", ".join(FILES_BY_NAME)
        raise NotFoundError(f"no open data file {name!r}; the files are {offered}") from None


def _title(corridor: Corridor, simulated: bool) -> str:
    return f"{corridor.label}: passages{' (SIMULATED DATA)' if simulated else ''}"


def corridor_geojson(conn: Connection, corridor: Corridor, *, simulated: bool) -> dict[str, Any]:
    """Band and route of every route version (each with its dates) and the posts, with every
    name, as they stand on the map's day (:func:`corridor.reports.layers.map_day`)."""
    geometry = geometry_for(corridor)
    features: list[dict[str, Any]] = []
    for route in corridor.routes:
        layers = geometry.to_geojson(route.effective_from)
        features.extend(f for f in layers["features"] if f["properties"]["layer"] != "post")
    day = map_day(conn, corridor)
    posts = geometry.to_geojson(day)["features"]
    features.extend(f for f in posts if f["properties"]["layer"] == "post")
    return {
        "type": "FeatureCollection",
        "name": _title(corridor, simulated),
        "corridor": {
            "id": corridor.id,
            "names": list(corridor.names),
            "label": corridor.label,
            "endpoints": [place.label for place in corridor.endpoints],
        },
        "posts_at": day.isoformat(),
        "simulated": simulated,
        "licence": LICENCE["name"],
        "features": features,
    }


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as data:
        for chunk in iter(lambda: data.read(1 << 20), b""):
            sha.update(chunk)
    return sha.hexdigest()


#: The Table Schema (fields, primary key) of each table, by file stem (CSV and Parquet alike).
_TABLES = {
    "passages": (PASSAGE_FIELDS, ("log_index",)),
    "daily": (DAILY_FIELDS, DAILY_KEY),
}


def data_package(
    corridor: Corridor, *, simulated: bool, log_size: int, directory: Path
) -> dict[str, Any]:
    """The Data Package describing the files already built in ``directory``."""
    resources: list[dict[str, Any]] = []
    for spec in FILES[:-1]:
        path = directory / spec.name
        resource: dict[str, Any] = {
            "name": spec.resource,
            "path": spec.name,
            "title": spec.title,
            "description": spec.description,
            "format": spec.format,
            "mediatype": spec.mediatype,
            "bytes": path.stat().st_size,
            "hash": f"sha256:{_digest(path)}",
        }
        if spec.format == "csv":
            # Row 1 is the header, row 2 HXL's hashtags: a comment row to a Table Schema reader.
            resource |= {"encoding": "utf-8", "dialect": {"headerRows": [1], "commentRows": [2]}}
        if spec.format == "parquet":
            resource["type"] = "file"
        table = _TABLES.get(spec.name.split(".")[0])
        if table is not None:
            resource["schema"] = table_schema(*table)
        resources.append(resource)
    label = "SIMULATED DATA: every figure comes from a simulation, not from real traffic. "
    return {
        "name": f"{corridor.id}-corridor-passages",
        "title": _title(corridor, simulated),
        "description": (
            (label if simulated else "")
            + f"Vehicles and people through the {corridor.label}, as recorded at its posts and "
            "published in its signed, append-only transparency log. Each passage row carries "
            "its log index (log_index): the entry under /log/ that proves it. Public data only: "
            "vehicles appear as pseudonyms, never plates or names."
        ),
        "simulated": simulated,
        "licenses": [LICENCE],
        "keywords": ["humanitarian access", "transit corridor", "transparency log", "HXL"],
        "log_size": log_size,
        "sources": [{"title": "The corridor's public transparency log", "path": "/log/"}],
        "resources": resources,
    }


Builder = Callable[[Connection, Corridor, bool, Path], int]


def _json_file(path: Path, value: dict[str, Any]) -> None:
    path.write_text(json.dumps(value, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def _geojson(conn: Connection, corridor: Corridor, simulated: bool, path: Path) -> int:
    document = corridor_geojson(conn, corridor, simulated=simulated)
    _json_file(path, document)
    return len(document["features"])


def _package(conn: Connection, corridor: Corridor, simulated: bool, path: Path) -> int:
    package = data_package(
        corridor, simulated=simulated, log_size=published_size(conn), directory=path.parent
    )
    _json_file(path, package)
    return len(package["resources"])


_BUILDERS: dict[str, Builder] = {
    "passages.csv": lambda conn, c, s, path: write_passages_csv(conn, path, corridor=c),
    "passages.parquet": lambda conn, c, s, path: export_passages_parquet(
        conn, path, corridor=c, simulated=s
    ),
    "daily.csv": lambda conn, c, s, path: write_daily_csv(conn, path, corridor=c),
    "daily.parquet": lambda conn, c, s, path: write_daily_parquet(
        conn, path, corridor=c, simulated=s
    ),
    "corridor.geojson": _geojson,
    "datapackage.json": _package,
}


def build_file(
    name: str, conn: Connection, corridor: Corridor, *, simulated: bool, directory: Path
) -> int:
    """Write file ``name`` into ``directory`` and return its rows (features, resources).

    It is written under a temporary name and renamed into place, so a reader never sees half a
    file and two builders of the same file do not clash. ``datapackage.json`` describes the
    other files, which must be in ``directory`` already.
    """
    builder = _BUILDERS[data_file(name).name]
    directory.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".tmp")
    os.close(handle)
    try:
        rows = builder(conn, corridor, simulated, Path(temporary))
        os.chmod(temporary, 0o644)  # public files (mkstemp makes them private)
        os.replace(temporary, directory / name)
    finally:
        Path(temporary).unlink(missing_ok=True)
    return rows


def export_all(
    conn: Connection, corridor: Corridor, *, simulated: bool, out_dir: Path
) -> dict[str, int]:
    """Every file into ``out_dir``, the Data Package last; the rows of each, by name."""
    return {
        spec.name: build_file(spec.name, conn, corridor, simulated=simulated, directory=out_dir)
        for spec in FILES
    }
