"""Passage events: the private record, the public entry, and the signed entry the log holds.

A passage is two things (see docs/data-model.md):

* a :class:`PrivateRecord` (plate, driver, documents, manifest) that stays at HQ and the post, and
* a :class:`PublicEntry`, the part that may be published, which commits to the private record by
  ``private = SHA-256(salt || canonical(private record))``.

A :class:`SignedEntry` wraps a public entry with the post key's Ed25519 signature; its canonical
JSON is exactly one entry of the transparency log. Parsing from JSON (``from_json``) is strict and
raises a :class:`~corridor.errors.ValidationError` naming the field; rule checks that need the
corridor or a clock live in :mod:`corridor.model.validation`.
"""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

from corridor.errors import MissingWeightError, ValidationError
from corridor.model.canonical import MAX_SAFE_INTEGER, canonical_json, canonical_json_fast
from corridor.model.vocabulary import (
    CargoCategory,
    Direction,
    PassageKind,
    PeopleCategory,
    ReasonCode,
    VehicleClass,
)

FORMAT_VERSION = 1
_E = TypeVar("_E", bound=StrEnum)
SALT_BYTES = 16


def format_time(moment: datetime) -> str:
    """Render a time as RFC 3339 UTC with whole seconds, the only form the log carries."""
    if moment.tzinfo is None:
        raise ValidationError("observed_at", "time must carry a time zone")
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return moment.isoformat(timespec="seconds")[:19] + "Z"


def parse_time(text: object, field_name: str = "observed_at") -> datetime:
    """Parse the log's time form (``2020-12-01T08:15:00Z``) and nothing else."""
    if not isinstance(text, str):
        raise ValidationError(field_name, f"expected a time string, got {type(text).__name__}")
    problem = f"expected a UTC time like 2020-12-01T08:15:00Z, got {text!r}"
    if len(text) != 20 or text[10] != "T" or text[19] != "Z":
        raise ValidationError(field_name, problem)
    try:
        moment = datetime.fromisoformat(text[:19])
    except ValueError as exc:
        raise ValidationError(field_name, problem) from exc
    return moment.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class CargoLine:
    """One line of cargo: a category and its weight in whole kilograms."""

    category: CargoCategory
    kg: int

    def to_json(self) -> dict[str, Any]:
        return {"category": self.category, "kg": self.kg}


@dataclass(frozen=True, slots=True)
class People:
    """People on board by category."""

    residents: int = 0
    returnees: int = 0
    crew: int = 0
    other: int = 0

    @property
    def total(self) -> int:
        return self.residents + self.returnees + self.crew + self.other

    def to_json(self) -> dict[str, int]:
        return {
            "residents": self.residents,
            "returnees": self.returnees,
            "crew": self.crew,
            "other": self.other,
        }


@dataclass(frozen=True, slots=True)
class PrivateRecord:
    """What identifies people and vehicles. Never published, never logged.

    ``manifest`` lists passengers as free-form mappings (name, document number, ...).
    """

    plate: str
    driver: str = ""
    documents: tuple[str, ...] = ()
    manifest: tuple[Mapping[str, str], ...] = ()
    notes: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "plate": self.plate,
            "driver": self.driver,
            "documents": list(self.documents),
            "manifest": [dict(person) for person in self.manifest],
            "notes": self.notes,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PrivateRecord:
        return cls(
            plate=str(data.get("plate", "")),
            driver=str(data.get("driver", "")),
            documents=tuple(str(d) for d in data.get("documents", ())),
            manifest=tuple(
                {str(k): str(v) for k, v in p.items()} for p in data.get("manifest", ())
            ),
            notes=str(data.get("notes", "")),
        )

    def canonical(self) -> bytes:
        """RFC 8785 bytes of the record.

        Values may be any text; keys are ours except in the manifest, so the fast encoder is
        exact unless a manifest key is not ASCII (see :mod:`corridor.model.canonical`)."""
        if all(key.isascii() for person in self.manifest for key in person):
            return canonical_json_fast(self.to_json())
        return canonical_json(self.to_json())

    def commitment(self, salt: bytes) -> str:
        """Hex SHA-256 of ``salt || canonical(record)``: reveals nothing without the salt."""
        return hashlib.sha256(salt + self.canonical()).hexdigest()


def new_salt() -> bytes:
    """A fresh random salt for a private record's commitment."""
    return os.urandom(SALT_BYTES)


