"""The OsmAnd protocol, as Traccar Client and OsmAnd send it: one request to a
:class:`PositionReport` (or several, for a JSON batch), pure and without I/O.

The rules follow Traccar's own decoder (``OsmAndProtocolDecoder.java``), so an unmodified tracker
configured for a Traccar server works here as it is (docs/positions.md):

- ``Content-Type: application/json``: the JSON body of the newer Traccar Client (``device_id``
  and ``location`` {``timestamp`` ISO 8601, ``coords`` {latitude, longitude, speed m/s, heading,
  altitude, accuracy}, ``battery`` {level 0..1, is_charging}, ...}). A negative speed, heading,
  accuracy or battery level means "unknown", as the client sends it.
- otherwise the query string's parameters, or, when the URL has none, the body's (a form):
  ``id``/``deviceid``, ``lat``, ``lon`` (or ``location=lat,lon``), ``timestamp`` (Unix seconds
  below 2^31 - 1, else Unix milliseconds; ISO 8601 when it holds a ``T``; else
  ``yyyy-MM-dd HH:mm:ss``, read as UTC), ``speed`` in **knots** (Traccar Client converts the
  phone's m/s to knots before sending), ``bearing``/``heading``, ``altitude``, ``accuracy``,
  ``batt`` (percent). Other parameters (``hdop``, ``charge``, ``valid``, ...) are ignored: HQ
  keeps only what monitoring needs.

Where Traccar differs on purpose: a request without a position (``lat``/``lon`` or ``coords``)
is refused instead of being given the device's last position, and a request without a
``timestamp`` is stamped with the time HQ received it (as Traccar does).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

import orjson

from corridor.errors import ValidationError

#: Metres per second in one knot (1852 m an hour).
MPS_PER_KNOT = 1852 / 3600
#: Traccar's boundary between Unix seconds and milliseconds (Java's Integer.MAX_VALUE).
_SECONDS_BELOW = 2**31 - 1
#: Most query or form parameters one request may carry, and most locations in one JSON batch.
MAX_FIELDS = 100
MAX_LOCATIONS = 1000
MAX_DEVICE_ID = 64
_DIGITS = re.compile(r"[0-9]{1,16}")
_PLAIN_TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
_DEVICE_ID = re.compile(r"[\x21-\x7e]{1,64}")  # printable ASCII, no spaces


@dataclass(frozen=True, slots=True)
class PositionReport:
    """One position fix as a tracker reported it, in HQ's units.

    ``fixed_at_ms`` is Unix milliseconds, ``None`` when the tracker sent no time (the intake
    then uses the time it received the fix). Speed in m/s, bearing in degrees [0, 360), altitude
    and accuracy in metres, battery in percent; ``None`` where the tracker did not say.
    """

    device_id: str
    lat: float
    lon: float
    fixed_at_ms: int | None
    speed_mps: float | None = None
    bearing: float | None = None
    altitude_m: float | None = None
    accuracy_m: float | None = None
    battery_pct: float | None = None

    def __post_init__(self) -> None:
        check_device_id(self.device_id)
        if not -90.0 <= self.lat <= 90.0:
            raise ValidationError("lat", f"{self.lat} is outside -90..90")
        if not -180.0 <= self.lon <= 180.0:
            raise ValidationError("lon", f"{self.lon} is outside -180..180")
        if self.battery_pct is not None and self.battery_pct > 100:
            raise ValidationError("batt", f"{self.battery_pct} is more than 100 percent")


def check_device_id(device_id: str) -> str:
    """A tracker's id: 1 to 64 printable ASCII characters without spaces (Traccar Client's
    random number, an IMEI, a name)."""
    if not _DEVICE_ID.fullmatch(device_id):
        raise ValidationError(
            "id", "a device id is 1 to 64 printable ASCII characters without spaces"
        )
    return device_id


def decode_request(query: bytes, content_type: str | None, body: bytes) -> list[PositionReport]:
    """The reports in one request, by Traccar's rule: a JSON body when the content type says so,
    else the URL's parameters, else the body's (a form). Raises ValidationError naming what is
    wrong; the web layer answers 400 with its message."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media == "application/json":
        return decode_json(body)
    if query:
        return [decode_params(_params(query, "query"))]
    if media not in ("", "application/x-www-form-urlencoded", "text/plain"):
        raise ValidationError(
            "content-type",
            f"{media} is not accepted: send OsmAnd parameters in the URL or as a form, "
            "or Traccar Client's application/json",
        )
    if not body.strip():
        raise ValidationError("id", "missing: the request carries no parameters")
    return [decode_params(_params(body, "body"))]


def _params(raw: bytes, where: str) -> dict[str, str]:
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError as exc:
        raise ValidationError(where, "not URL-encoded parameters (bytes outside ASCII)") from exc
    if "%" not in text and "+" not in text:
        # Nothing to unquote, as in every OsmAnd query (numbers and an id): split it here, the
        # way parse_qsl would, at a quarter of its cost (it is the intake's costliest step).
        if text.count("&") + 1 > MAX_FIELDS:
            raise ValidationError(where, f"more than {MAX_FIELDS} parameters")
        fast = [pair.partition("=") for pair in text.split("&") if pair]
        return {name: value for name, _, value in fast}
    try:
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except ValueError as exc:
        raise ValidationError(where, f"more than {MAX_FIELDS} parameters") from exc
    # As in Traccar, a repeated parameter's last value wins.
    return dict(pairs)


