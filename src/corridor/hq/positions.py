"""HQ's position intake: decoded reports -> checked -> stored -> handed to the monitor.

Durability order, per request: (1) the report's time is checked against HQ's clock, (2) the
request joins the writer's next transaction, which looks its devices up, refuses a revoked
device's reports, keeps the rest (an unknown device's too, with no subject, raising one
``unknown_device`` alert while it is open) and commits, (3) only then is the request answered,
and (4) ``on_positions`` receives what that transaction committed, so the monitor and the live
feed never see a position the store does not hold.

The web app writes through :class:`corridor.hq.position_writer.PositionWriter`, which
group-commits concurrent requests with :meth:`PositionIntake.store_batch`. Positions are private: no
coordinate is ever logged here, and alerts name the device, never a position or a plate.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import orjson
from sqlalchemy import Connection, bindparam, select

from corridor.config import Settings
from corridor.errors import CorridorError, ValidationError
from corridor.hq.devices import Device, DeviceCache, DeviceRevokedError
from corridor.hq.ingest import Clock, system_clock
from corridor.hq.osmand import PositionReport
from corridor.hq.position_rows import Row, insert_rows
from corridor.model.events import format_time
from corridor.model.pseudonym import vehicle_pseudonym
from corridor.monitor.alerts import AlertKind, Severity, SubjectKind
from corridor.monitor.observations import PositionFix
from corridor.store.engine import Store
from corridor.store.schema import alerts

log = logging.getLogger(__name__)

DEFAULT_MAX_FUTURE = timedelta(days=1)
DEFAULT_RETENTION = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class StoredPosition:
    """A position as the intake committed it. ``subject_id`` is the vehicle's pseudonym (never
    its plate) or the crew id; both subject fields are ``None`` for an unknown device."""

    id: int
    device_id: str
    subject_kind: str | None
    subject_id: str | None
    fixed_at_ms: int
    received_at_ms: int
    lat: float
    lon: float
    speed_mps: float | None
    bearing: float | None
    altitude_m: float | None
    accuracy_m: float | None
    battery_pct: float | None

    def fix(self) -> PositionFix:
        """The monitor's view of this position."""
        kind = SubjectKind.CREW if self.subject_kind == SubjectKind.CREW else SubjectKind.VEHICLE
        return PositionFix(
            id=str(self.id),
            device_id=self.device_id,
            subject_id=self.subject_id,
            lon=self.lon,
            lat=self.lat,
            at=datetime.fromtimestamp(self.fixed_at_ms / 1000, tz=UTC),
            subject_kind=kind,
            speed_kmh=None if self.speed_mps is None else self.speed_mps * 3.6,
        )


#: Called with what one transaction committed, after the commit (in the writer's thread).
OnPositions = Callable[[list[StoredPosition]], None]


