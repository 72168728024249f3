"""The corridor itself: route versions, width, endpoints, mandate, posts. No I/O.

Geometry here is plain coordinates (longitude, latitude, WGS84); metric work (band, chainage,
point-in-band) is :mod:`corridor.geo`'s.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum

from corridor.errors import UnknownPostError, ValidationError

LonLat = tuple[float, float]


class PostKind(StrEnum):
    CHECKPOINT = "checkpoint"
    OBSERVATION = "observation"


@dataclass(frozen=True, slots=True)
class Place:
    """A named point. ``names`` holds every name in use, e.g. ("Lachin", "Berdzor")."""

    names: tuple[str, ...]
    point: LonLat

    @property
    def label(self) -> str:
        """All names joined with " / ", the neutral way to show a place with two names."""
        return " / ".join(self.names)


@dataclass(frozen=True, slots=True)
class RouteVersion:
    """The route centreline in force from ``effective_from`` until ``effective_to`` (exclusive)."""

    version: int
    effective_from: date
    effective_to: date | None
    line: tuple[LonLat, ...]
    description: str = ""

    def in_force(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day < self.effective_to)


@dataclass(frozen=True, slots=True)
class Post:
    """A checkpoint on the road or an observation post.

    ``chainage_m`` is the distance along the route in force at the start of the mandate;
    :func:`corridor.geo.chainage` gives it for any other date. ``public_key`` is the post's
    current Ed25519 key once one is registered.
    """

    id: str
    names: tuple[str, ...]
    point: LonLat
    kind: PostKind
    chainage_m: float = 0.0
    public_key: bytes | None = None

    @property
    def label(self) -> str:
        return " / ".join(self.names)


@dataclass(frozen=True, slots=True)
class Corridor:
    """A transit corridor: the route versions, its width, its ends, its mandate and its posts."""

    id: str
    names: tuple[str, ...]
    width_m: float
    endpoints: tuple[Place, Place]
    mandate_start: date
    mandate_end: date
    routes: tuple[RouteVersion, ...]
    posts: tuple[Post, ...] = ()
    _posts_by_id: dict[str, Post] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.routes:
            raise ValidationError("routes", "a corridor needs at least one route version")
        object.__setattr__(self, "_posts_by_id", {post.id: post for post in self.posts})

    @property
    def label(self) -> str:
        return " / ".join(self.names)

    def route_at(self, moment: datetime | date) -> RouteVersion:
        """The route version in force at ``moment`` (the first one before the mandate starts)."""
        day = moment.astimezone(UTC).date() if isinstance(moment, datetime) else moment
        for route in self.routes:
            if route.in_force(day):
                return route
        if day < self.routes[0].effective_from:
            return self.routes[0]
        return self.routes[-1]

    def post(self, post_id: str) -> Post:
        """The post with this id, or :class:`UnknownPostError` naming it."""
        try:
            return self._posts_by_id[post_id]
        except KeyError:
            raise UnknownPostError(
                "post", f"unknown post {post_id!r} in corridor {self.id!r}"
            ) from None

    def has_post(self, post_id: str) -> bool:
        return post_id in self._posts_by_id

    @property
    def checkpoints(self) -> tuple[Post, ...]:
        return tuple(p for p in self.posts if p.kind is PostKind.CHECKPOINT)
