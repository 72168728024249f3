"""``left_band``: a tracked vehicle outside the band of the route version in force at its time.

Distances are metric (:class:`~corridor.geo.CorridorGeometry`): a fix's *excess* is its distance
from the route centreline minus half the corridor width, so positive means outside the band edge.
A fix whose nearest route point is one of the route's two ends is *beyond the end*, not beside
the band: a vehicle queueing before the entry checkpoint or driving on into the town at the far
end has not left the corridor, it is not in it yet (or any more). Such fixes are neutral: their
excess is NaN and they neither open nor close an alert.

The batch path (:func:`band_excess_m`, :func:`outside_band`) is vectorised with numpy and
Shapely 2: one projection and one distance call per day present in the batch, and
:func:`outside_band` first settles the many fixes inside the band with the band polygon.
Hysteresis (:class:`~corridor.monitor.state.Hysteresis`) is inherently sequential per vehicle
and runs in Python over the precomputed excesses.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, date, datetime

import numpy as np
import numpy.typing as npt
import shapely

from corridor.geo.band import BoolArray, CorridorGeometry, FloatArray
from corridor.monitor.alerts import (
    Alert,
    AlertChange,
    AlertKind,
    AlertTable,
    Severity,
    SubjectKind,
    minutes,
)
from corridor.monitor.config import LeftBandConfig
from corridor.monitor.observations import PositionFix, PositionRule
from corridor.monitor.state import Decision, Recency

#: A fix this close (metres of chainage) to an end of the route counts as beyond that end.
_END_TOLERANCE_M = 0.5

Times = datetime | date | npt.NDArray[np.datetime64]


def _day(moment: datetime | date) -> np.datetime64:
    if isinstance(moment, datetime):
        moment = moment.astimezone(UTC).date()
    return np.datetime64(moment, "D")


def fix_times(fixes: Sequence[PositionFix]) -> npt.NDArray[np.datetime64]:
    """The fixes' times as a numpy array (UTC, whole microseconds), for the batch functions."""
    return np.array([f.at.replace(tzinfo=None) for f in fixes], dtype="datetime64[us]")


def _day_groups(at: Times, count: int) -> list[tuple[date, npt.NDArray[np.intp]]]:
    """Indices of the points per UTC day (the route in force changes at most once a day)."""
    if isinstance(at, datetime | date):
        return [(_day(at).astype(date), np.arange(count))]
    days = np.asarray(at).astype("datetime64[D]")
    first, last = days.min(), days.max()
    if first == last:
        return [(first.astype(date), np.arange(count))]
    unique, inverse = np.unique(days, return_inverse=True)
    return [(day.astype(date), np.flatnonzero(inverse == n)) for n, day in enumerate(unique)]


def excess_xy(geometry: CorridorGeometry, xs: FloatArray, ys: FloatArray, at: Times) -> FloatArray:
    """Metres outside the band edge for local metric points (negative inside, NaN beyond an
    end), each against the route version in force at its time (``at``: one time or one each)."""
    out = np.empty(len(xs), dtype=np.float64)
    if len(xs) == 0:
        return out
    half_width = geometry.corridor.width_m / 2.0
    for day, index in _day_groups(at, len(xs)):
        route = geometry.version_at(day)
        points = shapely.points(xs[index], ys[index])
        excess = np.asarray(shapely.distance(route.line_m, points), dtype=np.float64) - half_width
        outside = np.flatnonzero(excess > 0)
        if len(outside):
            along = np.asarray(shapely.line_locate_point(route.line_m, points[outside]))
            beyond = (along <= _END_TOLERANCE_M) | (along >= route.length_m - _END_TOLERANCE_M)
            excess[outside[beyond]] = np.nan
        out[index] = excess
    return out


def band_excess_m(
    geometry: CorridorGeometry, lons: npt.ArrayLike, lats: npt.ArrayLike, at: Times
) -> FloatArray:
    """Vectorised excess (metres outside the band edge) of WGS84 positions; see the module."""
    xs, ys = geometry.projection.to_metres(lons, lats)
    return excess_xy(geometry, xs, ys, at)


