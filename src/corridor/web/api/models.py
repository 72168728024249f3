"""Response models of the API: they shape the OpenAPI document and check every answer.

Field names and vocabularies are those of the public log (docs/data-model.md); counts are whole
numbers, weights are kilograms unless a name says tonnes.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class ErrorBody(BaseModel):
    """Every error the API answers with."""

    error: str = Field(description="Kind of error (class name), e.g. NotFoundError.")
    message: str = Field(description="What went wrong, in words a user can act on.")


class Figures(BaseModel):
    simulated: bool = Field(description="True when the data comes from a simulation.")


# -- corridor map ------------------------------------------------------------------------------


class Feature(BaseModel):
    type: Literal["Feature"]
    geometry: dict[str, Any]
    properties: dict[str, Any] = Field(
        description="`layer` is band, route or post; posts carry `label` (every name, ' / ')."
    )


class CorridorInfo(BaseModel):
    id: str
    names: list[str]
    label: str = Field(description="Every name of the corridor joined with ' / '.")
    endpoints: list[str] = Field(description="Labels of the two ends, first to last.")


class CorridorLayers(Figures):
    """GeoJSON FeatureCollection (RFC 7946) with foreign members naming what it shows."""

    type: Literal["FeatureCollection"]
    features: list[Feature]
    corridor: CorridorInfo
    at: str = Field(description="The day (YYYY-MM-DD) whose route version the layers show.")


# -- figures -----------------------------------------------------------------------------------


class ReturneesDay(BaseModel):
    day: str
    returnees: int
    cumulative: int


class Summary(Figures):
    corridor: str
    corridor_name: str = Field(description="Every name of the corridor joined with ' / '.")
    events: int = Field(description="Events of every kind in the store.")
    first_day: str | None
    last_day: str | None
    passages: dict[str, dict[str, int]] = Field(description="kind -> direction -> events")
    people: dict[str, int] = Field(description="People on passed vehicles, by category.")
    returnees_cumulative: int
    returnees_by_day: list[ReturneesDay]
    cargo_tonnes: dict[str, float] = Field(description="Cargo on passed vehicles, by category.")
    denials_by_reason: dict[str, int] = Field(description="Denied and turned-back events.")


class DayCounts(BaseModel):
    day: str
    passed: dict[str, dict[str, int]] = Field(description="direction -> vehicle class -> count")


class DailyCounts(Figures):
    days: list[DayCounts]


class Returnees(Figures):
    days: list[ReturneesDay]


class CargoDay(BaseModel):
    day: str
    kg: dict[str, int] = Field(description="category -> kilograms")


class Cargo(Figures):
    by_category_kg: dict[str, int]
    by_category_tonnes: dict[str, float]
    by_day: list[CargoDay]


# -- passages ----------------------------------------------------------------------------------


class People(BaseModel):
    residents: int
    returnees: int
    crew: int
    other: int


class Passage(BaseModel):
    """A passage's public fields, as its signed entry states them."""

    event_id: str
    log_index: int
    post: str
    observed_at: str = Field(description="UTC, like 2020-12-01T08:15:00Z.")
    kind: str
    direction: str
    vehicle_class: str
    vehicle: str = Field(description="Vehicle pseudonym (keyed HMAC of the plate).")
    people: People
    cargo_kg: int
    reason: str | None
    convoy: str | None


class PassagePage(Figures):
    passages: list[Passage]
    next_before: int | None = Field(
        description="Pass as `before` for the next, older page; null on the last page."
    )


class LogEntry(BaseModel):
    """A passage's signed envelope exactly as the log holds it (RFC 8785 canonical JSON)."""

    type: str
    body: dict[str, Any] = Field(description="The public entry the post signed.")
    key: str = Field(description="The post's Ed25519 public key, base64.")
    sig: str = Field(description="Ed25519 signature, base64.")


class PassageEntry(Figures):
    event_id: str
    log_index: int
    entry: LogEntry


class Receipt(BaseModel):
    """A passage's receipt: a C2SP tlog-proof and what it proves."""

    event_id: str
    log_index: int
    proof: str = Field(description="C2SP tlog-proof text: index, proof hashes, checkpoint.")
    entry: str = Field(description="The log entry the proof is for, base64.")
    qr_png: str = Field(description="PNG QR code of the proof, base64.")
