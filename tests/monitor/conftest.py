"""Fixtures of the monitor tests: the synthetic straight corridor and the built-in Lachin one."""

from __future__ import annotations

import pytest

from corridor.geo import CorridorGeometry
from corridor.model.corridor import Corridor
from corridor.sim.scenario import Scenario, default_scenario_path, load_scenario
from tests.monitor.factories import straight_corridor


@pytest.fixture(scope="session")
def lachin() -> Scenario:
    return load_scenario(default_scenario_path())


@pytest.fixture(scope="session")
def lachin_geometry(lachin: Scenario) -> CorridorGeometry:
    return CorridorGeometry(lachin.corridor)


@pytest.fixture
def straight() -> Corridor:
    return straight_corridor()


@pytest.fixture
def geometry(straight: Corridor) -> CorridorGeometry:
    return CorridorGeometry(straight)
