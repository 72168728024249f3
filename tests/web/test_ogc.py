"""OGC API - Features at /ogc/, in process: every endpoint, paging, bbox and datetime filters,
the 400s and 404s, HTML and JSON, and what the crews' zones must not reveal."""

from __future__ import annotations

import html
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from shapely.geometry import Point, box
from sqlalchemy import func, select

from corridor.store.schema import passages
from tests.web.ogc_app import CREW_NAME, KM_7, ZONE_NAME, ogc_app

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=r"Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

GEOJSON = "application/geo+json"
COLLECTIONS = ["band", "routes", "posts", "crew-zones", "daily-flow"]


@pytest.fixture(scope="module")
def ogc(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with ogc_app(demo_dir, tmp_path_factory.mktemp("ogc")) as app, TestClient(app) as client:
        yield client


def get_json(client: TestClient, url: str, **params: Any) -> dict[str, Any]:
    # httpx drops a URL's own query when given params, even empty ones: next links carry theirs.
    response = client.get(url, params=params) if params else client.get(url)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def rels(document: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {link["rel"]: link for link in document["links"]}


def items(client: TestClient, cid: str, **params: Any) -> dict[str, Any]:
    return get_json(client, f"/ogc/collections/{cid}/items", **params)


def ids(page: dict[str, Any]) -> list[str]:
    return [feature["id"] for feature in page["features"]]


# -- landing page, conformance, API definition ---------------------------------------------------


def test_the_landing_page_links_to_everything_a_client_needs(ogc: TestClient) -> None:
    landing = get_json(ogc, "/ogc/")
    links = rels(landing)
    assert {"self", "alternate", "service-desc", "conformance", "data"} <= set(links)
    assert links["service-desc"]["type"] == "application/vnd.oai.openapi+json;version=3.0"
    assert links["alternate"]["type"] == "text/html"
    for rel in ("service-desc", "conformance", "data"):
        assert ogc.get(links[rel]["href"]).status_code == 200, rel
    assert "Lachin" in landing["title"] and "Berdzor" in landing["title"]
    assert get_json(ogc, "/ogc") == landing  # GDAL is given the address without the slash


def test_conformance_declares_core_geojson_html_and_openapi(ogc: TestClient) -> None:
    conforms = get_json(ogc, "/ogc/conformance")["conformsTo"]
    base = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/"
    assert {base + name for name in ("core", "geojson", "html", "oas30")} == set(conforms)


def test_the_api_definition_is_openapi_3_and_bounds_limit(ogc: TestClient) -> None:
    response = ogc.get("/ogc/api")
    assert response.headers["content-type"].startswith("application/vnd.oai.openapi+json")
    api = response.json()
    assert api["openapi"].startswith("3.0")
    assert api["servers"][0]["url"].endswith("/ogc")
    operation = api["paths"]["/collections/{collectionId}/items"]["get"]
    limit = next(p for p in operation["parameters"] if p["name"] == "limit")
    assert limit["schema"] == {"type": "integer", "minimum": 1, "maximum": 1000, "default": 10}
    assert {
        "/",
        "/conformance",
        "/collections",
        "/collections/{collectionId}/items/{featureId}",
    } <= set(api["paths"])


# -- collections ---------------------------------------------------------------------------------


def test_collections_list_every_layer_with_its_extents(ogc: TestClient) -> None:
    listed = get_json(ogc, "/ogc/collections")["collections"]
    assert [c["id"] for c in listed] == COLLECTIONS
    for described in listed:
        assert described == get_json(ogc, f"/ogc/collections/{described['id']}")
        west, south, east, north = described["extent"]["spatial"]["bbox"][0]
        assert 46.3 < west < east < 46.9 and 39.4 < south < north < 39.9, described["id"]
        items_link = next(
            link
            for link in described["links"]
            if link["rel"] == "items" and link["type"] == GEOJSON
        )
        assert ogc.get(items_link["href"]).status_code == 200
        assert "SIMULATED" in described["title"]
    by_id = {c["id"]: c["extent"]["temporal"]["interval"][0] for c in listed}
    assert by_id["band"] == ["2020-12-01T00:00:00Z", None]  # the latest version has no end
    assert by_id["daily-flow"] == ["2020-12-01T00:00:00Z", "2020-12-03T00:00:00Z"]
    # The demo's four simulated zones start at 04:00 on its first day; ours ends last.
    assert by_id["crew-zones"] == ["2020-12-01T04:00:00Z", "2021-03-05T18:00:00Z"]


def test_an_unknown_collection_is_404_naming_the_known_ones(ogc: TestClient) -> None:
    for url in ("/ogc/collections/lorries", "/ogc/collections/lorries/items"):
        response = ogc.get(url)
        assert response.status_code == 404
        assert response.json()["error"] == "NotFoundError"
        assert (
            "lorries" in response.json()["message"] and "daily-flow" in response.json()["message"]
        )


# -- items and paging ----------------------------------------------------------------------------


def test_items_are_geojson_with_counts_links_and_a_timestamp(ogc: TestClient) -> None:
    response = ogc.get("/ogc/collections/posts/items")
    assert response.headers["content-type"] == GEOJSON
    page = response.json()
    assert page["type"] == "FeatureCollection"
    assert page["numberMatched"] == 23 and page["numberReturned"] == 10  # the default limit
    assert page["timeStamp"].endswith("Z") and page["simulated"] is True
    links = rels(page)
    assert {"self", "alternate", "next", "collection"} <= set(links) and "prev" not in links
    first = page["features"][0]
    assert first["type"] == "Feature" and first["geometry"]["type"] == "Point"


def test_next_links_walk_every_feature_exactly_once(ogc: TestClient) -> None:
    seen: list[str] = []
    url: str | None = "/ogc/collections/posts/items?limit=4"
    pages = 0
    while url is not None:
        page = get_json(ogc, url)
        assert page["numberMatched"] == 23
        seen += ids(page)
        pages += 1
        if pages > 1:
            assert "prev" in rels(page)
        url = rels(page).get("next", {}).get("href")
    assert pages == 6
    assert seen == [f"P{n:02}" for n in range(1, 24)]


def test_paging_keeps_the_filters_in_its_links(ogc: TestClient) -> None:
    page = items(ogc, "posts", limit=1, bbox="46.40,39.40,46.50,39.56")
    follow = get_json(ogc, rels(page)["next"]["href"])
    assert follow["numberMatched"] == page["numberMatched"] == 6
    assert ids(follow) == ["P02"]


def test_an_offset_past_the_end_is_an_empty_page_not_an_error(ogc: TestClient) -> None:
    page = items(ogc, "posts", offset=40, limit=10)
    assert page["features"] == [] and page["numberReturned"] == 0 and page["numberMatched"] == 23
    links = rels(page)
    assert "next" not in links
    assert ids(get_json(ogc, links["prev"]["href"])) == [f"P{n}" for n in range(14, 24)]


def test_limit_may_reach_the_maximum(ogc: TestClient) -> None:
    assert items(ogc, "posts", limit=1000)["numberReturned"] == 23


# -- filters -------------------------------------------------------------------------------------


def test_bbox_keeps_the_features_it_intersects(ogc: TestClient) -> None:
    area = (46.40, 39.45, 46.50, 39.56)
    everything = items(ogc, "posts", limit=100)["features"]
    expected = [
        f["id"] for f in everything if box(*area).intersects(Point(f["geometry"]["coordinates"]))
    ]
    page = items(ogc, "posts", bbox=",".join(map(str, area)), limit=100)
    assert ids(page) == expected and len(expected) == 6
    assert items(ogc, "posts", bbox="10,10,11,11")["numberMatched"] == 0
    # West east of east crosses the antimeridian: the whole world but 47..179 E.
    assert items(ogc, "posts", bbox="179,-90,47,90", limit=100)["numberMatched"] == 23
    assert items(ogc, "posts", bbox="179,-90,46,90")["numberMatched"] == 0
    zones = items(ogc, "crew-zones", bbox=f"{KM_7[0]},{KM_7[1]},{KM_7[0]},{KM_7[1]}")
    assert zones["numberMatched"] == 1  # a point box inside the km 7 zone


def test_datetime_instants_and_intervals_pick_route_versions(ogc: TestClient) -> None:
    def versions(value: str) -> list[str]:
        return ids(items(ogc, "band", datetime=value))

    assert versions("2021-06-01T00:00:00Z") == ["1"]
    assert versions("2022-09-01T00:00:00Z") == ["2"]  # a version's end is not in it
    assert versions("2022-08-31T23:59:59+00:00") == ["1"]
    assert versions("2022-09-01T03:00:00+04:00") == ["1"]  # 2022-08-31T23:00Z
    assert versions("2022-08-01T00:00:00Z/..") == ["1", "2"]
    assert versions("2022-09-02T00:00:00Z/") == ["2"]
    assert versions("../2022-08-01T00:00:00Z") == ["1"]
    assert versions("2019-01-01T00:00:00Z/2019-12-31T00:00:00Z") == []
    assert ids(items(ogc, "routes", datetime="2030-01-01T00:00:00Z")) == ["2"]


def test_datetime_selects_days_of_flow_and_windows_of_zones(ogc: TestClient) -> None:
    day_two = items(ogc, "daily-flow", datetime="2020-12-02T12:00:00Z", limit=100)
    assert day_two["numberMatched"] > 0
    assert {f["properties"]["day"] for f in day_two["features"]} == {"2020-12-02"}
    both = items(ogc, "daily-flow", datetime="2020-12-01T23:00:00Z/2020-12-02T01:00:00Z")
    assert {f["properties"]["day"] for f in both["features"]} == {"2020-12-01", "2020-12-02"}
    march = items(ogc, "crew-zones", datetime="2021-03-02T00:00:00Z")["features"]
    assert [f["properties"]["active_from"] for f in march] == ["2021-03-01T06:00:00Z"]
    # Posts carry no dates, so every datetime keeps them.
    assert items(ogc, "posts", datetime="1999-01-01T00:00:00Z")["numberMatched"] == 23


# -- 400s and 404s -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"bbox": "46,39,47"}, ["bbox", "4 numbers", "3 values"]),
        ({"bbox": "46,39,47,40,1,2"}, ["bbox", "6 values"]),
        ({"bbox": "46,39,east,40"}, ["bbox", "not a number"]),
        ({"bbox": "46,39,200,40"}, ["bbox", "longitudes"]),
        ({"bbox": "46,95,47,40"}, ["bbox", "latitudes"]),
        ({"bbox": "46,40,47,39"}, ["bbox", "south edge"]),
        ({"bbox": "46,39,47,40", "bbox-crs": "EPSG:3857"}, ["bbox-crs", "CRS84"]),
        ({"datetime": "yesterday"}, ["datetime", "RFC 3339"]),
        ({"datetime": "2020-12-01"}, ["datetime", "RFC 3339"]),
        ({"datetime": "2020-12-01T08:00:00"}, ["datetime", "RFC 3339"]),
        ({"datetime": "2020-13-01T08:00:00Z"}, ["datetime", "not a real date"]),
        ({"datetime": "2020-12-01T08:00:00Z/2020-12-02T00:00:00Z/.."}, ["datetime", "one '/'"]),
        ({"datetime": "../.."}, ["datetime", "at least one end"]),
        ({"datetime": "2020-12-02T00:00:00Z/2020-12-01T00:00:00Z"}, ["datetime", "ends before"]),
        ({"limit": "0"}, ["limit", "1 to 1000"]),
        ({"limit": "1001"}, ["limit", "1001"]),
        ({"limit": "ten"}, ["limit"]),
        ({"offset": "-1"}, ["offset"]),
        ({"f": "xml"}, ["f=json", "f=html"]),
        ({"colour": "red"}, ["colour", "unknown parameter"]),
    ],
)
def test_malformed_parameters_are_400_naming_the_problem(
    ogc: TestClient, params: dict[str, str], words: list[str]
) -> None:
    response = ogc.get("/ogc/collections/band/items", params=params)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "BadRequestError"
    for word in words:
        assert word in body["message"]


