"""The passage entry on the wire: one strict schema (msgspec), used for JSON bytes and for parsed
objects alike.

msgspec decodes and validates in one pass in C: every field required, none unknown, integers
not booleans nor floats and within +-2**53 (so RFC 8785 prints them as Python does), enums by
value, and the text forms of ids, times and hashes checked by pattern. Its errors are translated
to :class:`~corridor.errors.ValidationError` naming the field as the rest of corridor does
(``people.returnees``, ``cargo[0].kg``). Structs encode with sorted keys, which is the RFC 8785
order for our ASCII field names, so re-encoding a decoded entry proves the bytes canonical; it
also proves ids in lower case and times in the ``Z`` form, which msgspec writes and only those.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated

import msgspec

from corridor.errors import MissingWeightError, ValidationError
from corridor.model.vocabulary import (
    CargoCategory,
    Direction,
    PassageKind,
    ReasonCode,
    VehicleClass,
)

SafeInt = Annotated[int, msgspec.Meta(ge=-(2**53 - 1), le=2**53 - 1)]
Sha256Hex = Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{64}$")]
Text = Annotated[str, msgspec.Meta(min_length=1)]


class WirePeople(msgspec.Struct, forbid_unknown_fields=True):
    residents: SafeInt
    returnees: SafeInt
    crew: SafeInt
    other: SafeInt


class WireCargo(msgspec.Struct, forbid_unknown_fields=True):
    category: CargoCategory
    kg: SafeInt


class WireEntry(msgspec.Struct, forbid_unknown_fields=True):
    v: SafeInt
    event_id: uuid.UUID
    corridor: Text
    post: Text
    observed_at: datetime
    kind: PassageKind
    direction: Direction
    vehicle_class: VehicleClass
    vehicle: Text
    people: WirePeople
    cargo: list[WireCargo]
    reason: ReasonCode | None
    convoy: str | None
    private: Sha256Hex


class WireEnvelope(msgspec.Struct, forbid_unknown_fields=True):
    body: WireEntry
    key: str
    sig: str
    type: str


_decoder = msgspec.json.Decoder(WireEnvelope)
_encoder = msgspec.json.Encoder(order="sorted")
_LOCATION = re.compile(r"^(?P<what>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)
_MISSING = re.compile(r"^Object missing required field `(?P<name>[^`]+)`$")
_UNKNOWN = re.compile(r"^Object contains unknown field `(?P<name>[^`]+)`$")


def decode_envelope(raw: bytes) -> WireEnvelope:
    """Decode and validate a passage's log entry bytes."""
    try:
        return _decoder.decode(raw)
    except msgspec.ValidationError as exc:
        raise _translate(str(exc), "$.body", _body_of(raw)) from exc
    except msgspec.DecodeError as exc:
        raise ValidationError("entry", f"not JSON: {exc}") from exc


def encode_canonical(value: WireEnvelope | WireEntry) -> bytes:
    """RFC 8785 bytes of a decoded envelope or entry (keys sorted, no whitespace)."""
    return _encoder.encode(value)


def _body_of(raw: bytes) -> object:
    """The entry part of ``raw`` as plain JSON, for an error message; None if unreadable."""
    try:
        envelope = msgspec.json.decode(raw)
    except msgspec.DecodeError:
        return None
    return envelope.get("body") if isinstance(envelope, dict) else None


def convert_entry(data: object) -> WireEntry:
    """Validate a parsed JSON object (a dict) as a public entry."""
    try:
        return msgspec.convert(data, WireEntry, strict=True)
    except msgspec.ValidationError as exc:
        raise _translate(str(exc), "$", data) from exc


def _translate(message: str, entry_root: str, entry: object) -> ValidationError:
    """A msgspec error as corridor's: ``Expected `int`, got `str` - at `$.body.people.crew```
    becomes ``people.crew: expected `int`, got `str```."""
    match = _LOCATION.match(message)
    assert match is not None  # the pattern matches any text
    what, path = match["what"], match["path"] or ""
    if path.startswith(entry_root):
        field = path[len(entry_root) :].lstrip(".") or "entry"
    else:
        field = path.lstrip(".") or "entry"
    missing = _MISSING.match(what)
    if missing is not None:
        name = missing["name"]
        if name == "kg" and field.startswith("cargo["):
            category = _cargo_category(entry, field)
            return MissingWeightError(f"{field}.kg", f"{category} cargo has no weight".lstrip())
        return ValidationError(f"{field}.{name}", "required field is missing")
    unknown = _UNKNOWN.match(what)
    if unknown is not None:
        return ValidationError(f"{field}.{unknown['name']}", "unknown field")
    return ValidationError(field, what[:1].lower() + what[1:])


def _cargo_category(entry: object, field: str) -> str:
    """The category of the cargo line ``cargo[i]`` named in an error, for its message."""
    try:
        index = int(field[len("cargo[") : field.index("]")])
        category = entry["cargo"][index]["category"]  # type: ignore[index]
    except (TypeError, KeyError, IndexError, ValueError):
        return ""
    return category if isinstance(category, str) else ""
