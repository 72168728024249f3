"""``overdue``: a vehicle that passed a checkpoint and has not reached the next one in time.

The next checkpoint is the next *active* one in the vehicle's direction by chainage on the route
in force when it passed (inbound runs up the chainage, outbound down it). Only active checkpoints
count, because a vehicle cannot be overdue at a post that records nothing. Allowed time is the
expected time (distance along the route / speed of the vehicle's class, times the direction's
factor) plus a margin (the larger of a fixed margin and a fraction of the expected time).

One leg in flight per vehicle. The leg ends at the vehicle's next passage anywhere: reaching the
target (or a post beyond it, when the target's record is missing) closes an open alert with the
actual time; a passage elsewhere (it turned back) closes it saying where it was seen. Deadlines
sit in a heap, so :meth:`OverdueRule.tick` only touches legs that are due.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import shapely

from corridor.geo.band import CorridorGeometry
from corridor.model.corridor import RouteVersion
from corridor.model.vocabulary import Direction, PassageKind, VehicleClass
from corridor.monitor.alerts import (
    Alert,
    AlertChange,
    AlertKind,
    AlertTable,
    Figure,
    Severity,
    SubjectKind,
    minutes,
)
from corridor.monitor.config import TransitConfig
from corridor.monitor.observations import PassageObservation
from corridor.monitor.state import Deadlines, Recency

#: Chainages closer than this (metres) are the same place on the route.
_SAME_PLACE_M = 1.0


@dataclass(frozen=True, slots=True)
class Leg:
    """A vehicle on its way from one checkpoint to the next active one."""

    vehicle: str
    vehicle_class: VehicleClass
    direction: Direction
    event_id: str
    from_post: str
    to_post: str
    to_chainage_m: float
    distance_m: float
    passed_at: datetime
    expected: timedelta
    allowed: timedelta

    @property
    def key(self) -> str:
        return f"{AlertKind.OVERDUE}:{self.vehicle}:{self.event_id}"

    @property
    def due(self) -> datetime:
        return self.passed_at + self.allowed


class _Line:
    """Chainage of every post on one route version, and the active checkpoints in order."""

    def __init__(self, geometry: CorridorGeometry, route: RouteVersion, active: frozenset[str]):
        posts = geometry.corridor.posts
        line = geometry.for_route(route).line_m
        xs, ys = geometry.projection.to_metres(
            [p.point[0] for p in posts], [p.point[1] for p in posts]
        )
        along = np.asarray(shapely.line_locate_point(line, shapely.points(xs, ys))).tolist()
        self.chainage: dict[str, float] = {p.id: c for p, c in zip(posts, along, strict=True)}
        stops = sorted((self.chainage[p.id], p.id) for p in posts if p.id in active)
        self._chainages = [c for c, _ in stops]
        self._ids = [i for _, i in stops]

    def next_after(self, here: float, direction: Direction) -> tuple[str, float] | None:
        """The next active checkpoint from chainage ``here`` in ``direction``, if any."""
        if direction is Direction.INBOUND:
            n = bisect.bisect_right(self._chainages, here + _SAME_PLACE_M)
            return (self._ids[n], self._chainages[n]) if n < len(self._ids) else None
        n = bisect.bisect_left(self._chainages, here - _SAME_PLACE_M) - 1
        return (self._ids[n], self._chainages[n]) if n >= 0 else None


class OverdueRule:
    """Follows one leg per vehicle between active checkpoints; opens when a leg is late."""

    kinds = (AlertKind.OVERDUE,)

    def __init__(
        self,
        geometry: CorridorGeometry,
        active_posts: frozenset[str],
        config: TransitConfig | None = None,
    ) -> None:
        self.geometry = geometry
        self.active_posts = active_posts
        self.config = config or TransitConfig()
        self.alerts = AlertTable()
        self._lines: dict[int, _Line] = {}
        self._legs: dict[str, Leg] = {}
        self._due: Deadlines[str] = Deadlines()
        self._seen: Recency[str] = Recency()

    def leg(self, vehicle: str) -> Leg | None:
        """The leg ``vehicle`` is on, if it is between two active checkpoints."""
        return self._legs.get(vehicle)

    def _line(self, at: datetime) -> _Line:
        route = self.geometry.corridor.route_at(at)
        line = self._lines.get(route.version)
        if line is None:
            line = self._lines[route.version] = _Line(self.geometry, route, self.active_posts)
        return line

    def on_passage(self, obs: PassageObservation) -> list[AlertChange]:
        if not self.geometry.corridor.has_post(obs.post_id):
            return []
        vehicle = obs.vehicle
        last = self._seen.last(vehicle)
        if last is not None and obs.observed_at < last:
            return []  # a late record of a passage the vehicle has moved on from
        leg = self._legs.get(vehicle)
        if leg is not None and leg.event_id == obs.event_id:
            return []  # the same passage delivered twice
        self._seen.touch(vehicle, obs.observed_at)
        line = self._line(obs.observed_at)
        here = line.chainage[obs.post_id]
        changes: list[AlertChange] = []
        if leg is not None:
            change = self._end(leg, obs, here)
            if change is not None:
                changes.append(change)
        if obs.kind is PassageKind.PASSED:
            target = line.next_after(here, obs.direction)
            if target is not None:
                self._start(obs, here, *target)
        return changes

    def _start(self, obs: PassageObservation, here: float, to_post: str, to_ch: float) -> None:
        config = self.config
        distance = abs(to_ch - here)
        hours = distance / 1000.0 / config.speeds_kmh[obs.vehicle_class]
        hours *= config.direction_factor.get(obs.direction, 1.0)
        expected = timedelta(seconds=round(hours * 3600))
        margin = max(config.margin, expected * config.margin_fraction)
        leg = Leg(
            vehicle=obs.vehicle,
            vehicle_class=obs.vehicle_class,
            direction=obs.direction,
            event_id=obs.event_id,
            from_post=obs.post_id,
            to_post=to_post,
            to_chainage_m=to_ch,
            distance_m=distance,
            passed_at=obs.observed_at,
            expected=expected,
            allowed=expected + margin,
        )
        self._legs[obs.vehicle] = leg
        self._due.set(obs.vehicle, leg.due)

    def _end(self, leg: Leg, obs: PassageObservation, here: float) -> AlertChange | None:
        del self._legs[leg.vehicle]
        self._due.cancel(leg.vehicle)
        if leg.key not in self.alerts:
            return None
        ahead = here - leg.to_chainage_m
        if leg.direction is Direction.OUTBOUND:
            ahead = -ahead
        reached = obs.direction is leg.direction and ahead >= -_SAME_PLACE_M
        taken = obs.observed_at - leg.passed_at
        post = self.geometry.corridor.post(obs.post_id).label
        if reached:
            summary = (
                f"Vehicle {leg.vehicle} reached {post} {minutes(taken):.0f} min after passing "
                f"{self._label(leg.from_post)} (allowed {minutes(leg.allowed):.0f} min)."
            )
        else:
            summary = (
                f"Vehicle {leg.vehicle} was next recorded at {post} ({obs.direction.value}), "
                f"not at {self._label(leg.to_post)}."
            )
        figures: dict[str, Figure] = {
            "actual_min": minutes(taken),
            "late_by_min": minutes(taken - leg.allowed),
            "arrived_post": obs.post_id,
            "reached": int(reached),
        }
        return self.alerts.close(
            leg.key, obs.observed_at, summary=summary, evidence=[obs.event_id], figures=figures
        )

    def _label(self, post_id: str) -> str:
        return self.geometry.corridor.post(post_id).label

    def tick(self, now: datetime) -> list[AlertChange]:
        """Open an alert for every leg whose allowed time has run out by ``now``."""
        changes = [
            self.alerts.open(self._alert(self._legs[v], due)) for v, due in self._due.pop_due(now)
        ]
        for vehicle in self._seen.stale(now, self.config.forget_after):
            leg = self._legs.get(vehicle)
            if leg is not None and leg.key not in self.alerts:
                del self._legs[vehicle]  # nothing open: nothing left to close later
                self._due.cancel(vehicle)
        return changes

    def _alert(self, leg: Leg, due: datetime) -> Alert:
        return Alert(
            kind=AlertKind.OVERDUE,
            key=leg.key,
            severity=Severity.WARNING,
            subject=leg.vehicle,
            subject_kind=SubjectKind.VEHICLE,
            opened_at=due,
            summary=(
                f"Vehicle {leg.vehicle} ({leg.vehicle_class.value}, {leg.direction.value}) passed "
                f"{self._label(leg.from_post)} at {leg.passed_at:%Y-%m-%d %H:%M} UTC and has not "
                f"reached {self._label(leg.to_post)} within {minutes(leg.allowed):.0f} min."
            ),
            evidence=(leg.event_id,),
            figures={
                "from_post": leg.from_post,
                "to_post": leg.to_post,
                "distance_km": round(leg.distance_m / 1000.0, 2),
                "expected_min": minutes(leg.expected),
                "allowed_min": minutes(leg.allowed),
            },
        )
