"""The convoy registry: escorted returnee buses, their members in order, departure and route.

A convoy is planned at HQ before it leaves: an id (the one its vehicles' passages carry in their
``convoy`` field), a name, a direction, a planned departure and, optionally, the route version it
takes. Members are registered vehicles, stored by normalised plate (personal data: the table is
private, like the vehicle registry); the monitor gets them as vehicle pseudonyms
(:func:`load_convoy_plans`), the same values public entries carry, so its alerts name no plate.

Every check runs inside the write transaction that stores the convoy, against the registry as
that transaction sees it: a convoy is stored whole or not at all.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import shapely
from sqlalchemy import Connection, delete, func, select
from sqlalchemy.exc import IntegrityError

from corridor.errors import ConflictError, NotFoundError, ValidationError
from corridor.geo.band import geometry_for
from corridor.hq.ingest import Clock, system_clock
from corridor.model.corridor import Corridor, RouteVersion
from corridor.model.events import format_time, parse_time
from corridor.model.pseudonym import normalise_plate, vehicle_pseudonym
from corridor.model.vocabulary import Direction
from corridor.store.engine import Store
from corridor.store.schema import convoy_members, convoys, vehicles

#: A convoy id: what a post types into a passage's ``convoy`` field, so short and unambiguous.
CONVOY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
MAX_NAME = 200
MIN_MEMBERS = 2
#: A convoy is a column of buses behind an escort; more than this is a typing mistake.
MAX_MEMBERS = 100


@dataclass(frozen=True, slots=True)
class Convoy:
    """A stored convoy as the registry holds it (``plates`` normalised, head first)."""

    convoy_id: str
    name: str
    direction: Direction
    planned_departure: str
    route_version: int | None
    created_at: str
    plates: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ConvoyPlanData:
    """What the monitor needs of a convoy: no plate, only pseudonyms.

    ``members`` are vehicle pseudonyms head first; ``route`` the checkpoints in the order the
    convoy meets them (along the route version it takes, reversed when outbound). The field names
    are those of :class:`corridor.monitor.convoys.ConvoyPlan`.
    """

    convoy_id: str
    name: str
    direction: Direction
    members: tuple[str, ...]
    planned_departure: datetime
    route_version: int
    route: tuple[str, ...]


def add_convoy(
    store: Store,
    corridor: Corridor,
    *,
    convoy_id: str,
    name: str,
    direction: str,
    planned_departure: str,
    plates: Sequence[str],
    route_version: int | None = None,
    clock: Clock = system_clock,
) -> Convoy:
    """Validate and store a convoy with its members (head first); returns it as stored.

    Raises :class:`ValidationError` naming the field (``convoy_id``, ``name``, ``direction``,
    ``planned_departure``, ``members[i]``, ``route_version``) or :class:`ConflictError` when the
    id is taken. Nothing is stored unless everything is right.
    """
    if not CONVOY_ID.fullmatch(convoy_id):
        raise ValidationError(
            "convoy_id",
            f"{convoy_id!r} is not a convoy id: 1 to 64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit (e.g. C-20201201-01)",
        )
    clean_name = _name(name)
    way = _direction(direction)
    departure = parse_time(planned_departure, "planned_departure")
    _route(corridor, route_version, departure)  # stored as given: None means "at departure"
    normalised = _plates(plates)
    stored = Convoy(
        convoy_id,
        clean_name,
        way,
        format_time(departure),
        route_version,
        format_time(clock()),
        normalised,
    )
    try:
        with store.write() as conn:
            if _exists(conn, convoy_id):
                raise ConflictError(f"convoy {convoy_id!r} is already registered")
            _check_registered(conn, normalised)
            conn.execute(
                convoys.insert().values(
                    convoy_id=stored.convoy_id,
                    name=stored.name,
                    direction=stored.direction.value,
                    planned_departure=stored.planned_departure,
                    route_version=stored.route_version,
                    created_at=stored.created_at,
                )
            )
            conn.execute(
                convoy_members.insert(),
                [
                    {"convoy_id": convoy_id, "position": i, "plate": plate}
                    for i, plate in enumerate(normalised, start=1)
                ],
            )
    except IntegrityError as exc:  # another writer took the id between the check and insert
        raise ConflictError(f"convoy {convoy_id!r} is already registered") from exc
    return stored


def list_convoys(store: Store) -> list[Convoy]:
    """Every convoy, by planned departure then id."""
    with store.read() as conn:
        return _load(conn, None)


def get_convoy(store: Store, convoy_id: str) -> Convoy:
    """One convoy, or :class:`NotFoundError` naming it."""
    with store.read() as conn:
        found = _load(conn, convoy_id)
    if not found:
        raise NotFoundError(f"no convoy {convoy_id!r}")
    return found[0]


def remove_convoy(store: Store, convoy_id: str) -> None:
    """Delete a convoy and its members, or :class:`NotFoundError` when there is none."""
    with store.write() as conn:
        if not _exists(conn, convoy_id):
            raise NotFoundError(f"no convoy {convoy_id!r}")
        conn.execute(delete(convoy_members).where(convoy_members.c.convoy_id == convoy_id))
        conn.execute(delete(convoys).where(convoys.c.convoy_id == convoy_id))


def load_convoy_plans(
    store: Store, corridor: Corridor, pseudonym_key: bytes
) -> list[ConvoyPlanData]:
    """Every convoy for the monitor, members as pseudonyms under HQ's key
    (:attr:`corridor.hq.services.HqServices.pseudonym_key`)."""
    plans = []
    for convoy in list_convoys(store):
        departure = parse_time(convoy.planned_departure, "planned_departure")
        route = _route(corridor, convoy.route_version, departure)
        plans.append(
            ConvoyPlanData(
                convoy_id=convoy.convoy_id,
                name=convoy.name,
                direction=convoy.direction,
                members=tuple(vehicle_pseudonym(p, pseudonym_key) for p in convoy.plates),
                planned_departure=departure,
                route_version=route.version,
                route=route_posts(corridor, route, convoy.direction),
            )
        )
    return plans


def route_posts(corridor: Corridor, route: RouteVersion, direction: Direction) -> tuple[str, ...]:
    """The checkpoints inside ``route``'s band, in the order a convoy going ``direction`` meets
    them (a post left off the road by a newer route version is not on that convoy's way)."""
    geometry = geometry_for(corridor)
    shape = geometry.for_route(route)
    posts = corridor.checkpoints
    xs, ys = geometry.projection.to_metres([p.point[0] for p in posts], [p.point[1] for p in posts])
    inside = shapely.intersects_xy(shape.band_m, xs, ys)
    chainages = shapely.line_locate_point(shape.line_m, shapely.points(xs, ys))
    ordered = sorted(
        (float(ch), p.id) for p, ch, ok in zip(posts, chainages, inside, strict=True) if ok
    )
    ids = tuple(post_id for _, post_id in ordered)
    return ids if direction is Direction.INBOUND else ids[::-1]


# -- validation ---------------------------------------------------------------------------------


def _name(name: str) -> str:
    clean = " ".join(name.split())
    if not clean:
        raise ValidationError("name", "a convoy needs a name (e.g. 'Returnee buses 1 December')")
    if len(clean) > MAX_NAME:
        raise ValidationError("name", f"at most {MAX_NAME} characters, got {len(clean)}")
    return clean


def _direction(direction: str) -> Direction:
    try:
        return Direction(direction)
    except ValueError:
        known = ", ".join(d.value for d in Direction)
        raise ValidationError("direction", f"{direction!r} is not one of {known}") from None


def _route(corridor: Corridor, version: int | None, departure: datetime) -> RouteVersion:
    """The route version the convoy takes: the one named, which must be in force on the day it
    leaves, or the one in force then."""
    if version is None:
        return corridor.route_at(departure)
    by_version = {route.version: route for route in corridor.routes}
    route = by_version.get(version)
    if route is None:
        known = ", ".join(str(v) for v in sorted(by_version))
        raise ValidationError(
            "route_version", f"corridor {corridor.id!r} has no route version {version} ({known})"
        )
    in_force = corridor.route_at(departure)
    if in_force.version != version:
        raise ValidationError(
            "route_version",
            f"route version {version} is not in force on {departure.date().isoformat()}, the "
            f"planned departure; version {in_force.version} is",
        )
    return route


def _plates(plates: Sequence[str]) -> tuple[str, ...]:
    if len(plates) < MIN_MEMBERS:
        raise ValidationError(
            "members", f"a convoy has at least {MIN_MEMBERS} vehicles, got {len(plates)}"
        )
    if len(plates) > MAX_MEMBERS:
        raise ValidationError(
            "members", f"a convoy has at most {MAX_MEMBERS} vehicles, got {len(plates)}"
        )
    seen: dict[str, int] = {}
    out = []
    for i, typed in enumerate(plates):
        plate = normalise_plate(typed)
        if not plate:
            raise ValidationError(f"members[{i}]", f"{typed!r} holds no letter or digit")
        if plate in seen:
            # The plate is what the admin typed: saying it back is no disclosure.
            raise ValidationError(
                f"members[{i}]", f"plate {typed!r} is already member {seen[plate] + 1}"
            )
        seen[plate] = i
        out.append(plate)
    return tuple(out)


def _check_registered(conn: Connection, plates: tuple[str, ...]) -> None:
    known = set(
        conn.execute(
            select(vehicles.c.plate).where(vehicles.c.plate.in_(plates), vehicles.c.registered == 1)
        ).scalars()
    )
    for i, plate in enumerate(plates):
        if plate not in known:
            raise ValidationError(
                f"members[{i}]", f"plate {plate} is not a registered vehicle: register it first"
            )


def _exists(conn: Connection, convoy_id: str) -> bool:
    count = conn.execute(
        select(func.count()).select_from(convoys).where(convoys.c.convoy_id == convoy_id)
    ).scalar_one()
    return bool(count)


def _load(conn: Connection, convoy_id: str | None) -> list[Convoy]:
    query = select(convoys).order_by(convoys.c.planned_departure, convoys.c.convoy_id)
    members = select(convoy_members).order_by(convoy_members.c.convoy_id, convoy_members.c.position)
    if convoy_id is not None:
        query = query.where(convoys.c.convoy_id == convoy_id)
        members = members.where(convoy_members.c.convoy_id == convoy_id)
    plates: dict[str, list[str]] = {}
    for member in conn.execute(members):
        plates.setdefault(member.convoy_id, []).append(member.plate)
    return [
        Convoy(
            row.convoy_id,
            row.name,
            Direction(row.direction),
            row.planned_departure,
            row.route_version,
            row.created_at,
            tuple(plates.get(row.convoy_id, ())),
        )
        for row in conn.execute(query)
    ]
