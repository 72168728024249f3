"""Tracker fixes: where a simulated tracker is over time, sampled every fix interval with noise.

A :class:`Path` is a tracker's whereabouts as knots (time, x, y) in the corridor's local metres;
between knots it moves in a straight line at constant speed, and two knots at one place are a
stop. Knots along the road sit on the route's own vertices, so a path follows the road exactly.
:func:`sample` turns a path into :class:`TrackerFix` values, vectorised, one path at a time, and
:func:`merged` interleaves a day's paths in time order without building the day's list: memory
grows with the number of trackers on the road, not with the number of fixes.

GPS noise is Gaussian, 3 m each axis, cut at 9 m: a few metres, as a phone or a vehicle tracker
reports under open sky, and far too little to take a fix out of a band 2.5 km wide.
"""

from __future__ import annotations

import hashlib
import heapq
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

from corridor.geo.projection import LocalProjection

NOISE_SIGMA_M = 3.0
NOISE_CUT_M = 9.0
#: What the simulated trackers report as their horizontal accuracy (about two sigma).
ACCURACY_M = 6.0


@dataclass(frozen=True, slots=True)
class TrackerFix:
    """One position report, as a tracker sends it (OsmAnd protocol): private data at HQ."""

    device_id: str
    lon: float
    lat: float
    at: datetime  # aware, UTC
    speed_mps: float
    bearing_deg: float  # 0 = north, clockwise
    accuracy_m: float


@dataclass(frozen=True, slots=True)
class Path:
    """A tracker's knots: POSIX seconds (not decreasing) and local metres."""

    device_id: str
    times: tuple[float, ...]
    xs: tuple[float, ...]
    ys: tuple[float, ...]

    @property
    def start(self) -> float:
        return self.times[0]

    @property
    def end(self) -> float:
        return self.times[-1]


class PathBuilder:
    """Appends knots to a path: stand, go to a point, or follow the route between chainages."""

    def __init__(self, start: float, x: float, y: float) -> None:
        self.times, self.xs, self.ys = [start], [x], [y]

    @property
    def now(self) -> float:
        return self.times[-1]

    def knot(self, at: float, x: float, y: float) -> None:
        self.times.append(max(at, self.now))
        self.xs.append(x)
        self.ys.append(y)

    def stand(self, seconds: float) -> None:
        self.knot(self.now + seconds, self.xs[-1], self.ys[-1])

    def go(self, x: float, y: float, speed_mps: float) -> None:
        distance = math.hypot(x - self.xs[-1], y - self.ys[-1])
        self.knot(self.now + distance / speed_mps, x, y)

    def follow(self, points: Sequence[tuple[float, float]], seconds: float) -> None:
        """Drive through ``points`` (route vertices) in ``seconds``, at one speed throughout."""
        steps = [math.hypot(x - px, y - py) for (px, py), (x, y) in _pairs(self._last(), points)]
        total = sum(steps) or 1.0
        start, done = self.now, 0.0
        for (x, y), step in zip(points, steps, strict=True):
            done += step
            self.knot(start + seconds * done / total, x, y)

    def _last(self) -> tuple[float, float]:
        return self.xs[-1], self.ys[-1]

    def build(self, device_id: str) -> Path:
        return Path(device_id, tuple(self.times), tuple(self.xs), tuple(self.ys))


def _pairs(
    first: tuple[float, float], points: Sequence[tuple[float, float]]
) -> Iterator[tuple[tuple[float, float], tuple[float, float]]]:
    previous = first
    for point in points:
        yield previous, point
        previous = point


def device_phase(device_id: str, interval_s: int) -> int:
    """A device's fixed offset within the fix interval, so trackers do not all report at :00."""
    digest = hashlib.sha256(device_id.encode()).digest()
    return int.from_bytes(digest[:4], "big") % interval_s


def sample(
    path: Path, projection: LocalProjection, interval_s: int, seed: int
) -> Iterator[TrackerFix]:
    """The fixes a tracker on ``path`` sends, every ``interval_s`` seconds, with GPS noise."""
    phase = device_phase(path.device_id, interval_s)
    first = math.ceil((path.start - phase) / interval_s) * interval_s + phase
    count = max(0, math.floor((path.end - first) / interval_s) + 1)
    kt, kx, ky = (np.asarray(v, dtype=float) for v in (path.times, path.xs, path.ys))
    digest = hashlib.sha256(f"{seed}/{path.device_id}/{path.start}".encode()).digest()
    rng = np.random.default_rng(int.from_bytes(digest[:8], "big"))
    # In chunks, so a day's merged stream holds a chunk per tracker, not every tracker's day.
    for low in range(0, count, _CHUNK):
        ts = first + interval_s * np.arange(low, min(count, low + _CHUNK), dtype=float)
        yield from _fixes(path.device_id, ts, kt, kx, ky, rng, projection)


_CHUNK = 16


def _fixes(
    device: str,
    ts: npt.NDArray[np.float64],
    kt: npt.NDArray[np.float64],
    kx: npt.NDArray[np.float64],
    ky: npt.NDArray[np.float64],
    rng: np.random.Generator,
    projection: LocalProjection,
) -> Iterator[TrackerFix]:
    xs, ys = np.interp(ts, kt, kx), np.interp(ts, kt, ky)
    # Speed and heading of the segment each fix falls in (a stop has speed 0).
    seg = np.clip(np.searchsorted(kt, ts, side="right") - 1, 0, max(len(kt) - 2, 0))
    nxt = np.minimum(seg + 1, len(kt) - 1)
    dt = np.maximum(kt[nxt] - kt[seg], 1e-9)
    dx, dy = kx[nxt] - kx[seg], ky[nxt] - ky[seg]
    moving = (kt[nxt] > kt[seg]) & (np.hypot(dx, dy) > 0)
    speeds = np.where(moving, np.hypot(dx, dy) / dt, 0.0)
    bearings = np.where(moving, np.degrees(np.arctan2(dx, dy)) % 360.0, 0.0)
    noise = np.clip(rng.normal(0.0, NOISE_SIGMA_M, (2, len(ts))), -NOISE_CUT_M, NOISE_CUT_M)
    lons, lats = projection.to_lonlat(xs + noise[0], ys + noise[1])
    for t, lon, lat, speed, bearing in zip(
        ts.tolist(), lons.tolist(), lats.tolist(), speeds.tolist(), bearings.tolist(), strict=True
    ):
        yield TrackerFix(
            device_id=device,
            lon=round(lon, 7),
            lat=round(lat, 7),
            at=datetime.fromtimestamp(t, UTC),
            speed_mps=round(speed, 2),
            bearing_deg=round(bearing, 1),
            accuracy_m=ACCURACY_M,
        )


def merged(
    paths: Sequence[Path], projection: LocalProjection, interval_s: int, seed: int
) -> Iterator[TrackerFix]:
    """Every path's fixes in one stream ordered by time (then device)."""
    streams = [sample(p, projection, interval_s, seed) for p in paths]
    return heapq.merge(*streams, key=lambda f: (f.at, f.device_id))