@dataclass(frozen=True, slots=True)
class PublicEntry:
    """The publishable part of a passage. Its canonical JSON is what the post signs."""

    event_id: uuid.UUID
    corridor: str
    post: str
    observed_at: datetime
    kind: PassageKind
    direction: Direction
    vehicle_class: VehicleClass
    vehicle: str
    people: People
    cargo: tuple[CargoLine, ...]
    private: str
    reason: ReasonCode | None = None
    convoy: str | None = None
    v: int = field(default=FORMAT_VERSION)

    def to_json(self) -> dict[str, Any]:
        return {
            "v": self.v,
            "event_id": str(self.event_id),
            "corridor": self.corridor,
            "post": self.post,
            "observed_at": format_time(self.observed_at),
            # StrEnum members are str: the encoder writes their values without a lookup.
            "kind": self.kind,
            "direction": self.direction,
            "vehicle_class": self.vehicle_class,
            "vehicle": self.vehicle,
            "people": self.people.to_json(),
            "cargo": [line.to_json() for line in self.cargo],
            "reason": self.reason,
            "convoy": self.convoy,
            "private": self.private,
        }

    def canonical(self) -> bytes:
        """RFC 8785 bytes (every field has the restricted shape of the fast encoder)."""
        return canonical_json_fast(self.to_json())

    @property
    def cargo_kg(self) -> int:
        return sum(line.kg for line in self.cargo)

    @classmethod
    def from_json(cls, data: object) -> PublicEntry:
        """Parse a public entry strictly; every problem names its field."""
        obj = _mapping(data, "entry")
        _exact_keys(obj, _ENTRY_KEYS, "entry")
        version = _int(obj, "v", "v")
        if version != FORMAT_VERSION:
            raise ValidationError("v", f"unsupported entry version {version}")
        event_text = _str(obj, "event_id", "event_id")
        try:
            event_id = uuid.UUID(event_text)
        except ValueError as exc:
            raise ValidationError("event_id", "not a UUID") from exc
        if str(event_id) != event_text:
            raise ValidationError("event_id", "write the UUID in lower case with hyphens")
        people_obj = _mapping(obj.get("people"), "people")
        _exact_keys(people_obj, _PEOPLE_KEYS, "people")
        people = People(
            residents=_int(people_obj, "residents", "people.residents"),
            returnees=_int(people_obj, "returnees", "people.returnees"),
            crew=_int(people_obj, "crew", "people.crew"),
            other=_int(people_obj, "other", "people.other"),
        )
        cargo_list = obj.get("cargo")
        if not isinstance(cargo_list, list):
            raise ValidationError("cargo", "expected a list of cargo lines")
        cargo = tuple(_cargo_line(item, f"cargo[{i}]") for i, item in enumerate(cargo_list))
        reason_text = obj.get("reason")
        convoy = obj.get("convoy")
        if convoy is not None and not isinstance(convoy, str):
            raise ValidationError("convoy", "expected a string or null")
        private = _str(obj, "private", "private")
        if _SHA256_HEX.fullmatch(private) is None:
            raise ValidationError("private", "expected 64 lower-case hex digits (a SHA-256)")
        return cls(
            event_id=event_id,
            corridor=_str(obj, "corridor", "corridor"),
            post=_str(obj, "post", "post"),
            observed_at=parse_time(obj.get("observed_at")),
            kind=_enum(PassageKind, obj.get("kind"), "kind"),
            direction=_enum(Direction, obj.get("direction"), "direction"),
            vehicle_class=_enum(VehicleClass, obj.get("vehicle_class"), "vehicle_class"),
            vehicle=_str(obj, "vehicle", "vehicle"),
            people=people,
            cargo=cargo,
            reason=None if reason_text is None else _enum(ReasonCode, reason_text, "reason"),
            convoy=convoy,
            private=private,
        )


_ENTRY_KEYS = frozenset(
    {
        "v",
        "event_id",
        "corridor",
        "post",
        "observed_at",
        "kind",
        "direction",
        "vehicle_class",
        "vehicle",
        "people",
        "cargo",
        "reason",
        "convoy",
        "private",
    }
)
_PEOPLE_KEYS = frozenset(c.value for c in PeopleCategory)
_CARGO_KEYS = frozenset({"category", "kg"})
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def _mapping(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ValidationError(where, f"expected an object, got {type(value).__name__}")
    return value


def _exact_keys(obj: Mapping[str, Any], expected: frozenset[str], where: str) -> None:
    """Every field present, none unknown: a parsed entry then re-encodes to the same bytes."""
    keys = obj.keys()
    if keys == expected:
        return
    unknown = keys - expected
    if unknown:
        raise ValidationError(f"{where}.{sorted(unknown)[0]}", "unknown field")
    raise ValidationError(f"{where}.{sorted(expected - keys)[0]}", "required field is missing")


def _str(obj: Mapping[str, Any], key: str, where: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value:
        raise ValidationError(where, "required text is missing")
    return value


def _int(obj: Mapping[str, Any], key: str, where: str) -> int:
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(where, f"expected a whole number, got {value!r}")
    if abs(value) > MAX_SAFE_INTEGER:
        raise ValidationError(where, f"number {value} is out of range")
    return value


def _enum(kind: type[_E], value: object, where: str) -> _E:
    try:
        if not isinstance(value, str):
            raise ValueError(value)
        return kind(value)
    except ValueError as exc:
        allowed = ", ".join(member.value for member in kind)
        raise ValidationError(where, f"{value!r} is not one of: {allowed}") from exc


def _cargo_line(item: object, where: str) -> CargoLine:
    obj = _mapping(item, where)
    category = _enum(CargoCategory, obj.get("category"), f"{where}.category")
    if obj.get("kg") is None:
        raise MissingWeightError(f"{where}.kg", f"{category.value} cargo has no weight")
    _exact_keys(obj, _CARGO_KEYS, where)
    return CargoLine(category, _int(obj, "kg", f"{where}.kg"))
