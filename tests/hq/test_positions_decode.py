"""The OsmAnd protocol decoder: every form Traccar Client and OsmAnd send, Traccar's rules for
names, times and units, and a clear refusal of everything else."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import orjson
import pytest

from corridor.errors import ValidationError
from corridor.hq.osmand import MPS_PER_KNOT, PositionReport, decode_request

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
# Traccar Client's JSON, as in Traccar's own decoder test (coordinates moved to the corridor).
TRACCAR_JSON = {
    "location": {
        "timestamp": "2025-06-15T13:45:12.862Z",
        "coords": {
            "latitude": 39.6,
            "longitude": 46.55,
            "accuracy": 5,
            "speed": 18.67,
            "heading": 63,
            "altitude": 1450.5,
        },
        "is_moving": True,
        "odometer": 0,
        "event": "motionchange",
        "battery": {"level": 0.79, "is_charging": False},
        "activity": {"type": "in_vehicle"},
        "extras": {},
    },
    "device_id": "48241179",
}


def one(query: str = "", content_type: str | None = None, body: bytes = b"") -> PositionReport:
    reports = decode_request(query.encode(), content_type, body)
    assert len(reports) == 1
    return reports[0]


def test_a_traccar_client_query_in_the_url() -> None:
    report = one(
        "id=902064&timestamp=1442068686&lat=39.6&lon=46.55&speed=10.0&bearing=271.5"
        "&altitude=1450.0&accuracy=12.0&batt=87.0&charge=true&hdop=6.0"
    )
    assert report == PositionReport(
        device_id="902064",
        lat=39.6,
        lon=46.55,
        fixed_at_ms=1442068686000,
        speed_mps=pytest.approx(10.0 * MPS_PER_KNOT),  # type: ignore[arg-type]
        bearing=271.5,
        altitude_m=1450.0,
        accuracy_m=12.0,
        battery_pct=87.0,
    )
    assert math.isclose(report.speed_mps or 0, 5.144, rel_tol=1e-3)  # knots, not m/s


def test_the_same_parameters_as_a_form_body() -> None:
    query = one("id=7&lat=39.6&lon=46.55&timestamp=1442068686")
    assert one("", FORM, b"id=7&lat=39.6&lon=46.55&timestamp=1442068686") == query
    assert one("", None, b"id=7&lat=39.6&lon=46.55&timestamp=1442068686") == query


@pytest.mark.parametrize(
    ("stamp", "expected_ms"),
    [
        ("1442068686", 1442068686000),  # Unix seconds
        ("1442068686579", 1442068686579),  # Unix milliseconds (at or above 2^31 - 1)
        ("2016-01-27T18%3A55%3A47Z", 1453920947000),  # ISO 8601, as OsmAnd sends it
        ("2016-01-27T20%3A55%3A47.250%2B02%3A00", 1453920947250),  # with a zone offset
        ("2014-06-04+09%3A10%3A11", 1401873011000),  # Traccar's plain form, read as UTC
    ],
)
def test_timestamps_in_every_form(stamp: str, expected_ms: int) -> None:
    assert one(f"id=1&lat=1&lon=2&timestamp={stamp}").fixed_at_ms == expected_ms


def test_aliases_and_fallbacks_traccar_accepts() -> None:
    report = one("deviceid=123456&location=60.0,30.0&heading=90")
    assert (report.device_id, report.lat, report.lon, report.bearing) == ("123456", 60, 30, 90)
    assert report.fixed_at_ms is None  # no timestamp: the intake stamps the receiving time
    unknown = one("id=1&lat=1&lon=2&speed=-1&bearing=-1&accuracy=-1&batt=-1")
    assert (unknown.speed_mps, unknown.bearing, unknown.accuracy_m, unknown.battery_pct) == (
        None,
        None,
        None,
        None,
    )
    assert one("id=1&lat=1&lon=2&bearing=360").bearing == 0


def test_traccar_client_json() -> None:
    report = one("", "application/json; charset=utf-8", orjson.dumps(TRACCAR_JSON))
    moment = datetime(2025, 6, 15, 13, 45, 12, 862000, tzinfo=UTC)
    assert report == PositionReport(
        device_id="48241179",
        lat=39.6,
        lon=46.55,
        fixed_at_ms=round(moment.timestamp() * 1000),
        speed_mps=18.67,  # the JSON's speed is m/s already
        bearing=63,
        altitude_m=1450.5,
        accuracy_m=5,
        battery_pct=79.0,
    )


def test_a_json_batch_and_unknown_values() -> None:
    first = TRACCAR_JSON["location"]
    second = {
        "timestamp": "2025-06-15T13:46:12Z",
        "coords": {"latitude": 39.61, "longitude": 46.56, "speed": -1, "heading": -1},
        "battery": {"level": -1, "is_charging": False},
    }
    body = orjson.dumps({"device_id": 658765, "location": [first, second]})
    reports = decode_request(b"", JSON, body)
    assert [r.device_id for r in reports] == ["658765", "658765"]
    assert (reports[1].speed_mps, reports[1].bearing, reports[1].battery_pct) == (None, None, None)


@pytest.mark.parametrize(
    ("query", "content_type", "body", "reason"),
    [
        ("lat=1&lon=2", None, b"", "id: missing"),
        ("id=&lat=1&lon=2", None, b"", "id: missing"),
        ("id=a%20b&lat=1&lon=2", None, b"", "id: a device id is 1 to 64"),
        ("id=" + "x" * 65 + "&lat=1&lon=2", None, b"", "id: a device id is 1 to 64"),
        ("id=1&lon=2", None, b"", "lat: missing"),
        ("id=1", None, b"", "lat: missing"),
        ("id=1&lat=91&lon=2", None, b"", "lat: 91.0 is outside -90..90"),
        ("id=1&lat=1&lon=-180.5", None, b"", r"lon: -180.5 is outside -180..180"),
        ("id=1&lat=nan&lon=2", None, b"", "lat: 'nan' is not a finite number"),
        ("id=1&lat=north&lon=2", None, b"", "lat: 'north' is not a number"),
        ("id=1&lat=1&lon=2&speed=", None, b"", "speed: '' is not a number"),
        ("id=1&location=1", None, b"", "location: expected lat,lon"),
        ("id=1&lat=1&lon=2&batt=150", None, b"", "batt: 150.0 is more than 100"),
        ("id=1&lat=1&lon=2&timestamp=yesterday", None, b"", "timestamp: 'yesterday' is not"),
        ("id=1&lat=1&lon=2&timestamp=2016-13-27T18:55:47Z", None, b"", "not an ISO 8601 time"),
        ("", None, b"", "id: missing: the request carries no parameters"),
        ("", "text/xml", b"<id>1</id>", "content-type: text/xml is not accepted"),
        ("", "multipart/form-data; boundary=x", b"--x", "multipart/form-data is not accepted"),
        ("", FORM, "id=1&lat=1&lon=2&name=é".encode(), "body: not URL-encoded parameters"),
        ("", FORM, b"&".join(b"k%d=1" % i for i in range(200)), "more than 100 parameters"),
        ("", JSON, b"\x00\xff garbage", "body: not JSON"),
        ("", JSON, b"[1, 2]", "body: expected a JSON object"),
        ("", JSON, b'{"location": {}}', "device_id: missing"),
        ("", JSON, b'{"device_id": "1"}', "location: missing"),
        ("", JSON, b'{"device_id": "1", "location": {"coords": {}}}', "timestamp: missing"),
        (
            "",
            JSON,
            b'{"device_id": "1", "location": {"timestamp": "2025-06-15T13:45:12Z"}}',
            r"location\[0\].coords: missing",
        ),
        (
            "",
            JSON,
            b'{"device_id": "1", "location": {"timestamp": "2025-06-15T13:45:12Z", '
            b'"coords": {"latitude": "39.6", "longitude": 46.5}}}',
            r"location\[0\].coords.latitude: '39.6' is not a number",
        ),
        (
            "",
            JSON,
            b'{"device_id": "1", "location": {"timestamp": "2025-06-15T13:45:12Z", '
            b'"coords": {"latitude": 95, "longitude": 46.5}}}',
            r"location\[0\].coords.latitude: 95.0 is outside -90..90",
        ),
    ],
)
def test_bad_input_is_refused_with_the_reason(
    query: str, content_type: str | None, body: bytes, reason: str
) -> None:
    with pytest.raises(ValidationError, match=reason):
        decode_request(query.encode(), content_type, body)
