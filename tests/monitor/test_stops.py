"""long_stop: standing still too long, away from posts and the ends of the corridor."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np

from corridor.geo import CorridorGeometry
from corridor.monitor import AlertKind, ChangeKind, LongStopRule, PositionFix, SubjectKind
from tests.monitor.factories import T0, fix, off_route


def stand(
    geometry: CorridorGeometry,
    chainage: float,
    minutes: int,
    start: datetime = T0,
    jitter: float = 10.0,
    kind: SubjectKind = SubjectKind.VEHICLE,
) -> list[PositionFix]:
    rng = np.random.default_rng(int(chainage))
    out = []
    for n in range(minutes + 1):
        at = start + timedelta(minutes=n)
        where = off_route(geometry, chainage + rng.normal(0, jitter), rng.normal(0, jitter), at)
        out.append(fix(where, at, fix_id=f"s{n}", kind=kind))
    return out


def test_a_vehicle_standing_an_hour_between_posts_is_a_long_stop(
    geometry: CorridorGeometry,
) -> None:
    rule = LongStopRule(geometry)
    changes = rule.on_positions(stand(geometry, 13_000, 60))
    assert [c.change for c in changes] == [ChangeKind.OPENED]
    alert = changes[0].alert
    assert alert.kind is AlertKind.LONG_STOP and alert.subject == "veh-1"
    assert alert.opened_at == T0 + timedelta(minutes=45)
    assert alert.evidence == ("s0", "s45")
    assert alert.figures["stopped_since"] == "2021-01-10T06:00:00Z"
    assert alert.figures["nearest_post"] == "P02"
    moved = fix(off_route(geometry, 14_000, 0, T0), T0 + timedelta(minutes=70), fix_id="go")
    closed = rule.on_position(moved)
    assert [c.change for c in closed] == [ChangeKind.CLOSED]
    assert closed[0].alert.closed_at == T0 + timedelta(minutes=70)
    assert closed[0].alert.figures["stopped_min"] == 60.0
    assert closed[0].alert.evidence[-1] == "go"


def test_short_stops_slow_traffic_posts_and_the_ends_are_not_long_stops(
    geometry: CorridorGeometry,
) -> None:
    rule = LongStopRule(geometry)
    assert rule.on_positions(stand(geometry, 13_000, 40)) == []
    creeping = [
        fix(off_route(geometry, 5_000 + 100 * n, 0, T0), T0 + timedelta(minutes=n), subject="c")
        for n in range(90)
    ]
    assert rule.on_positions(creeping) == []
    p03 = geometry.chainage_m(*geometry.corridor.post("P03").point, T0)
    assert LongStopRule(geometry).on_positions(stand(geometry, p03 + 300, 120)) == []
    assert LongStopRule(geometry).on_positions(stand(geometry, 200, 120)) == []  # by the south end


def test_crews_at_work_are_not_long_stops(geometry: CorridorGeometry) -> None:
    crew = stand(geometry, 13_000, 180, kind=SubjectKind.CREW)
    assert LongStopRule(geometry).on_positions(crew) == []


def test_a_stopped_vehicle_forgotten_by_the_sweep_keeps_its_anchor(
    geometry: CorridorGeometry,
) -> None:
    rule = LongStopRule(geometry)
    rule.on_positions(stand(geometry, 13_000, 50))
    rule.tick(T0 + timedelta(days=2))
    later = fix(off_route(geometry, 20_000, 0, T0), T0 + timedelta(days=2))
    assert [c.change for c in rule.on_position(later)] == [ChangeKind.CLOSED]
    rule.tick(T0 + timedelta(days=4))
    assert not rule._anchors
