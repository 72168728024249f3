"""What the monitor is fed: passages seen at posts and position fixes from trackers.

These are the monitor's own small values, not the log's entries: a passage observation carries
only what the rules need (and the registry verdict HQ computed from the private record, which the
public entry does not hold), and a fix is one GPS report. Times must be aware; they are kept in
UTC so rules can compare them across posts and devices.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from corridor.errors import ValidationError
from corridor.geo.band import CorridorGeometry, FloatArray
from corridor.model.events import PublicEntry
from corridor.model.vocabulary import Direction, PassageKind, ReasonCode, VehicleClass
from corridor.monitor.alerts import AlertChange, SubjectKind, require_utc


@dataclass(frozen=True, slots=True)
class PassageObservation:
    """One passage event as the rules see it.

    ``vehicle`` is the pseudonym (never a plate). ``registered`` is HQ's verdict on the
    vehicle's registration at the time of the passage.
    """

    event_id: str
    post_id: str
    observed_at: datetime
    kind: PassageKind
    direction: Direction
    vehicle_class: VehicleClass
    vehicle: str
    registered: bool = True
    convoy: str | None = None

    def __post_init__(self) -> None:
        utc = require_utc("observed_at", self.observed_at)
        if utc is not self.observed_at:
            object.__setattr__(self, "observed_at", utc)

    @classmethod
    def from_entry(
        cls, entry: PublicEntry, *, registered: bool | None = None
    ) -> PassageObservation:
        """The observation of a log entry. Without a verdict from the registry, a denial for
        ``unregistered_vehicle`` is the post's own verdict that the vehicle is not registered."""
        if registered is None:
            registered = entry.reason is not ReasonCode.UNREGISTERED_VEHICLE
        return cls(
            event_id=str(entry.event_id),
            post_id=entry.post,
            observed_at=entry.observed_at,
            kind=entry.kind,
            direction=entry.direction,
            vehicle_class=entry.vehicle_class,
            vehicle=entry.vehicle,
            registered=registered,
            convoy=entry.convoy,
        )


_TRACKED = frozenset({SubjectKind.VEHICLE, SubjectKind.CREW})


@dataclass(frozen=True, slots=True)
class PositionFix:
    """One position report from a tracker (OsmAnd protocol: device id, lon, lat, time, speed).

    ``subject_id`` is the vehicle pseudonym or crew id the device is assigned to, if any;
    ``subject`` falls back to the device id so an unassigned device is still followed.
    """

    id: str
    device_id: str
    subject_id: str | None
    lon: float
    lat: float
    at: datetime
    subject_kind: SubjectKind = SubjectKind.VEHICLE
    speed_kmh: float | None = None

    def __post_init__(self) -> None:
        utc = require_utc("at", self.at)
        if utc is not self.at:
            object.__setattr__(self, "at", utc)
        if self.subject_kind not in _TRACKED:
            raise ValidationError("subject_kind", "a fix is from a vehicle or a crew")
        if not (-180.0 <= self.lon <= 180.0 and -90.0 <= self.lat <= 90.0):
            raise ValidationError("lon", f"({self.lon}, {self.lat}) is not a WGS84 position")

    @property
    def subject(self) -> str:
        return self.subject_id if self.subject_id is not None else self.device_id


class PositionRule(ABC):
    """A rule fed with position fixes: one, a batch, or a batch already projected to local
    metres (the engine projects a batch once for every position rule)."""

    geometry: CorridorGeometry

    def on_position(self, fix: PositionFix) -> list[AlertChange]:
        return self.on_positions([fix])

    def on_positions(self, fixes: Sequence[PositionFix]) -> list[AlertChange]:
        xs, ys = self.geometry.projection.to_metres([f.lon for f in fixes], [f.lat for f in fixes])
        return self.observe_many(fixes, xs, ys)

    @abstractmethod
    def observe_many(
        self, fixes: Sequence[PositionFix], xs: FloatArray, ys: FloatArray
    ) -> list[AlertChange]:
        """Feed fixes already projected to local metres, in time order."""
