"""The intake over a real socket: every accepted format is kept and answered 200 after the
commit, each kept position reaches ``on_positions``, unknown devices are kept and alerted once,
revoked devices are refused, and bad input is a 400 that stores nothing."""

from __future__ import annotations

from datetime import timedelta

import httpx
import orjson
import pytest

from corridor.hq.devices import revoke_device
from corridor.hq.osmand import MPS_PER_KNOT
from corridor.hq.position_retention import purge_positions
from corridor.hq.positions import PositionIntake
from corridor.model.pseudonym import vehicle_pseudonym
from corridor.store.engine import Store
from tests.hq import positions_support as support
from tests.hq.positions_support import (
    CREW,
    CREW_DEVICE,
    NOW,
    NOW_S,
    PLATE,
    PSEUDONYM_KEY,
    VEHICLE_DEVICE,
    Clock,
    Received,
    alert_rows,
    serve_intake,
    stored_rows,
)

# The shared fixtures, bound here for pytest to find.
store, clock, received, intake, server = (
    support.store,
    support.clock,
    support.received,
    support.intake,
    support.server,
)

GOOD = f"id={VEHICLE_DEVICE}&lat=39.6&lon=46.55&timestamp={NOW_S}"


def test_a_get_is_stored_for_its_vehicle_and_handed_on(
    server: str, store: Store, received: Received
) -> None:
    answer = httpx.get(f"{server}/?{GOOD}&speed=20&bearing=90&altitude=1500&accuracy=8&batt=64")
    assert answer.status_code == 200, answer.text
    [row] = stored_rows(store)
    assert row["subject_kind"] == "vehicle"
    assert row["subject_id"] == vehicle_pseudonym(PLATE, PSEUDONYM_KEY)  # never the plate
    assert (row["lat"], row["lon"], row["fixed_at_ms"]) == (39.6, 46.55, NOW_S * 1000)
    assert row["speed_mps"] == pytest.approx(20 * MPS_PER_KNOT)
    assert (row["bearing"], row["altitude_m"], row["accuracy_m"], row["battery_pct"]) == (
        90,
        1500,
        8,
        64,
    )
    assert row["received_at_ms"] == NOW_S * 1000
    # The seam got exactly what was committed, by the store's own id.
    [[handed]] = received.calls
    assert handed.id == row["id"] and handed.subject_id == row["subject_id"]
    fix = handed.fix()
    assert (fix.subject, fix.lat, fix.lon, fix.at) == (row["subject_id"], 39.6, 46.55, NOW)


def test_every_accepted_format(server: str, store: Store, received: Received) -> None:
    iso = NOW.strftime("%Y-%m-%dT%H:%M:%SZ")
    sent = [
        httpx.get(f"{server}/?{GOOD}"),  # OsmAnd: GET, Unix seconds
        httpx.post(f"{server}/?id={CREW_DEVICE}&lat=39.61&lon=46.56&timestamp={NOW_S * 1000}"),
        httpx.post(  # a form body, ISO time
            server,
            content=f"id={VEHICLE_DEVICE}&lat=39.62&lon=46.57&timestamp={iso}",
            headers={"content-type": "application/x-www-form-urlencoded"},
        ),
        httpx.post(  # Traccar Client's JSON
            f"{server}/any/path",
            content=orjson.dumps(
                {
                    "device_id": CREW_DEVICE,
                    "location": {
                        "timestamp": iso,
                        "coords": {"latitude": 39.63, "longitude": 46.58, "speed": 3.5},
                        "battery": {"level": 0.5, "is_charging": True},
                    },
                }
            ),
            headers={"content-type": "application/json"},
        ),
    ]
    assert [a.status_code for a in sent] == [200, 200, 200, 200], [a.text for a in sent]
    rows = stored_rows(store)
    assert [r["lat"] for r in rows] == [39.6, 39.61, 39.62, 39.63]
    assert [r["subject_id"] for r in rows][1::2] == [CREW, CREW]
    assert {r["fixed_at_ms"] for r in rows} == {NOW_S * 1000}
    assert (rows[3]["speed_mps"], rows[3]["battery_pct"]) == (3.5, 50)
    assert [p.id for call in received.calls for p in call] == [r["id"] for r in rows]


def test_a_position_without_a_time_gets_the_receiving_time(
    server: str, store: Store, clock: Clock
) -> None:
    clock.now = NOW + timedelta(minutes=3)
    assert httpx.get(f"{server}/?id={VEHICLE_DEVICE}&lat=39.6&lon=46.55").status_code == 200
    [row] = stored_rows(store)
    assert row["fixed_at_ms"] == row["received_at_ms"] == (NOW_S + 180) * 1000


def test_an_unknown_device_is_kept_and_alerted_once(server: str, store: Store) -> None:
    for lat in (39.6, 39.7):
        answer = httpx.get(f"{server}/?id=STRANGER&lat={lat}&lon=46.55&timestamp={NOW_S}")
        assert answer.status_code == 200
    rows = stored_rows(store)
    assert [(r["device_id"], r["subject_kind"], r["subject_id"]) for r in rows] == [
        ("STRANGER", None, None),
        ("STRANGER", None, None),
    ]
    [alert] = alert_rows(store)
    assert (alert["kind"], alert["alert_key"], alert["subject"]) == (
        "unknown_device",
        "unknown_device:STRANGER",
        "STRANGER",
    )
    assert orjson.loads(str(alert["evidence"])) == {"positions": [rows[0]["id"]]}
    assert "39.6" not in str(alert["message"])  # an alert names the device, not where it is