class PositionIntake:
    """Checks reports against HQ's clock and stores them, one transaction a batch of requests."""

    def __init__(
        self,
        store: Store,
        pseudonym_key: bytes,
        *,
        clock: Clock = system_clock,
        max_future: timedelta = DEFAULT_MAX_FUTURE,
        retention: timedelta = DEFAULT_RETENTION,
        on_positions: OnPositions | None = None,
        devices: DeviceCache | None = None,
    ) -> None:
        self.store = store
        #: The registry as last read: a revocation is honoured within its ttl (5 s by default).
        self.devices = DeviceCache() if devices is None else devices
        self.pseudonym_key = pseudonym_key
        self.clock = clock
        self.max_future = max_future
        self.retention = retention
        self.on_positions = on_positions
        # Plate -> pseudonym: an HMAC per position would cost more than storing it. Bounded by
        # the vehicle registry; the key is fixed for the life of the process.
        self._pseudonyms: dict[str, str] = {}

    @classmethod
    def from_settings(
        cls,
        store: Store,
        pseudonym_key: bytes,
        settings: Settings,
        on_positions: OnPositions | None = None,
    ) -> PositionIntake:
        """The intake with ``CORRIDOR_POSITION_RETENTION_DAYS`` and
        ``CORRIDOR_POSITION_MAX_FUTURE_HOURS`` in force."""
        return cls(
            store,
            pseudonym_key,
            max_future=timedelta(hours=settings.position_max_future_hours),
            retention=timedelta(days=settings.position_retention_days),
            on_positions=on_positions,
        )

    def check(self, reports: Sequence[PositionReport]) -> int:
        """Refuse a report dated more than ``max_future`` ahead of HQ's clock or older than the
        retention (it would be purged at once); return the receiving time, Unix ms."""
        now_ms = millis(self.clock())
        for report in reports:
            at = report.fixed_at_ms
            if at is None:
                continue
            if at > now_ms + span_millis(self.max_future):
                raise ValidationError(
                    "timestamp", f"more than {_span(self.max_future)} ahead of HQ's clock"
                )
            if at < now_ms - span_millis(self.retention):
                raise ValidationError(
                    "timestamp", f"older than the retention of positions ({_span(self.retention)})"
                )
        return now_ms

    def keep(self, reports: Sequence[PositionReport]) -> list[StoredPosition]:
        """Check and store one request's reports in one transaction, then hand them on."""
        received = self.check(reports)
        outcome = self.store_batch([(reports, received)])[0]
        if isinstance(outcome, CorridorError):
            raise outcome
        self.hand_on(outcome)
        return outcome

    def store_batch(
        self, requests: Sequence[tuple[Sequence[PositionReport], int]]
    ) -> list[list[StoredPosition] | CorridorError]:
        """Store several checked requests (reports, received ms) in one transaction; per request,
        what it stored or why it was refused. A database error refuses the whole batch."""
        outcomes: list[list[StoredPosition] | CorridorError] = []
        with self.store.write() as conn:
            wanted = {r.device_id for reports, _ in requests for r in reports}
            known = self.devices.lookup(conn, wanted)
            rows: list[Row] = []
            for reports, received in requests:
                revoked = [known[r.device_id] for r in reports if _revoked(known, r.device_id)]
                if revoked:
                    outcomes.append(DeviceRevokedError(f"device {revoked[0].device_id} is revoked"))
                    continue
                rows.extend(self._row(r, known.get(r.device_id), received) for r in reports)
                outcomes.append([])
            ids = insert_rows(conn, rows)
            stored = [StoredPosition(i, *row) for i, row in zip(ids, rows, strict=True)]
            unknown: dict[str, StoredPosition] = {}
            for position in stored:
                if position.subject_kind is None:
                    unknown.setdefault(position.device_id, position)
            for device_id, position in unknown.items():
                _raise_unknown_device(conn, device_id, position, self.clock())
        taken = iter(stored)
        for i, (reports, _) in enumerate(requests):
            if not isinstance(outcomes[i], CorridorError):
                outcomes[i] = [next(taken) for _ in reports]
        return outcomes

    def _row(self, report: PositionReport, device: Device | None, received: int) -> Row:
        kind = subject = None
        if device is not None:
            kind = device.subject_kind.value
            subject = (
                self._pseudonym(device.subject_id)
                if device.subject_kind is SubjectKind.VEHICLE
                else device.subject_id
            )
        fixed = received if report.fixed_at_ms is None else report.fixed_at_ms
        return (
            report.device_id,
            kind,
            subject,
            fixed,
            received,
            report.lat,
            report.lon,
            report.speed_mps,
            report.bearing,
            report.altitude_m,
            report.accuracy_m,
            report.battery_pct,
        )

    def _pseudonym(self, plate: str) -> str:
        pseudonym = self._pseudonyms.get(plate)
        if pseudonym is None:
            pseudonym = self._pseudonyms[plate] = vehicle_pseudonym(plate, self.pseudonym_key)
        return pseudonym

    def hand_on(self, stored: list[StoredPosition]) -> None:
        if self.on_positions is None or not stored:
            return
        try:
            self.on_positions(stored)
        except Exception:
            # Committed is committed: a failing consumer must not fail the tracker's request.
            # The log names the exception only, never a position.
            log.exception("on_positions failed for %d committed positions", len(stored))


def _revoked(known: dict[str, Device], device_id: str) -> bool:
    device = known.get(device_id)
    return device is not None and device.revoked


# Built once, run on every batch: building a statement costs more than running it.
_OPEN_ALERT = select(alerts.c.id).where(
    alerts.c.alert_key == bindparam("key"), alerts.c.closed_at.is_(None)
)


def _raise_unknown_device(
    conn: Connection, device_id: str, position: StoredPosition, now: datetime
) -> None:
    """One ``unknown_device`` alert per device while it is open (not closed), keyed as the
    monitor keys it so that its rule updates the same row; no coordinates in it."""
    key = f"{AlertKind.UNKNOWN_DEVICE}:{device_id}"
    already = conn.execute(_OPEN_ALERT, {"key": key}).first()
    if already is not None:
        return
    conn.execute(
        alerts.insert().values(
            raised_at=format_time(now),
            kind=AlertKind.UNKNOWN_DEVICE.value,
            source="positions",
            message=(
                f"Tracker {device_id} is not in the device registry: register it with "
                "`corridor devices add` or find out whose it is."
            ),
            acknowledged=0,
            alert_key=key,
            severity=Severity.WARNING.value,
            subject=device_id,
            evidence=orjson.dumps({"positions": [position.id]}).decode(),
        )
    )


def _span(span: timedelta) -> str:
    """``30 days``, ``1 day``, ``6 hours``: a setting as the operator wrote it."""
    hours = span.total_seconds() / 3600
    if hours % 24 == 0:
        days = int(hours // 24)
        return f"{days} day" if days == 1 else f"{days} days"
    return f"{hours:g} hours"


def millis(moment: datetime) -> int:
    """A time as Unix milliseconds, the positions table's unit."""
    return round(moment.timestamp() * 1000)


def span_millis(span: timedelta) -> int:
    """A duration in milliseconds."""
    return round(span.total_seconds() * 1000)
