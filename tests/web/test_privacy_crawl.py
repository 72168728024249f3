"""No personal data on any public page, file or API: a crawl of every public route of HQ's app
(served for real, over a demo with HQ's registries, convoys, crews and trackers' positions),
every page in every language, every open-data file read as data (Parquet cells, PDF text),
searched for every plate, name, document number, device id and position the store holds."""

from __future__ import annotations

import html
import io
import json
import re
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pypdf
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from corridor.datadir import DataDir
from corridor.geo.band import geometry_for
from corridor.ledger.tiles import decode_entry_bundle
from corridor.model.events import PrivateRecord
from corridor.store.engine import Store
from corridor.store.schema import (
    convoy_members,
    crew_zones,
    devices,
    operators,
    permits,
    positions,
    private_records,
    vehicles,
)
from corridor.web.app import create_app_for_dir
from tests.browser import served
from tests.web import public_routes
from tests.web.public_routes import Crawl

#: Shorter strings (a one-letter manifest field, an empty note) would match by chance.
MIN_LENGTH = 5
#: Decimals a page might print a coordinate with; fewer than 4 would not place a vehicle.
DECIMALS = (4, 5, 6)
#: A position is searched as a pair (latitude and longitude within this many numbers of each
#: other, either order): one coordinate alone at 4 or 5 decimals matches some fix of a busy
#: day by chance (a day's 10,000 fixes cover most of the band's 4-decimal latitudes).
PAIR_WINDOW = 3
#: Route prefixes whose pages must have been reached, whenever the app has a route there.
PREFIXES = ("/bulletins/", "/data/", "/ogc/", "/api/v1/", "/log/")
_NUMBER = re.compile(r"(?<![\w.])-?\d{1,3}\.\d+(?![\w.])")


# -- what is private --------------------------------------------------------------------------


@dataclass(frozen=True)
class Private:
    """Every private value of the store: ``strings`` maps each to where it came from;
    ``pairs`` holds positions as (latitude, longitude) formatted, ``singles`` full-precision
    coordinates (unique enough to find alone)."""

    strings: dict[str, str]
    pairs: frozenset[tuple[str, str]]
    singles: frozenset[str]


def _formats(value: float) -> set[str]:
    out = set()
    for places in DECIMALS:
        text = f"{value:.{places}f}"
        out |= {text, text.rstrip("0").rstrip(".")}
    return out


def _pairs(lat: float, lon: float) -> set[tuple[str, str]]:
    return {(a, b) for a in _formats(lat) for b in _formats(lon)}


def _coordinates(geometry: Any) -> Iterator[tuple[float, float]]:
    """Every (lon, lat) of a GeoJSON geometry, feature or collection."""
    if isinstance(geometry, dict):
        for key, value in geometry.items():
            if key == "coordinates":
                yield from _positions_in(value)
            else:
                yield from _coordinates(value)
    elif isinstance(geometry, list):
        for item in geometry:
            yield from _coordinates(item)


def _positions_in(value: Any) -> Iterator[tuple[float, float]]:
    if (
        isinstance(value, list)
        and len(value) >= 2
        and all(isinstance(v, float | int) for v in value)
    ):
        yield float(value[0]), float(value[1])
    elif isinstance(value, list):
        for item in value:
            yield from _positions_in(item)


def public_geometry(directory: Path, store: Store) -> set[tuple[float, float]]:
    """The corridor's own points, published by design: posts, endpoints, routes, the band's
    vertices and the crews' zones. A position that equals one of them is no leak."""
    corridor = DataDir(directory).scenario().corridor
    points = {p.point for p in corridor.posts} | {p.point for p in corridor.endpoints}
    points |= {pt for route in corridor.routes for pt in route.line}
    geometry = geometry_for(corridor)
    for route in corridor.routes:
        points |= set(_coordinates(geometry.to_geojson(route.effective_from)))
    with store.read() as conn:
        for (zone,) in conn.execute(select(crew_zones.c.geometry)):
            points |= set(_coordinates(json.loads(zone)))
    return points