def test_an_unknown_feature_is_404(ogc: TestClient) -> None:
    response = ogc.get("/ogc/collections/posts/items/P99")
    assert response.status_code == 404
    assert "P99" in response.json()["message"] and "posts" in response.json()["message"]


# -- single features and what they say -----------------------------------------------------------


def test_a_feature_has_both_names_and_links_back(ogc: TestClient) -> None:
    response = ogc.get("/ogc/collections/posts/items/P10")
    assert response.headers["content-type"] == GEOJSON
    post = response.json()
    assert post["id"] == "P10" and post["geometry"] == {
        "type": "Point",
        "coordinates": [46.546, 39.639],
    }
    assert post["properties"]["names"] == ["Lachin", "Berdzor"]
    assert post["properties"]["label"] == "Lachin / Berdzor"
    assert post["properties"]["kind"] == "checkpoint"
    assert rels(post)["collection"]["href"].endswith("/ogc/collections/posts")
    band = get_json(ogc, "/ogc/collections/band/items/2")
    assert band["geometry"]["type"] == "Polygon"
    assert (
        band["properties"]["valid_from"] == "2022-09-01" and band["properties"]["valid_to"] is None
    )


def test_crew_zones_carry_no_names(ogc: TestClient) -> None:
    response = ogc.get("/ogc/collections/crew-zones/items")
    for words in (CREW_NAME, ZONE_NAME, "Anna", "Farid"):
        assert words not in response.text
    zones = response.json()["features"]
    assert len(zones) == 6  # the demo's four and the two of tests/web/ogc_app.py
    for zone in zones:
        assert set(zone["properties"]) == {"zone_id", "crew_id", "active_from", "active_to"}
        assert zone["geometry"]["type"] == "Polygon"
    one = ogc.get(f"/ogc/collections/crew-zones/items/{zones[0]['id']}", params={"f": "html"})
    assert one.status_code == 200 and "Anna" not in one.text and "Farid" not in one.text


