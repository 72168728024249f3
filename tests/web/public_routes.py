"""Every public route of HQ's web app, found and fetched: the privacy crawl and the accessibility
test share this, so a page added later is checked by both without anyone listing it.

::

    demo_site(tmp_path_factory)     a demo data directory with monitoring data (cached)
    public_templates(app)           the app's public GET routes (not /hq/, not sync)
    crawl(base_url, app)            every public URL reachable from the seeds, fetched

The crawl starts from :data:`SEEDS`, every public route without parameters and every GET path of
the OpenAPI document; it follows each same-origin ``href``/``src`` of an HTML page and each
``links[].href`` of a JSON document, fetches every HTML page in each language (``?lang=``), fills
path parameters with values of the same name found in the JSON it read, and takes a sample of the
log's tiles. It is bounded (:data:`MAX_URLS`, :data:`PER_TEMPLATE`) so a long listing cannot
make it slow.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from http.cookiejar import CookieJar, DefaultCookiePolicy
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import httpx
import orjson
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute, compile_path

from corridor.datadir import DataDir
from corridor.demo.embedded import run_demo
from corridor.hq.osmand import PositionReport
from corridor.hq.positions import PositionIntake
from corridor.ledger.tiles import entry_bundles_for_size, tiles_for_size
from corridor.sim.scenario import default_scenario_path
from corridor.sim.traffic import Simulation

#: Two simulated days: convoys, crews' zones and tracked vehicles every day.
DEMO_DAYS, DEMO_SEED = 2, 3
LANGUAGES = ("en", "ru", "hy", "az")
SEEDS = ("/", "/bulletins/", "/data/", "/ogc/", "/api/v1/openapi.json", "/log/checkpoint")
#: Not public: the coordinator's workspace (behind its log-in) and the posts' sync endpoints
#: (signed with a post's key). The position intake is its own app on its own port.
PRIVATE_PREFIXES = ("/hq/", "/api/v1/sync/")
MAX_URLS = 2000
#: URLs per route (language variants not counted): enough for a sample of every listing.
PER_TEMPLATE = 8
#: A bulletin's PDF takes seconds to lay out: one bulletin's, in every language, stands for all.
PDF_SAMPLE = 1
#: The log's tiles are public by design; a sample of hash tiles and of entry bundles is enough.
HASH_TILES, ENTRY_BUNDLES = 2, 3
WORKERS = 4
TIMEOUT_S = 60.0


# -- the demo ---------------------------------------------------------------------------------

_DEMO_DIRS: dict[str, Path] = {}


def demo_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's data directory with HQ's registries, convoys, crews' zones and the trackers'
    positions, built once per test session (both test modules of this helper share it)."""
    if "demo" not in _DEMO_DIRS:
        directory = tmp_path_factory.mktemp("public-routes") / "corridor-data"
        _DEMO_DIRS["demo"] = build_demo(directory, DEMO_DAYS, DEMO_SEED)
    return _DEMO_DIRS["demo"]


def build_demo(directory: Path, days: int, seed: int) -> Path:
    """``corridor demo`` for ``days``, then the simulated trackers' fixes stored through HQ's
    position intake (the embedded demo feeds them to the monitor but does not keep them)."""
    scenario_file = default_scenario_path()
    run_demo(directory, scenario_file, days=days, seed=seed)
    datadir = DataDir(directory)
    simulation = Simulation(datadir.scenario(), seed)
    store = datadir.open_store()
    try:
        for day in simulation.days(days):
            intake = PositionIntake(store, simulation.pseudonym_key, clock=_fixed_clock(day.end))
            reports = [
                PositionReport(
                    f.device_id,
                    f.lat,
                    f.lon,
                    int(f.at.timestamp() * 1000),
                    f.speed_mps,
                    f.bearing_deg,
                    None,
                    f.accuracy_m,
                    None,
                )  # fmt: skip
                for f in day.fixes()
            ]
            received = int(day.end.astimezone(UTC).timestamp() * 1000)
            for outcome in intake.store_batch([(reports, received)]):
                assert isinstance(outcome, list), outcome
    finally:
        store.dispose()
    return directory


def _fixed_clock(moment: datetime) -> Callable[[], datetime]:
    # The simulated day's end is HQ's "now" for its fixes, as in the demo's ingest.
    return lambda: moment


# -- the app's public routes --------------------------------------------------------------------


def is_public_path(path: str) -> bool:
    return path != "/hq" and not path.startswith(PRIVATE_PREFIXES)


@dataclass(frozen=True)
class Template:
    """One public GET route: its path with ``{parameters}`` and the regex that matches it."""

    path: str
    regex: re.Pattern[str]

    @property
    def params(self) -> list[str]:
        return re.findall(r"{([^}:]+)(?::[^}]*)?}", self.path)


