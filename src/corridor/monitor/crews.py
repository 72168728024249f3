"""``crew_zone`` and ``crew_zone_entry``: repair crews and the zones they work in.

A crew assignment is a zone (a polygon in lon/lat, as drawn on the coordinator's map) and a time
window. Three conditions:

* a crew outside its zone during its window (``crew_zone:<crew>:zone``), with the same
  hysteresis as the band so a crew working at the zone's edge does not flap;
* a crew active (sending fixes) outside every window it has (``crew_zone:<crew>:hours``), with
  ``window_grace`` either side for driving in and out;
* a vehicle inside a zone while its crew works there (``crew_zone_entry:<vehicle>:<crew>``):
  opens once it is ``entry_inside_m`` inside, closes once it is ``entry_clear_m`` outside.

Zones are projected to local metres once, when assignments are set.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import shapely
from shapely.geometry import Point, Polygon

from corridor.errors import ValidationError
from corridor.geo.band import CorridorGeometry, FloatArray
from corridor.model.corridor import LonLat
from corridor.model.events import format_time
from corridor.monitor.alerts import (
    Alert,
    AlertChange,
    AlertKind,
    AlertTable,
    Severity,
    SubjectKind,
    require_utc,
)
from corridor.monitor.config import CrewConfig
from corridor.monitor.observations import PositionFix, PositionRule
from corridor.monitor.state import Decision, Recency


@dataclass(frozen=True, slots=True)
class CrewAssignment:
    """A crew's zone (lon/lat ring, three points or more) from ``starts_at`` to ``ends_at``."""

    crew_id: str
    zone: tuple[LonLat, ...]
    starts_at: datetime
    ends_at: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "starts_at", require_utc("starts_at", self.starts_at))
        object.__setattr__(self, "ends_at", require_utc("ends_at", self.ends_at))
        if self.ends_at <= self.starts_at:
            raise ValidationError("ends_at", "a crew's window must end after it starts")
        if len(self.zone) < 3:
            raise ValidationError("zone", "a zone needs at least three points")
        if not Polygon(self.zone).is_valid:
            raise ValidationError("zone", f"the zone of crew {self.crew_id!r} is not a polygon")

    def in_force(self, at: datetime) -> bool:
        return self.starts_at <= at < self.ends_at


@dataclass(frozen=True, slots=True)
class _Zone:
    assignment: CrewAssignment
    polygon_m: Polygon
    bounds: tuple[float, float, float, float]

    def far(self, x: float, y: float, margin: float) -> bool:
        """Whether (x, y) is more than ``margin`` outside the zone's bounding box: the cheap
        test that settles most vehicle fixes without Shapely."""
        west, south, east, north = self.bounds
        return x < west - margin or x > east + margin or y < south - margin or y > north + margin

    def excess(self, x: float, y: float) -> float:
        """Metres outside the zone's edge (negative: inside)."""
        point = Point(x, y)
        outside = float(shapely.distance(self.polygon_m, point))
        return outside if outside > 0 else -float(shapely.distance(self.polygon_m.exterior, point))


