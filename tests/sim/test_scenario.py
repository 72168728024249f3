"""Loading and checking scenario files: the shipped Lachin file, and every way a file can be wrong.

Expected line numbers are computed from the text each test writes, never typed in.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from corridor.errors import ScenarioError
from corridor.model.corridor import PostKind
from corridor.sim.scenario import (
    IncidentKind,
    Scenario,
    check_scenario,
    default_scenario_path,
    load_scenario,
)

REPO_COPY = Path(__file__).resolve().parents[2] / "scenarios" / "lachin.yaml"


@pytest.fixture(scope="module")
def lachin() -> Scenario:
    return load_scenario(default_scenario_path())


@pytest.fixture
def shipped_text() -> str:
    return default_scenario_path().read_text(encoding="utf-8")


def line_of(text: str, needle: str) -> int:
    """1-based line of the only line containing ``needle``."""
    hits = [n for n, line in enumerate(text.splitlines(), start=1) if needle in line]
    assert len(hits) == 1, (needle, hits)
    return hits[0]


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def write(tmp_path: Path, text: str, name: str = "scenario.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# -- the shipped file ----------------------------------------------------------------------------


def test_repo_and_package_copies_are_byte_identical() -> None:
    assert default_scenario_path().read_bytes() == REPO_COPY.read_bytes()


def test_shipped_file_has_no_problems() -> None:
    assert check_scenario(default_scenario_path()) == []
    assert check_scenario(str(REPO_COPY)) == []


def test_shipped_corridor(lachin: Scenario) -> None:
    c = lachin.corridor
    assert c.id == "lachin"
    assert c.width_m == 5000.0
    assert (c.mandate_start, c.mandate_end) == (date(2020, 12, 1), date(2023, 12, 1))
    assert c.endpoints[0].label == "Kornidzor"
    assert c.endpoints[1].label == "Stepanakert / Khankendi"
    assert [r.version for r in c.routes] == [1, 2]
    assert c.routes[0].effective_from == date(2020, 12, 1)
    assert all(15 <= len(r.line) <= 30 for r in c.routes)
    assert "Lachin / Berdzor" in c.routes[0].description
    assert "\n" not in c.routes[1].description


def test_shipped_posts(lachin: Scenario) -> None:
    c = lachin.corridor
    assert [p.id for p in c.posts] == [f"P{n:02d}" for n in range(1, 24)]
    labels = {p.label for p in c.posts}
    assert {"Lachin / Berdzor", "Shusha / Shushi", "Stepanakert / Khankendi"} <= labels
    checkpoints = c.checkpoints
    assert 8 <= len(checkpoints) <= 10
    assert checkpoints[0].id == "P01" and "Kornidzor" in checkpoints[0].label
    assert checkpoints[-1].label == "Stepanakert / Khankendi"
    assert len(c.posts) - len(checkpoints) == sum(p.kind is PostKind.OBSERVATION for p in c.posts)
    assert c.post("P01").chainage_m < 1000.0 < c.post("P23").chainage_m


def test_shipped_traffic_and_incidents(lachin: Scenario) -> None:
    t = lachin.traffic
    assert t.simulated is True
    assert t.start_date == date(2020, 12, 1)
    assert t.inbound_entry_post == "P01"
    assert t.outbound_entry_post == lachin.corridor.checkpoints[-1].id
    assert (t.returnee_buses_per_day, t.people_per_bus) == (25, 40)
    assert 0 <= t.denial_rate <= 1 and 0 <= t.inspection_rate <= 1
    assert t.truck_cargo_kg_min <= t.truck_cargo_kg_max
    assert {i.kind for i in lachin.incidents} == set(IncidentKind)
    disruption = next(i for i in lachin.incidents if i.kind is IncidentKind.DISRUPTION)
    assert (disruption.day, disruption.days, disruption.flow_factor) == (9, 1, 0.05)
    assert lachin.returnees_reported == 26000
    assert lachin.source_path == str(default_scenario_path())


def test_shipped_file_says_it_is_simulated(shipped_text: str) -> None:
    header = shipped_text[:600]
    assert "SIMULATED" in header and "ILLUSTRATIVE" in header


# -- files that cannot be read -------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"
    with pytest.raises(ScenarioError, match="no such file") as info:
        load_scenario(path)
    assert info.value.path == str(path)
    assert check_scenario(path) == [f"{path}: no such file"]


def test_yaml_syntax_error_reports_the_parser_position(tmp_path: Path, shipped_text: str) -> None:
    text = replace_once(shipped_text, "  width_m: 5000 ", "  width_m: 5000: 1 ")
    path = write(tmp_path, text)
    line = line_of(text, "width_m: 5000: 1")
    col = text.splitlines()[line - 1].index(": 1") + 1  # at the second colon
    problems = check_scenario(path)
    assert len(problems) == 1
    assert problems[0].startswith(f"{path}:{line}:{col}: document: not valid YAML")
    with pytest.raises(ScenarioError, match="mapping values are not allowed"):
        load_scenario(path)


def test_empty_file(tmp_path: Path) -> None:
    path = write(tmp_path, "# nothing here\n")
    assert check_scenario(path) == [f"{path}:1:1: document: the file is empty"]


def test_not_a_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, "- just\n- a list\n")
    (problem,) = check_scenario(path)
    assert problem.startswith(f"{path}:1:1: document: a scenario is a mapping")


# -- files with several mistakes, all reported in one go -----------------------------------------


def test_several_mistakes_reported_together_with_their_lines(
    tmp_path: Path, shipped_text: str
) -> None:
    text = replace_once(shipped_text, "food_trucks_per_day: 20 ", "food_trucks_per_day: -20 ")
    text = replace_once(text, "{id: P05,", "{id: P04,")
    text = replace_once(text, "outbound_entry_post: P23", "outbound_entry_post: P99")
    path = write(tmp_path, text)

    negative = line_of(text, "food_trucks_per_day: -20")
    duplicate = line_of(text, "{id: P04, kind: observation, names: [Observation post km 13]")
    unknown = line_of(text, "outbound_entry_post: P99")
    expected = [
        f"{path}:{duplicate}:6: posts[4].id: duplicate post id 'P04' (first used by posts[3])",
        f"{path}:{unknown}:3: traffic.outbound_entry_post: unknown post 'P99'",
        f"{path}:{negative}:3: traffic.food_trucks_per_day: must not be negative (got -20.0)",
    ]
    problems = check_scenario(path)
    assert len(problems) == 3, problems
    for got, want in zip(sorted(problems), sorted(expected), strict=True):
        assert got.startswith(want)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.problems == problems
    assert str(info.value).startswith(f"{path}: 3 problem(s)")


def test_structural_mistakes_point_at_the_key(tmp_path: Path, shipped_text: str) -> None:
    text = replace_once(shipped_text, "people_per_bus: 40", "people_per_bus: forty")
    text = replace_once(text, "  average_speed_kmh: 40 ", "  avg_speed_kmh: 40 ")
    text = replace_once(text, "{id: P07, kind: observation", "{id: P07, kind: tower")
    text = replace_once(text, "- [46.5195, 39.5810]", "- [46.5195]")
    path = write(tmp_path, text)
    problems = check_scenario(path)
    expected = {
        (line_of(text, "people_per_bus: forty"), "traffic.people_per_bus: Input should be"),
        (line_of(text, "avg_speed_kmh"), "traffic.avg_speed_kmh: unknown field"),
        (line_of(text, "traffic:"), "traffic.average_speed_kmh: required field is missing"),
        (line_of(text, "kind: tower"), "posts[6].kind: Input should be 'checkpoint'"),
        (line_of(text, "- [46.5195]"), "routes[0].line[9][1]: item is missing"),
    }
    found = {(int(p.split(":")[1]), p.split(": ", 1)[1]) for p in problems}
    for line, start in expected:
        assert any(fl == line and msg.startswith(start) for fl, msg in found), (line, start)
    assert len(problems) == len(expected), problems


def test_route_version_rules(tmp_path: Path, shipped_text: str) -> None:
    text = replace_once(shipped_text, "effective_to: 2022-09-01", "effective_to: 2022-08-01")
    text = replace_once(text, "  - version: 2", "  - version: 1")
    path = write(tmp_path, text)
    second = text[: text.index("  - version: 1", text.index("  - version: 1") + 1)].count("\n") + 1
    assert check_scenario(path) == [
        f"{path}:{line_of(text, 'effective_to: 2022-08-01')}:5: routes[0].effective_to: "
        "must equal the next version's effective_from (2022-09-01): "
        "route versions must be contiguous",
        f"{path}:{second}:5: routes[1].version: must be greater than 1",
    ]


def test_dates_outside_the_mandate(tmp_path: Path, shipped_text: str) -> None:
    text = replace_once(
        shipped_text, "  effective_from: 2022-09-01", "  effective_from: 2024-01-01"
    )
    text = replace_once(text, "effective_to: 2022-09-01", "effective_to: 2024-01-01")
    text = replace_once(text, "start_date: 2020-12-01", "start_date: 2019-01-01")
    path = write(tmp_path, text)
    messages = [p.split(": ", 1)[1] for p in check_scenario(path)]
    assert "routes[0].effective_to: is after the mandate end (2023-12-01)" in messages
    assert any(
        m.startswith("routes[1].effective_from: 2024-01-01 is outside the mandate")
        for m in messages
    )
    assert any(
        m.startswith("traffic.start_date: 2019-01-01 is outside the mandate") for m in messages
    )


def test_checkpoint_outside_the_band(tmp_path: Path, shipped_text: str) -> None:
    old = "{id: P13, kind: checkpoint, names: [Checkpoint km 37], point: [46.6142, 39.6718]}"
    new = "{id: P13, kind: checkpoint, names: [Checkpoint km 37], point: [46.6142, 39.6218]}"
    text = replace_once(shipped_text, old, new)
    path = write(tmp_path, text)
    (problem,) = check_scenario(path)
    line = line_of(text, "39.6218")
    col = text.splitlines()[line - 1].index("point:") + 1
    assert problem.startswith(f"{path}:{line}:{col}: posts[12].point: checkpoint P13 is ")
    assert "outside its band (2.5 km each side)" in problem


def test_entry_post_must_be_a_checkpoint_and_rates_in_range(
    tmp_path: Path, shipped_text: str
) -> None:
    text = replace_once(shipped_text, "inbound_entry_post: P01", "inbound_entry_post: P02")
    text = replace_once(text, "denial_rate: 0.01", "denial_rate: 1.5")
    text = replace_once(text, "truck_cargo_kg_max: 20000", "truck_cargo_kg_max: 2000")
    path = write(tmp_path, text)
    messages = {p.split(": ", 1)[1] for p in check_scenario(path)}
    assert messages == {
        "traffic.inbound_entry_post: post 'P02' is an observation post, not a checkpoint",
        "traffic.denial_rate: is a fraction: must lie in [0, 1] (got 1.5)",
        "traffic.truck_cargo_kg_max: must not be less than truck_cargo_kg_min",
    }


def test_incident_rules(tmp_path: Path, shipped_text: str) -> None:
    text = replace_once(shipped_text, "    days: 1\n    flow_factor: 0.05", "    days: 0")
    text = replace_once(text, "    offset_m: 4000", "    offset_m: 1000")
    text = replace_once(text, "    post: P03\n", "    post: P04\n")
    text = replace_once(text, "    day: 7\n", "    day: 2000\n")
    path = write(tmp_path, text)
    messages = {p.split(": ", 1)[1] for p in check_scenario(path)}
    assert messages == {
        "incidents[4]: a disruption incident needs 'flow_factor'",
        "incidents[4].days: must be at least 1",
        "incidents[0].offset_m: must exceed half the width (2500 m), or the vehicle stays in",
        "incidents[1].post: post 'P04' is an observation post, not a checkpoint",
        "incidents[3].day: falls on 2026-05-24, after the mandate ends",
    }


def test_duplicate_keys_and_unknown_sections(tmp_path: Path, shipped_text: str) -> None:
    text = replace_once(
        shipped_text, "  people_per_bus: 40\n", "  people_per_bus: 40\n  people_per_bus: 41\n"
    )
    text += "extras: 1\n"
    path = write(tmp_path, text)
    problems = check_scenario(path)
    first = line_of(text, "people_per_bus: 40")
    assert problems == [
        f"{path}:{first + 1}:3: traffic.people_per_bus: key given twice (first on line {first}); "
        "YAML keeps only the last",
        f"{path}:{line_of(text, 'extras: 1')}:1: extras: unknown section (expected one of: "
        "corridor, routes, posts, traffic, incidents, convoys, crews, returnees_reported)",
    ]


def test_missing_sections(tmp_path: Path) -> None:
    path = write(tmp_path, "returnees_reported: -1\n")
    messages = [p.split(": ", 1)[1] for p in check_scenario(path)]
    assert sorted(messages) == [
        "corridor: required section is missing",
        "posts: required section is missing",
        "returnees_reported: must not be negative",
        "routes: required section is missing",
        "traffic: required section is missing",
    ]
