"""The incident variants: a crew working past its window, a truck driving into an active crew
zone, a convoy whose buses reach the exit out of order. Each is injected on its day only, gives
one expected alert, and its parameters are checked with the line and field at fault."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from shapely.geometry import Point, Polygon

from corridor.geo.band import CorridorGeometry
from corridor.model.events import PublicEntry
from corridor.model.signing import SignedPassage
from corridor.model.vocabulary import PassageKind
from corridor.sim.ground_truth import expected_alerts
from corridor.sim.hours import CREW_WINDOW_GRACE
from corridor.sim.registry import ConvoyRecord, device_id
from corridor.sim.scenario import (
    CrewSpec,
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

DAYS = 8  # the variants fall on days 3, 5 and 6
SEED = 5


@dataclass
class Day:
    entries: list[PublicEntry] = field(default_factory=list)
    convoys: list[ConvoyRecord] = field(default_factory=list)
    fixes: dict[str, list[TrackerFix]] = field(default_factory=dict)


@pytest.fixture(scope="module")
def lachin() -> Scenario:
    return load_scenario(default_scenario_path())


@pytest.fixture(scope="module")
def run(lachin: Scenario) -> list[Day]:
    """Eight days; fixes kept only for the incidents' trucks and the crews."""
    watched = {device_id(f"SIM TR 9{n:03d}") for n in range(len(lachin.incidents))}
    watched |= {device_id(c.id) for c in lachin.crews}
    days = []
    for simulated in Simulation(lachin, SEED).days(DAYS):
        day = Day(convoys=simulated.convoys)
        day.entries = [SignedPassage.from_bytes(s.raw).entry for s in simulated.submissions]
        for fix in simulated.fixes():
            if fix.device_id in watched:
                day.fixes.setdefault(fix.device_id, []).append(fix)
        days.append(day)
    return days


def variant(lachin: Scenario, kind: IncidentKind, which: IncidentVariant | None) -> Incident:
    return next(i for i in lachin.incidents if i.kind is kind and i.variant is which)


def crew_of(lachin: Scenario, incident: Incident) -> CrewSpec:
    return next(c for c in lachin.crews if c.id == incident.crew)


def test_loading_fills_in_the_default_variant(lachin: Scenario) -> None:
    kinds = {IncidentKind.CREW_ZONE, IncidentKind.CONVOY}
    for i in lachin.incidents:
        assert (i.variant is not None) == (i.kind in kinds), i
    assert variant(lachin, IncidentKind.CREW_ZONE, IncidentVariant.LEAVES_ZONE).offset_m == 600


def test_the_crew_works_past_its_window_on_its_day_only(lachin: Scenario, run: list[Day]) -> None:
    overtime = variant(lachin, IncidentKind.CREW_ZONE, IncidentVariant.OUTSIDE_WINDOW)
    assert overtime.minutes is not None and overtime.minutes > 2 * 15
    crew = crew_of(lachin, overtime)
    geometry = CorridorGeometry(lachin.corridor)
    zone = Polygon([geometry.projection.point_to_metres(*p) for p in crew.zone])
    for offset, day in enumerate(run):
        fixes = day.fixes[device_id(crew.id)]
        end = datetime.combine(fixes[0].at.date(), crew.window[1], UTC)
        late = [f for f in fixes if f.at >= end + CREW_WINDOW_GRACE]
        if offset == overtime.day:
            # out of hours for most of the overtime, and still at work inside its zone
            assert late[-1].at - late[0].at >= timedelta(minutes=overtime.minutes - 15 - 2)
            assert fixes[-1].at < end + timedelta(minutes=overtime.minutes)
            spots = [Point(geometry.projection.point_to_metres(f.lon, f.lat)) for f in late]
            assert all(zone.contains(spot) for spot in spots)
        else:
            assert all(f.at < end for f in fixes)


def test_the_truck_drives_into_the_active_zone_and_out(lachin: Scenario, run: list[Day]) -> None:
    entry = variant(lachin, IncidentKind.ENTERS_CREW_ZONE, None)
    n = lachin.incidents.index(entry)
    crew = crew_of(lachin, entry)
    geometry = CorridorGeometry(lachin.corridor)
    zone = Polygon([geometry.projection.point_to_metres(*p) for p in crew.zone])
    fixes = run[entry.day].fixes[device_id(f"SIM TR 9{n:03d}")]
    depth = [
        -zone.exterior.distance(p) if zone.contains(p) else zone.distance(p)
        for p in (Point(geometry.projection.point_to_metres(f.lon, f.lat)) for f in fixes)
    ]
    inside = [f for f, d in zip(fixes, depth, strict=True) if d < -25]  # HQ's entry_inside_m
    assert len(inside) >= 5 and depth[-1] > 50  # well in, for a while, and out again
    start, end = (datetime.combine(fixes[0].at.date(), t, UTC) for t in crew.window)
    assert start <= inside[0].at and inside[-1].at < end  # while the crew works there
    # still on the corridor, never far off the road: no other alert
    off = geometry.distance_many([f.lon for f in fixes], [f.lat for f in fixes], start.date())
    assert off.max() < 1000
    expected = [e for e in expected_alerts(lachin, DAYS) if e.incident == n]
    assert [(e.kind, e.subject) for e in expected] == [("crew_zone_entry", f"SIM TR 9{n:03d}")]
    assert expected[0].opens_from <= inside[0].at <= expected[0].opens_until
    assert all(device_id(f"SIM TR 9{n:03d}") not in d.fixes for k, d in enumerate(run) if k != 5)


