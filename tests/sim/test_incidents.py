"""Every incident of the shipped scenario is injected on its day, and the ground truth lists it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from shapely.geometry import Point, Polygon

from corridor.geo.band import CorridorGeometry
from corridor.model.events import PublicEntry
from corridor.model.signing import SignedPassage
from corridor.model.vocabulary import PassageKind
from corridor.sim.ground_truth import alert_subject, expected_alerts, expected_by_kind
from corridor.sim.registry import ConvoyRecord, PostSync, device_id, unknown_device_id
from corridor.sim.scenario import (
    Incident,
    IncidentKind,
    IncidentVariant,
    Scenario,
    check_scenario,
    default_scenario_path,
    load_scenario,
)
from corridor.sim.tracking import TrackerFix
from corridor.sim.traffic import Simulation
from corridor.sim.trips import travel_time

DAYS = 11
SEED = 3


@dataclass
class Day:
    entries: list[tuple[PublicEntry, str]] = field(default_factory=list)  # with the plate
    syncs: list[PostSync] = field(default_factory=list)
    convoys: list[ConvoyRecord] = field(default_factory=list)
    fixes: dict[str, list[TrackerFix]] = field(default_factory=dict)


@pytest.fixture(scope="module")
def lachin() -> Scenario:
    return load_scenario(default_scenario_path())


@pytest.fixture(scope="module")
def run(lachin: Scenario) -> list[Day]:
    """Eleven days; fixes kept only for the incidents' trackers and the crews'."""
    simulation = Simulation(lachin, SEED)
    watched = {device_id(f"SIM TR 9{n:03d}") for n in range(len(lachin.incidents))}
    watched |= {device_id(c.id) for c in lachin.crews}
    watched |= {unknown_device_id(n) for n in range(DAYS)}
    days = []
    for simulated in simulation.days(DAYS):
        day = Day(syncs=simulated.syncs, convoys=simulated.convoys)
        for s in simulated.submissions:
            day.entries.append((SignedPassage.from_bytes(s.raw).entry, s.private.plate))
        for fix in simulated.fixes():
            if fix.device_id in watched:
                day.fixes.setdefault(fix.device_id, []).append(fix)
        days.append(day)
    return days


def incident(lachin: Scenario, kind: IncidentKind) -> tuple[int, Incident]:
    return next((n, i) for n, i in enumerate(lachin.incidents) if i.kind is kind)


def metres(geometry: CorridorGeometry, fixes: list[TrackerFix]) -> tuple[np.ndarray, np.ndarray]:
    return geometry.projection.to_metres([f.lon for f in fixes], [f.lat for f in fixes])


def test_a_days_incidents_differ_and_quiet_days(lachin: Scenario) -> None:
    assert {i.kind for i in lachin.incidents} == set(IncidentKind)
    days = [i.day for i in lachin.incidents]
    for day in set(days):
        on_day = [i for i in lachin.incidents if i.day == day]
        assert len({i.kind for i in on_day}) == len(on_day), day
        named = [s for i in on_day for s in (i.post, i.crew, i.convoy) if s is not None]
        assert len(set(named)) == len(named), day
    disruption = next(i for i in lachin.incidents if i.kind is IncidentKind.DISRUPTION)
    assert days.count(disruption.day) == 1
    assert not {0, 1, 11, 12, 13} & set(days)


def test_the_band_incident_goes_clearly_out_and_comes_back(
    lachin: Scenario, run: list[Day]
) -> None:
    n, leaves = incident(lachin, IncidentKind.LEAVES_BAND)
    fixes = run[leaves.day].fixes[device_id(f"SIM TR 9{n:03d}")]
    geometry = CorridorGeometry(lachin.corridor)
    day = fixes[0].at.date()
    distance = geometry.distance_many([f.lon for f in fixes], [f.lat for f in fixes], day)
    half = lachin.corridor.width_m / 2
    assert leaves.offset_m is not None
    assert 0 <= distance.max() - leaves.offset_m < 150  # as far as the scenario says
    assert (distance > half + 500).sum() >= 5  # clearly out, for several fixes
    assert distance[-1] < 20 and not (distance[-10:] > half).any()  # and back on the road
    other = run[leaves.day - 1].fixes.get(device_id(f"SIM TR 9{n:03d}"))
    assert other is None  # only on its day


def test_the_overdue_truck_is_late_by_its_minutes(lachin: Scenario, run: list[Day]) -> None:
    n, overdue = incident(lachin, IncidentKind.OVERDUE)
    trips = [(e, p) for e, p in run[overdue.day].entries if p == f"SIM TR 9{n:03d}"]
    passed = next(e for e, _ in trips if e.kind is PassageKind.PASSED)
    arrived = next(e for e, _ in trips if e.kind is PassageKind.ARRIVED)
    taken = arrived.observed_at - passed.observed_at
    assert taken == travel_time(lachin) + timedelta(minutes=overdue.minutes or 0)
    fixes = run[overdue.day].fixes[device_id(f"SIM TR 9{n:03d}")]
    # It crawls, it does not stop: never 45 minutes within 75 m of one place.
    xs, ys = metres(CorridorGeometry(lachin.corridor), fixes)
    for k in range(len(fixes) - 45):
        window = np.hypot(xs[k : k + 45] - xs[k], ys[k : k + 45] - ys[k])
        assert window.max() > 75 or k < 5 or k > len(fixes) - 50


def test_the_long_stop_stands_away_from_posts(lachin: Scenario, run: list[Day]) -> None:
    n, stop = incident(lachin, IncidentKind.LONG_STOP)
    fixes = run[stop.day].fixes[device_id(f"SIM TR 9{n:03d}")]
    still = [f for f in fixes if f.speed_mps == 0]
    geometry = CorridorGeometry(lachin.corridor)
    posts = [geometry.projection.point_to_metres(*p.point) for p in lachin.corridor.posts]
    xs, ys = metres(geometry, still)
    away = [
        f
        for f, x, y in zip(still, xs, ys, strict=True)
        if min(Point(x, y).distance(Point(p)) for p in posts) > 1000
    ]
    span = away[-1].at - away[0].at
    assert (
        timedelta(minutes=(stop.minutes or 0) - 2) <= span <= timedelta(minutes=stop.minutes or 0)
    )


def test_the_silent_post_neither_records_nor_syncs(lachin: Scenario, run: list[Day]) -> None:
    _, silent = incident(lachin, IncidentKind.SILENT_POST)
    assert silent.at is not None and silent.minutes is not None
    day = run[silent.day]
    start = datetime.combine(lachin.traffic.start_date, silent.at, tzinfo=None)
    start = start.replace(tzinfo=day.syncs[0].at.tzinfo) + timedelta(days=silent.day)
    end = start + timedelta(minutes=silent.minutes)
    heard = sorted(
        [s.at for s in day.syncs if s.post_id == silent.post]
        + [e.observed_at for e, _ in day.entries if e.post == silent.post]
    )
    assert not [t for t in heard if start <= t < end]
    gaps = [b - a for a, b in zip(heard, heard[1:], strict=False)]
    assert max(gaps) >= timedelta(minutes=silent.minutes) - timedelta(minutes=10)
    ordinary = sorted(s.at for s in run[silent.day - 1].syncs if s.post_id == silent.post)
    assert max(b - a for a, b in zip(ordinary, ordinary[1:], strict=False)) <= timedelta(minutes=10)


def test_the_crew_leaves_its_zone_only_on_its_day(lachin: Scenario, run: list[Day]) -> None:
    _, outing = incident(lachin, IncidentKind.CREW_ZONE)
    crew = next(c for c in lachin.crews if c.id == outing.crew)
    geometry = CorridorGeometry(lachin.corridor)
    zone = Polygon([geometry.projection.point_to_metres(*p) for p in crew.zone])
    for offset, day in enumerate(run):
        fixes = day.fixes[device_id(crew.id)]
        xs, ys = metres(geometry, fixes)
        outside = np.array([zone.distance(Point(x, y)) for x, y in zip(xs, ys, strict=True)])
        start, end = (
            datetime.combine(fixes[0].at.date(), t, fixes[0].at.tzinfo) for t in crew.window
        )
        assert all(start <= f.at < end for f in fixes)
        if offset == outing.day:
            assert outing.offset_m is not None
            assert abs(outside.max() - outing.offset_m) < 20
            assert (outside > 200).sum() >= 10
        else:
            assert outside.max() == 0


def test_the_convoy_straggler_falls_behind_at_the_exit_only(
    lachin: Scenario, run: list[Day]
) -> None:
    _, late = incident(lachin, IncidentKind.CONVOY)
    for offset, day in enumerate(run):
        for convoy in day.convoys:
            members = list(convoy.members)
            for kind in (PassageKind.PASSED, PassageKind.ARRIVED):
                times = {
                    p: e.observed_at
                    for e, p in day.entries
                    if e.convoy == convoy.convoy_id and e.kind is kind
                }
                order = sorted(members, key=lambda p: times[p])
                gaps = [times[b] - times[a] for a, b in zip(order, order[1:], strict=False)]
                straggling = convoy.convoy_id.endswith(f"-{late.convoy}") and offset == late.day
                overtaken = any(
                    convoy.convoy_id.endswith(f"-{i.convoy}") and offset == i.day
                    for i in lachin.incidents
                    if i.variant is IncidentVariant.OUT_OF_ORDER
                )
                if straggling and kind is PassageKind.ARRIVED:
                    assert gaps[-1] >= timedelta(minutes=late.minutes or 0)
                elif overtaken and kind is PassageKind.ARRIVED:
                    assert order[:2] == members[1::-1]  # tests/sim/test_incident_variants.py
                else:
                    assert order == members and max(gaps) <= timedelta(minutes=5)


def test_the_unknown_device_reports_on_its_day(lachin: Scenario, run: list[Day]) -> None:
    _, unknown = incident(lachin, IncidentKind.UNKNOWN_DEVICE)
    registered = {d.device_id for d in Simulation(lachin, SEED).devices}
    device = unknown_device_id(unknown.day)
    assert device not in registered
    fixes = run[unknown.day].fixes[device]
    assert fixes[-1].at - fixes[0].at >= timedelta(minutes=(unknown.minutes or 0) - 1)
    assert all(device not in day.fixes for n, day in enumerate(run) if n != unknown.day)


def test_the_disruption_day_carries_a_trickle(lachin: Scenario, run: list[Day]) -> None:
    _, disruption = incident(lachin, IncidentKind.DISRUPTION)
    passed = [sum(e.kind is PassageKind.PASSED for e, _ in day.entries) for day in run]
    assert passed[disruption.day] < 0.15 * passed[disruption.day - 1]


def test_ground_truth_one_alert_per_incident(lachin: Scenario) -> None:
    expected = expected_alerts(lachin, 14)
    per_incident = [sum(e.incident == n for e in expected) for n in range(len(lachin.incidents))]
    # One each; a disruption stops both directions, and each direction is its own alert.
    assert per_incident == [2 if i.kind is IncidentKind.DISRUPTION else 1 for i in lachin.incidents]
    assert expected_by_kind(lachin, 14) == {
        "convoy": 2,
        "crew_zone": 2,
        "crew_zone_entry": 1,
        "disruption": 2,
        "left_band": 1,
        "long_stop": 1,
        "overdue": 1,
        "silent_post": 1,
        "unknown_device": 1,
        "unknown_vehicle": 1,
    }
    start = lachin.traffic.start_date
    for e in expected:
        assert e.opens_from.date() - start == timedelta(days=e.day) and e.opens_from < e.opens_until
    assert expected_by_kind(lachin, 2) == {}
    assert [e.kind for e in expected_alerts(lachin, 3)] == ["silent_post"]
    assert sorted(e.kind for e in expected_alerts(lachin, 4)) == [
        "crew_zone",
        "left_band",
        "silent_post",
    ]
    simulation = Simulation(lachin, SEED)
    vehicle = next(e for e in expected if e.kind == "overdue")
    assert alert_subject(vehicle, simulation.pseudonym_key) != vehicle.subject


def test_ground_truth_windows_hold_the_injected_times(lachin: Scenario, run: list[Day]) -> None:
    expected = {e.kind: e for e in expected_alerts(lachin, DAYS)}
    n, _ = incident(lachin, IncidentKind.LONG_STOP)
    stop = expected["long_stop"]
    still = [f for f in run[stop.day].fixes[device_id(stop.subject)] if f.speed_mps == 0]
    inside = [f for f in still if stop.opens_from <= f.at <= stop.opens_until]
    assert stop.subject == f"SIM TR 9{n:03d}" and len(inside) >= 55
    band = expected["left_band"]
    fixes = run[band.day].fixes[device_id(band.subject)]
    geometry = CorridorGeometry(lachin.corridor)
    out = geometry.distance_many([f.lon for f in fixes], [f.lat for f in fixes], fixes[0].at.date())
    times = [f.at for f, d in zip(fixes, out, strict=True) if d > lachin.corridor.width_m / 2]
    assert band.opens_from <= times[0] and times[-1] <= band.opens_until


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_bad_incident_parameters_name_the_line_and_field(tmp_path: Path) -> None:
    text = default_scenario_path().read_text(encoding="utf-8")
    for old, new in (
        ("    crew: CR1\n", "    crew: CR9\n"),
        ("    convoy: R1\n", "    convoy: R9\n"),
        ('    at: "20:30"\n', '    at: "12:00"\n'),
        ("    day: 10\n", "    day: 9\n"),
        ("    offset_m: 600\n", ""),
        ("buses: 5, headway_s: 120}\n  - {id: R2", "buses: 1, headway_s: 120}\n  - {id: R2"),
    ):
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    lines = text.splitlines()

    def line(needle: str) -> int:
        return next(n for n, t in enumerate(lines, start=1) if needle in t)

    problems = check_scenario(_write(tmp_path, text))
    expected = {
        (line("crew: CR9"), "incidents[6].crew: unknown crew 'CR9' (crews: CR1, CR2)"),
        (
            line("convoy: R9"),
            "incidents[7].convoy: unknown convoy 'R9' (convoys: R1, R2, R3, R4, R5)",
        ),
        (
            line('at: "12:00"'),
            "incidents[5].at: the silence must fall in the quiet night (20:00 to 02:00 UTC), "
            "when no vehicle needs the post",
        ),
        (
            line("  - kind: unknown_device") + 1,
            "incidents[8].day: day 9 already has incidents[4]: a day's incidents need "
            "different kinds and subjects (a disruption day no other), so each alert has one "
            "cause",
        ),
        (
            line("  - kind: crew_zone"),
            "incidents[6]: a crew_zone leaves_zone incident needs 'offset_m'",
        ),
        (line("{id: R1,"), "convoys[0].buses: a convoy has at least two buses"),
    }
    found = {(int(p.split(":")[1]), p.split(": ", 1)[1]) for p in problems}
    assert found == expected, problems