def test_daily_flow_counts_match_the_passages(ogc: TestClient, store: Any) -> None:
    feature = get_json(ogc, "/ogc/collections/daily-flow/items/2020-12-01_P01")
    p = passages.c
    with store.read() as conn:

        def count(*conditions: Any) -> int:
            query = select(func.count()).where(p.day == "2020-12-01", p.post == "P01", *conditions)
            return int(conn.execute(query).scalar_one())

        inbound = count(p.kind == "passed", p.direction == "inbound")
        trucks_out = count(
            p.kind == "passed", p.direction == "outbound", p.vehicle_class == "truck"
        )
        denied = count(p.kind == "denied")
    props = feature["properties"]
    assert props["day"] == "2020-12-01" and props["post_id"] == "P01"
    assert props["passed_inbound"] == inbound > 0
    assert props["passed_outbound_truck"] == trucks_out
    assert props["denied"] == denied
    assert feature["geometry"]["coordinates"] == [46.4062, 39.4662]


# -- HTML ----------------------------------------------------------------------------------------


def test_browsers_get_html_pages_scripts_get_json(ogc: TestClient) -> None:
    browser = {"accept": "text/html,application/xhtml+xml"}
    for url in (
        "/ogc/",
        "/ogc/conformance",
        "/ogc/collections",
        "/ogc/collections/posts",
        "/ogc/collections/posts/items",
        "/ogc/collections/posts/items/P10",
    ):
        page = ogc.get(url, headers=browser)
        assert page.headers["content-type"].startswith("text/html"), url
        assert "SIMULATED DATA" in page.text, url
        as_json = ogc.get(url, headers=browser, params={"f": "json"})
        assert as_json.headers["content-type"] in ("application/json", GEOJSON), url
    post = ogc.get("/ogc/collections/posts/items/P10", params={"f": "html"}).text
    assert "Lachin / Berdzor" in post


def test_the_html_items_page_pages_in_html(ogc: TestClient) -> None:
    page = ogc.get("/ogc/collections/posts/items", params={"f": "html", "limit": 5, "offset": 5})
    assert "Features 6 to 10 of 23" in page.text
    assert 'rel="prev"' in page.text and "P06" in page.text and "P11" not in page.text
    found = re.search(r'href="([^"]+)" rel="next"', page.text)
    assert found is not None
    following = ogc.get(html.unescape(found.group(1)))
    assert following.headers["content-type"].startswith("text/html")
    assert "Features 11 to 15 of 23" in following.text and "P11" in following.text


def test_html_pages_follow_the_readers_language(ogc: TestClient) -> None:
    page = ogc.get("/ogc/collections", params={"f": "html", "lang": "ru"})
    assert page.status_code == 200 and page.headers["content-language"] == "ru"
    assert ogc.get("/ogc/", params={"lang": "xx"}).status_code == 400