def _api_routes(routes: Iterable[BaseRoute], prefix: str = "") -> Iterator[tuple[str, APIRoute]]:
    """Every APIRoute with its full path, inside included routers too: FastAPI keeps an included
    router's routes as they were declared, under a route that holds the prefix."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path, route
        inner = getattr(route, "original_router", None)
        context: Any = getattr(route, "include_context", None)
        if inner is not None and context is not None:
            yield from _api_routes(inner.routes, prefix + context.prefix)


def public_templates(app: FastAPI) -> list[Template]:
    """Every GET route of ``app`` a reader may call without a key or a log-in, in the order the
    app matches them."""
    return [
        Template(path, compile_path(path)[0])
        for path, route in _api_routes(app.routes)
        if "GET" in (route.methods or ()) and is_public_path(path)
    ]


def template_of(path: str, templates: Iterable[Template]) -> Template | None:
    for template in templates:
        if template.regex.match(path):
            return template
    return None


# -- fetching -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fetched:
    """One response: ``url`` is the path and query, as requested."""

    url: str
    status: int
    content_type: str
    body: bytes
    location: str | None = None
    seconds: float = 0.0

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    @property
    def is_html(self) -> bool:
        return self.content_type.startswith("text/html")

    @property
    def is_json(self) -> bool:
        return "json" in self.content_type

    def json(self) -> Any:
        return orjson.loads(self.body)


class _Links(HTMLParser):
    """Every ``href`` and ``src`` of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.extend(v for k, v in attrs if k in ("href", "src") and v)


def html_links(body: bytes) -> list[str]:
    parser = _Links()
    parser.feed(body.decode("utf-8", "replace"))
    return parser.found


def json_links(document: Any) -> Iterator[str]:
    """Every ``links[].href`` anywhere in a JSON document."""
    if isinstance(document, dict):
        for key, value in document.items():
            if key == "links" and isinstance(value, list):
                yield from (v["href"] for v in value if isinstance(v, dict) and "href" in v)
            yield from json_links(value)
    elif isinstance(document, list):
        for item in document:
            yield from json_links(item)


def _name(key: str) -> str:
    """``event_id``, ``eventId`` and ``EventID`` alike."""
    return key.replace("_", "").replace("-", "").lower()


def harvest(document: Any, into: dict[str, list[str]], limit: int = 3) -> None:
    """Scalar values by (normalised) key, a few each: candidates for path parameters."""
    if isinstance(document, dict):
        for key, value in document.items():
            if isinstance(value, str | int) and not isinstance(value, bool):
                values = into.setdefault(_name(key), [])
                if len(values) < limit and str(value) not in values:
                    values.append(str(value))
            else:
                harvest(value, into, limit)
    elif isinstance(document, list):
        for item in document:
            harvest(item, into, limit)


