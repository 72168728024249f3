"""What HQ's registries hold about the simulation's trackers, convoys and crews, and their paths.

Plain frozen dataclasses: HQ (or the demo) turns them into rows and monitor plans. A tracker's
``subject`` is the plate of its vehicle or the id of its crew; device ids are derived from the
subject without the seed (``trk-`` and 10 hex digits), so they reveal nothing of the plate.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from shapely.geometry import Point, Polygon

from corridor.model.corridor import LonLat
from corridor.model.vocabulary import Direction
from corridor.sim.hours import CREW_WINDOW_GRACE, SYNC_INTERVAL
from corridor.sim.incidents import Window, entry_point, speed_mps, starts
from corridor.sim.itinerary import RouteTrack
from corridor.sim.scenario import CrewSpec, Incident, IncidentKind, IncidentVariant, Scenario
from corridor.sim.tracking import Path, PathBuilder

#: How far a crew at work wanders from the middle of its zone (metres): it stays well inside.
CREW_WANDER_M = 30.0
CREW_WALK_MPS = 1.5


class SubjectKind(StrEnum):
    VEHICLE = "vehicle"
    CREW = "crew"


@dataclass(frozen=True, slots=True)
class DeviceRecord:
    """A registered tracker and what it is fixed to."""

    device_id: str
    subject: str  # a plate (private) or a crew id
    subject_kind: SubjectKind


@dataclass(frozen=True, slots=True)
class ConvoyRecord:
    """A convoy as HQ plans it: member plates in order, along ``route`` (post ids)."""

    convoy_id: str
    members: tuple[str, ...]
    planned_departure: datetime
    direction: Direction
    route: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CrewRecord:
    """A crew's zone and its working window on one day."""

    crew_id: str
    names: tuple[str, ...]
    zone: tuple[LonLat, ...]
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True, slots=True)
class PostSync:
    """A post node reaching HQ (a sync or registry pull), in simulated time."""

    post_id: str
    at: datetime


def device_id(subject: str) -> str:
    return "trk-" + hashlib.sha256(f"corridor-sim/device/{subject}".encode()).hexdigest()[:10]


def unknown_device_id(offset: int) -> str:
    """A tracker nobody registered (it reports on the day of an ``unknown_device`` incident)."""
    return "trk-unreg-" + hashlib.sha256(f"corridor-sim/unreg/{offset}".encode()).hexdigest()[:5]


def crew_records(scenario: Scenario, day: date) -> list[CrewRecord]:
    return [
        CrewRecord(
            c.id,
            c.names,
            c.zone,
            datetime.combine(day, c.window[0], UTC),
            datetime.combine(day, c.window[1], UTC),
        )
        for c in scenario.crews
    ]


def _crew_incident(scenario: Scenario, crew: CrewSpec, offset: int) -> Incident | None:
    for incident in scenario.incidents:
        if incident.kind is IncidentKind.CREW_ZONE and incident.day == offset:
            if incident.crew == crew.id:
                return incident
    return None


def crew_outing(crew: CrewSpec, incident: Incident, day: date) -> tuple[datetime, datetime]:
    """When a crew's incident takes it out of its zone, and when it is back; for an
    ``outside_window`` incident, when it is out of hours (past HQ's grace) until it stops."""
    if incident.variant is IncidentVariant.OUTSIDE_WINDOW:
        end = datetime.combine(day, crew.window[1], UTC)
        return end + CREW_WINDOW_GRACE, end + timedelta(minutes=incident.minutes or 0)
    begin = starts(incident, day) if incident.at else _middle(crew, day)
    return begin, begin + timedelta(minutes=incident.minutes or 0)


def _middle(crew: CrewSpec, day: date) -> datetime:
    a, b = (datetime.combine(day, t, UTC) for t in crew.window)
    return a + (b - a) / 2