def test_a_revoked_device_is_refused_and_nothing_is_stored(
    server: str, store: Store, received: Received
) -> None:
    revoke_device(store, VEHICLE_DEVICE, NOW)
    answer = httpx.get(f"{server}/?{GOOD}")
    assert answer.status_code == 403
    assert f"device {VEHICLE_DEVICE} is revoked" in answer.text
    assert stored_rows(store) == [] and received.calls == []
    assert httpx.get(f"{server}/?id={CREW_DEVICE}&lat=1&lon=2").status_code == 200


@pytest.mark.parametrize(
    ("request_args", "reason"),
    [
        ({"params": {"lat": "39.6", "lon": "46.5"}}, "id: missing"),
        ({"params": {"id": VEHICLE_DEVICE, "lat": "95", "lon": "46.5"}}, "lat: 95.0 is outside"),
        ({"params": {"id": VEHICLE_DEVICE, "lat": "1", "lon": "200"}}, "lon: 200.0 is outside"),
        (
            {"params": {"id": VEHICLE_DEVICE, "lat": "1", "lon": "2", "timestamp": NOW_S + 90000}},
            "timestamp: more than 1 day ahead of HQ's clock",
        ),
        (
            {
                "params": {
                    "id": VEHICLE_DEVICE,
                    "lat": "1",
                    "lon": "2",
                    "timestamp": NOW_S - 31 * 86400,
                }
            },
            "timestamp: older than the retention of positions (30 days)",
        ),
        ({"content": b"\x89PNG\r\n\x1a\n\x00"}, "body: not URL-encoded parameters"),
        (
            {"content": b"{not json", "headers": {"content-type": "application/json"}},
            "body: not JSON",
        ),
        (
            {"content": b"<pos/>", "headers": {"content-type": "application/xml"}},
            "content-type: application/xml is not accepted",
        ),
        ({"content": b"id=1&lat=1&lon=2&" + b"x" * 70_000}, "body: larger than 65536 bytes"),
    ],
)
def test_bad_input_is_a_400_with_the_reason_and_nothing_is_stored(
    server: str, store: Store, received: Received, request_args: dict[str, object], reason: str
) -> None:
    with httpx.Client(base_url=server) as client:  # one keep-alive connection for both
        answer = client.post("/", **request_args)  # type: ignore[arg-type]
        assert answer.status_code == 400
        assert reason in answer.text
        assert stored_rows(store) == [] and received.calls == []
        assert client.get(f"/?{GOOD}").status_code == 200  # and the intake keeps serving
    assert len(stored_rows(store)) == 1


def test_a_streamed_body_past_the_cap_is_refused(intake: PositionIntake, store: Store) -> None:
    def chunks() -> object:
        for _ in range(10):
            yield b"x" * 1024

    with serve_intake(intake, max_body=4096) as url:
        answer = httpx.post(url, content=chunks())  # chunked: no Content-Length to go by
        assert answer.status_code == 400 and "larger than 4096 bytes" in answer.text
        assert httpx.get(f"{url}/?{GOOD}").status_code == 200
    assert len(stored_rows(store)) == 1


def test_concurrent_requests_are_all_committed_before_their_answer(
    server: str, store: Store, received: Received
) -> None:
    import concurrent.futures

    def send(i: int) -> int:
        with httpx.Client(base_url=server) as client:
            codes = [
                client.get(f"/?id={VEHICLE_DEVICE}&lat={i}.{k:03d}&lon=46&timestamp={NOW_S}")
                for k in range(25)
            ]
            return sum(c.status_code == 200 for c in codes)

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        assert sum(pool.map(send, range(8))) == 200
    rows = stored_rows(store)
    assert len(rows) == 200 == sum(len(call) for call in received.calls)
    assert len({r["lat"] for r in rows}) == 200


def test_purge_deletes_what_is_older_than_the_retention(
    intake: PositionIntake, store: Store, clock: Clock
) -> None:
    intake.keep(_reports(NOW_S - 10 * 86400, NOW_S - 86400, NOW_S))
    clock.now = NOW
    assert purge_positions(store, timedelta(days=5), clock) == 1
    assert [r["fixed_at_ms"] for r in stored_rows(store)] == [
        (NOW_S - 86400) * 1000,
        NOW_S * 1000,
    ]
    assert purge_positions(store, timedelta(hours=1), clock) == 1
    assert purge_positions(store, timedelta(hours=1), clock) == 0


def _reports(*seconds: int) -> list:  # type: ignore[type-arg]
    from corridor.hq.osmand import PositionReport

    return [PositionReport(VEHICLE_DEVICE, 39.6, 46.55, s * 1000) for s in seconds]


def test_other_methods_are_refused(server: str, store: Store) -> None:
    answer = httpx.put(f"{server}/?{GOOD}")
    assert answer.status_code == 405 and answer.headers["allow"] == "GET, POST"
    assert stored_rows(store) == []
