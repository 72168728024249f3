"""Scenarios: a corridor, simulated traffic parameters and injected incidents, from a YAML file.

::

    scenario = load_scenario(default_scenario_path())   # ScenarioError if anything is wrong
    problems = check_scenario("my.yaml")                 # ["my.yaml:12:5: traffic.x: ...", ...]

Loading runs in three stages, each reporting every problem it finds rather than the first:
YAML syntax (:mod:`.scenario_yaml`), structure and types (:mod:`.scenario_schema`, pydantic),
then rules (:mod:`.scenario_checks`). Problems carry the file, line and column of the value at
fault. The values handed to the rest of the project are frozen dataclasses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from importlib.resources import files
from pathlib import Path

from corridor.errors import ScenarioError
from corridor.geo.band import CorridorGeometry
from corridor.model.corridor import Corridor, LonLat, Place, Post
from corridor.model.vocabulary import Direction, VehicleClass
from corridor.sim.incident_kinds import IncidentKind, IncidentVariant, default_variant
from corridor.sim.scenario_checks import check_sections, route_corridor
from corridor.sim.scenario_schema import CorridorIn, Sections, validate_sections
from corridor.sim.scenario_yaml import YamlDocument, read_yaml

__all__ = [
    "ConvoySpec",
    "CrewSpec",
    "Incident",
    "IncidentKind",
    "IncidentVariant",
    "Scenario",
    "TrafficParameters",
    "check_scenario",
    "default_scenario_path",
    "load_scenario",
]


@dataclass(frozen=True, slots=True)
class TrafficParameters:
    """Simulated traffic defaults. Every rate is a mean per day; fractions lie in [0, 1]."""

    simulated: bool
    start_date: date
    inbound_entry_post: str
    outbound_entry_post: str
    returnee_buses_per_day: float
    people_per_bus: int
    cars_inbound_per_day: float
    cars_outbound_per_day: float
    people_per_car: float
    food_trucks_per_day: float
    goods_trucks_per_day: float
    truck_cargo_kg_min: int
    truck_cargo_kg_max: int
    ambulances_per_day: float
    repair_crews_per_day: float
    official_per_day: float
    humanitarian_per_day: float
    denial_rate: float
    inspection_rate: float
    average_speed_kmh: float
    #: Classes whose vehicles carry a tracker; every tracker reports every ``fix_interval_s``.
    tracked_classes: tuple[VehicleClass, ...] = ()
    fix_interval_s: int = 60


@dataclass(frozen=True, slots=True)
class ConvoySpec:
    """A daily convoy of returnee buses: ``buses`` leave ``headway_s`` apart from ``departure``
    (UTC). Its id on a day is ``SIM-<yyyymmdd>-<id>``."""

    id: str
    departure: time
    buses: int
    headway_s: int = 120
    direction: Direction = Direction.INBOUND


@dataclass(frozen=True, slots=True)
class CrewSpec:
    """A repair crew working every day in ``zone`` (a lon/lat ring) during ``window`` (UTC)."""

    id: str
    names: tuple[str, ...]
    zone: tuple[LonLat, ...]
    window: tuple[time, time]


@dataclass(frozen=True, slots=True)
class Incident:
    """An incident injected into the simulation on ``day`` (0 = the traffic start date).

    ``days`` and ``flow_factor`` shape a disruption (flow drops to that fraction for that many
    days); ``post`` is the checkpoint the incident is seen at or after; ``minutes`` is the delay
    of an overdue vehicle or the length of a long stop; ``offset_m`` is how far from the route a
    vehicle that leaves the band goes, or a crew beyond its zone's edge. ``at`` is the time of
    day (UTC) it starts, where the kind takes one; ``crew`` and ``convoy`` name its subject.
    ``variant`` says how a crew_zone or convoy incident goes wrong (loading fills in the kind's
    first variant when the file gives none; other kinds have none).
    """

    kind: IncidentKind
    day: int
    days: int = 1
    flow_factor: float = 1.0
    post: str | None = None
    minutes: int | None = None
    offset_m: float | None = None
    at: time | None = None
    crew: str | None = None
    convoy: str | None = None
    variant: IncidentVariant | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class Scenario:
    """A loaded, checked scenario. ``returnees_reported`` is the one measured figure, if any."""

    corridor: Corridor
    traffic: TrafficParameters
    incidents: tuple[Incident, ...]
    returnees_reported: int | None
    source_path: str
    convoys: tuple[ConvoySpec, ...] = ()
    crews: tuple[CrewSpec, ...] = ()


def default_scenario_path() -> Path:
    """The built-in Lachin scenario shipped inside the package."""
    return Path(str(files("corridor.sim") / "scenarios" / "lachin.yaml"))


def check_scenario(path: str | Path) -> list[str]:
    """Every problem in the scenario file at ``path``, as ``FILE:LINE:COL: where: what``.

    An empty list means the file loads. A missing or unparsable file is reported, not raised.
    """
    try:
        _analyse(path)
    except ScenarioError as exc:
        return exc.problems
    return []


def load_scenario(path: str | Path) -> Scenario:
    """Load and check the scenario at ``path``; :class:`ScenarioError` lists every problem."""
    return _analyse(path)


def _analyse(path: str | Path) -> Scenario:
    document = read_yaml(path)
    sections, problems = validate_sections(document.data)
    problems.extend(document.duplicate_keys())
    problems.extend(check_sections(sections))
    if problems:
        located = sorted(
            {(p.at or document.position(p.loc), document.format(p)) for p in problems},
        )
        raise ScenarioError(document.name, [text for _, text in located])
    return _build(sections, document)


def _variant(kind: IncidentKind, given: str | None) -> IncidentVariant | None:
    return IncidentVariant(given) if given is not None else default_variant(kind)


def _build(s: Sections, document: YamlDocument) -> Scenario:
    # Only reached with no problems, so every section is complete and valid.
    c = CorridorIn.model_validate(s.corridor)
    routes = [route for _, route in s.routes]
    bare = route_corridor(c.width_m, c.mandate_start, c.mandate_end, routes)
    geometry = CorridorGeometry(bare)
    # Chainage on the route in force at the mandate start, as Post.chainage_m documents.
    posts_in = [post for _, post in s.posts]
    chainages = geometry.chainage_many(
        [p.point[0] for p in posts_in], [p.point[1] for p in posts_in], c.mandate_start
    )
    corridor = Corridor(
        id=c.id,
        names=tuple(c.names),
        width_m=c.width_m,
        endpoints=(
            Place(tuple(c.endpoints[0].names), c.endpoints[0].point),
            Place(tuple(c.endpoints[1].names), c.endpoints[1].point),
        ),
        mandate_start=c.mandate_start,
        mandate_end=c.mandate_end,
        routes=bare.routes,
        posts=tuple(
            Post(p.id, tuple(p.names), p.point, p.kind, chainage_m=round(float(ch), 1))
            for p, ch in zip(posts_in, chainages, strict=True)
        ),
    )
    return Scenario(
        corridor=corridor,
        traffic=TrafficParameters(**s.traffic),
        incidents=tuple(
            Incident(**{**dict(i), "variant": _variant(i.kind, i.variant)}) for _, i in s.incidents
        ),
        returnees_reported=s.returnees_reported,
        source_path=document.name,
        convoys=tuple(ConvoySpec(**dict(c)) for _, c in s.convoys),
        crews=tuple(CrewSpec(c.id, tuple(c.names), tuple(c.zone), c.window) for _, c in s.crews),
    )
