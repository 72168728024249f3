"""HQ's alerts as the coordinator's workspace reads and acknowledges them.

The rows are written by the monitor's integration (and, for node alerts such as a sequence gap,
by HQ itself); this module only lists them, with filters and bounded paging, and records who
acknowledged one and when. Acknowledging is a compare-and-swap on ``acknowledged = 0``: two
coordinators clicking at once get one success and one :class:`ConflictError`, never two names.

Alerts carry no plate: a vehicle subject is its pseudonym (see corridor.model.pseudonym).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, func, select, update
from sqlalchemy.sql.elements import ColumnElement

from corridor.errors import ConflictError, NotFoundError, ValidationError
from corridor.model.events import format_time, parse_time
from corridor.store.engine import Store
from corridor.store.schema import alerts

SEVERITIES = ("info", "warning", "critical")
STATES = ("open", "closed")
#: The largest page a caller may ask for: a page is rendered whole, in one response.
MAX_LIMIT = 500
DEFAULT_LIMIT = 50


@dataclass(frozen=True, slots=True)
class AlertFilter:
    """Which alerts to list. Every field is optional; ``since``/``until`` bound ``raised_at``
    (inclusive, the log's time form). Build it with :meth:`parse` from untrusted input."""

    kind: str | None = None
    severity: str | None = None
    state: str | None = None
    acknowledged: bool | None = None
    subject: str | None = None
    since: str | None = None
    until: str | None = None
    limit: int = DEFAULT_LIMIT
    offset: int = 0

    @classmethod
    def parse(
        cls,
        *,
        kind: str | None = None,
        severity: str | None = None,
        state: str | None = None,
        acknowledged: str | None = None,
        subject: str | None = None,
        since: str | None = None,
        until: str | None = None,
        limit: int | str | None = None,
        offset: int | str | None = None,
    ) -> AlertFilter:
        """A filter from query-string values (empty means "any"); :class:`ValidationError`
        naming the first bad one."""
        if severity and severity not in SEVERITIES:
            raise ValidationError("severity", f"one of {', '.join(SEVERITIES)}")
        if state and state not in STATES:
            raise ValidationError("state", f"one of {', '.join(STATES)}")
        flags = {"yes": True, "true": True, "1": True, "no": False, "false": False, "0": False}
        if acknowledged and acknowledged not in flags:
            raise ValidationError("acknowledged", "yes or no")
        for name, value in (("kind", kind), ("subject", subject)):
            if value and len(value) > 128:
                raise ValidationError(name, "at most 128 characters")
        bounds = {}
        for name, value in (("since", since), ("until", until)):
            bounds[name] = format_time(parse_time(value, name)) if value else None
        if bounds["since"] and bounds["until"] and bounds["since"] > bounds["until"]:
            raise ValidationError("until", "must not come before since")
        return cls(
            kind=kind or None,
            severity=severity or None,
            state=state or None,
            acknowledged=flags[acknowledged] if acknowledged else None,
            subject=subject or None,
            since=bounds["since"],
            until=bounds["until"],
            limit=_bounded("limit", limit, DEFAULT_LIMIT, 1, MAX_LIMIT),
            offset=_bounded("offset", offset, 0, 0, 10**9),
        )

    def conditions(self) -> list[ColumnElement[bool]]:
        c = alerts.c
        where: list[ColumnElement[bool]] = []
        if self.kind:
            where.append(c.kind == self.kind)
        if self.severity:
            where.append(c.severity == self.severity)
        if self.state == "open":
            where.append(c.closed_at.is_(None))
        elif self.state == "closed":
            where.append(c.closed_at.is_not(None))
        if self.acknowledged is not None:
            where.append(c.acknowledged == (1 if self.acknowledged else 0))
        if self.subject:
            where.append(c.subject == self.subject)
        if self.since:
            where.append(c.raised_at >= self.since)
        if self.until:
            where.append(c.raised_at <= self.until)
        return where


def _bounded(name: str, value: int | str | None, default: int, low: int, high: int) -> int:
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError as exc:
        raise ValidationError(name, f"a whole number, got {value!r}") from exc
    if not low <= number <= high:
        raise ValidationError(name, f"between {low} and {high}, got {number}")
    return number


@dataclass(frozen=True, slots=True)
class AlertPage:
    """One page of alerts, newest first, and how many match in all."""

    items: list[dict[str, Any]]
    total: int
    limit: int
    offset: int


def alert_json(row: Row[Any]) -> dict[str, Any]:
    """An alert row as the workspace and the live feed show it (evidence and figures parsed)."""
    m = row._mapping
    return {
        "id": int(m["id"]),
        "key": m["alert_key"],
        "kind": m["kind"],
        "severity": m["severity"] or "info",
        "subject": m["subject"],
        "source": m["source"],
        "message": m["message"],
        "raised_at": m["raised_at"],
        "closed_at": m["closed_at"],
        "open": m["closed_at"] is None,
        "acknowledged": bool(m["acknowledged"]),
        "acknowledged_by": m["acknowledged_by"],
        "acknowledged_at": m["acknowledged_at"],
        "evidence": json.loads(m["evidence"]) if m["evidence"] else None,
        "figures": json.loads(m["figures"]) if m["figures"] else None,
    }


def list_alerts(conn: Connection, where: AlertFilter) -> AlertPage:
    """The alerts matching ``where``, newest first (then by id), one page of them."""
    conditions = where.conditions()
    total = conn.execute(select(func.count()).select_from(alerts).where(*conditions)).scalar_one()
    rows = conn.execute(
        select(alerts)
        .where(*conditions)
        .order_by(alerts.c.raised_at.desc(), alerts.c.id.desc())
        .limit(where.limit)
        .offset(where.offset)
    )
    return AlertPage([alert_json(r) for r in rows], int(total), where.limit, where.offset)


def get_alert(conn: Connection, alert_id: int) -> dict[str, Any]:
    row = conn.execute(select(alerts).where(alerts.c.id == alert_id)).first()
    if row is None:
        raise NotFoundError(f"no alert {alert_id}")
    return alert_json(row)


def acknowledge(store: Store, alert_id: int, by: str, at: datetime) -> dict[str, Any]:
    """Record that ``by`` acknowledged alert ``alert_id`` at ``at``; the alert as it is now.
    :class:`NotFoundError` for an unknown id, :class:`ConflictError` if already acknowledged
    (the first acknowledgement stands)."""
    if not by:
        raise ValidationError("by", "who acknowledges must be named")
    stamp = format_time(at)
    with store.write() as conn:
        done = conn.execute(
            update(alerts)
            .where(alerts.c.id == alert_id, alerts.c.acknowledged == 0)
            .values(acknowledged=1, acknowledged_by=by, acknowledged_at=stamp)
        ).rowcount
        if not done:
            current = get_alert(conn, alert_id)
            raise ConflictError(
                f"alert {alert_id} was already acknowledged by "
                f"{current['acknowledged_by'] or 'the node'} at {current['acknowledged_at'] or '?'}"
            )
        return get_alert(conn, alert_id)