def test_the_second_bus_overtakes_the_first(lachin: Scenario, run: list[Day]) -> None:
    swap = variant(lachin, IncidentKind.CONVOY, IncidentVariant.OUT_OF_ORDER)
    convoy = next(c for c in run[swap.day].convoys if c.convoy_id.endswith(f"-{swap.convoy}"))
    for kind in (PassageKind.PASSED, PassageKind.ARRIVED):
        times = {
            e.vehicle: e.observed_at
            for e in run[swap.day].entries
            if e.convoy == convoy.convoy_id and e.kind is kind
        }
        order = sorted(times, key=lambda v: times[v])
        gaps = [times[b] - times[a] for a, b in zip(order, order[1:], strict=False)]
        assert max(gaps) <= timedelta(minutes=5)  # together: only the order is wrong
        assert len(order) == len(convoy.members)
        if kind is PassageKind.PASSED:
            first, second = order[:2]
        else:
            assert order[:2] == [second, first]  # at the exit the second is ahead
    n = lachin.incidents.index(swap)
    expected = [e for e in expected_alerts(lachin, DAYS) if e.incident == n]
    assert [(e.kind, e.subject) for e in expected] == [("convoy", convoy.convoy_id)]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _shipped() -> str:
    return default_scenario_path().read_text(encoding="utf-8")


_CLASH = (
    "a day's incidents need different kinds and subjects (a disruption day no other), so each "
    "alert has one cause"
)


@pytest.mark.parametrize(
    ("old", "new", "row", "message"),
    [
        (
            "    variant: outside_window ",
            "    variant: sideways ",
            0,
            "incidents[9].variant: a crew_zone incident is one of: leaves_zone, outside_window "
            "(got 'sideways')",
        ),
        (
            "    crew: CR2\n    minutes: 45\n",
            "    crew: CR2\n    minutes: 20\n",
            1,
            "incidents[9].minutes: must be at least 30: HQ allows a crew 15 minutes' grace",
        ),
        (
            "    crew: CR2\n    minutes: 45\n",
            "    crew: CR2\n    minutes: 800\n",
            1,
            "incidents[9].minutes: crew CR2 works 05:00 to 13:00: the overtime runs past midnight",
        ),
        (
            "    crew: CR2\n    minutes: 45\n",
            "    crew: CR2\n    minutes: 45\n    offset_m: 100\n",
            2,
            "incidents[9].offset_m: a crew_zone outside_window incident takes no 'offset_m'",
        ),
        (
            '    crew: CR2\n    at: "06:00"\n',
            '    crew: CR2\n    at: "12:30"\n',
            1,
            "incidents[10].at: crew CR2 works 05:00 to 13:00: the vehicle must set off in that "
            "window, 1 h before its end at the latest",
        ),
        (
            '    crew: CR2\n    at: "06:00"\n',
            '    crew: CR2\n    at: "06:00"\n    minutes: 5\n',
            2,
            "incidents[10].minutes: an enters_crew_zone incident takes no 'minutes'",
        ),
        (
            "    convoy: R3\n",
            "    convoy: R3\n    minutes: 3\n",
            1,
            "incidents[11].minutes: a convoy out_of_order incident takes no 'minutes'",
        ),
        (
            "    variant: out_of_order ",
            "    variant: leaves_zone ",
            0,
            "incidents[11].variant: a convoy incident is one of: falls_behind, out_of_order "
            "(got 'leaves_zone')",
        ),
        (
            "  - kind: unknown_device       # a tracker nobody registered reports for `minutes`\n",
            "  - kind: unknown_device\n    variant: out_of_order\n",
            1,
            "incidents[8].variant: only crew_zone and convoy incidents take 'variant'",
        ),
        (
            "    day: 5\n    crew: CR2\n",
            "    day: 3\n    crew: CR2\n",
            0,
            f"incidents[10].day: day 3 already has incidents[9]: {_CLASH}",  # the same crew
        ),
        (
            "    day: 6\n    convoy: R3\n",
            "    day: 8\n    convoy: R3\n",
            0,
            f"incidents[11].day: day 8 already has incidents[7]: {_CLASH}",  # the same kind
        ),
    ],
)
def test_variant_parameters_name_the_line_and_field(
    tmp_path: Path, old: str, new: str, row: int, message: str
) -> None:
    text = _shipped()
    assert text.count(old) == 1, old
    line = text.count("\n", 0, text.index(old)) + 1 + row
    problems = check_scenario(_write(tmp_path, text.replace(old, new)))
    found = [(int(p.split(":")[1]), p.split(": ", 1)[1]) for p in problems]
    assert found == [(line, message)], problems  # that, and nothing else blamed


def test_different_kinds_and_subjects_may_share_a_day(lachin: Scenario) -> None:
    # The shipped scenario does: day 3 has a truck leaving the band and a crew's overtime.
    on_day_3 = {i.kind for i in lachin.incidents if i.day == 3}
    assert on_day_3 == {IncidentKind.LEAVES_BAND, IncidentKind.CREW_ZONE}
    assert check_scenario(default_scenario_path()) == []