def decode_params(params: Mapping[str, str]) -> PositionReport:
    """One report from OsmAnd query or form parameters (names as Traccar reads them)."""
    device = params.get("id", params.get("deviceid"))
    if device is None or not device.strip():
        raise ValidationError("id", "missing: every position must name its device")
    if "lat" in params or "lon" in params:
        lat, lon = _number(params, "lat"), _number(params, "lon")
    elif "location" in params:
        lat, lon = _location(params["location"])
    else:
        raise ValidationError("lat", "missing: a position needs lat and lon (or location)")
    if lat is None or lon is None:
        raise ValidationError("lat" if lat is None else "lon", "missing")
    knots = _number(params, "speed")
    bearing = _number(params, "bearing")
    if bearing is None:
        bearing = _number(params, "heading")
    return PositionReport(
        device_id=check_device_id(device.strip()),
        lat=lat,
        lon=lon,
        fixed_at_ms=_timestamp(params["timestamp"]) if "timestamp" in params else None,
        speed_mps=None if knots is None or knots < 0 else knots * MPS_PER_KNOT,
        bearing=_bearing(bearing),
        altitude_m=_number(params, "altitude"),
        accuracy_m=_known(_number(params, "accuracy")),
        battery_pct=_known(_number(params, "batt")),
    )


def _number(params: Mapping[str, str], name: str) -> float | None:
    text = params.get(name)
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        raise ValidationError(name, f"{text[:40]!r} is not a number") from None
    if not math.isfinite(value):
        raise ValidationError(name, f"{text[:40]!r} is not a finite number")
    return value


def _location(text: str) -> tuple[float, float]:
    parts = text.split(",")
    if len(parts) != 2:
        raise ValidationError("location", "expected lat,lon")
    lat = _number({"location": parts[0]}, "location")
    lon = _number({"location": parts[1]}, "location")
    assert lat is not None and lon is not None
    return lat, lon


def _timestamp(text: str) -> int:
    """Unix seconds or milliseconds (Traccar's 2^31 rule), ISO 8601, or ``yyyy-MM-dd HH:mm:ss``
    (UTC; Traccar reads it in the server's zone, which HQ does not have a use for)."""
    if _DIGITS.fullmatch(text):
        value = int(text)
        return value * 1000 if value < _SECONDS_BELOW else value
    if "T" in text or _PLAIN_TIME.fullmatch(text):
        return _iso_ms(text, "timestamp")
    raise ValidationError(
        "timestamp", f"{text[:40]!r} is not Unix seconds, Unix milliseconds or ISO 8601"
    )


def _iso_ms(text: str, name: str) -> int:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(name, f"{text[:40]!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return round(moment.timestamp() * 1000)


def _known(value: float | None) -> float | None:
    """Trackers send -1 for "unknown"."""
    return None if value is None or value < 0 else value


def _bearing(value: float | None) -> float | None:
    return None if value is None or value < 0 else value % 360.0


# -- Traccar Client's JSON ---------------------------------------------------------------------


def decode_json(body: bytes) -> list[PositionReport]:
    """The reports of a Traccar Client JSON body: ``location`` is one object, or a list of them
    (the client's batch sync), all from ``device_id``."""
    try:
        root = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ValidationError("body", f"not JSON: {exc}") from exc
    if not isinstance(root, dict):
        raise ValidationError("body", "expected a JSON object with device_id and location")
    device = root.get("device_id")
    if isinstance(device, int) and not isinstance(device, bool):
        device = str(device)
    if not isinstance(device, str) or not device.strip():
        raise ValidationError("device_id", "missing: every position must name its device")
    device = check_device_id(device.strip())
    locations = root.get("location")
    if isinstance(locations, dict):
        locations = [locations]
    if not isinstance(locations, list) or not locations:
        raise ValidationError("location", "missing: expected an object (or a list of them)")
    if len(locations) > MAX_LOCATIONS:
        raise ValidationError("location", f"more than {MAX_LOCATIONS} locations in one request")
    return [_json_location(device, item, f"location[{i}]") for i, item in enumerate(locations)]


def _json_location(device: str, location: object, where: str) -> PositionReport:
    if not isinstance(location, dict):
        raise ValidationError(where, "expected an object")
    stamp = location.get("timestamp")
    if not isinstance(stamp, str):
        raise ValidationError(f"{where}.timestamp", "missing: expected an ISO 8601 time")
    coords = location.get("coords")
    if not isinstance(coords, dict):
        raise ValidationError(f"{where}.coords", "missing: a position needs coordinates")
    lat = _json_number(coords, "latitude", f"{where}.coords")
    lon = _json_number(coords, "longitude", f"{where}.coords")
    if lat is None or lon is None:
        name = "latitude" if lat is None else "longitude"
        raise ValidationError(f"{where}.coords.{name}", "missing")
    battery = location.get("battery")
    level = (
        _json_number(battery, "level", f"{where}.battery") if isinstance(battery, dict) else None
    )
    try:
        return PositionReport(
            device_id=device,
            lat=lat,
            lon=lon,
            fixed_at_ms=_iso_ms(stamp, f"{where}.timestamp"),
            speed_mps=_known(_json_number(coords, "speed", f"{where}.coords")),
            bearing=_bearing(_json_number(coords, "heading", f"{where}.coords")),
            altitude_m=_json_number(coords, "altitude", f"{where}.coords"),
            accuracy_m=_known(_json_number(coords, "accuracy", f"{where}.coords")),
            battery_pct=None if level is None or level < 0 else level * 100,
        )
    except ValidationError as exc:
        raise ValidationError(
            f"{where}.{_JSON_NAMES.get(exc.field, exc.field)}", exc.reason
        ) from exc


_JSON_NAMES = {"lat": "coords.latitude", "lon": "coords.longitude", "batt": "battery.level"}


def _json_number(obj: Mapping[str, Any], name: str, where: str) -> float | None:
    value = obj.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValidationError(f"{where}.{name}", f"{str(value)[:40]!r} is not a number")
    return float(value)
