"""The JSON API over a real store: every figure checked against SQL over the store's rows."""

from __future__ import annotations

import importlib
import json
import pkgutil
from collections import defaultdict
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import text

from corridor.sim.scenario import Scenario
from corridor.store.engine import Store
from corridor.web import api

PUBLIC_FIELDS = {
    "event_id",
    "log_index",
    "post",
    "observed_at",
    "kind",
    "direction",
    "vehicle_class",
    "vehicle",
    "people",
    "cargo_kg",
    "reason",
    "convoy",
}


def sql(store: Store, query: str, **params: Any) -> list[Any]:
    with store.read() as conn:
        return list(conn.execute(text(query), params))


def get(client: TestClient, path: str) -> Any:
    response = client.get(path)
    assert response.status_code == 200, response.text
    return response.json()


# -- figures -----------------------------------------------------------------------------------


def test_summary_equals_sql_over_the_rows(client: TestClient, store: Store) -> None:
    body = get(client, "/api/v1/summary")
    assert body["simulated"] is True
    assert body["corridor"] == "lachin"
    assert body["corridor_name"] == "Lachin corridor / Berdzor corridor"
    assert body["events"] == sql(store, "SELECT count(*) FROM passages")[0][0] > 0
    for kind, direction, count in sql(
        store, "SELECT kind, direction, count(*) FROM passages GROUP BY kind, direction"
    ):
        assert body["passages"][kind][direction] == count
    people = sql(
        store,
        "SELECT sum(residents), sum(returnees), sum(crew), sum(other) FROM passages "
        "WHERE kind = 'passed'",
    )[0]
    assert [body["people"][c] for c in ("residents", "returnees", "crew", "other")] == list(people)
    assert body["returnees_cumulative"] == people[1]
    for category, kg in sql(
        store,
        "SELECT category, sum(kg) FROM cargo_lines WHERE kind = 'passed' GROUP BY category",
    ):
        assert body["cargo_tonnes"][category] == pytest.approx(kg / 1000)
    days = sql(store, "SELECT min(day), max(day) FROM passages")[0]
    assert (body["first_day"], body["last_day"]) == tuple(days)
    denials = sql(
        store,
        "SELECT count(*) FROM passages WHERE kind IN ('denied', 'turned_back')",
    )[0][0]
    assert sum(body["denials_by_reason"].values()) == denials


def test_daily_counts_equal_sql(client: TestClient, store: Store) -> None:
    body = get(client, "/api/v1/counts/daily")
    assert body["simulated"] is True
    expected: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for day, direction, vehicle_class, count in sql(
        store,
        "SELECT day, direction, vehicle_class, count(*) FROM passages WHERE kind = 'passed' "
        "GROUP BY day, direction, vehicle_class",
    ):
        expected[day][direction][vehicle_class] = count
    assert [d["day"] for d in body["days"]] == sorted(expected)
    assert len(body["days"]) == 2
    for entry in body["days"]:
        for direction, classes in entry["passed"].items():
            for vehicle_class, count in classes.items():
                assert count == expected[entry["day"]][direction].get(vehicle_class, 0)


def test_returnees_equal_sql(client: TestClient, store: Store) -> None:
    body = get(client, "/api/v1/returnees")
    rows = sql(
        store,
        "SELECT day, sum(returnees) FROM passages WHERE kind = 'passed' GROUP BY day ORDER BY day",
    )
    total = 0
    assert len(body["days"]) == len(rows) == 2
    for entry, (day, returnees) in zip(body["days"], rows, strict=True):
        total += returnees
        assert entry == {"day": day, "returnees": returnees, "cumulative": total}


