"""overdue: legs between consecutive active checkpoints, by chainage and direction."""

from __future__ import annotations

from datetime import timedelta

import pytest

from corridor.geo import CorridorGeometry
from corridor.model.vocabulary import Direction, PassageKind, VehicleClass
from corridor.monitor import AlertKind, ChangeKind, OverdueRule, TransitConfig
from corridor.sim.scenario import Scenario
from tests.monitor.factories import T0, passage

ACTIVE = frozenset({"P01", "P03", "P04"})


@pytest.fixture
def rule(geometry: CorridorGeometry) -> OverdueRule:
    return OverdueRule(geometry, ACTIVE)


def test_a_truck_that_does_not_reach_the_next_checkpoint_is_overdue(rule: OverdueRule) -> None:
    start = passage("P01", T0, event_id="ev-a")
    assert rule.on_passage(start) == []
    leg = rule.leg("veh-1")
    assert leg is not None and leg.to_post == "P03"
    # About 18.9 km at 30 km/h for a truck: 38 min expected, plus the 30 min minimum margin.
    assert leg.expected.total_seconds() / 60 == pytest.approx(37.8, abs=0.5)
    assert leg.allowed == leg.expected + timedelta(minutes=30)
    assert rule.tick(leg.due - timedelta(seconds=1)) == []
    changes = rule.tick(leg.due + timedelta(minutes=20))
    assert len(changes) == 1
    alert = changes[0].alert
    assert alert.kind is AlertKind.OVERDUE and alert.subject == "veh-1"
    assert alert.opened_at == leg.due  # when it became overdue, not when the tick ran
    assert alert.evidence == ("ev-a",)
    assert alert.figures["from_post"] == "P01" and alert.figures["to_post"] == "P03"
    assert rule.tick(leg.due + timedelta(hours=1)) == []  # no duplicate

    arrival = leg.passed_at + timedelta(minutes=100)
    closed = rule.on_passage(passage("P03", arrival, kind=PassageKind.ARRIVED, event_id="ev-b"))
    assert [c.change for c in closed] == [ChangeKind.CLOSED]
    done = closed[0].alert
    assert done.closed_at == arrival and done.evidence == ("ev-a", "ev-b")
    assert done.figures["actual_min"] == 100.0 and done.figures["reached"] == 1
    assert done.figures["late_by_min"] == pytest.approx(100 - 67.8, abs=0.5)
    assert not rule.alerts


def test_on_time_vehicles_move_from_leg_to_leg_without_alerts(rule: OverdueRule) -> None:
    rule.on_passage(passage("P01", T0, vehicle_class=VehicleClass.CAR))
    rule.on_passage(passage("P03", T0 + timedelta(minutes=30), vehicle_class=VehicleClass.CAR))
    leg = rule.leg("veh-1")
    assert leg is not None and leg.from_post == "P03" and leg.to_post == "P04"
    rule.on_passage(passage("P04", T0 + timedelta(minutes=60), kind=PassageKind.ARRIVED))
    assert rule.leg("veh-1") is None
    assert rule.tick(T0 + timedelta(days=1)) == []


def test_outbound_runs_down_the_chainage(rule: OverdueRule) -> None:
    rule.on_passage(passage("P04", T0, direction=Direction.OUTBOUND))
    leg = rule.leg("veh-1")
    assert leg is not None and leg.to_post == "P03"
    assert rule.on_passage(passage("P01", T0, direction=Direction.OUTBOUND)) == []  # turned up


def test_observation_posts_and_the_last_checkpoint_start_no_leg(rule: OverdueRule) -> None:
    rule.on_passage(passage("P04", T0))  # the last checkpoint inbound
    assert rule.leg("veh-1") is None
    rule.on_passage(passage("P02", T0 + timedelta(hours=1)))  # an observation post mid-way
    leg = rule.leg("veh-1")
    assert leg is not None and leg.from_post == "P02" and leg.to_post == "P03"


def test_an_arrival_beyond_a_missing_record_still_closes(rule: OverdueRule) -> None:
    rule.on_passage(passage("P01", T0))
    rule.tick(T0 + timedelta(hours=3))
    changes = rule.on_passage(passage("P04", T0 + timedelta(hours=4), kind=PassageKind.ARRIVED))
    assert changes[0].alert.figures["reached"] == 1
    assert changes[0].alert.figures["arrived_post"] == "P04"


def test_a_vehicle_seen_back_where_it_came_from_closes_as_not_reached(rule: OverdueRule) -> None:
    rule.on_passage(passage("P03", T0))
    rule.tick(T0 + timedelta(hours=3))
    back = passage("P03", T0 + timedelta(hours=4), direction=Direction.OUTBOUND)
    changes = rule.on_passage(back)
    assert changes[0].alert.figures["reached"] == 0
    assert "not at North gate" in changes[0].alert.summary
    assert rule.leg("veh-1") is not None  # and its outbound leg begins


def test_duplicates_and_late_records_do_not_restart_a_leg(rule: OverdueRule) -> None:
    first = passage("P01", T0, event_id="ev-1")
    rule.on_passage(first)
    rule.on_passage(first)
    leg = rule.leg("veh-1")
    rule.on_passage(passage("P01", T0 - timedelta(hours=1)))  # an older record synced late
    assert rule.leg("veh-1") == leg


def test_speeds_margins_and_direction_factors_are_settings(geometry: CorridorGeometry) -> None:
    slow = TransitConfig(
        margin=timedelta(minutes=5),
        margin_fraction=0.0,
        direction_factor={Direction.INBOUND: 2.0, Direction.OUTBOUND: 1.0},
    )
    rule = OverdueRule(geometry, ACTIVE, slow)
    rule.on_passage(passage("P01", T0, vehicle_class=VehicleClass.CAR))
    leg = rule.leg("veh-1")
    assert leg is not None
    assert leg.expected.total_seconds() / 60 == pytest.approx(2 * 18.9 / 40 * 60, abs=0.5)
    assert leg.allowed == leg.expected + timedelta(minutes=5)


def test_lachin_legs_run_between_the_two_active_gates(
    lachin: Scenario, lachin_geometry: CorridorGeometry
) -> None:
    rule = OverdueRule(lachin_geometry, frozenset({"P01", "P23"}))
    rule.on_passage(passage("P01", T0, vehicle_class=VehicleClass.BUS))
    leg = rule.leg("veh-1")
    assert leg is not None and leg.to_post == "P23"
    assert leg.distance_m == pytest.approx(
        lachin.corridor.post("P23").chainage_m - lachin.corridor.post("P01").chainage_m, abs=5
    )