class CrewZoneRule(PositionRule):
    """Crews against their assignments, and vehicles against the zones in use."""

    kinds = (AlertKind.CREW_ZONE, AlertKind.CREW_ZONE_ENTRY)

    def __init__(
        self,
        geometry: CorridorGeometry,
        assignments: Iterable[CrewAssignment] = (),
        config: CrewConfig | None = None,
    ) -> None:
        self.geometry = geometry
        self.config = config or CrewConfig()
        self.alerts = AlertTable()
        self._hysteresis = self.config.hysteresis()
        self._zones: dict[str, list[_Zone]] = {}
        self._runs: dict[str, int] = {}
        self._seen: Recency[str] = Recency()
        self._inside: dict[str, set[str]] = {}  # vehicle -> crews whose zone it is in (open)
        self.set_assignments(assignments)

    def set_assignments(self, assignments: Iterable[CrewAssignment]) -> None:
        """Replace every assignment (HQ edits them in the registry); open alerts stay open."""
        zones: dict[str, list[_Zone]] = {}
        to_metres = self.geometry.projection.line_to_metres
        for a in assignments:
            polygon = Polygon(to_metres(list(a.zone)))
            shapely.prepare(polygon)
            zones.setdefault(a.crew_id, []).append(_Zone(a, polygon, polygon.bounds))
        self._zones = zones

    def observe_many(
        self, fixes: Sequence[PositionFix], xs: FloatArray, ys: FloatArray
    ) -> list[AlertChange]:
        changes: list[AlertChange] = []
        for fix, x, y in zip(fixes, xs.tolist(), ys.tolist(), strict=True):
            changes.extend(self.observe(fix, x, y))
        return changes

    def observe(self, fix: PositionFix, x: float, y: float) -> list[AlertChange]:
        if fix.subject_kind is SubjectKind.CREW:
            return self._crew(fix, x, y)
        return self._vehicle(fix, x, y)

    # -- crews ----------------------------------------------------------------------------------

    def _crew(self, fix: PositionFix, x: float, y: float) -> list[AlertChange]:
        crew = fix.subject
        zones = self._zones.get(crew)
        if not zones:
            return []  # a crew with no assignment is the registry's business, not a zone's
        last = self._seen.last(crew)
        if last is not None and fix.at < last:
            return []
        self._seen.touch(crew, fix.at)
        grace = self.config.window_grace
        working = [z for z in zones if z.assignment.starts_at - grace <= fix.at]
        working = [z for z in working if fix.at < z.assignment.ends_at + grace]
        changes: list[AlertChange] = []
        hours_key = f"{AlertKind.CREW_ZONE}:{crew}:hours"
        zone_key = f"{AlertKind.CREW_ZONE}:{crew}:zone"
        if not working:
            self._runs.pop(crew, None)
            if zone_key in self.alerts:
                changes.append(self.alerts.close(zone_key, fix.at, evidence=[fix.id]))
            if hours_key not in self.alerts:
                changes.append(self.alerts.open(self._hours_alert(fix, hours_key, zones)))
            return changes
        if hours_key in self.alerts:
            changes.append(self.alerts.close(hours_key, fix.at, evidence=[fix.id]))
        excess = min(z.excess(x, y) for z in working)
        decision, run = self._hysteresis.step(
            zone_key in self.alerts, self._runs.get(crew, 0), excess
        )
        self._runs[crew] = run
        if decision is Decision.OPEN:
            alert = Alert(
                kind=AlertKind.CREW_ZONE,
                key=zone_key,
                severity=Severity.WARNING,
                subject=crew,
                subject_kind=SubjectKind.CREW,
                opened_at=fix.at,
                summary=f"Crew {crew} is {excess:,.0f} m outside its work zone.",
                evidence=(fix.id,),
                figures={"excess_m": round(excess, 1), "lon": fix.lon, "lat": fix.lat},
            )
            changes.append(self.alerts.open(alert))
        elif decision is Decision.CLOSE:
            changes.append(self.alerts.close(zone_key, fix.at, evidence=[fix.id]))
        return changes

    def _hours_alert(self, fix: PositionFix, key: str, zones: list[_Zone]) -> Alert:
        later = [z.assignment.starts_at for z in zones if z.assignment.starts_at > fix.at]
        earlier = [z.assignment.ends_at for z in zones if z.assignment.ends_at <= fix.at]
        figures: dict[str, float | int | str] = {"lon": fix.lon, "lat": fix.lat}
        if earlier:
            figures["last_window_end"] = format_time(max(earlier))
        if later:
            figures["next_window_start"] = format_time(min(later))
        return Alert(
            kind=AlertKind.CREW_ZONE,
            key=key,
            severity=Severity.WARNING,
            subject=fix.subject,
            subject_kind=SubjectKind.CREW,
            opened_at=fix.at,
            summary=f"Crew {fix.subject} is active outside its assigned hours.",
            evidence=(fix.id,),
            figures=figures,
        )

    # -- vehicles -------------------------------------------------------------------------------

    def _vehicle(self, fix: PositionFix, x: float, y: float) -> list[AlertChange]:
        vehicle = fix.subject
        inside = self._inside.get(vehicle, set())
        changes: list[AlertChange] = []
        for crew, zones in self._zones.items():
            active = [z for z in zones if z.assignment.in_force(fix.at)]
            key = f"{AlertKind.CREW_ZONE_ENTRY}:{vehicle}:{crew}"
            if not active:
                if crew in inside:
                    inside.discard(crew)
                    changes.append(self.alerts.close(key, fix.at, evidence=[fix.id]))
                continue
            clear = self.config.entry_clear_m
            if all(z.far(x, y, clear) for z in active):
                excess = clear  # outside every zone by more than the clearance
            else:
                excess = min(z.excess(x, y) for z in active)
            if crew not in inside and excess <= -self.config.entry_inside_m:
                inside.add(crew)
                changes.append(self.alerts.open(self._entry_alert(fix, key, crew, excess)))
            elif crew in inside and excess >= self.config.entry_clear_m:
                inside.discard(crew)
                changes.append(self.alerts.close(key, fix.at, evidence=[fix.id]))
        if inside:
            self._inside[vehicle] = inside
        else:
            self._inside.pop(vehicle, None)
        return changes

    def _entry_alert(self, fix: PositionFix, key: str, crew: str, excess: float) -> Alert:
        return Alert(
            kind=AlertKind.CREW_ZONE_ENTRY,
            key=key,
            severity=Severity.INFO,
            subject=fix.subject,
            subject_kind=fix.subject_kind,
            opened_at=fix.at,
            summary=f"Vehicle {fix.subject} entered the work zone of crew {crew} while it works.",
            evidence=(fix.id,),
            figures={"crew": crew, "inside_m": round(-excess, 1)},
        )

    def tick(self, now: datetime) -> list[AlertChange]:
        """Forget crews not heard of for ``forget_after``; open alerts stay open."""
        for crew in self._seen.stale(now, self.config.forget_after):
            self._runs.pop(crew, None)
        return []
