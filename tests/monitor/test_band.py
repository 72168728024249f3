"""left_band: the vectorised band check and the hysteresis rule, synthetic and Lachin."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corridor.geo import CorridorGeometry
from corridor.monitor import (
    AlertKind,
    ChangeKind,
    LeftBandConfig,
    LeftBandRule,
    PositionFix,
    SubjectKind,
    band_excess_m,
    outside_band,
)
from corridor.monitor.band import excess_xy
from corridor.sim.scenario import Scenario
from tests.monitor.factories import T0, fix, off_route, off_route_many


def test_excess_is_distance_outside_the_edge(geometry: CorridorGeometry) -> None:
    offsets = np.array([0.0, 2400.0, -2600.0, 3000.0, 10_000.0])
    lons, lats = off_route_many(geometry, np.full(5, 15_000.0), offsets, T0)
    excess = band_excess_m(geometry, lons, lats, T0)
    assert excess == pytest.approx([-2500.0, -100.0, 100.0, 500.0, 7500.0], abs=0.5)
    assert outside_band(geometry, lons, lats, T0).tolist() == [False, False, True, True, True]


def test_fixes_beyond_an_end_of_the_route_are_neutral(geometry: CorridorGeometry) -> None:
    south = geometry.version_at(T0).line_lonlat.coords[0]
    before_start = (south[0], south[1] - 0.02)  # about 2.2 km before the route starts
    far_before = (south[0], south[1] - 0.05)  # 5.5 km before: beyond the end, not beside it
    excess = band_excess_m(
        geometry, [before_start[0], far_before[0]], [before_start[1], far_before[1]], T0
    )
    assert excess[0] < 0  # within half a width of the end: inside by distance
    assert np.isnan(excess[1])
    assert not outside_band(geometry, [far_before[0]], [far_before[1]], T0)[0]


def test_the_batch_path_agrees_with_plain_distance(lachin_geometry: CorridorGeometry) -> None:
    rng = np.random.default_rng(7)
    n = 100_000
    chainages = rng.uniform(0, lachin_geometry.route_length_m(T0), n)
    offsets = rng.normal(0, 1500, n)
    lons, lats = off_route_many(lachin_geometry, chainages, offsets, T0)
    out = outside_band(lachin_geometry, lons, lats, T0)
    plain = lachin_geometry.distance_many(lons, lats, T0) > 2500.0
    # The same answer as the plain distance, except where the end rule makes fixes neutral.
    assert out.sum() > 0.02 * n
    with np.errstate(invalid="ignore"):
        assert (out == (band_excess_m(lachin_geometry, lons, lats, T0) > 0)).all()
    assert not (out & ~plain).any()
    assert (plain & ~out).sum() < 0.001 * n


def test_each_fix_is_judged_against_the_route_in_force_at_its_time(
    lachin: Scenario, lachin_geometry: CorridorGeometry
) -> None:
    # Lachin / Berdzor city lies in the band of route 1 and outside the band of route 2.
    city = lachin.corridor.post("P10").point
    before, after = date(2021, 6, 1), date(2023, 6, 1)
    times = np.array(["2021-06-01T10:00", "2023-06-01T10:00"], dtype="datetime64[us]")
    xs, ys = lachin_geometry.projection.to_metres([city[0]] * 2, [city[1]] * 2)
    excess = excess_xy(lachin_geometry, xs, ys, times)
    assert excess[0] < -2000 and excess[1] > 1000
    assert band_excess_m(lachin_geometry, [city[0]], [city[1]], before)[0] == pytest.approx(
        excess[0]
    )
    assert band_excess_m(lachin_geometry, [city[0]], [city[1]], after)[0] == pytest.approx(
        excess[1]
    )


def drive(
    geometry: CorridorGeometry, offsets: list[float], start: datetime = T0
) -> list[PositionFix]:
    """Fixes a minute apart at growing chainage, at the given offsets from the route."""
    fixes = []
    for n, offset in enumerate(offsets):
        at = start + timedelta(minutes=n)
        fixes.append(fix(off_route(geometry, 5_000 + 100 * n, offset, at), at, fix_id=f"f{n}"))
    return fixes


def test_opens_at_the_first_fix_well_outside_and_closes_well_inside(
    geometry: CorridorGeometry,
) -> None:
    rule = LeftBandRule(geometry)
    fixes = drive(geometry, [0, 1000, 2400, 3500, 3600, 2450, 2300, 0])
    changes = rule.on_positions(fixes)
    assert [c.change for c in changes] == [ChangeKind.OPENED, ChangeKind.CLOSED]
    opened, closed = (c.alert for c in changes)
    assert opened.kind is AlertKind.LEFT_BAND and opened.subject == "veh-1"
    assert opened.opened_at == T0 + timedelta(minutes=3)
    assert opened.evidence == ("f3",)
    assert opened.figures["excess_m"] == pytest.approx(1000, abs=1)
    assert opened.figures["route_version"] == 1
    # 2450 is inside by only 50 m: still open; 2300 is inside by 200 m: closed.
    assert closed.closed_at == T0 + timedelta(minutes=6)
    assert closed.figures["back_inside_m"] == pytest.approx(200, abs=1)
    assert closed.figures["outside_min"] == 3.0
    assert not rule.alerts


def test_opens_after_three_fixes_just_outside(geometry: CorridorGeometry) -> None:
    rule = LeftBandRule(geometry)
    changes = rule.on_positions(drive(geometry, [2550, 2560, 2540, 2570]))
    assert len(changes) == 1
    assert changes[0].alert.opened_at == T0 + timedelta(minutes=2)
    assert changes[0].alert.evidence == ("f0", "f1", "f2")


def test_gps_noise_at_the_edge_does_not_flap(geometry: CorridorGeometry) -> None:
    rng = np.random.default_rng(3)
    # Before: alternating either side of the edge never makes three outside in a row.
    rule = LeftBandRule(geometry)
    assert rule.on_positions(drive(geometry, [2480, 2520] * 20)) == []
    # After opening, noise of +-60 m around the edge never closes it.
    noisy = (2500 + rng.uniform(-60, 60, 200)).tolist()
    changes = rule.on_positions(drive(geometry, [3000, *noisy], T0 + timedelta(hours=2)))
    assert [c.change for c in changes] == [ChangeKind.OPENED]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(-95.0, 40.0), min_size=5, max_size=40))
def test_any_edge_noise_after_opening_keeps_one_alert(offsets: list[float]) -> None:
    from tests.monitor.factories import straight_corridor

    geometry = _GEOMETRY.setdefault("g", CorridorGeometry(straight_corridor()))
    rule = LeftBandRule(geometry)
    changes = rule.on_positions(drive(geometry, [3000.0] + [2500.0 + o for o in offsets]))
    assert [c.change for c in changes] == [ChangeKind.OPENED]


_GEOMETRY: dict[str, CorridorGeometry] = {}


def test_vehicle_in_the_band_all_day_raises_nothing(geometry: CorridorGeometry) -> None:
    rng = np.random.default_rng(1)
    rule = LeftBandRule(geometry)
    assert rule.on_positions(drive(geometry, rng.normal(0, 15, 70).tolist())) == []


def test_crews_are_left_to_the_crew_rule_and_late_fixes_ignored(geometry: CorridorGeometry) -> None:
    rule = LeftBandRule(geometry)
    far = off_route(geometry, 10_000, 5000, T0)
    assert rule.on_position(fix(far, T0, subject="crew-1", kind=SubjectKind.CREW)) == []
    rule.on_position(fix(off_route(geometry, 10_000, 0, T0), T0 + timedelta(minutes=5)))
    assert rule.on_position(fix(far, T0)) == []  # older than what was judged already
    tracking = LeftBandRule(geometry, LeftBandConfig(track_crews=True))
    assert len(tracking.on_position(fix(far, T0, subject="crew-1", kind=SubjectKind.CREW))) == 1


def test_state_is_forgotten_but_open_alerts_stay(geometry: CorridorGeometry) -> None:
    rule = LeftBandRule(geometry)
    rule.on_positions(drive(geometry, [3000, 2600]))
    rule.tick(T0 + timedelta(days=1))
    assert len(rule.alerts) == 1 and not rule._runs
    back = rule.on_position(fix(off_route(geometry, 10_000, 0, T0), T0 + timedelta(days=1)))
    assert [c.change for c in back] == [ChangeKind.CLOSED]


def test_the_lachin_route_switch_sends_a_vehicle_on_the_old_road_out_of_the_band(
    lachin: Scenario, lachin_geometry: CorridorGeometry
) -> None:
    city = lachin.corridor.post("P10").point
    rule = LeftBandRule(lachin_geometry)
    old_day = datetime(2022, 8, 31, 10, 0, tzinfo=UTC)
    new_day = datetime(2022, 9, 1, 10, 0, tzinfo=UTC)
    assert rule.on_position(fix(city, old_day)) == []
    changes = rule.on_position(fix(city, new_day, fix_id="in-city"))
    assert len(changes) == 1
    alert = changes[0].alert
    assert alert.figures["route_version"] == 2 and alert.evidence == ("in-city",)
    assert "route version 2" in alert.summary