def private_values(directory: Path) -> Private:
    """Plates, names, document numbers (the private records and registries), device ids,
    HQ users' names, and the trackers' positions."""
    store = DataDir(directory).open_store()
    strings: dict[str, str] = {}

    def add(values: Iterable[object], source: str) -> None:
        for value in values:
            text = str(value).strip()
            if len(text) >= MIN_LENGTH:
                strings.setdefault(text, source)

    try:
        with store.read() as conn:
            for (text,) in conn.execute(select(private_records.c.record)):
                record = PrivateRecord.from_json(json.loads(text))
                add([record.plate, record.driver, record.notes], "private record")
                add(record.documents, "private record: document")
                add((v for person in record.manifest for v in person.values()), "manifest")
            for row in conn.execute(select(vehicles.c.plate, vehicles.c.plate_display)):
                add(row, "vehicle registry: plate")
            add(conn.execute(select(permits.c.code)).scalars(), "permit")
            add(conn.execute(select(convoy_members.c.plate)).scalars(), "convoy member: plate")
            add(conn.execute(select(devices.c.device_id)).scalars(), "device")
            add(conn.execute(select(operators.c.username)).scalars(), "HQ user")
            fixes = conn.execute(select(positions.c.lat, positions.c.lon)).all()
        geometry = public_geometry(directory, store)
    finally:
        store.dispose()
    # A pair of two published numbers is no leak: a listing of posts puts one post's latitude
    # next to the next post's longitude, and a vehicle at a checkpoint is at its coordinates.
    published = {text for point in geometry for c in point for text in _formats(c)}
    pairs = {
        (a, b)
        for lat, lon in fixes
        for a, b in _pairs(lat, lon)
        if not (a in published and b in published)
    }
    on_the_map = {repr(c) for point in geometry for c in point}
    singles = {repr(c) for fix in fixes for c in fix if len(repr(c).split(".")[-1]) >= 7}
    return Private(strings, frozenset(pairs), frozenset(singles - on_the_map))


# -- what a response says ---------------------------------------------------------------------


def readable(url: str, body: bytes, content_type: str = "") -> str:
    """The text a response carries, whatever its format: a PDF's and a Parquet file's as well
    (a parse failure fails the test: an unreadable file is not a checked one)."""
    if body.startswith(b"%PDF"):
        reader = pypdf.PdfReader(io.BytesIO(body))
        info = [str(v) for v in (reader.metadata or {}).values()]
        return "\n".join([*info, *(page.extract_text() for page in reader.pages)])
    if body.startswith(b"PAR1"):
        table = pq.read_table(io.BytesIO(body))
        metadata = [v.decode("utf-8", "replace") for v in (table.schema.metadata or {}).values()]
        # Row by row, so that a row's latitude and longitude stand side by side.
        rows = (" ".join(str(cell) for cell in row.values()) for row in table.to_pylist())
        return "\n".join([*metadata, " ".join(table.column_names), *rows])
    if body.startswith(b"PK\x03\x04"):
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            return "\n".join(readable(name, archive.read(name)) for name in archive.namelist())
    if "/tile/entries/" in url:
        return "\n".join(e.decode("utf-8", "replace") for e in decode_entry_bundle(body))
    text = body.decode("utf-8", "replace")
    if "json" in content_type or url.endswith((".json", ".geojson")):
        # Escapes (\u0410...) would hide a name written in another script.
        return text + "\n" + json.dumps(orjson.loads(body), ensure_ascii=False)
    if "html" in content_type:
        return text + "\n" + html.unescape(text)
    return text


