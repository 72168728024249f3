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
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec

from corridor.errors import ValidationError
from corridor.model.canonical import canonical_json, canonical_json_fast
from corridor.model.vocabulary import (
    CargoCategory,
    Direction,
    PassageKind,
    ReasonCode,
    VehicleClass,
)
from corridor.model.wire import WireEntry, convert_entry

FORMAT_VERSION = 1
SALT_BYTES = 16


def format_time(moment: datetime) -> str:
    """Render a time as RFC 3339 UTC with whole seconds, the only form the log carries."""
    if moment.tzinfo is None:
        raise ValidationError("observed_at", "time must carry a time zone")
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return moment.isoformat(timespec="seconds")[:19] + "Z"


_TIME_FORM = "expected a UTC time with whole seconds like 2020-12-01T08:15:00Z, got {}"


def parse_time(text: object, field_name: str = "observed_at") -> datetime:
    """Parse the log's time form (``2020-12-01T08:15:00Z``) and nothing else."""
    if not isinstance(text, str):
        raise ValidationError(field_name, f"expected a time string, got {type(text).__name__}")
    problem = _TIME_FORM.format(repr(text))
    if len(text) != 20 or text[10] != "T" or text[19] != "Z":
        raise ValidationError(field_name, problem)
    try:
        moment = datetime.fromisoformat(text[:19])
    except ValueError as exc:
        raise ValidationError(field_name, problem) from exc
    return moment.replace(tzinfo=UTC)


class CargoLine(msgspec.Struct, frozen=True):
    """One line of cargo: a category and its weight in whole kilograms."""

    category: CargoCategory
    kg: int

    def to_json(self) -> dict[str, Any]:
        return {"category": self.category, "kg": self.kg}


class People(msgspec.Struct, frozen=True):
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


class PrivateRecord(msgspec.Struct, frozen=True):
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
class Submission:
    """One event as a post submits it: the signed log entry and, at HQ, its private part."""

    raw: bytes
    private: PrivateRecord | None = None
    salt: bytes | None = None


class PublicEntry(msgspec.Struct, frozen=True):
    """The publishable part of a passage. Its canonical JSON is what the post signs.

    Values of the public entry are frozen msgspec structs rather than dataclasses: ingest builds
    one per event, and a frozen dataclass costs several microseconds to construct."""

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
    v: int = FORMAT_VERSION

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
        entry = cls.from_wire(convert_entry(data))
        # Bytes prove these forms by re-encoding (see wire.py); a parsed object must show them.
        assert isinstance(data, Mapping)
        if data["event_id"] != str(entry.event_id):
            raise ValidationError("event_id", "write the UUID in lower case with hyphens")
        if data["observed_at"] != format_time(entry.observed_at):
            raise ValidationError("observed_at", _TIME_FORM.format(data["observed_at"]))
        return entry

    @classmethod
    def from_wire(cls, wire: WireEntry) -> PublicEntry:
        """The domain value of a validated wire entry."""
        if wire.v != FORMAT_VERSION:
            raise ValidationError("v", f"unsupported entry version {wire.v}")
        people = wire.people
        observed = wire.observed_at
        if observed.tzinfo is not UTC or observed.microsecond:
            raise ValidationError("observed_at", _TIME_FORM.format(observed.isoformat()))
        return cls(
            event_id=wire.event_id,
            corridor=wire.corridor,
            post=wire.post,
            observed_at=observed,
            kind=wire.kind,
            direction=wire.direction,
            vehicle_class=wire.vehicle_class,
            vehicle=wire.vehicle,
            people=People(people.residents, people.returnees, people.crew, people.other),
            cargo=tuple(CargoLine(line.category, line.kg) for line in wire.cargo),
            reason=wire.reason,
            convoy=wire.convoy,
            private=wire.private,
        )
