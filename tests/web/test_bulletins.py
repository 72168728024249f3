"""The public bulletins: index, day pages, PDF and JSON, checked against the log's own entries.

The expected figures are read straight from the store's log rows (SQL and JSON, not through
corridor.reports.bulletin_pages), so a page that misreads or reorders the signed entry fails.
"""

from __future__ import annotations

import io
import json
from dataclasses import replace
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, cast

import pypdf
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pypdf.generic import DictionaryObject
from sqlalchemy import text

from corridor.hq.provision import init_hq
from corridor.hq.publish import LogPublisher
from corridor.model.canonical import canonical_json
from corridor.model.signing import EntryType, sign_body
from corridor.model.vocabulary import (
    CargoCategory,
    Direction,
    PassageKind,
    PeopleCategory,
    ReasonCode,
    VehicleClass,
)
from corridor.reports.bulletin import bulletin_body, empty_figures
from corridor.sim.scenario import Scenario, default_scenario_path
from corridor.store import queries
from corridor.store.engine import Store
from corridor.web.app import create_app
from corridor.web.i18n import LANGUAGES, localizer
from corridor.web.labels import labels
from corridor.web.pdf import STATIC_DIR, PdfUnavailableError, static_path, weasyprint
from tests.web.test_pages import _private_values


def _log_bulletins(store: Store) -> list[tuple[int, dict[str, Any], bytes]]:
    """(index, entry, bytes) of every bulletin a published checkpoint covers, in log order."""
    with store.read() as conn:
        size = conn.execute(text("SELECT size FROM log_state")).scalar_one()
        rows = conn.execute(
            text("SELECT idx, entry FROM log_entries WHERE type = 'bulletin' AND idx < :n"),
            {"n": size},
        ).all()
    return sorted((int(i), json.loads(raw), bytes(raw)) for i, raw in rows)