def _trie_pattern(words: Iterable[str]) -> re.Pattern[str]:
    """One regex for many literal strings, as a trie: each position of the text is tried
    against the strings' first letters only, not against every string in turn."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def pattern(node: dict[str, Any]) -> str:
        branches = [re.escape(c) + pattern(child) for c, child in sorted(node.items()) if c]
        if not branches:
            return ""
        either = branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"
        # A word ends here: the longer words through this node are tried first.
        return f"(?:{either})?" if "" in node else either

    return re.compile(pattern(trie))


class Search:
    """Finds private values in text: strings as written, positions as numbers."""

    def __init__(self, private: Private) -> None:
        self.private = private
        self.pattern = _trie_pattern(private.strings)

    def hits(self, text: str) -> set[str]:
        found = {m.group(0) for m in self.pattern.finditer(text)}
        numbers = [m.group(0) for m in _NUMBER.finditer(text)]
        found |= {n for n in numbers if n in self.private.singles}
        for i, first in enumerate(numbers):
            for second in numbers[i + 1 : i + 1 + PAIR_WINDOW]:
                for pair in ((first, second), (second, first)):
                    if pair in self.private.pairs:
                        found.add(f"position {pair[0]}, {pair[1]}")
        return found


# -- the crawl --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Site:
    directory: Path
    app: FastAPI
    url: str
    crawl: Crawl


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    directory = public_routes.demo_site(tmp_path_factory)
    app = create_app_for_dir(directory)
    with served(app, "uvicorn-privacy", lifespan="on", access_log=False) as url:
        yield Site(directory, app, url, public_routes.crawl(url, app))


@pytest.fixture(scope="module")
def search(site: Site) -> Search:
    return Search(private_values(site.directory))


def test_the_demo_holds_every_kind_of_private_value(search: Search) -> None:
    sources = Counter(search.private.strings.values())
    for kind in ("private record", "manifest", "private record: document", "device", "permit"):
        assert sources[kind] > 0, f"the demo has no {kind}: the crawl would check nothing"
    assert sources["vehicle registry: plate"] > 0
    assert len(search.private.pairs) > 10_000, "the demo's trackers stored no positions"


def test_no_public_response_holds_personal_data(site: Site, search: Search) -> None:
    found = [
        f"{got.url}: {value!r} ({search.private.strings.get(value, 'position')})"
        for got in site.crawl.fetched.values()
        for value in sorted(search.hits(readable(got.url, got.body, got.content_type)))
    ]
    assert found == [], f"{len(found)} private values on public URLs:\n" + "\n".join(found[:50])


def test_the_crawl_reached_every_public_route(site: Site) -> None:
    crawl = site.crawl
    assert not crawl.truncated, f"the crawl stopped at {public_routes.MAX_URLS} URLs"
    assert crawl.templates and "/" in {t.path for t in crawl.templates}
    assert crawl.unreached() == [], "public routes no link or listing leads to"
    errors = [f"{f.status} {f.url}" for f in crawl.fetched.values() if f.status >= 500]
    assert errors == []
    for prefix in PREFIXES:
        if any(t.path.startswith(prefix) for t in crawl.templates):
            assert any(f.path.startswith(prefix) for f in crawl.ok()), f"nothing under {prefix}"


def test_every_page_was_read_in_every_language(site: Site) -> None:
    pages = {public_routes.with_lang(f.url, None) for f in site.crawl.html_pages()}
    assert "/" in pages
    missing = [
        f"{page} ({lang})"
        for page in sorted(pages)
        for lang in public_routes.LANGUAGES
        if getattr(site.crawl.fetched.get(public_routes.with_lang(page, lang)), "status", 0) != 200
    ]
    assert missing == []


def test_every_file_format_was_read_as_data(site: Site) -> None:
    """A PDF's text and a Parquet file's cells were searched, not their compressed bytes."""
    ok = site.crawl.ok()
    kinds = Counter(f.body[:4] for f in ok)
    if any(t.path.endswith(".pdf") for t in site.crawl.templates):
        label = DataDir(site.directory).scenario().corridor.label
        pdfs = [f for f in ok if f.body.startswith(b"%PDF")]
        assert pdfs and all(label in readable(f.url, f.body) for f in pdfs), "PDF text unread"
    if any(f.path.endswith(".parquet") for f in ok):
        assert kinds[b"PAR1"] > 0
    bundles = [f for f in ok if "/tile/entries/" in f.url]
    assert bundles and all('"sig"' in readable(b.url, b.body) for b in bundles)


def test_positions_are_behind_the_coordinators_log_in(site: Site, search: Search) -> None:
    with public_routes.client_for(site.url) as client:
        for path in ("/hq/api/positions", "/hq/api/events", "/hq/api/zones", "/hq/"):
            response = client.get(path)
            assert response.status_code == 401, path
            assert search.hits(readable(path, response.content, "")) == set(), path


def test_the_search_finds_each_kind_of_value_however_it_is_written(search: Search) -> None:
    """The search itself: a value in HTML, escaped JSON, a Parquet cell or a coordinate pair
    is found (else a clean crawl would prove nothing)."""
    strings = search.private.strings
    plate = next(s for s, kind in strings.items() if kind == "vehicle registry: plate")
    device = next(s for s, kind in strings.items() if kind == "device")
    lat, lon = next(iter(search.private.pairs))
    page = f"<td>{html.escape(plate)}</td>".encode()
    assert plate in search.hits(readable("/x", page, "text/html"))
    escaped = json.dumps({"device": device, "at": [float(lon), float(lat)]}).encode()
    json_hits = search.hits(readable("/x.json", escaped, "application/json"))
    assert device in json_hits and any(h.startswith("position") for h in json_hits)
    table = pa.table({"who": [device], "lat": [float(lat)], "lon": [float(lon)]})
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    parquet_hits = search.hits(readable("/x.parquet", buffer.getvalue()))
    assert device in parquet_hits and any(h.startswith("position") for h in parquet_hits)
