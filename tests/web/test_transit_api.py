"""``GET /api/v1/transit``: dwell and transit times as the public sees them, small groups
withheld, computed from the same passages the coordinator's page reads."""

from __future__ import annotations

from fastapi.testclient import TestClient

from corridor.reports.transit import MIN_VEHICLES, dwell_times, transit_days, transit_times
from corridor.store.engine import Store


def test_the_public_sees_times_only_for_groups_of_enough_vehicles(
    client: TestClient, store: Store
) -> None:
    answer = client.get("/api/v1/transit")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["simulated"] is True and body["min_vehicles"] == MIN_VEHICLES
    with store.read() as conn:
        first, last = transit_days(conn, {})
        full = {
            "dwell": dwell_times(conn, first, last),
            "transit": transit_times(conn, first, last),
        }
    assert (body["from"], body["to"]) == (first, last)
    for measure, figures in full.items():
        public = body[measure]
        assert len(public) == len(figures), measure
        for shown, exact in zip(public, figures, strict=True):
            assert shown["vehicles"] == exact.vehicles
            if exact.vehicles >= MIN_VEHICLES:
                assert shown["median_s"] == exact.median_s and shown["p90_s"] == exact.p90_s
            else:
                assert shown["median_s"] is None and shown["p90_s"] is None and shown["note"]


def test_bad_days_are_a_clear_error(client: TestClient) -> None:
    for query, message in [
        ("from=2020-13-01", "day"),
        ("from=yesterday", "from"),
        ("from=2020-12-05&to=2020-12-01", "comes before"),
        ("from=2019-01-01&to=2020-12-01", "at most"),
    ]:
        answer = client.get(f"/api/v1/transit?{query}")
        assert answer.status_code == 422, query
        assert message in answer.json()["message"], (query, answer.json())