def outside_band(
    geometry: CorridorGeometry, lons: npt.ArrayLike, lats: npt.ArrayLike, at: Times
) -> BoolArray:
    """Which positions are beside the band, outside its edge (raw fixes, no hysteresis).

    Most fixes are inside the band, so they are settled first by the band polygon
    (:meth:`~corridor.geo.CorridorGeometry.contains_many`, which avoids projecting most of
    them). The polygon's round joins are chords inside the true arcs, so a point in the polygon
    is within half a width of the route: the answer stays exact. Only the rest are projected
    and measured.
    """
    lon_arr = np.asarray(lons, dtype=np.float64)
    lat_arr = np.asarray(lats, dtype=np.float64)
    out = np.zeros(len(lon_arr), dtype=np.bool_)
    for day, index in _day_groups(at, len(lon_arr)):
        inside = geometry.contains_many(lon_arr[index], lat_arr[index], day)
        rest = index[~inside]
        if len(rest):
            excess = band_excess_m(geometry, lon_arr[rest], lat_arr[rest], day)
            with np.errstate(invalid="ignore"):
                out[rest] = excess > 0
    return out


class LeftBandRule(PositionRule):
    """Opens ``left_band`` per vehicle with hysteresis; closes when it is well back inside."""

    kinds = (AlertKind.LEFT_BAND,)

    def __init__(self, geometry: CorridorGeometry, config: LeftBandConfig | None = None) -> None:
        self.geometry = geometry
        self.config = config or LeftBandConfig()
        self.alerts = AlertTable()
        self._hysteresis = self.config.hysteresis()
        self._runs: dict[str, list[str]] = {}  # ids of the current run of outside fixes
        self._seen: Recency[str] = Recency()

    def observe_many(
        self, fixes: Sequence[PositionFix], xs: FloatArray, ys: FloatArray
    ) -> list[AlertChange]:
        """Feed fixes already projected to local metres (the engine projects once for all)."""
        excess = excess_xy(self.geometry, xs, ys, fix_times(fixes))
        changes: list[AlertChange] = []
        for fix, value in zip(fixes, excess.tolist(), strict=True):
            change = self.observe(fix, value)
            if change is not None:
                changes.append(change)
        return changes

    def observe(self, fix: PositionFix, excess: float) -> AlertChange | None:
        """One fix and its excess in metres (NaN: beyond an end of the route)."""
        if fix.subject_kind is SubjectKind.CREW and not self.config.track_crews:
            return None
        subject = fix.subject
        last = self._seen.last(subject)
        if last is not None and fix.at < last:
            return None  # a late fix: the run it belonged to has been judged already
        self._seen.touch(subject, fix.at)
        key = f"{AlertKind.LEFT_BAND}:{subject}"
        alert = self.alerts.get(key)
        run = self._runs.get(subject, [])
        value = None if math.isnan(excess) else excess
        decision, length = self._hysteresis.step(alert is not None, len(run), value)
        if length:
            # Kept to open_after_fixes ids: enough to trigger, and the evidence of the alert.
            run = [*run, fix.id][-self._hysteresis.open_after_fixes :]
            self._runs[subject] = run
        else:
            self._runs.pop(subject, None)
        if decision is Decision.OPEN:
            assert value is not None
            return self.alerts.open(self._alert(fix, key, value, run))
        if alert is None or value is None:
            return None
        if decision is Decision.CLOSE:
            return self.alerts.close(
                key,
                fix.at,
                evidence=[fix.id],
                figures={
                    "back_inside_m": round(-value, 1),
                    "outside_min": minutes(fix.at - alert.opened_at),
                },
            )
        widest = float(alert.figures.get("max_excess_m", 0.0))
        if value > widest + self._hysteresis.open_excess_m:
            return self.alerts.update(
                key,
                fix.at,
                summary=self._summary(fix, value),
                evidence=[fix.id],
                figures={"max_excess_m": round(value, 1)},
            )
        return None

    def _alert(self, fix: PositionFix, key: str, excess: float, run: list[str]) -> Alert:
        version = self.geometry.corridor.route_at(fix.at).version
        return Alert(
            kind=AlertKind.LEFT_BAND,
            key=key,
            severity=Severity.WARNING,
            subject=fix.subject,
            subject_kind=fix.subject_kind,
            opened_at=fix.at,
            summary=self._summary(fix, excess),
            evidence=tuple(run),
            figures={
                "excess_m": round(excess, 1),
                "max_excess_m": round(excess, 1),
                "route_version": version,
                "lon": round(fix.lon, 6),
                "lat": round(fix.lat, 6),
            },
        )

    def _summary(self, fix: PositionFix, excess: float) -> str:
        version = self.geometry.corridor.route_at(fix.at).version
        return (
            f"{fix.subject_kind.value.capitalize()} {fix.subject} is {excess:,.0f} m outside "
            "the corridor band "
            f"(route version {version})."
        )

    def tick(self, now: datetime) -> list[AlertChange]:
        """Forget vehicles not heard of for ``forget_after``; their open alerts stay open."""
        for subject in self._seen.stale(now, self.config.forget_after):
            self._runs.pop(subject, None)
        return []