def crew_path(scenario: Scenario, track: RouteTrack, crew: CrewSpec, offset: int) -> Path:
    """A crew at work in its zone for its window (a small square walk round its middle), and
    the walk out and back of a ``crew_zone`` incident, or its work on past the window's end."""
    day = scenario.traffic.start_date + timedelta(days=offset)
    zone = Polygon([track.to_metres(*p) for p in crew.zone])
    centre = zone.representative_point()
    cx, cy = float(centre.x), float(centre.y)
    a, b = (datetime.combine(day, t, UTC).timestamp() for t in crew.window)
    interval = float(scenario.traffic.fix_interval_s)
    path = PathBuilder(a + interval, cx, cy)
    incident = _crew_incident(scenario, crew, offset)
    out_at = crew_outing(crew, incident, day) if incident else None
    if incident is not None and incident.variant is IncidentVariant.OUTSIDE_WINDOW:
        assert out_at is not None
        b, out_at = out_at[1].timestamp(), None  # the same walk, only for longer
    corner = 0
    while path.now < b - 3 * interval:
        if out_at is not None and path.now >= out_at[0].timestamp():
            _walk_out(path, track, zone, (cx, cy), incident, out_at)
            out_at = None
            continue
        dx = CREW_WANDER_M * (1 if corner in (1, 2) else -1)
        dy = CREW_WANDER_M * (1 if corner in (2, 3) else -1)
        path.go(cx + dx, cy + dy, CREW_WALK_MPS)
        # the last stand ends a fix before the window closes: no fix after hours
        path.stand(max(0.0, min(20 * 60, b - interval - path.now)))
        corner = (corner + 1) % 4
    return path.build(device_id(crew.id))


def _walk_out(
    path: PathBuilder,
    track: RouteTrack,
    zone: Polygon,
    centre: tuple[float, float],
    incident: Incident | None,
    window: tuple[datetime, datetime],
) -> None:
    # Away from the road: from the nearest road point through the zone's middle, and on.
    assert incident is not None
    cx, cy = centre
    day = window[0].date()
    rx, ry = track.point(day, track.chainage(day, centre))
    length = math.hypot(cx - rx, cy - ry) or 1.0
    ux, uy = (cx - rx) / length, (cy - ry) / length
    edge = 0.0
    while zone.contains(Point(cx + ux * edge, cy + uy * edge)):
        edge += 5.0
    far = edge + (incident.offset_m or 0.0)
    speed = 5.0
    path.go(cx, cy, CREW_WALK_MPS)
    path.knot(window[0].timestamp(), cx, cy)
    path.go(cx + ux * far, cy + uy * far, speed)
    path.knot(window[1].timestamp() - far / speed, cx + ux * far, cy + uy * far)
    path.go(cx, cy, speed)


def unknown_device_path(
    scenario: Scenario, track: RouteTrack, incident: Incident, day: date, offset: int
) -> Path:
    """An unregistered tracker in a car driving in from the entry for ``minutes``."""
    begin = starts(incident, day)
    entry, _ = entry_point(scenario, track, Direction.INBOUND)
    a = track.chainage(day, entry)
    distance = speed_mps(scenario) * 60 * (incident.minutes or 0)
    path = PathBuilder(begin.timestamp(), *entry)
    path.follow(track.between(day, a, a + distance), distance / speed_mps(scenario))
    return path.build(unknown_device_id(offset))


def syncs(posts: tuple[str, ...], day: date, silent: dict[str, Window]) -> list[PostSync]:
    """Every ten minutes from each recording post, except while it is silent."""
    out = []
    for n, post in enumerate(posts):
        moment = datetime.combine(day, time(0), UTC) + timedelta(seconds=7 * n + 5)
        while moment.date() == day:
            quiet = silent.get(post)
            if quiet is None or not quiet.start <= moment < quiet.end:
                out.append(PostSync(post, moment))
            moment += SYNC_INTERVAL
    return sorted(out, key=lambda s: (s.at, s.post_id))
