"""Semantic rules of a scenario file, run on whatever passed structural validation.

Every rule appends problems and carries on, so a user sees every mistake in one run. A rule runs
only when the values it needs are valid (a field missing or of the wrong type is reported once,
by the structural stage), so a consequence is not reported as if it were a cause.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from corridor.errors import ValidationError
from corridor.geo.band import CorridorGeometry
from corridor.model.corridor import Corridor, Place, PostKind, RouteVersion
from corridor.sim.scenario_incidents import (
    Mandate,
    check_convoys,
    check_crews,
    check_incidents,
    check_post_ref,
)
from corridor.sim.scenario_schema import Fields, PlaceIn, PostIn, RouteIn, Sections
from corridor.sim.scenario_yaml import Loc, Problem

# Fraction fields must lie in [0, 1]; every other number in traffic must not be negative.
_FRACTIONS = ("denial_rate", "inspection_rate")
_NOT_NUMBERS = (
    "simulated",
    "start_date",
    "inbound_entry_post",
    "outbound_entry_post",
    "tracked_classes",
)


def check_sections(s: Sections) -> list[Problem]:
    """Every semantic problem in the valid parts of a scenario."""
    out: list[Problem] = []
    mandate = _check_corridor(s.corridor, out)
    width = s.corridor.get("width_m")
    if s.is_complete("routes") and not s.routes:
        out.append(Problem(("routes",), "give at least one route version"))
    routes_sound = _check_routes(s.routes, mandate, out) and s.is_complete("routes")
    posts = {post.id: post for _, post in s.posts}
    _check_posts(s.posts, out)
    if routes_sound and mandate is not None and isinstance(width, float) and width > 0:
        _check_checkpoints_in_band(width, mandate, [r for _, r in s.routes], s.posts, out)
    _check_traffic(s.traffic, mandate, s.raw_post_ids, posts, out)
    check_incidents(s, mandate, posts, out)
    check_convoys(s, out)
    check_crews(s, out)
    if s.returnees_reported is not None and s.returnees_reported < 0:
        out.append(Problem(("returnees_reported",), "must not be negative"))
    return out


def _check_point(point: tuple[float, float], loc: Loc, out: list[Problem]) -> None:
    lon, lat = point
    if not -180.0 <= lon <= 180.0:
        out.append(Problem((*loc, 0), f"longitude {lon} is outside [-180, 180]"))
    if not -90.0 <= lat <= 90.0:
        out.append(Problem((*loc, 1), f"latitude {lat} is outside [-90, 90]"))


def _check_names(names: Sequence[str], loc: Loc, out: list[Problem]) -> None:
    if not names or any(not name.strip() for name in names):
        out.append(Problem(loc, "give at least one name, and no empty names"))


def _check_corridor(c: Fields, out: list[Problem]) -> Mandate | None:
    if "id" in c and not c["id"].strip():
        out.append(Problem(("corridor", "id"), "must not be empty"))
    if "names" in c:
        _check_names(c["names"], ("corridor", "names"), out)
    if "width_m" in c and c["width_m"] <= 0:
        out.append(Problem(("corridor", "width_m"), f"must be positive (got {c['width_m']})"))
    endpoints: tuple[PlaceIn, PlaceIn] = c.get("endpoints", ())
    for i, place in enumerate(endpoints):
        _check_names(place.names, ("corridor", "endpoints", i, "names"), out)
        _check_point(place.point, ("corridor", "endpoints", i, "point"), out)
    if "mandate_start" not in c or "mandate_end" not in c:
        return None
    if c["mandate_end"] <= c["mandate_start"]:
        out.append(Problem(("corridor", "mandate_end"), "must come after mandate_start"))
        return None
    return Mandate(c["mandate_start"], c["mandate_end"])


def _check_routes(
    routes: list[tuple[int, RouteIn]], mandate: Mandate | None, out: list[Problem]
) -> bool:
    """Route rules; True when the valid routes are sound enough to build geometry from."""
    if not routes:
        return False
    before = len(out)
    by_index = dict(routes)
    for i, route in routes:
        loc: Loc = ("routes", i)
        if len(route.line) < 2:
            out.append(Problem((*loc, "line"), "a route needs at least two points"))
        for j, point in enumerate(route.line):
            _check_point(point, (*loc, "line", j), out)
        if route.effective_to is not None and route.effective_to <= route.effective_from:
            out.append(Problem((*loc, "effective_to"), "must come after effective_from"))
        previous = by_index.get(i - 1)
        if previous is not None and route.version <= previous.version:
            out.append(Problem((*loc, "version"), f"must be greater than {previous.version}"))
        following = by_index.get(i + 1)
        if following is not None:
            _check_contiguous(route, following.effective_from, loc, out)
        if mandate is not None:
            _check_route_dates(route, i, mandate, out)
    return len(out) == before


def _check_contiguous(route: RouteIn, following: date, loc: Loc, out: list[Problem]) -> None:
    if route.effective_to is None:
        out.append(Problem(loc, f"needs effective_to: {following} (the next version's start)"))
    elif route.effective_to != following:
        out.append(
            Problem(
                (*loc, "effective_to"),
                f"must equal the next version's effective_from ({following}): "
                "route versions must be contiguous",
            )
        )


def _check_route_dates(route: RouteIn, i: int, mandate: Mandate, out: list[Problem]) -> None:
    loc: Loc = ("routes", i)
    if i == 0 and route.effective_from != mandate.start:
        message = f"the first route must start with the mandate ({mandate.start})"
        out.append(Problem((*loc, "effective_from"), message))
    elif not mandate.covers(route.effective_from):
        out.append(Problem((*loc, "effective_from"), mandate.outside(route.effective_from)))
    if route.effective_to is not None and route.effective_to > mandate.end:
        out.append(Problem((*loc, "effective_to"), f"is after the mandate end ({mandate.end})"))


def _check_posts(posts: list[tuple[int, PostIn]], out: list[Problem]) -> None:
    first_index: dict[str, int] = {}
    for i, post in posts:
        if not post.id.strip():
            out.append(Problem(("posts", i, "id"), "must not be empty"))
        elif post.id in first_index:
            message = f"duplicate post id {post.id!r} (first used by posts[{first_index[post.id]}])"
            out.append(Problem(("posts", i, "id"), message))
        else:
            first_index[post.id] = i
        _check_names(post.names, ("posts", i, "names"), out)
        _check_point(post.point, ("posts", i, "point"), out)


def _check_checkpoints_in_band(
    width_m: float,
    mandate: Mandate,
    routes: list[RouteIn],
    posts: list[tuple[int, PostIn]],
    out: list[Problem],
) -> None:
    checkpoints = [(i, p) for i, p in posts if p.kind is PostKind.CHECKPOINT]
    if not checkpoints:
        return
    lons = [p.point[0] for _, p in checkpoints]
    lats = [p.point[1] for _, p in checkpoints]
    try:
        geometry = CorridorGeometry(route_corridor(width_m, mandate.start, mandate.end, routes))
        inside = geometry.contains_many(lons, lats, mandate.start)
        distances = geometry.distance_many(lons, lats, mandate.start)
    except ValidationError as exc:
        out.append(Problem(("routes",), f"cannot build the corridor geometry: {exc}"))
        return
    version = geometry.version_at(mandate.start).route.version
    for (i, post), is_in, dist in zip(checkpoints, inside, distances, strict=True):
        if not is_in:
            message = (
                f"checkpoint {post.id} is {dist / 1000:.2f} km from route version {version}, "
                f"outside its band ({width_m / 2000:g} km each side) at the mandate start"
            )
            out.append(Problem(("posts", i, "point"), message))


def route_corridor(
    width_m: float, mandate_start: date, mandate_end: date, routes: list[RouteIn]
) -> Corridor:
    """A bare :class:`Corridor` (no names, no posts) with these routes: enough for geometry."""
    lines = [r.line for r in routes]
    return Corridor(
        id="",
        names=(),
        width_m=width_m,
        endpoints=(Place((), lines[0][0]), Place((), lines[-1][-1])),
        mandate_start=mandate_start,
        mandate_end=mandate_end,
        routes=tuple(
            RouteVersion(
                version=r.version,
                effective_from=r.effective_from,
                effective_to=r.effective_to,
                line=tuple(r.line),
                description=" ".join(r.description.split()),
            )
            for r in routes
        ),
    )


def _check_traffic(
    t: Fields,
    mandate: Mandate | None,
    known_ids: frozenset[str],
    posts: dict[str, PostIn],
    out: list[Problem],
) -> None:
    for name, value in t.items():
        if name in _NOT_NUMBERS:
            continue
        if value < 0:
            out.append(Problem(("traffic", name), f"must not be negative (got {value})"))
        elif name in _FRACTIONS and value > 1:
            out.append(
                Problem(("traffic", name), f"is a fraction: must lie in [0, 1] (got {value})")
            )
    if t.get("average_speed_kmh") == 0:
        out.append(Problem(("traffic", "average_speed_kmh"), "must be positive"))
    low, high = t.get("truck_cargo_kg_min"), t.get("truck_cargo_kg_max")
    if low is not None and high is not None and low > high >= 0:
        message = "must not be less than truck_cargo_kg_min"
        out.append(Problem(("traffic", "truck_cargo_kg_max"), message))
    if mandate is not None and "start_date" in t and not mandate.covers(t["start_date"]):
        out.append(Problem(("traffic", "start_date"), mandate.outside(t["start_date"])))
    for key in ("inbound_entry_post", "outbound_entry_post"):
        if key in t:
            check_post_ref(t[key], ("traffic", key), known_ids, posts, out, checkpoint=True)
    inbound, outbound = t.get("inbound_entry_post"), t.get("outbound_entry_post")
    if inbound is not None and inbound == outbound:
        out.append(
            Problem(("traffic", "outbound_entry_post"), "must differ from inbound_entry_post")
        )
