"""The incidents of a scenario as simulated things: trips with detours, silences, odd trackers.

Everything here is a pure function of the scenario and the day (no random draws), so the ground
truth (:mod:`.ground_truth`) computes the same times the simulation uses. Incident vehicles are
dedicated trucks (``SIM TR 9nnn``, registered and tracked), not drawn from the fleet, so no other
trip of theirs can hide the incident, and their plates do not depend on the seed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

from shapely.geometry import LineString, Point, Polygon

from corridor.model.events import CargoLine, People
from corridor.model.vocabulary import CargoCategory, Direction, VehicleClass
from corridor.sim.hours import DEFAULT_AT
from corridor.sim.itinerary import XY, Detour, DetourKind, RouteTrack, excursion_extra
from corridor.sim.scenario import Incident, IncidentKind, IncidentVariant, Scenario
from corridor.sim.trips import Trip, Vehicle, convoy_id, travel_time

#: A stop this far from every post and end of the corridor is a stop in the corridor, not a
#: queue at a checkpoint or a vehicle parked in town (the monitor's exemptions are 0.5 and 3 km).
CLEAR_OF_POSTS_M = 1000.0
CLEAR_OF_ENDS_M = 4000.0
#: A vehicle that leaves the band goes at least this far beyond its edge, clear of crew zones.
CLEAR_OF_ZONES_M = 200.0
DETOUR_VEHICLES = (
    IncidentKind.OVERDUE,
    IncidentKind.LONG_STOP,
    IncidentKind.LEAVES_BAND,
    IncidentKind.ENTERS_CREW_ZONE,
)


@dataclass(frozen=True, slots=True)
class Window:
    """A span of time an incident covers, and its subject."""

    start: datetime
    end: datetime


def starts(incident: Incident, day: date) -> datetime:
    return datetime.combine(day, incident.at or DEFAULT_AT, UTC)


def incident_vehicle(index: int) -> Vehicle:
    return Vehicle(f"SIM TR 9{index:03d}", VehicleClass.TRUCK)


def incident_vehicles(scenario: Scenario) -> list[Vehicle]:
    return [
        incident_vehicle(n)
        for n, incident in enumerate(scenario.incidents)
        if incident.kind in DETOUR_VEHICLES
    ]


def speed_mps(scenario: Scenario) -> float:
    return scenario.traffic.average_speed_kmh / 3.6


def _entry_exit(scenario: Scenario, track: RouteTrack, day: date) -> tuple[float, float]:
    corridor, traffic = scenario.corridor, scenario.traffic
    a = track.chainage(day, track.to_metres(*corridor.post(traffic.inbound_entry_post).point))
    b = track.chainage(day, track.to_metres(*corridor.post(traffic.outbound_entry_post).point))
    return a, b


def _clear_spot(
    scenario: Scenario, track: RouteTrack, day: date, after: float, until: float
) -> float:
    """The first chainage from ``after`` (2 km on) that is clear of every post and end."""
    corridor = scenario.corridor
    posts = [track.to_metres(*p.point) for p in corridor.posts]
    ends = [track.to_metres(*e.point) for e in corridor.endpoints]
    here = after + 2000.0
    while here < until:
        x, y = track.point(day, here)
        near_post = min(Point(x, y).distance(Point(*p)) for p in posts)
        near_end = min(Point(x, y).distance(Point(*e)) for e in ends)
        if near_post > CLEAR_OF_POSTS_M and near_end > CLEAR_OF_ENDS_M:
            return here
        here += 250.0
    raise ValueError(f"no spot clear of posts between chainage {after:.0f} and {until:.0f}")


def _post_chainage(scenario: Scenario, track: RouteTrack, day: date, post: str | None) -> float:
    if post is None:
        return _entry_exit(scenario, track, day)[0]
    return track.chainage(day, track.to_metres(*scenario.corridor.post(post).point))


def detour_for(scenario: Scenario, track: RouteTrack, incident: Incident, day: date) -> Detour:
    """Where and how the incident's truck leaves the ordinary trip."""
    a, b = _entry_exit(scenario, track, day)
    after = _post_chainage(scenario, track, day, incident.post)
    minutes = timedelta(minutes=incident.minutes or 0)
    if incident.kind is IncidentKind.ENTERS_CREW_ZONE:
        return _into_zone(scenario, track, incident, day)
    if incident.kind is IncidentKind.OVERDUE:
        ahead = sorted(
            c
            for p in scenario.corridor.checkpoints
            if (c := _post_chainage(scenario, track, day, p.id)) > after + 1.0
        )
        return Detour(DetourKind.SLOW, after, minutes, until_m=ahead[0] if ahead else b)
    spot = _clear_spot(scenario, track, day, after, b)
    if incident.kind is IncidentKind.LONG_STOP:
        return Detour(DetourKind.STOP, spot, minutes)
    offset = incident.offset_m or 0.0
    zones = [Polygon([track.to_metres(*p) for p in crew.zone]) for crew in scenario.crews]
    half = scenario.corridor.width_m / 2
    while spot < b:
        x, y = track.point(day, spot)
        nx, ny = track.normal(day, spot)
        for side in (1, -1):
            # The road winds: drive out until the route itself is ``offset`` away.
            reach = offset
            while reach < 3 * offset:
                out = (x + nx * side * reach, y + ny * side * reach)
                if track.line(day).distance(Point(*out)) >= offset:
                    break
                reach += 100.0
            trail = LineString([(x, y), out])
            far = track.line(day).distance(Point(*out)) >= max(offset, half + 500.0)
            if far and all(trail.distance(z) > CLEAR_OF_ZONES_M for z in zones):
                extra = excursion_extra(reach, speed_mps(scenario))
                return Detour(DetourKind.EXCURSION, spot, extra, offset_m=reach, side=side)
        spot += 250.0
    raise ValueError("no place for the vehicle to leave the band")