class Rows(HTMLParser):
    """The cells of every table row carrying a ``data-*`` attribute, keyed by (attribute,
    value): ``rows[("data-kind", "passed")] == ["passed", "139", "50", "189"]``."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.rows: dict[tuple[str, str], list[str]] = {}
        self.ids: dict[str, str] = {}
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._id: tuple[str, list[str]] | None = None
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "tr":
            keys = [(k, v) for k, v in attributes.items() if k.startswith("data-") and v]
            if keys:
                self._row = self.rows.setdefault((keys[0][0], str(keys[0][1])), [])
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        if "id" in attributes and self._id is None and tag in ("dd", "code", "pre", "td"):
            self._id = (str(attributes["id"]), [])

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr":
            self._row = None
        if self._id is not None and tag in ("dd", "code", "pre", "td"):
            self.ids[self._id[0]] = "".join(self._id[1]).strip()
            self._id = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._id is not None:
            self._id[1].append(data)


def _n(value: float) -> str:
    return f"{value:,}"


def _t(kg: int) -> str:
    return f"{kg / 1000:,.1f}"


def test_the_demo_has_a_bulletin_a_day(store: Store) -> None:
    days = [entry["body"]["day"] for _, entry, _ in _log_bulletins(store)]
    assert days == ["2020-12-01", "2020-12-02"]


def test_every_day_page_states_the_figures_of_its_log_entry(
    client: TestClient, store: Store
) -> None:
    returnees_so_far = 0
    for index, entry, _ in _log_bulletins(store):
        body = entry["body"]
        figures = body["figures"]
        response = client.get(f"/bulletins/{body['day']}")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        page = Rows(response.text)
        for kind in PassageKind:
            values = [figures["passages"][kind.value][d.value] for d in Direction]
            assert page.rows[("data-kind", kind.value)][1:3] == [_n(v) for v in values]
            assert page.rows[("data-kind", kind.value)][-1] == _n(sum(values))
        for vclass in VehicleClass:
            values = [figures["passed_by_class"][d.value][vclass.value] for d in Direction]
            assert page.rows[("data-class", vclass.value)][1:] == [_n(v) for v in values]
        for category in PeopleCategory:
            assert page.rows[("data-category", category.value)][1:] == [
                _n(figures["people"][category.value])
            ]
        for cargo in CargoCategory:
            assert page.rows[("data-category", cargo.value)][1:] == [
                _t(figures["cargo_kg"][cargo.value])
            ]
        for reason in ReasonCode:
            assert page.rows[("data-reason", reason.value)][1:] == [
                _n(figures["denials_by_reason"][reason.value])
            ]
        returnees_so_far += figures["people"]["returnees"]
        assert page.ids["headline-returnees-to-date"] == _n(returnees_so_far)
        assert f"tree size {body['tree_size']}" in page.ids["tree-size"]
        assert page.ids["log-index"] == f"log index {index}"
        assert page.ids["signature"] == entry["sig"]
        assert page.ids["signer-key"] == entry["key"]
        assert "key hq" in response.text
        with store.read() as conn:
            size, checkpoint = queries.published_state(conn) or (0, "")
        assert index < size
        assert page.ids["checkpoint"] == checkpoint.strip()
        assert figures["disruptions"] == []
        assert 'id="no-disruptions"' in response.text


def test_the_charts_are_inline_svg_images_with_titles(client: TestClient) -> None:
    page = client.get("/bulletins/2020-12-01").text
    for chart in ("chart-classes", "chart-cargo"):
        assert f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{chart}" role="img"' in (
            page
        )
        assert f'aria-labelledby="{chart}-title"' in page
        assert f'<title id="{chart}-title">' in page
    assert "<script" not in page  # the page, its charts included, works without scripts


def test_the_index_lists_every_bulletin_newest_first(client: TestClient, store: Store) -> None:
    response = client.get("/bulletins/")
    assert response.status_code == 200
    page = Rows(response.text)
    logged = _log_bulletins(store)
    listed = [value for (attribute, value) in page.rows if attribute == "data-day"]
    assert listed == [entry["body"]["day"] for _, entry, _ in reversed(logged)]
    for index, entry, _ in logged:
        figures = entry["body"]["figures"]
        cells = page.rows[("data-day", entry["body"]["day"])]
        passed = figures["passages"]["passed"]
        assert cells[1:3] == [_n(passed["inbound"]), _n(passed["outbound"])]
        assert cells[4] == _n(figures["people"]["returnees"])
        assert cells[8] == str(index)
        assert f'href="{entry["body"]["day"]}"' in response.text
        assert f'href="{entry["body"]["day"]}.pdf?lang=en"' in response.text


def test_pages_show_how_to_audit_the_log(client: TestClient) -> None:
    vkey = client.get("/log/vkey").text.strip()
    command = f"corridor audit http://testserver/log/ --vkey {vkey}"
    for path in ("/bulletins/", "/bulletins/2020-12-02"):
        assert f'<code class="command" id="audit-command">{command}</code>' in client.get(path).text
    page = client.get("/bulletins/2020-12-02").text
    assert "recomputes every bulletin" in page
    assert "figures and disruptions from the entries below its tree size" in page


def test_an_unknown_day_is_404_in_the_readers_language(client: TestClient) -> None:
    for path in (
        "/bulletins/2020-11-30",
        "/bulletins/2020-11-30.pdf",
        "/bulletins/2020-11-30.json",
    ):
        response = client.get(path + "?lang=ru")
        assert response.status_code == 404
        assert response.json()["error"] == "NotFoundError"
        expected = localizer("ru").gettext(
            "No bulletin has been published for %(day)s; the index at /bulletins/ "
            "lists every published day",
            day="2020-11-30",
        )
        assert response.json()["message"] == expected


@pytest.mark.parametrize("day", ["2020-12-1", "20201201", "2020-02-30", "yesterday", "2020-12-01x"])
def test_a_malformed_day_is_400(client: TestClient, day: str) -> None:
    for suffix in ("", ".pdf", ".json"):
        response = client.get(f"/bulletins/{day}{suffix}")
        assert response.status_code == 400, (day, suffix)
        assert response.json()["error"] == "BadRequestError"
        assert "YYYY-MM-DD" in response.json()["message"]


def test_the_json_is_the_signed_entry_as_logged(client: TestClient, store: Store) -> None:
    for index, _, raw in _log_bulletins(store):
        day = json.loads(raw)["body"]["day"]
        published = client.get(f"/bulletins/{day}.json").json()
        assert published["log_index"] == index
        assert canonical_json(published["entry"]) == raw
        with store.read() as conn:
            assert queries.log_entry(conn, published["log_index"]) == raw


def test_simulated_bulletins_say_so(client: TestClient, store: Store) -> None:
    assert all(entry["body"]["simulated"] for _, entry, _ in _log_bulletins(store))
    page = client.get("/bulletins/2020-12-01").text
    assert 'id="bulletin-simulated"' in page
    assert 'id="simulated-label"' in page
    assert "SIMULATED" in Rows(client.get("/bulletins/").text).rows[("data-day", "2020-12-01")][0]


def _pdf_text(response: Any) -> tuple[str, set[str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    fonts = set()
    for page in reader.pages:
        resources = cast(DictionaryObject, page["/Resources"].get_object())
        for font in cast(DictionaryObject, resources["/Font"].get_object()).values():
            name = cast(DictionaryObject, font.get_object())["/BaseFont"]
            fonts.add(str(name).split("+")[-1])  # "/ABCDEF+DejaVu-Sans": a subset's tag
    return "\n".join(page.extract_text() for page in reader.pages), fonts


@pytest.fixture(scope="module")
def pdf_ready() -> None:
    try:
        weasyprint()
    except PdfUnavailableError as exc:
        pytest.skip(str(exc))


@pytest.mark.usefixtures("pdf_ready")
def test_the_pdf_is_the_bulletin_with_its_figures(client: TestClient, store: Store) -> None:
    index, entry, _ = _log_bulletins(store)[-1]
    body = entry["body"]
    text_of_pdf, fonts = _pdf_text(client.get(f"/bulletins/{body['day']}.pdf"))
    words = " ".join(text_of_pdf.split())
    assert "December 2, 2020" in words
    assert "SIMULATED" in words
    assert f"log index {index}" in words
    assert f"tree size {body['tree_size']}" in words
    passed = body["figures"]["passages"]["passed"]
    assert f"passed {_n(passed['inbound'])} {_n(passed['outbound'])}" in words
    assert "corridor audit http://testserver/log/" in words
    assert fonts == {"Corridor-DejaVu-Sans", "Corridor-DejaVu-Sans-Bold"}


NAMES = ("Լաչինի միջանցք", "Лачинский коридор", "Laçın dəhlizi")


@pytest.fixture(scope="module")
def scripts_client(store: Store, scenario: Scenario) -> Any:
    """The demo's app with the corridor and its ends named in Armenian, Cyrillic and
    Azerbaijani letters."""
    corridor = scenario.corridor
    first, last = corridor.endpoints
    renamed = replace(
        corridor,
        names=NAMES,
        endpoints=(replace(first, names=("Կոռնիձոր",)), replace(last, names=("Xankəndi",))),
    )
    app: FastAPI = create_app(store, replace(scenario, corridor=renamed))
    with TestClient(app) as test_client:
        yield test_client


@pytest.mark.usefixtures("pdf_ready")
@pytest.mark.parametrize("lang", ["hy", "ru", "az"])  # English: the test above
def test_the_pdf_renders_armenian_cyrillic_and_azerbaijani(
    scripts_client: TestClient, lang: str
) -> None:
    response = scripts_client.get(f"/bulletins/2020-12-01.pdf?lang={lang}")
    assert response.headers["content-language"] == lang
    text_of_pdf, fonts = _pdf_text(response)
    for name in (*NAMES, "Կոռնիձոր", "Xankəndi"):
        assert name in text_of_pdf
    assert localizer(lang).date(date(2020, 12, 1)) in text_of_pdf
    assert fonts == {"Corridor-DejaVu-Sans", "Corridor-DejaVu-Sans-Bold"}


def test_the_pdf_reads_only_the_sites_static_files() -> None:
    sheet = STATIC_DIR / "bulletin.css"
    assert static_path(sheet.as_uri()) == sheet
    assert static_path((STATIC_DIR / "vendor/fonts/DejaVuSans.ttf").as_uri()) is not None
    assert static_path("file://" + str(STATIC_DIR) + "/../app.py") is None
    assert static_path("file:///etc/passwd") is None
    assert static_path("http://example.org/static/bulletin.css") is None
    assert static_path("file://example.org" + str(sheet)) is None
    assert static_path((STATIC_DIR / "missing.css").as_uri()) is None


def test_no_private_field_reaches_a_bulletin(client: TestClient, store: Store) -> None:
    private = _private_values(store)
    assert private
    bodies = [client.get("/bulletins/").text]
    for _, entry, _ in _log_bulletins(store):
        day = entry["body"]["day"]
        bodies += [client.get(f"/bulletins/{day}").text, client.get(f"/bulletins/{day}.json").text]
        try:
            weasyprint()
        except PdfUnavailableError:
            continue
        bodies.append(_pdf_text(client.get(f"/bulletins/{day}.pdf"))[0])
    everything = "\n".join(bodies)
    assert "SIM " not in everything
    assert sorted(value for value in private if value in everything) == []


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
def test_every_vocabulary_value_has_a_label(lang: str) -> None:
    words = labels(localizer(lang))
    assert set(words.kinds) == {v.value for v in PassageKind}
    assert set(words.directions) == {v.value for v in Direction}
    assert set(words.vehicle_classes) == {v.value for v in VehicleClass}
    assert set(words.people) == {v.value for v in PeopleCategory}
    assert set(words.cargo) == {v.value for v in CargoCategory}
    assert set(words.reasons) == {v.value for v in ReasonCode}
    assert all(words.kinds.values())


# -- a fresh HQ: what is published, and a bulletin stating a disruption --------------------------


@pytest.fixture
def fresh_hq(tmp_path: Path) -> Any:
    datadir, store, keys = init_hq(tmp_path / "hq", default_scenario_path())
    try:
        yield datadir, store, keys
    finally:
        store.dispose()


def test_a_bulletin_shows_once_a_checkpoint_covers_it(fresh_hq: Any) -> None:
    datadir, store, keys = fresh_hq
    scenario = datadir.scenario()
    figures = empty_figures()
    figures["people"]["returnees"] = 7
    figures["disruptions"] = [
        {
            "direction": "inbound",
            "vehicle_class": "all",
            "all_classes": True,
            "start": "2020-12-01T09:00:00Z",
            "end": None,
            "expected": 41.5,
            "observed": 2,
            "severity": "critical",
        },
        {
            "direction": "outbound",
            "vehicle_class": "truck",
            "all_classes": False,
            "start": "2020-12-01T06:00:00Z",
            "end": "2020-12-01T08:00:00Z",
            "expected": 12.0,
            "observed": 1,
            "severity": "warning",
        },
    ]
    body = bulletin_body("lachin", date(2020, 12, 1), 2, figures, simulated=False)
    with store.write() as conn:
        size = queries.log_size(conn)
        queries.append_log_entries(
            conn, size, [(EntryType.BULLETIN.value, sign_body(EntryType.BULLETIN, body, keys.hq))]
        )
    with TestClient(create_app(store, scenario, simulated=False)) as client:
        assert client.get("/bulletins/2020-12-01").status_code == 404
        assert 'id="no-bulletins"' in client.get("/bulletins/").text
        LogPublisher(store, keys.log, export_dir=datadir.log).publish()
        response = client.get("/bulletins/2020-12-01")
        assert response.status_code == 200
        page = response.text
    assert 'id="bulletin-simulated"' not in page
    assert 'id="simulated-label"' not in page
    rows = Rows(page)
    assert rows.ids["log-index"] == f"log index {size}"
    assert rows.ids["headline-returnees-to-date"] == "7"
    assert page.count('<tr class="disruption open">') == 1
    assert page.count('<tr class="disruption closed">') == 1
    assert "all classes" in page and "truck" in page
    assert 'datetime="2020-12-01T09:00:00+00:00"' in page
    assert 'datetime="2020-12-01T08:00:00+00:00"' in page
    assert "still open at the end of the day" in page
    assert "41.5" in page


# -- in a browser: the page's own resources only, no console error, no accessibility violation --

AXE = Path(__file__).resolve().parents[1] / "vendor" / "axe-core" / "axe.min.js"
AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return {
    passes: result.passes.length,
    violations: result.violations.map(v => `${v.id}: ${v.help} (${v.nodes.length})`),
  };
}"""


@pytest.mark.browser
@pytest.mark.parametrize(
    "path", ["/bulletins/", "/bulletins/2020-12-02", "/bulletins/2020-12-02?lang=hy"]
)
def test_bulletin_pages_in_a_browser(live_server: str, chromium_path: Path, path: str) -> None:
    from tests.browser import watched_page

    with watched_page(live_server, chromium_path) as watched:
        page = watched.page
        page.goto(live_server + path)
        # Through the DevTools protocol, which the page's CSP does not govern (a script tag
        # would be refused, as it should be).
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
        checked = page.evaluate(AXE_RUN)
        if "/2020-12-02" in path:
            assert page.locator("svg.chart").count() == 2
            box = page.locator("#chart-classes").bounding_box()
            assert box is not None and box["width"] > 200
        page.emulate_media(media="print")
        assert not page.locator(".site-nav ul").is_visible()
        assert not page.locator(".language-switch").is_visible()
    assert watched.problems == []
    assert watched.elsewhere == []
    assert checked["passes"] > 10  # axe did run its rules
    assert checked["violations"] == []
