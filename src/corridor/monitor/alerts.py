"""Alerts: what the monitor reports, how they change, and the table a rule keeps them in.

An alert is one condition about one subject (a vehicle, a device, a post, a crew, a convoy, or
the flow in one direction). Its ``key`` is stable for that condition, so a rule that sees the
condition again *updates* the alert instead of raising a second one; HQ stores alerts by key.

Rules report :class:`AlertChange` records (opened, updated, closed), never bare alerts, so the
caller can persist a history and a daily bulletin can report what opened and closed that day.
Closed alerts leave the rule's :class:`AlertTable`: a rule's state is bounded by what is still
open. Acknowledgement (who, when) is set by HQ later with :func:`acknowledge`; nothing here is
persisted.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from corridor.errors import ValidationError

#: A figure shown with an alert: a count, a duration in minutes, a distance in metres, an id.
Figure = float | int | str

#: Evidence ids kept per alert. An alert that keeps updating (an unknown vehicle seen all week)
#: keeps its first ids, which are what triggered it; the figures carry the totals.
MAX_EVIDENCE = 50


class AlertKind(StrEnum):
    """What an alert is about. The value is the first part of every alert key."""

    LEFT_BAND = "left_band"
    OVERDUE = "overdue"
    LONG_STOP = "long_stop"
    UNKNOWN_VEHICLE = "unknown_vehicle"
    UNKNOWN_DEVICE = "unknown_device"
    SILENT_POST = "silent_post"
    DISRUPTION = "disruption"
    CREW_ZONE = "crew_zone"
    CREW_ZONE_ENTRY = "crew_zone_entry"
    CONVOY = "convoy"


class Severity(StrEnum):
    """How urgently a coordinator should look. Compare with :attr:`rank`, not the strings."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _RANKS[self]


_RANKS = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}


class SubjectKind(StrEnum):
    """What an alert's ``subject`` id names. Position fixes use only vehicle and crew."""

    VEHICLE = "vehicle"
    CREW = "crew"
    DEVICE = "device"
    POST = "post"
    CONVOY = "convoy"
    FLOW = "flow"


class ChangeKind(StrEnum):
    OPENED = "opened"
    UPDATED = "updated"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class Alert:
    """One condition about one subject, open from ``opened_at`` until ``closed_at``.

    ``evidence`` holds the ids of the passages or position fixes that show the condition;
    ``figures`` the numbers behind the summary (expected and observed counts, minutes late,
    metres outside), keyed by a short name documented in docs/monitoring.md.
    """

    kind: AlertKind
    key: str
    severity: Severity
    subject: str
    subject_kind: SubjectKind
    opened_at: datetime
    summary: str
    evidence: tuple[str, ...] = ()
    figures: Mapping[str, Figure] = field(default_factory=dict)
    updated_at: datetime | None = None
    closed_at: datetime | None = None
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def acknowledged(self) -> bool:
        return self.acknowledged_at is not None


@dataclass(frozen=True, slots=True)
class AlertChange:
    """An alert as it is right after it opened, changed or closed."""

    change: ChangeKind
    alert: Alert

    @property
    def at(self) -> datetime:
        """When the change took effect (in the time of the data, not of the computer)."""
        alert = self.alert
        if self.change is ChangeKind.CLOSED and alert.closed_at is not None:
            return alert.closed_at
        if self.change is ChangeKind.UPDATED and alert.updated_at is not None:
            return alert.updated_at
        return alert.opened_at


def require_utc(field_name: str, moment: datetime) -> datetime:
    """``moment`` in UTC; a naive time is refused because rules compare times across posts."""
    if moment.tzinfo is None:
        raise ValidationError(field_name, "time must carry a time zone (UTC)")
    return moment if moment.tzinfo is UTC else moment.astimezone(UTC)


def minutes(span: timedelta) -> float:
    """A duration in minutes rounded to 0.1, the unit alert figures use for time."""
    return round(span.total_seconds() / 60.0, 1)


def acknowledge(alert: Alert, by: str, at: datetime) -> Alert:
    """The alert acknowledged by ``by`` at ``at``; the rule that raised it is not involved."""
    if not by.strip():
        raise ValidationError("acknowledged_by", "name who acknowledges the alert")
    at = require_utc("acknowledged_at", at)
    if at < alert.opened_at:
        raise ValidationError("acknowledged_at", "an alert cannot be acknowledged before it opened")
    return replace(alert, acknowledged_by=by.strip(), acknowledged_at=at)


def _merged(old: tuple[str, ...], new: Iterable[str]) -> tuple[str, ...]:
    out = list(old)
    for item in new:
        if len(out) >= MAX_EVIDENCE:
            break
        if item not in out:
            out.append(item)
    return tuple(out)


class AlertTable:
    """The open alerts of one rule, by key. Closing an alert removes it (bounded state).

    Every method returns the :class:`AlertChange` it made, so a rule can pass changes on
    without building them itself.
    """

    def __init__(self) -> None:
        self._open: dict[str, Alert] = {}

    def __contains__(self, key: object) -> bool:
        return key in self._open

    def __len__(self) -> int:
        return len(self._open)

    def __iter__(self) -> Iterator[Alert]:
        return iter(list(self._open.values()))

    def get(self, key: str) -> Alert | None:
        return self._open.get(key)

    def open(self, alert: Alert) -> AlertChange:
        """Record a new open alert; opening a key that is already open is a rule's bug."""
        if alert.key in self._open:
            raise KeyError(f"alert {alert.key!r} is already open")
        self._open[alert.key] = alert
        return AlertChange(ChangeKind.OPENED, alert)

    def update(
        self,
        key: str,
        at: datetime,
        *,
        severity: Severity | None = None,
        summary: str | None = None,
        evidence: Iterable[str] = (),
        figures: Mapping[str, Figure] | None = None,
    ) -> AlertChange | None:
        """Change an open alert; ``None`` when nothing it shows would change."""
        old = self._open[key]
        new = replace(
            old,
            severity=severity or old.severity,
            summary=summary or old.summary,
            evidence=_merged(old.evidence, evidence),
            figures={**old.figures, **figures} if figures else old.figures,
        )
        if new == old:
            return None
        new = replace(new, updated_at=max(at, old.updated_at or old.opened_at))
        self._open[key] = new
        return AlertChange(ChangeKind.UPDATED, new)

    def close(
        self,
        key: str,
        at: datetime,
        *,
        summary: str | None = None,
        evidence: Iterable[str] = (),
        figures: Mapping[str, Figure] | None = None,
    ) -> AlertChange:
        """Close an open alert at ``at`` (never before it opened) and forget it."""
        old = self._open.pop(key)
        closed = replace(
            old,
            summary=summary or old.summary,
            evidence=_merged(old.evidence, evidence),
            figures={**old.figures, **figures} if figures else old.figures,
            closed_at=max(at, old.opened_at),
        )
        return AlertChange(ChangeKind.CLOSED, closed)

    def acknowledge(self, key: str, by: str, at: datetime) -> AlertChange:
        """Acknowledge an open alert; later updates keep the acknowledgement."""
        new = acknowledge(self._open[key], by, at)
        self._open[key] = new
        return AlertChange(ChangeKind.UPDATED, new)