def _into_zone(scenario: Scenario, track: RouteTrack, incident: Incident, day: date) -> Detour:
    """From the road point nearest the crew zone's middle, straight to that middle and back:
    deep inside the zone (a strip beside the road), far inside the band."""
    crew = next(c for c in scenario.crews if c.id == incident.crew)
    middle = Polygon([track.to_metres(*p) for p in crew.zone]).representative_point()
    cx, cy = float(middle.x), float(middle.y)
    here = track.chainage(day, (cx, cy))
    x, y = track.point(day, here)
    nx, ny = track.normal(day, here)
    side = 1 if nx * (cx - x) + ny * (cy - y) >= 0 else -1
    reach = Point(x, y).distance(middle)
    extra = excursion_extra(reach, speed_mps(scenario))
    return Detour(DetourKind.EXCURSION, here, extra, offset_m=reach, side=side)


def incident_trips(scenario: Scenario, track: RouteTrack, offset: int, day: date) -> list[Trip]:
    """The dedicated trucks of the day's detour incidents, inbound, at their start time."""
    trips = []
    for n, incident in enumerate(scenario.incidents):
        if incident.day != offset or incident.kind not in DETOUR_VEHICLES:
            continue
        trips.append(
            Trip(
                starts(incident, day),
                Direction.INBOUND,
                incident_vehicle(n),
                People(crew=1),
                cargo=(CargoLine(CargoCategory.FOOD, 10_000),),
                detour=detour_for(scenario, track, incident, day),
            )
        )
    return trips


def detour_window(scenario: Scenario, track: RouteTrack, trip: Trip) -> Window:
    """When a detour trip is off its ordinary course (out of the band, stopped, crawling)."""
    assert trip.detour is not None
    day = trip.departure.date()
    a, _ = _entry_exit(scenario, track, day)
    speed = speed_mps(scenario)
    start = trip.departure + timedelta(seconds=abs(trip.detour.from_m - a) / speed)
    if trip.detour.kind is DetourKind.SLOW:
        return Window(trip.departure, arrival(scenario, trip))
    return Window(start, start + trip.extra)


def arrival(scenario: Scenario, trip: Trip) -> datetime:
    return trip.departure + travel_time(scenario) + trip.extra


def straggling(scenario: Scenario, trips: list[Trip], offset: int, day: date) -> list[Trip]:
    """A convoy incident's convoy on the road: its last bus falls ``minutes`` behind
    (``falls_behind``), or its first bus crawls one and a half headways, so the second overtakes
    it and reaches the exit first, close enough that no gap is too wide (``out_of_order``)."""
    for incident in scenario.incidents:
        if incident.kind is not IncidentKind.CONVOY or incident.day != offset:
            continue
        spec = next(c for c in scenario.convoys if c.id == incident.convoy)
        members = [n for n, t in enumerate(trips) if t.convoy == convoy_id(day, spec)]
        if len(members) < 2:
            continue
        if incident.variant is IncidentVariant.OUT_OF_ORDER:
            which, extra = members[0], timedelta(seconds=1.5 * spec.headway_s)
        else:
            which, extra = members[-1], timedelta(minutes=incident.minutes or 0)
        # crawls from the start: the change opens on the road, so only the exit post sees it
        trips[which] = replace(trips[which], detour=Detour(DetourKind.SLOW, -1.0, extra))
    return trips


def silences(scenario: Scenario, offset: int, day: date) -> dict[str, Window]:
    """Posts that neither record nor sync, by post, on day ``offset``."""
    out = {}
    for incident in scenario.incidents:
        if incident.kind is IncidentKind.SILENT_POST and incident.day == offset and incident.post:
            begin = starts(incident, day)
            out[incident.post] = Window(begin, begin + timedelta(minutes=incident.minutes or 0))
    return out


def entry_point(scenario: Scenario, track: RouteTrack, direction: Direction) -> tuple[XY, XY]:
    """The metres of a trip's entry and exit checkpoints."""
    traffic, corridor = scenario.traffic, scenario.corridor
    first = track.to_metres(*corridor.post(traffic.inbound_entry_post).point)
    last = track.to_metres(*corridor.post(traffic.outbound_entry_post).point)
    return (first, last) if direction is Direction.INBOUND else (last, first)