def test_cargo_equals_sql(client: TestClient, store: Store) -> None:
    body = get(client, "/api/v1/cargo")
    by_category = dict(
        sql(
            store,
            "SELECT category, sum(kg) FROM cargo_lines WHERE kind = 'passed' GROUP BY category",
        )
    )
    assert by_category, "the demo carries cargo"
    for category, kg in body["by_category_kg"].items():
        assert kg == by_category.get(category, 0)
        assert body["by_category_tonnes"][category] == pytest.approx(kg / 1000)
    by_day = sql(
        store,
        "SELECT day, category, sum(kg) FROM cargo_lines WHERE kind = 'passed' "
        "GROUP BY day, category",
    )
    answered = {d["day"]: d["kg"] for d in body["by_day"]}
    for day, category, kg in by_day:
        assert answered[day][category] == kg


# -- the map -----------------------------------------------------------------------------------


def test_corridor_layers_default_to_the_latest_day(
    client: TestClient, store: Store, scenario: Scenario
) -> None:
    body = get(client, "/api/v1/corridor")
    assert body["type"] == "FeatureCollection"
    assert body["simulated"] is True
    assert body["at"] == sql(store, "SELECT max(day) FROM passages")[0][0]
    assert body["corridor"]["label"] == "Lachin corridor / Berdzor corridor"
    assert body["corridor"]["endpoints"] == ["Kornidzor", "Stepanakert / Khankendi"]
    layers = [f["properties"]["layer"] for f in body["features"]]
    assert layers.count("band") == 1 and layers.count("route") == 1
    assert layers.count("post") == len(scenario.corridor.posts)
    band = next(f for f in body["features"] if f["properties"]["layer"] == "band")
    assert band["geometry"]["type"] == "Polygon"
    labels = {
        f["properties"]["id"]: f["properties"]["label"]
        for f in body["features"]
        if f["properties"]["layer"] == "post"
    }
    assert labels["P10"] == "Lachin / Berdzor"
    assert labels["P19"] == "Shusha / Shushi"


def test_corridor_layers_follow_the_route_version_in_force(client: TestClient) -> None:
    def version(at: str) -> int:
        body = get(client, f"/api/v1/corridor?at={at}")
        assert body["at"] == at
        route = next(f for f in body["features"] if f["properties"]["layer"] == "route")
        return int(route["properties"]["route_version"])

    assert version("2020-12-01") == 1
    assert version("2023-01-01") == 2


def test_corridor_rejects_a_malformed_day(client: TestClient) -> None:
    response = client.get("/api/v1/corridor?at=yesterday")
    assert response.status_code == 422
    assert response.json()["error"] == "ValidationError"
    assert "at" in response.json()["message"]


# -- passages ----------------------------------------------------------------------------------


def test_latest_passages_are_the_newest_public_rows(client: TestClient, store: Store) -> None:
    body = get(client, "/api/v1/passages?limit=10")
    newest = sql(
        store,
        "SELECT event_id, log_index, post, observed_at, kind, direction, vehicle_class, vehicle, "
        "residents, returnees, crew, other, cargo_kg, reason, convoy "
        "FROM passages ORDER BY log_index DESC LIMIT 10",
    )
    assert len(body["passages"]) == 10
    for item, row in zip(body["passages"], newest, strict=True):
        assert set(item) == PUBLIC_FIELDS
        assert item["event_id"] == row.event_id
        assert item["log_index"] == row.log_index
        assert (item["post"], item["observed_at"], item["kind"]) == (
            row.post,
            row.observed_at,
            row.kind,
        )
        assert item["vehicle"] == row.vehicle
        assert item["people"] == {
            "residents": row.residents,
            "returnees": row.returnees,
            "crew": row.crew,
            "other": row.other,
        }
        assert (item["cargo_kg"], item["reason"], item["convoy"]) == (
            row.cargo_kg,
            row.reason,
            row.convoy,
        )
    assert body["next_before"] == newest[-1].log_index


def test_passages_page_through_the_whole_table(client: TestClient, store: Store) -> None:
    seen: list[int] = []
    before: int | None = None
    while True:
        query = "/api/v1/passages?limit=500" + ("" if before is None else f"&before={before}")
        page = get(client, query)
        seen.extend(p["log_index"] for p in page["passages"])
        before = page["next_before"]
        if before is None:
            break
    assert seen == sorted(seen, reverse=True)
    assert len(seen) == len(set(seen)) == sql(store, "SELECT count(*) FROM passages")[0][0]


