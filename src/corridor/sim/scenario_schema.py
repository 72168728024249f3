"""The shape of a scenario file, as pydantic models: types and structure only.

Pydantic lives here, at the boundary; the rest of the project sees frozen dataclasses. Ranges and
cross-references (rates not negative, posts that exist, contiguous route versions) are checked in
:mod:`corridor.sim.scenario_checks`, on the sections that passed this stage, so one mistake in a
section does not hide mistakes elsewhere.

Each top-level section is validated on its own for the same reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time
from typing import Any

from pydantic import BaseModel, ConfigDict, TypeAdapter
from pydantic import ValidationError as PydanticValidationError

from corridor.model.corridor import PostKind
from corridor.model.vocabulary import Direction, VehicleClass
from corridor.sim.incident_kinds import IncidentKind
from corridor.sim.scenario_yaml import Loc, Problem

LonLatIn = tuple[float, float]


#: Classes whose vehicles carry a tracker unless the scenario says otherwise.
DEFAULT_TRACKED = (
    VehicleClass.TRUCK,
    VehicleClass.BUS,
    VehicleClass.AMBULANCE,
    VehicleClass.REPAIR,
)


class _In(BaseModel):
    # Unknown keys are mistakes (a misspelt rate would otherwise silently take no effect).
    model_config = ConfigDict(extra="forbid", frozen=True)


class PlaceIn(_In):
    names: list[str]
    point: LonLatIn


class CorridorIn(_In):
    id: str
    names: list[str]
    width_m: float
    mandate_start: date
    mandate_end: date
    endpoints: tuple[PlaceIn, PlaceIn]


class RouteIn(_In):
    version: int
    effective_from: date
    effective_to: date | None = None
    description: str = ""
    line: list[LonLatIn]


class PostIn(_In):
    id: str
    kind: PostKind
    names: list[str]
    point: LonLatIn


class TrafficIn(_In):
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
    tracked_classes: tuple[VehicleClass, ...] = DEFAULT_TRACKED
    fix_interval_s: int = 60


class IncidentIn(_In):
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
    # a string here, so a wrong one is reported with the kind's own variants (the rules stage)
    variant: str | None = None
    note: str = ""


class ConvoyIn(_In):
    id: str
    departure: time
    buses: int
    headway_s: int = 120
    direction: Direction = Direction.INBOUND


class CrewIn(_In):
    id: str
    names: list[str]
    zone: list[LonLatIn]
    window: tuple[time, time]


Fields = dict[str, Any]
Items = list[tuple[int, Any]]


@dataclass(frozen=True, slots=True)
class Sections:
    """What passed structural validation, down to single fields and list items.

    A mapping section (``corridor``, ``traffic``) keeps every field that is valid on its own; a
    list section keeps its valid items with their index in the file. So a negative rate, a
    missing field and a bad post kind are all reported, and the rules still run on the rest.
    """

    corridor: Fields
    routes: list[tuple[int, RouteIn]]
    posts: list[tuple[int, PostIn]]
    traffic: Fields
    incidents: list[tuple[int, IncidentIn]]
    returnees_reported: int | None
    complete: frozenset[str]  # sections with no structural problem at all
    raw_post_ids: frozenset[str]  # every string id under posts, valid item or not
    convoys: list[tuple[int, ConvoyIn]] = field(default_factory=list)
    crews: list[tuple[int, CrewIn]] = field(default_factory=list)

    def is_complete(self, *names: str) -> bool:
        return all(name in self.complete for name in names)


_REQUIRED = ("corridor", "routes", "posts", "traffic")
_OPTIONAL = ("incidents", "convoys", "crews", "returnees_reported")
_MAPPINGS: dict[str, type[_In]] = {"corridor": CorridorIn, "traffic": TrafficIn}
_LISTS: dict[str, type[_In]] = {
    "routes": RouteIn,
    "posts": PostIn,
    "incidents": IncidentIn,
    "convoys": ConvoyIn,
    "crews": CrewIn,
}


def validate_sections(data: Any) -> tuple[Sections, list[Problem]]:
    """Validate each top-level section of ``data``; every structural problem, with its path."""
    problems: list[Problem] = []
    if not isinstance(data, dict):
        # Nothing else can be checked; listing every missing section would only bury this.
        problem = Problem((), "a scenario is a mapping with corridor, routes, posts, traffic")
        empty = Sections({}, [], [], {}, [], None, frozenset(), frozenset())
        return empty, [problem]
    for key in data:
        if key not in _REQUIRED and key not in _OPTIONAL:
            allowed = ", ".join(_REQUIRED + _OPTIONAL)
            problems.append(Problem((str(key),), f"unknown section (expected one of: {allowed})"))
    complete: set[str] = set()
    mappings: dict[str, Fields] = {}
    lists: dict[str, Items] = {}
    returnees: int | None = None
    for key in _REQUIRED + _OPTIONAL:
        present = key in data
        if not present and key in _REQUIRED:
            problems.append(Problem((key,), "required section is missing"))
        raw = data.get(key)  # None for an absent section or one with nothing under it
        before = len(problems)
        if key in _MAPPINGS:
            mappings[key] = _validate_mapping(_MAPPINGS[key], raw, (key,), problems)
        elif key in _LISTS:
            lists[key] = _validate_list(_LISTS[key], raw, (key,), problems)
        else:
            returnees = _validate_returnees(raw, problems)
        if len(problems) == before and (present or key in _OPTIONAL):
            complete.add(key)
    raw_posts = data.get("posts")
    raw_ids = frozenset(
        item["id"]
        for item in (raw_posts if isinstance(raw_posts, list) else [])
        if isinstance(item, dict) and isinstance(item.get("id"), str)
    )
    sections = Sections(
        corridor=mappings["corridor"],
        routes=lists["routes"],
        posts=lists["posts"],
        traffic=mappings["traffic"],
        incidents=lists["incidents"],
        returnees_reported=returnees,
        complete=frozenset(complete),
        raw_post_ids=raw_ids,
        convoys=lists["convoys"],
        crews=lists["crews"],
    )
    return sections, problems


def _validate_mapping(model: type[_In], raw: Any, loc: Loc, problems: list[Problem]) -> Fields:
    if raw is None:
        return {}
    try:
        valid = model.model_validate(raw)
    except PydanticValidationError as exc:
        problems.extend(_from_pydantic(loc, exc))
    else:
        return dict(valid)
    if not isinstance(raw, dict):
        return {}
    # Keep each field that is valid on its own, so the rules can still check it.
    fields: Fields = {}
    for name, info in model.model_fields.items():
        if name in raw:
            try:
                fields[name] = _field_adapter(model, name).validate_python(raw[name])
            except PydanticValidationError:
                pass  # already reported by the whole-model validation above
        elif not info.is_required():
            fields[name] = info.default
    return fields


def _validate_list(model: type[_In], raw: Any, loc: Loc, problems: list[Problem]) -> Items:
    if raw is None:
        return []
    if not isinstance(raw, list):
        problems.append(Problem(loc, f"should be a list (got {type(raw).__name__})"))
        return []
    items: Items = []
    for index, item in enumerate(raw):
        try:
            items.append((index, model.model_validate(item)))
        except PydanticValidationError as exc:
            problems.extend(_from_pydantic((*loc, index), exc))
    return items


def _validate_returnees(raw: Any, problems: list[Problem]) -> int | None:
    try:
        value: int | None = _RETURNEES.validate_python(raw)
    except PydanticValidationError as exc:
        problems.extend(_from_pydantic(("returnees_reported",), exc))
        return None
    return value


_RETURNEES: TypeAdapter[int | None] = TypeAdapter(int | None)
_FIELD_ADAPTERS: dict[tuple[type[_In], str], TypeAdapter[Any]] = {}


def _field_adapter(model: type[_In], name: str) -> TypeAdapter[Any]:
    key = (model, name)
    if key not in _FIELD_ADAPTERS:
        annotation: Any = model.model_fields[name].annotation  # always set on a built model
        _FIELD_ADAPTERS[key] = TypeAdapter(annotation)
    return _FIELD_ADAPTERS[key]


def _from_pydantic(prefix: Loc, exc: PydanticValidationError) -> list[Problem]:
    problems = []
    for error in exc.errors():
        loc: Loc = (*prefix, *error["loc"])
        kind = error["type"]
        if kind == "missing":
            # a missing key of a mapping, or a missing item of a fixed-length list (a point)
            message = "required field is missing" if isinstance(loc[-1], str) else "item is missing"
        elif kind == "extra_forbidden":
            message = "unknown field"
        else:
            got = repr(error.get("input"))
            got = got if len(got) <= 60 else got[:57] + "..."
            message = f"{error['msg']} (got {got})"
        problems.append(Problem(loc, message))
    return problems
