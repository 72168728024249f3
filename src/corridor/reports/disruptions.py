"""Disruptions for the daily bulletin: the monitor's ``disruption`` rule replayed over the log.

A bulletin states the disruptions open during its day (when the flow dropped, when it came
back, how many vehicles passed against how many were expected), and ``corridor audit`` must be
able to recompute them from the log alone. So they are not copied from HQ's live monitor: they
are the same rule (:class:`corridor.monitor.disruption.DisruptionRule`) replayed from the start
of the log over the hourly counts of ``passed`` events below the bulletin's tree size, in the
time the events were observed. The replay is a pure function of those counts and the day, so
HQ and the auditor get the same answer whatever order the posts' events reached the log in.

The counts are additive (:class:`FlowCounts`): the auditor keeps them as it streams the log,
like the rest of a bulletin's figures, and needs no passage kept for them. The replay starts at
the first counted hour; a disruption that has lasted for months is still open in it, because the
rule leaves the hours of an open disruption out of the baseline.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, func, select

from corridor.model.events import PublicEntry, format_time, parse_time
from corridor.model.vocabulary import Direction, PassageKind
from corridor.monitor.alerts import Alert
from corridor.monitor.config import DisruptionConfig
from corridor.monitor.disruption import ALL_CLASSES, DisruptionRule, hour_of, hour_start
from corridor.store.schema import passages

#: (direction, vehicle class) -> {hour since the epoch: passed events}.
Series = tuple[str, str]


@dataclass
class FlowCounts:
    """Hourly counts of ``passed`` events per direction and vehicle class (additive)."""

    hours: dict[Series, dict[int, int]] = field(default_factory=dict)

    def add(self, entry: PublicEntry, sign: int = 1) -> None:
        """Count one entry in (``sign=-1``: take it out again); other kinds are not flow."""
        if entry.kind is not PassageKind.PASSED:
            return
        hour = hour_of(entry.observed_at)
        series = self.hours.setdefault((entry.direction.value, entry.vehicle_class.value), {})
        series[hour] = series.get(hour, 0) + sign

    def copy(self) -> FlowCounts:
        return FlowCounts({key: dict(series) for key, series in self.hours.items()})

    def first_hour(self) -> int | None:
        starts = [min(h for h, n in s.items() if n) for s in self.hours.values() if any(s.values())]
        return min(starts) if starts else None


def flow_counts(conn: Connection, below: int) -> FlowCounts:
    """The hourly counts of the passages at log indices below ``below``, read from the store
    (what :meth:`FlowCounts.add` would give over the same entries)."""
    hour = func.substr(passages.c.observed_at, 1, 13)  # 2020-12-01T08
    rows = conn.execute(
        select(passages.c.direction, passages.c.vehicle_class, hour, func.count())
        .where(passages.c.kind == PassageKind.PASSED.value, passages.c.log_index < below)
        .group_by(passages.c.direction, passages.c.vehicle_class, hour)
    ).all()
    counts = FlowCounts()
    for direction, vehicle_class, hour_text, n in rows:
        moment = parse_time(f"{hour_text}:00:00Z", "observed_at")
        series = counts.hours.setdefault((direction, vehicle_class), {})
        series[hour_of(moment)] = int(n)
    return counts


def replay(
    counts: FlowCounts, until: datetime, config: DisruptionConfig | None = None
) -> list[Alert]:
    """Every disruption the rule finds in ``counts`` up to ``until``: closed ones and those
    still open then, each as it last stood, oldest first."""
    first = counts.first_hour()
    if first is None:
        return []
    rule = DisruptionRule(config, start=hour_start(first))
    by_hour: dict[int, list[tuple[Direction, str, int]]] = {}
    for (direction, vehicle_class), series in counts.hours.items():
        for hour, n in series.items():
            if n:
                by_hour.setdefault(hour, []).append((Direction(direction), vehicle_class, n))
    found: dict[str, Alert] = {}
    last = hour_of(until)
    for hour in range(first, last + 1):
        # Every boundary up to this hour is evaluated before the hour's own counts arrive: the
        # order in which a live monitor sees them, which never looks at an unfinished hour.
        for change in rule.tick(hour_start(hour) + rule.config.settle):
            found[change.alert.key + change.alert.opened_at.isoformat()] = change.alert
        for direction, vehicle_class, n in by_hour.get(hour, ()):
            rule.add_count(direction, vehicle_class, hour, n)
    for change in rule.tick(until + rule.config.settle):
        found[change.alert.key + change.alert.opened_at.isoformat()] = change.alert
    return sorted(found.values(), key=lambda a: (a.opened_at, a.key))


def day_disruptions(
    counts: FlowCounts, day: date, config: DisruptionConfig | None = None
) -> list[dict[str, Any]]:
    """The disruptions open at any time on ``day`` (UTC), as a bulletin states them."""
    start = datetime.combine(day, time(), UTC)
    end = start + timedelta(days=1)
    out = []
    for alert in replay(counts, end, config):
        if alert.opened_at >= end or (alert.closed_at is not None and alert.closed_at <= start):
            continue
        out.append(_stated(alert, end))
    return out


def _stated(alert: Alert, day_end: datetime) -> dict[str, Any]:
    figures: Mapping[str, Any] = alert.figures
    closed = alert.closed_at if alert.closed_at is not None and alert.closed_at <= day_end else None
    return {
        "direction": figures["direction"],
        "vehicle_class": figures["vehicle_class"],
        "all_classes": figures["vehicle_class"] == ALL_CLASSES,
        "start": format_time(alert.opened_at),
        "end": format_time(closed) if closed is not None else None,
        "expected": figures["expected"],
        "observed": figures["observed"],
        "severity": alert.severity.value,
    }