@pytest.mark.parametrize("query", ["limit=0", "limit=501", "before=-1", "limit=ten"])
def test_passages_reject_bad_parameters(client: TestClient, query: str) -> None:
    response = client.get(f"/api/v1/passages?{query}")
    assert response.status_code == 422
    assert response.json()["error"] == "ValidationError"


def test_one_passage_is_its_entry_as_logged(client: TestClient, store: Store) -> None:
    event_id, log_index, entry = sql(
        store,
        "SELECT p.event_id, p.log_index, e.entry FROM passages p "
        "JOIN log_entries e ON e.idx = p.log_index ORDER BY p.log_index LIMIT 1 OFFSET 7",
    )[0]
    body = get(client, f"/api/v1/passages/{event_id}")
    assert body["event_id"] == event_id
    assert body["log_index"] == log_index
    assert body["entry"] == json.loads(bytes(entry))
    assert body["entry"]["type"] == "passage"
    assert body["entry"]["body"]["event_id"] == event_id
    # Any spelling of the UUID finds the same entry.
    assert get(client, f"/api/v1/passages/{event_id.upper()}")["log_index"] == log_index


def test_unknown_passage_is_404(client: TestClient) -> None:
    unknown = "00000000-0000-4000-8000-000000000000"
    response = client.get(f"/api/v1/passages/{unknown}")
    assert response.status_code == 404
    assert response.json() == {
        "error": "NotFoundError",
        "message": f"no passage with event id {unknown} in this log",
    }


def test_malformed_passage_id_is_422(client: TestClient) -> None:
    response = client.get("/api/v1/passages/not-a-uuid")
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "ValidationError"
    assert body["message"].startswith("event_id: 'not-a-uuid' is not a UUID")


# -- the document and the boundary ---------------------------------------------------------------


def _api_routes() -> set[str]:
    """Every route of every router module in corridor.web.api, with the API prefix."""
    paths: set[str] = set()
    for module_info in pkgutil.iter_modules(api.__path__):
        module = importlib.import_module(f"{api.__name__}.{module_info.name}")
        router = getattr(module, "router", None)
        if router is not None:
            paths.update(
                api.PREFIX + route.path for route in router.routes if isinstance(route, APIRoute)
            )
    return paths


def test_openapi_lists_every_api_route(client: TestClient) -> None:
    document = get(client, "/api/v1/openapi.json")
    api_routes = _api_routes()
    assert api_routes >= {
        "/api/v1/corridor",
        "/api/v1/summary",
        "/api/v1/counts/daily",
        "/api/v1/returnees",
        "/api/v1/cargo",
        "/api/v1/passages",
        "/api/v1/passages/{event_id}",
    }
    assert api_routes <= set(document["paths"])
    assert "/" not in document["paths"]
    detail = document["paths"]["/api/v1/passages/{event_id}"]["get"]["responses"]
    assert {"200", "404", "422"} <= set(detail)


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/openapi.json"])
def test_cdn_backed_doc_pages_are_off(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 404


def test_every_response_carries_the_security_headers(client: TestClient) -> None:
    for path in ("/", "/api/v1/summary", "/static/dashboard.js", "/api/v1/passages/x"):
        headers = client.get(path).headers
        policy = headers["content-security-policy"]
        assert "default-src 'self'" in policy
        assert "img-src 'self' data:" in policy
        assert headers["x-content-type-options"] == "nosniff"


def test_vendored_assets_are_served(client: TestClient) -> None:
    for path in (
        "/static/vendor/leaflet/leaflet.js",
        "/static/vendor/leaflet/leaflet.css",
        "/static/vendor/chartjs/chart.umd.js",
        "/static/dashboard.js",
        "/static/dashboard.css",
    ):
        assert client.get(path).status_code == 200, path
