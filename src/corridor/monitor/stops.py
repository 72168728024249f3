"""``long_stop``: a tracked vehicle that has not moved for too long, away from any post.

A stop is anchored at the first fix of it: while later fixes stay within ``stop_radius_m`` of
the anchor the vehicle is standing (a fixed anchor, not the last fix, so slow drift of GPS noise
cannot walk a standing vehicle away, nor creeping traffic look like a stop for ever). The alert
opens on the first fix that shows the stop has lasted ``min_stop``, unless the anchor is within
``post_radius_m`` of a post (queues and inspections at a checkpoint are normal) or within
``endpoint_radius_m`` of an end of the corridor (the towns it joins: a vehicle parked at home
is not stopped in the corridor). It closes on the first fix outside the radius.

Stops are judged from fixes only: a device that stops reporting is not a stopped vehicle.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from corridor.geo.band import CorridorGeometry, FloatArray
from corridor.model.events import format_time
from corridor.monitor.alerts import (
    Alert,
    AlertChange,
    AlertKind,
    AlertTable,
    Severity,
    SubjectKind,
    minutes,
)
from corridor.monitor.config import StopConfig
from corridor.monitor.observations import PositionFix, PositionRule
from corridor.monitor.state import Recency


@dataclass(slots=True)
class _Anchor:
    """Where and since when a subject has been standing (mutable: updated on every fix)."""

    x: float
    y: float
    since: datetime
    fix_id: str
    last_at: datetime
    exempt: bool | None = None  # near a post or an end; computed once, when first needed


class LongStopRule(PositionRule):
    """One anchor per tracked vehicle; opens when it has stood still too long off a post."""

    kinds = (AlertKind.LONG_STOP,)

    def __init__(self, geometry: CorridorGeometry, config: StopConfig | None = None) -> None:
        self.geometry = geometry
        self.config = config or StopConfig()
        self.alerts = AlertTable()
        corridor = geometry.corridor
        projection = geometry.projection
        self._post_ids = [p.id for p in corridor.posts]
        self._post_xy = projection.to_metres(
            [p.point[0] for p in corridor.posts], [p.point[1] for p in corridor.posts]
        )
        self._end_xy = projection.to_metres(
            [e.point[0] for e in corridor.endpoints], [e.point[1] for e in corridor.endpoints]
        )
        self._anchors: dict[str, _Anchor] = {}
        self._seen: Recency[str] = Recency()

    def observe_many(
        self, fixes: Sequence[PositionFix], xs: FloatArray, ys: FloatArray
    ) -> list[AlertChange]:
        """Feed fixes already projected to local metres."""
        changes = []
        for fix, x, y in zip(fixes, xs.tolist(), ys.tolist(), strict=True):
            change = self.observe(fix, x, y)
            if change is not None:
                changes.append(change)
        return changes

    def observe(self, fix: PositionFix, x: float, y: float) -> AlertChange | None:
        if fix.subject_kind is SubjectKind.CREW and not self.config.track_crews:
            return None
        subject = fix.subject
        anchor = self._anchors.get(subject)
        if anchor is not None and fix.at < anchor.last_at:
            return None  # late fix: the stop it belongs to has been judged
        self._seen.touch(subject, fix.at)
        key = f"{AlertKind.LONG_STOP}:{subject}"
        if anchor is None or math.hypot(x - anchor.x, y - anchor.y) > self.config.stop_radius_m:
            self._anchors[subject] = _Anchor(x, y, fix.at, fix.id, fix.at)
            if anchor is None or key not in self.alerts:
                return None
            return self.alerts.close(
                key,
                fix.at,
                evidence=[fix.id],
                figures={"stopped_min": minutes(anchor.last_at - anchor.since)},
            )
        anchor.last_at = fix.at
        stood = fix.at - anchor.since
        if key in self.alerts or stood < self.config.min_stop:
            return None
        if anchor.exempt is None:
            anchor.exempt = self._near_post_or_end(anchor)
        if anchor.exempt:
            return None
        return self.alerts.open(self._alert(fix, key, anchor))

    def _near_post_or_end(self, anchor: _Anchor) -> bool:
        config = self.config
        if len(self._post_ids) and self._nearest_post(anchor)[1] <= config.post_radius_m:
            return True
        ends = np.hypot(self._end_xy[0] - anchor.x, self._end_xy[1] - anchor.y)
        return bool(ends.min() <= config.endpoint_radius_m)

    def _nearest_post(self, anchor: _Anchor) -> tuple[str, float]:
        distances = np.hypot(self._post_xy[0] - anchor.x, self._post_xy[1] - anchor.y)
        n = int(distances.argmin())
        return self._post_ids[n], float(distances[n])

    def _alert(self, fix: PositionFix, key: str, anchor: _Anchor) -> Alert:
        stood = minutes(fix.at - anchor.since)
        figures: dict[str, float | int | str] = {
            "stopped_min": stood,
            "stopped_since": format_time(anchor.since),
            "lon": round(fix.lon, 6),
            "lat": round(fix.lat, 6),
        }
        where = ""
        if self._post_ids:
            post, distance = self._nearest_post(anchor)
            figures |= {"nearest_post": post, "nearest_post_km": round(distance / 1000.0, 2)}
            label = self.geometry.corridor.post(post).label
            where = f", {distance / 1000.0:.1f} km from {label}"
        return Alert(
            kind=AlertKind.LONG_STOP,
            key=key,
            severity=Severity.WARNING,
            subject=fix.subject,
            subject_kind=fix.subject_kind,
            opened_at=fix.at,
            summary=(
                f"{fix.subject_kind.value.capitalize()} {fix.subject} has not moved for "
                f"{stood:.0f} min{where}."
            ),
            evidence=(anchor.fix_id, fix.id),
            figures=figures,
        )

    def tick(self, now: datetime) -> list[AlertChange]:
        """Forget subjects not heard of for ``forget_after``, except those with an open alert
        (their anchor is what closes it when they move again)."""
        for subject in self._seen.stale(now, self.config.forget_after):
            if f"{AlertKind.LONG_STOP}:{subject}" not in self.alerts:
                self._anchors.pop(subject, None)
        return []
