"""The alerts a scenario's incidents must raise: kind, subject and when each must open.

A pure function of the scenario and the number of days (no seed): incident vehicles, devices,
convoys and times are fixed by the scenario, so the truth is known before anything runs. Each
incident gives one expected alert (a disruption one per direction), opening within its window;
a day with no incident expects none. Ordinary traffic is built to raise none: it drives at the
average speed, stops only at its entry and exit checkpoints, keeps convoys together and crews
inside their zones.

Subjects are what the simulation knows: a plate for vehicles (HQ's alert carries its pseudonym:
:func:`alert_subject` maps one to the other), a device id, a post id, a crew id, a convoy id, or
``<direction>/all`` for a disruption of the flow. A disruption stops both directions, and the
monitor judges each direction's flow apart, so it expects two alerts (inbound/all and
outbound/all); it also opens alerts for the vehicle classes whose own flow is big enough to judge
(cars, in the Lachin scenario): those share the incident and its window, and
:meth:`ExpectedAlert.matches` accepts them as the same incident's.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from corridor.geo.band import CorridorGeometry
from corridor.model.pseudonym import vehicle_pseudonym
from corridor.model.vocabulary import Direction
from corridor.sim.incidents import (
    DETOUR_VEHICLES,
    detour_window,
    incident_trips,
    silences,
    starts,
)
from corridor.sim.itinerary import RouteTrack
from corridor.sim.registry import crew_outing, unknown_device_id
from corridor.sim.scenario import Incident, IncidentKind, Scenario
from corridor.sim.trips import convoy_id

#: The alert kind each incident raises (the monitor's names).
ALERT_KIND = {
    IncidentKind.LEAVES_BAND: "left_band",
    IncidentKind.OVERDUE: "overdue",
    IncidentKind.LONG_STOP: "long_stop",
    IncidentKind.UNREGISTERED_VEHICLE: "unknown_vehicle",
    IncidentKind.UNKNOWN_DEVICE: "unknown_device",
    IncidentKind.SILENT_POST: "silent_post",
    IncidentKind.DISRUPTION: "disruption",
    IncidentKind.CREW_ZONE: "crew_zone",
    IncidentKind.ENTERS_CREW_ZONE: "crew_zone_entry",
    IncidentKind.CONVOY: "convoy",
}
_VEHICLE_KINDS = frozenset({"left_band", "overdue", "long_stop", "unknown_vehicle"})


@dataclass(frozen=True, slots=True)
class ExpectedAlert:
    """One alert an incident must raise, opening in ``[opens_from, opens_until]``."""

    kind: str
    subject: str
    subject_kind: str  # vehicle (a plate), device, post, crew, convoy, flow
    opens_from: datetime
    opens_until: datetime
    incident: int  # index in the scenario's incidents
    day: int

    def matches(self, kind: str, subject: str, opened_at: datetime) -> bool:
        """Whether an alert (with the subject as the monitor names it, see
        :func:`alert_subject`) is this one."""
        if kind != self.kind or not self.opens_from <= opened_at <= self.opens_until:
            return False
        if self.kind == "disruption":
            return subject.split("/")[0] == self.subject.split("/")[0]
        return subject == self.subject


def alert_subject(expected: ExpectedAlert, pseudonym_key: bytes) -> str:
    """The subject as the monitor's alert names it: a vehicle's pseudonym, never its plate."""
    if expected.subject_kind == "vehicle":
        return vehicle_pseudonym(expected.subject, pseudonym_key)
    return expected.subject


def expected_alerts(scenario: Scenario, days: int) -> list[ExpectedAlert]:
    """Every alert the first ``days`` days of ``scenario`` must raise, in incident order."""
    track = RouteTrack(CorridorGeometry(scenario.corridor))
    out = []
    for n, incident in enumerate(scenario.incidents):
        if incident.day >= days:
            continue
        if incident.kind is IncidentKind.DISRUPTION:
            out += _expected_flows(scenario, n, incident)
        else:
            out.append(_expected(scenario, track, n, incident))
    return out


def expected_by_kind(scenario: Scenario, days: int) -> dict[str, int]:
    """Alert kind -> how many alerts the first ``days`` days must raise."""
    return dict(sorted(Counter(e.kind for e in expected_alerts(scenario, days)).items()))


def _expected(scenario: Scenario, track: RouteTrack, n: int, incident: Incident) -> ExpectedAlert:
    day = scenario.traffic.start_date + timedelta(days=incident.day)
    midnight = datetime.combine(day, datetime.min.time(), UTC)
    kind = ALERT_KIND[incident.kind]

    def alert(subject: str, subject_kind: str, start: datetime, end: datetime) -> ExpectedAlert:
        return ExpectedAlert(kind, subject, subject_kind, start, end, n, incident.day)

    if incident.kind in DETOUR_VEHICLES:
        trip = next(
            t
            for t in incident_trips(scenario, track, incident.day, day)
            if t.vehicle.plate.endswith(f"9{n:03d}")
        )
        window = detour_window(scenario, track, trip)
        return alert(trip.vehicle.plate, "vehicle", window.start, window.end)
    if incident.kind is IncidentKind.UNREGISTERED_VEHICLE:
        # Its time is drawn with the day's traffic; it presents itself during traffic hours.
        plate = f"SIM UNREG {incident.day:04d}"
        return alert(plate, "vehicle", midnight, midnight + timedelta(days=1))
    if incident.kind is IncidentKind.UNKNOWN_DEVICE:
        begin = starts(incident, day)
        end = begin + timedelta(minutes=incident.minutes or 0)
        return alert(unknown_device_id(incident.day), "device", begin, end)
    if incident.kind is IncidentKind.SILENT_POST:
        assert incident.post is not None
        window = silences(scenario, incident.day, day)[incident.post]
        return alert(incident.post, "post", window.start, window.end)
    if incident.kind is IncidentKind.CREW_ZONE:
        crew = next(c for c in scenario.crews if c.id == incident.crew)
        out_at, back_at = crew_outing(crew, incident, day)
        return alert(crew.id, "crew", out_at, back_at)
    if incident.kind is IncidentKind.CONVOY:
        spec = next(c for c in scenario.convoys if c.id == incident.convoy)
        leaves = datetime.combine(day, spec.departure, UTC)
        return alert(convoy_id(day, spec), "convoy", leaves, midnight + timedelta(days=1))
    # A disruption opens once its low hours are sustained, on its first day; _expected_flows
    # gives one alert per direction.
    raise AssertionError(incident.kind)


def _expected_flows(scenario: Scenario, n: int, incident: Incident) -> list[ExpectedAlert]:
    """A disruption stops both directions: one alert for each direction's whole flow."""
    day = scenario.traffic.start_date + timedelta(days=incident.day)
    midnight = datetime.combine(day, datetime.min.time(), UTC)
    until = midnight + timedelta(days=incident.days)
    return [
        ExpectedAlert("disruption", f"{d}/all", "flow", midnight, until, n, incident.day)
        for d in Direction
    ]
