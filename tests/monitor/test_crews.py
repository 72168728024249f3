"""crew_zone and crew_zone_entry: crews against their assignments, vehicles against zones."""

from __future__ import annotations

from datetime import timedelta

import pytest

from corridor.errors import ValidationError
from corridor.geo import CorridorGeometry
from corridor.monitor import (
    AlertKind,
    ChangeKind,
    CrewAssignment,
    CrewZoneRule,
    PositionFix,
    Severity,
    SubjectKind,
)
from tests.monitor.factories import T0, fix, off_route

WINDOW = (T0, T0 + timedelta(hours=8))


def zone(geometry: CorridorGeometry) -> tuple[tuple[float, float], ...]:
    """A 1 km square from 500 m to 1500 m east of the route, chainage 15 to 16 km."""
    corners = [(15_000, 500), (15_000, 1500), (16_000, 1500), (16_000, 500)]
    return tuple(off_route(geometry, c, side, T0) for c, side in corners)


@pytest.fixture
def rule(geometry: CorridorGeometry) -> CrewZoneRule:
    return CrewZoneRule(geometry, [CrewAssignment("crew-1", zone(geometry), *WINDOW)])


def crew_at(
    geometry: CorridorGeometry, side: float, minutes: int, fix_id: str = "c"
) -> PositionFix:
    at = T0 + timedelta(minutes=minutes)
    where = off_route(geometry, 15_500, side, at)
    return fix(where, at, subject="crew-1", device="trk-c", kind=SubjectKind.CREW, fix_id=fix_id)


def test_a_crew_in_its_zone_in_its_hours_raises_nothing(
    rule: CrewZoneRule, geometry: CorridorGeometry
) -> None:
    assert rule.on_positions([crew_at(geometry, 1000, n * 10) for n in range(40)]) == []


def test_a_crew_far_outside_its_zone_opens_and_closes_when_back(
    rule: CrewZoneRule, geometry: CorridorGeometry
) -> None:
    changes = rule.on_positions(
        [
            crew_at(geometry, 1000, 0),
            crew_at(geometry, 1800, 10, "out"),
            crew_at(geometry, 1000, 20),
        ]
    )
    assert [c.change for c in changes] == [ChangeKind.OPENED, ChangeKind.CLOSED]
    alert = changes[0].alert
    assert alert.kind is AlertKind.CREW_ZONE and alert.key == "crew_zone:crew-1:zone"
    assert alert.subject == "crew-1" and alert.opened_at == T0 + timedelta(minutes=10)
    assert alert.evidence == ("out",) and alert.figures["excess_m"] == pytest.approx(300, abs=2)


def test_a_crew_working_at_its_edge_does_not_flap(
    rule: CrewZoneRule, geometry: CorridorGeometry
) -> None:
    # Three fixes just outside open it; then +-15 m of noise at the edge never closes it.
    edge = [1500 + d for d in (10, 15, 5, -10, 15, -15, 5, 12, -5, 8, 14, -12, -15, 3) * 3]
    changes = rule.on_positions([crew_at(geometry, side, n) for n, side in enumerate(edge)])
    assert [c.change for c in changes] == [ChangeKind.OPENED]


def test_a_crew_outside_its_hours_is_reported_until_its_next_window(
    geometry: CorridorGeometry,
) -> None:
    tomorrow = (WINDOW[0] + timedelta(days=1), WINDOW[1] + timedelta(days=1))
    rule = CrewZoneRule(
        geometry,
        [
            CrewAssignment("crew-1", zone(geometry), *WINDOW),
            CrewAssignment("crew-1", zone(geometry), *tomorrow),
        ],
    )
    assert rule.on_position(crew_at(geometry, 1000, 8 * 60 + 10)) == []  # within the grace
    changes = rule.on_position(crew_at(geometry, 1000, 8 * 60 + 30, "late"))
    alert = changes[0].alert
    assert alert.key == "crew_zone:crew-1:hours" and alert.evidence == ("late",)
    assert alert.figures["last_window_end"] == "2021-01-10T14:00:00Z"
    assert alert.figures["next_window_start"] == "2021-01-11T06:00:00Z"
    assert rule.on_position(crew_at(geometry, 1000, 8 * 60 + 20)) == []  # an older fix
    closed = rule.on_position(crew_at(geometry, 1000, 24 * 60 + 5))
    assert [c.change for c in closed] == [ChangeKind.CLOSED]


def test_a_vehicle_entering_a_working_zone_is_noticed(
    rule: CrewZoneRule, geometry: CorridorGeometry
) -> None:
    def car(side: float, minutes: int) -> PositionFix:
        at = T0 + timedelta(minutes=minutes)
        return fix(off_route(geometry, 15_500, side, at), at, subject="car-9", fix_id=f"k{minutes}")

    changes = rule.on_positions([car(0, 0), car(480, 1), car(700, 2), car(1490, 3), car(0, 4)])
    assert [c.change for c in changes] == [ChangeKind.OPENED, ChangeKind.CLOSED]
    alert = changes[0].alert
    assert alert.kind is AlertKind.CREW_ZONE_ENTRY and alert.severity is Severity.INFO
    assert alert.subject == "car-9" and alert.evidence == ("k2",)
    assert alert.figures["crew"] == "crew-1"
    # Outside the window the zone is not in use.
    night = T0 + timedelta(hours=12)
    assert rule.on_position(fix(off_route(geometry, 15_500, 1000, night), night)) == []


def test_assignments_are_validated(geometry: CorridorGeometry) -> None:
    with pytest.raises(ValidationError, match="ends_at: a crew's window must end after"):
        CrewAssignment("c", zone(geometry), WINDOW[1], WINDOW[0])
    with pytest.raises(ValidationError, match="zone: a zone needs at least three points"):
        CrewAssignment("c", zone(geometry)[:2], *WINDOW)
    bow = zone(geometry)
    with pytest.raises(ValidationError, match="is not a polygon"):
        CrewAssignment("c", (bow[0], bow[2], bow[1], bow[3]), *WINDOW)