def with_lang(url: str, lang: str | None) -> str:
    """``url`` with its ``lang`` query parameter set to ``lang`` (removed for ``None``)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "lang"]
    if lang is not None:
        query.append(("lang", lang))
    return urlunsplit(("", "", parts.path, urlencode(sorted(query)), ""))


def log_tiles(checkpoint: bytes) -> list[str]:
    """A sample of the log's hash tiles and entry bundles for the checkpoint's tree size."""
    lines = checkpoint.decode("utf-8", "replace").splitlines()
    if len(lines) < 2 or not lines[1].isdigit():
        return []
    size = int(lines[1])
    bundles = entry_bundles_for_size(size)
    sample = [*bundles[: ENTRY_BUNDLES - 1], *bundles[-1:]] if bundles else []
    return [f"/log/{t.path}" for t in [*tiles_for_size(size)[:HASH_TILES], *sample]]


@dataclass
class Crawl:
    """What the crawl fetched, by URL (path and query), and what it could not reach."""

    base_url: str
    templates: list[Template]
    #: Paths ending so are not fetched (a test that reads pages only needs no PDF).
    skip_suffixes: tuple[str, ...] = ()
    fetched: dict[str, Fetched] = field(default_factory=dict)
    truncated: bool = False
    _queued: set[str] = field(default_factory=set)
    _per_template: dict[str, set[str]] = field(default_factory=dict)
    _values: dict[str, list[str]] = field(default_factory=dict)

    def ok(self) -> list[Fetched]:
        return [f for f in self.fetched.values() if f.status == 200]

    def html_pages(self) -> list[Fetched]:
        return [f for f in self.ok() if f.is_html]

    def unreached(self) -> list[str]:
        """Public routes no fetched URL answered with 200."""
        reached = {template_of(f.path, self.templates) for f in self.ok()}
        return [t.path for t in self.templates if t not in reached]

    def _sample_key(self, path: str) -> str:
        """What a sample is taken of: a route, with its parameters but the last filled in (the
        items of each collection, not of the first one found); a folder, for other paths."""
        template = template_of(path, self.templates)
        if template is None:
            return path.rsplit("/", 1)[0]
        match = template.regex.match(path)
        assert match is not None
        return " ".join([template.path, *list(match.groupdict().values())[:-1]])

    def _admit(self, link: str, page: str) -> str | None:
        """The link as a same-origin path and query to fetch, or None (elsewhere, private, a
        fragment, over a bound or already queued)."""
        absolute = urljoin(self.base_url + page, link.strip())
        parts = urlsplit(absolute)
        if parts.scheme not in ("http", "https") or f"{parts.scheme}://{parts.netloc}" != (
            self.base_url
        ):
            return None
        # One spelling per URL: the language switch and a page's own links order queries apart.
        lang = dict(parse_qsl(parts.query)).get("lang")
        url = with_lang(urlunsplit(("", "", parts.path or "/", parts.query, "")), lang)
        if (
            url in self._queued
            or not is_public_path(parts.path)
            or parts.path.endswith(self.skip_suffixes)
        ):
            return None
        sample = self._per_template.setdefault(self._sample_key(parts.path), set())
        unlanguaged = with_lang(url, None)
        limit = PDF_SAMPLE if parts.path.endswith(".pdf") else PER_TEMPLATE
        if unlanguaged not in sample and len(sample) >= limit:
            return None
        if len(self._queued) >= MAX_URLS:
            self.truncated = True
            return None
        sample.add(unlanguaged)
        self._queued.add(url)
        return url

    def _filled(self) -> Iterator[str]:
        """Each route with path parameters, filled with values found so far."""
        for template in self.templates:
            params = template.params
            if not params or ":path}" in template.path:  # the log's tiles: see log_tiles
                continue
            choices = [self._values.get(_name(p), []) for p in params]
            for n in range(min((len(c) for c in choices), default=0)):
                url = template.path
                for param, values in zip(params, choices, strict=True):
                    url = re.sub(r"{" + re.escape(param) + r"(:[^}]*)?}", values[n], url)
                yield url

    def _follow(self, got: Fetched) -> Iterator[str]:
        if got.location is not None:  # a redirect is a link, admitted like any other
            yield got.location
        if got.status != 200:
            return
        if got.is_html:
            yield from html_links(got.body)
            yield from (with_lang(got.url, lang) for lang in LANGUAGES)
        elif got.is_json:
            document = got.json()
            harvest(document, self._values)
            yield from json_links(document)
            if got.path.endswith("/openapi.json"):
                paths = document.get("paths", {})
                # A path with parameters is a template: filled from listings, as the app's are.
                yield from (p for p, ops in paths.items() if "get" in ops and "{" not in p)
        if got.path == "/log/checkpoint":
            yield from log_tiles(got.body)

    def run(self, client: httpx.Client) -> Crawl:
        """Fetch from the seeds on, each URL as soon as it is found (a slow PDF does not hold
        up the pages found after it)."""
        plain = [t.path for t in self.templates if not t.params]
        with ThreadPoolExecutor(WORKERS) as pool:
            pending = {pool.submit(_get, client, u) for u in self._admitted([*SEEDS, *plain], "/")}
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    got = future.result()
                    self.fetched[got.url] = got
                    found = [*self._admitted(self._follow(got), got.url)]
                    found += self._admitted(self._filled(), "/")
                    pending |= {pool.submit(_get, client, url) for url in found}
        return self

    def _admitted(self, links: Iterable[str], page: str) -> Iterator[str]:
        return (url for url in (self._admit(link, page) for link in links) if url is not None)


def _get(client: httpx.Client, url: str) -> Fetched:
    response = client.get(url)
    headers = response.headers
    return Fetched(
        url, response.status_code, headers.get("content-type", ""), response.content,
        headers.get("location") if response.is_redirect else None,
        response.elapsed.total_seconds(),
    )  # fmt: skip


def client_for(base_url: str) -> httpx.Client:
    """A client that keeps no cookie: a page's language is the one its URL asks for, never the
    one the previous ``?lang=`` left in a cookie."""
    jar = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
    return httpx.Client(base_url=base_url, cookies=jar, timeout=TIMEOUT_S)


def crawl(base_url: str, app: FastAPI, skip_suffixes: tuple[str, ...] = ()) -> Crawl:
    """Every public URL of the app served at ``base_url`` reachable from the seeds, fetched."""
    with client_for(base_url) as client:
        return Crawl(base_url, public_templates(app), skip_suffixes).run(client)
