"""The simulator is seeded and deterministic, and produces the traffic the scenario asks for."""

from __future__ import annotations

from collections import Counter

from corridor.model.signing import SignedPassage
from corridor.model.vocabulary import PassageKind, ReasonCode, VehicleClass
from corridor.sim.scenario import default_scenario_path, load_scenario
from corridor.sim.traffic import Simulation


def run(seed: int, days: int = 3) -> list[bytes]:
    simulation = Simulation(load_scenario(default_scenario_path()), seed)
    return [s.raw for day in simulation.days(days) for s in day.submissions]


def test_same_seed_gives_byte_identical_entries() -> None:
    assert run(7) == run(7)


def test_another_seed_gives_other_entries() -> None:
    assert run(7) != run(8)


def test_the_traffic_has_every_kind_the_fact_sheet_names() -> None:
    scenario = load_scenario(default_scenario_path())
    simulation = Simulation(scenario, 1)
    days = scenario.incidents and max(i.day for i in scenario.incidents) + 1
    entries = [
        SignedPassage.from_bytes(s.raw).entry
        for day in simulation.days(max(days, 3))
        for s in day.submissions
    ]
    classes = Counter(e.vehicle_class for e in entries)
    assert set(classes) == set(VehicleClass)
    passed = [e for e in entries if e.kind is PassageKind.PASSED]
    assert any(e.people.returnees > 0 for e in passed)
    assert any(e.cargo for e in passed)
    assert any(e.kind is PassageKind.DENIED for e in entries)
    assert any(e.reason is ReasonCode.UNREGISTERED_VEHICLE for e in entries)
    returnee_buses_per_day = sum(1 for e in passed if e.vehicle_class is VehicleClass.BUS) / max(
        days, 3
    )
    assert abs(returnee_buses_per_day - scenario.traffic.returnee_buses_per_day) < 10


def test_each_event_is_signed_by_its_own_post() -> None:
    simulation = Simulation(load_scenario(default_scenario_path()), 3)
    for day in simulation.days(1):
        for submission in day.submissions:
            passage = SignedPassage.from_bytes(submission.raw)
            passage.verify()
            assert passage.public_key == simulation.post_keys[passage.entry.post].public_key
