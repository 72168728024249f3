"""``disruption``: flow through the corridor far below its recent baseline for hours (a blockade).

Flow is counted per direction and per vehicle class (plus all classes together), as ``passed``
events per hour (UTC; at the entry posts only, if ``entry_posts`` is set). Every hour, once the
hour has settled, the rule compares the last ``window_hours`` hours with what the same hours of
the day carried on recent days: the expected count of each hour is the median of that hour on
the last ``baseline_days`` days (hours inside an earlier disruption do not count). Comparing the
same hour of the day is what keeps the night from looking like a blockade: a night hour's
baseline is zero.

A window is *low* when its expected count is big enough to judge (``min_expected``), the
observed count is at most ``drop_ratio`` of it, and a count that low is improbable by chance
(Poisson tail below ``max_p_value``: normal day-to-day variation of a few vehicles an hour never
gets there). ``sustain_hours`` low windows in a row open the alert; it updates every hour with
the running figures, and closes after ``recover_hours`` windows back above ``recover_ratio`` of
expected. Windows with too little expected traffic (the night) neither open, update nor close.

The alert's ``opened_at`` is the start of the first low window and ``closed_at`` the start of
the first recovered one, so a bulletin can report when the flow stopped and came back; its
figures give expected and observed counts over the disruption.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from datetime import UTC, datetime

from corridor.model.vocabulary import Direction, PassageKind, VehicleClass
from corridor.monitor.alerts import (
    Alert,
    AlertChange,
    AlertKind,
    AlertTable,
    Figure,
    Severity,
    SubjectKind,
)
from corridor.monitor.config import DisruptionConfig
from corridor.monitor.observations import PassageObservation

ALL_CLASSES = "all"
#: Baseline samples are looked for this many times ``baseline_days`` back, so a long disruption
#: (whose hours are excluded) still leaves days to compare with.
_LOOKBACK_FACTOR = 4
_IDS_PER_HOUR = 5


def hour_of(moment: datetime) -> int:
    """Hours since the Unix epoch (UTC) of ``moment``'s hour."""
    return int(moment.timestamp() // 3600)


def hour_start(hour: int) -> datetime:
    return datetime.fromtimestamp(hour * 3600, UTC)


def poisson_cdf(k: int, mean: float) -> float:
    """P(X <= k) for X ~ Poisson(mean), in log space so large means do not underflow."""
    if k < 0:
        return 0.0
    if mean <= 0:
        return 1.0
    logs = [-mean + i * math.log(mean) - math.lgamma(i + 1) for i in range(k + 1)]
    top = max(logs)
    return min(1.0, math.exp(top) * sum(math.exp(v - top) for v in logs))


@dataclass(slots=True)
class _Series:
    """Hourly counts of one (direction, class) and its disruption state (mutable)."""

    direction: Direction
    vehicle_class: str
    counts: dict[int, int] = field(default_factory=dict)
    ids: dict[int, list[str]] = field(default_factory=dict)
    excluded: set[int] = field(default_factory=set)
    low_run: int = 0
    ok_run: int = 0
    episode: dict[int, tuple[float, int]] = field(default_factory=dict)  # hour: (exp, obs)
    low_hours: int = 0

    @property
    def key(self) -> str:
        return f"{AlertKind.DISRUPTION}:{self.direction}:{self.vehicle_class}"


class DisruptionRule:
    """Hourly counts per series, judged against a same-hour median baseline on every tick."""

    kinds = (AlertKind.DISRUPTION,)

    def __init__(self, config: DisruptionConfig | None = None, start: datetime | None = None):
        self.config = config or DisruptionConfig()
        self.alerts = AlertTable()
        classes = [c.value for c in VehicleClass]
        if self.config.count_total:
            classes.append(ALL_CLASSES)
        self._series = {(d, c): _Series(d, c) for d in Direction for c in classes}
        self._origin: int | None = None
        self._next: int = 0  # the next hour boundary to evaluate
        if start is not None:
            self._begin(hour_of(start))

    def _begin(self, hour: int) -> None:
        self._origin = hour
        self._next = hour + self.config.window_hours

    def on_passage(self, obs: PassageObservation) -> list[AlertChange]:
        if obs.kind is not PassageKind.PASSED:
            return []
        entry = self.config.entry_posts
        if entry is not None and entry.get(obs.direction) != obs.post_id:
            return []
        self.add_count(
            obs.direction, obs.vehicle_class.value, hour_of(obs.observed_at), 1, obs.event_id
        )
        return []

    def add_count(
        self,
        direction: Direction,
        vehicle_class: str,
        hour: int,
        passed: int,
        event_id: str | None = None,
    ) -> None:
        """Count ``passed`` vehicles of one class and direction into ``hour`` (hours since the
        epoch): :meth:`on_passage` for one passage, and the bulletin's replay from hourly counts
        (corridor.reports.disruptions), which keeps no passage."""
        if self._origin is None:
            self._begin(hour)
        assert self._origin is not None
        if hour < self._origin or hour < self._oldest(self._next):
            return  # before monitoring began, or older than any baseline still looks
        keys = [(direction, vehicle_class)]
        if self.config.count_total:
            keys.append((direction, ALL_CLASSES))
        for key in keys:
            series = self._series[key]
            series.counts[hour] = series.counts.get(hour, 0) + passed
            if event_id is not None:
                ids = series.ids.setdefault(hour, [])
                if len(ids) < _IDS_PER_HOUR:
                    ids.append(event_id)

    def tick(self, now: datetime) -> list[AlertChange]:
        """Evaluate every hour boundary that has settled by ``now``, oldest first."""
        if self._origin is None:
            self._begin(hour_of(now))
        changes: list[AlertChange] = []
        while hour_start(self._next) + self.config.settle <= now:
            for series in self._series.values():
                change = self._evaluate(series, self._next)
                if change is not None:
                    changes.append(change)
            self._prune(self._next)
            self._next += 1
        return changes

    def _baseline(self, series: _Series, hour: int) -> float | None:
        config = self.config
        assert self._origin is not None
        samples: list[int] = []
        for day in range(1, config.baseline_days * _LOOKBACK_FACTOR + 1):
            past = hour - 24 * day
            if past < self._origin or len(samples) == config.baseline_days:
                break
            if past not in series.excluded:
                samples.append(series.counts.get(past, 0))
        if len(samples) < config.min_baseline_days:
            return None
        return float(statistics.median(samples))

    def _evaluate(self, series: _Series, boundary: int) -> AlertChange | None:
        config = self.config
        hours = range(boundary - config.window_hours, boundary)
        baselines = [self._baseline(series, h) for h in hours]
        expected = sum(b for b in baselines if b is not None)
        observed = sum(series.counts.get(h, 0) for h in hours)
        judged = None not in baselines and expected >= config.min_expected
        low = (
            judged
            and observed <= config.drop_ratio * expected
            and poisson_cdf(observed, expected) <= config.max_p_value
        )
        if series.key not in self.alerts:
            series.low_run = series.low_run + 1 if low else 0
            if series.low_run < config.sustain_hours:
                return None
            return self._open(series, boundary, expected, observed)
        newest = boundary - 1
        series.episode[newest] = (baselines[-1] or 0.0, series.counts.get(newest, 0))
        series.excluded.add(newest)
        series.low_hours += int(low)
        recovered = judged and observed >= config.recover_ratio * expected
        series.ok_run = series.ok_run + 1 if recovered else 0
        if series.ok_run >= config.recover_hours:
            # Flow came back in the first hour of the first recovered window that expects any.
            close = boundary - (config.recover_hours - 1) - config.window_hours
            while close < boundary - 1 and not self._baseline(series, close):
                close += 1
            return self._close(series, close)
        if not judged:
            return None  # the night, or too little traffic to tell: nothing new to report
        return self.alerts.update(
            series.key,
            hour_start(boundary),
            summary=self._summary(series),
            evidence=series.ids.get(newest, ()) if low else (),
            figures=self._figures(series, expected, observed),
        )

    def _open(self, series: _Series, boundary: int, expected: float, observed: int) -> AlertChange:
        config = self.config
        start = boundary - (config.sustain_hours - 1) - config.window_hours
        # The flow stopped in the first hour of the first low window that had any to stop.
        while start < boundary - 1 and not self._baseline(series, start):
            start += 1
        evidence: list[str] = []
        for hour in range(start, boundary):
            baseline = self._baseline(series, hour) or 0.0
            series.episode[hour] = (baseline, series.counts.get(hour, 0))
            series.excluded.add(hour)
            evidence.extend(series.ids.get(hour, ()))
        series.low_run = 0
        series.ok_run = 0
        series.low_hours = config.sustain_hours
        alert = Alert(
            kind=AlertKind.DISRUPTION,
            key=series.key,
            severity=Severity.CRITICAL if series.vehicle_class == ALL_CLASSES else Severity.WARNING,
            subject=f"{series.direction}/{series.vehicle_class}",
            subject_kind=SubjectKind.FLOW,
            opened_at=hour_start(start),
            summary=self._summary(series),
            evidence=tuple(evidence),
            figures=self._figures(series, expected, observed),
        )
        return self.alerts.open(alert)

    def _close(self, series: _Series, close_hour: int) -> AlertChange:
        # Hours from the first recovered window on were normal: give them back to the baseline.
        for hour in [h for h in series.episode if h >= close_hour]:
            del series.episode[hour]
            series.excluded.discard(hour)
        figures = self._figures(series, None, None)
        change = self.alerts.close(
            series.key, hour_start(close_hour), summary=self._summary(series), figures=figures
        )
        series.episode.clear()
        series.low_hours = series.ok_run = 0
        return change

    def _figures(
        self, series: _Series, window_expected: float | None, window_observed: int | None
    ) -> dict[str, Figure]:
        expected = sum(e for e, _ in series.episode.values())
        observed = sum(o for _, o in series.episode.values())
        figures: dict[str, Figure] = {
            "direction": series.direction.value,
            "vehicle_class": series.vehicle_class,
            "expected": round(expected, 1),
            "observed": observed,
            "flow_ratio": round(observed / expected, 3) if expected else 0.0,
            "low_hours": series.low_hours,
        }
        if window_expected is not None and window_observed is not None:
            figures |= {
                "window_expected": round(window_expected, 1),
                "window_observed": window_observed,
            }
        return figures

    def _summary(self, series: _Series) -> str:
        expected = sum(e for e, _ in series.episode.values())
        observed = sum(o for _, o in series.episode.values())
        what = "all vehicles" if series.vehicle_class == ALL_CLASSES else series.vehicle_class
        start = hour_start(min(series.episode)) if series.episode else None
        since = f" since {start:%Y-%m-%d %H:%M} UTC" if start else ""
        share = f"{100 * observed / expected:.0f}%" if expected else "0%"
        return (
            f"{series.direction.value.capitalize()} flow ({what}) at {share} of the usual{since}: "
            f"{observed} passed against {expected:.0f} expected."
        )

    def _prune(self, boundary: int) -> None:
        # One hour falls out of the look-back per boundary: drop exactly that hour (no scan).
        old = self._oldest(boundary) - 1
        for series in self._series.values():
            series.counts.pop(old, None)
            series.ids.pop(old, None)
            series.excluded.discard(old)

    def _oldest(self, boundary: int) -> int:
        config = self.config
        return boundary - config.window_hours - 24 * config.baseline_days * _LOOKBACK_FACTOR
